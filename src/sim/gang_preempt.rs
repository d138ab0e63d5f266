//! A pending gang of higher priority preempts for all of its pods at once (docs/MODEL.md,
//! "Gang jobs"), as gang-aware schedulers do (Volcano's `preempt` action keeps a gang's
//! evictions only if the whole gang then fits; Volcano v1.15 made it place the incoming gang
//! as a unit). Victims are chosen node by node with kube-scheduler's rule (`sched::preemption`),
//! and nothing is evicted unless the nodes chosen hold every pod of the gang.

use super::Simulation;
use crate::cluster::{HostNeed, Need};
use crate::sched::gang::{pods_per_node, scaled};
use crate::sched::preemption::{Candidate, node_rank};
use crate::units::SimTime;

/// What one node offers a gang: pods that fit there now, and with `victims` evicted, `with`
/// pods in all.
struct NodeOffer {
    node: u32,
    free: u32,
    with: u32,
    victims: Vec<Candidate>,
}

impl Simulation<'_> {
    /// The gang in `slot` fits nowhere: looks, pool by pool among the first `allowed` of its
    /// shape, for nodes where its pods fit now or once lower-priority pods are evicted, and
    /// evicts those victims if the nodes then hold all its pods. Returns whether it evicted.
    pub(super) fn try_preempt_gang(&mut self, slot: u32, allowed: usize, now: SimTime) -> bool {
        let (prio, shape, pods, host) = {
            let j = self.live(slot).expect("live");
            (j.priority, j.shape, j.pods, j.host)
        };
        let pools: Vec<(u32, Need)> = (self.shapes.get(shape).fit.pools.iter())
            .filter(|fp| fp.rank < allowed)
            .map(|fp| (fp.pool, fp.need.clone()))
            .collect();
        for (pool, need) in pools {
            if !self.ledger.runs_below(pool, prio) {
                continue;
            }
            let Some(plan) = self.gang_plan(pool, &need, host, prio, pods) else {
                continue;
            };
            // Victim ids are read before any eviction (the nominations record them too).
            let nodes: Vec<(u32, Need, HostNeed, Vec<Candidate>)> = (plan.iter())
                .map(|o| {
                    let c = o.with.max(o.free);
                    (o.node, scaled(&need, c), host.times(c), o.victims.clone())
                })
                .collect();
            let mut victims: Vec<u32> = plan
                .iter()
                .flat_map(|o| o.victims.iter().map(|v| v.id))
                .collect();
            victims.sort_unstable();
            victims.dedup();
            // In job-id order, so the outcome does not depend on slot reuse.
            victims.sort_by_key(|&s| self.live(s).expect("victim is live").id);
            for v in victims {
                self.evict(v, now, true);
            }
            let grace = self.world.params.termination_grace.ms();
            self.job(slot).nominated_until = now + grace + 1;
            self.nominate_gang(slot, pool, nodes);
            return true;
        }
        false
    }

    /// The nodes of `pool` that would hold all `pods` pods of `need` (each with `host` CPU and
    /// memory): every node's free room first (node order), then the nodes whose victims
    /// kube-scheduler would pick first, until the gang is covered. None when even that is not
    /// enough.
    fn gang_plan(
        &self,
        pool: u32,
        need: &Need,
        host: HostNeed,
        prio: i32,
        pods: u32,
    ) -> Option<Vec<NodeOffer>> {
        let p = &self.cluster.pools[pool as usize];
        let most = pods_per_node(p, need, host).min(pods);
        let mut offers = Vec::new();
        let mut free_total = 0u32;
        let mut scratch = self.preempt_scratch.take();
        for node in 0..p.present {
            if !p.schedulable(node) {
                continue;
            }
            let free = (1..=most)
                .rev()
                .find(|&c| {
                    p.host.fits(node, host.times(c))
                        && self
                            .cluster
                            .fit_on_node(pool, node, &scaled(need, c))
                            .is_some()
                })
                .unwrap_or(0);
            free_total += free;
            // The most pods the node takes once its lower-priority pods go, with the fewest
            // victims for that many.
            let with = (free + 1..=most).rev().find_map(|c| {
                let (need, host) = (scaled(need, c), host.times(c));
                let v = self.victims_on_node(&mut scratch, pool, node, &need, prio, host)?;
                Some((c, v))
            });
            let (with, victims) = with.unwrap_or((free, Vec::new()));
            if free > 0 || !victims.is_empty() {
                offers.push(NodeOffer {
                    node,
                    free,
                    with,
                    victims,
                });
            }
        }
        self.preempt_scratch.set(scratch);
        if free_total >= pods {
            // It fits without evicting anything: placement, not preemption, takes it.
            return None;
        }
        // Nodes with victims, best first by kube-scheduler's rank, then node order.
        let mut order: Vec<usize> = (0..offers.len())
            .filter(|&i| !offers[i].victims.is_empty())
            .collect();
        order.sort_by_key(|&i| (node_rank(&offers[i].victims), offers[i].node));
        let mut covered = free_total;
        let mut chosen = vec![false; offers.len()];
        for i in order {
            if covered >= pods {
                break;
            }
            covered += offers[i].with - offers[i].free;
            chosen[i] = true;
        }
        if covered < pods {
            return None;
        }
        // Nodes with free room keep it (no victims); the chosen ones give up theirs.
        let plan = offers
            .into_iter()
            .zip(chosen)
            .filter_map(|(mut o, c)| {
                if !c {
                    o.victims.clear();
                    o.with = o.free;
                }
                (c || o.free > 0).then_some(o)
            })
            .collect();
        Some(plan)
    }
}
