//! The scenario file: what a user writes. Plain serde types; checks live in `validate/` (and, for
//! those that need the scenario resolved, in `world::check`).

use crate::catalog::GpuModel;
use crate::domain::{
    CostAttribution, JobKind, MigShare, NodeSelectorRequirement, PolicyName, PreemptionPolicy,
    QuotaAdmission, RequestSpec, Sharing, Taint, Toleration,
};
use crate::perf::PerfParams;
use crate::perf::latency::WorkDist;
pub use crate::trace::{ImportMap, TraceFormat};
use crate::units::Dur;
use crate::workload::synthetic::SyntheticSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// Files whose `model`, `prices` and `gpu_models` this scenario inherits (its own values
    /// win), e.g. a calibration from `slicesim hil calibrate`; paths relative to the scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time at which the run stops; jobs still running or pending are reported so.
    pub horizon: Dur,
    /// Model whose whole GPU defines one unit of work (default A100-80GB).
    #[serde(default)]
    pub reference_gpu: Option<String>,
    /// Extra GPU models (e.g. T4, V100); MIG profiles optional.
    #[serde(default)]
    pub gpu_models: Vec<GpuModel>,
    #[serde(default)]
    pub prices: Prices,
    #[serde(default)]
    pub model: ModelParams,
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    #[serde(default)]
    pub priority_classes: Vec<PriorityClassSpec>,
    #[serde(default)]
    pub namespaces: Vec<NamespaceSpec>,
    pub pools: Vec<PoolSpec>,
    pub classes: Vec<ClassSpec>,
    pub workload: WorkloadSpec,
    /// Operations at set times: maintenance drains, MIG reconfiguration, pool resizing.
    #[serde(default)]
    pub events: Vec<TimedEvent>,
    #[serde(default)]
    pub report: ReportSpec,
}

/// Prices in USD per GPU-hour, overriding the catalog defaults, and how a MIG instance's share
/// of its GPU is priced.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    #[serde(default)]
    pub per_gpu_hour: BTreeMap<String, f64>,
    #[serde(default)]
    pub mig_share: MigShare,
    /// Who pays for a shared GPU: by share held (default) or by GPU time received.
    #[serde(default, skip_serializing_if = "is_held")]
    pub attribution: CostAttribution,
}

fn is_held(a: &CostAttribution) -> bool {
    *a == CostAttribution::Held
}

/// Performance-model and restart parameters; every field has a documented default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ModelParams {
    pub overhead_per_context: f64,
    pub overhead_max: f64,
    /// Multiplier on speeds inside MIG instances (see `docs/MODEL.md`).
    pub mig_efficiency: f64,
    /// Whole-GPU speed per GPU model relative to the A100-80GB, overriding the catalog's (or a
    /// custom model's) `speed`; written by `slicesim hil calibrate`.
    pub gpu_speed: BTreeMap<String, f64>,
    /// How long a job that overcommits a time-sliced GPU's memory runs before it dies of OOM.
    pub oom_after: Dur,
    /// GPU memory of one CUDA context, GiB: added per replica to a job's `mem` on time-sliced
    /// GPUs (`mem` is what the job itself allocates).
    pub context_mem_gib: f64,
    /// First restart back-off after a failure; doubles per failure up to `restart_backoff_max`.
    pub restart_backoff: Dur,
    pub restart_backoff_max: Dur,
    /// Failures after which a job is given up (Kubernetes Job `backoffLimit`).
    pub backoff_limit: u32,
    /// Time an evicted pod keeps its devices before it is gone (`terminationGracePeriodSeconds`).
    pub termination_grace: Dur,
    /// Time from an eviction (preemption, drain) until the job is pending again.
    pub restart_delay: Dur,
    /// Downtime of a node while its MIG instances are re-created (no mode change).
    pub reconfig_downtime: Dur,
    /// Extra downtime when a reconfiguration turns MIG mode on or off (GPU reset / reboot).
    pub mig_mode_change_downtime: Dur,
    /// First retry delay of a pod refused by a ResourceQuota (`reject` admission); doubles up to
    /// `quota_backoff_max`.
    pub quota_backoff: Dur,
    pub quota_backoff_max: Dur,
    /// Length of one time slice when contexts take turns on a time-shared GPU (service latency).
    pub timeslice: Dur,
}

