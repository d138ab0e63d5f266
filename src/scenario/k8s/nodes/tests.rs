use super::*;
use crate::domain::{MigStrategy, ReplicaAllocation, Sharing};
use crate::scenario::k8s::{device_plugin, mig_parted};

/// One node of a `kubectl get nodes -o json` list, on one line.
fn node(name: &str, labels: &[(&str, &str)], alloc: &[(&str, &str)], taints: &str) -> String {
    let kv = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut labels = labels.to_vec();
    labels.push(("kubernetes.io/hostname", name));
    let mut alloc = alloc.to_vec();
    alloc.insert(0, ("cpu", "64"));
    format!(
        "{{\"kind\": \"Node\", \"metadata\": {{\"name\": \"{name}\", \"labels\": {{{}}}}}, \"spec\": {{\"taints\": [{taints}]}}, \"status\": {{\"allocatable\": {{{}}}}}}}",
        kv(&labels),
        kv(&alloc)
    )
}

fn list(nodes: &[String]) -> Input {
    Input {
        name: "nodes.json".into(),
        text: format!(
            "{{\n\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"items\": [\n{}\n]\n}}\n",
            nodes.join(",\n")
        ),
    }
}

struct Out {
    pools: Vec<ImportedPool>,
    msgs: Messages,
    used: Used,
}

fn run(input: &Input, dp: Option<&DevicePluginConfigs>, mig: Option<&MigPartedFile>) -> Out {
    let mut msgs = Messages::default();
    let mut used = Used::default();
    let pools = import(input, dp, mig, &Catalog::builtin(), &mut used, &mut msgs);
    Out { pools, msgs, used }
}

const H100: (&str, &str) = ("nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3");
const A100: (&str, &str) = ("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB");
const COUNT8: (&str, &str) = ("nvidia.com/gpu.count", "8");

#[test]
fn products_map_to_catalog_models() {
    let cat = Catalog::builtin();
    let m = |p: &str| map_product(p, &cat).map(|m| (m.model, m.mig_profile));
    assert_eq!(m("NVIDIA-A100-SXM4-80GB"), Some(("A100-80GB".into(), None)));
    assert_eq!(m("NVIDIA-A100-80GB-PCIe"), Some(("A100-80GB".into(), None)));
    assert_eq!(
        m("NVIDIA-A100-SXM4-40GB"),
        Some(("A100-SXM4-40GB".into(), None))
    );
    assert_eq!(m("NVIDIA-H100-80GB-HBM3"), Some(("H100-80GB".into(), None)));
    assert_eq!(m("NVIDIA-H100-PCIe"), Some(("H100-PCIe-80GB".into(), None)));
    assert_eq!(m("NVIDIA-H100-NVL"), Some(("H100-NVL-94GB".into(), None)));
    assert_eq!(m("NVIDIA-H200"), Some(("H200-141GB".into(), None)));
    assert_eq!(
        m("NVIDIA-A100-SXM4-80GB-SHARED"),
        Some(("A100-80GB".into(), None))
    );
    assert_eq!(
        m("A100-SXM4-80GB-MIG-3g.40gb"),
        Some(("A100-80GB".into(), Some("3g.40gb".into())))
    );
    assert_eq!(m("H100-80GB"), Some(("H100-80GB".into(), None)));
    // The fleet models of issue 16, by the names GPU feature discovery writes.
    assert_eq!(m("Tesla-T4"), Some(("T4-16GB".into(), None)));
    assert_eq!(m("NVIDIA-L40S"), Some(("L40S-48GB".into(), None)));
    assert_eq!(m("NVIDIA-L4"), Some(("L4-24GB".into(), None)));
    assert_eq!(m("NVIDIA-A30"), Some(("A30-24GB".into(), None)));
    assert_eq!(m("NVIDIA-B200"), Some(("B200-180GB".into(), None)));
    assert_eq!(m("NVIDIA-H20"), Some(("H20-96GB".into(), None)));
    assert_eq!(m("NVIDIA-H800"), Some(("H800-80GB".into(), None)));
    assert_eq!(m("NVIDIA-A800-SXM4-80GB"), Some(("A800-80GB".into(), None)));
    // Exact names, never substrings (issue 15: any name containing H200 was an H200).
    assert_eq!(m("NVIDIA-H200-NVL"), Some(("H200-NVL-141GB".into(), None)));
    assert_eq!(m("NVIDIA-GH200-480GB"), Some(("GH200-480GB".into(), None)));
    assert_eq!(m("NVIDIA-GH200-144G-HBM3e"), None);
    assert_eq!(m("NVIDIA-H200-SXM-141GB-custom"), None);
    // A name without the memory size is no longer guessed from gpu.memory.
    assert!(map_product("NVIDIA-A100-SXM4", &cat).is_none());
    // Approximate matches say so.
    assert!(
        map_product("NVIDIA-A100-PCIE-40GB", &cat)
            .unwrap()
            .note
            .is_some()
    );
}

