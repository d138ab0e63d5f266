//! `run --openmetrics FILE`: the text parses strictly, carries the DCGM names and labels,
//! agrees with the run's other outputs, and loads into Prometheus (promtool, when present).

mod common;
mod openmetrics_support;

use common::{WHOLE_GPU_CLASS, fixture, one_pool};
use openmetrics_support::{Parsed, parse};
use slicesim::run::{Exports, RunOptions, run_to_dir_with};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const START: &str = "2026-03-02T08:00:00Z";
/// 2026-03-02T08:00:00Z in Unix seconds: 2026-01-01 is 1767225600 (20454 days since 1970);
/// + 31 (Jan) + 28 (Feb) + 1 days = 60 days = 5184000 s, + 8 h = 28800 s.
const START_S: f64 = 1_767_225_600.0 + 5_184_000.0 + 28_800.0;

fn slicesim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .output()
        .expect("run slicesim")
}

/// The built-in scenario over 12 h (12 one-hour buckets), exported from START.
fn builtin_export(dir: &Path) -> (String, serde_json::Value) {
    let om = dir.join("run.om");
    let out = dir.join("out");
    let o = slicesim(&[
        "run",
        "--quiet",
        "--set",
        "horizon=12h",
        "--out",
        out.to_str().unwrap(),
        "--openmetrics",
        om.to_str().unwrap(),
        "--openmetrics-start",
        START,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (
        std::fs::read_to_string(om).unwrap(),
        serde_json::from_str(&summary).unwrap(),
    )
}

fn label<'a>(s: &'a openmetrics_support::Sample, k: &str) -> Option<&'a str> {
    s.labels.get(k).map(String::as_str)
}

#[test]
fn the_builtin_export_parses_and_carries_the_dcgm_names_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (text, summary) = builtin_export(dir.path());
    let p: Parsed = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    for fam in [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        "DCGM_FI_PROF_SM_ACTIVE",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "slicesim_pool_queue_depth",
        "slicesim_pool_cost_usd",
        "slicesim_class_queue_depth",
        "slicesim_class_wait_seconds",
    ] {
        assert!(p.families.contains_key(fam), "{fam} missing");
        assert!(
            p.samples.iter().any(|s| s.family == fam),
            "{fam} has no samples"
        );
    }
    assert_eq!(p.families["slicesim_pool_cost_usd"].kind, "counter");
    assert_eq!(p.families["slicesim_class_wait_seconds"].kind, "summary");
    // Every DCGM row names its GPU as the exporter does.
    for s in p.samples.iter().filter(|s| s.name.starts_with("DCGM_")) {
        for k in ["gpu", "UUID", "modelName", "Hostname", "device"] {
            assert!(
                label(s, k).is_some_and(|v| !v.is_empty()),
                "{k} missing: {s:?}"
            );
        }
        assert!(label(s, "UUID").unwrap().starts_with("GPU-"));
    }
    // MIG instances of the built-in a100-mig-inference pool, with profile and id; some held.
    let mig: Vec<_> = p
        .of("DCGM_FI_DEV_FB_USED")
        .into_iter()
        .filter(|s| label(s, "GPU_I_ID").is_some())
        .collect();
    assert!(!mig.is_empty(), "no MIG instance rows");
    assert!(
        mig.iter()
            .all(|s| label(s, "GPU_I_PROFILE").is_some_and(|v| v.contains('g')))
    );
    assert!(
        mig.iter()
            .any(|s| label(s, "pod").is_some_and(|v| v.starts_with("job-"))
                && label(s, "namespace").is_some())
    );
    // 12 buckets: the first point at START + 1 h, the last at START + 12 h.
    let ts: Vec<f64> = p.samples.iter().map(|s| s.ts).collect();
    let (lo, hi) = ts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &t| (a.min(t), b.max(t)));
    assert_eq!((lo, hi), (START_S + 3600.0, START_S + 12.0 * 3600.0));
    // Bounds: utilization in %, ratios in 0..=1, memory used + free = the memory size.
    for s in p.of("DCGM_FI_DEV_GPU_UTIL") {
        assert!(
            (0.0..=100.0).contains(&s.value) && s.value.fract() == 0.0,
            "{s:?}"
        );
    }
    for s in p.of("DCGM_FI_PROF_SM_ACTIVE") {
        assert!((0.0..=1.0 + 1e-9).contains(&s.value), "{s:?}");
    }
    let free: BTreeMap<_, f64> = p
        .of("DCGM_FI_DEV_FB_FREE")
        .into_iter()
        .map(|s| ((s.labels.clone(), s.ts.to_bits()), s.value))
        .collect();
    for s in p.of("DCGM_FI_DEV_FB_USED") {
        let total = s.value + free[&(s.labels.clone(), s.ts.to_bits())];
        // A100-80GB: 81920 MiB per GPU; a MIG instance has less.
        assert!(total <= 81920.0 && total > 0.0, "{s:?}");
        if label(s, "GPU_I_ID").is_none() && label(s, "modelName") == Some("A100-80GB") {
            assert_eq!(total, 81920.0);
        }
    }
    // The cost counter's last value per pool is the pool's cost in summary.json (both are
    // GPU-hours present x price over the run).
    for pool in summary["pools"].as_array().unwrap() {
        let name = pool["name"].as_str().unwrap();
        let last = p
            .of("slicesim_pool_cost_usd_total")
            .into_iter()
            .filter(|s| label(s, "pool") == Some(name))
            .max_by(|a, b| a.ts.total_cmp(&b.ts))
            .unwrap();
        let want = pool["cost_usd"].as_f64().unwrap();
        assert!(
            (last.value - want).abs() <= 1e-6 * want.max(1.0),
            "{name}: {} vs {want}",
            last.value
        );
    }
    // Counters never go down.
    let mut prev: BTreeMap<_, f64> = BTreeMap::new();
    for s in p
        .samples
        .iter()
        .filter(|s| s.name.ends_with("_total") || s.name.ends_with("_count"))
    {
        let k = (s.name.clone(), s.labels.clone());
        if let Some(v) = prev.insert(k, s.value) {
            assert!(s.value >= v, "{s:?} went down from {v}");
        }
    }
}