/// Default `model.context_mem_gib`: about 400 MB per CUDA context with lazy module loading
/// (CUDA 11.7 and later; PyTorch issues 109888, 107667): 0.375 GiB = 384 MiB.
pub const CONTEXT_MEM_GIB: f64 = 0.375;

impl Default for ModelParams {
    fn default() -> Self {
        let p = PerfParams::default();
        ModelParams {
            overhead_per_context: p.overhead_per_context,
            overhead_max: p.overhead_max,
            mig_efficiency: p.mig_efficiency,
            gpu_speed: BTreeMap::new(),
            oom_after: Dur(30_000),
            context_mem_gib: CONTEXT_MEM_GIB,
            restart_backoff: Dur(10_000),
            restart_backoff_max: Dur(360_000),
            backoff_limit: 6,
            termination_grace: Dur(30_000),
            restart_delay: Dur(30_000),
            reconfig_downtime: Dur(300_000),
            mig_mode_change_downtime: Dur(900_000),
            quota_backoff: Dur(10_000),
            quota_backoff_max: Dur(360_000),
            timeslice: Dur(p.timeslice_ms as u64),
        }
    }
}

impl ModelParams {
    pub fn perf(&self) -> PerfParams {
        PerfParams {
            overhead_per_context: self.overhead_per_context,
            overhead_max: self.overhead_max,
            mig_efficiency: self.mig_efficiency,
            timeslice_ms: self.timeslice.ms() as f64,
        }
    }

    /// Whole-GPU speed of `model` relative to the A100-80GB: the `gpu_speed` entry for its name
    /// (matched ignoring case), else the model's own `speed`.
    pub fn gpu_speed_of(&self, model: &GpuModel) -> f64 {
        self.gpu_speed
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(&model.name))
            .map_or(model.speed, |(_, &s)| s)
    }
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSpec {
    #[serde(default)]
    pub policy: PolicyName,
    /// What happens to a pod over its namespace's quota.
    #[serde(default)]
    pub quota_admission: QuotaAdmission,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityClassSpec {
    pub name: String,
    pub value: i32,
    #[serde(default)]
    pub preemption_policy: PreemptionPolicy,
    #[serde(default)]
    pub global_default: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespaceSpec {
    pub name: String,
    /// ResourceQuota hard limits, e.g. `requests.nvidia.com/gpu: 10`; a value may be written
    /// as a Kubernetes quantity (`"1k"`), which must be a whole count.
    #[serde(default, deserialize_with = "quota_counts")]
    #[schemars(schema_with = "quota_schema")]
    pub quota: BTreeMap<String, u32>,
}

/// The JSON Schema of `quota`: resource names to whole numbers or Kubernetes quantities.
fn quota_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": "^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$"}
            ]
        }
    })
}

/// Quota values: numbers, or Kubernetes quantity strings that are whole counts.
fn quota_counts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u32>, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        N(u32),
        S(String),
    }
    BTreeMap::<String, Count>::deserialize(d)?
        .into_iter()
        .map(|(k, v)| {
            let n = match v {
                Count::N(n) => n,
                Count::S(s) => crate::units::parse_count_quantity(&s)
                    .map_err(|e| D::Error::custom(format!("{k}: {e}")))
                    .and_then(|n| {
                        u32::try_from(n)
                            .map_err(|_| D::Error::custom(format!("{k}: {s} is too large")))
                    })?,
            };
            Ok((k, n))
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub name: String,
    pub gpu: String,
    pub nodes: u32,
    pub gpus_per_node: u32,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<Taint>,
    pub sharing: Sharing,
    /// Allocatable CPU per node (cores or a quantity such as `96` or `95500m`); absent = not
    /// constrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<super::host::Cpu>,
    /// Allocatable host memory per node (e.g. `512Gi`); absent = not constrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<super::host::Memory>,
}

/// How many nodes a rolling operation takes down at once: a count (`2`) or a percentage of
/// the pool's present nodes (`"25%"`, rounded up, at least one node), as a DaemonSet's
/// `rollingUpdate.maxUnavailable`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum MaxUnavailable {
    Count(u32),
    Percent(String),
}

