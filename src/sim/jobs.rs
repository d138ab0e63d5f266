//! The job table: one slot per job in the system, reused once the job has left.

use super::job::{Job, Phase};

/// Live jobs by slot. Events and cluster tenants name jobs by slot, so a slot is freed only
/// when its job has left for good (stamps tell a reused slot's stale events apart).
#[derive(Default)]
pub(super) struct JobTable {
    slots: Vec<Option<Job>>,
    free: Vec<u32>,
}

impl JobTable {
    /// Puts a new job in a free slot (or a new one); returns the slot.
    pub fn insert(&mut self, job: Job) -> u32 {
        match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(job);
                s
            }
            None => {
                self.slots.push(Some(job));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The job has left: its slot can be reused.
    pub fn remove(&mut self, slot: u32) {
        self.slots[slot as usize] = None;
        self.free.push(slot);
    }

    pub fn get(&self, slot: u32) -> Option<&Job> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// The live job in `slot` (panics on a free slot: a stale reference is a bug).
    pub fn get_mut(&mut self, slot: u32) -> &mut Job {
        self.slots[slot as usize].as_mut().expect("live job slot")
    }

    /// Every slot, free ones included (the speed model rates tenants by slot).
    pub fn slots_mut(&mut self) -> &mut [Option<Job>] {
        &mut self.slots
    }

    /// Slots ever used (live or free).
    pub fn slot_count(&self) -> u32 {
        self.slots.len() as u32
    }

    /// Is `slot` a live job in `phase` whose attempt stamp is `stamp`?
    pub fn current(&self, slot: u32, stamp: u64, phase: Phase) -> bool {
        self.get(slot)
            .is_some_and(|j| j.attempt_gen == stamp && j.phase == phase)
    }

    /// Does `slot` hold a job that holds devices now?
    pub fn is_placed(&self, slot: u32) -> bool {
        self.get(slot).is_some_and(Job::is_placed)
    }

    /// Live jobs' slots in job-id order (deterministic, whatever the slot reuse).
    pub fn live_by_id(&self) -> Vec<u32> {
        let mut live: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(s, j)| j.as_ref().map(|j| (j.id, s as u32)))
            .collect();
        live.sort_unstable();
        live.into_iter().map(|(_, s)| s).collect()
    }
}
