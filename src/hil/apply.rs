//! Executing plans: `apply` (save the prior state, run the operations, verify, roll back on any
//! failure or Ctrl-C) and `restore` (put a saved state back). Every operation done is reported
//! to the caller's [`Progress`] as it happens and listed again in the final message, so the user
//! knows exactly what was done.

use super::inventory::{GpuSnapshot, snapshot, snapshot_strict};
use super::nvml::{indices, nv, system};
use super::plan::{GpuPlan, Op, diff, layout_target, saved_pending_note, saved_target};
use super::safety::check_foreign;
use super::state::{self, Saved, StateFile};
use super::{Exit, HilError, Progress, Result};
use crate::scenario::Scenario;
use execute::{Expect, execute, expected_profiles, on_off, verify};
use nvml_wrapper::Nvml;
use std::path::{Path, PathBuf};

mod execute;

pub use execute::{RETRY_DELAYS, Retry};

/// What the user allowed on the command line.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    /// Actually change the GPU (otherwise the caller only prints the plan).
    pub yes: bool,
    /// Allow writing MIG mode: switching it (the driver may reset the GPU to activate it) or
    /// cancelling someone else's pending change.
    pub allow_mode_change: bool,
    /// Go ahead although foreign processes hold the GPU.
    pub force: bool,
    /// Where the original prior state is saved (`apply`, never overwritten) or read (`restore`).
    pub state_path: PathBuf,
    /// The command line, recorded in the state file.
    pub command: String,
    /// Retries of operations NVML answers IN_USE.
    pub retry: Retry,
}

/// What `apply --yes` did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Every operation done, in order.
    pub journal: Vec<String>,
    /// Where the prior state went (None when there was nothing to do).
    pub saved: Option<Saved>,
    /// GPUs whose MIG mode was written: apply stopped there; instances need another run.
    pub mode_changed: Vec<u32>,
}

/// Refuses plans that cannot or may not run: reset pending, MIG mode writes not allowed
/// (switching it, or cancelling someone else's pending change), foreign processes.
pub fn preflight(
    plans: &[GpuPlan],
    opts: &ApplyOptions,
    doing: &str,
    progress: &mut dyn Progress,
) -> Result<()> {
    for p in plans {
        let i = p.gpu.index;
        if p.reset_pending {
            return Err(HilError::refused(format!(
                "GPU {i}: {}",
                p.notes.join("; ")
            )));
        }
        if p.cancels_pending() && !opts.allow_mode_change {
            return Err(HilError::refused(format!(
                "GPU {i}: MIG mode is {} with a change to {} pending: someone else's change, not \
                 yet active. Refusing to touch MIG settings; pass --allow-mode-change to cancel it \
                 (the driver may reset the GPU)",
                on_off(p.gpu.mig_current),
                on_off(p.gpu.mig_pending)
            )));
        }
        if p.changes_mode() && !opts.allow_mode_change {
            return Err(HilError::refused(format!(
                "GPU {i}: the plan turns MIG mode {}: the driver may RESET the GPU to activate it \
                 (at once on bare metal when nothing uses it; root and no processes needed); pass \
                 --allow-mode-change to allow that",
                on_off(p.target.mig)
            )));
        }
        if !p.ops.is_empty() {
            check_foreign(&p.gpu, opts.force, doing, progress)?;
        }
    }
    Ok(())
}

