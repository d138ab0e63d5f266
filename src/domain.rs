//! The vocabulary every layer shares: what a job asks for, what kind of job it is, how a pool
//! shares its GPUs, Kubernetes taints, tolerations and affinity, and the scheduler's policy names.
//!
//! Types only. They live here, below the scenario file format and the trace readers, so that
//! `cluster/`, `sched/`, `perf/` and `sim/` can use them without depending on an input format.
//! The serde derives are what the scenario schema and the native trace format read and write.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

// ---- jobs ----

/// What a job asks Kubernetes for, per pod. `count` is the number of devices on one node.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
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
    pub fn quota_resource(&self) -> Cow<'static, str> {
        // Borrowed where the name is fixed: it is asked for every job that arrives.
        match self {
            RequestSpec::Gpu { .. } | RequestSpec::Milli { .. } => "requests.nvidia.com/gpu".into(),
            RequestSpec::SharedGpu { .. } => "requests.nvidia.com/gpu.shared".into(),
            RequestSpec::Mig { profile, .. } => Cow::Owned(format!(
                "requests.nvidia.com/mig-{}",
                profile.strip_prefix("mig-").unwrap_or(profile)
            )),
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

/// CPU and host memory one pod requests (Kubernetes `resources.requests.cpu` and
/// `resources.requests.memory`); `None` = not given (the class's value applies, else no request).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRequest {
    /// Millicores (`500m` = 500, `2` = 2,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_milli: Option<u64>,
    /// Bytes of host memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_bytes: Option<u64>,
}

impl HostRequest {
    pub fn is_empty(&self) -> bool {
        self.cpu_milli.is_none() && self.mem_bytes.is_none()
    }
}

/// One step of a job's load: from `at` ms after the job's submit time, its duty cycle is `u`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadStep {
    /// Milliseconds (a `units::SimTime`, spelled out so the vocabulary depends on nothing).
    pub at: u64,
    /// Kernel duty cycle in (0, 1].
    pub u: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Has an amount of work; done when the work is done.
    Batch,
    /// Runs for a wall-clock duration; has a speed target.
    Service,
}

// ---- how a pool shares its GPUs ----

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Sharing {
    Exclusive,
    TimeSlicing {
        replicas: u32,
        #[serde(default)]
        rename_by_default: bool,
        #[serde(default)]
        fail_requests_greater_than_one: bool,
        #[serde(default)]
        allocation: ReplicaAllocation,
    },
    Mig {
        #[serde(default)]
        strategy: MigStrategy,
        layout: Vec<String>,
        /// Time-slicing replicas per MIG profile (device plugin `sharing.timeSlicing` of
        /// `nvidia.com/mig-<profile>`): each instance of the profile is advertised this many
        /// times; profiles not listed are not shared.
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        replicas: std::collections::BTreeMap<String, u32>,
    },
    Fractional,
    /// CUDA Multi-Process Service (device plugin `sharing.mps`): `replicas` clients per GPU,
    /// each limited to 1/replicas of the SMs and of the memory; kernels of different clients
    /// run concurrently (docs/MODEL.md, "MPS").
    Mps {
        replicas: u32,
    },
}

/// Where the device plugin puts a multi-replica request.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaAllocation {
    /// Replicas on the least-used GPUs (device plugin default).
    #[default]
    Distributed,
    /// Replicas on as few GPUs as possible.
    Packed,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MigStrategy {
    Single,
    #[default]
    Mixed,
}

/// A MIG instance costs its GPU's price times compute slices / 7 or memory slices / 8.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MigShare {
    #[default]
    Compute,
    Memory,
}

/// How a pool's cost is attributed to the jobs on it (`prices.attribution`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CostAttribution {
    /// By share held: a job pays for the devices it holds (replicas / replicas of the GPU, milli
    /// / 1000, the MIG instance's share, whole GPUs), whatever it did with them.
    #[default]
    Held,
    /// By GPU time received: on time-sliced and fractional GPUs a job pays for the GPU time
    /// its contexts actually got (its water-filled share); whole GPUs and MIG instances, which
    /// nobody else can use, are paid as held. The rest is the pool's idle cost.
    Received,
}

impl CostAttribution {
    pub fn as_str(self) -> &'static str {
        match self {
            CostAttribution::Held => "held",
            CostAttribution::Received => "received",
        }
    }
}

// ---- Kubernetes scheduling vocabulary ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    pub effect: TaintEffect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub operator: TolerationOperator,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub effect: Option<TaintEffect>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

/// One `matchExpressions` entry of a required node affinity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: AffinityOperator,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum AffinityOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum PreemptionPolicy {
    #[default]
    PreemptLowerPriority,
    Never,
}

/// ResourceQuota admission behaviour.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum QuotaAdmission {
    /// Kubernetes: the pod is refused; the Job controller retries with exponential back-off.
    #[default]
    Reject,
    /// Kueue-like: the workload is held until quota frees, then admitted in priority order.
    Queue,
}

// ---- placement policies ----

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyName {
    /// An unconfigured kube-scheduler: GPU pods tie on every node of a pool; seeded random pick.
    #[default]
    KubeDefault,
    /// kube-scheduler with NodeResourcesFit `MostAllocated`, the GPU resource weighted.
    KubeMostAllocated,
    /// kube-scheduler with NodeResourcesFit `RequestedToCapacityRatio`, bin-packing shape.
    KubeRequestedToCapacity,
    FirstFit,
    BestFit,
    Spread,
    Fgd,
}

impl PolicyName {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::KubeDefault => "kube-default",
            PolicyName::KubeMostAllocated => "kube-most-allocated",
            PolicyName::KubeRequestedToCapacity => "kube-requested-to-capacity",
            PolicyName::FirstFit => "first-fit",
            PolicyName::BestFit => "best-fit",
            PolicyName::Spread => "spread",
            PolicyName::Fgd => "fgd",
        }
    }

    /// Every policy, in the order the docs list them.
    pub const ALL: [PolicyName; 7] = [
        PolicyName::KubeDefault,
        PolicyName::KubeMostAllocated,
        PolicyName::KubeRequestedToCapacity,
        PolicyName::FirstFit,
        PolicyName::BestFit,
        PolicyName::Spread,
        PolicyName::Fgd,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The names of every policy, comma-separated (for messages).
    pub fn names() -> String {
        let v: Vec<&str> = Self::ALL.iter().map(|p| p.as_str()).collect();
        v.join(", ")
    }
}
