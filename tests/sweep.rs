//! `slicesim sweep` through the binary: outputs byte-identical whatever `--jobs` is, a point's
//! figures equal a separate `run --set ... --seed n` of it, a point's summary.json equals the
//! one `run --seeds` writes for it, bad points abort with exit 2 and nothing written.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::cli::{files, slicesim, stderr};

/// The built-in scenario for one simulated day: 2 H100 node counts x 2 inference sharings,
/// seeds 1 and 2 (8 runs).
const SWEEP: &str = "base: builtin
set: [horizon=1d]
axes:
  - path: pools.h100-timeslice.nodes
    name: h100
    values: [1, 3]
  - name: inference
    named:
      mig: []
      ts3:
        - 'pools.a100-mig-inference.sharing={kind: time_slicing, replicas: 3}'
        - 'classes.production-inference.request={kind: gpu, count: 1}'
        - 'classes.critical-agents.request={kind: gpu, count: 1}'
seeds: 1..2
";

/// sweep.html: one row per point whose figures are the means of its summary.json, a heatmap
/// (two axes) and the Pareto plot, each SVG well-formed; points off the front are greyed.
fn sweep_html_reads_back(html: &str, files: &std::collections::BTreeMap<String, Vec<u8>>) {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("td[data-figure]").unwrap();
    let mut checked = 0;
    for td in doc.select(&sel) {
        let row = td.parent().and_then(scraper::ElementRef::wrap).unwrap();
        let first = row
            .first_child()
            .and_then(scraper::ElementRef::wrap)
            .unwrap();
        let point: String = first.text().collect();
        let figure = td.value().attr("data-figure").unwrap();
        let summary: Value =
            serde_json::from_slice(&files[&format!("points/{point}/summary.json")]).unwrap();
        let want = summary["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == figure)
            .map(|f| f["mean"].as_f64().unwrap());
        let got = td.value().attr("data-mean").unwrap();
        match want {
            // serde_json reads floats to within one unit in the last place.
            Some(w) => assert!(
                (got.parse::<f64>().unwrap() - w).abs() <= 1e-14 * w.abs(),
                "{point} {figure}"
            ),
            None => assert_eq!(got, "", "{point} {figure}"),
        }
        checked += 1;
    }
    // 4 points x (the default objectives, cost.total_usd, a p95 wait, jobs.completed).
    assert!(checked >= 12 && checked % 4 == 0, "{checked} figure cells");
    for id in ["plot-sweep-heatmap", "plot-sweep-pareto"] {
        let sel = scraper::Selector::parse(&format!("#{id} svg")).unwrap();
        let svg = doc.select(&sel).next().unwrap_or_else(|| panic!("{id}"));
        let text = svg.html();
        let mut r = quick_xml::Reader::from_str(&text);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{id}: not XML: {e}"),
            }
        }
    }
}

