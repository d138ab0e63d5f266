//! The `gangs` block of summary.json and its terminal line: gang jobs (N pods scheduled all or
//! nothing) counted apart, present only when the run had any.

use super::summary::Waits;
use super::table::{P, wait};
use crate::metrics::gangs::GangStats;
use serde::Serialize;

/// Gang jobs of a run (docs/OUTPUTS.md, "gangs"). Each gang is one job, also counted in
/// `jobs`, its class, namespace and priority.
#[derive(Clone, Debug, Serialize)]
pub struct GangSummary {
    /// Gangs submitted before the horizon.
    pub count: u64,
    /// Gangs that started (all pods placed at once) at least once.
    pub started: u64,
    pub completed: u64,
    pub unschedulable: u64,
    /// Pods and GPUs (devices) asked for, over all gangs.
    pub pods: u64,
    pub gpus: u64,
    /// Times a gang was preempted (all its pods each time).
    pub preemptions: u64,
    /// Reference GPU-hours the gangs' work needs (work per device × devices) and lost to
    /// evictions.
    pub work_ref_gpu_hours: f64,
    pub lost_ref_gpu_hours: f64,
    /// Waits until first start over every gang, never-started ones censored at the horizon.
    pub wait: Waits,
}

impl GangSummary {
    /// The block, or None for a run without gangs (summary.json then has no `gangs` key).
    pub fn of(g: &GangStats) -> Option<GangSummary> {
        (g.count > 0).then(|| GangSummary {
            count: g.count,
            started: g.started,
            completed: g.completed,
            unschedulable: g.unschedulable,
            pods: g.pods,
            gpus: g.devices,
            preemptions: g.preemptions,
            work_ref_gpu_hours: g.work_gpu_hours,
            lost_ref_gpu_hours: g.lost_gpu_hours,
            wait: Waits::of(&g.waits_ms),
        })
    }

    /// The terminal line: `gangs 289 (2048 pods): 280 started, 275 done, 0 unschedulable, wait
    /// p50 1.2h p95 ≥3.0d p99 ≥3.0d, 4 preempted`.
    pub fn line(&self) -> String {
        format!(
            "gangs {} ({} pods, {} GPUs): {} started, {} done, {} unschedulable, wait p50 {} p95 {} p99 {}, {} preempted\n",
            self.count,
            self.pods,
            self.gpus,
            self.started,
            self.completed,
            self.unschedulable,
            wait(&self.wait, P::P50),
            wait(&self.wait, P::P95),
            wait(&self.wait, P::P99),
            self.preemptions
        )
    }
}
