//! Messages a user reads (issue 14 item 11): no YAML-library advice for programmers, counts that
//! match what was written, and values that cannot work refused up front. Small reproducers.

use std::process::{Command, Output};

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("slicesim runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Words of the YAML library's programmer-facing advice.
const INTERNALS: [&str; 4] = [
    "DuplicateKeyPolicy",
    "Option<",
    "from_str_multiple",
    "Options",
];

fn no_internals(e: &str) {
    for w in INTERNALS {
        assert!(!e.contains(w), "{w}: {e}");
    }
}

#[test]
fn yaml_errors_speak_to_users() {
    let dir = tempfile::tempdir().unwrap();
    // A duplicate key in a scenario.
    let sc = dir.path().join("s.yaml");
    std::fs::write(&sc, "name: a\nname: b\n").unwrap();
    let o = slicesim(&["validate", sc.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("duplicate mapping key"), "{e}");
    assert!(e.contains("line 2"), "{e}");
    no_internals(&e);
    // A null where text is needed.
    std::fs::write(&sc, "name: ~\n").unwrap();
    let e = stderr(&slicesim(&["validate", sc.to_str().unwrap()]));
    no_internals(&e);
    // A node file of several YAML documents (as Alibaba's node_yaml): what one file holds.
    let nodes = dir.path().join("nodes.yaml");
    std::fs::write(
        &nodes,
        "kind: Node\nmetadata: {name: a}\n---\nkind: Node\nmetadata: {name: b}\n",
    )
    .unwrap();
    let o = slicesim(&["import", "--nodes", nodes.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("give one document: a List of nodes"), "{e}");
    no_internals(&e);
}

#[test]
fn trace_fit_of_a_native_trace_reports_the_rows_it_fitted() {
    // traces/small-mixed.csv: 10 jobs. The report said "0 rows, 0 jobs" and the profile then
    // said 10 jobs.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.yaml");
    let o = slicesim(&[
        "trace",
        "fit",
        "traces/small-mixed.csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(e.contains("10 rows, 10 used, 10 jobs, 0 bad rows"), "{e}");
    assert!(std::fs::read_to_string(&out).unwrap().contains("# 10 jobs"));
}

#[test]
fn hil_tolerance_must_be_a_finite_number() {
    for t in ["NaN", "inf", "-0.1"] {
        let arg = format!("--tolerance={t}");
        let o = slicesim(&["hil", "compare", "m.json", &arg]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{t}: {e}");
        assert!(e.contains("is not a relative error >= 0"), "{t}: {e}");
    }
}
