//! The safety fixes of the HIL review (issue 13, M1-M15), each through the fake library and each
//! failing on the old behaviour (noted per test).

use super::apply::{self, restore_plans};
use super::fakelib::install;
use super::inventory::{snapshot, snapshot_strict};
use super::nvml::open;
use super::plan::{Op, diff, layout_target};
use super::state;
use super::tests::opts;
use super::{Exit, HilError};
use nvml_wrapper::Nvml;
use tempfile::TempDir;

/// A fake node whose state file is exactly `state` (one GPU line per GPU, then extras).
fn node_with(state: &str) -> (TempDir, Nvml) {
    let dir = tempfile::tempdir().unwrap();
    let lib = install(dir.path(), &[], &[]).unwrap();
    std::fs::write(dir.path().join("fake-nvml-state"), state).unwrap();
    let nvml = open(Some(&lib)).unwrap();
    (dir, nvml)
}

fn fake_state(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.path().join("fake-nvml-state")).unwrap()
}

/// `mig=C pending=P` of GPU 0 in the fake's state file.
fn mode(dir: &TempDir) -> String {
    let s = fake_state(dir);
    let line = s
        .lines()
        .find(|l| l.starts_with("gpu 0 "))
        .unwrap()
        .to_string();
    let f = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    format!("mig={} pending={}", f("mig"), f("pending"))
}

fn gi_lines(dir: &TempDir) -> Vec<String> {
    fake_state(dir)
        .lines()
        .filter(|l| l.starts_with("gi ") || l.starts_with("ci "))
        .map(str::to_string)
        .collect()
}

fn seed() -> crate::scenario::Scenario {
    crate::scenario::parse(include_str!("../../scenarios/seed-strategy.yaml"), "seed").unwrap()
}

fn pool_plan(nvml: &Nvml, pool: &str) -> super::plan::GpuPlan {
    let (gpu, profiles) = snapshot_strict(nvml, 0, &[]).unwrap();
    diff(
        &gpu,
        &profiles,
        layout_target(&seed(), pool, &gpu, &profiles).unwrap(),
    )
}

fn run_apply(
    nvml: &Nvml,
    dir: &TempDir,
    plan: &super::plan::GpuPlan,
    allow: bool,
) -> (Result<apply::Applied, HilError>, Vec<String>) {
    let mut o = opts(dir.path());
    o.allow_mode_change = allow;
    let mut progress = Vec::new();
    let r = apply::apply(nvml, std::slice::from_ref(plan), &o, &mut progress);
    (r, progress)
}

#[test]
fn m1_m5_a_mode_change_activated_at_once_stops_there() {
    // Bare metal is the fake's default now (immediate=1): the driver activates MIG at once.
    // Old: apply carried on in the same process and created the instances.
    let (d, nvml) = node_with("gpu 0 model=A100-80GB mig=0 pending=0\n");
    let plan = pool_plan(&nvml, "a100-mig-inference");
    assert_eq!(
        plan.ops,
        vec![Op::SetMigMode {
            enable: true,
            reset: true
        }]
    );
    let (r, progress) = run_apply(&nvml, &d, &plan, true);
    let done = r.unwrap();
    assert_eq!(done.mode_changed, vec![0]);
    assert_eq!(done.journal.len(), 1, "{progress:?}");
    assert!(
        done.journal[0].contains("MIG mode is on (the driver activated it at once, resetting"),
        "{:?}",
        done.journal
    );
    assert_eq!(mode(&d), "mig=1 pending=1");
    assert!(gi_lines(&d).is_empty(), "no instances in the same run");
}

#[test]
fn m1_a_rollback_never_writes_mig_mode_back() {
    // The mode change is activated at once, then the strict re-read fails once: the rollback
    // sees MIG on where the saved state had it off and stops (exit 6) instead of calling
    // SetMigMode(off), a second reset. Old: "set MIG mode off ... is off", exit 5.
    // get_mig_mode calls: 1 the plan's read, 2 after SetMigMode, 3 verification (fails).
    let (d, nvml) =
        node_with("gpu 0 model=A100-80GB mig=0 pending=0\nfault get_mig_mode@3=UNKNOWN\n");
    let plan = pool_plan(&nvml, "a100-mig-inference");
    let (r, progress) = run_apply(&nvml, &d, &plan, true);
    let e = r.unwrap_err();
    assert_eq!(e.exit, Exit::RollbackFailed, "{e}");
    assert!(e.message.contains("never writes MIG mode"), "{e}");
    assert!(
        !progress.iter().any(|l| l.contains("set MIG mode off")),
        "{progress:?}"
    );
    assert_eq!(mode(&d), "mig=1 pending=1");
}

