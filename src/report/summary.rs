//! The run summary (`summary.json`) and per-class rows, computed from a finished run.

use super::provenance::Provenance;
use crate::cluster::{PoolDef, PoolKind};
use crate::domain::JobKind;
use crate::metrics::latency::{LatencyHist, LatencyStats};
use crate::metrics::{ClassStats, GroupStats, JobState, PoolStats, WaitPercentile, WaitSamples};
use crate::sim::{NamespaceStats, RunResult};
use crate::world::{Class, World};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Tool version, commit, scenario hash and seeds.
    pub provenance: Provenance,
    pub scenario: String,
    pub seed: u64,
    pub horizon_s: f64,
    pub policy: String,
    pub reference_gpu: String,
    pub jobs: JobCounts,
    pub events: u64,
    pub pools: Vec<PoolSummary>,
    pub classes: Vec<ClassSummary>,
    pub cost: CostSummary,
    /// Unschedulable jobs by reason.
    pub unschedulable: BTreeMap<String, u64>,
    /// Every namespace that had jobs or a ResourceQuota.
    pub namespaces: Vec<NamespaceSummary>,
    /// Jobs by priority value, highest first.
    pub priorities: Vec<PrioritySummary>,
    /// Timed operations as they happened.
    pub operations: Vec<OperationSummary>,
    /// Gang jobs counted apart; absent when the run had none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gangs: Option<super::gangs::GangSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NamespaceSummary {
    pub name: String,
    #[serde(flatten)]
    pub jobs: GroupSummary,
    /// ResourceQuota hard limits (empty: no quota) and the highest usage seen.
    pub quota: BTreeMap<String, u32>,
    pub peak_used: BTreeMap<String, u32>,
    /// Jobs refused or held by the quota at least once, and their total time so.
    pub quota_blocked_jobs: u64,
    pub quota_blocked_hours: f64,
    /// Admission attempts refused.
    pub quota_refusals: u64,
}

/// Jobs of one namespace or priority value.
#[derive(Clone, Debug, Serialize)]
pub struct GroupSummary {
    pub jobs: JobCounts,
    pub wait: Waits,
    pub useful_ref_gpu_hours: f64,
    pub lost_ref_gpu_hours: f64,
    pub cost_usd: f64,
    pub preemptions: u64,
    pub evictions: u64,
    pub oom_failures: u64,
}

