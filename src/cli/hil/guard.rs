//! `slicesim hil guard`: read-only checks before and after a run on a lab GPU.

use super::HilArgs;
use slicesim::hil::environment::{self, GuardState};
use slicesim::hil::state::write_atomic;
use slicesim::hil::{HilError, Result, host};
use std::path::Path;

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or("unreadable".into(), T::to_string)
}

fn summary(s: &GuardState) -> String {
    let g = &s.gpu;
    let e = &s.environment;
    let on = |b: bool| if b { "on" } else { "off" };
    let mps = match &e.mps_pids {
        Some(p) if p.is_empty() => "none".to_string(),
        Some(p) => format!("pids {p:?}"),
        None => "unreadable".into(),
    };
    let procs: Vec<String> = g.processes.iter().map(|p| p.pid.to_string()).collect();
    format!(
        "GPU {}: {} ({}): MIG {} (pending {}), {} instance(s), compute mode {}, MPS {}, \
         persistence {}, power limit {} mW, application clocks SM {} / memory {} MHz, \
         processes: {}",
        g.index,
        g.name,
        g.uuid,
        on(g.mig_current),
        on(g.mig_pending),
        g.instances.len(),
        opt(&e.compute_mode),
        mps,
        e.persistence.map_or("unreadable", on),
        opt(&e.power_limit_mw),
        opt(&e.app_clock_sm_mhz),
        opt(&e.app_clock_mem_mhz),
        if procs.is_empty() {
            "none".into()
        } else {
            procs.join(", ")
        }
    )
}

pub fn guard(
    args: &HilArgs,
    gpu: u32,
    timeslice_ready: bool,
    same_as: Option<&Path>,
    json: Option<&Path>,
) -> Result<()> {
    let before = same_as.map(environment::load).transpose()?;
    let nvml = super::nvml_of(args)?;
    let now = environment::guard_state(nvml, gpu, &host::root())?;
    outln!("{}", summary(&now));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&now).expect("guard state serializes");
        write_atomic(path, format!("{text}\n").as_bytes())?;
        outln!("wrote {}", path.display());
    }
    if let (Some(before), Some(path)) = (&before, same_as) {
        let diffs = environment::differences(before, &now);
        if !diffs.is_empty() {
            return Err(HilError::error(format!(
                "GPU {gpu} DIFFERS from {}: {}",
                path.display(),
                diffs.join("; ")
            )));
        }
        outln!("unchanged since {}", path.display());
    }
    if timeslice_ready {
        let problems = environment::timeslice_problems(&now);
        if !problems.is_empty() {
            return Err(HilError::refused(format!(
                "GPU {gpu} is not ready for whole-GPU time-slicing: {}",
                problems.join("; ")
            )));
        }
        outln!("ready for whole-GPU time-slicing (MIG off, compute mode DEFAULT, no MPS, idle)");
    }
    Ok(())
}
