//! The job record every trace reader and the synthetic generator produce.

use crate::units::SimTime;
use serde::{Deserialize, Serialize};

/// What a job asks Kubernetes for, per pod. `count` is the number of devices on one node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RequestSpec {
    /// `nvidia.com/gpu: count` — a whole GPU on exclusive pools, a replica on time-sliced pools,
    /// an instance on MIG `single` pools, 1000 milli on fractional pools.
    Gpu { count: u32 },
    /// `nvidia.com/gpu.shared: count` — what a time-sliced pool with `rename_by_default`
    /// advertises.
    SharedGpu { count: u32 },
    /// `nvidia.com/mig-<profile>: count` (MIG `mixed` strategy).
    Mig { profile: String, count: u32 },
    /// A share of `milli`/1000 of each of `count` GPUs (fractional pools).
    Milli { milli: u32, count: u32 },
}

impl RequestSpec {
    pub fn count(&self) -> u32 {
        match self {
            RequestSpec::Gpu { count }
            | RequestSpec::SharedGpu { count }
            | RequestSpec::Mig { count, .. }
            | RequestSpec::Milli { count, .. } => *count,
        }
    }
}

impl RequestSpec {
    /// The ResourceQuota key this request is counted under (`requests.nvidia.com/...`).
    pub fn quota_resource(&self) -> String {
        match self {
            RequestSpec::Gpu { .. } | RequestSpec::Milli { .. } => "requests.nvidia.com/gpu".into(),
            RequestSpec::SharedGpu { .. } => "requests.nvidia.com/gpu.shared".into(),
            RequestSpec::Mig { profile, .. } => format!(
                "requests.nvidia.com/mig-{}",
                profile.strip_prefix("mig-").unwrap_or(profile)
            ),
        }
    }
}

impl std::fmt::Display for RequestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestSpec::Gpu { count } => write!(f, "gpu:{count}"),
            RequestSpec::SharedGpu { count } => write!(f, "gpu.shared:{count}"),
            RequestSpec::Mig { profile, count } => write!(f, "mig-{profile}:{count}"),
            RequestSpec::Milli { milli, count } => write!(f, "milli:{milli}x{count}"),
        }
    }
}

/// One job as read from a trace. `None` fields inherit the workload class's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceJob {
    pub id: u64,
    /// Submit time (ms since run start).
    pub submit: SimTime,
    /// Workload class name (must exist in the scenario).
    pub class: String,
    pub namespace: Option<String>,
    pub priority_class: Option<String>,
    pub request: Option<RequestSpec>,
    /// GPU memory the job needs, GiB.
    pub mem_gib: Option<f64>,
    /// Batch jobs: work in ms of run time alone on whole reference GPUs (one per requested
    /// device). Services: wall-clock run time in ms.
    pub duration: SimTime,
    /// Kernel duty cycle when alone (0..=1].
    pub u: Option<f64>,
    /// Fraction of the GPU's SMs its kernels can fill (0..=1].
    pub d: Option<f64>,
    /// Checkpoint interval in ms of work (0 = never checkpoints).
    pub checkpoint: Option<SimTime>,
    /// GPU models the job may run on (model names, compared ignoring case); empty = any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_models: Vec<String>,
    /// A time-varying kernel duty cycle: from each step's offset on, the job's `u` is the
    /// step's. Empty = `u` stays constant. Used for services whose load follows a request trace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load: Vec<LoadStep>,
}

/// One step of a job's load: from `at` ms after the job's submit time, its duty cycle is `u`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadStep {
    pub at: SimTime,
    /// Kernel duty cycle in (0, 1].
    pub u: f64,
}

impl TraceJob {
    /// A job with only the required fields; everything else inherits from its class.
    pub fn new(id: u64, submit: SimTime, class: impl Into<String>, duration: SimTime) -> Self {
        TraceJob {
            id,
            submit,
            class: class.into(),
            namespace: None,
            priority_class: None,
            request: None,
            mem_gib: None,
            duration,
            u: None,
            d: None,
            checkpoint: None,
            gpu_models: Vec::new(),
            load: Vec::new(),
        }
    }
}
