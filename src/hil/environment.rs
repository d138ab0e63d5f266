//! What else about a GPU decides whether a time-slicing measurement means anything, and what must
//! be the same before and after a run on a lab GPU: compute mode (EXCLUSIVE_PROCESS makes n > 1
//! fail), an MPS server (it turns time-slicing into MPS), persistence mode, power limit and
//! application clocks. `slicesim hil guard` reads it; everything here only reads.

use super::inventory::{GpuSnapshot, snapshot};
use super::nvml::{System, device, system};
use super::{HilError, Result};
use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{Clock, ComputeMode};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A GPU's settings beyond MIG. `None`: NVML could not tell (not supported, no permission).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `DEFAULT`, `EXCLUSIVE_PROCESS`, `PROHIBITED`, ...
    pub compute_mode: Option<String>,
    /// Processes of the MPS server on the GPU.
    pub mps_pids: Option<Vec<u32>>,
    /// An MPS pipe directory found on the host (the server's default `/tmp/nvidia-mps`, or
    /// `$CUDA_MPS_PIPE_DIRECTORY`).
    pub mps_pipe_dir: Option<String>,
    pub persistence: Option<bool>,
    pub power_limit_mw: Option<u32>,
    pub app_clock_sm_mhz: Option<u32>,
    pub app_clock_mem_mhz: Option<u32>,
}

fn mode_name(m: &ComputeMode) -> &'static str {
    match m {
        ComputeMode::Default => "DEFAULT",
        ComputeMode::ExclusiveThread => "EXCLUSIVE_THREAD",
        ComputeMode::Prohibited => "PROHIBITED",
        ComputeMode::ExclusiveProcess => "EXCLUSIVE_PROCESS",
    }
}

/// Reads GPU `index`'s environment; `root` is where the MPS pipe directory is looked for.
pub fn read(nvml: &Nvml, index: u32, root: &Path) -> Result<Environment> {
    let dev = device(nvml, index)?;
    let pipe = std::env::var_os("CUDA_MPS_PIPE_DIRECTORY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("tmp/nvidia-mps"));
    Ok(Environment {
        compute_mode: dev.compute_mode().ok().map(|m| mode_name(&m).to_string()),
        mps_pids: dev
            .mps_running_compute_processes()
            .ok()
            .map(|v| v.iter().map(|p| p.pid).collect()),
        mps_pipe_dir: pipe.exists().then(|| pipe.display().to_string()),
        persistence: dev.is_in_persistent_mode().ok(),
        power_limit_mw: dev.power_management_limit().ok(),
        app_clock_sm_mhz: dev.applications_clock(Clock::SM).ok(),
        app_clock_mem_mhz: dev.applications_clock(Clock::Memory).ok(),
    })
}

pub const FORMAT: &str = "slicesim-hil-guard/1";

/// One GPU as `hil guard` records it before and after a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardState {
    pub format: String,
    pub system: System,
    pub gpu: GpuSnapshot,
    pub environment: Environment,
}

/// Reads GPU `index` for the guard.
pub fn guard_state(nvml: &Nvml, index: u32, root: &Path) -> Result<GuardState> {
    let (gpu, _) = snapshot(nvml, index)?;
    Ok(GuardState {
        format: FORMAT.into(),
        system: system(nvml)?,
        gpu,
        environment: read(nvml, index, root)?,
    })
}

/// Why whole-GPU time-slicing cannot be measured (or must not be) on this GPU now; empty: it
/// can. MIG must be off and not pending, compute mode DEFAULT, no MPS, no processes.
pub fn timeslice_problems(s: &GuardState) -> Vec<String> {
    let mut out = Vec::new();
    let g = &s.gpu;
    if g.mig_current || g.mig_pending {
        out.push(format!(
            "MIG mode is {} (pending {}): must be off and not pending",
            on_off(g.mig_current),
            on_off(g.mig_pending)
        ));
    }
    out.extend(sharing_problems(&s.environment));
    if !g.processes.is_empty() {
        let pids: Vec<String> = g.processes.iter().map(|p| p.pid.to_string()).collect();
        out.push(format!("processes hold the GPU: pids {}", pids.join(", ")));
    }
    if !g.unreadable.is_empty() {
        out.push(format!("partial read: {}", g.unreadable.join("; ")));
    }
    out
}

