use super::*;
use crate::scenario::k8s::Input;

fn input(text: &str) -> Input {
    Input {
        name: "mig.yaml".into(),
        text: text.into(),
    }
}

const FILE: &str = r#"version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false
  all-1g.10gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 7
  inference-mixed:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.40gb": 1
        "2g.20gb": 2
  half-and-half:
    - devices: [0, 1, 2, 3]
      mig-enabled: true
      mig-devices:
        "3g.40gb": 2
    - devices: [4, 5, 6, 7]
      mig-enabled: false
  option3:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.40gb": 2
        "1g.10gb": 1
"#;

fn a100() -> GpuModel {
    Catalog::builtin().get("A100-80GB").unwrap().clone()
}

#[test]
fn resolves_named_configs_to_layouts() {
    let mut m = Messages::default();
    let f = parse(&input(FILE), &mut m).unwrap();
    assert!(m.errors.is_empty() && m.warnings.is_empty(), "{m:?}");
    let mut notes = Vec::new();
    let r = |n: &str, notes: &mut Vec<String>| f.get(n).unwrap().resolve(&a100(), 8, notes);
    assert_eq!(r("all-disabled", &mut notes), Ok(MigSetting::Disabled));
    assert_eq!(
        r("all-1g.10gb", &mut notes),
        Ok(MigSetting::Layout(vec!["1g.10gb".to_string(); 7]))
    );
    assert_eq!(
        r("inference-mixed", &mut notes),
        Ok(MigSetting::Layout(
            ["3g.40gb", "2g.20gb", "2g.20gb"].map(String::from).to_vec()
        ))
    );
    assert!(notes.is_empty());
    assert_eq!(
        r("half-and-half", &mut notes),
        Ok(MigSetting::Layout(vec!["3g.40gb".to_string(); 2]))
    );
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("GPUs 0-3 3g.40gb + 3g.40gb; GPUs 4-7 MIG disabled"),
        "{notes:?}"
    );
}

#[test]
fn an_invalid_layout_names_the_memory_slices() {
    let mut m = Messages::default();
    let f = parse(&input(FILE), &mut m).unwrap();
    let e = f
        .get("option3")
        .unwrap()
        .resolve(&a100(), 8, &mut Vec::new())
        .unwrap_err();
    assert!(e.starts_with("config option3: cannot place"), "{e}");
    assert!(e.contains("memory slices"), "{e}");
    // Unused: a warning with the entry's line, or an error when checking the file alone.
    let used: BTreeSet<String> = ["all-1g.10gb".to_string()].into();
    check_unused(&f, &used, &Catalog::builtin(), false, &mut m);
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    assert!(
        m.warnings[0].starts_with("mig.yaml:25: mig-configs.option3[0]: invalid layout"),
        "{}",
        m.warnings[0]
    );
    check_unused(&f, &used, &Catalog::builtin(), true, &mut m);
    assert_eq!(m.errors.len(), 1);
}

#[test]
fn malformed_files_are_errors() {
    for (text, want) in [
        ("version: v1\nmig-configs: [\n", "mig.yaml: not valid YAML"),
        (
            "version: v2\nmig-configs: {}\n",
            "mig.yaml:1: version: unsupported version \"v2\"",
        ),
        ("version: v1\n", "mig.yaml:1: mig-configs: missing"),
        (
            "version: v1\nmig-configs:\n  x:\n    - devices: some\n      mig-enabled: true\n",
            "mig.yaml:4: mig-configs.x[0].devices: expected all or a list",
        ),
        (
            "version: v1\nmig-configs:\n  x:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.10gb\": many}\n",
            "mig.yaml:6: mig-configs.x[0].mig-devices.1g.10gb: \"many\" is not an instance count",
        ),
        (
            "version: v1\nmig-configs:\n  x:\n    - devices: all\n",
            "mig.yaml:4: mig-configs.x[0].mig-enabled: missing",
        ),
    ] {
        let mut m = Messages::default();
        assert!(parse(&input(text), &mut m).is_none(), "{text}");
        assert!(m.errors[0].starts_with(want), "{:?} vs {want}", m.errors);
    }
}

#[test]
fn unknown_fields_and_device_filters_are_reported() {
    let text = "version: v1\nmig-configs:\n  f:\n    - device-filter: [\"0x20B210DE\"]\n      devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.10gb\": 7}\n      extra: 1\n    - device-filter: \"0x233010DE\"\n      devices: all\n      mig-enabled: true\n      mig-devices: {\"1g.12gb\": 7}\n";
    let mut m = Messages::default();
    let f = parse(&input(text), &mut m).unwrap();
    assert_eq!(
        m.warnings,
        vec!["mig.yaml:8: mig-configs.f[0].extra: unknown field, not imported"]
    );
    let mut notes = Vec::new();
    let s = f.get("f").unwrap().resolve(&a100(), 8, &mut notes).unwrap();
    assert_eq!(s, MigSetting::Layout(vec!["1g.10gb".to_string(); 7]));
    // The device-filter is evaluated: the H100 entry (0x2330) does not apply to an A100.
    assert!(notes.is_empty(), "{notes:?}");
    let h100 = Catalog::builtin().get("H100-80GB").unwrap().clone();
    let e = f
        .get("f")
        .unwrap()
        .resolve(&h100, 8, &mut notes)
        .unwrap_err();
    assert!(e.contains("cannot place") || e.contains("1g.12gb"), "{e}");
}
