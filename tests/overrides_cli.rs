//! `--set PATH=VALUE` through the binary: a run's figures move the way hand arithmetic says,
//! and `validate` points problems at the override that caused them, not at a line of the file.

use serde_json::Value;
use std::path::Path;

mod common;
use common::cli::{slicesim, stderr};

/// Runs the built-in scenario for one simulated day with `sets`, returns its summary.json.
fn run_day(out: &Path, sets: &[&str]) -> Value {
    let out_s = out.to_str().unwrap();
    let mut args = vec!["run", "--quiet", "--out", out_s, "--set", "horizon=1d"];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = slicesim(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn pool<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

#[test]
fn run_set_halves_a_pool() {
    let dir = tempfile::tempdir().unwrap();
    let base = run_day(&dir.path().join("base"), &[]);
    let half = run_day(&dir.path().join("half"), &["pools.a100-timeslice.nodes=2"]);
    assert_eq!(base["horizon_s"], 86_400.0, "horizon=1d is 86 400 s");
    // seed-strategy.yaml: a100-timeslice has 4 nodes x 8 GPUs = 32; 2 nodes x 8 = 16.
    assert_eq!(pool(&base, "a100-timeslice")["gpus"], 32);
    assert_eq!(pool(&half, "a100-timeslice")["gpus"], 16);
    // Cost is GPUs x price x hours: 16 x 3.43 $/h x 24 h = 1317.12 $ (half of 32 x ... = 2634.24).
    let cost = |s: &Value| pool(s, "a100-timeslice")["cost_usd"].as_f64().unwrap();
    assert!((cost(&half) - 1317.12).abs() < 1e-6, "{}", cost(&half));
    assert!((cost(&base) - 2634.24).abs() < 1e-6, "{}", cost(&base));
    // The other pools are untouched: h100-timeslice keeps 2 x 8 = 16 GPUs.
    assert_eq!(pool(&half, "h100-timeslice")["gpus"], 16);
}

#[test]
fn run_reports_what_each_set_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = slicesim(&[
        "run",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "horizon=1h", // 7d is written 1w
        "--set",
        "pools[1].nodes=3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("--set horizon=1h (was 1w)\n"), "{err}");
    assert!(
        err.contains("--set pools.h100-timeslice.nodes=3 (was 2)\n"),
        "{err}"
    );
}

#[test]
fn validate_set_of_a_bad_value_names_the_set() {
    let o = slicesim(&[
        "validate",
        "scenarios/seed-strategy.yaml",
        "--set",
        "pools.h100-timeslice.nodes=-1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: scenarios/seed-strategy.yaml: --set pools.h100-timeslice.nodes=-1: \
         pools.h100-timeslice.nodes: invalid u32\n"
    );
    let o = slicesim(&[
        "validate",
        "scenarios/seed-strategy.yaml",
        "--set",
        "pools.x.nodes=-1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(
        "--set pools.x.nodes=-1: pools.x: no pool named `x`; pools has: a100-timeslice, \
         h100-timeslice, a100-mig-inference, a100-mig-small"
    ));
}

#[test]
fn validate_keeps_file_lines_and_points_overridden_problems_at_their_set() {
    // The built-in scenario with the development class's u (line 130) out of range.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-strategy.yaml"),
    )
    .unwrap();
    let line = text.lines().position(|l| l == "    u: 0.1").unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, text.replacen("    u: 0.1", "    u: 1.5", 1)).unwrap();
    let f = file.to_str().unwrap();
    let o = slicesim(&["validate", f, "--set", "pools.h100-timeslice.nodes=0"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "{f}: --set pools.h100-timeslice.nodes=0: error: pools[1].nodes: a pool needs at \
             least one node\n\
             {f}: line {line}: error: classes[3].u: 1.5 is not in (0, 1]\n\
             error: {f} (with --set pools.h100-timeslice.nodes=0): invalid\n"
        )
    );
}

#[test]
fn validate_with_sets_says_so_when_valid() {
    let o = slicesim(&[
        "validate",
        "scenarios/seed-strategy.yaml",
        "--set",
        "namespaces.production.quota.requests.nvidia.com/gpu=25",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "scenarios/seed-strategy.yaml (with --set \
         namespaces.production.quota.requests.nvidia.com/gpu=25): valid\n"
    );
}

#[test]
fn a_malformed_set_is_a_usage_error() {
    let o = slicesim(&[
        "validate",
        "scenarios/seed-strategy.yaml",
        "--set",
        "pools..x=1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`pools..x`: empty part after the `.` at 5"),
        "{}",
        stderr(&o)
    );
}