#[test]
fn unknown_products_are_warned_at_their_line_with_the_nearest_names() {
    let alloc = [("nvidia.com/gpu", "8")];
    let gb = ("nvidia.com/gpu.product", "NVIDIA-GB300");
    let input = list(&[
        node("h1", &[H100, COUNT8], &alloc, ""),
        node("g1", &[gb, COUNT8], &alloc, ""),
    ]);
    let out = run(&input, None, None);
    let w = out
        .msgs
        .warnings
        .iter()
        .find(|w| w.contains("NVIDIA-GB300"))
        .expect("a warning for the unknown product");
    // `file:line: path: message`, the line of node g1, and nearest known names.
    assert!(w.starts_with("nodes.json:6:"), "{w}");
    assert!(
        w.contains(":gpu.product") || w.contains("gpu.product:"),
        "{w}"
    );
    assert!(w.contains("nearest known: "), "{w}");
    assert!(w.contains("node(s) g1 not imported"), "{w}");
}

#[test]
fn identical_nodes_form_one_pool_and_taints_split_pools() {
    let alloc = [("nvidia.com/gpu", "8")];
    let taint = "{\"key\": \"team\", \"value\": \"ml\", \"effect\": \"NoSchedule\"}";
    let input = list(&[
        node("h1", &[H100, COUNT8], &alloc, ""),
        node("h2", &[H100, COUNT8], &alloc, ""),
        node("h3", &[H100, COUNT8], &alloc, taint),
        node("cpu", &[], &[], ""),
    ]);
    let out = run(&input, None, None);
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    assert_eq!(out.pools.len(), 2);
    let p = &out.pools[0];
    assert_eq!(
        (p.spec.name.as_str(), p.spec.nodes, p.spec.gpus_per_node),
        ("h100-80gb-exclusive", 2, 8)
    );
    assert_eq!(p.nodes, vec!["h1", "h2"]);
    assert_eq!(p.spec.sharing, Sharing::Exclusive);
    assert!(!p.spec.labels.contains_key("kubernetes.io/hostname"));
    assert_eq!(
        p.spec
            .labels
            .get("nvidia.com/gpu.product")
            .map(String::as_str),
        Some("NVIDIA-H100-80GB-HBM3")
    );
    let q = &out.pools[1];
    assert_eq!(q.spec.name, "h100-80gb-exclusive-2");
    assert_eq!(q.spec.taints[0].key, "team");
    let all = out.msgs.warnings.join("\n");
    assert!(
        all.contains("1 node(s) without GPUs not imported: cpu"),
        "{all}"
    );
    assert!(all.contains("kubernetes.io/hostname (3 nodes)"), "{all}");
    assert!(all.contains("cpu"), "{all}");
}

fn dp(text: &str) -> DevicePluginConfigs {
    let mut m = Messages::default();
    let input = Input {
        name: "dp.yaml".into(),
        text: text.into(),
    };
    device_plugin::parse(&input, None, &mut m).expect("device-plugin config parses")
}

fn mig(text: &str) -> MigPartedFile {
    let mut m = Messages::default();
    let input = Input {
        name: "mig.yaml".into(),
        text: text.into(),
    };
    mig_parted::parse(&input, &mut m).expect("mig-parted config parses")
}

const DP: &str = "kind: ConfigMap
data:
  default: |-
    version: v1
    flags:
      migStrategy: mixed
  ts3: |-
    version: v1
    sharing:
      timeSlicing:
        renameByDefault: true
        resources:
          - name: nvidia.com/gpu
            replicas: 3
";

