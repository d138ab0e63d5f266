//! The scheduling cycle through the per-shape index (`index.rs`): a child module of `run.rs`
//! (it reaches the scheduler's private state). Same decisions as `Scheduler::select_scan`, the
//! full scan; `run_tests.rs` checks that over random clusters and pod lists.

use super::super::index::{BUCKETS, NONE, ShapeIndex};
use super::super::model::WorkloadPod;
use super::super::policy::Policy;
use super::Scheduler;
use rand::RngExt;

impl Scheduler<'_> {
    /// One scheduling cycle: the chosen node (rank index), or None if no node is feasible.
    pub(super) fn select(&mut self, p: &WorkloadPod, class: u32) -> Option<usize> {
        if self.full_scan {
            return self.select_scan(p, class);
        }
        let key = (p.cpu, p.mem, p.milli, p.k, p.types);
        let next = self.index.len();
        let s = *self.shapes.entry(key).or_insert(next);
        if s == next {
            self.index.push(ShapeIndex::new(self.nodes.len()));
        }
        let mut ix = std::mem::replace(&mut self.index[s], ShapeIndex::new(0));
        let ok = self.catch_up(&mut ix, p, class);
        self.index[s] = ix;
        if !ok {
            self.full_scan = true;
            return self.select_scan(p, class);
        }
        let ix = &self.index[s];
        if self.policy == Policy::Random {
            // Every feasible node scores 0: the feasible list in rank order, as the scan makes it.
            return match ix.feasible() {
                0 => None,
                1 => ix.nth_feasible(0),
                len => ix.nth_feasible(self.rng.random_range(0..len)),
            };
        }
        ix.best()
    }

    /// Brings a shape's index up to date: the nodes changed since it last looked (all nodes the
    /// first time, or when more changes than nodes are pending). False when a score falls
    /// outside the index's range.
    ///
    /// Pods never leave, so a node's free CPU, memory and GPU only shrink and its pod count only
    /// grows: a node once infeasible for a shape stays so and is not looked at again.
    fn catch_up(&mut self, ix: &mut ShapeIndex, p: &WorkloadPod, class: u32) -> bool {
        let (from, to) = (ix.seen, self.changes.len());
        ix.seen = to;
        let fresh = from == 0;
        if fresh || to - from >= self.nodes.len() {
            (0..self.nodes.len()).all(|i| self.refresh(ix, i, p, class, fresh))
        } else {
            (from..to).all(|k| {
                let i = self.changes[k] as usize;
                self.refresh(ix, i, p, class, false)
            })
        }
    }

    /// Re-scores node `i` (rank) in a shape's index; unless `fresh`, a node already infeasible
    /// is left as it is.
    fn refresh(
        &mut self,
        ix: &mut ShapeIndex,
        i: usize,
        p: &WorkloadPod,
        class: u32,
        fresh: bool,
    ) -> bool {
        if !fresh && ix.get(i) == NONE {
            return true;
        }
        if !self.nodes[i].fits(p) {
            ix.set(i, NONE);
            return true;
        }
        let s = self.score(i, p, class);
        if !(0..BUCKETS as i64).contains(&s) {
            return false;
        }
        ix.set(i, s as u8);
        true
    }
}
