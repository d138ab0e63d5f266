//! Pending jobs, grouped by request shape, without head-of-line blocking.
//!
//! Jobs with the same shape (class, request, memory) fit exactly the same places, so only the
//! head of each shape's queue needs trying: when it does not fit, the shape is *blocked* and its
//! other jobs are not looked at until capacity in one of its pools frees up. Jobs of other shapes
//! are never held back by a blocked shape. Dirty shapes are served highest-priority head first,
//! which is the order kube-scheduler's active queue would try them in.

use crate::units::SimTime;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::ops::Bound::{Excluded, Unbounded};

/// Queue order: higher priority first, then earlier submit, then lower job id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    pub priority: Reverse<i32>,
    pub submit: SimTime,
    pub id: u64,
    /// The job's slot in the simulator's job table.
    pub slot: u32,
}

impl QueueKey {
    pub fn new(priority: i32, submit: SimTime, id: u64, slot: u32) -> Self {
        QueueKey {
            priority: Reverse(priority),
            submit,
            id,
            slot,
        }
    }
}

#[derive(Default)]
pub struct PendingQueues {
    shapes: Vec<BTreeSet<QueueKey>>,
    dirty: Vec<bool>,
    /// Heads of dirty shapes; entries go stale when a head changes and are skipped.
    heap: BinaryHeap<Reverse<(QueueKey, u32)>>,
    len: usize,
    /// Per shape: a prefix of its queue known to be *held* (see [`Self::next_unheld`]): every
    /// job queued up to and including the key is held until at least the time.
    held: Vec<Option<(QueueKey, SimTime)>>,
}

impl PendingQueues {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn ensure(&mut self, shape: u32) {
        let need = shape as usize + 1;
        if self.shapes.len() < need {
            self.shapes.resize_with(need, BTreeSet::new);
            self.dirty.resize(need, false);
            self.held.resize(need, None);
        }
    }

    fn head(&self, shape: u32) -> Option<QueueKey> {
        self.shapes[shape as usize].first().copied()
    }

    /// Adds a job. A job joining a blocked shape behind its head is not tried: it could not fit
    /// where the head did not.
    pub fn push(&mut self, shape: u32, key: QueueKey) {
        self.ensure(shape);
        let was_empty = self.shapes[shape as usize].is_empty();
        self.shapes[shape as usize].insert(key);
        // A job queued into the held prefix is not known to be held.
        if self.held[shape as usize].is_some_and(|(last, _)| key <= last) {
            self.held[shape as usize] = None;
        }
        self.len += 1;
        if was_empty {
            self.mark_dirty(shape);
        } else if self.dirty[shape as usize] && self.head(shape) == Some(key) {
            self.heap.push(Reverse((key, shape)));
        }
    }

    /// Capacity that this shape can use has changed: try its head again.
    pub fn mark_dirty(&mut self, shape: u32) {
        self.ensure(shape);
        if self.dirty[shape as usize] {
            return;
        }
        if let Some(head) = self.head(shape) {
            self.dirty[shape as usize] = true;
            self.heap.push(Reverse((head, shape)));
        }
    }

    /// The highest-priority head among dirty shapes, without removing it.
    pub fn next_dirty(&mut self) -> Option<(u32, QueueKey)> {
        while let Some(&Reverse((key, shape))) = self.heap.peek() {
            if self.dirty[shape as usize] && self.head(shape) == Some(key) {
                return Some((shape, key));
            }
            self.heap.pop();
        }
        None
    }

    /// The head of `shape` was placed: remove it; the next head (if any) stays dirty.
    pub fn pop_head(&mut self, shape: u32) -> Option<QueueKey> {
        let key = self.shapes[shape as usize].pop_first()?;
        self.len -= 1;
        match self.head(shape) {
            Some(next) if self.dirty[shape as usize] => self.heap.push(Reverse((next, shape))),
            None => self.dirty[shape as usize] = false,
            _ => {}
        }
        Some(key)
    }

    /// The head of `shape` does not fit: stop trying this shape until `mark_dirty`.
    pub fn block(&mut self, shape: u32) {
        self.dirty[shape as usize] = false;
    }

    /// Removes a specific job (e.g. given up); returns whether it was queued.
    pub fn remove(&mut self, shape: u32, key: QueueKey) -> bool {
        self.ensure(shape);
        let was_head = self.head(shape) == Some(key);
        if !self.shapes[shape as usize].remove(&key) {
            return false;
        }
        self.len -= 1;
        if was_head && self.dirty[shape as usize] {
            match self.head(shape) {
                Some(next) => self.heap.push(Reverse((next, shape))),
                None => self.dirty[shape as usize] = false,
            }
        }
        true
    }

    /// Is `shape` waiting for capacity (its head did not fit and nothing changed since)?
    pub fn is_blocked(&self, shape: u32) -> bool {
        self.shape_len(shape) > 0 && !self.dirty[shape as usize]
    }

