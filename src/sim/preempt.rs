//! PostFilter: a pending job that fits nowhere may evict lower-priority pods on one node.
//! The victim choice itself is in `sched::preemption`; this file gathers the candidates, and
//! `preempt_memo` remembers each node's answer until the node changes.

use super::Simulation;
use super::job::Phase;
use super::preempt_memo::{Look, NodeId};
use super::preempt_pods::PodRow;
use crate::cluster::{Cluster, Holding, HostNeed, Need, NodeHost, NodeTrials};
use crate::sched::preemption::{
    Candidate, NodeVictims, Trials, VictimScratch, pick_node, select_victims_with,
};
use crate::sched::queue::QueueKey;
use crate::units::SimTime;
use std::ops::Range;

/// What the what-ifs on one node read of its lower-priority pods, gathered once per node (not
/// once per tentative victim set) into lists kept between attempts.
#[derive(Debug, Default)]
pub(super) struct NodeScratch {
    pods: Vec<Candidate>,
    /// Per pod: its holdings (a range of `held`), the GPU memory it committed them with, and
    /// the CPU and memory it gives back on the node (zero unless it is among the node's pods).
    gone: Vec<(Range<usize>, f64, HostNeed)>,
    held: Vec<Holding>,
    victims: VictimScratch,
    /// Jobs met on the node's GPUs: their candidate index, if they are one.
    seen: Vec<(u32, Option<usize>)>,
    /// (candidate index, holding) as met on the node's GPUs.
    pairs: Vec<(usize, Holding)>,
    /// The node's counts during the reprieve trials.
    trials: NodeTrials,
}

impl Simulation<'_> {
    /// The head of `shape` does not fit. Jobs of the shape, in queue order, preempt for
    /// themselves (as kube-scheduler's PostFilter runs for each pod that fails to schedule),
    /// skipping jobs already waiting for their victims, until one finds no victims.
    pub(super) fn preempt_for_shape(&mut self, shape: u32, now: SimTime) {
        let mut at = None;
        loop {
            let jobs = &self.jobs;
            let nominated = |k: &QueueKey| {
                let until = jobs.get(k.slot).expect("queued job").nominated_until;
                (until > now).then_some(until)
            };
            let Some(key) = (self.admission.pending).next_unheld(shape, at, now, nominated) else {
                break;
            };
            at = Some(key);
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
        let mut scratch = self.preempt_scratch.take();
        let mut options = Vec::new();
        for (pool, need) in pools {
            // Nothing to gain where no running pod has a lower priority.
            if !self.ledger.runs_below(*pool, prio) {
                continue;
            }
            let present = self.cluster.pools[*pool as usize].present;
            for node in 0..present {
                let found = self.victims_on_node(&mut scratch, *pool, node, need, prio, host);
                if let Some(victims) = found {
                    options.push(NodeVictims {
                        node: (*pool, node),
                        victims,
                    });
                }
            }
        }
        self.preempt_scratch.set(scratch);
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
        let mut scratch = self.preempt_scratch.take();
        let found = self.victims_on_node(&mut scratch, pool, node, need, prio, host);
        self.preempt_scratch.set(scratch);
        found
    }

    /// The minimal victim set on one node, if evicting pods below `prio` makes `need` fit.
    pub(super) fn victims_on_node(
        &self,
        s: &mut NodeScratch,
        pool: u32,
        node: u32,
        need: &Need,
        prio: i32,
        host: HostNeed,
    ) -> Option<Vec<Candidate>> {
        if !self.cluster.pools[pool as usize].schedulable(node) {
            return None;
        }
        self.node_pods(s, pool, node, prio);
        if s.pods.is_empty() {
            return None;
        }
        let NodeScratch {
            pods,
            gone,
            held,
            victims,
            trials,
            ..
        } = s;
        let found = select_victims_with(
            prio,
            pods,
            victims,
            &mut OnNode {
                cluster: &self.cluster,
                at: (pool, node),
                need,
                host_pool: &self.cluster.pools[pool as usize].host,
                host,
                gone,
                held,
                trials,
                freed: HostNeed::default(),
                keeping: 0,
                incremental: self.preempt_memo.enabled(),
            },
        );
        found.then(|| victims.victims(pods).collect())
    }

    /// Running pods on a node with priority below `below`, each once, with what each holds
    /// on the node (into `s`). The holdings are read off the node's GPUs (each tenant entry is
    /// one holding of its job, in the job's order on that GPU), not off the jobs: a what-if
    /// only counts holdings on the node, and per GPU in the same order.
    fn node_pods(&self, s: &mut NodeScratch, pool: u32, node: u32, below: i32) {
        s.pods.clear();
        s.gone.clear();
        s.held.clear();
        s.seen.clear();
        s.pairs.clear();
        let on_node = self.cluster.pools[pool as usize].host.pods(node);
        // What is read of each pod: kept between gatherings while the memo is on, read off
        // the job itself on the reference path.
        let mut rows =
            (self.preempt_memo.enabled()).then(|| self.preempt_memo.pods.node(pool, node));
        for g in self.cluster.pools[pool as usize].node_gpus(node) {
            for t in &self.cluster.gpus[g as usize].tenants {
                let ix = match s.seen.iter().find(|(id, _)| *id == t.job) {
                    Some(&(_, ix)) => ix,
                    None => {
                        let job = || PodRow::of(self.live(t.job).expect("tenant is live"));
                        let j = match &mut rows {
                            Some(rows) => rows.get(t.job, job),
                            None => job(),
                        };
                        let ix = (j.running && j.priority < below).then(|| {
                            // A gang frees its pods' CPU and memory on this node.
                            let freed = match on_node.contains(&t.job) {
                                false => HostNeed::default(),
                                true if j.gang => self.host_on_node(t.job, node),
                                true => j.host,
                            };
                            s.add(t.job, &j, freed)
                        });
                        s.seen.push((t.job, ix));
                        ix
                    }
                };
                if let Some(ix) = ix {
                    let (units, instance) = (t.units, t.instance);
                    s.pairs.push((
                        ix,
                        Holding {
                            gpu: g,
                            units,
                            instance,
                        },
                    ));
                }
            }
        }
        // Pods without GPUs on the node (their CPU and memory count in what is freed).
        for &slot in on_node {
            let j = self.live(slot).expect("host pod is live");
            if j.devices == 0.0 && j.phase == Phase::Running && j.priority < below {
                s.add(slot, &PodRow::of(j), j.host);
            }
        }
        // Each pod's holdings together, in GPU order.
        s.pairs.sort_by_key(|&(ix, _)| ix);
        let mut k = 0;
        for (i, gone) in s.gone.iter_mut().enumerate() {
            let from = s.held.len();
            while k < s.pairs.len() && s.pairs[k].0 == i {
                s.held.push(s.pairs[k].1);
                k += 1;
            }
            gone.0 = from..s.held.len();
        }
    }
}

