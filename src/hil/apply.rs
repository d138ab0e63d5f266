//! Executing plans: `apply` (save the prior state, run the operations, verify, roll back on any
//! failure or Ctrl-C) and `restore` (put a saved state back). Every operation done is reported
//! to the caller's [`Progress`] as it happens and listed again in the final message, so the user
//! knows exactly what was done.

use super::inventory::{GpuSnapshot, snapshot};
use super::nvml::{describe as nvml_describe, device, indices, system};
use super::plan::{GpuPlan, GpuTarget, Op, diff, layout_target, saved_target};
use super::raw;
use super::safety::{check_foreign, interrupted};
use super::state::{self, StateFile};
use super::{Exit, HilError, Progress, Result};
use crate::scenario::Scenario;
use nvml_wrapper::Nvml;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the user allowed on the command line.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    /// Actually change the GPU (otherwise the caller only prints the plan).
    pub yes: bool,
    /// Allow operations that toggle MIG mode (they need a GPU reset).
    pub allow_mode_change: bool,
    /// Go ahead although foreign processes hold the GPU.
    pub force: bool,
    /// Where the prior state is saved (`apply`) or read (`restore`).
    pub state_path: PathBuf,
    /// The command line, recorded in the state file.
    pub command: String,
}

/// Refuses plans that cannot or may not run: reset pending, mode change not allowed, foreign
/// processes.
pub fn preflight(
    plans: &[GpuPlan],
    opts: &ApplyOptions,
    doing: &str,
    progress: &mut dyn Progress,
) -> Result<()> {
    for p in plans {
        if p.reset_pending {
            return Err(HilError::refused(format!(
                "GPU {}: {}",
                p.gpu.index,
                p.notes.join("; ")
            )));
        }
        if p.changes_mode() && !opts.allow_mode_change {
            return Err(HilError::refused(format!(
                "GPU {}: the plan changes MIG mode, which needs a GPU reset (root, no processes on \
                 the GPU); pass --allow-mode-change to do it",
                p.gpu.index
            )));
        }
        if !p.ops.is_empty() {
            check_foreign(&p.gpu, opts.force, doing, progress)?;
        }
    }
    Ok(())
}

/// Runs one plan's operations, appending what was done to `journal`. Stops at the first failure
/// (or at Ctrl-C when `interruptible`).
fn execute(
    nvml: &Nvml,
    plan: &GpuPlan,
    journal: &mut Vec<String>,
    interruptible: bool,
    progress: &mut dyn Progress,
) -> std::result::Result<(), String> {
    let index = plan.gpu.index;
    let dev = device(nvml, index).map_err(|e| e.message)?;
    // GPU instance id by memory start, for the compute instances created inside them.
    let mut gi_at: BTreeMap<u32, u32> =
        plan.gpu.instances.iter().map(|g| (g.start, g.id)).collect();
    for op in &plan.ops {
        if interruptible && interrupted() {
            return Err("interrupted (Ctrl-C)".into());
        }
        let what = super::plan::describe(op, &plan.gpu, &plan.profiles);
        let fail = |e: nvml_wrapper::error::NvmlError| {
            format!("GPU {index}: {what}: {}", nvml_describe(&e))
        };
        let mut done = format!("GPU {index}: {what}");
        match op {
            Op::SetMigMode { enable, .. } => {
                let status = dev.set_mig_mode(*enable).map_err(fail)?;
                let mode = dev.mig_mode().map_err(fail)?;
                if (mode.current == 1) == *enable {
                    done.push_str(&format!(": MIG mode is {}", on_off(*enable)));
                } else {
                    done.push_str(&format!(
                        ": pending ({}); reset the GPU (e.g. `nvidia-smi -r -i {index}`, as root, \
                         with no processes on it) to make it take effect, then run apply again",
                        activation(status)
                    ));
                }
            }
            Op::DestroyCi { gi, ci } => raw::destroy_ci(nvml, &dev, *gi, *ci).map_err(fail)?,
            Op::DestroyGi { gi, .. } => {
                raw::destroy_gi(nvml, &dev, *gi).map_err(fail)?;
                gi_at.retain(|_, id| id != gi);
            }
            Op::CreateGi {
                profile_id,
                start,
                size,
            } => {
                let id = raw::create_gi(nvml, &dev, *profile_id, *start, *size).map_err(fail)?;
                gi_at.insert(*start, id);
                done.push_str(&format!(": GPU instance {id}"));
            }
            Op::CreateCi { gi_start, ci } => {
                let gi = *gi_at
                    .get(gi_start)
                    .ok_or_else(|| format!("GPU {index}: {what}: no GPU instance there"))?;
                let pid = match ci.profile_id {
                    Some(p) => p,
                    None => raw::ci_profile_for(nvml, &dev, gi, ci.size)
                        .map_err(fail)?
                        .ok_or_else(|| {
                            format!(
                                "GPU {index}: {what}: GPU instance {gi} offers no compute-instance \
                                 profile with {} slices",
                                ci.size
                            )
                        })?,
                };
                let id = raw::create_ci(nvml, &dev, gi, pid, ci.start, ci.size).map_err(fail)?;
                done.push_str(&format!(": compute instance {id} of GPU instance {gi}"));
            }
        }
        progress.step(&format!("  done: {done}"));
        journal.push(done);
    }
    Ok(())
}

