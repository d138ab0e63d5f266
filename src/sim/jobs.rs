//! The job table: one slot per job in the system, reused once the job has left.

use super::job::{Job, Phase};

/// Slots per chunk of the table (a chunk of 640-byte records is 640 KiB).
const CHUNK: usize = 1024;

/// Live jobs by slot. Events and cluster tenants name jobs by slot, so a slot is freed only
/// when its job has left for good (stamps tell a reused slot's stale events apart).
#[derive(Default)]
pub(super) struct JobTable {
    /// Slot `s` is `chunks[s / CHUNK][s % CHUNK]`; every chunk but the last is full. A chunk
    /// is allocated at its final capacity, so a record never moves once written. One growing
    /// `Vec` would copy every record at each doubling, and for a 64-byte-aligned record the
    /// system allocator does not `realloc` in place (it does so only up to 16-byte alignment):
    /// the old and new vectors were live at once, which took `bench-overload`'s peak memory
    /// (450,000 pending jobs) from 432 to 728 MB.
    chunks: Vec<Vec<Option<Job>>>,
    free: Vec<u32>,
    /// One bit per slot, set when its job is placed ([`JobTable::mark_placed`]) and cleared
    /// when a walk of [`JobTable::placed_slots`] finds it no longer placed: a superset of the
    /// placed jobs' slots, so a report sample visits the placed jobs, not every slot.
    maybe_placed: Vec<u64>,
}

impl JobTable {
    /// Puts a new job in a free slot (or a new one); returns the slot.
    pub fn insert(&mut self, job: Job) -> u32 {
        match self.free.pop() {
            Some(s) => {
                *self.slot_mut(s) = Some(job);
                s
            }
            None => {
                let slot = self.slot_count();
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                self.chunks
                    .last_mut()
                    .expect("a chunk with room")
                    .push(Some(job));
                slot
            }
        }
    }

    /// `slot`'s chunk and its place in the chunk.
    fn split(slot: u32) -> (usize, usize) {
        let s = slot as usize;
        (s / CHUNK, s % CHUNK)
    }

    fn slot_mut(&mut self, slot: u32) -> &mut Option<Job> {
        let (c, i) = Self::split(slot);
        &mut self.chunks[c][i]
    }

    /// The job has left: its slot can be reused.
    pub fn remove(&mut self, slot: u32) {
        *self.slot_mut(slot) = None;
        self.free.push(slot);
        if let Some(w) = self.maybe_placed.get_mut(slot as usize / 64) {
            *w &= !(1u64 << (slot % 64));
        }
    }

    /// `slot`'s job was just placed (its phase became `Running`): the one hook that keeps
    /// [`JobTable::placed_slots`] complete. A job is placed only through `Running`
    /// (`Terminating` follows it), so every placed job's bit is set.
    pub fn mark_placed(&mut self, slot: u32) {
        let word = slot as usize / 64;
        if self.maybe_placed.len() <= word {
            self.maybe_placed.resize(word + 1, 0);
        }
        self.maybe_placed[word] |= 1u64 << (slot % 64);
    }

    /// Is every placed job's slot marked (what [`JobTable::placed_slots`] relies on)? For the
    /// invariant checks: a new way into `Running` that bypasses `mark_placed` fails here.
    pub fn placed_all_marked(&self) -> bool {
        (0..self.slot_count())
            .filter(|&s| self.is_placed(s))
            .all(|s| {
                let w = self.maybe_placed.get(s as usize / 64).copied().unwrap_or(0);
                w & (1u64 << (s % 64)) != 0
            })
    }