impl MaxUnavailable {
    /// The batch size for a pool of `nodes` present nodes, or why the value is wrong.
    pub fn nodes(&self, nodes: u32) -> Result<u32, String> {
        match self {
            MaxUnavailable::Count(0) => Err("must be at least 1".into()),
            MaxUnavailable::Count(n) => Ok(*n),
            MaxUnavailable::Percent(s) => {
                let pct = s
                    .strip_suffix('%')
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|p| (1..=100).contains(p))
                    .ok_or_else(|| {
                        format!("expected a node count or a percentage 1%-100%, got `{s}`")
                    })?;
                Ok((u64::from(nodes) * u64::from(pct)).div_ceil(100).max(1) as u32)
            }
        }
    }
}

/// The name of the pool `pool` becomes, node by node, from a rolling reconfiguration at `at`:
/// `a100@6h` ("pool a100 as re-partitioned at 6h").
pub fn derived_pool_name(pool: &str, at: Dur) -> String {
    format!("{pool}@{at}")
}

/// A PodDisruptionBudget over a class's pods: exactly one of the two fields, each a pod count
/// or a percentage of the class's pods in the cluster (`"50%"`), as `policy/v1` allows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PdbSpec {
    /// At most this many of the class's pods may be unavailable (not running) for an
    /// eviction to be allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<PdbValue>,
    /// At least this many of the class's pods must stay running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<PdbValue>,
}

/// A budget's value: a pod count (`2`) or a percentage (`"50%"`) of the pods it covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PdbValue {
    Count(u32),
    Percent(String),
}

impl PdbValue {
    /// The pod count for `expected` pods covered. A percentage is rounded up, as the
    /// disruption controller does for both fields (kubernetes.io, "Specifying a Disruption
    /// Budget for your Application", rounding logic when specifying percentages).
    pub fn pods(&self, expected: u32) -> Result<u32, String> {
        match self {
            PdbValue::Count(n) => Ok(*n),
            PdbValue::Percent(s) => {
                let pct = s
                    .strip_suffix('%')
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| {
                        format!("expected a pod count or a percentage 0%-100%, got `{s}`")
                    })?;
                Ok((u64::from(expected) * u64::from(pct)).div_ceil(100) as u32)
            }
        }
    }
}

/// An operation at a set time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TimedEvent {
    /// Cordon `nodes` nodes of `pool` (the highest-numbered), evict their pods gracefully, and
    /// bring them back after `duration`; with `max_unavailable`, a few nodes at a time.
    Drain {
        at: Dur,
        pool: String,
        nodes: u32,
        duration: Dur,
        /// Rolling drain: at most this many nodes (or this percentage of the pool's nodes,
        /// rounded up) are down at once; the next batch starts when the previous one is back.
        /// Absent: all `nodes` at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_unavailable: Option<MaxUnavailable>,
        /// Give up (as `kubectl drain --timeout`) when a batch's evictions are still refused
        /// by PodDisruptionBudgets this long after the batch started. Absent: wait forever.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<Dur>,
    },
    /// Drain the whole pool, re-partition it to `sharing` (downtime per `model`), bring it back;
    /// with `max_unavailable`, a few nodes at a time into a second pool `POOL@AT`.
    Reconfigure {
        at: Dur,
        pool: String,
        sharing: Sharing,
        /// Rolling reconfiguration: at most this many nodes (or this percentage of the pool's
        /// nodes, rounded up) are down at once; each batch rejoins as nodes of the pool
        /// `POOL@AT` (the pool as re-partitioned at `at`). Absent: the whole pool at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_unavailable: Option<MaxUnavailable>,
        /// Give up (as `kubectl drain --timeout`) when a batch's evictions are still refused
        /// by PodDisruptionBudgets this long after the batch started; the pool stays mixed.
        /// Needs `max_unavailable`. Absent: wait forever.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<Dur>,
    },
    /// Set the pool's node count (nodes removed are drained first).
    Resize { at: Dur, pool: String, nodes: u32 },
}

