//! The measurement file `measure` writes (JSON): the hardware and driver it ran on, the probe, the
//! experiment, and one entry per point with every probe's throughput and the NVML samples. It is
//! rewritten atomically after every point (`complete: false` until the end), so an interrupted
//! run keeps every finished point.

use super::environment::Environment;
use super::experiment::Experiment;
use super::nvml::System;
use super::probe::{Idle, ProbeKind, ProbeOutcome, Work};
use super::sampler::{GpmReading, GpuReading, SampleSummary};
use super::{HilError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT: &str = "slicesim-hil-measurements/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    pub format: String,
    pub name: String,
    pub created_unix: u64,
    pub created: String,
    /// True when the numbers do not come from real hardware: the fake NVML library, or a probe
    /// that says it emulates (`synthetic=1`).
    pub synthetic: bool,
    /// Where the numbers come from, in words.
    pub provenance: String,
    /// False while `measure` is still running (or was stopped).
    pub complete: bool,
    pub interrupted: bool,
    pub system: System,
    pub gpu: GpuDescription,
    pub probe: ProbeKind,
    /// The GPU's compute mode, MPS, persistence, power limit and clocks when the run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    pub experiment: Experiment,
    pub points: Vec<Point>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuDescription {
    pub index: u32,
    pub uuid: String,
    pub name: String,
    /// Built-in catalog model (what the model's predictions use).
    pub catalog_model: String,
    pub memory_total_mib: u64,
    /// SMs of the whole GPU with MIG off (catalog), the denominator of MIG SM fractions.
    pub sms: u32,
    pub mig_current: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Index into `experiment.series`.
    pub series: usize,
    /// `time_slicing`, `mig`, `speed` or `memory`.
    pub kind: String,
    pub u: f64,
    pub d: f64,
    /// Probes running at once.
    pub n: u32,
    pub repeat: u32,
    /// Kernel time alone passed to the probes, ms.
    pub kernel_ms: Option<f64>,
    /// Kernel kind (a speed point's; `fma` elsewhere).
    #[serde(default, skip_serializing_if = "Work::is_fma")]
    pub work: Work,
    /// Kernel length alone the series asked for, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_ms_target: Option<f64>,
    #[serde(default, skip_serializing_if = "Idle::is_fixed")]
    pub idle: Idle,
    /// Loop count given to the probes (the one-probe point's calibration), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iters: Option<u32>,
    /// The common window the probes were given: start (they wait for it), then warm-up, then
    /// counting until stop (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Memory series: probes started this far apart, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stagger_ms: Option<u64>,
    /// GPM SM utilization and occupancy over the counting window (Hopper and newer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpm: Option<GpmReading>,
    pub probes: Vec<ProbeOutcome>,
    pub samples: SampleSummary,
    pub sample_series: Vec<GpuReading>,
}

/// A common measurement window, unix ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start_ms: u64,
    /// Counting starts here (start + warm-up).
    pub count_from_ms: u64,
    pub stop_ms: u64,
}

impl Window {
    /// The window for `n` probes starting now (`now_ms`): they get `max(2 s, 0.3 s x n)` to
    /// start their CUDA contexts, then the warm-up, then `duration`.
    pub fn for_probes(now_ms: u64, n: u32, warmup_ms: u64, duration_ms: u64) -> Window {
        let start_ms = now_ms + 2_000u64.max(300 * u64::from(n));
        Window {
            start_ms,
            count_from_ms: start_ms + warmup_ms,
            stop_ms: start_ms + warmup_ms + duration_ms,
        }
    }
}

impl Point {
    /// What besides the probe, u and d sets a point's kernels: kernel kind, length target and
    /// idle distribution (empty for the defaults). Only points with the same variant are ratios
    /// of each other.
    pub fn variant(&self) -> String {
        let mut v = Vec::new();
        if !self.work.is_fma() {
            v.push(self.work.name().to_string());
        }
        if let Some(k) = self.kernel_ms_target {
            v.push(format!("kernel {k} ms"));
        }
        if !self.idle.is_fixed() {
            v.push(format!("idle {}", self.idle.name()));
        }
        v.join(", ")
    }

    /// Mean throughput of the probes that reported one, if all did.
    pub fn mean_throughput(&self) -> Option<f64> {
        let t: Vec<f64> = self
            .probes
            .iter()
            .map(|p| p.line.as_ref().map(|l| l.throughput))
            .collect::<Option<Vec<f64>>>()?;
        (!t.is_empty()).then(|| t.iter().sum::<f64>() / t.len() as f64)
    }
}

pub fn save(path: &Path, m: &Measurements) -> Result<()> {
    let json = serde_json::to_string_pretty(m).expect("measurements serialize");
    super::state::write_atomic(path, format!("{json}\n").as_bytes())
}

pub fn load(path: &Path) -> Result<Measurements> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HilError::error(format!("{}: cannot read: {e}", path.display())))?;
    let m: Measurements = serde_json::from_str(&text)
        .map_err(|e| HilError::error(format!("{}: not a measurement file: {e}", path.display())))?;
    if m.format != FORMAT {
        return Err(HilError::error(format!(
            "{}: format `{}`, expected `{FORMAT}`",
            path.display(),
            m.format
        )));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_window_leaves_time_to_start_then_warms_up() {
        // n = 4: max(2000, 1200) = 2000 ms to start; n = 10: 3000 ms. Then 2 s warm-up, 6 s.
        let w = Window::for_probes(1_000, 4, 2_000, 6_000);
        assert_eq!(
            (w.start_ms, w.count_from_ms, w.stop_ms),
            (3_000, 5_000, 11_000)
        );
        let w = Window::for_probes(0, 10, 0, 1_000);
        assert_eq!(
            (w.start_ms, w.count_from_ms, w.stop_ms),
            (3_000, 3_000, 4_000)
        );
    }
}
