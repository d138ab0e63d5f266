//! kube-scheduler's nominated node: a preemptor whose victims are still terminating is
//! nominated to their node (`status.nominatedNodeName`), and while it waits, pods of lower
//! or equal priority are placed there only where the preemptor still fits once its victims
//! have gone (docs/MODEL.md, "Nominated node").
//!
//! kube-scheduler runs the Filter plugins of a pod "with nominated pods": every pod nominated
//! to the node with a priority at least the pod's counts as if it were running there
//! (framework `RunFilterPluginsWithNominatedPods`). Here the capacity the preemptor needs (its
//! devices, CPU and host memory) is held once its victims have gone; while they terminate they
//! still hold theirs.

use super::Simulation;
use super::job::Phase;
use super::jobs::JobTable;
use crate::cluster::{Holding, HostNeed, Need};
use crate::sched::preemption::Candidate;
use crate::units::SimTime;
use smallvec::SmallVec;

/// A pending preemptor and the node its victims are leaving.
#[derive(Clone, Debug)]
pub(super) struct Nomination {
    slot: u32,
    job: u64,
    priority: i32,
    pool: u32,
    node: u32,
    need: Need,
    /// Its CPU and host memory request.
    host: HostNeed,
    /// The preemptor's pending episode (`Job::pending_stamp`): the nomination ends when the
    /// preemptor leaves the queue, even if it comes back before `until`.
    stamp: u64,
    /// Its victims (slot, job id), while they terminate.
    victims: Vec<(u32, u64)>,
    /// The nomination lapses then (the preemptor may preempt again).
    until: SimTime,
}

/// Whether nomination `n` is in force at `now`: it has not lapsed and its preemptor is still
/// in the pending episode it was nominated in.
fn in_force(jobs: &JobTable, n: &Nomination, now: SimTime) -> bool {
    n.until > now
        && jobs.get(n.slot).is_some_and(|j| {
            j.id == n.job && j.phase == Phase::Pending && j.pending_stamp == n.stamp
        })
}

