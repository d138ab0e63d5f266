//! `slicesim import` of MPS sharing (docs/SCENARIO.md, "Sharing"): a device-plugin ConfigMap of
//! our own with `sharing.mps`, and GPU feature discovery labels
//! (`nvidia.com/gpu.sharing-strategy=mps`, `nvidia.com/gpu.replicas`), become
//! `{kind: mps, replicas: N}` pools without the old "not supported" warning; the scenario
//! validates and runs.

mod common;
use common::import::{errors_of, inline, run_imported};
use slicesim::domain::Sharing;
use slicesim::scenario::k8s::{ImportInputs, Input, import, render};

/// A device-plugin ConfigMap as the GPU operator takes it: one MPS config, one time-slicing.
const CM: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: device-plugin-configs
  namespace: gpu-operator
data:
  h100-mps4: |-
    version: v1
    flags:
      migStrategy: none
    sharing:
      mps:
        renameByDefault: false
        resources:
          - name: nvidia.com/gpu
            replicas: 4
  a100-ts2: |-
    version: v1
    sharing:
      timeSlicing:
        resources:
          - name: nvidia.com/gpu
            replicas: 2
"#;

fn node(name: &str, product: &str, labels: &str, gpu: u64) -> String {
    format!(
        "{{\"kind\": \"Node\", \"metadata\": {{\"name\": \"{name}\", \"labels\": {{\"nvidia.com/gpu.product\": \"{product}\", \"nvidia.com/gpu.count\": \"8\"{labels}}}}}, \"status\": {{\"allocatable\": {{\"nvidia.com/gpu\": \"{gpu}\"}}}}}}"
    )
}

fn nodes(items: &[String]) -> Input {
    inline(
        "nodes.json",
        &format!(
            "{{\"kind\": \"List\", \"items\": [\n{}\n]}}\n",
            items.join(",\n")
        ),
    )
}

#[test]
fn a_device_plugin_mps_config_becomes_an_mps_pool_that_runs() {
    let inputs = ImportInputs {
        nodes: Some(nodes(&[
            node(
                "h1",
                "NVIDIA-H100-80GB-HBM3",
                ", \"nvidia.com/device-plugin.config\": \"h100-mps4\"",
                32,
            ),
            node(
                "h2",
                "NVIDIA-H100-80GB-HBM3",
                ", \"nvidia.com/device-plugin.config\": \"h100-mps4\"",
                32,
            ),
            node(
                "a1",
                "NVIDIA-A100-SXM4-80GB",
                ", \"nvidia.com/device-plugin.config\": \"a100-ts2\"",
                16,
            ),
        ])),
        device_plugin: Some(inline("dp.yaml", CM)),
        ..Default::default()
    };
    let (fragment, report) = import(&inputs).unwrap_or_else(|e| panic!("import fails: {e}"));
    let mps: Vec<_> = fragment
        .pools
        .iter()
        .filter(|p| p.sharing == Sharing::Mps { replicas: 4 })
        .collect();
    assert_eq!(mps.len(), 1, "{:#?}", fragment.pools);
    assert_eq!((mps[0].nodes, mps[0].gpus_per_node), (2, 8));
    assert_eq!(mps[0].gpu, "H100-80GB");
    let all = report.warnings.join("\n");
    assert!(
        !all.contains("not supported") && !all.contains("MPS"),
        "no MPS warning: {all}"
    );
    // The scenario validates and runs; the pool is named by its mode in the summary.
    let text = render(&fragment, &inputs, "imported", true);
    assert!(text.contains("kind: mps"), "{text}");
    assert_eq!(errors_of(&text), Vec::<String>::new());
    let summary = run_imported(&text);
    assert!(
        summary.pools.iter().any(|p| p.sharing == "mps x4"),
        "{:?}",
        summary.pools.iter().map(|p| &p.sharing).collect::<Vec<_>>()
    );
}

#[test]
fn gpu_feature_discovery_labels_give_mps_without_a_device_plugin_file() {
    let labels =
        ", \"nvidia.com/gpu.sharing-strategy\": \"mps\", \"nvidia.com/gpu.replicas\": \"2\"";
    let inputs = ImportInputs {
        nodes: Some(nodes(&[node("h1", "NVIDIA-H100-80GB-HBM3", labels, 16)])),
        ..Default::default()
    };
    let (fragment, report) = import(&inputs).unwrap_or_else(|e| panic!("import fails: {e}"));
    assert_eq!(fragment.pools[0].sharing, Sharing::Mps { replicas: 2 });
    let all = report.warnings.join("\n");
    assert!(!all.contains("not supported"), "{all}");
    // Without the replicas label, the advertised resource over the GPU count gives them.
    let labels = ", \"nvidia.com/gpu.sharing-strategy\": \"mps\"";
    let inputs = ImportInputs {
        nodes: Some(nodes(&[node("h1", "NVIDIA-H100-80GB-HBM3", labels, 24)])),
        ..Default::default()
    };
    let (fragment, _) = import(&inputs).unwrap();
    assert_eq!(fragment.pools[0].sharing, Sharing::Mps { replicas: 3 });
}