/// Why several processes on this GPU would not be time-sliced the default way: compute mode
/// other than DEFAULT (EXCLUSIVE_PROCESS makes the second context fail), or an MPS server (the
/// processes would share through MPS). Unreadable counts as a problem. Empty: none.
pub fn sharing_problems(e: &Environment) -> Vec<String> {
    let mut out = Vec::new();
    match e.compute_mode.as_deref() {
        Some("DEFAULT") => {}
        Some(m) => out.push(format!("compute mode is {m}, not DEFAULT")),
        None => out.push("compute mode unreadable".into()),
    }
    match &e.mps_pids {
        Some(p) if p.is_empty() => {}
        Some(p) => out.push(format!("an MPS server runs on the GPU (pids {p:?})")),
        None => out.push("MPS processes unreadable".into()),
    }
    if let Some(dir) = &e.mps_pipe_dir {
        out.push(format!(
            "an MPS pipe directory exists ({dir}): is an MPS server running?"
        ));
    }
    out
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// What differs between two guard states of the same GPU (identity, MIG mode and instances,
/// processes, environment); empty: nothing.
pub fn differences(before: &GuardState, after: &GuardState) -> Vec<String> {
    let mut out = Vec::new();
    let (b, a) = (&before.gpu, &after.gpu);
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{name}: before {x}, after {y}"));
        }
    };
    field("GPU UUID", b.uuid.clone(), a.uuid.clone());
    field("GPU name", b.name.clone(), a.name.clone());
    field(
        "memory (MiB)",
        b.memory_total_mib.to_string(),
        a.memory_total_mib.to_string(),
    );
    field(
        "MIG current",
        on_off(b.mig_current).into(),
        on_off(a.mig_current).into(),
    );
    field(
        "MIG pending",
        on_off(b.mig_pending).into(),
        on_off(a.mig_pending).into(),
    );
    field(
        "instances",
        format!("{:?}", b.instances),
        format!("{:?}", a.instances),
    );
    let pids = |g: &GpuSnapshot| {
        format!(
            "{:?}",
            g.processes.iter().map(|p| p.pid).collect::<Vec<_>>()
        )
    };
    field("processes", pids(b), pids(a));
    let (x, y) = (&before.environment, &after.environment);
    field(
        "compute mode",
        format!("{:?}", x.compute_mode),
        format!("{:?}", y.compute_mode),
    );
    field(
        "MPS",
        format!("{:?}", x.mps_pids),
        format!("{:?}", y.mps_pids),
    );
    field(
        "MPS pipe directory",
        format!("{:?}", x.mps_pipe_dir),
        format!("{:?}", y.mps_pipe_dir),
    );
    field(
        "persistence mode",
        format!("{:?}", x.persistence),
        format!("{:?}", y.persistence),
    );
    field(
        "power limit (mW)",
        format!("{:?}", x.power_limit_mw),
        format!("{:?}", y.power_limit_mw),
    );
    field(
        "application SM clock",
        format!("{:?}", x.app_clock_sm_mhz),
        format!("{:?}", y.app_clock_sm_mhz),
    );
    field(
        "application memory clock",
        format!("{:?}", x.app_clock_mem_mhz),
        format!("{:?}", y.app_clock_mem_mhz),
    );
    out
}

/// Loads a guard state written by `hil guard --json`.
pub fn load(path: &Path) -> Result<GuardState> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HilError::error(format!("{}: cannot read: {e}", path.display())))?;
    let s: GuardState = serde_json::from_str(&text)
        .map_err(|e| HilError::error(format!("{}: not a guard state: {e}", path.display())))?;
    if s.format != FORMAT {
        return Err(HilError::error(format!(
            "{}: format `{}`, expected `{FORMAT}`",
            path.display(),
            s.format
        )));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hil::fakelib::{FakeGpu, install};

    fn state(extra: &str) -> (tempfile::TempDir, GuardState) {
        let dir = tempfile::tempdir().unwrap();
        let lib = install(dir.path(), &[FakeGpu::new("H200-141GB", false)], &[]).unwrap();
        let st = dir.path().join("fake-nvml-state");
        let text = std::fs::read_to_string(&st).unwrap();
        std::fs::write(
            &st,
            text.replacen("pending=0", &format!("pending=0 {extra}"), 1),
        )
        .unwrap();
        let nvml = crate::hil::nvml::open(Some(&lib)).unwrap();
        let s = guard_state(&nvml, 0, dir.path()).unwrap();
        (dir, s)
    }

    proptest::proptest! {
        #[test]
        fn loading_any_file_is_an_error_or_a_state_never_a_panic(text in ".{0,200}") {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("g.json");
            std::fs::write(&p, &text).unwrap();
            if let Err(e) = load(&p) {
                proptest::prop_assert!(e.message.contains("g.json"), "{}", e);
            }
        }
    }

    #[test]
    fn a_guard_state_round_trips_and_a_wrong_format_is_refused() {
        let (d, s) = state("");
        let p = d.path().join("before.json");
        std::fs::write(&p, serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(load(&p).unwrap(), s);
        let mut other = s.clone();
        other.format = "slicesim-hil-guard/9".into();
        std::fs::write(&p, serde_json::to_string(&other).unwrap()).unwrap();
        assert!(
            load(&p)
                .unwrap_err()
                .message
                .contains("expected `slicesim-hil-guard/1`")
        );
    }

    #[test]
    fn an_idle_mig_off_gpu_is_ready_and_each_problem_is_named() {
        let (_d, ok) = state("");
        assert_eq!(ok.environment.compute_mode.as_deref(), Some("DEFAULT"));
        assert_eq!(ok.environment.persistence, Some(true));
        assert_eq!(ok.environment.power_limit_mw, Some(700_000));
        assert!(
            timeslice_problems(&ok).is_empty(),
            "{:?}",
            timeslice_problems(&ok)
        );
        // nvmlComputeMode_t: 3 = EXCLUSIVE_PROCESS (1 EXCLUSIVE_THREAD, 2 PROHIBITED).
        let (_d, excl) = state("compute_mode=3 mps_pid=555");
        let p = timeslice_problems(&excl);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("EXCLUSIVE_PROCESS"), "{p:?}");
        assert!(p[1].contains("MPS server") && p[1].contains("555"), "{p:?}");
        let (_d, pend) = state("");
        let mut pend = pend;
        pend.gpu.mig_pending = true;
        assert!(timeslice_problems(&pend)[0].contains("pending on"));
        let d = differences(&ok, &excl);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            d[0],
            "compute mode: before Some(\"DEFAULT\"), after Some(\"EXCLUSIVE_PROCESS\")"
        );
        assert!(differences(&ok, &ok).is_empty());
    }
}