impl GroupSummary {
    fn of(g: &GroupStats) -> Self {
        GroupSummary {
            jobs: JobCounts::from_states(&g.states),
            wait: Waits::of(&g.waits_ms),
            useful_ref_gpu_hours: g.useful_s / 3600.0,
            lost_ref_gpu_hours: g.lost_s / 3600.0,
            cost_usd: g.cost,
            preemptions: g.preemptions,
            evictions: g.evictions,
            oom_failures: g.ooms,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PrioritySummary {
    pub priority: i32,
    #[serde(flatten)]
    pub jobs: GroupSummary,
}

pub use super::operations::OperationSummary;

#[derive(Clone, Debug, Default, Serialize)]
pub struct JobCounts {
    pub total: u64,
    pub completed: u64,
    pub failed: u64,
    pub unschedulable: u64,
    pub running: u64,
    pub pending: u64,
    pub after_horizon: u64,
}

impl JobCounts {
    fn from_states(states: &BTreeMap<JobState, u64>) -> Self {
        let get = |s| states.get(&s).copied().unwrap_or(0);
        JobCounts {
            total: states.values().sum(),
            completed: get(JobState::Completed),
            failed: get(JobState::Failed),
            unschedulable: get(JobState::Unschedulable),
            running: get(JobState::Running),
            pending: get(JobState::Pending),
            after_horizon: get(JobState::AfterHorizon),
        }
    }
}

/// Wait percentiles over every submitted job (docs/MODEL.md, "Waits of jobs that never
/// started"): a job that never started counts at its wait so far at the horizon, and a
/// percentile that falls among such jobs is a lower bound (`pNN_censored`).
#[derive(Clone, Debug, Serialize)]
pub struct Waits {
    pub p50_s: Option<f64>,
    pub p95_s: Option<f64>,
    pub p99_s: Option<f64>,
    /// The percentile is only a lower bound: the true value is at least `pNN_s`.
    pub p50_censored: bool,
    pub p95_censored: bool,
    pub p99_censored: bool,
    /// Jobs that started, and jobs that never started (their waits are censored).
    pub started: u64,
    pub never_started: u64,
}

impl Waits {
    pub(crate) fn of(waits: &WaitSamples) -> Self {
        let p = waits.clone().censored_percentiles(&[50.0, 95.0, 99.0]);
        let s = |v: Option<WaitPercentile>| v.map(|w| w.ms as f64 / 1000.0);
        let c = |v: Option<WaitPercentile>| v.is_some_and(|w| w.censored);
        Waits {
            p50_s: s(p[0]),
            p95_s: s(p[1]),
            p99_s: s(p[2]),
            p50_censored: c(p[0]),
            p95_censored: c(p[1]),
            p99_censored: c(p[2]),
            started: waits.len(),
            never_started: waits.never_started(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PoolSummary {
    pub name: String,
    pub gpu: String,
    /// Sharing at the end of the run (a reconfiguration may have changed it).
    pub sharing: String,
    /// MIG placements (memory-slice starts), for MIG pools.
    pub mig_layout: Option<String>,
    /// GPUs at the start of the run, and on average over it (resizes change it).
    pub gpus: u32,
    pub gpus_avg: f64,
    pub price_per_gpu_hour: f64,
    /// Time-averaged share of the pool's GPUs allocated to jobs (priced share).
    pub allocation: f64,
    /// Time-averaged fraction of time a kernel runs (nvidia-smi utilization).
    pub busy: f64,
    /// Time-averaged SM activity (DCGM SM_ACTIVE).
    pub sm_activity: f64,
    pub useful_ref_gpu_hours: f64,
    pub lost_ref_gpu_hours: f64,
    /// Mean over the report buckets of the free capacity stranded with respect to the pool's
    /// typical requests at each bucket's end, in GPU-equivalents (see `pools.csv`).
    pub fragmented_gpus: f64,
    /// Mean over the report buckets of the fragmented share of free capacity.
    pub fragmentation: f64,
    /// Placements, restarts included.
    pub placements: u64,
    pub jobs_completed: u64,
    pub oom_failures: u64,
    /// Pods preempted here / evicted by drains and reconfigurations.
    pub preemptions: u64,
    pub evictions: u64,
    /// Placements that put two or more replicas of one job on one physical GPU: they were
    /// paid for as separate replicas but share one GPU's time.
    pub colocated_replica_placements: u64,
    pub wait: Waits,
    pub queue_depth: f64,
    pub cost_usd: f64,
    pub allocated_cost_usd: f64,
    pub idle_cost_usd: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClassSummary {
    pub name: String,
    pub kind: String,
    pub namespace: String,
    pub priority: i32,
    pub jobs: JobCounts,
    pub wait: Waits,
    pub queue_depth: f64,
    pub useful_ref_gpu_hours: f64,
    pub lost_ref_gpu_hours: f64,
    pub oom_failures: u64,
    pub failures: u64,
    pub preemptions: u64,
    /// Work lost to preemption (since the victims' last checkpoints).
    pub preemption_lost_ref_gpu_hours: f64,
    pub evictions: u64,
    /// Jobs whose first start was in a pool other than their first choice.
    pub fallbacks: u64,
    pub colocated_replica_placements: u64,
    pub cost_usd: f64,
    /// Cost divided by jobs that started at least once.
    pub cost_per_started_job_usd: Option<f64>,
    /// Services: fraction of their run time spent below the speed target.
    pub below_speed_target: Option<f64>,
    pub ran_in: BTreeMap<String, u64>,
    pub unschedulable: BTreeMap<String, u64>,
    /// Services with a request stream: request latency over all their pools
    /// (docs/MODEL.md, "Service latency").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyStats>,
    /// The same per pool the class ran in.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub latency_by_pool: BTreeMap<String, LatencyStats>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelCost {
    pub gpus: u32,
    pub price_per_gpu_hour: f64,
    pub gpu_hours: f64,
    pub cost_usd: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    /// How pool cost was attributed to jobs: `held` (share held) or `received` (GPU time
    /// received); `prices.attribution`.
    pub attribution: String,
    pub total_usd: f64,
    /// Charged to jobs (by share held or by GPU time received, per `attribution`).
    pub allocated_usd: f64,
    pub idle_usd: f64,
    pub useful_ref_gpu_hours: f64,
    pub usd_per_useful_ref_gpu_hour: Option<f64>,
    pub by_model: BTreeMap<String, ModelCost>,
}

/// MIG placements as `profile@start`, e.g. `3g.40gb@4 2g.20gb@0 2g.20gb@2`.
fn layout_text(kind: &PoolKind) -> Option<String> {
    match kind {
        PoolKind::Mig { instances, .. } => Some(
            instances
                .iter()
                .map(|i| format!("{}@{}", i.profile, i.start))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

pub fn summarize(world: &World, r: &RunResult, provenance: Provenance) -> Summary {
    let end = r.end;
    let span = end.max(1) as f64;
    let mut pools = Vec::new();
    let mut by_model: BTreeMap<String, ModelCost> = BTreeMap::new();
    for (i, (p, s)) in world.pools.iter().zip(&r.pools).enumerate() {
        let pool = pool_summary(r, i, p, s, span);
        let m = by_model.entry(p.model.name.clone()).or_insert(ModelCost {
            gpus: 0,
            price_per_gpu_hour: p.price,
            gpu_hours: 0.0,
            cost_usd: 0.0,
        });
        m.gpus += pool.gpus;
        m.gpu_hours += s.gpus_int / 3_600_000.0;
        m.cost_usd += pool.cost_usd;
        pools.push(pool);
    }
    let mut unschedulable: BTreeMap<String, u64> = BTreeMap::new();
    let mut classes = Vec::new();
    for (c, s) in world.classes.iter().zip(&r.classes) {
        for (why, n) in &s.unschedulable {
            *unschedulable.entry(why.clone()).or_default() += n;
        }
        classes.push(class_summary(c, s, span));
    }
    add_latency(world, r, &mut classes);
    let total: f64 = pools.iter().map(|p| p.cost_usd).sum();
    let allocated: f64 = pools.iter().map(|p| p.allocated_cost_usd).sum();
    let useful: f64 = pools.iter().map(|p| p.useful_ref_gpu_hours).sum();
    let provenance = Provenance {
        policy: Some(world.policy.as_str().to_string()),
        ..provenance
    };
    Summary {
        provenance,
        scenario: world.name.clone(),
        seed: world.seed,
        horizon_s: end as f64 / 1000.0,
        policy: world.policy.as_str().to_string(),
        reference_gpu: world.reference.name.clone(),
        jobs: JobCounts::from_states(&r.states),
        events: r.events,
        pools,
        classes,
        cost: CostSummary {
            attribution: world.attribution.as_str().to_string(),
            total_usd: total,
            allocated_usd: allocated,
            idle_usd: total - allocated,
            useful_ref_gpu_hours: useful,
            usd_per_useful_ref_gpu_hour: (useful > 0.0).then(|| total / useful),
            by_model,
        },
        unschedulable,
        namespaces: namespaces(world, r),
        priorities: r
            .by_priority
            .iter()
            .rev()
            .map(|(p, g)| PrioritySummary {
                priority: *p,
                jobs: GroupSummary::of(g),
            })
            .collect(),
        operations: r.ops.iter().map(super::operations::operation).collect(),
        gangs: super::gangs::GangSummary::of(&r.gangs),
    }
}

/// One pool's row: time-weighted shares over its GPU-time (`span` = run length in ms, at
/// least 1), fragmentation averaged over its samples, and its cost split.
fn pool_summary(r: &RunResult, i: usize, p: &PoolDef, s: &PoolStats, span: f64) -> PoolSummary {
    let gpu_hours = s.gpus_int / 3_600_000.0;
    let gpu_span = s.gpus_int.max(1.0);
    let cost = p.price * gpu_hours;
    let allocated = r.job_cost[i];
    let samples: Vec<_> = r.samples.iter().filter(|x| x.pool == p.name).collect();
    let mean = |f: fn(&crate::metrics::Sample) -> f64| {
        if samples.is_empty() {
            0.0
        } else {
            samples.iter().map(|x| f(x)).sum::<f64>() / samples.len() as f64
        }
    };
    PoolSummary {
        name: p.name.clone(),
        gpu: p.model.name.clone(),
        sharing: r.final_kinds[i].describe(),
        mig_layout: layout_text(&r.final_kinds[i]),
        gpus: p.gpu_count(),
        gpus_avg: s.gpus_int / span,
        price_per_gpu_hour: p.price,
        allocation: s.alloc_int / gpu_span,
        busy: s.busy_int / gpu_span,
        sm_activity: s.sm_int / gpu_span,
        useful_ref_gpu_hours: ms_to_hours_f(s.useful_ms),
        lost_ref_gpu_hours: ms_to_hours_f(s.lost_ms),
        fragmented_gpus: mean(|x| x.fragmented_gpus),
        fragmentation: mean(|x| x.fragmentation),
        placements: s.started,
        jobs_completed: s.completed,
        oom_failures: s.ooms,
        preemptions: s.preemptions,
        evictions: s.evictions,
        colocated_replica_placements: s.colocated_replicas,
        wait: Waits::of(&s.waits_ms),
        queue_depth: s.pending_int / span,
        cost_usd: cost,
        allocated_cost_usd: allocated,
        idle_cost_usd: cost - allocated,
    }
}

/// One class's row (`span` as in [`pool_summary`]).
fn class_summary(c: &Class, s: &ClassStats, span: f64) -> ClassSummary {
    let started: u64 = s.ran_in.values().sum();
    ClassSummary {
        name: c.name.clone(),
        kind: match c.kind {
            JobKind::Batch => "batch".into(),
            JobKind::Service => "service".into(),
        },
        namespace: c.namespace.clone(),
        priority: c.priority,
        jobs: JobCounts::from_states(&s.states),
        wait: Waits::of(&s.waits_ms),
        queue_depth: s.pending_int / span,
        useful_ref_gpu_hours: ms_to_hours_f(s.useful_ms),
        lost_ref_gpu_hours: ms_to_hours_f(s.lost_ms),
        oom_failures: s.ooms,
        failures: s.failures,
        preemptions: s.preemptions,
        preemption_lost_ref_gpu_hours: ms_to_hours_f(s.preemption_lost_ms),
        evictions: s.evictions,
        fallbacks: s.fallbacks,
        colocated_replica_placements: s.colocated_replicas,
        cost_usd: s.cost,
        cost_per_started_job_usd: (started > 0).then(|| s.cost / started as f64),
        below_speed_target: (c.speed_target.is_some() && s.service_run_ms > 0.0)
            .then(|| s.below_target_ms / s.service_run_ms),
        ran_in: s.ran_in.clone(),
        unschedulable: s.unschedulable.clone(),
        latency: None,
        latency_by_pool: BTreeMap::new(),
    }
}

/// Fills each service class's latency figures from the run's per (class, pool) histograms.
fn add_latency(world: &World, r: &RunResult, classes: &mut [ClassSummary]) {
    for (ix, (c, out)) in world.classes.iter().zip(classes.iter_mut()).enumerate() {
        let Some(req) = &c.requests else { continue };
        let mut all = LatencyHist::default();
        for ((_, pool), h) in r.latency.range((ix as u32, 0)..=(ix as u32, u32::MAX)) {
            all.merge(h);
            out.latency_by_pool.insert(
                world.pools[*pool as usize].name.clone(),
                h.stats(req.slo_ms),
            );
        }
        out.latency = Some(all.stats(req.slo_ms));
    }
}

fn namespaces(world: &World, r: &RunResult) -> Vec<NamespaceSummary> {
    let empty = NamespaceStats::default();
    let no_jobs = GroupStats::default();
    let names: std::collections::BTreeSet<&String> =
        r.by_namespace.keys().chain(world.quotas.keys()).collect();
    names
        .into_iter()
        .map(|ns| {
            let st = r.namespaces.get(ns).unwrap_or(&empty);
            NamespaceSummary {
                name: ns.clone(),
                jobs: GroupSummary::of(r.by_namespace.get(ns).unwrap_or(&no_jobs)),
                quota: world.quotas.get(ns).cloned().unwrap_or_default(),
                peak_used: st.peak_used.clone(),
                quota_blocked_jobs: st.quota_blocked_jobs,
                quota_blocked_hours: st.quota_blocked_ms / 3_600_000.0,
                quota_refusals: st.quota_refusals,
            }
        })
        .collect()
}

fn ms_to_hours_f(ms: f64) -> f64 {
    ms / 3_600_000.0
}
