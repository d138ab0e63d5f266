//! Issue 16 item 1: mig-parted configs as NVIDIA ships them. `device-filter` is evaluated
//! against the node's PCI device IDs; bare files, ConfigMaps and multi-document manifests are
//! read; NVIDIA's stock `config-default.yaml` (NVIDIA/mig-parted) and the GPU operator's
//! default ConfigMap (NVIDIA/gpu-operator) import for every catalog model. The stock files are
//! read from a local mirror when present (`SLICESIM_NVIDIA_MIRRORS`, default `/work/.mirror`,
//! holding `NVIDIA+mig-parted/repo` and `NVIDIA+gpu-operator/repo` git directories); the tests
//! that need them say so and pass when the mirror is absent. Our own fixtures in
//! `tests/fixtures/fleet/` reproduce their structure.

use slicesim::catalog::Catalog;
use slicesim::scenario::k8s::mig_parted::{MigPartedFile, MigSetting, parse};
use slicesim::scenario::k8s::tree::Messages;
use slicesim::scenario::k8s::{ImportInputs, Input, import};
use std::path::Path;
use std::process::Command;

const FIXTURES: &str = "tests/fixtures/fleet";

fn fixture(name: &str) -> Input {
    Input::read(&Path::new(FIXTURES).join(name)).expect("fixture reads")
}

fn parsed(input: &Input) -> MigPartedFile {
    let mut m = Messages::default();
    let f = parse(input, &mut m).unwrap_or_else(|| panic!("{:?}", m.errors));
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    f
}

fn layout(f: &MigPartedFile, config: &str, model: &str) -> Result<MigSetting, String> {
    let c = Catalog::builtin();
    let m = c.get(model).unwrap();
    f.get(config)
        .unwrap_or_else(|| panic!("config {config}"))
        .resolve(m, 8, &mut Vec::new())
}

fn n_of(profile: &str, n: usize) -> MigSetting {
    MigSetting::Layout(vec![profile.to_string(); n])
}

#[test]
fn device_filter_picks_the_entry_of_the_nodes_gpu() {
    let f = parsed(&fixture("mig-manager.yaml"));
    // One config name, two entries: seven 1g.10gb on an A100-80GB, four on an A100-40GB
    // (where 1g.10gb is the double-memory 1g profile, at most 4 per GPU).
    assert_eq!(layout(&f, "small", "A100-80GB"), Ok(n_of("1g.10gb", 7)));
    assert_eq!(
        layout(&f, "small", "A100-SXM4-40GB"),
        Ok(n_of("1g.10gb", 4))
    );
    // The GB300 entry (7 x 1g.35gb) does not apply to an H200 or an H200 NVL.
    assert_eq!(
        layout(&f, "h200-quarter", "H200-141GB"),
        Ok(n_of("1g.35gb", 4))
    );
    assert_eq!(
        layout(&f, "h200-quarter", "H200-NVL-141GB"),
        Ok(n_of("1g.35gb", 4))
    );
    // A model no entry admits is an error naming its PCI IDs.
    let e = layout(&f, "small", "H100-80GB").unwrap_err();
    assert!(
        e.contains("no entry whose device-filter admits H100-80GB"),
        "{e}"
    );
    assert!(e.contains("0x233010DE"), "{e}");
    // balanced: A30, GH200 and B200 each get their own entry.
    let names = |s: MigSetting| match s {
        MigSetting::Layout(l) => l.join(" "),
        MigSetting::Disabled => "off".into(),
    };
    assert_eq!(
        layout(&f, "balanced", "A30-24GB").map(names),
        Ok("1g.6gb 1g.6gb 2g.12gb".into())
    );
    assert_eq!(
        layout(&f, "balanced", "GH200-480GB").map(names),
        Ok("1g.12gb 1g.12gb 2g.24gb 3g.48gb".into())
    );
    assert_eq!(
        layout(&f, "balanced", "B200-180GB").map(names),
        Ok("1g.23gb 1g.23gb 2g.45gb 3g.90gb".into())
    );
}