fn write_sweep(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("sweep.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend(extra);
    slicesim(&args)
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

#[test]
fn outputs_are_byte_identical_whatever_jobs_is() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let mut all = Vec::new();
    for jobs in ["1", "2", "3"] {
        let out = tmp.path().join(format!("out-{jobs}"));
        let o = sweep(&file, &out, &["--jobs", jobs]);
        assert!(o.status.success(), "{}", stderr(&o));
        all.push(files(&out));
    }
    let names: Vec<&String> = all[0].keys().collect();
    // 4 points: sweep.csv, sweep_summary.csv, sweep.json, sweep.html and 4 summaries.
    assert_eq!(names.len(), 8, "{names:?}");
    sweep_html_reads_back(std::str::from_utf8(&all[0]["sweep.html"]).unwrap(), &all[0]);
    assert!(all[0].contains_key("points/p003/summary.json"));
    assert_eq!(all[0], all[1], "--jobs 1 and --jobs 2 differ");
    assert_eq!(all[0], all[2], "--jobs 1 and --jobs 3 differ");
    // Nothing else was left beside the output folders (no staging folder).
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_point_equals_a_separate_run_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let out = tmp.path().join("out");
    let o = sweep(&file, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (head, rows) = csv_rows(&out.join("sweep.csv"));
    assert_eq!(
        &head[..7],
        [
            "point",
            "h100",
            "inference",
            "seed",
            "scenario_sha256",
            "version",
            "git_describe"
        ]
    );
    // Grid order, last axis fastest, then seeds: p002 = h100 3, mig; its seed-2 row is the 6th.
    let row = &rows[5];
    assert_eq!(&row[..4], ["p002", "3", "mig", "2"]);
    let run_out = tmp.path().join("run");
    let r = slicesim(&[
        "run",
        "--quiet",
        "--out",
        run_out.to_str().unwrap(),
        "--seed",
        "2",
        "--set",
        "horizon=1d",
        "--set",
        "pools.h100-timeslice.nodes=3",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(run_out.join("summary.json")).unwrap())
            .unwrap();
    let col = |name: &str| {
        let i = head
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        row[i].parse::<f64>().unwrap()
    };
    let item = |list: &str, name: &str| {
        summary[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap()
            .clone()
    };
    // serde_json reads a float to within one unit in the last place (no float_roundtrip).
    let same = |a: f64, b: &Value| {
        let b = b.as_f64().unwrap();
        assert!(
            (a - b).abs() <= 2.0 * f64::EPSILON * a.abs().max(1.0),
            "{a} vs {b}"
        );
    };
    same(col("cost.total_usd"), &summary["cost"]["total_usd"]);
    same(col("jobs.completed"), &summary["jobs"]["completed"]);
    same(
        col("pools.h100-timeslice.busy"),
        &item("pools", "h100-timeslice")["busy"],
    );
    same(
        col("classes.training.wait.p95_s"),
        &item("classes", "training")["wait"]["p95_s"],
    );
    // 3 nodes x 8 GPUs.
    assert_eq!(col("pools.h100-timeslice.gpus"), 24.0);
    let i = head.iter().position(|h| h == "scenario_sha256").unwrap();
    assert_eq!(
        row[i],
        summary["provenance"]["scenario_sha256"].as_str().unwrap()
    );
    // Every figure, exactly: the same point as one replication (CSV numbers read back exactly).
    let rep = tmp.path().join("rep");
    let r = slicesim(&[
        "run",
        "--quiet",
        "--out",
        rep.to_str().unwrap(),
        "--seeds",
        "2",
        "--set",
        "horizon=1d",
        "--set",
        "pools.h100-timeslice.nodes=3",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let (_, long) = csv_rows(&rep.join("replications_long.csv"));
    let mut checked = 0;
    for (i, name) in head.iter().enumerate().skip(7) {
        match long.iter().find(|l| l[0] == *name) {
            Some(l) => {
                let theirs: f64 = l[2].parse().unwrap();
                assert_eq!(row[i].parse::<f64>().unwrap(), theirs, "{name}");
                checked += 1;
            }
            // A figure only other points have: an empty cell here.
            None => assert_eq!(row[i], "", "{name}"),
        }
    }
    assert_eq!(checked, long.len(), "every figure of the run is a column");
}

#[test]
fn a_point_summary_is_what_run_seeds_writes_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let out = tmp.path().join("out");
    let o = sweep(&file, &out, &["--keep-runs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // p003 = h100 3, ts3.
    let rep = tmp.path().join("rep");
    let r = slicesim(&[
        "run",
        "--quiet",
        "--seeds",
        "1..2",
        "--out",
        rep.to_str().unwrap(),
        "--set",
        "horizon=1d",
        "--set",
        "pools.h100-timeslice.nodes=3",
        "--set",
        "pools.a100-mig-inference.sharing={kind: time_slicing, replicas: 3}",
        "--set",
        "classes.production-inference.request={kind: gpu, count: 1}",
        "--set",
        "classes.critical-agents.request={kind: gpu, count: 1}",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let mine = std::fs::read_to_string(out.join("points/p003/summary.json")).unwrap();
    let theirs = std::fs::read_to_string(rep.join("summary.json")).unwrap();
    assert_eq!(mine, theirs);
    // --keep-runs: each run's own files, as `run` writes them.
    let kept = std::fs::read_to_string(out.join("runs/p003/seed-2/summary.json")).unwrap();
    let single = std::fs::read_to_string(rep.join("seed-2/summary.json")).unwrap();
    assert_eq!(kept, single);
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(m["format"], "slicesim-sweep/1");
    assert_eq!(m["points"][3]["id"], "p003");
    assert_eq!(m["points"][3]["assignments"]["inference"], "ts3");
    assert_eq!(m["points"][3]["assignments"]["h100"], "3");
    assert_eq!(m["seeds"], serde_json::json!([1, 2]));
    assert_eq!(m["set"], serde_json::json!(["horizon=1d"]));
}

#[test]
fn a_bad_point_exits_2_naming_it_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // 0 nodes is fine for the pool, but the point p001 (nodes=-1) does not read as a count.
    let text = SWEEP.replace("values: [1, 3]", "values: [1, -1]");
    let file = write_sweep(tmp.path(), &text);
    let out = tmp.path().join("out");
    let o = sweep(&file, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("point p002 (h100=-1, inference=mig)"), "{e}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "only the sweep file"
    );
    // A class that cannot be scheduled at one point: named with the override that did it.
    let text = SWEEP.replace(
        "      mig: []\n",
        "      mig: []\n      bad: ['classes.production-inference.request={kind: gpu, count: 1}']\n",
    );
    let file = write_sweep(tmp.path(), &text);
    let o = sweep(&file, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("point p001 (h100=1, inference=bad)"), "{e}");
    assert!(
        e.contains("class production-inference can never be scheduled"),
        "{e}"
    );
    assert!(
        e.contains(
            "(the point sets pools.h100-timeslice.nodes=1, \
             classes.production-inference.request={kind: gpu, count: 1})"
        ),
        "{e}"
    );
    assert!(!out.exists());
    // An unknown field in the file.
    let file = write_sweep(tmp.path(), &format!("{SWEEP}sedes: 3\n"));
    let o = sweep(&file, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("sedes"), "{}", stderr(&o));
    // A bad --set names itself.
    let file = write_sweep(tmp.path(), SWEEP);
    let o = sweep(&file, &out, &["--set", "pools.nope.nodes=3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn set_on_the_command_line_applies_to_every_point_before_the_axes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let out = tmp.path().join("out");
    // nodes=2 would be overridden by the axis; the A100 time-sliced pool's 4 nodes become 1.
    let o = sweep(
        &file,
        &out,
        &[
            "--set",
            "pools.h100-timeslice.nodes=2",
            "--set",
            "pools.a100-timeslice.nodes=1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (head, rows) = csv_rows(&out.join("sweep.csv"));
    let col = |row: &Vec<String>, name: &str| {
        let i = head.iter().position(|h| h == name).unwrap();
        row[i].parse::<f64>().unwrap()
    };
    for row in &rows {
        // 1 node x 8 GPUs everywhere; the H100 pool follows the axis (1 or 3 nodes x 8).
        assert_eq!(col(row, "pools.a100-timeslice.gpus"), 8.0);
        let h100: f64 = row[1].parse().unwrap();
        assert_eq!(col(row, "pools.h100-timeslice.gpus"), h100 * 8.0);
    }
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        m["set"],
        serde_json::json!([
            "horizon=1d",
            "pools.h100-timeslice.nodes=2",
            "pools.a100-timeslice.nodes=1"
        ])
    );
}

#[test]
fn a_failed_run_exits_1_and_leaves_the_earlier_output_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = "name: tiny
horizon: 1000s
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    std::fs::write(tmp.path().join("tiny.yaml"), scenario).unwrap();
    let good = "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n";
    std::fs::write(tmp.path().join("trace.csv"), good).unwrap();
    let file = write_sweep(
        tmp.path(),
        "base: tiny.yaml\naxes: [{path: pools.p.nodes, values: [1, 2]}]\nseeds: 1..2\n",
    );
    let out = tmp.path().join("out");
    let o = sweep(&file, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = files(&out);
    // Two jobs of 100 s on one GPU: the second waits 100 s; on two GPUs neither waits.
    let (head, rows) = csv_rows(&out.join("sweep.csv"));
    let p95 = head
        .iter()
        .position(|h| h == "classes.c.wait.p95_s")
        .unwrap();
    assert_eq!((rows[0][p95].as_str(), rows[2][p95].as_str()), ("100", "0"));
    // Now the trace's third row is bad: every run fails while reading it.
    let bad = format!("{good}2,soon,c,100\n");
    std::fs::write(tmp.path().join("trace.csv"), bad).unwrap();
    let o = sweep(&file, &out, &["--jobs", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("point p000 (pools.p.nodes=1) seed 1"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files(&out), before, "the earlier output is untouched");
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    // A folder that is not a sweep's is never replaced.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let o = sweep(&file, &other, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("holds no sweep.json"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn seeds_on_the_command_line_replace_the_files_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    // The same sweep with seeds 3..4 written in the file, and with the file's 1..2 replaced
    // by --seeds 3..4: the same runs, so the same rows.
    let in_file = write_sweep(tmp.path(), &SWEEP.replace("seeds: 1..2", "seeds: 3..4"));
    let a = tmp.path().join("a");
    let o = sweep(&in_file, &a, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let flag_file = write_sweep(&other, SWEEP);
    let b = tmp.path().join("b");
    let o = sweep(&flag_file, &b, &["--seeds", "3..4"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (head, rows_a) = csv_rows(&a.join("sweep.csv"));
    let (_, rows_b) = csv_rows(&b.join("sweep.csv"));
    let seed = head.iter().position(|h| h == "seed").unwrap();
    // 4 points x seeds 3 and 4.
    assert_eq!(rows_b.len(), 8);
    assert!(rows_b.iter().all(|r| r[seed] == "3" || r[seed] == "4"));
    assert_eq!(rows_a, rows_b);
    // A bad list is an input error that writes nothing.
    let c = tmp.path().join("c");
    let o = sweep(&flag_file, &c, &["--seeds", "4..1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--seeds"), "{}", stderr(&o));
    assert!(!c.exists());
}
