//! The run summary (`summary.json`) and per-class rows, computed from a finished run.

use crate::cluster::PoolKind;
use crate::metrics::{JobState, WaitSamples};
use crate::scenario::schema::JobKind;
use crate::sim::{RunResult, World, pool_gpu_hours};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
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
}

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

#[derive(Clone, Debug, Serialize)]
pub struct Waits {
    pub p50_s: Option<f64>,
    pub p95_s: Option<f64>,
    pub p99_s: Option<f64>,
}

impl Waits {
    fn of(waits: &WaitSamples) -> Self {
        let p = waits.clone().percentiles(&[50.0, 95.0, 99.0]);
        let s = |v: Option<u64>| v.map(|ms| ms as f64 / 1000.0);
        Waits {
            p50_s: s(p[0]),
            p95_s: s(p[1]),
            p99_s: s(p[2]),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PoolSummary {
    pub name: String,
    pub gpu: String,
    pub sharing: String,
    /// MIG placements (memory-slice starts), for MIG pools.
    pub mig_layout: Option<String>,
    pub gpus: u32,
    pub price_per_gpu_hour: f64,
    /// Time-averaged share of the pool's GPUs allocated to jobs (priced share).
    pub allocation: f64,
    /// Time-averaged fraction of time a kernel runs (nvidia-smi utilization).
    pub busy: f64,
    /// Time-averaged SM activity (DCGM SM_ACTIVE).
    pub sm_activity: f64,
    pub useful_ref_gpu_hours: f64,
    pub lost_ref_gpu_hours: f64,
    /// Placements, restarts included.
    pub placements: u64,
    pub jobs_completed: u64,
    pub oom_failures: u64,
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
    pub cost_usd: f64,
    /// Cost divided by jobs that started at least once.
    pub cost_per_started_job_usd: Option<f64>,
    /// Services: fraction of their run time spent below the speed target.
    pub below_speed_target: Option<f64>,
    pub ran_in: BTreeMap<String, u64>,
    pub unschedulable: BTreeMap<String, u64>,
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
    pub total_usd: f64,
    /// Charged to jobs by the share they held.
    pub allocated_usd: f64,
    pub idle_usd: f64,
    pub useful_ref_gpu_hours: f64,
    pub usd_per_useful_ref_gpu_hour: Option<f64>,
    pub by_model: BTreeMap<String, ModelCost>,
}

fn sharing_text(kind: &PoolKind) -> String {
    match kind {
        PoolKind::Exclusive => "exclusive".into(),
        PoolKind::Fractional => "fractional".into(),
        PoolKind::TimeSlicing { replicas, .. } => format!("time_slicing x{replicas}"),
        PoolKind::Mig {
            instances,
            profiles,
            ..
        } => {
            let counts: Vec<String> = profiles
                .iter()
                .map(|p| {
                    let n = instances.iter().filter(|i| &i.profile == p).count();
                    format!("{n}x{p}")
                })
                .collect();
            format!("mig {}", counts.join("+"))
        }
    }
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

pub fn summarize(world: &World, r: &RunResult) -> Summary {
    let end = r.end;
    let span = end.max(1) as f64;
    let mut pools = Vec::new();
    let mut by_model: BTreeMap<String, ModelCost> = BTreeMap::new();
    for (i, (p, s)) in world.cluster.pools.iter().zip(&r.pools).enumerate() {
        let gpus = p.gpu_count();
        let gpu_span = span * f64::from(gpus.max(1));
        let cost = p.price * pool_gpu_hours(gpus, end);
        let allocated = r.job_cost[i];
        pools.push(PoolSummary {
            name: p.name.clone(),
            gpu: p.model.name.clone(),
            sharing: sharing_text(&p.kind),
            mig_layout: layout_text(&p.kind),
            gpus,
            price_per_gpu_hour: p.price,
            allocation: s.alloc_int / gpu_span,
            busy: s.busy_int / gpu_span,
            sm_activity: s.sm_int / gpu_span,
            useful_ref_gpu_hours: ms_to_hours_f(s.useful_ms),
            lost_ref_gpu_hours: ms_to_hours_f(s.lost_ms),
            placements: s.started,
            jobs_completed: s.completed,
            oom_failures: s.ooms,
            wait: Waits::of(&s.waits_ms),
            queue_depth: s.pending_int / span,
            cost_usd: cost,
            allocated_cost_usd: allocated,
            idle_cost_usd: cost - allocated,
        });
        let m = by_model.entry(p.model.name.clone()).or_insert(ModelCost {
            gpus: 0,
            price_per_gpu_hour: p.price,
            gpu_hours: 0.0,
            cost_usd: 0.0,
        });
        m.gpus += gpus;
        m.gpu_hours += pool_gpu_hours(gpus, end);
        m.cost_usd += cost;
    }
    let mut unschedulable: BTreeMap<String, u64> = BTreeMap::new();
    let mut classes = Vec::new();
    for (c, s) in world.classes.iter().zip(&r.classes) {
        for (why, n) in &s.unschedulable {
            *unschedulable.entry(why.clone()).or_default() += n;
        }
        let started: u64 = s.ran_in.values().sum();
        classes.push(ClassSummary {
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
            cost_usd: s.cost,
            cost_per_started_job_usd: (started > 0).then(|| s.cost / started as f64),
            below_speed_target: (c.speed_target.is_some() && s.service_run_ms > 0.0)
                .then(|| s.below_target_ms / s.service_run_ms),
            ran_in: s.ran_in.clone(),
            unschedulable: s.unschedulable.clone(),
        });
    }
    let total: f64 = pools.iter().map(|p| p.cost_usd).sum();
    let allocated: f64 = pools.iter().map(|p| p.allocated_cost_usd).sum();
    let useful: f64 = pools.iter().map(|p| p.useful_ref_gpu_hours).sum();
    Summary {
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
            total_usd: total,
            allocated_usd: allocated,
            idle_usd: total - allocated,
            useful_ref_gpu_hours: useful,
            usd_per_useful_ref_gpu_hour: (useful > 0.0).then(|| total / useful),
            by_model,
        },
        unschedulable,
    }
}

fn ms_to_hours_f(ms: f64) -> f64 {
    ms / 3_600_000.0
}
