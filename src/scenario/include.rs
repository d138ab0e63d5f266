//! `include: [FILE, ...]`: a scenario inherits the `model`, `prices` and `gpu_models` sections of
//! other files, typically a calibration written by `slicesim hil calibrate`.
//!
//! Merging happens on the YAML trees: included files are merged in order (a later one wins over
//! an earlier one), then the scenario's own values win over all of them, key by key inside
//! `model` and `prices`; `gpu_models` lists are concatenated. An included file may hold only
//! those three sections (and may not include further files).

use super::schema::Scenario;
use serde_json::{Map, Value};
use std::path::Path;

/// Sections an included file may set.
pub const MERGED: [&str; 3] = ["model", "prices", "gpu_models"];

/// The three mergeable sections of a document, as untyped trees; other keys are ignored.
#[derive(serde::Deserialize, Default)]
struct Sections {
    #[serde(default)]
    model: Option<Value>,
    #[serde(default)]
    prices: Option<Value>,
    #[serde(default)]
    gpu_models: Option<Value>,
}

impl Sections {
    fn into_pairs(self) -> Vec<(String, Value)> {
        [
            ("model", self.model),
            ("prices", self.prices),
            ("gpu_models", self.gpu_models),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
    }
}

/// The scenario in `text` with its includes (relative to `base_dir`) merged in. Only the three
/// merged sections go through untyped trees; the rest of the scenario is parsed as usual.
pub fn merge(text: &str, source: &str, base_dir: &Path) -> Result<Scenario, String> {
    let yaml_err =
        |e: serde_saphyr::Error| format!("{source}: {}", crate::yaml::message_in(&e, source));
    let mut sc: Scenario = serde_saphyr::from_str(text).map_err(yaml_err)?;
    let own: Sections = serde_saphyr::from_str(text).map_err(yaml_err)?;
    let mut base = Map::new();
    for inc in &sc.include {
        let path = base_dir.join(inc);
        let shown = path.display();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{source}: include {inc}: cannot read {shown}: {e}"))?;
        let v: Value = serde_saphyr::from_str(&text).map_err(|e| {
            format!(
                "{shown}: {}",
                crate::yaml::message_in(&e, &shown.to_string())
            )
        })?;
        let Value::Object(map) = v else {
            return Err(format!("{shown}: an included file must be a mapping"));
        };
        for (k, v) in map {
            if !MERGED.contains(&k.as_str()) {
                return Err(format!(
                    "{shown}: `{k}` cannot be included (an included file may set only {})",
                    MERGED.join(", ")
                ));
            }
            merge_key(&mut base, k, v);
        }
    }
    for (k, v) in own.into_pairs() {
        merge_key(&mut base, k, v);
    }
    let err = |e: serde_json::Error| format!("{source} (with its includes merged): {e}");
    if let Some(v) = base.remove("model") {
        sc.model = serde_json::from_value(v).map_err(err)?;
    }
    if let Some(v) = base.remove("prices") {
        sc.prices = serde_json::from_value(v).map_err(err)?;
    }
    if let Some(v) = base.remove("gpu_models") {
        sc.gpu_models = serde_json::from_value(v).map_err(err)?;
    }
    Ok(sc)
}

/// Puts `v` under `k`, merging mappings key by key and appending lists (`over` wins).
fn merge_key(into: &mut Map<String, Value>, k: String, v: Value) {
    match (into.get_mut(&k), v) {
        (Some(Value::Object(old)), Value::Object(new)) => {
            for (k2, v2) in new {
                merge_key(old, k2, v2);
            }
        }
        (Some(Value::Array(old)), Value::Array(new)) if k == "gpu_models" => old.extend(new),
        (_, v) => {
            into.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = "
name: inc
include: [cal.yaml]
horizon: 1h
model:
  overhead_max: 0.3
pools:
  - {name: p, gpu: H100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: n, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 1}
workload: {kind: synthetic, rate_per_hour: 1, mix: [{class: c, weight: 1, duration: {median: 1h, sigma: 0.5}}]}
";

    #[test]
    fn included_model_is_merged_and_the_scenario_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cal.yaml"),
            "# calibration\nmodel:\n  overhead_per_context: 0.03\n  overhead_max: 0.25\n  \
             mig_efficiency: 0.9\n  gpu_speed: {H100-80GB: 2.1}\nprices:\n  per_gpu_hour: {H100-80GB: 5}\n",
        )
        .unwrap();
        let sc = merge(SCENARIO, "s.yaml", dir.path()).unwrap();
        assert_eq!(sc.model.overhead_per_context, 0.03);
        assert_eq!(sc.model.overhead_max, 0.3, "the scenario's own value wins");
        assert_eq!(sc.model.mig_efficiency, 0.9);
        assert_eq!(sc.model.gpu_speed["H100-80GB"], 2.1);
        assert_eq!(sc.prices.per_gpu_hour["H100-80GB"], 5.0);
        assert_eq!(sc.model.oom_after.ms(), 30_000, "defaults still apply");
    }

    #[test]
    fn included_file_may_only_set_model_prices_and_gpu_models() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cal.yaml"), "name: other\n").unwrap();
        let e = merge(SCENARIO, "s.yaml", dir.path()).unwrap_err();
        assert!(e.contains("`name` cannot be included"), "{e}");
        let e = merge(SCENARIO, "s.yaml", Path::new("/nonexistent")).unwrap_err();
        assert!(e.contains("include cal.yaml: cannot read"), "{e}");
    }
}
