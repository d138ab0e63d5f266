//! `slicesim import`: the example configuration in `scenarios/k8s/` becomes a scenario that
//! validates and runs; each file kind is imported when valid and refused, with its file and
//! line, when malformed; unknown and unsupported fields are reported.

mod common;
use common::import::{errors_of, inline, run_imported};
use slicesim::domain::{MigStrategy, Sharing};
use slicesim::scenario;
use slicesim::scenario::k8s::{ImportInputs, Input, import, render, skeleton};
use std::path::Path;
use std::process::Command;

const DIR: &str = "scenarios/k8s";

fn file(name: &str) -> Input {
    Input::read(&Path::new(DIR).join(name)).expect("example file reads")
}

fn example_inputs() -> ImportInputs {
    ImportInputs {
        nodes: Some(file("nodes.json")),
        device_plugin: Some(file("device-plugin-config.yaml")),
        device_plugin_default: None,
        mig_parted: Some(file("mig-parted-config.yaml")),
        manifests: vec![file("cluster-policy.yaml")],
    }
}

#[test]
fn the_example_directory_imports_into_a_scenario_that_validates_and_runs() {
    let inputs = example_inputs();
    let (fragment, report) = import(&inputs).unwrap_or_else(|e| panic!("import fails: {e}"));

    // Pools: two time-sliced A100 nodes, two MIG A100 nodes with different configs, two
    // time-sliced H100 nodes; the CPU node is left out.
    let names: Vec<&str> = fragment.pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "a100-80gb-ts4",
            "a100-80gb-inference-mixed",
            "a100-80gb-all-1g.10gb",
            "h100-80gb-ts2"
        ]
    );
    let p = &fragment.pools;
    assert_eq!((p[0].nodes, p[0].gpus_per_node), (2, 8));
    assert!(matches!(
        p[0].sharing,
        Sharing::TimeSlicing {
            replicas: 4,
            rename_by_default: false,
            fail_requests_greater_than_one: true,
            ..
        }
    ));
    assert_eq!(
        p[1].sharing,
        Sharing::Mig {
            strategy: MigStrategy::Mixed,
            layout: ["3g.40gb", "2g.20gb", "2g.20gb"].map(String::from).to_vec(),
            replicas: Default::default()
        }
    );
    assert_eq!(p[1].taints[0].key, "dedicated");
    assert!(matches!(&p[2].sharing, Sharing::Mig { layout, .. } if layout.len() == 7));
    assert!(matches!(
        p[3].sharing,
        Sharing::TimeSlicing {
            replicas: 2,
            rename_by_default: true,
            ..
        }
    ));
    assert_eq!(p[3].gpu, "H100-80GB");
    assert_eq!(fragment.pool_nodes[3], ["gpu-h100-01", "gpu-h100-02"]);

    // Priority classes and quotas.
    assert_eq!(fragment.priority_classes.len(), 4);
    assert!(
        fragment
            .priority_classes
            .iter()
            .any(|c| c.name == "research" && c.global_default)
    );
    let research = fragment
        .namespaces
        .iter()
        .find(|n| n.name == "research")
        .unwrap();
    assert_eq!(research.quota.get("requests.nvidia.com/gpu"), Some(&48));

    // Reported, not dropped: CPU quotas, the CPU node, noisy labels.
    let all = report.warnings.join("\n");
    assert!(
        all.contains("ignored: requests.cpu, requests.memory"),
        "{all}"
    );
    assert!(
        all.contains("without GPUs not imported: cpu-system-01"),
        "{all}"
    );
    assert!(all.contains("node labels dropped"), "{all}");
    assert!(
        !all.contains("unknown field"),
        "the examples use only known fields: {all}"
    );

    // The complete scenario validates with no errors, and is the committed example.
    let text = render(&fragment, &inputs, "imported", true);
    assert_eq!(errors_of(&text), Vec::<String>::new());
    let committed = std::fs::read_to_string(Path::new(DIR).join("imported.yaml")).unwrap();
    assert_eq!(
        text, committed,
        "scenarios/k8s/imported.yaml is stale: regenerate it with the command in scenarios/k8s/README.md"
    );
    assert_eq!(
        scenario::parse(&text, "x").unwrap(),
        skeleton(&fragment, "imported")
    );

    // And it runs.
    let summary = run_imported(&text);
    assert_eq!(summary.pools.len(), 4);
}

#[test]
fn the_fragment_pastes_into_a_stub_scenario() {
    let inputs = example_inputs();
    let (fragment, _) = import(&inputs).unwrap();
    let text = render(&fragment, &inputs, "imported", false);
    assert!(!text.contains("\nclasses:") && !text.contains("workload:"));
    let stub = format!(
        "name: pasted\nhorizon: 1d\n{text}\nclasses:\n  - {{name: c, kind: batch, namespace: research, request: {{kind: gpu, count: 1}}, u: 0.5, d: 0.5, mem_gib: 8, pools: [a100-80gb-ts4]}}\nworkload:\n  kind: synthetic\n  rate_per_hour: 1\n  mix: [{{class: c, weight: 1, duration: {{median: 1h, sigma: 0.5}}}}]\n"
    );
    assert_eq!(errors_of(&stub), Vec::<String>::new());
}

