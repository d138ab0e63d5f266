//! `slicesim size` through the binary on the built-in scenario: the answer it finds is checked
//! against separate `run --set` runs at the answer and one below, and the refusals exit 1 / 2.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("slicesim runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const QUOTA: &str = "namespaces.production.quota.requests.nvidia.com/gpu";
const SLO: &str = "priorities.production-inference.wait_p95 <= 30m";

/// production-inference's p95 wait in a separate `run` with the quota at `gpus`.
fn p95_wait_with_quota(dir: &Path, gpus: i64) -> f64 {
    let out = dir.join(format!("run-{gpus}"));
    let set = format!("{QUOTA}={gpus}");
    let o = slicesim(&[
        "run",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--set",
        &set,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // seed-strategy.yaml: the PriorityClass production-inference has the value 1000.
    let item = s["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["priority"] == 1000)
        .unwrap();
    item["wait"]["p95_s"].as_f64().unwrap()
}

#[test]
fn the_quota_found_is_the_smallest_that_meets_the_slo() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("size");
    let o = slicesim(&[
        "size",
        "--axis",
        QUOTA,
        "--range",
        "1..40",
        "--until",
        SLO,
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("size.json")).unwrap()).unwrap();
    assert_eq!(doc, written, "--out holds what --format json prints");
    assert_eq!(doc["format"], "slicesim-size/1");
    assert_eq!(doc["verdict"], "found");
    let answer = doc["answer"].as_i64().unwrap();
    assert!((2..=40).contains(&answer), "{answer}");
    // Bisection: HI first, then LO, then halving; one run per probe without --seeds.
    let probes = doc["probes"].as_array().unwrap();
    let values: Vec<i64> = probes
        .iter()
        .map(|p| p["value"].as_i64().unwrap())
        .collect();
    assert_eq!(&values[..3], [40, 1, 20]);
    assert_eq!(doc["runs"].as_u64(), Some(probes.len() as u64));
    // 39 values need at most 2 + ceil(log2 39) = 8 probes.
    assert!(probes.len() <= 8, "{values:?}");
    assert!(
        values.contains(&(answer - 1)),
        "answer - 1 was probed: {values:?}"
    );

    // Separate runs agree: the answer meets 30 min (1800 s), one GPU less does not.
    let at = p95_wait_with_quota(dir.path(), answer);
    let below = p95_wait_with_quota(dir.path(), answer - 1);
    assert!(at <= 1800.0, "p95 {at} s at {answer}");
    assert!(below > 1800.0, "p95 {below} s at {}", answer - 1);
    // And size.json holds the same figures for those probes.
    let probe_wait = |v: i64| {
        let p = probes.iter().find(|p| p["value"] == v).unwrap();
        p["conditions"][0]["mean"].as_f64().unwrap()
    };
    assert!((probe_wait(answer) - at).abs() <= 1e-9 * at.max(1.0));
    assert!((probe_wait(answer - 1) - below).abs() <= 1e-9 * below.max(1.0));
}

#[test]
fn replications_count_runs_and_not_met_at_hi_exits_1() {
    // A quota of 1..3 GPUs is far too small: HI is probed and fails, nothing else runs.
    let o = slicesim(&[
        "size",
        "--axis",
        QUOTA,
        "--range",
        "1..3",
        "--until",
        SLO,
        "--seeds",
        "1..2",
        "--set",
        "horizon=2d",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("not met even at HI = 3"), "{t}");
    // One probe x 2 seeds.
    assert!(t.contains("1 probe (3), 2 runs"), "{t}");
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--axis", "pools.nope.nodes", "--range", "1..2"],
            "--axis pools.nope.nodes",
        ),
        (
            &["--axis", "pools.h100-timeslice.nodes", "--range", "0..2"],
            "at least one node",
        ),
        (
            &["--axis", "pools.h100-timeslice.nodes", "--range", "3..2"],
            "LO must not exceed HI",
        ),
        (
            &["--axis", "pools.h100-timeslice.nodes", "--range", "1-2"],
            "LO..HI",
        ),
    ];
    for (args, says) in cases {
        let mut all = vec!["size", "--until", "classes.training.wait_p95 <= 1h"];
        all.extend(*args);
        let o = slicesim(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {}", text(&o));
        assert!(
            text(&o).contains(says),
            "{all:?} should say {says:?}: {}",
            text(&o)
        );
    }
    let conds: &[(&str, &str)] = &[
        ("classes.training.wait_p95 <= baseline", "no `baseline`"),
        ("classes.training.wait_p95 =< 1h", "unknown comparison"),
        (
            "classes.trainin.wait_p95 <= 1h",
            "classes.training.wait.p95_s",
        ),
    ];
    for (cond, says) in conds {
        let o = slicesim(&[
            "size",
            "--axis",
            "pools.h100-timeslice.nodes",
            "--range",
            "1..2",
            "--until",
            cond,
        ]);
        assert_eq!(o.status.code(), Some(2), "{cond}: {}", text(&o));
        assert!(
            text(&o).contains(says),
            "{cond} should say {says:?}: {}",
            text(&o)
        );
    }
}

/// The `figures` entry `path` of a replicated summary.json.
fn stats<'a>(summary: &'a Value, path: &str) -> &'a Value {
    summary["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap()
}

#[test]
fn with_seeds_the_upper_end_of_the_interval_decides() {
    // Two simulated days, seeds 1..3: the smallest H100 node count whose training p95 wait has
    // a 95 % interval entirely under 10 min.
    let dir = tempfile::tempdir().unwrap();
    let common = ["--seeds", "1..3", "--set", "horizon=2d"];
    let mut args = vec![
        "size",
        "--axis",
        "pools.h100-timeslice.nodes",
        "--range",
        "1..8",
        "--until",
        "classes.training.wait_p95 <= 10m",
        "--format",
        "json",
    ];
    args.extend(common);
    let o = slicesim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let answer = doc["answer"].as_i64().unwrap();
    assert!(answer > 1, "{answer}");
    let probes = doc["probes"].as_array().unwrap().len() as u64;
    assert_eq!(doc["runs"].as_u64(), Some(3 * probes), "3 seeds per probe");
    // Separate replicated runs: `ci95_high` (mean + half-width) is <= 600 s at the answer and
    // above it one node below.
    let ci_high = |nodes: i64| {
        let out = dir.path().join(format!("n{nodes}"));
        let set = format!("pools.h100-timeslice.nodes={nodes}");
        let mut run = vec![
            "run",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
            "--set",
            &set,
        ];
        run.extend(common);
        let o = slicesim(&run);
        assert!(o.status.success(), "{}", text(&o));
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        stats(&s, "classes.training.wait.p95_s")["ci95_high"]
            .as_f64()
            .unwrap()
    };
    assert!(ci_high(answer) <= 600.0, "at {answer}");
    assert!(ci_high(answer - 1) > 600.0, "at {}", answer - 1);
}
