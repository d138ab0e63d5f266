//! What preemption reads of a pod, kept in a compact row per pod and node.
//!
//! Gathering a node's candidate victims (`preempt.rs::node_pods`) reads, for every pod on the
//! node's GPUs, whether it runs, its priority, start, GPU memory and CPU and host memory: a few
//! fields of a large job record, one cache miss or more per pod, and the same pods are read
//! again each time their node changes. A row copies those fields once, beside the rows of the
//! node's other pods; it is dropped whenever the pod starts, leaves or is evicted (the moments
//! `gang::touch_nodes` reports, the only moments any of these fields change for a pod on a GPU)
//! and read again from the job at the next gathering.

use super::job::{Job, Phase};
use crate::cluster::HostNeed;
use crate::units::SimTime;
use std::cell::{RefCell, RefMut};

/// The fields of a job preemption's gathering reads.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct PodRow {
    pub running: bool,
    /// A gang (more than one pod).
    pub gang: bool,
    pub priority: i32,
    pub start: SimTime,
    pub mem: f64,
    pub host: HostNeed,
}

impl PodRow {
    pub fn of(j: &Job) -> Self {
        PodRow {
            running: j.phase == Phase::Running,
            gang: j.pods > 1,
            priority: j.priority,
            start: j.attempt_start,
            mem: j.mem,
            host: j.host,
        }
    }
}

/// Rows per pool and node of the pods gathered there since they last changed. Read through a
/// shared reference (rows are added while gathering).
#[derive(Debug, Default)]
pub(super) struct PodRows {
    nodes: RefCell<Vec<Vec<NodeRows>>>,
}

/// One node's rows: slots and rows side by side (a search reads only slots), in the order
/// they were gathered, which the next gathering mostly repeats.
#[derive(Debug, Default)]
pub(super) struct NodeRows {
    slots: Vec<u32>,
    rows: Vec<PodRow>,
    /// Where the last row found was, plus one: the next search starts there.
    next: usize,
}

impl NodeRows {
    /// The row of the pod in `slot`, from `job` (its job) if there is none.
    pub fn get(&mut self, slot: u32, job: impl FnOnce() -> PodRow) -> PodRow {
        if let Some(i) = self.find(slot) {
            return self.rows[i];
        }
        let row = job();
        self.slots.push(slot);
        self.rows.push(row);
        self.next = self.slots.len();
        row
    }

    fn find(&mut self, slot: u32) -> Option<usize> {
        let n = self.slots.len();
        let from = self.next.min(n);
        let i = (self.slots[from..]
            .iter()
            .position(|&s| s == slot)
            .map(|i| from + i))
        .or_else(|| self.slots[..from].iter().position(|&s| s == slot))?;
        self.next = i + 1;
        Some(i)
    }
}

impl PodRows {
    /// The pod in `slot` started on, left or was evicted from `node` of `pool`: its row there
    /// is stale.
    pub fn changed(&mut self, pool: u32, node: u32, slot: u32) {
        let nodes = self.nodes.get_mut();
        let Some(rows) = (nodes.get_mut(pool as usize)).and_then(|p| p.get_mut(node as usize))
        else {
            return;
        };
        if let Some(i) = rows.slots.iter().position(|&s| s == slot) {
            rows.slots.remove(i);
            rows.rows.remove(i);
        }
    }

    /// The rows of `node` of `pool`, for one gathering.
    pub fn node(&self, pool: u32, node: u32) -> RefMut<'_, NodeRows> {
        RefMut::map(self.nodes.borrow_mut(), |nodes| {
            let (p, n) = (pool as usize, node as usize);
            if nodes.len() <= p {
                nodes.resize_with(p + 1, Vec::new);
            }
            if nodes[p].len() <= n {
                nodes[p].resize_with(n + 1, Default::default);
            }
            &mut nodes[p][n]
        })
    }

    pub fn clear(&mut self) {
        self.nodes.get_mut().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(priority: i32) -> PodRow {
        PodRow {
            priority,
            ..PodRow::default()
        }
    }

    proptest! {
        /// Random changes (each reported, as the simulation does) and reads of random pods on
        /// random nodes: a read always gives the job's current fields, and reads the job only
        /// when the pod changed since it was last read on that node.
        #[test]
        fn rows_follow_reported_changes(
            ops in prop::collection::vec((0u32..2, 0u32..3, 0u32..6, any::<bool>(), -5i32..5), 1..80),
        ) {
            let mut rows = PodRows::default();
            let mut jobs = [0i32; 6];
            // Per (pool, node, slot): whether a read must go to the job.
            let mut stale = [[[true; 6]; 3]; 2];
            for (pool, node, slot, change, priority) in ops {
                let (p, n, s) = (pool as usize, node as usize, slot as usize);
                if change {
                    // The pod changes on this node; the others no longer hold it.
                    jobs[s] = priority;
                    for (pp, nodes) in stale.iter_mut().enumerate() {
                        for (nn, slots) in nodes.iter_mut().enumerate() {
                            rows.changed(pp as u32, nn as u32, slot);
                            slots[s] = true;
                        }
                    }
                    continue;
                }
                let mut read = false;
                let got = rows.node(pool, node).get(slot, || {
                    read = true;
                    row(jobs[s])
                });
                prop_assert_eq!(got.priority, jobs[s]);
                prop_assert_eq!(read, stale[p][n][s]);
                stale[p][n][s] = false;
            }
        }
    }
}