/// Checks that the GPU is in `target` (pending mode, and instances when the mode is current).
fn verify(nvml: &Nvml, index: u32, target: &GpuTarget) -> std::result::Result<GpuSnapshot, String> {
    let (now, profiles) = snapshot(nvml, index).map_err(|e| e.message)?;
    if now.mig_pending != target.mig {
        return Err(format!(
            "GPU {index}: MIG mode is pending {} but should be {}",
            on_off(now.mig_pending),
            on_off(target.mig)
        ));
    }
    if now.mig_current == target.mig {
        let left = diff(&now, &profiles, target.clone());
        if left.ops.iter().any(|o| !matches!(o, Op::SetMigMode { .. })) {
            return Err(format!(
                "GPU {index}: after the changes the instances still differ from the target ({} \
                 operation(s) left)",
                left.ops.len()
            ));
        }
    }
    Ok(now)
}

/// NVML's activation status of a MIG mode change, in words.
fn activation(status: u32) -> String {
    match status {
        0 => "activated".into(),
        16 => "RESET_REQUIRED".into(),
        19 => "IN_USE: the GPU could not be reset automatically".into(),
        other => format!("activation status {other}"),
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// Puts each GPU of `saved` back (used by rollback and `restore`). Returns what was done.
fn put_back(
    nvml: &Nvml,
    saved: &[GpuSnapshot],
    journal: &mut Vec<String>,
    progress: &mut dyn Progress,
) -> std::result::Result<(), String> {
    for s in saved {
        let (now, profiles) = snapshot(nvml, s.index).map_err(|e| e.message)?;
        let plan = diff(&now, &profiles, saved_target(s, &profiles));
        execute(nvml, &plan, journal, false, progress)?;
        verify(nvml, s.index, &plan.target)?;
    }
    Ok(())
}

/// `apply --yes`: saves the prior state, runs the plans, verifies, and rolls back on failure.
pub fn apply(
    nvml: &Nvml,
    plans: &[GpuPlan],
    opts: &ApplyOptions,
    progress: &mut dyn Progress,
) -> Result<Vec<String>> {
    preflight(plans, opts, "reconfigure it", progress)?;
    if plans.iter().all(|p| p.ops.is_empty()) {
        // Nothing to undo: keep the state file of the change that got the GPU here.
        return Ok(Vec::new());
    }
    let saved: Vec<GpuSnapshot> = plans.iter().map(|p| p.gpu.clone()).collect();
    let file = StateFile::new(opts.command.clone(), system(nvml)?, saved.clone());
    state::save(&opts.state_path, &file)?;
    progress.step(&format!(
        "saved the prior state to {}",
        opts.state_path.display()
    ));
    let mut journal = Vec::new();
    let mut failure = None;
    for p in plans {
        if let Err(e) = execute(nvml, p, &mut journal, true, progress) {
            failure = Some(e);
            break;
        }
        if let Err(e) = continue_after_mode_change(nvml, p, &mut journal, progress) {
            failure = Some(e);
            break;
        }
        if let Err(e) = verify(nvml, p.gpu.index, &p.target) {
            failure = Some(format!("verification failed: {e}"));
            break;
        }
    }
    let Some(failure) = failure else {
        return Ok(journal);
    };
    Err(roll_back(
        nvml,
        &saved,
        &journal,
        &failure,
        &opts.state_path,
        progress,
    ))
}

/// When a MIG mode change took effect at once (no reset needed), the instances of the target
/// can be created in the same run: plan again from the new state and carry on.
fn continue_after_mode_change(
    nvml: &Nvml,
    plan: &GpuPlan,
    journal: &mut Vec<String>,
    progress: &mut dyn Progress,
) -> std::result::Result<(), String> {
    if !plan.changes_mode() || plan.target.instances.is_empty() {
        return Ok(());
    }
    let (now, profiles) = snapshot(nvml, plan.gpu.index).map_err(|e| e.message)?;
    if now.mig_current != plan.target.mig {
        return Ok(()); // pending: the user resets the GPU and runs apply again
    }
    let next = diff(&now, &profiles, plan.target.clone());
    execute(nvml, &next, journal, true, progress)
}

/// Rolls every GPU back to `saved` after `failure` and builds the error that says what happened.
fn roll_back(
    nvml: &Nvml,
    saved: &[GpuSnapshot],
    done: &[String],
    failure: &str,
    state_path: &Path,
    progress: &mut dyn Progress,
) -> HilError {
    progress.step(&format!(
        "failed: {failure}; rolling back to the saved state"
    ));
    let mut undo = Vec::new();
    let result = put_back(nvml, saved, &mut undo, progress);
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
                 be half-configured: fix the cause, then run `slicesim hil restore --state {} --yes`.",
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
            Ok(target) => plans.push(diff(&now, &profiles, target)),
            Err(e) if e.exit == Exit::Refused && gpu.is_none() => skipped.push(e.message),
            Err(e) => return Err(e),
        }
    }
    Ok(PoolPlans { plans, skipped })
}

