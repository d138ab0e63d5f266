//! The horizon: settling jobs still in the system, and run-time invariant checks.

use super::job::Phase;
use super::{RunResult, Simulation};
use crate::cluster::PoolKind;
use crate::metrics::JobState;
use crate::units::SimTime;

impl Simulation<'_> {
    pub(super) fn finish_run(mut self, end: SimTime) -> Result<RunResult, String> {
        // Jobs still in the system, in job-id order so the records are deterministic.
        let mut live: Vec<(u64, u32)> = self
            .jobs
            .iter()
            .enumerate()
            .filter_map(|(s, j)| j.as_ref().map(|j| (j.id, s as u32)))
            .collect();
        live.sort_unstable();
        for (_, slot) in live {
            let phase = self.live(slot).expect("live").phase;
            match phase {
                Phase::Running | Phase::Terminating => {
                    self.progress(slot, end);
                    let (pool, class, cost) = {
                        let job = self.job(slot);
                        let cost = job.cost_rate * (end - job.attempt_start) as f64;
                        job.cost += cost;
                        (job.pool, job.class, cost)
                    };
                    self.job_cost[pool as usize] += cost;
                    self.classes[class as usize].cost += cost;
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
                    let (ns, since) = {
                        let j = self.job(slot);
                        (j.namespace.clone(), j.quota_blocked_since.take())
                    };
                    if let Some(t) = since {
                        self.namespaces.entry(ns).or_default().quota_blocked_ms += (end - t) as f64;
                    }
                    let why = "not admitted: namespace quota".to_string();
                    self.retire(slot, JobState::Pending, end, why)?;
                }
            }
        }
        if self.last_sample < end {
            self.close_bucket(end);
        }
        for ps in &mut self.pools {
            ps.advance(end);
        }
        for cs in &mut self.classes {
            cs.set_pending(end, 0);
        }
        let final_kinds = self
            .cluster
            .pools
            .iter()
            .map(|p| p.kind.clone())
            .collect();
        Ok(RunResult {
            pools: self.pools,
            classes: self.classes,
            namespaces: self.namespaces,
            by_namespace: self.by_namespace,
            by_priority: self.by_priority,
            ops: self.ops,
            samples: self.samples,
            class_samples: self.class_samples,
            states: self.states,
            events: self.q.popped(),
            end,
            job_cost: self.job_cost,
            final_kinds,
        })
    }

    /// Panics if a GPU holds more than its replicas, instances or milli, or if a node that is
    /// down or absent offers free capacity (tests).
    pub(super) fn assert_invariants(&self) {
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
    }
}
