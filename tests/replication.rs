//! Replications (`run --seeds`), the figure paths they estimate, and the provenance block of
//! `summary.json`. Expected values are worked by hand or recomputed here from single runs.

mod common;

use common::{assert_close, fixture, run};
use serde_json::Value;
use slicesim::report::{figures, priority_names};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn slicesim(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slicesim"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("run the slicesim binary")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The value at a figure path in a single run's summary.json, where list items are named.
fn figure_of(summary: &Value, list: &str, item: &str, rest: &[&str]) -> f64 {
    let items = summary[list].as_array().unwrap();
    let mut v = items.iter().find(|i| i["name"] == item).unwrap();
    for k in rest {
        v = &v[*k];
    }
    v.as_f64().unwrap()
}

#[test]
fn figures_name_list_items_and_leave_absent_values_out() {
    // One whole A100-80GB for 1000 s. Jobs 0 (hi, 1000) and 1 (lo-a, 10) arrive at 0 with
    // 100 s of work each: job 0 runs 0-100, job 1 waits and runs 100-200.
    // busy = 200 / 1000 = 0.2; class c waits {0, 100}: p95 (nearest rank 2 of 2) = 100 s;
    // cost = 3.43 $/h * 1000 s / 3600 = 0.952777...; class idle has no job: no waits.
    let yaml = "name: figures
horizon: 1000s
priority_classes:
  - {name: hi, value: 1000}
  - {name: lo-a, value: 10}
  - {name: lo-b, value: 10}
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
  - {name: idle, kind: batch, namespace: other, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,priority_class,duration\n0,0,c,hi,100\n1,0,c,lo-a,100\n";
    let f = fixture(yaml, csv);
    let o = run(&f.loaded);
    let world = slicesim::run::world(&f.loaded, &Default::default()).unwrap();
    let names = priority_names(&world);
    // lo-a and lo-b share 10: that value keeps its number.
    assert_eq!(names, BTreeMap::from([(1000, "hi".to_string())]));
    let figs: BTreeMap<String, f64> = figures(&o.summary, &names).into_iter().collect();
    let get = |p: &str| *figs.get(p).unwrap_or_else(|| panic!("no figure {p}"));
    assert_eq!(get("jobs.total"), 2.0);
    assert_eq!(get("jobs.completed"), 2.0);
    assert_close(get("pools.p.busy"), 0.2, "busy");
    assert_close(get("cost.total_usd"), 3.43 * 1000.0 / 3600.0, "cost");
    assert_eq!(get("classes.c.wait.p95_s"), 100.0);
    assert_eq!(get("classes.c.wait.p50_s"), 0.0);
    assert_eq!(get("classes.idle.jobs.total"), 0.0);
    assert_eq!(get("priorities.hi.jobs.completed"), 1.0);
    assert_eq!(get("priorities.10.wait.p95_s"), 100.0);
    assert_eq!(get("namespaces.default.jobs.completed"), 2.0);
    assert_eq!(get("cost.by_model.A100-80GB.gpus"), 1.0);
    // Absent, not zero: no percentile without a sample.
    assert!(!figs.contains_key("classes.idle.wait.p95_s"));
    assert!(!figs.contains_key("classes.idle.cost_per_started_job_usd"));
    // Identities and settings are not figures; indexes never name a named item.
    assert!(!figs.contains_key("seed"));
    assert!(figs.keys().all(|k| !k.starts_with("provenance")));
    assert!(
        figs.keys()
            .all(|k| !k.starts_with("pools.0") && !k.starts_with("classes.0"))
    );
    assert!(!figs.contains_key("priorities.hi.priority"));
    // The list is in a stable order with no duplicate path.
    let list = figures(&o.summary, &names);
    assert_eq!(list.len(), figs.len());
    assert_eq!(list, figures(&o.summary, &names));
}

/// Runs `args` and returns the output folder's files (relative path -> bytes).
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The replication's report.html shows every figure of its summary.json once, with the same
/// mean, and links each seed's report.
fn replication_report_matches(rep: &Path, summary: &Value) {
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("td[data-figure]").unwrap();
    let shown: BTreeMap<String, f64> = doc
        .select(&sel)
        .map(|td| {
            let v = td.value();
            (
                v.attr("data-figure").unwrap().to_string(),
                v.attr("data-mean").unwrap().parse().unwrap(),
            )
        })
        .collect();
    let figures = summary["figures"].as_array().unwrap();
    assert_eq!(shown.len(), figures.len());
    for f in figures {
        let path = f["path"].as_str().unwrap();
        // serde_json reads floats to within one unit in the last place.
        let want = f["mean"].as_f64().unwrap();
        assert!((shown[path] - want).abs() <= 1e-14 * want.abs(), "{path}");
    }
    for seed in 1..=3 {
        assert!(html.contains(&format!("href=\"seed-{seed}/report.html\"")));
        assert!(rep.join(format!("seed-{seed}/report.html")).is_file());
    }
}

/// Reads one figure from a single run's summary.json.
type Get = fn(&Value) -> f64;

#[test]
fn replicated_means_are_the_means_of_single_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("rep");
    let o = slicesim(
        &[
            "run",
            "--seeds",
            "1..3",
            "--quiet",
            "--out",
            rep.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut singles = Vec::new();
    for seed in 1..=3 {
        let dir = tmp.path().join(format!("single-{seed}"));
        let s = seed.to_string();
        let o = slicesim(
            &[
                "run",
                "--seed",
                &s,
                "--quiet",
                "--no-baseline",
                "--out",
                dir.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success());
        // Each seed's folder holds exactly what a single run with that seed writes (report.html
        // included: replications do not run the exclusive baseline).
        assert_eq!(
            outputs(&dir),
            outputs(&rep.join(format!("seed-{seed}"))),
            "seed {seed}"
        );
        singles.push(json(&dir.join("summary.json")));
    }
    let summary = json(&rep.join("summary.json"));
    replication_report_matches(&rep, &summary);
    assert_eq!(summary["provenance"]["seeds"], serde_json::json!([1, 2, 3]));
    assert_eq!(summary["replications"], 3);
    let by_path: BTreeMap<&str, &Value> = summary["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f))
        .collect();
    let checks: [(&str, Get); 4] = [
        ("cost.total_usd", |s| {
            s["cost"]["total_usd"].as_f64().unwrap()
        }),
        ("jobs.completed", |s| {
            s["jobs"]["completed"].as_f64().unwrap()
        }),
        ("pools.a100-timeslice.busy", |s| {
            figure_of(s, "pools", "a100-timeslice", &["busy"])
        }),
        ("classes.training.jobs.completed", |s| {
            figure_of(s, "classes", "training", &["jobs", "completed"])
        }),
    ];
    for (path, get) in checks {
        let xs: Vec<f64> = singles.iter().map(get).collect();
        let mean = (xs[0] + xs[1] + xs[2]) / 3.0;
        let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        let sd = (ss / 2.0).sqrt();
        // t_{0.975, 2} = 4.302653 (tables); half-width = t sd / sqrt 3.
        let h = 4.302653 * sd / 3f64.sqrt();
        let f = by_path[path];
        assert_close(f["mean"].as_f64().unwrap(), mean, path);
        assert!(
            (f["sd"].as_f64().unwrap() - sd).abs() <= 1e-9 * sd.max(1.0),
            "{path} sd"
        );
        assert!(
            (f["half_width"].as_f64().unwrap() - h).abs() <= 1e-5 * h.max(1.0),
            "{path} h"
        );
        assert_eq!(f["values"]["2"].as_f64().unwrap(), xs[1], "{path} seed 2");
    }
    // The CSVs: one row per figure, and one per figure and seed.
    let csv = std::fs::read_to_string(rep.join("replications.csv")).unwrap();
    assert!(csv.starts_with("path,n,mean,sd,ci_low,ci_high,half_width,replications_needed\n"));
    assert_eq!(csv.lines().count(), by_path.len() + 1);
    let long = std::fs::read_to_string(rep.join("replications_long.csv")).unwrap();
    assert!(long.starts_with("path,seed,value\n"));
    assert!(long.contains("\ncost.total_usd,2,"));
}

#[test]
fn replications_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for (name, extra, envs) in [
        ("rayon1", vec![], vec![("RAYON_NUM_THREADS", "1")]),
        ("rayon2", vec![], vec![("RAYON_NUM_THREADS", "2")]),
        ("jobs3", vec!["--jobs", "3"], vec![]),
    ] {
        let dir = tmp.path().join(name);
        let mut args = vec![
            "run", "--seeds", "4,2,7", "--scale", "0.5", "--quiet", "--out",
        ];
        args.push(dir.to_str().unwrap());
        args.extend(extra);
        let o = slicesim(&args, &envs);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        seen.push(outputs(&dir));
    }
    assert!(seen[0].contains_key("seed-7/jobs.csv") && seen[0].contains_key("summary.json"));
    assert_eq!(seen[0], seen[1], "RAYON_NUM_THREADS=1 vs 2");
    assert_eq!(seen[0], seen[2], "1 thread vs --jobs 3");
}

#[test]
fn bad_replication_options_are_refused_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("none");
    let o_str = out.to_str().unwrap();
    for (args, says) in [
        (vec!["--seeds", "5..1"], "range is empty"),
        (vec!["--seeds", "1,x"], "`x` is not a seed list"),
        (vec!["--seeds", "1,2,1"], "seed 1 is given twice"),
        (
            vec!["--seeds", "1..2", "--half-width", "0"],
            "--half-width 0",
        ),
        (
            vec!["--seeds", "1..2", "--seed", "3"],
            "cannot be used with",
        ),
        (vec!["--half-width", "0.1"], "--seeds"),
    ] {
        let mut all = vec!["run", "--out", o_str];
        all.extend(&args);
        let o = slicesim(&all, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    }
}

#[test]
fn provenance_names_version_seeds_and_scenario_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = |name: &str, args: &[&str]| {
        let dir = tmp.path().join(name);
        let mut all = vec![
            "run",
            "--quiet",
            "--scale",
            "0.2",
            "--out",
            dir.to_str().unwrap(),
        ];
        all.extend(args);
        let o = slicesim(&all, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        json(&dir.join("summary.json"))["provenance"].clone()
    };
    let a = summary("a", &["--seed", "5"]);
    assert_eq!(a["tool"], "slicesim");
    assert_eq!(a["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(a["seeds"], serde_json::json!([5]));
    assert!(!a["git_describe"].as_str().unwrap().is_empty());
    let hash = a["scenario_sha256"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    // The seed is not part of the scenario's hash; the policy and the load are.
    let b = summary("b", &["--seed", "6"]);
    assert_eq!(b["scenario_sha256"], a["scenario_sha256"]);
    let c = summary("c", &["--seed", "5", "--policy", "spread"]);
    assert_ne!(c["scenario_sha256"], a["scenario_sha256"]);
    // The same scenario written differently (a comment, the file elsewhere) hashes the same.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-strategy.yaml"),
    )
    .unwrap();
    let copy = tmp.path().join("copy.yaml");
    std::fs::write(&copy, format!("# a comment\n{text}")).unwrap();
    let d = summary("d", &[copy.to_str().unwrap(), "--seed", "5"]);
    assert_eq!(d["scenario_sha256"], a["scenario_sha256"]);
}

#[test]
fn a_trace_is_hashed_by_its_content_not_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = std::fs::read_to_string(root.join("scenarios/trace-example.yaml")).unwrap();
    let trace = std::fs::read_to_string(root.join("traces/small-mixed.csv")).unwrap();
    let mut hashes = Vec::new();
    for (name, trace_text) in [
        ("x", trace.clone()),
        ("y", trace.clone()),
        ("z", trace + "\n"),
    ] {
        // scenario in <name>/s/, trace in <name>/traces/ as the example expects.
        let base = tmp.path().join(name);
        std::fs::create_dir_all(base.join("s")).unwrap();
        std::fs::create_dir_all(base.join("traces")).unwrap();
        std::fs::write(base.join("s/t.yaml"), &scenario).unwrap();
        std::fs::write(base.join("traces/small-mixed.csv"), trace_text).unwrap();
        let out = base.join("out");
        let o = slicesim(
            &[
                "run",
                base.join("s/t.yaml").to_str().unwrap(),
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        hashes.push(json(&out.join("summary.json"))["provenance"]["scenario_sha256"].clone());
    }
    assert_eq!(hashes[0], hashes[1], "same bytes elsewhere");
    assert_ne!(hashes[0], hashes[2], "one more byte in the trace");
}

#[test]
fn a_failing_seed_leaves_no_partial_output() {
    // A native trace stops at its first bad row while the run is under way, after the seeds'
    // files were opened: nothing may be left, and an earlier result in the folder stays.
    let tmp = tempfile::tempdir().unwrap();
    let yaml = "name: bad-trace
horizon: 1000s
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let scenario = tmp.path().join("s.yaml");
    std::fs::write(&scenario, yaml).unwrap();
    let trace = tmp.path().join("trace.csv");
    let good = "id,submit,class,duration\n0,0,c,100\n1,10,c,100\n";
    let (s, out) = (scenario.to_str().unwrap(), tmp.path().join("out"));
    let o_str = out.to_str().unwrap();
    let args = ["run", s, "--seeds", "1..3", "--quiet", "--out", o_str];

    std::fs::write(&trace, format!("{good}2,20,c,oops\n")).unwrap();
    let o = slicesim(&args, &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("seed 1: "));
    assert!(
        !out.exists(),
        "a failed first replication left {}",
        out.display()
    );

    std::fs::write(&trace, good).unwrap();
    assert!(slicesim(&args, &[]).status.success());
    let before = outputs(&out);
    assert!(before.contains_key("seed-3/summary.json"));
    std::fs::write(&trace, format!("{good}2,20,c,oops\n")).unwrap();
    assert!(!slicesim(&args, &[]).status.success());
    assert_eq!(
        outputs(&out),
        before,
        "a failed rerun changed the earlier result"
    );
}