fn import_err(inputs: ImportInputs) -> String {
    match import(&inputs) {
        Ok(_) => panic!("import should fail"),
        Err(e) => e.errors.join("\n"),
    }
}

fn warnings(inputs: ImportInputs) -> String {
    match import(&inputs) {
        Ok((_, r)) => r.warnings.join("\n"),
        Err(e) => panic!("import fails: {e}"),
    }
}

#[test]
fn device_plugin_files_valid_and_malformed() {
    let ok = ImportInputs {
        device_plugin: Some(file("device-plugin-config.yaml")),
        ..Default::default()
    };
    assert!(import(&ok).is_ok());

    let bad_yaml = ImportInputs {
        device_plugin: Some(inline(
            "dp.yaml",
            "version: v1\nsharing:\n  timeSlicing: [\n",
        )),
        ..Default::default()
    };
    assert!(import_err(bad_yaml).starts_with("dp.yaml: not valid YAML:"));

    let bad_version = ImportInputs {
        device_plugin: Some(inline(
            "dp.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  any: |-\n    version: v2\n",
        )),
        ..Default::default()
    };
    assert_eq!(
        import_err(bad_version),
        "dp.yaml:5: data.any.version: unsupported version \"v2\" (expected v1)"
    );

    let unknown = ImportInputs {
        device_plugin: Some(inline(
            "dp.yaml",
            "version: v1\nflags:\n  migStrategy: single\n  turbo: true\nsharing:\n  mps:\n    resources: []\n",
        )),
        ..Default::default()
    };
    let w = warnings(unknown);
    assert!(
        w.contains("dp.yaml:4: flags.turbo: unknown field, not imported"),
        "{w}"
    );
    assert!(
        w.contains("dp.yaml:6: sharing.mps: no resources: nothing is shared with MPS"),
        "{w}"
    );
}

#[test]
fn mig_parted_files_valid_and_malformed() {
    let ok = ImportInputs {
        mig_parted: Some(file("mig-parted-config.yaml")),
        ..Default::default()
    };
    assert!(import(&ok).is_ok());

    let bad_yaml = ImportInputs {
        mig_parted: Some(inline("mig.yaml", "version: v1\nmig-configs:\n  a: {\n")),
        ..Default::default()
    };
    assert!(import_err(bad_yaml).starts_with("mig.yaml: not valid YAML:"));

    let bad_version = ImportInputs {
        mig_parted: Some(inline("mig.yaml", "version: v0\nmig-configs: {}\n")),
        ..Default::default()
    };
    assert_eq!(
        import_err(bad_version),
        "mig.yaml:1: version: unsupported version \"v0\" (expected v1)"
    );

    // The seed's option 3: checked on its own (no nodes), an invalid layout is an error that
    // names the memory slices.
    let option3 = "version: v1\nmig-configs:\n  option3:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"3g.40gb\": 2, \"1g.10gb\": 1}\n      spare: 1\n";
    let bad_layout = ImportInputs {
        mig_parted: Some(inline("mig.yaml", option3)),
        ..Default::default()
    };
    let e = match import(&bad_layout) {
        Ok(_) => panic!("invalid layout accepted"),
        Err(e) => e,
    };
    assert!(
        e.errors[0].starts_with("mig.yaml:4: mig-configs.option3[0]: invalid layout on every model that has these profiles: cannot place 3g.40gb, 3g.40gb, 1g.10gb"),
        "{e}"
    );
    assert!(e.errors[0].contains("all 8 memory slices are taken"), "{e}");
    assert_eq!(
        e.warnings,
        ["mig.yaml:7: mig-configs.option3[0].spare: unknown field, not imported"]
    );
}

#[test]
fn manifests_valid_and_malformed() {
    let ok = ImportInputs {
        manifests: vec![file("cluster-policy.yaml")],
        ..Default::default()
    };
    let (fragment, _) = import(&ok).unwrap();
    assert!(fragment.pools.is_empty());
    assert_eq!(fragment.namespaces.len(), 3);

    let bad_yaml = ImportInputs {
        manifests: vec![inline("k8s.yaml", "kind: PriorityClass\n---\nvalue: [1\n")],
        ..Default::default()
    };
    assert!(import_err(bad_yaml).starts_with("k8s.yaml: not valid YAML:"));

    let bad_value = ImportInputs {
        manifests: vec![inline(
            "k8s.yaml",
            "kind: ResourceQuota\nmetadata: {name: q, namespace: ml}\nspec:\n  hard:\n    requests.nvidia.com/gpu: lots\n",
        )],
        ..Default::default()
    };
    assert_eq!(
        import_err(bad_value),
        "k8s.yaml:5: [doc 1].spec.hard.requests.nvidia.com/gpu: \"lots\" is not a whole number of devices"
    );

    let unknown = ImportInputs {
        manifests: vec![inline(
            "k8s.yaml",
            "kind: PriorityClass\nmetadata: {name: p}\nvalue: 5\nweight: 3\n---\nkind: ConfigMap\nmetadata: {name: c}\n",
        )],
        ..Default::default()
    };
    let w = warnings(unknown);
    assert!(
        w.contains("k8s.yaml:4: [doc 1].weight: unknown field, not imported"),
        "{w}"
    );
    assert!(
        w.contains("k8s.yaml:6: [doc 2]: kind ConfigMap (c) is not imported"),
        "{w}"
    );
}