    /// The first job queued in `shape` after `after` (from its head when None) that is not
    /// held at `now`, as a walk asking `held_until` of each job in turn finds it.
    /// `held_until(key)`: the time until which the job is held, if it is held at `now`; that
    /// time must not move while the job is held and queued (a preemptor waiting for its
    /// victims: it may not preempt again meanwhile).
    ///
    /// Held jobs gather at the head of a shape's queue (its jobs preempt in queue order), and
    /// walks repeat; so the walk remembers the held prefix it passed and the earliest time one
    /// of them stops being held, and the next walk starts after it while that time has not
    /// come and no job was queued into it.
    pub fn next_unheld(
        &mut self,
        shape: u32,
        after: Option<QueueKey>,
        now: SimTime,
        mut held_until: impl FnMut(&QueueKey) -> Option<SimTime>,
    ) -> Option<QueueKey> {
        self.ensure(shape);
        let s = shape as usize;
        let q = &self.shapes[s];
        let prefix = self.held[s].filter(|&(_, until)| until > now);
        // Where the walk starts, and the held prefix it extends if it starts at the prefix's
        // end (Some(None): the empty prefix at the head).
        let (from, mut ext) = match (prefix, after) {
            (Some((last, until)), None) => (Some(last), Some(Some((last, until)))),
            (Some((last, until)), Some(a)) if a <= last => (Some(last), Some(Some((last, until)))),
            (Some((last, until)), Some(a)) => {
                // `a` right after the prefix and held itself: the prefix goes on through it.
                let next = q.range((Excluded(last), Unbounded)).next().copied();
                match (next == Some(a)).then(|| held_until(&a)).flatten() {
                    Some(u) => (Some(a), Some(Some((a, until.min(u))))),
                    None => (Some(a), None),
                }
            }
            (None, None) => (None, Some(None)),
            (None, Some(a)) => (Some(a), None),
        };
        // From the head, a plain iterator: a range searches for both of its ends.
        let found = match from {
            Some(k) => first_unheld(q.range((Excluded(k), Unbounded)), held_until, &mut ext),
            None => first_unheld(q.iter(), held_until, &mut ext),
        };
        if let Some(Some(prefix)) = ext {
            self.held[s] = Some(prefix);
        }
        found
    }

    /// Jobs waiting in `shape`.
    pub fn shape_len(&self, shape: u32) -> usize {
        self.shapes.get(shape as usize).map_or(0, |s| s.len())
    }

    /// All queued jobs (any order of shapes, each shape in queue order).
    pub fn iter(&self) -> impl Iterator<Item = (u32, QueueKey)> + '_ {
        self.shapes
            .iter()
            .enumerate()
            .flat_map(|(s, q)| q.iter().map(move |k| (s as u32, *k)))
    }
}

/// The first of `walk` that `held_until` says is not held; the held ones passed extend `ext`
/// (if it is Some), the prefix and the earliest time one of it stops being held.
fn first_unheld<'a>(
    walk: impl Iterator<Item = &'a QueueKey>,
    mut held_until: impl FnMut(&QueueKey) -> Option<SimTime>,
    ext: &mut Option<Option<(QueueKey, SimTime)>>,
) -> Option<QueueKey> {
    for k in walk {
        match held_until(k) {
            Some(u) => {
                if let Some(e) = ext {
                    *e = Some((*k, e.map_or(u, |(_, until)| until.min(u))));
                }
            }
            None => return Some(*k),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a walk that asks every job from `after` on (what the simulation did
        /// before): any pushes, removals, holds (as a preemptor is held: from when it is
        /// tried until a time that does not move while it is held) and walks from any key,
        /// at times that only go forward, find the same job.
        #[test]
        fn next_unheld_finds_what_a_full_walk_finds(
            ops in prop::collection::vec((0u8..5, 0u64..12, 0u64..4, 1u64..6), 1..150),
        ) {
            let mut q = PendingQueues::default();
            let mut queued: BTreeSet<QueueKey> = BTreeSet::new();
            // Per job id: held until (0: never held).
            let mut until = [0u64; 12];
            let mut now = 0;
            let key = |id: u64| QueueKey::new((id % 3) as i32, id / 2, id, id as u32);
            for (op, id, step, hold) in ops {
                now += step;
                let k = key(id);
                match op {
                    0 | 1 if !queued.contains(&k) => {
                        q.push(0, k);
                        queued.insert(k);
                    }
                    2 if queued.contains(&k) => {
                        prop_assert!(q.remove(0, k));
                        queued.remove(&k);
                    }
                    _ => {
                        // A walk from the head or from a queued job, then the job found is
                        // held (it preempted) now and then.
                        let after = (op == 4).then_some(k).filter(|k| queued.contains(k));
                        let held = |k: &QueueKey| {
                            let u = until[k.id as usize];
                            (u > now).then_some(u)
                        };
                        let want = (queued.iter())
                            .filter(|k| after.is_none_or(|a| **k > a))
                            .find(|k| held(k).is_none())
                            .copied();
                        let got = q.next_unheld(0, after, now, held);
                        prop_assert_eq!(got, want);
                        if let Some(f) = got.filter(|_| hold % 2 == 0) {
                            until[f.id as usize] = now + hold;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn serves_dirty_heads_by_priority_and_skips_blocked_shapes() {
        let mut q = PendingQueues::default();
        q.push(0, QueueKey::new(100, 5, 1, 1));
        q.push(1, QueueKey::new(500, 9, 2, 2));
        q.push(0, QueueKey::new(100, 7, 3, 3));
        // Shape 1's head has the higher priority, though it arrived later.
        assert_eq!(q.next_dirty().map(|(s, k)| (s, k.id)), Some((1, 2)));
        q.block(1);
        assert_eq!(q.next_dirty().map(|(s, k)| (s, k.id)), Some((0, 1)));
        q.pop_head(0);
        assert_eq!(q.next_dirty().map(|(s, k)| (s, k.id)), Some((0, 3)));
        q.block(0);
        assert_eq!(q.next_dirty(), None);
        // A job joining a blocked shape is not tried...
        q.push(1, QueueKey::new(500, 10, 4, 4));
        assert_eq!(q.next_dirty(), None);
        // ...until capacity for that shape changes.
        q.mark_dirty(1);
        assert_eq!(q.next_dirty().map(|(s, k)| (s, k.id)), Some((1, 2)));
        assert_eq!(q.len(), 3);
        assert!(q.remove(1, QueueKey::new(500, 9, 2, 2)));
        assert_eq!(q.next_dirty().map(|(s, k)| (s, k.id)), Some((1, 4)));
    }
}
