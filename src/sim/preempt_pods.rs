//! What preemption reads of a pod, kept in a compact row per job slot.
//!
//! Gathering a node's candidate victims (`preempt.rs::node_pods`) reads, for every pod on the
//! node's GPUs, whether it runs, its priority, start, GPU memory and CPU and host memory: a few
//! fields of a large job record, one cache miss or more per pod, and the same pods are read
//! again each time their node changes. A row copies those fields once; it is dropped whenever
//! the pod starts, leaves or is evicted (the moments `gang::touch_nodes` reports, which are the
//! only moments any of these fields change for a pod on a GPU) and read again from the job at
//! the next gathering.

use super::job::{Job, Phase};
use crate::cluster::HostNeed;
use crate::units::SimTime;
use std::cell::Cell;

/// The fields of a job preemption's gathering reads.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct PodRow {
    /// Whether the row was read from the job since the pod last changed.
    valid: bool,
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
            valid: true,
            running: j.phase == Phase::Running,
            gang: j.pods > 1,
            priority: j.priority,
            start: j.attempt_start,
            mem: j.mem,
            host: j.host,
        }
    }
}

/// Rows by job slot; read through a shared reference (rows are filled while gathering).
#[derive(Debug, Default)]
pub(super) struct PodRows {
    rows: Vec<Cell<PodRow>>,
}

impl PodRows {
    /// The pod in `slot` started, left or was evicted: its row is stale.
    pub fn changed(&mut self, slot: u32) {
        let s = slot as usize;
        if s >= self.rows.len() {
            self.rows.resize_with(s + 1, Default::default);
        }
        self.rows[s].set(PodRow::default());
    }

    /// The row of the pod in `slot`, read from `job` (its job) if stale.
    pub fn get(&self, slot: u32, job: impl FnOnce() -> PodRow) -> PodRow {
        let Some(cell) = self.rows.get(slot as usize) else {
            return job();
        };
        let row = cell.get();
        if row.valid {
            return row;
        }
        let row = job();
        cell.set(row);
        row
    }

    pub fn clear(&mut self) {
        self.rows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(priority: i32) -> PodRow {
        PodRow {
            valid: true,
            priority,
            ..PodRow::default()
        }
    }

    proptest! {
        /// Random changes (each reported, as the simulation does) and reads of random slots:
        /// a read always gives the job's current fields, and reads the job only when its row
        /// is stale.
        #[test]
        fn rows_follow_reported_changes(
            ops in prop::collection::vec((0u32..6, any::<bool>(), -5i32..5), 1..80),
        ) {
            let mut rows = PodRows::default();
            let mut jobs = [0i32; 6];
            let mut stale = [true; 6];
            for (slot, change, priority) in ops {
                let s = slot as usize;
                if change {
                    jobs[s] = priority;
                    rows.changed(slot);
                    stale[s] = true;
                    continue;
                }
                let mut read = false;
                let got = rows.get(slot, || {
                    read = true;
                    row(jobs[s])
                });
                prop_assert_eq!(got.priority, jobs[s]);
                // Slots never reported have no row and are read every time.
                prop_assert_eq!(read, stale[s] || s >= rows.rows.len());
                stale[s] = s >= rows.rows.len();
            }
        }
    }
}
