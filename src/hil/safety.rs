//! Ctrl-C handling and the foreign-process check.
//!
//! Ctrl-C only sets a flag: `apply` checks it between NVML operations and rolls back to the saved
//! state, `measure` stops its probes and writes what it has. A second Ctrl-C does not cut a
//! rollback short; it only repeats that the harness is restoring.

use super::inventory::{GpuSnapshot, Process};
use super::{HilError, Progress, Result};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static PRESSES: AtomicU32 = AtomicU32::new(0);
static INSTALL: Once = Once::new();

/// Installs the Ctrl-C (SIGINT/SIGTERM) handler once per process; `notify` tells the user what
/// a press does (it runs on the handler's thread). Err: the handler could not be installed (the
/// first call only says so).
pub fn install_ctrlc(notify: fn(&str)) -> std::result::Result<(), String> {
    let mut result = Ok(());
    INSTALL.call_once(|| {
        result = ctrlc::set_handler(move || {
            INTERRUPTED.store(true, Ordering::SeqCst);
            if PRESSES.fetch_add(1, Ordering::SeqCst) > 0 {
                notify("slicesim hil: interrupted again; still restoring, please wait");
            } else {
                notify("slicesim hil: interrupted; stopping at the next safe point");
            }
        })
        .map_err(|e| e.to_string());
    });
    result
}

/// True once Ctrl-C was pressed (or [`interrupt`] called).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Raises the interrupt flag as Ctrl-C would (tests).
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Processes on the GPU that are not ours (`ours`: pids of this run's probes).
pub fn foreign<'a>(gpu: &'a GpuSnapshot, ours: &[u32]) -> Vec<&'a Process> {
    gpu.processes
        .iter()
        .filter(|p| !ours.contains(&p.pid) && p.pid != std::process::id())
        .collect()
}

/// Refuses to touch a GPU that foreign processes hold, unless `force` (then warns).
pub fn check_foreign(
    gpu: &GpuSnapshot,
    force: bool,
    doing: &str,
    progress: &mut dyn Progress,
) -> Result<()> {
    let procs = foreign(gpu, &[]);
    if procs.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = procs
        .iter()
        .map(|p| format!("pid {} ({} MiB)", p.pid, p.used_mib))
        .collect();
    if force {
        progress.warn(&format!(
            "warning: GPU {}: --force: {doing} although processes hold it: {}",
            gpu.index,
            list.join(", ")
        ));
        return Ok(());
    }
    Err(HilError::refused(format!(
        "GPU {} is in use by {}; refusing to {doing} (stop them, or pass --force)",
        gpu.index,
        list.join(", ")
    )))
}
