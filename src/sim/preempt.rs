//! PostFilter: a pending job that fits nowhere may evict lower-priority pods on one node.
//! The victim choice itself is in `sched::preemption`; this file gathers the candidates, and
//! `preempt_memo` remembers each node's answer until the node changes.

use super::Simulation;
use super::job::Phase;
use super::preempt_memo::{Look, NodeId};
use crate::cluster::{HostNeed, Need};
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
        let (prio, shape, pods) = {
            let j = self.live(slot).expect("live");
            if !j.can_preempt || j.nominated_until > now {
                return false;
            }
            (j.priority, j.shape, j.pods)
        };
        if pods > 1 {
            return self.try_preempt_gang(slot, allowed, now);
        }
        let key = (shape, allowed);
        let host = self.shapes.get(shape).host;
        let look = self
            .preempt_memo
            .look(shape, allowed, self.cluster.layout_gen);
        let chosen = if look == Look::Changed(Vec::new()) {
            // No node changed since the last attempt: its answer stands.
            self.preempt_memo.best(key)
        } else {
            let pools: Vec<(u32, Need)> = self
                .shapes
                .get(shape)
                .fit
                .pools
                .iter()
                .filter(|fp| fp.rank < allowed)
                .map(|fp| (fp.pool, fp.need.clone()))
                .collect();
            match look {
                Look::Everywhere => {
                    let options = self.victims_everywhere(&pools, prio, host);
                    let scanned = pools.iter().map(|(p, _)| *p).collect();
                    self.preempt_memo.scanned(key, scanned, &options);
                    pick_node(&options).map(|i| options[i].victims.clone())
                }
                Look::Changed(nodes) => {
                    for node in nodes {
                        let victims = self.victims_changed(node, &pools, prio, host);
                        self.preempt_memo.set(key, node, victims);
                    }
                    self.preempt_memo.best(key)
                }
            }
        };
        let Some(victims) = chosen else {
            return false;
        };
        for v in &victims {
            self.evict(v.id, now, true);
        }
        // The preemptor waits for its victims to leave instead of preempting again meanwhile.
        let grace = self.world.params.termination_grace.ms();
        self.job(slot).nominated_until = now + grace + 1;
        self.nominate(slot, &victims);
        true
    }

    /// Victim sets on every node of `pools`, in pool then node order.
    fn victims_everywhere(
        &self,
        pools: &[(u32, Need)],
        prio: i32,
        host: HostNeed,
    ) -> Vec<NodeVictims<(u32, u32)>> {
        let mut options = Vec::new();
        for (pool, need) in pools {
            // Nothing to gain where no running pod has a lower priority.
            if !self.ledger.runs_below(*pool, prio) {
                continue;
            }
            let present = self.cluster.pools[*pool as usize].present;
            for node in 0..present {
                if let Some(victims) = self.victims_on_node(*pool, node, need, prio, host) {
                    options.push(NodeVictims {
                        node: (*pool, node),
                        victims,
                    });
                }
            }
        }
        options
    }

    /// The victim set on one changed node, as a full scan of `pools` would find it.
    fn victims_changed(
        &self,
        (pool, node): NodeId,
        pools: &[(u32, Need)],
        prio: i32,
        host: HostNeed,
    ) -> Option<Vec<Candidate>> {
        let (_, need) = pools.iter().find(|(p, _)| *p == pool)?;
        if !self.ledger.runs_below(pool, prio) {
            return None;
        }
        self.victims_on_node(pool, node, need, prio, host)
    }

    /// The minimal victim set on one node, if evicting pods below `prio` makes `need` fit.
    pub(super) fn victims_on_node(
        &self,
        pool: u32,
        node: u32,
        need: &Need,
        prio: i32,
        host: HostNeed,
    ) -> Option<Vec<Candidate>> {
        if !self.cluster.pools[pool as usize].schedulable(node) {
            return None;
        }
        let pods = self.node_pods(pool, node, prio);
        if pods.is_empty() {
            return None;
        }
        select_victims(prio, &pods, &mut |evicted| {
            self.fits_without(pool, node, need, evicted)
                && (self.cluster.pools[pool as usize].host).fits_after(
                    node,
                    host,
                    self.host_freed(pool, node, evicted),
                )
        })
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
        // Pods without GPUs on the node (their CPU and memory count in `host_freed`).
        for &slot in self.cluster.pools[pool as usize].host.pods(node) {
            let j = self.live(slot).expect("host pod is live");
            if j.devices == 0.0 && j.phase == Phase::Running && j.priority < below {
                out.push(Candidate {
                    id: slot,
                    priority: j.priority,
                    start: j.attempt_start,
                });
            }
        }
        out
    }

    /// Would `need` fit on the node if `evicted` were gone? A what-if: nothing is changed.
    fn fits_without(&self, pool: u32, node: u32, need: &Need, evicted: &[u32]) -> bool {
        let gone: Vec<(&[crate::cluster::Holding], f64)> = evicted
            .iter()
            .map(|&v| {
                let j = self.live(v).expect("victim is live");
                (j.holdings.as_slice(), j.mem)
            })
            .collect();
        self.cluster.fits_without(pool, node, need, &gone)
    }
}