#[test]
fn time_slicing_comes_from_the_selected_device_plugin_config() {
    let dp = dp(DP);
    let input = list(&[
        node(
            "a",
            &[A100, COUNT8, ("nvidia.com/device-plugin.config", "ts3")],
            &[("nvidia.com/gpu.shared", "24")],
            "",
        ),
        node("b", &[A100, COUNT8], &[("nvidia.com/gpu", "8")], ""),
    ]);
    let out = run(&input, Some(&dp), None);
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    assert_eq!(out.pools.len(), 2);
    assert_eq!(out.pools[0].spec.name, "a100-80gb-ts3");
    assert_eq!(
        out.pools[0].spec.sharing,
        Sharing::TimeSlicing {
            replicas: 3,
            rename_by_default: true,
            fail_requests_greater_than_one: false,
            allocation: ReplicaAllocation::Distributed
        }
    );
    assert_eq!(out.pools[1].spec.sharing, Sharing::Exclusive);
    assert_eq!(out.used.device_plugin_configs.len(), 2);
    assert!(
        out.msgs
            .warnings
            .iter()
            .all(|w| !w.contains("allocatable differs")),
        "{:?}",
        out.msgs.warnings
    );

    // A label naming a config the ConfigMap lacks is an error that lists the configs.
    let input = list(&[node(
        "a",
        &[A100, COUNT8, ("nvidia.com/device-plugin.config", "ts9")],
        &[],
        "",
    )]);
    let out = run(&input, Some(&dp), None);
    assert_eq!(out.msgs.errors.len(), 1);
    assert!(out.msgs.errors[0].contains("node a: nvidia.com/device-plugin.config=ts9, but dp.yaml has no config ts9 (configs: default, ts3)"), "{}", out.msgs.errors[0]);
}

const MIG: &str = r#"version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false
  inference-mixed:
    - devices: all
      mig-enabled: true
      mig-devices: {"3g.40gb": 1, "2g.20gb": 2}
  option3:
    - devices: all
      mig-enabled: true
      mig-devices: {"3g.40gb": 2, "1g.10gb": 1}
"#;

#[test]
fn mig_layouts_come_from_the_mig_parted_config() {
    let mig = mig(MIG);
    let labels = [
        A100,
        COUNT8,
        ("nvidia.com/mig.config", "inference-mixed"),
        ("nvidia.com/mig.strategy", "mixed"),
    ];
    let alloc = [
        ("nvidia.com/mig-3g.40gb", "8"),
        ("nvidia.com/mig-2g.20gb", "16"),
    ];
    let out = run(&list(&[node("m", &labels, &alloc, "")]), None, Some(&mig));
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    let p = &out.pools[0].spec;
    assert_eq!(p.name, "a100-80gb-inference-mixed");
    assert_eq!(
        p.sharing,
        Sharing::Mig {
            strategy: MigStrategy::Mixed,
            layout: ["3g.40gb", "2g.20gb", "2g.20gb"].map(String::from).to_vec(),
            replicas: Default::default()
        }
    );
    assert!(out.used.mig_configs.contains("inference-mixed"));
    // The node advertises what the layout gives: no mismatch warning.
    assert!(
        out.msgs
            .warnings
            .iter()
            .all(|w| !w.contains("allocatable differs")),
        "{:?}",
        out.msgs.warnings
    );
}

#[test]
fn an_invalid_mig_layout_is_an_error_naming_the_memory_slices() {
    let mig = mig(MIG);
    let labels = [A100, COUNT8, ("nvidia.com/mig.config", "option3")];
    let out = run(&list(&[node("m", &labels, &[], "")]), None, Some(&mig));
    assert!(out.pools.is_empty());
    assert_eq!(out.msgs.errors.len(), 1, "{:?}", out.msgs.errors);
    let e = &out.msgs.errors[0];
    assert!(e.starts_with("nodes.json:5: node m: nvidia.com/mig.config=option3 on A100-80GB: config option3: cannot place"), "{e}");
    assert!(
        e.contains("all 8 memory slices are taken; no placement left for 1g.10gb"),
        "{e}"
    );
}