impl NodeScratch {
    /// Adds the running pod `slot` as a candidate (its holdings come later); returns its index.
    /// `freed`: the CPU and memory it holds on the node.
    fn add(&mut self, slot: u32, j: &PodRow, freed: HostNeed) -> usize {
        self.pods.push(Candidate {
            id: slot,
            priority: j.priority,
            start: j.start,
        });
        self.gone.push((0..0, j.mem, freed));
        self.pods.len() - 1
    }
}

/// The victim choice's questions about one node, answered on counts (`cluster::what_if`):
/// whether the pod's devices fit, and its CPU and memory.
struct OnNode<'a> {
    cluster: &'a Cluster,
    at: (u32, u32),
    need: &'a Need,
    host_pool: &'a NodeHost,
    host: HostNeed,
    gone: &'a [(Range<usize>, f64, HostNeed)],
    held: &'a [Holding],
    trials: &'a mut NodeTrials,
    /// CPU and memory the tentative victims free on the node.
    freed: HostNeed,
    /// The pod of the trial in progress.
    keeping: usize,
    /// Whether trials keep the node's counts between questions (`cluster::what_if`); if not,
    /// each question is answered from scratch (the reference path, with the memo off).
    incremental: bool,
}

impl OnNode<'_> {
    fn holdings(&self, i: usize) -> (&[Holding], f64) {
        holdings_of(self.gone, self.held, i)
    }

    /// CPU and memory the pods `gone` free on the node.
    fn freed_by(&self, gone: impl Iterator<Item = usize>) -> HostNeed {
        let mut freed = HostNeed::default();
        for i in gone {
            freed.cpu_milli += self.gone[i].2.cpu_milli;
            freed.mem_bytes += self.gone[i].2.mem_bytes;
        }
        freed
    }
}

/// Pod `i`'s holdings on the node and the GPU memory it committed them with.
fn holdings_of<'h>(
    gone: &[(Range<usize>, f64, HostNeed)],
    held: &'h [Holding],
    i: usize,
) -> (&'h [Holding], f64) {
    (&held[gone[i].0.clone()], gone[i].1)
}

impl Trials for OnNode<'_> {
    fn fits_all(&mut self, lower: &[usize]) -> bool {
        let (pool, node) = self.at;
        // Where replicas add up, a sum (`cluster::what_if`); the reference path counts them.
        let gpus_fit = match self.incremental {
            true => {
                let gone = lower.iter().map(|&i| self.holdings(i).0);
                (self.cluster).replicas_fit_without(pool, node, self.need, gone)
            }
            false => None,
        };
        // As `Cluster::release` and `host_freed` would count them, in the same order.
        let each = lower.iter().map(|&i| self.holdings(i));
        gpus_fit.unwrap_or_else(|| self.cluster.fits_without_each(pool, node, self.need, each))
            && (self.host_pool).fits_after(node, self.host, self.freed_by(lower.iter().copied()))
    }

    fn begin(&mut self, victims: &[usize]) {
        if !self.incremental {
            return;
        }
        let (gone, held) = (self.gone, self.held);
        let holdings = |i: usize| holdings_of(gone, held, i);
        let (at, need) = (self.at, self.need);
        (self.cluster).trials_begin(self.trials, at, need, gone.len(), victims, holdings);
        self.freed = self.freed_by(victims.iter().copied());
    }

    fn fits_keeping(&mut self, victims: &[usize], keep: usize) -> bool {
        if !self.incremental {
            let without = || victims.iter().copied().filter(|&v| v != keep);
            let each = without().map(|i| self.holdings(i));
            let (pool, node) = self.at;
            return self.cluster.fits_without_each(pool, node, self.need, each)
                && (self.host_pool).fits_after(node, self.host, self.freed_by(without()));
        }
        self.keeping = keep;
        // Integer sums: taking one pod off gives the sum over the others.
        let kept = self.gone[keep].2;
        let freed = HostNeed {
            cpu_milli: self.freed.cpu_milli - kept.cpu_milli,
            mem_bytes: self.freed.mem_bytes - kept.mem_bytes,
        };
        (self.cluster).trial_keeping(self.trials, self.at, self.need, keep)
            && self.host_pool.fits_after(self.at.1, self.host, freed)
    }

    fn settle(&mut self, kept: bool) {
        if !self.incremental {
            return;
        }
        self.trials.settle(kept);
        if kept {
            let k = self.gone[self.keeping].2;
            self.freed.cpu_milli -= k.cpu_milli;
            self.freed.mem_bytes -= k.mem_bytes;
        }
    }
}
