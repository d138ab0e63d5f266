//! Memory of preemption attempts, so an overloaded cluster does not re-examine every node for
//! every pod that fails to schedule.
//!
//! An attempt for a request shape (which fixes the preemptor's priority and needs) among its
//! first `allowed` pools examines every node: on each, the minimal victim set or none
//! (`sched::preemption::select_victims`), then picks one node among those with victims
//! (`pick_node`). A node's answer depends only on the node: its capacity, the pods on it and
//! whether they still run. So it stays right until a pod starts on the node, leaves it or is
//! evicted from it (becomes terminating), or the cluster's layout changes (nodes drained,
//! returned, added, removed or re-partitioned: everything is forgotten then).
//!
//! The memo keeps, per (shape, allowed pools), every node's last answer that offered victims,
//! with the nodes changed since. An attempt re-examines only the changed nodes; the choice is
//! then the first node in kube-scheduler's order over the remembered answers, kept sorted, with
//! ties to the first node in scan order (pools as listed for the shape, then node number): the
//! node a full scan picks. Failed attempts cost nothing until a node changes.

use super::preempt_pods::PodRows;
use crate::sched::preemption::{Candidate, NodeRank, NodeVictims, node_rank};
use std::collections::{BTreeMap, BTreeSet};

/// A node: (pool, pool-local node number).
pub(super) type NodeId = (u32, u32);

/// One remembered attempt.
#[derive(Debug)]
struct Entry {
    /// The pools looked at, in the order they are scanned.
    pools: Vec<u32>,
    /// Nodes that offered victims and have not changed since: (scan rank of the pool, node)
    /// -> the victim set and its rank in kube-scheduler's node order.
    victims: BTreeMap<(usize, u32), (NodeRank, Vec<Candidate>)>,
    /// The same nodes in choice order: (node rank, scan rank of the pool, node).
    order: BTreeSet<(NodeRank, usize, u32)>,
    /// Nodes changed since the last attempt; may repeat.
    dirty: Vec<NodeId>,
    /// Too many changes to list or victims to keep: look at every node.
    all: bool,
}

impl Entry {
    fn rank(&self, pool: u32) -> usize {
        self.pools
            .iter()
            .position(|&p| p == pool)
            .unwrap_or(usize::MAX)
    }

    /// Replaces what is known of `node`.
    fn set(&mut self, (pool, node): NodeId, victims: Option<Vec<Candidate>>) {
        let at = (self.rank(pool), node);
        if let Some((r, _)) = self.victims.remove(&at) {
            self.order.remove(&(r, at.0, at.1));
        }
        if let Some(v) = victims {
            let r = node_rank(&v);
            self.order.insert((r, at.0, at.1));
            self.victims.insert(at, (r, v));
        }
    }

    fn clear(&mut self) {
        self.victims.clear();
        self.order.clear();
        self.dirty = Vec::new();
    }
}

/// Where an attempt must look.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Look {
    /// Every node of the shape's allowed pools (nothing is known).
    Everywhere,
    /// Only these nodes changed (each once); the memo knows the rest.
    Changed(Vec<NodeId>),
}

/// Past this many listed changes an entry falls back to a full scan (bounds its memory).
const MAX_DIRTY: usize = 4096;
/// Past this many remembered victims an entry falls back to full scans (bounds its memory).
const MAX_VICTIMS: usize = 1 << 20;

#[derive(Debug)]
pub(super) struct PreemptMemo {
    enabled: bool,
    /// The cluster's layout generation the entries were made under.
    layout: u64,
    entries: Vec<Entry>,
    /// (shape, allowed pools) -> entry.
    ix: BTreeMap<(u32, usize), usize>,
    /// Per pool: the entries that scan it.
    by_pool: Vec<Vec<usize>>,
    /// What gathering reads of each pod, while it has not changed.
    pub pods: PodRows,
}