#[test]
fn stock_config_names_and_advertised_resources_give_layouts_without_a_mig_parted_file() {
    // all-1g.10gb: seven per GPU, from the name.
    let labels = [
        A100,
        COUNT8,
        ("nvidia.com/mig.config", "all-1g.10gb"),
        ("nvidia.com/mig.strategy", "mixed"),
    ];
    let out = run(
        &list(&[node("m", &labels, &[("nvidia.com/mig-1g.10gb", "56")], "")]),
        None,
        None,
    );
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    assert_eq!(
        out.pools[0].spec.sharing,
        Sharing::Mig {
            strategy: MigStrategy::Mixed,
            layout: vec!["1g.10gb".to_string(); 7],
            replicas: Default::default()
        }
    );
    // An unknown config name: the layout is inferred from the advertised MIG resources.
    let labels = [
        A100,
        COUNT8,
        ("nvidia.com/mig.config", "custom"),
        ("nvidia.com/mig.strategy", "mixed"),
    ];
    let alloc = [
        ("nvidia.com/mig-3g.40gb", "8"),
        ("nvidia.com/mig-2g.20gb", "16"),
    ];
    let out = run(&list(&[node("m", &labels, &alloc, "")]), None, None);
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    let Sharing::Mig { layout, .. } = &out.pools[0].spec.sharing else {
        panic!("not MIG");
    };
    assert_eq!(layout, &["2g.20gb", "2g.20gb", "3g.40gb"]);
    assert!(
        out.msgs
            .warnings
            .iter()
            .any(|w| w.contains("inferred from the advertised MIG resources"))
    );
    // Unknown name and nothing advertised: an error asking for the mig-parted file.
    let labels = [A100, COUNT8, ("nvidia.com/mig.config", "custom")];
    let out = run(&list(&[node("m", &labels, &[], "")]), None, None);
    assert!(
        out.msgs.errors[0].contains("give --mig-parted"),
        "{:?}",
        out.msgs.errors
    );
}

#[test]
fn single_strategy_products_give_single_pools() {
    let labels = [
        (
            "nvidia.com/gpu.product",
            "NVIDIA-A100-SXM4-80GB-MIG-1g.10gb",
        ),
        COUNT8,
        ("nvidia.com/mig.strategy", "single"),
    ];
    let out = run(
        &list(&[node("s", &labels, &[("nvidia.com/gpu", "56")], "")]),
        None,
        None,
    );
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    let p = &out.pools[0].spec;
    assert_eq!(p.gpus_per_node, 8);
    assert_eq!(
        p.sharing,
        Sharing::Mig {
            strategy: MigStrategy::Single,
            layout: vec!["1g.10gb".to_string(); 7],
            replicas: Default::default()
        }
    );
}

#[test]
fn unknown_products_unknown_fields_and_transient_taints_are_reported() {
    let t4 = [
        ("nvidia.com/gpu.product", "Tesla-P100-PCIE-16GB"),
        ("nvidia.com/gpu.count", "4"),
    ];
    let unreachable = "{\"key\": \"node.kubernetes.io/unreachable\", \"effect\": \"NoExecute\", \"timeAdded\": \"2025-01-01T00:00:00Z\"}";
    let mut a = node(
        "h1",
        &[H100, COUNT8],
        &[("nvidia.com/gpu", "8")],
        unreachable,
    );
    a = a.replacen(
        "\"spec\": {",
        "\"spec\": {\"unschedulable\": true, \"colour\": \"red\", ",
        1,
    );
    let mut b = node("h2", &[H100, COUNT8], &[("nvidia.com/gpu", "6")], "");
    b = b.replacen("\"spec\": {", "\"spec\": {\"colour\": \"blue\", ", 1);
    let input = list(&[a, b, node("t1", &t4, &[("nvidia.com/gpu", "4")], "")]);
    let out = run(&input, None, None);
    assert!(out.msgs.errors.is_empty(), "{:?}", out.msgs.errors);
    assert_eq!(out.pools.len(), 1);
    assert_eq!(out.pools[0].spec.nodes, 2);
    assert!(out.pools[0].spec.taints.is_empty());
    let all = out.msgs.warnings.join("\n");
    assert!(
        all.contains(
            "nodes.json:5: items[*].spec.colour: unknown field, not imported (on 2 nodes)"
        ),
        "{all}"
    );
    assert!(
        all.contains("GPU product Tesla-P100-PCIE-16GB is not in the catalog"),
        "{all}"
    );
    assert!(
        all.contains("node(s) t1 not imported. Add the model under gpu_models"),
        "{all}"
    );
    assert!(
        all.contains(
            "node h1: taint node.kubernetes.io/unreachable:NoExecute is set by a controller"
        ),
        "{all}"
    );
    assert!(all.contains("node h1: cordoned"), "{all}");
    assert!(all.contains("node h2: allocatable differs from what the configuration gives (nvidia.com/gpu: 6 (expected 8))"), "{all}");
}

