//! Running a plan's operations one by one (retrying IN_USE with backoff) and checking the result
//! with a strict snapshot (every NVML error is an error, never "absent").

use super::super::Progress;
use super::super::inventory::{GpuSnapshot, snapshot_strict};
use super::super::nvml::{describe as nvml_describe, device};
use super::super::plan::{GpuPlan, GpuTarget, Op, diff};
use super::super::raw;
use super::super::safety::interrupted;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;
use std::collections::BTreeMap;
use std::time::Duration;

/// Delays between the retries of an operation NVML answered IN_USE (a process that is exiting,
/// an instance still being torn down): three retries, 1 s, 2 s and 4 s after the failures.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// How operations are retried; `sleep` is injectable so that tests do not wait.
#[derive(Clone, Debug)]
pub struct Retry {
    pub delays: Vec<Duration>,
    pub sleep: fn(Duration),
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            delays: RETRY_DELAYS.to_vec(),
            sleep: std::thread::sleep,
        }
    }
}

impl Retry {
    /// Runs `f`, again after each delay while it answers IN_USE. Returns the result and how many
    /// retries it took.
    fn run<T>(&self, mut f: impl FnMut() -> Result<T, NvmlError>) -> (Result<T, NvmlError>, usize) {
        let mut tries = 0;
        loop {
            match f() {
                Err(NvmlError::InUse) if tries < self.delays.len() => {
                    (self.sleep)(self.delays[tries]);
                    tries += 1;
                }
                r => return (r, tries),
            }
        }
    }
}