    /// Puts the slots of the jobs that hold devices now into `out`, in slot order: the same
    /// slots, in the same order, as testing every slot with [`JobTable::is_placed`]. Slots
    /// whose job is no longer placed are forgotten on the way.
    pub fn placed_slots(&mut self, out: &mut Vec<u32>) {
        out.clear();
        for w in 0..self.maybe_placed.len() {
            let mut bits = self.maybe_placed[w];
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                let slot = (w * 64) as u32 + b;
                if self.is_placed(slot) {
                    out.push(slot);
                } else {
                    self.maybe_placed[w] &= !(1u64 << b);
                }
            }
        }
    }

    pub fn get(&self, slot: u32) -> Option<&Job> {
        let (c, i) = Self::split(slot);
        self.chunks
            .get(c)
            .and_then(|c| c.get(i))
            .and_then(Option::as_ref)
    }

    /// The live job in `slot` (panics on a free slot: a stale reference is a bug).
    pub fn get_mut(&mut self, slot: u32) -> &mut Job {
        self.slot_mut(slot).as_mut().expect("live job slot")
    }

    /// Slots ever used (live or free).
    pub fn slot_count(&self) -> u32 {
        let full = self.chunks.len().saturating_sub(1) * CHUNK;
        (full + self.chunks.last().map_or(0, Vec::len)) as u32
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
            .chunks
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(s, j)| j.as_ref().map(|j| (j.id, s as u32)))
            .collect();
        live.sort_unstable();
        live.into_iter().map(|(_, s)| s).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::job::testing::batch_job;
    use proptest::prelude::*;

    /// What the table may be asked to do: add a job, remove the live job at an index, or move
    /// the live job at an index to a phase (marking it placed when it becomes `Running`, as
    /// `place.rs` does).
    #[derive(Clone, Debug)]
    enum Op {
        Insert,
        Remove(usize),
        Phase(usize, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Insert),
            1 => any::<usize>().prop_map(Op::Remove),
            4 => (any::<usize>(), 0u8..5).prop_map(|(i, p)| Op::Phase(i, p)),
        ]
    }

    /// Every slot tested one by one: what `placed_slots` replaces.
    fn scanned(t: &JobTable) -> Vec<u32> {
        (0..t.slot_count()).filter(|&s| t.is_placed(s)).collect()
    }

    proptest! {
        /// After any sequence of inserts, removals (slots reused) and phase changes, with a
        /// walk now and then, the placed slots are exactly those a scan of every slot finds,
        /// in the same order.
        #[test]
        fn placed_slots_agree_with_a_scan_of_every_slot(
            ops in proptest::collection::vec((op(), any::<bool>()), 0..200)
        ) {
            let mut t = JobTable::default();
            let mut out = Vec::new();
            for (op, walk) in ops {
                let live: Vec<u32> = (0..t.slot_count()).filter(|&s| t.get(s).is_some()).collect();
                match op {
                    Op::Insert => {
                        t.insert(batch_job(1, 1_000));
                    }
                    Op::Remove(i) if !live.is_empty() => t.remove(live[i % live.len()]),
                    Op::Phase(i, p) if !live.is_empty() => {
                        let slot = live[i % live.len()];
                        let job = t.get_mut(slot);
                        // Terminating only follows Running, as in the simulation.
                        let next = match p {
                            0 => Phase::Admission,
                            1 => Phase::Pending,
                            2 => Phase::Running,
                            3 if job.phase == Phase::Running => Phase::Terminating,
                            _ => Phase::Backoff,
                        };
                        job.phase = next;
                        if next == Phase::Running {
                            t.mark_placed(slot);
                        }
                    }
                    _ => {}
                }
                if walk {
                    t.placed_slots(&mut out);
                    prop_assert_eq!(&out, &scanned(&t));
                }
            }
            prop_assert!(t.placed_all_marked());
            t.placed_slots(&mut out);
            prop_assert_eq!(&out, &scanned(&t));
        }
    }

    #[test]
    fn a_reused_slot_is_not_placed_until_its_new_job_is() {
        // Slot 0 placed, its job leaves, a new job (not yet admitted) takes slot 0: nothing is
        // placed; once it runs, slot 0 is.
        let mut t = JobTable::default();
        let mut out = Vec::new();
        let s = t.insert(batch_job(1, 1_000));
        t.get_mut(s).phase = Phase::Running;
        t.mark_placed(s);
        t.remove(s);
        assert_eq!(t.insert(batch_job(1, 1_000)), s);
        t.placed_slots(&mut out);
        assert!(out.is_empty());
        t.get_mut(s).phase = Phase::Running;
        t.mark_placed(s);
        t.placed_slots(&mut out);
        assert_eq!(out, [s]);
    }

    /// Across chunk boundaries: new slots are 0, 1, 2, ... in order, each holds the job put
    /// there, a freed slot is reused before a new one, and a record never moves when the
    /// table grows (the point of the chunks: a growing vector would copy it).
    #[test]
    fn slots_span_chunks_and_records_stay_put() {
        let mut t = JobTable::default();
        let n = 2 * CHUNK as u64 + 5;
        for id in 0..n {
            let mut job = batch_job(1, 1_000);
            job.id = id;
            assert_eq!(u64::from(t.insert(job)), id);
        }
        assert_eq!(u64::from(t.slot_count()), n);
        let at = |t: &JobTable, s: u32| std::ptr::from_ref(t.get(s).expect("live"));
        let before = at(&t, 7);
        t.remove(CHUNK as u32);
        assert!(t.get(CHUNK as u32).is_none());
        assert!(t.get(n as u32).is_none(), "past the last slot");
        assert_eq!(t.insert(batch_job(1, 1_000)), CHUNK as u32);
        for _ in 0..3 * CHUNK {
            t.insert(batch_job(1, 1_000));
        }
        assert_eq!(at(&t, 7), before);
        assert_eq!(t.get(7).expect("live").id, 7);
        assert_eq!(t.get(2 * CHUNK as u32 + 4).expect("live").id, n - 1);
        assert_eq!(u64::from(t.slot_count()), n + 3 * CHUNK as u64);
    }
}