#[test]
fn m2_someone_elses_pending_change_is_refused_without_the_flag() {
    // MIG off with "on" pending (someone else's change). Old: apply of a time-slicing pool
    // called SetMigMode(off) to cancel it, without --allow-mode-change.
    let (d, nvml) = node_with("gpu 0 model=A100-80GB mig=0 pending=1 immediate=0\n");
    let plan = pool_plan(&nvml, "a100-timeslice");
    assert!(plan.cancels_pending() && plan.changes_mode());
    let (r, _) = run_apply(&nvml, &d, &plan, false);
    let e = r.unwrap_err();
    assert_eq!(e.exit, Exit::Refused, "{e}");
    assert!(e.message.contains("someone else's change"), "{e}");
    assert_eq!(mode(&d), "mig=0 pending=1", "nothing written");
    // With the flag the pending change is cancelled.
    let (r, _) = run_apply(&nvml, &d, &plan, true);
    let done = r.unwrap();
    assert!(
        done.journal[0].contains("the pending change is cancelled"),
        "{done:?}"
    );
    assert_eq!(mode(&d), "mig=0 pending=0");
    assert!(done.mode_changed.is_empty());
}

#[test]
fn m3_restore_puts_back_the_current_mode_and_reports_the_saved_pending_one() {
    // A state saved with MIG off and "on" pending. Old: restore's target was the PENDING mode,
    // so it planned SetMigMode(on) (which activates MIG on bare metal).
    let (d, nvml) = node_with("gpu 0 model=A100-80GB mig=0 pending=1\n");
    let (gpu, _) = snapshot(&nvml, 0).unwrap();
    let sys = super::nvml::system(&nvml).unwrap();
    let file = state::StateFile::new("test".into(), sys, vec![gpu]);
    // The GPU meanwhile has no pending change any more.
    std::fs::write(
        d.path().join("fake-nvml-state"),
        "gpu 0 model=A100-80GB mig=0 pending=0\n",
    )
    .unwrap();
    drop(nvml);
    let nvml = open(Some(&d.path().join("libnvidia-ml.so.1"))).unwrap();
    let plans = restore_plans(&nvml, &file).unwrap();
    assert!(plans[0].ops.is_empty(), "{:?}", plans[0].ops);
    assert!(!plans[0].target.mig);
    assert!(
        plans[0]
            .notes
            .iter()
            .any(|n| n.contains("does not re-create the pending change")),
        "{:?}",
        plans[0].notes
    );
}

#[test]
fn m4_an_instance_of_a_profile_nvml_stops_reporting_is_never_read_as_absent() {
    // The review's S5 case: every profile query after the first answers NOT_SUPPORTED, so the
    // plan sees only profile 19. A 2g GPU instance (id 14) is created, then its compute instance
    // cannot be. Old: the rollback listed no 2g instance and claimed "verified" with it left on
    // the GPU. Now the strict read finds GPU instance ids that no listed profile holds: exit 6.
    let (d, nvml) =
        node_with("gpu 0 model=A100-80GB mig=1 pending=1\nfault profile_info@2+=NOT_SUPPORTED\n");
    let (gpu, profiles) = snapshot_strict(&nvml, 0, &[]).unwrap();
    assert_eq!(profiles.iter().map(|p| p.id).collect::<Vec<_>>(), vec![19]);
    let mut plan = diff(
        &gpu,
        &profiles,
        layout_target(&seed(), "a100-mig-inference", &gpu, &profiles).unwrap(),
    );
    plan.ops.truncate(2); // create 2g.20gb at 0, create its compute instance (fails)
    let (r, _) = run_apply(&nvml, &d, &plan, false);
    let e = r.unwrap_err();
    assert_eq!(e.exit, Exit::RollbackFailed, "{e}");
    assert!(e.message.contains("Rollback FAILED"), "{e}");
    assert!(e.message.contains("answered before and not now"), "{e}");
    assert!(!e.message.contains("(verified)"), "{e}");
    assert_eq!(
        gi_lines(&d).len(),
        1,
        "the 2g instance is there, as reported"
    );
}

