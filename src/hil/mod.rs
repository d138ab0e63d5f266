//! Hardware-in-the-loop harness: put a scenario pool's MIG layout on a real GPU through NVML,
//! load it with probe workloads, measure, and compare with (and calibrate) the performance model.
//!
//! NVML (`libnvidia-ml.so.1`) is loaded at run time through nvml-wrapper, so everything builds
//! and runs without a GPU; without NVML the commands stop with a clear message and exit code 3.
//! CI drives the same code through a fake NVML library (`hil/fake-nvml/`, see [`fakelib`]).
//! See `docs/HIL.md` for the commands, the safety rules and the file formats.
//!
//! | file | concern |
//! |---|---|
//! | [`nvml`] | loading NVML once per process, device lookup, catalog model of a GPU |
//! | [`raw`] | MIG calls the safe API lacks (instances, placements) through `nvml.lib()`; every GPU write in `raw/write.rs`, behind the read-only guard |
//! | [`fakelib`] | building and loading the fake NVML library |
//! | [`guard`] | read-only mode: every NVML write refused |
//! | [`host`] | other GPU clients: Kubernetes node, device-file holders |
//! | [`environment`] | compute mode, MPS, clocks; the guard's before/after state |
//! | [`inventory`] | what a GPU reports, checked against the built-in catalog |
//! | [`plan`], [`apply`] | operations from the current state to a target, executing them with rollback |
//! | [`state`] | the state file saved before any change; atomic writes |
//! | [`lock`], [`safety`] | the lock file; Ctrl-C; foreign processes |
//! | [`probe`], [`cuda_probe`], [`sampler`] | probe workloads and NVML sampling |
//! | [`experiment`], [`measure`], [`measurements`] | running an experiment, the measurement file |
//! | [`compare`], [`calibrate`] | model predictions next to measurements; fitting parameters |

pub mod apply;
pub mod calibrate;
pub mod compare;
pub mod cuda_probe;
pub mod environment;
pub mod experiment;
pub mod fakelib;
pub mod guard;
pub mod host;
pub mod inventory;
pub mod lock;
pub mod measure;
pub mod measurements;
pub mod nvml;
pub mod plan;
pub mod probe;
pub mod raw;
pub mod safety;
pub mod sampler;
pub mod state;

use std::fmt;

/// Exit codes of `slicesim hil ...` (documented in docs/HIL.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done (for `compare`: every point within tolerance).
    Ok = 0,
    /// Bad input, or an NVML call failed before anything was changed.
    Error = 1,
    /// `compare`: at least one point outside the tolerance.
    OutOfTolerance = 2,
    /// No NVML (or no CUDA, for the probe) on this host.
    NoDevice = 3,
    /// Refused for safety: lock held, foreign processes, MIG mode change not allowed, reset
    /// pending, or the GPU does not match the pool.
    Refused = 4,
    /// A change failed part-way and the GPU was rolled back to its saved state.
    RolledBack = 5,
    /// A change failed and so did the rollback: the GPU may be half-configured.
    RollbackFailed = 6,
    /// Interrupted (Ctrl-C); the GPU was restored to its saved state.
    Interrupted = 130,
}

/// An error with the exit code it maps to.
#[derive(Debug, Clone, PartialEq)]
pub struct HilError {
    pub exit: Exit,
    pub message: String,
}

impl HilError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        HilError {
            exit,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Exit::Error, message)
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Exit::Refused, message)
    }
}

impl fmt::Display for HilError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HilError {}

impl From<String> for HilError {
    fn from(message: String) -> Self {
        HilError::error(message)
    }
}

pub type Result<T> = std::result::Result<T, HilError>;

/// Where the harness reports what it does while it does it (operations done, points measured,
/// warnings). The CLI prints each line at once, so the user sees every step even when a later
/// one fails; tests collect them.
pub trait Progress {
    /// A step done or a result (the CLI's standard output).
    fn step(&mut self, line: &str);
    /// A warning (the CLI's standard error).
    fn warn(&mut self, line: &str);
}

/// Collects every line, steps and warnings alike.
impl Progress for Vec<String> {
    fn step(&mut self, line: &str) {
        self.push(line.to_string());
    }
    fn warn(&mut self, line: &str) {
        self.push(line.to_string());
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_safety;