/// `apply --yes`: saves the prior state (never over an earlier one), runs the plans, verifies,
/// and rolls back on failure. A plan that writes MIG mode ends that GPU's run: the instances are
/// created by the next `apply`, in a fresh process (NVML handles may change with the mode).
pub fn apply(
    nvml: &Nvml,
    plans: &[GpuPlan],
    opts: &ApplyOptions,
    progress: &mut dyn Progress,
) -> Result<Applied> {
    preflight(plans, opts, "reconfigure it", progress)?;
    if plans.iter().all(|p| p.ops.is_empty()) {
        // Nothing to undo: no state file.
        return Ok(Applied::default());
    }
    let saved: Vec<GpuSnapshot> = plans.iter().map(|p| p.gpu.clone()).collect();
    let file = StateFile::new(opts.command.clone(), system(nvml)?, saved);
    let where_ = state::save_prior(&opts.state_path, &file)?;
    progress.step(&format!(
        "saved the prior state to {}{}",
        where_.this_run.display(),
        if where_.original_kept {
            format!(
                " ({} keeps the original state of an earlier apply)",
                where_.original.display()
            )
        } else {
            format!(" and {}", where_.original.display())
        }
    ));
    let mut applied = Applied {
        saved: Some(where_.clone()),
        ..Applied::default()
    };
    let mut failure = None;
    for p in plans {
        if let Err(e) = execute(nvml, p, &mut applied.journal, true, &opts.retry, progress) {
            failure = Some(e);
            break;
        }
        if let Err(e) = verify(
            nvml,
            p.gpu.index,
            &p.target,
            Expect::after(p),
            &expected_profiles(p),
        ) {
            failure = Some(format!("verification failed: {e}"));
            break;
        }
        if p.changes_mode() && !p.cancels_pending() {
            applied.mode_changed.push(p.gpu.index);
        }
    }
    let Some(failure) = failure else {
        return Ok(applied);
    };
    Err(roll_back(
        nvml,
        plans,
        &applied.journal,
        &failure,
        &where_.this_run,
        &opts.retry,
        progress,
    ))
}

/// Puts one GPU back to the snapshot its plan started from, after a failure. It never writes MIG
/// mode: if the mode differs from the saved one, it stops and says so.
fn put_back_auto(
    nvml: &Nvml,
    plan: &GpuPlan,
    journal: &mut Vec<String>,
    retry: &Retry,
    progress: &mut dyn Progress,
) -> std::result::Result<(), String> {
    let s = &plan.gpu;
    let expect: Vec<u32> = if s.mig_current {
        plan.profiles.iter().map(|p| p.id).collect()
    } else {
        Vec::new()
    };
    let (now, profiles) = snapshot_strict(nvml, s.index, &expect).map_err(|e| e.message)?;
    if (now.mig_current, now.mig_pending) != (s.mig_current, s.mig_pending) {
        return Err(format!(
            "GPU {}: MIG mode is now {} (pending {}) but was {} (pending {}); an automatic \
             rollback never writes MIG mode, because the driver may reset the GPU to do it. \
             Check the GPU before anything else",
            s.index,
            on_off(now.mig_current),
            on_off(now.mig_pending),
            on_off(s.mig_current),
            on_off(s.mig_pending)
        ));
    }
    let mut back = diff(&now, &profiles, saved_target(s, &profiles));
    // A pending change that was there before is someone else's: leave it.
    back.ops.retain(|o| !matches!(o, Op::SetMigMode { .. }));
    execute(nvml, &back, journal, false, retry, progress)?;
    verify(nvml, s.index, &back.target, Expect::saved(s), &expect).map(|_| ())
}

/// Rolls every GPU back to its saved snapshot after `failure` and builds the error that says
/// what happened.
fn roll_back(
    nvml: &Nvml,
    plans: &[GpuPlan],
    done: &[String],
    failure: &str,
    state_path: &Path,
    retry: &Retry,
    progress: &mut dyn Progress,
) -> HilError {
    progress.step(&format!(
        "failed: {failure}; rolling back to the saved state"
    ));
    let mut undo = Vec::new();
    let result = plans
        .iter()
        .try_for_each(|p| put_back_auto(nvml, p, &mut undo, retry, progress));
    let list = |v: &[String]| {
        if v.is_empty() {
            "nothing".to_string()
        } else {
            v.join("; ")
        }
    };
    let interrupted = failure.starts_with("interrupted");
    match result {
        Ok(()) => HilError::new(
            if interrupted {
                Exit::Interrupted
            } else {
                Exit::RolledBack
            },
            format!(
                "{failure}. Done before that: {}. Rolled back: {}. The GPU(s) are back in the saved \
                 state (verified).",
                list(done),
                list(&undo)
            ),
        ),
        Err(e) => HilError::new(
            Exit::RollbackFailed,
            format!(
                "{failure}. Done before that: {}. Rollback FAILED: {e} (rollback did: {}). The GPU may \
                 be half-configured: fix the cause, then run `slicesim hil restore --state {} --yes` \
                 (with --allow-mode-change if MIG mode must go back).",
                list(done),
                list(&undo),
                state_path.display()
            ),
        ),
    }
}