#[test]
fn a_multi_document_manifest_with_a_config_map_imports_alone_and_with_nodes() {
    // Alone: every entry is checked against the models its device-filter names; the GB300
    // entry is listed as not checked, never an error.
    let inputs = ImportInputs {
        mig_parted: Some(fixture("mig-manager.yaml")),
        ..ImportInputs::default()
    };
    let (_, report) = import(&inputs).unwrap_or_else(|e| panic!("{e}"));
    let all = report.warnings.join("\n");
    assert!(all.contains("GB300 (0x31C2)"), "{all}");
    // With GPU feature discovery nodes of our own.
    let inputs = ImportInputs {
        nodes: Some(fixture("nodes.json")),
        mig_parted: Some(fixture("mig-manager.yaml")),
        ..ImportInputs::default()
    };
    let (fragment, report) = import(&inputs).unwrap_or_else(|e| panic!("{e}"));
    let pools: Vec<(String, String, u32)> = fragment
        .pools
        .iter()
        .map(|p| (p.name.clone(), p.gpu.clone(), p.gpus_per_node))
        .collect();
    let has = |gpu: &str| pools.iter().any(|(_, g, _)| g == gpu);
    for gpu in [
        "A100-80GB",
        "A100-SXM4-40GB",
        "H200-141GB",
        "H200-NVL-141GB",
        "A30-24GB",
        "GH200-480GB",
        "B200-180GB",
        "L4-24GB",
        "L40S-48GB",
        "T4-16GB",
    ] {
        assert!(has(gpu), "{gpu} missing from {pools:?}");
    }
    let mig_layout = |gpu: &str| {
        let p = fragment.pools.iter().find(|p| p.gpu == gpu).unwrap();
        match &p.sharing {
            slicesim::domain::Sharing::Mig { layout, .. } => layout.len(),
            other => panic!("{gpu}: {other:?}"),
        }
    };
    // Issue 16: with nodes, A100-80GB all-1g.10gb was 4 instances (the 40GB entry won).
    assert_eq!(mig_layout("A100-80GB"), 7);
    assert_eq!(mig_layout("A100-SXM4-40GB"), 4);
    assert_eq!(mig_layout("H200-141GB"), 4);
    // No warning says the advertised count disagrees with the layout.
    let all = report.warnings.join("\n");
    assert!(!all.contains("advertises"), "{all}");
    // The unknown GB300 node is warned about with its line and the nearest names.
    assert!(
        all.contains("GPU product NVIDIA-GB300 is not in the catalog"),
        "{all}"
    );
}

#[test]
fn bad_device_filters_are_errors_at_their_line() {
    let text = "version: v1\nmig-configs:\n  x:\n    - device-filter: [\"0x20B210DE\", \"nvidia\"]\n      devices: all\n      mig-enabled: false\n";
    let mut m = Messages::default();
    let input = Input {
        name: "mig.yaml".into(),
        text: text.into(),
    };
    assert!(parse(&input, &mut m).is_none());
    assert!(
        m.errors[0].starts_with(
            "mig.yaml:4: mig-configs.x[0].device-filter: \"nvidia\" is not an NVIDIA PCI device ID"
        ),
        "{:?}",
        m.errors
    );
    // Another vendor's ID is refused too.
    let text = text.replace("\"nvidia\"", "\"0x12341002\"");
    let mut m = Messages::default();
    let input = Input {
        name: "mig.yaml".into(),
        text,
    };
    assert!(parse(&input, &mut m).is_none());
    // Two configs in one manifest are refused, naming both.
    let two = "version: v1\nmig-configs: {}\n---\nversion: v1\nmig-configs: {}\n";
    let mut m = Messages::default();
    let input = Input {
        name: "two.yaml".into(),
        text: two.into(),
    };
    assert!(parse(&input, &mut m).is_none());
    assert!(
        m.errors[0].contains("2 mig-parted configs found"),
        "{:?}",
        m.errors
    );
}

// ---------------------------------------------------------------- NVIDIA's stock files

/// A file of a mirrored NVIDIA repository, or `None` (with a notice) when there is no mirror.
fn stock(repo: &str, path: &str) -> Option<Input> {
    let root = std::env::var("SLICESIM_NVIDIA_MIRRORS").unwrap_or_else(|_| "/work/.mirror".into());
    let git_dir = Path::new(&root).join(repo).join("repo");
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(&git_dir)
        .args(["show", &format!("HEAD:{path}")])
        .output()
        .ok()
        .filter(|o| o.status.success());
    match out {
        Some(o) => Some(Input {
            name: format!("{repo}/{path}"),
            text: String::from_utf8(o.stdout).expect("UTF-8"),
        }),
        None => {
            eprintln!(
                "notice: {repo} is not mirrored under {root}; NVIDIA's stock {path} not checked"
            );
            None
        }
    }
}