/// Runs one plan's operations, appending what was done to `journal`. Stops at the first failure
/// (or at Ctrl-C when `interruptible`).
pub fn execute(
    nvml: &Nvml,
    plan: &GpuPlan,
    journal: &mut Vec<String>,
    interruptible: bool,
    retry: &Retry,
    progress: &mut dyn Progress,
) -> Result<(), String> {
    let index = plan.gpu.index;
    let dev = device(nvml, index).map_err(|e| e.message)?;
    // GPU instance id by memory start, for the compute instances created inside them.
    let mut gi_at: BTreeMap<u32, u32> =
        plan.gpu.instances.iter().map(|g| (g.start, g.id)).collect();
    for op in &plan.ops {
        if interruptible && interrupted() {
            return Err("interrupted (Ctrl-C)".into());
        }
        let what = super::super::plan::describe(op, &plan.gpu, &plan.profiles);
        let fail = |e: NvmlError| format!("GPU {index}: {what}: {}", nvml_describe(&e));
        let mut done = format!("GPU {index}: {what}");
        let (result, retries) = retry.run(|| -> Result<String, NvmlError> {
            Ok(match op {
                Op::SetMigMode { enable, reset } => {
                    let status = raw::set_mig_mode(&dev, *enable)?;
                    let mode = dev.mig_mode()?;
                    mode_outcome(index, *enable, *reset, mode.current == 1, status)
                }
                Op::DestroyCi { gi, ci } => {
                    raw::destroy_ci(nvml, &dev, *gi, *ci)?;
                    String::new()
                }
                Op::DestroyGi { gi, .. } => {
                    raw::destroy_gi(nvml, &dev, *gi)?;
                    gi_at.retain(|_, id| id != gi);
                    String::new()
                }
                Op::CreateGi {
                    profile_id,
                    start,
                    size,
                } => {
                    let id = raw::create_gi(nvml, &dev, *profile_id, *start, *size)?;
                    gi_at.insert(*start, id);
                    format!(": GPU instance {id}")
                }
                Op::CreateCi { gi_start, ci } => {
                    let Some(&gi) = gi_at.get(gi_start) else {
                        return Err(NvmlError::NotFound);
                    };
                    let pid = match ci.profile_id {
                        Some(p) => p,
                        None => raw::ci_profile_for(nvml, &dev, gi, ci.size)?
                            .ok_or(NvmlError::NotSupported)?,
                    };
                    let id = raw::create_ci(nvml, &dev, gi, pid, ci.start, ci.size)?;
                    format!(": compute instance {id} of GPU instance {gi}")
                }
            })
        });
        done.push_str(&result.map_err(fail)?);
        if retries > 0 {
            done.push_str(&format!(
                " (after {retries} IN_USE retr{})",
                plural(retries)
            ));
        }
        progress.step(&format!("  done: {done}"));
        journal.push(done);
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

/// What a MIG mode write did, in words.
fn mode_outcome(index: u32, enable: bool, reset: bool, current: bool, status: u32) -> String {
    if !reset {
        return format!(
            ": the pending change is cancelled; MIG mode stays {}",
            on_off(current)
        );
    }
    if current == enable {
        format!(
            ": MIG mode is {} (the driver activated it at once, resetting the GPU)",
            on_off(enable)
        )
    } else {
        format!(
            ": pending ({}); reset the GPU (e.g. `nvidia-smi -r -i {index}`, as root, with no \
             processes on it; in a pass-through VM: reboot the VM) to make it take effect, then \
             run apply again",
            activation(status)
        )
    }
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

pub fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// What a GPU must look like after a plan ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// Current MIG mode; `None` after a mode switch (activated at once, or pending).
    pub current: Option<bool>,
    pub pending: bool,
    /// Check the instances against the target (not after a mode switch: none can exist yet).
    pub instances: bool,
}

impl Expect {
    /// After `plan` ran to the end.
    pub fn after(plan: &GpuPlan) -> Expect {
        let switches = plan
            .ops
            .iter()
            .any(|o| matches!(o, Op::SetMigMode { reset: true, .. }));
        Expect {
            current: (!switches).then_some(plan.target.mig),
            pending: plan.target.mig,
            instances: !switches,
        }
    }

    /// Exactly the mode of a saved snapshot, with its instances.
    pub fn saved(s: &GpuSnapshot) -> Expect {
        Expect {
            current: Some(s.mig_current),
            pending: s.mig_pending,
            instances: true,
        }
    }
}

/// The profile ids a strict re-read must find again: those of the plan's snapshot when MIG was
/// on then and the plan does not switch it.
pub fn expected_profiles(plan: &GpuPlan) -> Vec<u32> {
    if plan.gpu.mig_current && Expect::after(plan).instances {
        plan.profiles.iter().map(|p| p.id).collect()
    } else {
        Vec::new()
    }
}

/// Checks with a strict snapshot that the GPU is as `expect` and `target` say.
pub fn verify(
    nvml: &Nvml,
    index: u32,
    target: &GpuTarget,
    expect: Expect,
    profiles: &[u32],
) -> Result<GpuSnapshot, String> {
    let (now, profiles) = snapshot_strict(nvml, index, profiles).map_err(|e| e.message)?;
    let mode_ok =
        now.mig_pending == expect.pending && expect.current.is_none_or(|c| c == now.mig_current);
    if !mode_ok {
        return Err(format!(
            "GPU {index}: MIG mode is {} (pending {}) but should be {} (pending {})",
            on_off(now.mig_current),
            on_off(now.mig_pending),
            expect.current.map_or("either", on_off),
            on_off(expect.pending)
        ));
    }
    if expect.instances {
        let left = diff(&now, &profiles, target.clone());
        let n = left
            .ops
            .iter()
            .filter(|o| !matches!(o, Op::SetMigMode { .. }))
            .count();
        if n > 0 {
            return Err(format!(
                "GPU {index}: after the changes the instances still differ from the target ({n} \
                 operation(s) left)"
            ));
        }
    }
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static SLEPT: RefCell<Vec<Duration>> = const { RefCell::new(Vec::new()) };
    }

    fn record(d: Duration) {
        SLEPT.with(|s| s.borrow_mut().push(d));
    }

    #[test]
    fn in_use_is_retried_with_backoff_then_given_up() {
        let retry = Retry {
            sleep: record,
            ..Retry::default()
        };
        // IN_USE twice, then success: two retries after 1 s and 2 s.
        let mut calls = 0;
        let (r, n) = retry.run(|| {
            calls += 1;
            if calls <= 2 {
                Err(NvmlError::InUse)
            } else {
                Ok(7)
            }
        });
        assert_eq!((r.unwrap(), n, calls), (7, 2, 3));
        SLEPT.with(|s| {
            assert_eq!(
                *s.borrow(),
                vec![Duration::from_secs(1), Duration::from_secs(2)]
            );
            s.borrow_mut().clear();
        });
        // Always IN_USE: 1 + 3 calls, then the error.
        let mut calls = 0;
        let (r, n) = retry.run(|| -> Result<(), NvmlError> {
            calls += 1;
            Err(NvmlError::InUse)
        });
        assert!(matches!(r, Err(NvmlError::InUse)));
        assert_eq!((n, calls), (3, 4));
        // Other errors are not retried.
        let mut calls = 0;
        let (r, _) = retry.run(|| -> Result<(), NvmlError> {
            calls += 1;
            Err(NvmlError::Unknown)
        });
        assert!(r.is_err());
        assert_eq!(calls, 1);
        SLEPT.with(|s| assert_eq!(s.borrow().len(), 3));
    }
}
