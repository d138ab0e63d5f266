//! In-process tests of the NVML layer, inventory, plan and apply against the fake library.
//! Each test installs its own copy of the fake library in a temporary directory: a separate
//! fake node with its own state.

use super::fakelib::{FakeGpu, install};
use super::inventory::{inventory, snapshot};
use super::nvml::{device, open};
use super::plan::{Op, diff, layout_target};
use super::raw;
use super::{Exit, apply};
use nvml_wrapper::Nvml;
use tempfile::TempDir;

pub(crate) fn node(gpus: &[FakeGpu], extra: &[&str]) -> (TempDir, Nvml) {
    let dir = tempfile::tempdir().unwrap();
    let lib = install(dir.path(), gpus, extra).unwrap();
    let nvml = open(Some(&lib)).unwrap();
    (dir, nvml)
}

const SEED: &str = include_str!("../../scenarios/seed-strategy.yaml");

fn seed() -> crate::scenario::Scenario {
    crate::scenario::parse(SEED, "seed").unwrap()
}

#[test]
fn inventory_reads_profiles_and_placements_through_raw_calls() {
    let (_d, nvml) = node(
        &[
            FakeGpu::new("A100-80GB", true),
            FakeGpu::new("H100-80GB", false),
        ],
        &[],
    );
    let inv = inventory(&nvml, &[0, 1]).unwrap();
    assert!(inv.system.fake);
    let a100 = &inv.gpus[0];
    assert_eq!(a100.gpu.catalog_model.as_deref(), Some("A100-80GB"));
    assert!(a100.gpu.mig_current);
    // 1g, 1g+me, 1g double memory, 2g, 3g, 4g, 7g.
    let ids: Vec<u32> = a100.profiles.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![19, 14, 9, 5, 0, 20, 15]);
    let p3g = a100.profiles.iter().find(|p| p.id == 9).unwrap();
    assert_eq!(p3g.placements, vec![(0, 4), (4, 4)]);
    assert_eq!(p3g.name.as_deref(), Some("3g.40gb"));
    assert!(a100.mismatches.is_empty(), "{:?}", a100.mismatches);
    // MIG off: no profiles, only memory checked.
    assert!(inv.gpus[1].profiles.is_empty());
    assert!(inv.gpus[1].mismatches.is_empty());
}

#[test]
fn safe_possible_placements_is_empty_and_raw_call_is_not() {
    // nvml-wrapper 0.13's possible_placements never sets the vector's length; the raw v2 call
    // gives the real list. This is why the harness reads placements through nvml.lib().
    let (_d, nvml) = node(&[FakeGpu::new("H100-80GB", true)], &[]);
    let dev = device(&nvml, 0).unwrap();
    assert!(dev.possible_placements(19).unwrap().is_empty());
    assert_eq!(raw::placements(&nvml, &dev, 19).unwrap().len(), 7);
}

#[test]
fn inventory_lists_catalog_mismatches() {
    let (_d, nvml) = node(
        &[FakeGpu::new("A100-80GB", true)],
        &["override 0 profile=19 sms=16 mem_mib=9984 starts=0,2,4,6"],
    );
    let inv = inventory(&nvml, &[0]).unwrap();
    let m: Vec<String> = inv.gpus[0]
        .mismatches
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m[0].contains("1g.10gb (id 19): SMs: NVML reports 16, catalog has 14"),
        "{m:?}"
    );
    assert!(
        m[1].contains("memory: NVML reports 9.75 GiB, catalog has 9.50 GiB"),
        "{m:?}"
    );
    assert!(m[2].contains("placement starts: NVML reports 0,2,4,6, catalog has 0,1,2,3,4,5,6"));
}