impl Simulation<'_> {
    /// The job in `slot` evicted `victims` (all on one node) to make room for itself: it is
    /// nominated to their node until it may preempt again (`nominated_until`).
    pub(super) fn nominate(&mut self, slot: u32, victims: &[Candidate]) {
        let Some(first) = victims.first() else {
            return;
        };
        // A victim without GPUs (a CPU-only pod) is found on its node by its host placement.
        let Some((pool, node)) = self.live(first.id).and_then(|v| {
            let on_gpu = v
                .holdings
                .first()
                .map(|h| self.cluster.gpus[h.gpu as usize].node);
            Some((v.pool, on_gpu.or(v.node)?))
        }) else {
            return;
        };
        let j = self.live(slot).expect("preemptor is live");
        let Some(need) = (self.shapes.get(j.shape).fit.pools.iter())
            .find(|fp| fp.pool == pool)
            .map(|fp| fp.need.clone())
        else {
            return;
        };
        let host = j.host;
        // A preemptor nominates only once its last nomination lapsed (`try_preempt`), so
        // nothing of it is left in force to replace.
        self.nominate_on(slot, pool, node, need, host, victims);
    }

    /// A preempting gang is nominated to every node of its plan (`sim/gang_preempt.rs`): on
    /// each, `need` and `host` are the devices, CPU and memory its pods there take, `victims`
    /// those leaving it.
    pub(super) fn nominate_gang(
        &mut self,
        slot: u32,
        pool: u32,
        nodes: Vec<(u32, Need, HostNeed, Vec<Candidate>)>,
    ) {
        for (node, need, host, victims) in nodes {
            self.nominate_on(slot, pool, node, need, host, &victims);
        }
    }

    /// Adds the nomination of the job in `slot` to `node` of `pool`, holding `need` and `host`
    /// against jobs of lower or equal priority.
    fn nominate_on(
        &mut self,
        slot: u32,
        pool: u32,
        node: u32,
        need: Need,
        host: HostNeed,
        victims: &[Candidate],
    ) {
        let j = self.live(slot).expect("preemptor is live");
        let n = Nomination {
            slot,
            job: j.id,
            priority: j.priority,
            stamp: j.pending_stamp,
            pool,
            node,
            need,
            host,
            victims: (victims.iter())
                .map(|v| (v.id, self.live(v.id).expect("victim is live").id))
                .collect(),
            until: j.nominated_until,
        };
        self.nominations.push(pool, node, n);
    }

    /// Where the job in `slot` (of `shape`) goes, as `find_place` answers, but never onto a
    /// node where that would leave no room for a nominated preemptor of priority at least its
    /// own once the preemptor's victims have gone.
    pub(super) fn find_place_nominated(
        &mut self,
        slot: u32,
        shape: u32,
        allowed: usize,
        now: SimTime,
    ) -> Option<(u32, usize, (u32, Vec<Holding>))> {
        if self.nominations.is_empty() {
            return self.find_place(shape, allowed);
        }
        let jobs = &self.jobs;
        (self.nominations).sweep_if_piled(|n| in_force(jobs, n, now));
        let prio = self.live(slot).expect("live").priority;
        // Nodes taken out of this one search, to be put back.
        let mut hidden: Vec<(u32, u32)> = Vec::new();
        let mut binding = Vec::new();
        let found = loop {
            let Some((pool, choice, (on, holdings))) = self.find_place(shape, allowed) else {
                break None;
            };
            // The nodes the job takes: the node it goes to (a pod without GPUs too: it takes
            // CPU and memory), or every node of a gang's pods.
            let mut nodes: SmallVec<[u32; 4]> = (holdings.iter())
                .map(|h| self.cluster.gpus[h.gpu as usize].node)
                .chain([on])
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            // The nominees of priority at least its own there, in the order they were
            // nominated: the first one the job would crowd out blocks its node.
            let jobs = &self.jobs;
            let live = |n: &Nomination| in_force(jobs, n, now);
            let binds = |n: &Nomination| n.slot != slot && n.priority >= prio;
            (self.nominations).on_nodes(pool, &nodes, live, binds, &mut binding);
            let mut blocked = None;
            for (_, n) in &binding {
                if !self.leaves_room(slot, &holdings, n) {
                    blocked = Some(n.node);
                    break;
                }
            }
            let Some(node) = blocked else {
                break Some((pool, choice, (on, holdings)));
            };
            // The search goes on without the node whose nominee it would crowd out.
            self.cluster.hide_node(pool, node, true);
            hidden.push((pool, node));
        };
        for (pool, node) in hidden {
            self.cluster.hide_node(pool, node, false);
        }
        found
    }

    /// Would nominee `n` still fit on its node, once its victims have gone, if the job in
    /// `slot` took `holdings` (and its CPU and host memory) there? A what-if: the cluster is as
    /// it was afterwards.
    fn leaves_room(&mut self, slot: u32, holdings: &[Holding], n: &Nomination) -> bool {
        let (mem, host) = {
            let j = self.live(slot).expect("live");
            // A GPU pod without a request holds no CPU or memory (sim/host.rs); a gang, its
            // pods' on that node.
            let pods_here = if j.pods > 1 {
                (self.pods_by_node(holdings, j.pods).into_iter())
                    .find(|&(node, _)| node == n.node)
                    .map_or(0, |(_, c)| c)
            } else {
                1
            };
            (j.mem, j.host.times(pods_here))
        };
        let leaving: Vec<u32> = (n.victims.iter())
            .filter(|&&(s, id)| {
                self.live(s)
                    .is_some_and(|v| v.id == id && v.phase == Phase::Terminating)
            })
            .map(|&(s, _)| s)
            .collect();
        let freed = self.host_freed(n.pool, n.node, &leaving);
        let both = HostNeed {
            cpu_milli: n.host.cpu_milli + host.cpu_milli,
            mem_bytes: n.host.mem_bytes + host.mem_bytes,
        };
        let host_fits = (self.cluster.pools[n.pool as usize].host).fits_after(n.node, both, freed);
        if !host_fits {
            return false;
        }
        let saved: Vec<f64> = (holdings.iter())
            .map(|h| self.cluster.gpus[h.gpu as usize].mem_used)
            .collect();
        self.cluster.commit(slot, holdings, mem);
        let victims: Vec<(&[Holding], f64)> = (n.victims.iter())
            .filter_map(|&(s, id)| self.live(s).filter(|v| v.id == id))
            .filter(|v| v.phase == Phase::Terminating)
            .map(|v| (v.holdings.as_slice(), v.mem))
            .collect();
        let fits = self.cluster.fits_without(n.pool, n.node, &n.need, &victims);
        self.cluster.release(slot, holdings, mem);
        // Memory sums are restored exactly (a - b + b need not be a in floating point).
        for (h, m) in holdings.iter().zip(saved) {
            self.cluster.gpus[h.gpu as usize].mem_used = m;
        }
        self.cluster.refresh_node(n.pool, n.node);
        fits
    }
}