/// The plans that put the GPUs of a state file back (matched by UUID).
pub fn restore_plans(nvml: &Nvml, file: &StateFile) -> Result<Vec<GpuPlan>> {
    let count = nvml
        .device_count()
        .map_err(|e| super::nvml::nv("device count", e))?;
    let mut now = Vec::new();
    for i in 0..count {
        now.push(snapshot(nvml, i)?);
    }
    let mut plans = Vec::new();
    for s in &file.gpus {
        let (gpu, profiles) = now.iter().find(|(g, _)| g.uuid == s.uuid).ok_or_else(|| {
            HilError::error(format!(
                "GPU {} ({}) of the state file is not on this host",
                s.index, s.uuid
            ))
        })?;
        let mut saved = s.clone();
        saved.index = gpu.index;
        plans.push(diff(gpu, profiles, saved_target(&saved, profiles)));
    }
    Ok(plans)
}

/// `restore --yes`: runs the restore plans and verifies.
pub fn restore(
    nvml: &Nvml,
    plans: &[GpuPlan],
    opts: &ApplyOptions,
    progress: &mut dyn Progress,
) -> Result<Vec<String>> {
    preflight(plans, opts, "restore it", progress)?;
    let mut journal = Vec::new();
    for p in plans {
        let r = execute(nvml, p, &mut journal, false, progress)
            .and_then(|()| verify(nvml, p.gpu.index, &p.target).map(|_| ()));
        if let Err(e) = r {
            return Err(HilError::new(
                Exit::RollbackFailed,
                format!(
                    "restore failed: {e}. Done before that: {}. The GPU may be half-configured: fix \
                     the cause and run restore again.",
                    if journal.is_empty() {
                        "nothing".into()
                    } else {
                        journal.join("; ")
                    }
                ),
            ));
        }
    }
    Ok(journal)
}