impl TimedEvent {
    pub fn at(&self) -> Dur {
        match self {
            TimedEvent::Drain { at, .. }
            | TimedEvent::Reconfigure { at, .. }
            | TimedEvent::Resize { at, .. } => *at,
        }
    }
    /// Whether this is a rolling reconfiguration (a reconfiguration with `max_unavailable`).
    pub fn is_rolling_reconfigure(&self) -> bool {
        matches!(
            self,
            TimedEvent::Reconfigure {
                max_unavailable: Some(_),
                ..
            }
        )
    }
    /// The operation's `kind` as the scenario spells it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            TimedEvent::Drain { .. } => "drain",
            TimedEvent::Reconfigure { .. } => "reconfigure",
            TimedEvent::Resize { .. } => "resize",
        }
    }
    pub fn pool(&self) -> &str {
        match self {
            TimedEvent::Drain { pool, .. }
            | TimedEvent::Reconfigure { pool, .. }
            | TimedEvent::Resize { pool, .. } => pool,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassSpec {
    pub name: String,
    pub kind: JobKind,
    pub namespace: String,
    #[serde(default)]
    pub priority: Option<String>,
    pub request: RequestSpec,
    /// Kernel duty cycle alone, (0, 1].
    pub u: f64,
    /// SM fill alone, (0, 1].
    pub d: f64,
    /// Memory-bandwidth fill alone: the fraction of the whole GPU's memory bandwidth its
    /// kernels use, [0, 1] (0 = not memory-bound; limits it on small MIG slices).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub b: f64,
    pub mem_gib: f64,
    /// Relative speed per GPU model, overriding the model's default.
    #[serde(default)]
    pub speed: BTreeMap<String, f64>,
    /// Work between checkpoints (batch); absent = never checkpoints.
    #[serde(default)]
    pub checkpoint: Option<Dur>,
    /// Pools this class may use, in preference order (empty = any pool that fits).
    #[serde(default)]
    pub pools: Vec<String>,
    /// Wait after which the next pool in `pools` is allowed (pool k after k x this wait).
    /// Absent: every listed pool is allowed at once, in preference order.
    #[serde(default)]
    pub fallback_after: Option<Dur>,
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity: one term whose expressions must all hold.
    #[serde(default)]
    pub node_affinity: Vec<NodeSelectorRequirement>,
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Services: the speed (work-seconds per second) below which the service misses its target.
    #[serde(default)]
    pub speed_target: Option<f64>,
    /// Services: the request stream of each instance, whose latency is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestsSpec>,
    /// PodDisruptionBudget of the class's pods, honoured by drains (not by preemption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdb: Option<PdbSpec>,
    /// CPU each pod requests (cores or a quantity such as `500m`); absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<super::host::Cpu>,
    /// Host memory each pod requests (e.g. `16Gi`); absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<super::host::Memory>,
}

/// The requests one service instance receives (docs/MODEL.md, "Service latency").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestsSpec {
    /// Poisson arrival rate per instance, requests per second.
    pub rate: f64,
    /// Mean GPU work per request: ms on the reference GPU, alone.
    pub work_ms: f64,
    /// Latency objective, ms: a request slower than this misses it.
    pub slo_ms: f64,
    /// How the work of one request varies.
    #[serde(default)]
    pub dist: WorkDist,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkloadSpec {
    Synthetic(SyntheticSpec),
    Trace(TraceSource),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceSource {
    /// Path, relative to the scenario file.
    pub path: String,
    #[serde(default)]
    pub format: TraceFormat,
    /// Any row an importer cannot use is an error (otherwise it is skipped and reported).
    #[serde(default)]
    pub strict: bool,
    /// How a public trace maps onto jobs (docs/TRACE.md); ignored for the native format.
    #[serde(default)]
    pub map: ImportMap,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSpec {
    /// Width of the time buckets in `pools.csv`.
    pub interval: Dur,
}

impl Default for ReportSpec {
    fn default() -> Self {
        ReportSpec {
            interval: Dur(3_600_000),
        }
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}