#[test]
fn per_gpu_activity_averages_to_the_pools_in_every_bucket() {
    // Two integrators, one per GPU (new) and one per pool (pools.csv): the pool's busy ratio
    // in a bucket is the mean of its GPUs' GR_ENGINE_ACTIVE while all its GPUs are present.
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = builtin_export(dir.path());
    let p = parse(&text).unwrap();
    let mut per_gpu: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    for s in p.of("DCGM_FI_PROF_GR_ENGINE_ACTIVE") {
        if label(s, "GPU_I_ID").is_none() {
            let k = (label(s, "pool").unwrap().to_string(), s.ts.to_bits());
            per_gpu.entry(k).or_default().push(s.value);
        }
    }
    let gpus: BTreeMap<(String, u64), f64> = p
        .of("slicesim_pool_gpus")
        .into_iter()
        .map(|s| {
            (
                (label(s, "pool").unwrap().to_string(), s.ts.to_bits()),
                s.value,
            )
        })
        .collect();
    let mut checked = 0;
    for s in p.of("slicesim_pool_busy_ratio") {
        let k = (label(s, "pool").unwrap().to_string(), s.ts.to_bits());
        let rows = &per_gpu[&k];
        if gpus[&k] != rows.len() as f64 {
            continue;
        }
        let mean = rows.iter().sum::<f64>() / rows.len() as f64;
        assert!(
            (mean - s.value).abs() < 1e-9,
            "{k:?}: {mean} vs {}",
            s.value
        );
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} buckets compared");
}