#[test]
fn node_files_valid_and_malformed() {
    let ok = ImportInputs {
        nodes: Some(file("nodes.json")),
        ..Default::default()
    };
    // Without the config files the sharing is read from the labels and advertised resources.
    let (fragment, report) = import(&ok).unwrap();
    assert_eq!(fragment.pools.len(), 4);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("no device-plugin file was given"))
    );

    let bad_json = ImportInputs {
        nodes: Some(inline("nodes.json", "{\"kind\": \"List\", \"items\": [}\n")),
        ..Default::default()
    };
    assert!(import_err(bad_json).starts_with("nodes.json: not valid JSON:"));

    let t4 = "{\"kind\": \"List\", \"items\": [\n {\"kind\": \"Node\", \"metadata\": {\"name\": \"t4-1\", \"labels\": {\"nvidia.com/gpu.product\": \"Tesla-P100-PCIE-16GB\", \"nvidia.com/gpu.count\": \"4\"}}, \"status\": {\"allocatable\": {\"nvidia.com/gpu\": \"4\"}}}\n]}\n";
    let unknown_product = ImportInputs {
        nodes: Some(inline("nodes.json", t4)),
        ..Default::default()
    };
    let e = match import(&unknown_product) {
        Ok(_) => panic!("no pool should be imported"),
        Err(e) => e,
    };
    assert_eq!(
        e.errors,
        ["nodes.json: no GPU node could be imported (see the warnings)"]
    );
    assert!(
        e.warnings[0].contains("GPU product Tesla-P100-PCIE-16GB is not in the catalog"),
        "{:?}",
        e.warnings
    );
    assert!(e.warnings[0].contains("Add the model under gpu_models"));

    // A node that selects a MIG config whose layout cannot be placed.
    let option3 = "version: v1\nmig-configs:\n  option3:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"3g.40gb\": 2, \"1g.10gb\": 1}\n";
    let node = "{\"kind\": \"List\", \"items\": [\n {\"kind\": \"Node\", \"metadata\": {\"name\": \"m1\", \"labels\": {\"nvidia.com/gpu.product\": \"NVIDIA-H100-80GB-HBM3\", \"nvidia.com/gpu.count\": \"8\", \"nvidia.com/mig.config\": \"option3\"}}}\n]}\n";
    let bad_layout = ImportInputs {
        nodes: Some(inline("nodes.json", node)),
        mig_parted: Some(inline("mig.yaml", option3)),
        ..Default::default()
    };
    let e = import_err(bad_layout);
    assert!(e.starts_with("nodes.json:2: node m1: nvidia.com/mig.config=option3 on H100-80GB: config option3: cannot place"), "{e}");
    assert!(e.contains("memory slices 4-7"), "{e}");
}

#[test]
fn nothing_to_import_is_an_error() {
    assert!(import_err(ImportInputs::default()).starts_with("nothing to import"));
}

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

#[test]
fn the_command_writes_the_scenario_and_prints_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.yaml");
    let (code, stdout, stderr) = slicesim(&[
        "import",
        "--nodes",
        "scenarios/k8s/nodes.json",
        "--device-plugin",
        "scenarios/k8s/device-plugin-config.yaml",
        "--mig-parted",
        "scenarios/k8s/mig-parted-config.yaml",
        "--manifests",
        "scenarios/k8s/cluster-policy.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("warning: scenarios/k8s/nodes.json: 1 node(s) without GPUs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("imported 4 pool(s) from 6 node(s)"),
        "{stderr}"
    );
    let (code, stdout, stderr) = slicesim(&["validate", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("valid"));

    // A malformed file: exit 1, the file and line on stderr.
    let bad = dir.path().join("mig.yaml");
    std::fs::write(
        &bad,
        "version: v1\nmig-configs:\n  x:\n    - devices: all\n      mig-enabled: maybe\n",
    )
    .unwrap();
    let (code, _, stderr) = slicesim(&["import", "--mig-parted", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "mig.yaml:5: mig-configs.x[0].mig-enabled: expected true or false, found \"maybe\""
        ),
        "{stderr}"
    );

    // An unreadable file.
    let (code, _, stderr) = slicesim(&["import", "--nodes", "no/such/nodes.json"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no/such/nodes.json: cannot read"),
        "{stderr}"
    );
}
