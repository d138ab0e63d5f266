use super::*;

fn input(text: &str) -> Input {
    Input {
        name: "dp.yaml".into(),
        text: text.into(),
    }
}

const CM: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: device-plugin-config
  namespace: gpu-operator
data:
  default: |-
    version: v1
    flags:
      migStrategy: none
  a100-ts4: |-
    version: v1
    flags:
      migStrategy: mixed
    sharing:
      timeSlicing:
        renameByDefault: true
        resources:
          - name: nvidia.com/gpu
            replicas: 4
            colour: blue
";

#[test]
fn reads_named_configs_and_reports_unknown_fields_at_their_file_line() {
    let mut m = Messages::default();
    let c = parse(&input(CM), None, &mut m).unwrap();
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(c.names(), vec!["default", "a100-ts4"]);
    assert_eq!(c.default.as_deref(), Some("default"));
    let ts = c.get("a100-ts4").unwrap();
    assert_eq!(ts.mig_strategy, Some(MigStrategyFlag::Mixed));
    assert_eq!(
        ts.time_slicing,
        Some(TimeSlicing {
            replicas: 4,
            rename_by_default: true,
            fail_requests_greater_than_one: false
        })
    );
    assert_eq!(
        m.warnings,
        vec![
            "dp.yaml:21: data.a100-ts4.sharing.timeSlicing.resources[0].colour: unknown field, not imported"
        ]
    );
}

#[test]
fn bare_config_is_its_own_default_and_mps_is_read() {
    let mut m = Messages::default();
    let text = "version: v1\nsharing:\n  mps:\n    resources:\n      - name: nvidia.com/gpu\n        replicas: 2\n";
    let c = parse(&input(text), None, &mut m).unwrap();
    assert_eq!(c.default.as_deref(), Some(BARE_CONFIG));
    assert_eq!(c.configs[0].mps, Some(2));
    assert!(c.configs[0].time_slicing.is_none());
    assert!(m.warnings.is_empty() && m.errors.is_empty(), "{m:?}");
    assert!(c.configs[0].describe().starts_with(
        "MPS: each GPU advertised as 2 x nvidia.com/gpu, each client limited to 1/2 of the SMs and of the memory"
    ));
}

#[test]
fn mps_replicas_outside_2_to_48_and_mig_resources_are_reported_with_lines() {
    // 49 clients: more than MPS takes per GPU; 1 replica: no sharing at all.
    for (r, want) in [(49, "49 is not in 2..=48"), (1, "1 is not in 2..=48")] {
        let text = format!(
            "version: v1\nsharing:\n  mps:\n    resources:\n      - name: nvidia.com/gpu\n        replicas: {r}\n"
        );
        let mut m = Messages::default();
        let c = parse(&input(&text), None, &mut m);
        assert!(c.is_none() || c.unwrap().configs[0].mps.is_none());
        let all = m.errors.join("\n");
        assert!(
            all.contains("dp.yaml:6: sharing.mps.resources[0].replicas: ") && all.contains(want),
            "{all}"
        );
    }
    let text = "version: v1\nsharing:\n  mps:\n    failRequestsGreaterThanOne: false\n    resources:\n      - name: nvidia.com/mig-1g.10gb\n        replicas: 2\n      - name: nvidia.com/gpu\n        replicas: 4\n";
    let mut m = Messages::default();
    let c = parse(&input(text), None, &mut m).unwrap();
    assert_eq!(c.configs[0].mps, Some(4));
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    assert!(m.warnings[0].starts_with("dp.yaml:6: sharing.mps.resources[0]: MPS on MIG devices"));
}

#[test]
fn malformed_files_are_errors_with_lines() {
    let mut m = Messages::default();
    assert!(parse(&input("version: v1\nsharing: [\n"), None, &mut m).is_none());
    assert!(
        m.errors[0].starts_with("dp.yaml: not valid YAML"),
        "{:?}",
        m.errors
    );

    let mut m = Messages::default();
    assert!(parse(&input("version: v2\n"), None, &mut m).is_none());
    assert_eq!(
        m.errors,
        vec!["dp.yaml:1: version: unsupported version \"v2\" (expected v1)"]
    );

    let mut m = Messages::default();
    let bad = CM.replace("replicas: 4", "replicas: four");
    assert!(parse(&input(&bad), None, &mut m).is_none());
    assert_eq!(
        m.errors,
        vec![
            "dp.yaml:20: data.a100-ts4.sharing.timeSlicing.resources[0].replicas: \"four\" is not a whole number ≥ 1"
        ]
    );

    let mut m = Messages::default();
    assert!(parse(&input(CM), Some("nope"), &mut m).is_none());
    assert!(m.errors[0].contains("default device-plugin config nope is not in the file"));
}

#[test]
fn mig_time_slicing_is_read_and_renames_are_reported() {
    let text = "version: v1\nsharing:\n  timeSlicing:\n    resources:\n      - name: nvidia.com/mig-1g.10gb\n        replicas: 2\n      - name: nvidia.com/gpu\n        replicas: 3\n        rename: gpu-shared\n        devices: [0, 1]\n";
    let mut m = Messages::default();
    let c = parse(&input(text), None, &mut m).unwrap();
    assert_eq!(c.configs[0].time_slicing.unwrap().replicas, 3);
    assert_eq!(
        c.configs[0].mig_time_slicing,
        vec![("1g.10gb".to_string(), 2)]
    );
    // The rename and the device subset are reported; time-sliced MIG devices are imported.
    assert_eq!(m.warnings.len(), 2, "{:?}", m.warnings);
}

#[test]
fn replicas_beyond_the_limit_are_refused_naming_the_value_and_the_limit() {
    // 536 870 913 replicas x 8 GPUs would wrap a 32-bit product; 1 024 is the limit.
    let text = "version: v1\nsharing:\n  timeSlicing:\n    resources:\n      - name: nvidia.com/gpu\n        replicas: 536870913\n";
    let mut m = Messages::default();
    let _ = parse(&input(text), None, &mut m);
    let all = m.errors.join("\n");
    assert!(
        all.contains("dp.yaml:6:")
            && all.contains("replicas is 536870913, more than the limit of 1024"),
        "{all}"
    );
    // 1 024 itself is accepted.
    let mut m = Messages::default();
    let _ = parse(&input(&text.replace("536870913", "1024")), None, &mut m);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
}