/// Every stock config resolves on every MIG-capable catalog model that one of its entries
/// admits and whose profiles it uses; the layouts of issue 16's reproducers are right.
fn check_stock(input: &Input) {
    let f = parsed(input);
    // The file alone imports (strict check of every entry) without an error.
    let inputs = ImportInputs {
        mig_parted: Some(input.clone()),
        ..ImportInputs::default()
    };
    if let Err(e) = import(&inputs) {
        panic!("{}: {e}", input.name);
    }
    let catalog = Catalog::builtin();
    let mut resolved = 0;
    for m in catalog.models().iter().filter(|m| m.mig_capable()) {
        for c in &f.configs {
            let applicable: Vec<_> = c.entries.iter().filter(|e| e.admits(m)).collect();
            let knows = applicable
                .iter()
                .all(|e| e.mig_devices.iter().all(|(p, _)| m.profile(p).is_some()));
            if applicable.is_empty() || !knows {
                continue;
            }
            let r = c.resolve(m, 8, &mut Vec::new());
            assert!(r.is_ok(), "{}: {} on {}: {r:?}", input.name, c.name, m.name);
            resolved += 1;
        }
        // all-balanced has an entry for every MIG model of the catalog.
        assert!(
            f.get("all-balanced")
                .unwrap()
                .resolve(m, 8, &mut Vec::new())
                .is_ok(),
            "all-balanced on {}",
            m.name
        );
    }
    assert!(resolved > 100, "{resolved}");
    assert_eq!(
        layout(&f, "all-1g.10gb", "A100-80GB"),
        Ok(n_of("1g.10gb", 7))
    );
    assert_eq!(
        layout(&f, "all-1g.10gb", "A100-SXM4-40GB"),
        Ok(n_of("1g.10gb", 4))
    );
    assert_eq!(
        layout(&f, "all-1g.10gb", "H100-80GB"),
        Ok(n_of("1g.10gb", 7))
    );
    assert_eq!(
        layout(&f, "all-1g.35gb", "H200-141GB"),
        Ok(n_of("1g.35gb", 4))
    );
    assert_eq!(layout(&f, "all-1g.6gb", "A30-24GB"), Ok(n_of("1g.6gb", 4)));
    assert_eq!(
        layout(&f, "all-1g.23gb", "B200-180GB"),
        Ok(n_of("1g.23gb", 7))
    );
}

#[test]
fn nvidia_mig_parted_config_default_imports_for_every_catalog_model() {
    if let Some(i) = stock(
        "NVIDIA+mig-parted",
        "deployments/systemd/config-default.yaml",
    ) {
        check_stock(&i);
    }
}

#[test]
fn gpu_operator_default_mig_parted_config_map_imports_for_every_catalog_model() {
    if let Some(i) = stock(
        "NVIDIA+gpu-operator",
        "assets/state-mig-manager/0400_configmap.yaml",
    ) {
        check_stock(&i);
    }
}

#[test]
fn mig_manager_example_manifest_imports() {
    if let Some(i) = stock(
        "NVIDIA+mig-parted",
        "deployments/container/nvidia-mig-manager-example.yaml",
    ) {
        let f = parsed(&i);
        assert!(f.get("all-disabled").is_some());
    }
}

#[test]
fn device_plugin_alone_says_what_each_named_config_means() {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args([
            "import",
            "--device-plugin",
            "scenarios/k8s/device-plugin-config.yaml",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Issue 16: it said "0 pool(s)" and nothing about the configs.
    assert!(
        stderr.contains(
            "device-plugin config a100-ts4: time-slicing: each GPU advertised as 4 x nvidia.com/gpu"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("device-plugin config h100-ts2: time-slicing: each GPU advertised as 2 x nvidia.com/gpu.shared"),
        "{stderr}"
    );
    assert!(
        stderr.contains("described above (give --nodes to make pools)"),
        "{stderr}"
    );
}

#[test]
fn mig_parted_alone_says_what_each_config_gives_every_model() {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args([
            "import",
            "--mig-parted",
            "tests/fixtures/fleet/mig-manager.yaml",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = |name: &str| {
        stderr
            .lines()
            .find(|l| l.starts_with(&format!("mig-parted config {name}: ")))
            .unwrap_or_else(|| panic!("no line for {name}: {stderr}"))
            .to_string()
    };
    // Before, the file alone printed only "imported 0 pool(s)".
    // `small`: the A100-80GB entry (0x20B2, 0x20B5) gives seven 1g.10gb; the A100-40GB entry
    // (0x20B0) four, the most of that double-memory 1g profile.
    let small = line("small");
    assert!(small.contains("A100-SXM4-40GB: 4 × 1g.10gb"), "{small}");
    assert!(small.contains("A100-80GB: 7 × 1g.10gb"), "{small}");
    assert!(!small.contains("H100"), "{small}");
    // `h200-quarter`: both H200 models by their IDs; the GB300 entry named, not checked.
    let h200 = line("h200-quarter");
    assert!(
        h200.contains("H200-141GB, H200-NVL-141GB: 4 × 1g.35gb"),
        "{h200}"
    );
    assert!(h200.contains("not in the catalog: GB300"), "{h200}");
    // `all-disabled` has no filter: every MIG-capable model, one group.
    let off = line("all-disabled");
    assert!(
        off.contains("A100-80GB") && off.contains("H100-80GB"),
        "{off}"
    );
    assert!(off.ends_with(": MIG disabled"), "{off}");
    assert!(
        stderr.contains("4 mig-parted config(s) described above"),
        "{stderr}"
    );
}
