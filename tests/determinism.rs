//! Same inputs and seed give byte-identical outputs; the binary runs end to end.

use slicesim::run::{RunOptions, run_to_dir};
use slicesim::scenario::builtin;
use std::path::Path;
use std::process::{Command, Output};

const FILES: [&str; 4] = ["summary.json", "jobs.csv", "pools.csv", "classes.csv"];

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

#[test]
fn builtin_scenario_is_byte_identical_across_runs() {
    let loaded = builtin();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let opts = RunOptions::default();
    let ra = run_to_dir(&loaded, &opts, &a).expect("run a");
    let rb = run_to_dir(&loaded, &opts, &b).expect("run b");
    assert!(ra.summary.jobs.total > 0, "the default week has jobs");
    assert_eq!(ra.summary.events, rb.summary.events);
    for f in FILES {
        let (x, y) = (read(&a, f), read(&b, f));
        assert!(!x.is_empty(), "{f} is empty");
        assert!(x == y, "{f} differs between two identical runs");
    }
}

#[test]
fn a_different_seed_gives_a_different_workload() {
    let loaded = builtin();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_to_dir(&loaded, &RunOptions::default(), &a).expect("run a");
    let other = RunOptions {
        seed: Some(loaded.scenario.seed + 1),
        ..Default::default()
    };
    let rb = run_to_dir(&loaded, &other, &b).expect("run b");
    assert_eq!(rb.summary.seed, loaded.scenario.seed + 1);
    assert!(read(&a, "jobs.csv") != read(&b, "jobs.csv"));
}

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the slicesim binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn assert_no_panic(o: &Output) {
    let err = text(&o.stderr);
    assert!(!err.contains("panicked"), "panic: {err}");
}

#[test]
fn binary_runs_the_builtin_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let o = slicesim(&["run", "--out", out.to_str().unwrap(), "--quiet"]);
    assert_no_panic(&o);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    for f in FILES {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    // The binary and the library produce the same report.
    let lib = tmp.path().join("lib");
    run_to_dir(&builtin(), &RunOptions::default(), &lib).unwrap();
    for f in FILES {
        assert!(
            read(&out, f) == read(&lib, f),
            "{f}: binary and library differ"
        );
    }
}

#[test]
fn binary_validate_rejects_option3_and_accepts_the_seed() {
    let bad = slicesim(&["validate", "scenarios/seed-option3.yaml"]);
    assert_no_panic(&bad);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(err.contains("memory slices"), "stderr: {err}");
    // The error points at the layout's line, found here by reading the file.
    let text_of = std::fs::read_to_string("scenarios/seed-option3.yaml").expect("readable");
    let line = 1 + text_of
        .lines()
        .position(|l| l.contains("layout: [3g.40gb, 3g.40gb, 1g.10gb]"))
        .expect("the option-3 layout line");
    assert!(
        err.contains(&format!("line {line}:")),
        "the layout is on line {line}: {err}"
    );

    let good = slicesim(&["validate", "scenarios/seed-strategy.yaml"]);
    assert_no_panic(&good);
    assert_eq!(
        good.status.code(),
        Some(0),
        "stderr: {}",
        text(&good.stderr)
    );
    assert!(text(&good.stdout).contains("valid"));
}

#[test]
fn binary_lists_mig_layouts() {
    let o = slicesim(&["mig", "layouts", "--gpu", "A100-80GB"]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("37 layouts"),
        "{}",
        text(&o.stdout)
    );

    let bad = slicesim(&["mig", "layouts", "--gpu", "RTX-9090"]);
    assert_no_panic(&bad);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("RTX-9090"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn binary_reports_a_missing_scenario_without_panicking() {
    let o = slicesim(&["validate", "scenarios/no-such-file.yaml"]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no-such-file.yaml"));
}