#[test]
fn one_job_on_one_gpu_by_hand() {
    // One exclusive A100 pool of 1 node x 2 GPUs, 1 h buckets over 2 h; job 0 (u = d = 1,
    // 10 GiB) runs on g0 from 0 to 5400 s at speed 1.
    let yaml = format!(
        "{}report:\n  interval: 1h\n",
        one_pool(
            "2h",
            "A100-80GB",
            1,
            2,
            "{kind: exclusive}",
            WHOLE_GPU_CLASS
        )
    );
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,5400\n");
    let out = f.dir.path().join("out");
    let exports = Exports {
        openmetrics_start_ms: Some(1_000_000),
        ..Exports::default()
    };
    let o = run_to_dir_with(&f.loaded, &RunOptions::default(), &out, &exports).unwrap();
    let p = parse(o.openmetrics.as_deref().unwrap()).unwrap();
    let at = |name: &str, gpu: &str, ts: f64| -> (f64, Option<String>) {
        let s = p
            .of(name)
            .into_iter()
            .find(|s| label(s, "gpu") == Some(gpu) && s.ts == ts)
            .unwrap_or_else(|| panic!("{name} gpu {gpu} at {ts}"));
        (s.value, label(s, "pod").map(str::to_string))
    };
    // Bucket 1 (ends 1000 + 3600 s): g0 busy all of it -> 100 %, ratio 1, SM 1 (d = 1);
    // the job holds it at the end: 10 GiB = 10240 MiB used, 81920 - 10240 = 71680 free.
    let t1 = 1000.0 + 3600.0;
    assert_eq!(
        at("DCGM_FI_DEV_GPU_UTIL", "0", t1),
        (100.0, Some("job-0".into()))
    );
    assert_eq!(at("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "0", t1).0, 1.0);
    assert_eq!(at("DCGM_FI_PROF_SM_ACTIVE", "0", t1).0, 1.0);
    assert_eq!(at("DCGM_FI_DEV_FB_USED", "0", t1).0, 10240.0);
    assert_eq!(at("DCGM_FI_DEV_FB_FREE", "0", t1).0, 71680.0);
    // Bucket 2: busy 1800 s of 3600 -> 50 %, 0.5; gone at the end: nothing used, no pod.
    let t2 = 1000.0 + 7200.0;
    assert_eq!(at("DCGM_FI_DEV_GPU_UTIL", "0", t2), (50.0, None));
    assert_eq!(at("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "0", t2).0, 0.5);
    assert_eq!(at("DCGM_FI_DEV_FB_USED", "0", t2).0, 0.0);
    // g1 never used.
    assert_eq!(at("DCGM_FI_DEV_GPU_UTIL", "1", t1), (0.0, None));
    assert_eq!(at("DCGM_FI_DEV_FB_FREE", "1", t2).0, 81920.0);
    // Cost: 2 GPUs x 3.43 $/h: 6.86 after 1 h, 13.72 after 2 h.
    let cost: Vec<f64> = p
        .of("slicesim_pool_cost_usd_total")
        .iter()
        .map(|s| s.value)
        .collect();
    assert_eq!(cost.len(), 2);
    assert!(
        (cost[0] - 6.86).abs() < 1e-9 && (cost[1] - 13.72).abs() < 1e-9,
        "{cost:?}"
    );
    // Waits: one job started at once: count 1, sum 0 s in both buckets.
    let waits: Vec<f64> = p
        .of("slicesim_class_wait_seconds_count")
        .iter()
        .map(|s| s.value)
        .collect();
    assert_eq!(waits, [1.0, 1.0]);
}

#[test]
fn the_export_changes_no_other_output() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, export: bool| {
        let out = dir.path().join(name);
        let om = dir.path().join(format!("{name}.om"));
        let mut args = vec![
            "run",
            "--quiet",
            "--set",
            "horizon=6h",
            "--out",
            out.to_str().unwrap(),
        ];
        if export {
            args.extend(["--openmetrics", om.to_str().unwrap()]);
        }
        assert!(slicesim(&args).status.success());
        out
    };
    let (a, b) = (run("plain", false), run("exported", true));
    for f in [
        "jobs.csv",
        "pools.csv",
        "classes.csv",
        "classes_ts.csv",
        "summary.json",
        "report.html",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs with --openmetrics");
    }
}

#[test]
fn a_failed_run_or_a_bad_start_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let om = dir.path().join("x.om");
    let o = slicesim(&["run", "no-such.yaml", "--openmetrics", om.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let o = slicesim(&[
        "run",
        "--openmetrics",
        om.to_str().unwrap(),
        "--openmetrics-start",
        "yesterday",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("RFC 3339"));
    let o = slicesim(&["run", "--openmetrics-start", START]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--openmetrics-start needs --openmetrics"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "a file was left"
    );
}

#[test]
fn promtool_loads_the_export() {
    let Ok(v) = Command::new("promtool").arg("--version").output() else {
        println!("promtool not on PATH (Debian: apt-get install prometheus): check skipped");
        return;
    };
    assert!(v.status.success());
    let dir = tempfile::tempdir().unwrap();
    let (_, _) = builtin_export(dir.path());
    let tsdb = dir.path().join("tsdb");
    let o = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.path().join("run.om"))
        .arg(&tsdb)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let blocks = std::fs::read_dir(&tsdb).unwrap().count();
    assert!(blocks >= 1, "no block written");
}
