//! Read-only mode's second line of defence: with the process-wide flag on, the harness's own
//! write calls refuse before reaching NVML, so even a caller that skips the CLI's refusal cannot
//! write. Its own test binary (one process), because the flag cannot be turned off again.

use slicesim::hil::apply::{self, ApplyOptions};
use slicesim::hil::fakelib::{FakeGpu, install};
use slicesim::hil::inventory::snapshot_strict;
use slicesim::hil::plan::{diff, layout_target};
use slicesim::hil::{Exit, guard, nvml};

#[test]
fn no_write_reaches_nvml_in_read_only_mode() {
    let dir = tempfile::tempdir().unwrap();
    let lib = install(
        dir.path(),
        &[FakeGpu::new("A100-80GB", true)],
        &[
            "gi 0 id=1 profile=0 start=0",
            "ci 0 gi=1 id=0 profile=4 start=0",
        ],
    )
    .unwrap();
    let before = std::fs::read_to_string(dir.path().join("fake-nvml-state")).unwrap();
    let nvml = nvml::open(Some(&lib)).unwrap();
    guard::set_read_only();
    assert!(guard::read_only());
    let sc =
        slicesim::scenario::parse(include_str!("../scenarios/seed-strategy.yaml"), "seed").unwrap();
    let (gpu, profiles) = snapshot_strict(&nvml, 0, &[]).unwrap();
    let plan = diff(
        &gpu,
        &profiles,
        layout_target(&sc, "a100-mig-inference", &gpu, &profiles).unwrap(),
    );
    assert_eq!(plan.ops.len(), 8, "a real plan with writes: {:?}", plan.ops);
    let opts = ApplyOptions {
        yes: true,
        state_path: dir.path().join("state.json"),
        command: "test".into(),
        ..Default::default()
    };
    let mut progress = Vec::new();
    let e = apply::apply(&nvml, &[plan], &opts, &mut progress).unwrap_err();
    // The first write is refused by the guard; nothing was done, so nothing to roll back.
    assert_eq!(e.exit, Exit::RolledBack, "{e}");
    assert!(e.message.contains("READ-ONLY MODE"), "{e}");
    assert!(e.message.contains("Done before that: nothing"), "{e}");
    let after = std::fs::read_to_string(dir.path().join("fake-nvml-state")).unwrap();
    assert_eq!(after, before, "the fake GPU is unchanged");
}
