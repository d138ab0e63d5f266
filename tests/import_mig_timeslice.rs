//! `slicesim import` of time-sliced MIG instances (docs/SCENARIO.md, "Sharing"): a
//! device-plugin ConfigMap of our own whose `sharing.timeSlicing.resources` replicate
//! `nvidia.com/mig-1g.10gb`, and GPU feature discovery's `nvidia.com/mig-<profile>.replicas`
//! label, give the MIG pool `replicas: {1g.10gb: N}` (no longer dropped); the scenario
//! validates and runs with the instances time-sliced.

mod common;
use common::import::{errors_of, inline, run_imported};
use slicesim::domain::{MigStrategy, Sharing};
use slicesim::scenario::k8s::{ImportInputs, Input, import, render};
use std::collections::BTreeMap;

const CM: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: device-plugin-configs
data:
  mig-ts4: |-
    version: v1
    flags:
      migStrategy: mixed
    sharing:
      timeSlicing:
        resources:
          - name: nvidia.com/mig-1g.10gb
            replicas: 4
          - name: nvidia.com/mig-3g.40gb
            replicas: 2
"#;

/// An A100-80GB node with every GPU cut into seven 1g.10gb (`all-1g.10gb`), advertising
/// `advertised` x nvidia.com/mig-1g.10gb on its 8 GPUs.
fn node(extra_labels: &str, advertised: u64) -> Input {
    inline(
        "nodes.json",
        &format!(
            "{{\"kind\": \"List\", \"items\": [\n{{\"kind\": \"Node\", \"metadata\": {{\"name\": \"m1\", \"labels\": {{\"nvidia.com/gpu.product\": \"NVIDIA-A100-SXM4-80GB\", \"nvidia.com/gpu.count\": \"8\", \"nvidia.com/mig.config\": \"all-1g.10gb\", \"nvidia.com/mig.strategy\": \"mixed\"{extra_labels}}}}}, \"status\": {{\"allocatable\": {{\"nvidia.com/mig-1g.10gb\": \"{advertised}\"}}}}}}\n]}}\n"
        ),
    )
}

fn expected(replicas: u32) -> Sharing {
    Sharing::Mig {
        strategy: MigStrategy::Mixed,
        layout: vec!["1g.10gb".to_string(); 7],
        replicas: BTreeMap::from([("1g.10gb".to_string(), replicas)]),
    }
}

#[test]
fn device_plugin_time_slicing_of_mig_devices_becomes_instance_replicas() {
    // 8 GPUs x 7 instances x 4 replicas = 224 devices advertised: what the config gives.
    let inputs = ImportInputs {
        nodes: Some(node(
            ", \"nvidia.com/device-plugin.config\": \"mig-ts4\"",
            224,
        )),
        device_plugin: Some(inline("dp.yaml", CM)),
        ..Default::default()
    };
    let (fragment, report) = import(&inputs).unwrap_or_else(|e| panic!("import fails: {e}"));
    // The 3g.40gb entry is for other layouts: skipped on this node.
    assert_eq!(fragment.pools[0].sharing, expected(4));
    let all = report.warnings.join("\n");
    assert!(
        !all.contains("not supported") && !all.contains("allocatable differs"),
        "{all}"
    );
    let text = render(&fragment, &inputs, "imported", true);
    assert_eq!(errors_of(&text), Vec::<String>::new());
    let summary = run_imported(&text);
    assert_eq!(summary.pools[0].sharing, "mig 7x1g.10gb(x4)");
}

#[test]
fn gpu_feature_discovery_replicas_label_without_a_device_plugin_file() {
    let inputs = ImportInputs {
        nodes: Some(node(", \"nvidia.com/mig-1g.10gb.replicas\": \"2\"", 112)),
        ..Default::default()
    };
    let (fragment, report) = import(&inputs).unwrap_or_else(|e| panic!("import fails: {e}"));
    assert_eq!(fragment.pools[0].sharing, expected(2));
    let all = report.warnings.join("\n");
    assert!(!all.contains("allocatable differs"), "{all}");
}