#[test]
fn seed_layout_is_planned_applied_verified_and_restored() {
    let (d, nvml) = node(&[FakeGpu::new("A100-80GB", true)], &[]);
    let (gpu, profiles) = snapshot(&nvml, 0).unwrap();
    let target = layout_target(&seed(), "a100-mig-inference", &gpu, &profiles).unwrap();
    // The solver's placements: 3g at 4, the 2g's at 0 and 2 (gpu-facts: 3g + 2x 2g needs the
    // 3g at start 4).
    let placed: Vec<(u32, u32)> = target
        .instances
        .iter()
        .map(|t| (t.profile_id, t.start))
        .collect();
    assert_eq!(placed, vec![(14, 0), (14, 2), (9, 4)]);
    let plan = diff(&gpu, &profiles, target);
    assert_eq!(plan.ops.len(), 6);
    let opts = opts(d.path());
    let mut progress = Vec::new();
    apply::apply(&nvml, std::slice::from_ref(&plan), &opts, &mut progress).unwrap();
    // Every operation is reported as it is done, after the saved state.
    assert_eq!(progress.len(), 1 + 6, "{progress:?}");
    assert!(progress[0].starts_with("saved the prior state to "));
    let (now, _) = snapshot(&nvml, 0).unwrap();
    let got: Vec<(u32, u32, usize)> = now
        .instances
        .iter()
        .map(|g| (g.profile_id, g.start, g.cis.len()))
        .collect();
    assert_eq!(got, vec![(14, 0, 1), (14, 2, 1), (9, 4, 1)]);
    // Applying again keeps everything.
    let (gpu2, prof2) = snapshot(&nvml, 0).unwrap();
    let again = diff(
        &gpu2,
        &prof2,
        layout_target(&seed(), "a100-mig-inference", &gpu2, &prof2).unwrap(),
    );
    assert!(again.ops.is_empty(), "{:?}", again.ops);
    // Restore puts the empty GPU back.
    let file = super::state::load(&opts.state_path).unwrap();
    let plans = apply::restore_plans(&nvml, &file).unwrap();
    apply::restore(&nvml, &plans, &opts, &mut Vec::new()).unwrap();
    assert!(snapshot(&nvml, 0).unwrap().0.instances.is_empty());
}

#[test]
fn failed_create_rolls_back_to_the_saved_layout() {
    // Start from 7g; the third create fails: the GPU must end in the 7g layout again.
    let (d, nvml) = node(
        &[FakeGpu::new("A100-80GB", true)],
        &[
            "gi 0 id=1 profile=0 start=0",
            "ci 0 gi=1 id=0 profile=4 start=0",
            "fault create_gi@3=UNKNOWN",
        ],
    );
    let (gpu, profiles) = snapshot(&nvml, 0).unwrap();
    let plan = diff(
        &gpu,
        &profiles,
        layout_target(&seed(), "a100-mig-inference", &gpu, &profiles).unwrap(),
    );
    assert!(matches!(plan.ops[0], Op::DestroyCi { gi: 1, ci: 0 }));
    let opts = opts(d.path());
    let mut progress = Vec::new();
    let e = apply::apply(&nvml, &[plan], &opts, &mut progress).unwrap_err();
    assert_eq!(e.exit, Exit::RolledBack, "{e}");
    assert!(
        progress.iter().any(|l| l.starts_with("failed: ")),
        "{progress:?}"
    );
    assert!(e.message.contains("UNKNOWN"), "{e}");
    let (now, _) = snapshot(&nvml, 0).unwrap();
    assert_eq!(now.instances.len(), 1);
    assert_eq!(
        (now.instances[0].profile_id, now.instances[0].start),
        (0, 0)
    );
    assert_eq!(now.instances[0].cis.len(), 1);
}

/// Apply options for tests: IN_USE retried without waiting.
pub(crate) fn opts(dir: &std::path::Path) -> apply::ApplyOptions {
    apply::ApplyOptions {
        yes: true,
        state_path: dir.join("state.json"),
        command: "test".into(),
        retry: apply::Retry {
            delays: vec![std::time::Duration::ZERO; 3],
            sleep: |_| {},
        },
        ..Default::default()
    }
}
