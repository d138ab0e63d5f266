//! The experiment file `measure` runs (YAML): which GPU, how long each point runs, how often to
//! sample, which probe, and the series of points.
//!
//! ```yaml
//! name: a100-timeslice
//! gpu: 0                 # NVML index
//! duration: 10s          # measured time per point (after the warm-up)
//! warmup: 2s
//! sample_hz: 10          # NVML sampling rate
//! repeats: 1
//! probe_cmd: null        # a shell command; default: the built-in CUDA probe
//! series:
//!   - {kind: time_slicing, u: 1.0, d: 1.0, concurrency: [1, 2, 3, 4]}  # n probes at once
//!   - {kind: mig, u: 0.8, d: 0.6}                            # one probe per MIG instance
//! ```

use super::{HilError, Result};
use crate::units::Dur;
use serde::{Deserialize, Serialize};
use std::path::Path;

fn one() -> u32 {
    1
}
fn ten() -> f64 {
    10.0
}
fn warmup() -> Dur {
    Dur(2_000)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// NVML index of the GPU.
    #[serde(default)]
    pub gpu: u32,
    pub duration: Dur,
    #[serde(default = "warmup")]
    pub warmup: Dur,
    #[serde(default = "ten")]
    pub sample_hz: f64,
    #[serde(default = "one")]
    pub repeats: u32,
    /// Shell command of a user probe (`--probe-cmd` overrides it); default: built-in probe.
    #[serde(default)]
    pub probe_cmd: Option<String>,
    pub series: Vec<Series>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Series {
    /// `n` concurrent probes on the whole GPU (MIG off), for each `n` in `concurrency`; `n = 1`
    /// is always run first (it is the baseline).
    TimeSlicing {
        u: f64,
        d: f64,
        concurrency: Vec<u32>,
        /// Kernel time alone, ms; default: what the `n = 1` point's probe reports.
        #[serde(default)]
        kernel_ms: Option<f64>,
    },
    /// One probe in each MIG instance of the GPU, all at once (MIG on).
    Mig {
        u: f64,
        d: f64,
        /// Kernel time alone on the whole GPU, ms (from a time-slicing `n = 1` point with the
        /// same u and d); default: an earlier series of this experiment, else the probe's own.
        #[serde(default)]
        kernel_ms: Option<f64>,
    },
}

impl Series {
    pub fn ud(&self) -> (f64, f64) {
        match self {
            Series::TimeSlicing { u, d, .. } | Series::Mig { u, d, .. } => (*u, *d),
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Series::TimeSlicing { .. } => "time_slicing",
            Series::Mig { .. } => "mig",
        }
    }
}

pub fn load(path: &Path) -> Result<Experiment> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HilError::error(format!("{}: cannot read: {e}", path.display())))?;
    let e: Experiment = serde_saphyr::from_str(&text).map_err(|e| {
        HilError::error(format!("{}: {}", path.display(), crate::yaml::message(&e)))
    })?;
    let problems = e.problems();
    if !problems.is_empty() {
        return Err(HilError::error(format!(
            "{}: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    Ok(e)
}

impl Experiment {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.duration.ms() == 0 {
            p.push("duration must be > 0".to_string());
        }
        if !(self.sample_hz > 0.0 && self.sample_hz <= 1000.0) {
            p.push(format!("sample_hz {} is not in (0, 1000]", self.sample_hz));
        }
        if self.repeats == 0 {
            p.push("repeats must be >= 1".into());
        }
        if self.series.is_empty() {
            p.push("series: at least one series is needed".into());
        }
        for (i, s) in self.series.iter().enumerate() {
            let (u, d) = s.ud();
            if !(u > 0.0 && u <= 1.0 && d > 0.0 && d <= 1.0) {
                p.push(format!("series[{i}]: u {u} and d {d} must be in (0, 1]"));
            }
            if let Series::TimeSlicing { concurrency: n, .. } = s
                && (n.is_empty() || n.iter().any(|&k| k == 0 || k > 64))
            {
                p.push(format!(
                    "series[{i}]: concurrency must list counts in 1..=64"
                ));
            }
        }
        p
    }
}