impl PreemptMemo {
    /// A memo for `pools` pools; a disabled one always says `Look::Everywhere` and remembers
    /// nothing (the reference path the tests compare against).
    pub fn new(pools: usize, enabled: bool) -> Self {
        PreemptMemo {
            enabled,
            layout: 0,
            entries: Vec::new(),
            ix: BTreeMap::new(),
            by_pool: vec![Vec::new(); pools],
            pods: PodRows::default(),
        }
    }

    /// Whether the memo is on (off: the reference path of the equivalence tests).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.forget();
    }

    fn forget(&mut self) {
        self.pods.clear();
        self.entries.clear();
        self.ix.clear();
        for v in &mut self.by_pool {
            v.clear();
        }
    }

    /// Where an attempt for `shape` among its first `allowed` pools must look, under cluster
    /// layout generation `layout`. After `Changed`, report each listed node with [`Self::set`].
    pub fn look(&mut self, shape: u32, allowed: usize, layout: u64) -> Look {
        if layout != self.layout {
            self.forget();
            self.layout = layout;
        }
        if !self.enabled {
            return Look::Everywhere;
        }
        let Some(&ix) = self.ix.get(&(shape, allowed)) else {
            return Look::Everywhere;
        };
        let e = &mut self.entries[ix];
        if e.all {
            return Look::Everywhere;
        }
        let mut nodes = std::mem::take(&mut e.dirty);
        nodes.sort_unstable();
        nodes.dedup();
        Look::Changed(nodes)
    }

    /// Records a full scan of `pools` (in scan order): `found` are the nodes that offered
    /// victims; every other node offered none.
    pub fn scanned(
        &mut self,
        (shape, allowed): (u32, usize),
        pools: Vec<u32>,
        found: &[NodeVictims<NodeId>],
    ) {
        if !self.enabled {
            return;
        }
        let ix = match self.ix.get(&(shape, allowed)) {
            Some(&ix) => ix,
            None => {
                let ix = self.entries.len();
                for &p in &pools {
                    self.by_pool[p as usize].push(ix);
                }
                self.entries.push(Entry {
                    pools,
                    victims: BTreeMap::new(),
                    order: BTreeSet::new(),
                    dirty: Vec::new(),
                    all: false,
                });
                self.ix.insert((shape, allowed), ix);
                ix
            }
        };
        let e = &mut self.entries[ix];
        e.clear();
        e.all = found.iter().map(|f| f.victims.len()).sum::<usize>() > MAX_VICTIMS;
        if !e.all {
            for f in found {
                e.set(f.node, Some(f.victims.clone()));
            }
        }
    }

    /// What a changed node listed by [`Self::look`] offers now.
    pub fn set(
        &mut self,
        (shape, allowed): (u32, usize),
        node: NodeId,
        victims: Option<Vec<Candidate>>,
    ) {
        if let Some(&ix) = self.ix.get(&(shape, allowed)) {
            self.entries[ix].set(node, victims);
        }
    }

    /// The victims on the node a full scan would pick, from what is remembered for the
    /// attempt (after its changed nodes were reported).
    pub fn best(&self, (shape, allowed): (u32, usize)) -> Option<Vec<Candidate>> {
        self.best_node((shape, allowed)).map(|(_, v)| v)
    }

    /// The node a full scan would pick, with its victims.
    fn best_node(&self, key: (u32, usize)) -> Option<(NodeId, Vec<Candidate>)> {
        let e = &self.entries[*self.ix.get(&key)?];
        let &(_, rank, node) = e.order.first()?;
        let (_, victims) = &e.victims[&(rank, node)];
        Some(((e.pools[rank], node), victims.clone()))
    }

    /// The pod in `slot` started on, left or was evicted from `node` of `pool` (a GPU pod;
    /// [`Self::touched`] is called for the node too).
    pub fn pod_changed(&mut self, pool: u32, node: u32, slot: u32) {
        self.pods.changed(pool, node, slot);
    }

    /// A pod started on, left, or was evicted from `node` of `pool`: what it offers may have
    /// changed for every attempt that scans the pool.
    pub fn touched(&mut self, pool: u32, node: u32) {
        let Some(ixs) = self.by_pool.get(pool as usize) else {
            return;
        };
        for &ix in ixs {
            let e = &mut self.entries[ix];
            if e.all {
                continue;
            }
            if e.dirty.len() >= MAX_DIRTY {
                e.all = true;
                e.clear();
            } else {
                e.dirty.push((pool, node));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u32, priority: i32, start: u64) -> Candidate {
        Candidate {
            id,
            priority,
            start,
        }
    }

    /// A memo over 3 pools with one full scan remembered: shape 7, 2 pools allowed (pools 2
    /// then 0 in scan order); node 5 of pool 0 offered victim 1 (priority 100).
    fn remembered() -> PreemptMemo {
        let mut m = PreemptMemo::new(3, true);
        assert_eq!(m.look(7, 2, 0), Look::Everywhere, "nothing known yet");
        let found = NodeVictims {
            node: (0, 5),
            victims: vec![c(1, 100, 0)],
        };
        m.scanned((7, 2), vec![2, 0], &[found]);
        m
    }

    #[test]
    fn an_attempt_looks_only_at_changed_nodes() {
        let mut m = remembered();
        assert_eq!(m.look(7, 2, 0), Look::Changed(vec![]));
        assert_eq!(m.best_node((7, 2)), Some(((0, 5), vec![c(1, 100, 0)])));
        // Another pool count is another attempt (other pools may open).
        assert_eq!(m.look(7, 1, 0), Look::Everywhere);
        // Pool 1 is not scanned; nodes come once, sorted.
        m.touched(0, 4);
        m.touched(1, 4);
        m.touched(2, 9);
        m.touched(0, 4);
        assert_eq!(m.look(7, 2, 0), Look::Changed(vec![(0, 4), (2, 9)]));
        assert_eq!(m.look(7, 2, 0), Look::Changed(vec![]), "reported once");
    }

    #[test]
    fn the_choice_follows_kube_scheduler_order_then_scan_order() {
        let mut m = remembered();
        // Node 9 of pool 2 (scanned first) offers a victim just like node 5's.
        m.set((7, 2), (2, 9), Some(vec![c(2, 100, 0)]));
        assert_eq!(
            m.best_node((7, 2)).unwrap().0,
            (2, 9),
            "a tie goes to the pool scanned first"
        );
        m.set((7, 2), (2, 9), Some(vec![c(2, 100, 10), c(3, 100, 10)]));
        assert_eq!(
            m.best_node((7, 2)).unwrap().0,
            (0, 5),
            "two victims lose to one"
        );
        m.set((7, 2), (0, 5), None);
        assert_eq!(m.best_node((7, 2)).unwrap().0, (2, 9));
        m.set((7, 2), (2, 9), None);
        assert_eq!(m.best((7, 2)), None);
    }

    #[test]
    fn a_layout_change_or_too_many_changes_forget_everything() {
        let mut m = remembered();
        assert_eq!(m.look(7, 2, 1), Look::Everywhere, "layout generation moved");
        assert_eq!(m.best((7, 2)), None);
        let mut m = remembered();
        for n in 0..=MAX_DIRTY as u32 {
            m.touched(0, n);
        }
        assert_eq!(m.look(7, 2, 0), Look::Everywhere);
        // A full scan starts listing again.
        m.scanned((7, 2), vec![2, 0], &[]);
        assert_eq!(m.look(7, 2, 0), Look::Changed(vec![]));
    }

    #[test]
    fn a_disabled_memo_always_scans() {
        let mut m = remembered();
        m.set_enabled(false);
        m.scanned((7, 2), vec![2, 0], &[]);
        assert_eq!(m.look(7, 2, 0), Look::Everywhere);
        assert_eq!(m.best((7, 2)), None);
    }
}
