//! The measurement file `measure` writes (JSON): the hardware and driver it ran on, the probe, the
//! experiment, and one entry per point with every probe's throughput and the NVML samples. It is
//! rewritten atomically after every point (`complete: false` until the end), so an interrupted
//! run keeps every finished point.

use super::experiment::Experiment;
use super::nvml::System;
use super::probe::{ProbeKind, ProbeOutcome};
use super::sampler::{GpuReading, SampleSummary};
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
    /// `time_slicing` or `mig`.
    pub kind: String,
    pub u: f64,
    pub d: f64,
    /// Probes running at once.
    pub n: u32,
    pub repeat: u32,
    /// Kernel time alone passed to the probes, ms.
    pub kernel_ms: Option<f64>,
    pub probes: Vec<ProbeOutcome>,
    pub samples: SampleSummary,
    pub sample_series: Vec<GpuReading>,
}

impl Point {
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
