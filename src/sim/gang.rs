//! Gang jobs in the run (docs/MODEL.md, "Gang jobs"): a job of N pods is one `Job` whose
//! holdings are every pod's devices. It is placed all or nothing in one pool
//! (`sched::gang::place_gang`), progresses at its slowest holding's rate (as every job does),
//! and is evicted whole: any pod's eviction (preemption, drain) takes all of them, with the
//! work since the last checkpoint lost on every pod. A gang preempts for all its pods at once
//! (`gang_preempt.rs`).
//! Their counts and waits are kept apart here as well as with every job.

use super::Simulation;
use super::job::Phase;
use super::preempt_memo::PreemptMemo;
use crate::cluster::{Cluster, Holding};
use crate::domain::RequestSpec;
use crate::metrics::JobState;
use crate::sched::PlaceCtx;
use crate::sched::gang::place_gang;

impl Simulation<'_> {
    /// The first usable pool, among those ranked below `allowed`, where all `pods` pods of
    /// `shape` fit at once; with the pool's rank.
    pub(super) fn find_gang_place(
        &self,
        shape: u32,
        allowed: usize,
        pods: u32,
    ) -> Option<(u32, usize, Vec<Holding>)> {
        for fp in &self.shapes.get(shape).fit.pools {
            if fp.rank >= allowed {
                break;
            }
            let ctx = PlaceCtx {
                cluster: &self.cluster,
                pool: fp.pool,
                need: &fp.need,
                typical: self.shapes.typical(fp.pool),
                mig_share: self.world.mig_share,
                host: self.shapes.get(shape).host,
            };
            if let Some(h) = place_gang(self.policy.as_ref(), &ctx, pods) {
                return Some((fp.pool, fp.rank, h));
            }
        }
        None
    }

    /// A gang leaves the run (any final state but after-horizon): counted once, its wait
    /// observed or, never started, censored at the horizon.
    pub(super) fn gang_left(&mut self, slot: u32, state: JobState) {
        let Some(job) = self.jobs.get(slot).filter(|j| j.pods > 1) else {
            return;
        };
        let horizon = self.world.horizon;
        let g = &mut self.gangs;
        g.count += 1;
        g.pods += u64::from(job.pods);
        g.devices += job.devices as u64;
        g.preemptions += u64::from(job.preemptions);
        if job.batch {
            g.work_gpu_hours += job.work * job.devices / 3_600_000.0;
        }
        g.lost_gpu_hours += job.lost / 3_600_000.0;
        match job.first_start {
            Some(t) => {
                g.started += 1;
                g.waits_ms.push(t - job.submit);
            }
            None => {
                let waited = horizon.saturating_sub(job.submit);
                g.waits_ms.push_censored(waited);
            }
        }
        match state {
            JobState::Completed => g.completed += 1,
            JobState::Unschedulable => g.unschedulable += 1,
            _ => {}
        }
    }

    /// Panics if a placed gang holds fewer or more devices than all its pods (tests).
    pub(super) fn assert_gangs_whole(&self) {
        for slot in 0..self.jobs.slot_count() {
            let Some(job) = self.live(slot).filter(|j| j.pods > 1) else {
                continue;
            };
            if !matches!(job.phase, Phase::Running | Phase::Terminating) {
                continue;
            }
            let shape = self.shapes.get(job.shape);
            // A reconfiguration may have taken the pool from the shape's fit while it drains.
            let Some(fp) = shape.fit.pools.iter().find(|fp| fp.pool == job.pool) else {
                continue;
            };
            let need = &fp.need;
            let per_pod = match need {
                crate::cluster::Need::Milli { gpus, .. } => *gpus,
                n => n.units(),
            };
            let held: u32 = match need {
                crate::cluster::Need::Milli { .. } => job.holdings.len() as u32,
                _ => job.holdings.iter().map(|h| h.units).sum(),
            };
            assert_eq!(
                held,
                per_pod * job.pods,
                "gang job {} holds {held} units, not all {} pods x {per_pod}",
                job.id,
                job.pods
            );
        }
    }
}

/// The pod or gang in `slot`, holding `holdings` in `pool`, started, left or was evicted: what
/// preemption finds on its nodes is stale.
pub(super) fn touch_nodes(
    memo: &mut PreemptMemo,
    cluster: &Cluster,
    pool: u32,
    slot: u32,
    holdings: &[Holding],
) {
    let mut last = None;
    for h in holdings {
        let node = cluster.gpus[h.gpu as usize].node;
        if last != Some(node) {
            memo.touched(pool, node);
            memo.pod_changed(pool, node, slot);
            last = Some(node);
        }
    }
}

/// A job's request as its record shows it: a gang of N pods as `Nx` before the pod's request
/// (`2xgpu:8`).
pub(super) fn request_text(request: &RequestSpec, pods: u32) -> String {
    if pods > 1 {
        format!("{pods}x{request}")
    } else {
        request.to_string()
    }
}