#[test]
fn time_slicing_is_inferred_from_feature_discovery_labels() {
    let labels = [
        A100,
        COUNT8,
        ("nvidia.com/gpu.replicas", "4"),
        ("nvidia.com/gpu.sharing-strategy", "time-slicing"),
    ];
    let out = run(
        &list(&[node("a", &labels, &[("nvidia.com/gpu", "32")], "")]),
        None,
        None,
    );
    assert!(matches!(
        out.pools[0].spec.sharing,
        Sharing::TimeSlicing {
            replicas: 4,
            rename_by_default: false,
            ..
        }
    ));
    assert!(
        out.msgs
            .warnings
            .iter()
            .any(|w| w.contains("time-slicing (4 replicas) inferred"))
    );
}

#[test]
fn malformed_node_files_are_errors_with_positions() {
    let bad = Input {
        name: "nodes.json".into(),
        text: "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Node\",}\n  ]\n}\n"
            .into(),
    };
    let out = run(&bad, None, None);
    assert!(
        out.msgs.errors[0].starts_with("nodes.json: not valid JSON: trailing comma at line 4"),
        "{:?}",
        out.msgs.errors
    );
    let wrong = Input {
        name: "nodes.yaml".into(),
        text: "kind: Pod\nmetadata: {name: x}\n".into(),
    };
    let out = run(&wrong, None, None);
    assert_eq!(
        out.msgs.errors,
        vec![
            "nodes.yaml:1: kind: expected a List of nodes (kubectl get nodes -o json) or a Node, found kind Pod"
        ]
    );
    let bad_labels = Input {
        name: "nodes.json".into(),
        text: "{\"kind\": \"List\", \"items\": [\n{\"kind\": \"Node\", \"metadata\": {\"name\": \"x\", \"labels\": [\"gpu\"]}}\n]}\n".into(),
    };
    let out = run(&bad_labels, None, None);
    assert_eq!(
        out.msgs.errors,
        vec!["nodes.json:2: items[0].metadata.labels: expected a mapping, found a list"]
    );
    let bad_taint = list(&[node(
        "h",
        &[H100],
        &[("nvidia.com/gpu", "8")],
        "{\"key\": \"k\", \"effect\": \"Sometimes\"}",
    )]);
    let out = run(&bad_taint, None, None);
    assert!(
        out.msgs.errors[0].contains("taint effect \"Sometimes\" is not NoSchedule"),
        "{:?}",
        out.msgs.errors
    );
}

#[test]
fn a_corrupted_gpu_count_is_refused_naming_the_label_and_the_limit() {
    // One H100 node labelled with 10^9 GPUs (advertising 8): refused before anything is built
    // per GPU; the 8-GPU node beside it still forms its pool.
    let huge = [H100, ("nvidia.com/gpu.count", "1000000000")];
    let input = list(&[
        node("bad", &huge, &[("nvidia.com/gpu", "8")], ""),
        node("good", &[H100, COUNT8], &[("nvidia.com/gpu", "8")], ""),
    ]);
    let out = run(&input, None, None);
    let all = out.msgs.errors.join("\n");
    assert!(
        all.contains("nvidia.com/gpu.count is 1000000000, more than the limit of 64"),
        "{all}"
    );
    assert!(all.contains("node bad"), "{all}");
    assert_eq!(out.pools.len(), 1);
    assert_eq!(out.pools[0].spec.nodes, 1);
    assert_eq!(out.pools[0].spec.gpus_per_node, 8);
}

#[test]
fn a_corrupted_gpu_count_with_a_mig_parted_config_is_refused_at_once() {
    // The mig-parted config is resolved GPU by GPU: with 10^9 GPUs that never ended (the
    // fuzzing campaign's `import --nodes ... --mig-parted ...` timeout). Refused first now.
    let mig = mig(MIG);
    let labels = [
        A100,
        ("nvidia.com/gpu.count", "1000000000"),
        ("nvidia.com/mig.config", "inference-mixed"),
        ("nvidia.com/mig.strategy", "mixed"),
    ];
    let out = run(&list(&[node("m", &labels, &[], "")]), None, Some(&mig));
    let all = out.msgs.errors.join("\n");
    assert!(
        all.contains("nvidia.com/gpu.count is 1000000000, more than the limit of 64"),
        "{all}"
    );
    assert!(out.pools.is_empty());
}
