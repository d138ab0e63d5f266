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

    /// The job queued in `shape` right after `after` (or its head when `after` is None).
    pub fn next_in_shape(&self, shape: u32, after: Option<QueueKey>) -> Option<QueueKey> {
        let q = self.shapes.get(shape as usize)?;
        match after {
            None => q.first().copied(),
            Some(k) => q
                .range((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded))
                .next()
                .copied(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