/// The plans for a scenario pool's layout, and the GPUs left out.
pub struct PoolPlans {
    /// One per GPU of the pool's model (or the one GPU asked for).
    pub plans: Vec<GpuPlan>,
    /// Why each other GPU was left out (not the pool's model), when no GPU was named.
    pub skipped: Vec<String>,
}

/// Plans that put pool `pool`'s layout on GPU `gpu`, or on every GPU of the pool's model.
pub fn pool_plans(
    nvml: &Nvml,
    scenario: &Scenario,
    pool: &str,
    gpu: Option<u32>,
) -> Result<PoolPlans> {
    let mut plans = Vec::new();
    let mut skipped = Vec::new();
    for i in indices(nvml, gpu)? {
        let (now, profiles) = snapshot(nvml, i)?;
        match layout_target(scenario, pool, &now, &profiles) {
            Err(e) if e.exit == Exit::Refused && gpu.is_none() => skipped.push(e.message),
            _ if !now.unreadable.is_empty() => {
                return Err(HilError::error(format!(
                    "GPU {i}: cannot read {}: a plan needs the full state (run as root)",
                    now.unreadable.join("; ")
                )));
            }
            Ok(_) => {
                // A GPU to change: read it again strictly (every error is an error).
                let (now, profiles) = snapshot_strict(nvml, i, &[])?;
                let target = layout_target(scenario, pool, &now, &profiles)?;
                plans.push(diff(&now, &profiles, target));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(PoolPlans { plans, skipped })
}

/// The plans that put the GPUs of a state file back (matched by UUID; read strictly). A saved
/// pending MIG mode is reported in the plan's notes, never re-created.
pub fn restore_plans(nvml: &Nvml, file: &StateFile) -> Result<Vec<GpuPlan>> {
    let count = nvml.device_count().map_err(|e| nv("device count", e))?;
    let mut uuids = Vec::new();
    for i in 0..count {
        let dev = nvml
            .device_by_index(i)
            .map_err(|e| nv(format!("GPU {i}"), e))?;
        uuids.push(dev.uuid().map_err(|e| nv(format!("GPU {i}: UUID"), e))?);
    }
    let mut plans = Vec::new();
    for s in &file.gpus {
        let index = uuids.iter().position(|u| *u == s.uuid).ok_or_else(|| {
            HilError::error(format!(
                "GPU {} ({}) of the state file is not on this host",
                s.index, s.uuid
            ))
        })? as u32;
        let (gpu, profiles) = snapshot_strict(nvml, index, &[])?;
        let mut saved = s.clone();
        saved.index = index;
        let mut plan = diff(&gpu, &profiles, saved_target(&saved, &profiles));
        plan.notes.extend(saved_pending_note(&saved));
        plans.push(plan);
    }
    Ok(plans)
}

/// `restore --yes`: runs the restore plans and verifies. A plan that switches MIG mode stops
/// there for that GPU (run restore again to re-create the instances).
pub fn restore(
    nvml: &Nvml,
    plans: &[GpuPlan],
    opts: &ApplyOptions,
    progress: &mut dyn Progress,
) -> Result<Applied> {
    preflight(plans, opts, "restore it", progress)?;
    let mut applied = Applied::default();
    for p in plans {
        let r =
            execute(nvml, p, &mut applied.journal, false, &opts.retry, progress).and_then(|()| {
                verify(
                    nvml,
                    p.gpu.index,
                    &p.target,
                    Expect::after(p),
                    &expected_profiles(p),
                )
            });
        if let Err(e) = r {
            return Err(HilError::new(
                Exit::RollbackFailed,
                format!(
                    "restore failed: {e}. Done before that: {}. The GPU may be half-configured: fix \
                     the cause and run restore again.",
                    if applied.journal.is_empty() {
                        "nothing".into()
                    } else {
                        applied.journal.join("; ")
                    }
                ),
            ));
        }
        if p.changes_mode() && !p.cancels_pending() {
            applied.mode_changed.push(p.gpu.index);
        }
    }
    Ok(applied)
}
