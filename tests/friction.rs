//! Issue 16 item 8, the friction a new user met: Go/Kubernetes durations (`1h30m`), Kubernetes
//! quantities (`1k`), parse errors that name the file (not `<input>`), a bad value inside a
//! tagged mapping reported at its own line, and `--profile` saying what it replaces.

use std::path::Path;
use std::process::Command;

fn slicesim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The trace example with `edit` applied, written to `dir/name`.
fn variant(dir: &Path, name: &str, edit: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string("scenarios/trace-example.yaml").unwrap();
    // Keep the trace path valid from the temporary directory.
    let abs = std::fs::canonicalize("traces/small-mixed.csv").unwrap();
    let text = text.replace("../traces/small-mixed.csv", abs.to_str().unwrap());
    let p = dir.join(name);
    std::fs::write(&p, edit(&text)).unwrap();
    p.display().to_string()
}

#[test]
fn go_durations_and_kubernetes_quantities_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let f = variant(dir.path(), "d.yaml", |t| {
        let t = t.replace("interval: 1h", "interval: 1h30m");
        assert!(t.contains("1h30m"));
        t + "namespaces:\n  - {name: ml, quota: {requests.nvidia.com/gpu: \"1k\"}}\n  - {name: dev}\n  - {name: prod}\n"
    });
    let (code, stdout, stderr) = slicesim(&["validate", &f]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // 500m of a GPU is not a whole count: an error naming the key.
    let f = variant(dir.path(), "q.yaml", |t| {
        t.to_string() + "namespaces:\n  - {name: ml, quota: {requests.nvidia.com/gpu: \"500m\"}}\n"
    });
    let (code, _, stderr) = slicesim(&["validate", &f]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("requests.nvidia.com/gpu: `500m` is 0.5, not a whole number"),
        "{stderr}"
    );
}

#[test]
fn parse_errors_name_the_file_and_the_key_inside_a_tagged_mapping() {
    let dir = tempfile::tempdir().unwrap();
    // A bad duration: the snippet header names the file.
    let f = variant(dir.path(), "bad-duration.yaml", |t| {
        t.replace("interval: 1h", "interval: 1h30")
    });
    let (code, _, stderr) = slicesim(&["validate", &f]);
    assert_ne!(code, 0);
    assert!(!stderr.contains("<input>"), "{stderr}");
    assert!(stderr.contains("bad-duration.yaml:"), "{stderr}");
    assert!(stderr.contains("needs a unit"), "{stderr}");
    // `replicas: three` inside `sharing: {kind: time_slicing, ...}` is reported at its key.
    let f = variant(dir.path(), "bad-replicas.yaml", |t| {
        t.replace(
            "sharing: {kind: time_slicing, replicas: 2}",
            "sharing: {kind: time_slicing, replicas: three}",
        )
    });
    let text = std::fs::read_to_string(&f).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("replicas: three"))
        .unwrap()
        + 1;
    let (code, _, stderr) = slicesim(&["validate", &f]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("line {line} column ")),
        "want line {line}: {stderr}"
    );
    assert!(
        stderr.contains("sharing.replicas: invalid type: string \"three\""),
        "{stderr}"
    );
}

#[test]
fn profile_says_it_replaces_the_trace_workload() {
    let dir = tempfile::tempdir().unwrap();
    let f = variant(dir.path(), "s.yaml", |t| t.to_string());
    let profile = dir.path().join("profile.yaml");
    std::fs::write(
        &profile,
        "rate_per_hour: 2\nspan: 2h\nmix:\n  - {class: train, weight: 1, duration: {median: 10m, sigma: 0.1, max: 20m}}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let (code, _, stderr) = slicesim(&[
        "run",
        &f,
        "--profile",
        profile.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: --profile ")
            && stderr.contains("replaces the scenario's trace workload"),
        "{stderr}"
    );
    assert!(
        stderr.contains("small-mixed.csv, format native"),
        "{stderr}"
    );
}

#[test]
fn import_parse_errors_name_the_file_not_input() {
    use slicesim::scenario::k8s::{ImportInputs, Input, import};
    let bad = |name: &str| Input {
        name: name.into(),
        text: "version: v1\nmig-configs: [\n".into(),
    };
    for inputs in [
        ImportInputs {
            mig_parted: Some(bad("my-mig.yaml")),
            ..ImportInputs::default()
        },
        ImportInputs {
            device_plugin: Some(bad("my-dp.yaml")),
            ..ImportInputs::default()
        },
        ImportInputs {
            manifests: vec![bad("my-manifests.yaml")],
            ..ImportInputs::default()
        },
    ] {
        let e = import(&inputs).unwrap_err().to_string();
        assert!(e.contains("not valid YAML"), "{e}");
        assert!(!e.contains("<input>"), "{e}");
        assert!(e.contains(".yaml:"), "{e}");
    }
}
