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
//!   - {kind: time_slicing, u: 0.5, d: 1.0, concurrency: [2], kernel_ms_target: 20, idle: exp}
//!   - {kind: mig, u: 0.8, d: 0.6}                            # one probe per MIG instance
//!   - {kind: speed, probe_kind: [fma, stream]}               # one probe alone per kind
//!   - {kind: memory, n: 3, mem_gib: 50, stagger: 1s, hold: 2s}  # n probes allocating
//! ```
//!
//! Time-slicing and speed probes share one window: they start together at a time the harness
//! sets, warm up, and count what completes before a common stop (review B1).

use super::probe::{Idle, Work};
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
fn second() -> Dur {
    Dur(1_000)
}
fn two_seconds() -> Dur {
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
        /// Kernel length alone to aim for, ms: the `n = 1` point's probe calibrates its loop
        /// count to it in the warm-up, and the other points use that loop count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_ms_target: Option<f64>,
        /// Idle time between kernels when `u < 1`: `fixed`, or `exp` (exponential, same mean).
        #[serde(default, skip_serializing_if = "Idle::is_fixed")]
        idle: Idle,
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
    /// One probe alone on the whole GPU per kernel kind, in absolute units (FLOP/s, bytes/s),
    /// for `compare --reference`.
    Speed { probe_kind: Vec<Work> },
    /// `n` probes started `stagger` apart on the whole GPU, each allocating `mem_gib` and holding
    /// it `hold` after the last one started: which allocations fail, against the model's OOM
    /// rule, and the memory each context costs.
    Memory {
        n: u32,
        mem_gib: f64,
        #[serde(default = "second")]
        stagger: Dur,
        #[serde(default = "two_seconds")]
        hold: Dur,
    },
}

impl Series {
    pub fn ud(&self) -> (f64, f64) {
        match self {
            Series::TimeSlicing { u, d, .. } | Series::Mig { u, d, .. } => (*u, *d),
            Series::Speed { .. } | Series::Memory { .. } => (1.0, 1.0),
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Series::TimeSlicing { .. } => "time_slicing",
            Series::Mig { .. } => "mig",
            Series::Speed { .. } => "speed",
            Series::Memory { .. } => "memory",
        }
    }
}

/// Parses an experiment (YAML 1.2 booleans only, so that the memory series' key `n` is a key,
/// not the YAML 1.1 spelling of `false`).
pub fn parse(text: &str) -> std::result::Result<Experiment, String> {
    serde_saphyr::from_str_with_options(text, serde_saphyr::options! { strict_booleans: true })
        .map_err(|e| crate::yaml::message(&e))
}

pub fn load(path: &Path) -> Result<Experiment> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HilError::error(format!("{}: cannot read: {e}", path.display())))?;
    let e: Experiment =
        parse(&text).map_err(|e| HilError::error(format!("{}: {e}", path.display())))?;
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
            match s {
                Series::TimeSlicing {
                    concurrency: n,
                    kernel_ms_target: k,
                    ..
                } => {
                    if n.is_empty() || n.iter().any(|&k| k == 0 || k > 64) {
                        p.push(format!(
                            "series[{i}]: concurrency must list counts in 1..=64"
                        ));
                    }
                    if k.is_some_and(|k| !(k > 0.0 && k <= 10_000.0)) {
                        p.push(format!(
                            "series[{i}]: kernel_ms_target must be in (0, 10000] ms"
                        ));
                    }
                }
                Series::Speed { probe_kind } if probe_kind.is_empty() => {
                    p.push(format!(
                        "series[{i}]: probe_kind must list fma and/or stream"
                    ));
                }
                Series::Memory { n, mem_gib, .. } => {
                    if *n == 0 || *n > 64 {
                        p.push(format!("series[{i}]: n must be in 1..=64"));
                    }
                    if !(*mem_gib > 0.0 && *mem_gib <= 4096.0) {
                        p.push(format!("series[{i}]: mem_gib must be in (0, 4096]"));
                    }
                }
                _ => {}
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> std::result::Result<Experiment, String> {
        let e = super::parse(yaml)?;
        let p = e.problems();
        if p.is_empty() {
            Ok(e)
        } else {
            Err(p.join("; "))
        }
    }

    #[test]
    fn the_new_series_parse_with_their_defaults() {
        let e = parse(
            "name: x\nduration: 6s\nseries:\n\
             - {kind: time_slicing, u: 0.5, d: 1.0, concurrency: [2], kernel_ms_target: 20, idle: exp}\n\
             - {kind: speed, probe_kind: [fma, stream]}\n\
             - {kind: memory, n: 3, mem_gib: 50}\n",
        )
        .unwrap();
        assert_eq!(
            e.series[0],
            Series::TimeSlicing {
                u: 0.5,
                d: 1.0,
                concurrency: vec![2],
                kernel_ms: None,
                kernel_ms_target: Some(20.0),
                idle: Idle::Exp,
            }
        );
        assert_eq!(
            e.series[1],
            Series::Speed {
                probe_kind: vec![Work::Fma, Work::Stream]
            }
        );
        assert_eq!(
            e.series[2],
            Series::Memory {
                n: 3,
                mem_gib: 50.0,
                stagger: Dur(1_000),
                hold: Dur(2_000)
            }
        );
        assert_eq!(e.series[2].kind(), "memory");
        assert_eq!(e.series[1].ud(), (1.0, 1.0));
    }

    #[test]
    fn bad_new_series_are_named() {
        let bad = parse(
            "name: x\nduration: 6s\nseries:\n\
             - {kind: time_slicing, u: 1, d: 1, concurrency: [1], kernel_ms_target: 0}\n\
             - {kind: speed, probe_kind: []}\n\
             - {kind: memory, n: 0, mem_gib: -1}\n",
        )
        .unwrap_err();
        for part in [
            "series[0]: kernel_ms_target",
            "series[1]: probe_kind",
            "series[2]: n must",
            "series[2]: mem_gib",
        ] {
            assert!(bad.contains(part), "{part} in {bad}");
        }
        assert!(
            parse("name: x\nduration: 6s\nseries:\n- {kind: speed, probe_kind: [gemm]}\n").is_err()
        );
        assert!(
            parse("name: x\nduration: 6s\nseries:\n- {kind: time_slicing, u: 1, d: 1, concurrency: [1], idle: poisson}\n")
                .is_err()
        );
    }
}
