//! The horizon: settling jobs still in the system, and run-time invariant checks.

use super::job::Phase;
use super::{RunResult, Simulation};
use crate::cluster::PoolKind;
use crate::metrics::JobState;
use crate::units::SimTime;

impl Simulation<'_> {
    pub(super) fn finish_run(mut self, end: SimTime) -> Result<RunResult, String> {
        // The per-GPU rows of the last bucket, while the jobs holding GPUs are still there.
        if self.ledger.last_sample() < end {
            self.sample_gpus(end);
        }
        // Jobs still in the system, in job-id order so the records are deterministic.
        for slot in self.jobs.live_by_id() {
            let phase = self.live(slot).expect("live").phase;
            match phase {
                Phase::Running | Phase::Terminating => {
                    self.progress(slot, end);
                    self.latency_settle(slot, end);
                    self.ledger.settle_cost(self.jobs.get_mut(slot), end);
                    self.retire(slot, JobState::Running, end, String::new())?;
                }
                Phase::Pending => {
                    self.dequeued(slot, end);
                    self.retire(slot, JobState::Pending, end, String::new())?;
                }
                Phase::Backoff => {
                    self.retire(slot, JobState::Pending, end, "restarting".into())?;
                }
                Phase::Admission => {
                    let j = self.jobs.get_mut(slot);
                    if let Some(t) = j.quota_blocked_since.take() {
                        let ns = String::from(&*j.namespace);
                        self.ledger.quota_blocked(ns, (end - t) as f64);
                    }
                    let why = "not admitted: namespace quota".to_string();
                    self.retire(slot, JobState::Pending, end, why)?;
                }
            }
        }
        if self.ledger.last_sample() < end {
            self.close_bucket(end);
        }
        let final_kinds = self.cluster.pools.iter().map(|p| p.kind.clone()).collect();
        let events = self.q.popped();
        let mut result = self.ledger.into_result(end, events, final_kinds);
        for (i, op) in result.ops.iter_mut().enumerate() {
            if let Some(cost) = self.optrack.cost(i, end) {
                op.evicted = cost.evictions;
                op.cost = cost;
            }
        }
        result.gangs = std::mem::take(&mut self.gangs);
        Ok(result)
    }

    /// Panics if a GPU holds more than its replicas, instances or milli, or if a node that is
    /// down or absent offers free capacity (tests).
    pub(super) fn assert_invariants(&self) {
        self.assert_gangs_whole();
        assert!(
            self.jobs.placed_all_marked(),
            "a placed job's slot is not marked (JobTable::mark_placed)"
        );
        for (g, st) in self.cluster.gpus.iter().enumerate() {
            let kind = &self.cluster.pools[st.pool as usize].kind;
            let cap = match kind {
                PoolKind::Mig { instances, .. } => instances.len() as u32,
                k => k.units_per_gpu(0),
            };
            let held: u32 = st.tenants.iter().map(|t| t.units).sum();
            assert_eq!(held, st.used, "gpu {g}: tenants and used disagree");
            assert!(st.used <= cap, "gpu {g}: {} units used of {cap}", st.used);
        }
        for p in &self.cluster.pools {
            for node in 0..p.node_count {
                if !p.schedulable(node) {
                    for ix in &p.free {
                        assert_eq!(ix.free(node), 0, "pool {} node {node} is down", p.name);
                    }
                }
            }
        }
        self.assert_host_invariants();
    }
}
