//! `slicesim schema` (issue 16 item 8): the JSON Schema of the scenario format, derived from the
//! loader's serde types. Every committed scenario validates against it (with the `jsonschema`
//! crate, as an editor's YAML language server would), and the mistakes the loader refuses (a
//! misspelt key, a string where a number belongs inside a tagged mapping) are refused by the
//! schema too.

use serde_json::Value;
use slicesim::scenario::json_schema::scenario_schema;
use std::process::Command;

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&scenario_schema()).expect("the schema is a valid JSON Schema")
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).expect("YAML")
}

/// Every scenario of the repository: `scenarios/*.yaml` and the imported example.
fn committed() -> Vec<String> {
    let mut v: Vec<String> = glob::glob("scenarios/*.yaml")
        .unwrap()
        .filter_map(Result::ok)
        .map(|p| p.display().to_string())
        .collect();
    v.push("scenarios/k8s/imported.yaml".into());
    v.sort();
    v
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_committed_scenario_validates_against_the_schema() {
    let v = validator();
    let files = committed();
    assert!(files.len() >= 12, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // The loader accepts it...
        slicesim::scenario::parse(&text, &f).unwrap_or_else(|e| panic!("{e}"));
        // ...and so does the schema.
        let errs = errors(&v, &yaml(&text));
        assert!(errs.is_empty(), "{f}: {errs:?}");
    }
}

#[test]
fn misspelt_keys_and_bad_values_are_rejected_by_the_schema() {
    let v = validator();
    let text = std::fs::read_to_string("scenarios/seed-strategy.yaml").unwrap();
    assert!(v.is_valid(&yaml(&text)));
    for (from, to, what) in [
        ("horizon: 7d", "horizn: 7d", "a misspelt top-level key"),
        ("gpus_per_node: 8", "gpu_per_node: 8", "a misspelt pool key"),
        ("replicas: 3", "replicas: three", "a string replica count"),
        (
            "replicas: 3",
            "replicaz: 3",
            "a misspelt key inside sharing",
        ),
        (
            "horizon: 7d",
            "horizon: 7 parsecs",
            "a duration with an unknown unit",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let bad = text.replacen(from, to, 1);
        // The loader refuses it; the schema must too.
        assert!(
            slicesim::scenario::parse(&bad, "bad.yaml").is_err(),
            "{what}"
        );
        assert!(!v.is_valid(&yaml(&bad)), "{what} passes the schema");
    }
    // Go durations and quantities are accepted by both.
    let good = text.replacen("horizon: 7d", "horizon: 1h30m", 1);
    assert!(slicesim::scenario::parse(&good, "good.yaml").is_ok());
    assert!(v.is_valid(&yaml(&good)));
}

#[test]
fn the_command_prints_the_schema_or_writes_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, scenario_schema());
    assert_eq!(printed["title"], "slicesim scenario");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["schema", "--out", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, printed);
}