#[test]
fn m4_a_gpu_instance_under_a_profile_nvml_never_reports_is_caught() {
    // Profile 14 moved out of every index NVML answers for: its instance is listed under no
    // profile, but NVML answers for its id. Lenient reads leave it out; strict ones refuse.
    let (_d, nvml) = node_with(
        "gpu 0 model=A100-80GB mig=1 pending=1
override 0 profile=14 index=40
\
         gi 0 id=1 profile=14 start=0\n",
    );
    assert!(snapshot(&nvml, 0).unwrap().0.instances.is_empty());
    let e = snapshot_strict(&nvml, 0, &[]).unwrap_err();
    assert!(
        e.message
            .contains("GPU instance(s) 1 exist but were not listed"),
        "{e}"
    );
}

#[test]
fn m4_mig_device_count_must_match_the_listed_compute_instances() {
    // A compute instance NVML lists under no compute-instance profile it reports (here: every
    // compute-instance profile query fails NOT_SUPPORTED) is caught by the MIG device count.
    let (_d, nvml) = node_with(
        "gpu 0 model=A100-80GB mig=1 pending=1\ngi 0 id=1 profile=0 start=0\n\
         ci 0 gi=1 id=0 profile=4 start=0\nfault profile_info@8+=NOT_SUPPORTED\n",
    );
    // Lenient (inventory): reads on. Strict: the 1 MIG device vs 0 listed compute instances.
    let e = snapshot_strict(&nvml, 0, &[]).unwrap_err();
    assert!(
        e.message
            .contains("1 MIG device(s) but 0 compute instance(s)"),
        "{e}"
    );
}

#[test]
fn m4_strict_reads_treat_get_mig_mode_not_supported_as_an_error() {
    let (_d, nvml) =
        node_with("gpu 0 model=A100-80GB mig=1 pending=1\nfault get_mig_mode=NOT_SUPPORTED\n");
    assert!(
        !snapshot(&nvml, 0).unwrap().0.mig_current,
        "lenient: not MIG-capable"
    );
    let e = snapshot_strict(&nvml, 0, &[]).unwrap_err();
    assert!(e.message.contains("MIG mode: NOT_SUPPORTED"), "{e}");
}

#[test]
fn m8_profiles_past_the_old_fixed_count_are_seen() {
    // Profile 20 (1g.10gb+me) moved to index 0x11, where nvml.h API 13 puts a newer profile;
    // the old loop stopped at nvml-wrapper-sys's COUNT (17 = 0x11), so it and its instance were
    // invisible.
    let (_d, nvml) = node_with(
        "gpu 0 model=A100-80GB mig=1 pending=1\noverride 0 profile=20 index=17\n\
         gi 0 id=1 profile=20 start=6\nci 0 gi=1 id=0 profile=0 start=0\n",
    );
    let (gpu, profiles) = snapshot_strict(&nvml, 0, &[]).unwrap();
    let p20 = profiles.iter().find(|p| p.id == 20).expect("profile 20");
    assert_eq!(p20.index, 17);
    assert_eq!(gpu.instances.len(), 1);
    assert_eq!(gpu.instances[0].profile_id, 20);
}

#[test]
fn m12_a_gpu_instance_that_lost_its_compute_instance_keeps_and_gets_one_back() {
    // The seed layout with the 3g's compute instance missing. Old: destroy the 3g GPU instance
    // and create it again with its compute instance (3 operations); now one CreateCi.
    let (_d, nvml) = node_with(
        "gpu 0 model=A100-80GB mig=1 pending=1\n\
         gi 0 id=1 profile=14 start=0\nci 0 gi=1 id=0 profile=1 start=0\n\
         gi 0 id=2 profile=14 start=2\nci 0 gi=2 id=0 profile=1 start=0\n\
         gi 0 id=3 profile=9 start=4\n",
    );
    let plan = pool_plan(&nvml, "a100-mig-inference");
    assert_eq!(plan.ops.len(), 1, "{:?}", plan.ops);
    assert!(matches!(&plan.ops[0], Op::CreateCi { gi_start: 4, ci } if ci.size == 3));
}

#[test]
fn m12_a_transient_in_use_is_retried() {
    // Creating the third GPU instance answers IN_USE twice, then works. Old: the first IN_USE
    // rolled everything back (exit 5).
    let (d, nvml) = node_with(
        "gpu 0 model=A100-80GB mig=1 pending=1\nfault create_gi@3=IN_USE,create_gi@4=IN_USE\n",
    );
    let plan = pool_plan(&nvml, "a100-mig-inference");
    let (r, _) = run_apply(&nvml, &d, &plan, false);
    let done = r.unwrap();
    assert!(
        done.journal
            .iter()
            .any(|l| l.ends_with("(after 2 IN_USE retries)")),
        "{:?}",
        done.journal
    );
    assert_eq!(
        gi_lines(&d).len(),
        6,
        "3 GPU instances with a compute instance each"
    );
}
