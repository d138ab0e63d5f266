//! The job record every trace reader and the synthetic generator produce.

use crate::domain::{HostRequest, LoadStep, RequestSpec};
use crate::units::SimTime;
use serde::{Deserialize, Serialize};

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
    /// A gang (multi-node job, docs/MODEL.md "Gang jobs"): this many pods, each asking for
    /// `request`, scheduled all or nothing. None or 1 = one pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<u32>,
    /// CPU and host memory the pod requests; unset fields inherit the class's.
    #[serde(default, skip_serializing_if = "HostRequest::is_empty")]
    pub host: HostRequest,
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
            pods: None,
            host: HostRequest::default(),
        }
    }

    /// Pods of the job: 1 unless it is a gang.
    pub fn pod_count(&self) -> u32 {
        self.pods.unwrap_or(1).max(1)
    }
}
