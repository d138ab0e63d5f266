//! PostFilter: a pending job that fits nowhere may evict lower-priority pods on one node.
//! The victim choice itself is in `sched::preemption`; this file gathers the candidates.

use super::Simulation;
use super::job::Phase;
use crate::cluster::Need;
use crate::sched::preemption::{Candidate, NodeVictims, pick_node, select_victims};
use crate::units::SimTime;

impl Simulation<'_> {
    /// The head of `shape` does not fit. Jobs of the shape, in queue order, preempt for
    /// themselves (as kube-scheduler's PostFilter runs for each pod that fails to schedule),
    /// skipping jobs already waiting for their victims, until one finds no victims.
    pub(super) fn preempt_for_shape(&mut self, shape: u32, now: SimTime) {
        let mut at = None;
        while let Some(key) = self.admission.pending.next_in_shape(shape, at) {
            at = Some(key);
            let nominated = self.live(key.slot).expect("queued job").nominated_until > now;
            if nominated {
                continue;
            }
            let allowed = self.allowed_pools(key.slot, now);
            if !self.try_preempt(key.slot, allowed, now) {
                break;
            }
        }
    }

    /// Looks for a node where evicting lower-priority pods makes the job fit, among the first
    /// `allowed` pools of its shape, and evicts the chosen victims.
    /// Returns whether it evicted anything.
    pub(super) fn try_preempt(&mut self, slot: u32, allowed: usize, now: SimTime) -> bool {
        let (prio, shape) = {
            let j = self.live(slot).expect("live");
            if !j.can_preempt || j.nominated_until > now {
                return false;
            }
            (j.priority, j.shape)
        };
        let pools: Vec<(u32, Need)> = self
            .shapes
            .get(shape)
            .fit
            .pools
            .iter()
            .filter(|fp| fp.rank < allowed)
            .map(|fp| (fp.pool, fp.need.clone()))
            .collect();
        let mut options: Vec<NodeVictims<(u32, u32)>> = Vec::new();
        for (pool, need) in pools {
            // Nothing to gain where no running pod has a lower priority.
            if !self.ledger.runs_below(pool, prio) {
                continue;
            }
            let present = self.cluster.pools[pool as usize].present;
            for node in 0..present {
                if !self.cluster.pools[pool as usize].schedulable(node) {
                    continue;
                }
                let pods = self.node_pods(pool, node, prio);
                if pods.is_empty() {
                    continue;
                }
                let victims = select_victims(prio, &pods, &mut |evicted| {
                    self.fits_without(pool, node, &need, evicted)
                });
                if let Some(victims) = victims {
                    options.push(NodeVictims {
                        node: (pool, node),
                        victims,
                    });
                }
            }
        }
        let Some(best) = pick_node(&options) else {
            return false;
        };
        for v in &options[best].victims {
            self.evict(v.id, now, true);
        }
        // The preemptor waits for its victims to leave instead of preempting again meanwhile.
        let grace = self.world.params.termination_grace.ms();
        self.job(slot).nominated_until = now + grace + 1;
        true
    }

    /// Running pods on a node with priority below `below`, each once.
    fn node_pods(&self, pool: u32, node: u32, below: i32) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = Vec::new();
        for g in self.cluster.pools[pool as usize].node_gpus(node) {
            for t in &self.cluster.gpus[g as usize].tenants {
                if out.iter().any(|c| c.id == t.job) {
                    continue;
                }
                let j = self.live(t.job).expect("tenant is live");
                if j.phase == Phase::Running && j.priority < below {
                    out.push(Candidate {
                        id: t.job,
                        priority: j.priority,
                        start: j.attempt_start,
                    });
                }
            }
        }
        out
    }

    /// Would `need` fit on the node if `evicted` were gone? The cluster is restored after.
    fn fits_without(&mut self, pool: u32, node: u32, need: &Need, evicted: &[u32]) -> bool {
        let held: Vec<(u32, Vec<crate::cluster::Holding>, f64)> = evicted
            .iter()
            .map(|&v| {
                let j = self.live(v).expect("victim is live");
                (v, j.holdings.clone(), j.mem)
            })
            .collect();
        for (v, h, mem) in &held {
            self.cluster.release(*v, h, *mem);
        }
        let ok = self.cluster.fit_on_node(pool, node, need).is_some();
        for (v, h, mem) in &held {
            self.cluster.commit(*v, h, *mem);
        }
        ok
    }
}
