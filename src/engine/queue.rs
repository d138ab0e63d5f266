//! A min-queue of events keyed by (time, sequence).
//!
//! The sequence number only increases, so events due at the same instant pop in the order they
//! were scheduled: the run is deterministic without relying on how the heap breaks ties.
//! Cancellation is lazy: the model stamps events with a generation and ignores stale ones when
//! they pop, which is far cheaper than removing them from the heap. Events are never scheduled
//! before `now`, so the queue is a monotone one (`radix::RadixHeap`).

use super::radix::{Key, RadixHeap};
use crate::units::SimTime;

/// Future events of type `E` and the current simulated time.
pub struct EventQueue<E> {
    heap: RadixHeap<E>,
    now: SimTime,
    next_seq: u64,
    popped: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: RadixHeap::new(),
            now: 0,
            next_seq: 0,
            popped: 0,
        }
    }

    /// The time of the event popped last (0 before the first pop).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`. Scheduling in the past is a model bug; it is clamped to
    /// `now` so that time never runs backwards.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push((time, seq), event);
    }

    /// The key the next [`schedule`](Self::schedule) at `time` would give its event, taken
    /// now without queueing anything: [`schedule_reserved`](Self::schedule_reserved) queues
    /// an event under it later, and it then pops exactly where it would have had it been
    /// scheduled now.
    pub fn reserve(&mut self, time: SimTime) -> Key {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let seq = self.next_seq;
        self.next_seq += 1;
        (time.max(self.now), seq)
    }

    /// Queues `event` under a key from [`reserve`](Self::reserve), which must not be below the
    /// key popped last.
    pub fn schedule_reserved(&mut self, key: Key, event: E) {
        self.heap.push(key, event);
    }

    /// Counts, as popped, an entry that was never queued: one the model would have popped and
    /// discarded as stale, so [`popped`](Self::popped) stays the number of entries the
    /// queue-everything scheme pops.
    pub fn count_unqueued(&mut self) {
        self.popped += 1;
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek_key().map(|(time, _)| time)
    }

    /// Removes the earliest event and advances `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let ((time, _), event) = self.heap.pop()?;
        self.now = time;
        self.popped += 1;
        Some((time, event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Number of events popped so far (stale ones included, and those counted by
    /// [`count_unqueued`](Self::count_unqueued)): the engine's work count.
    pub fn popped(&self) -> u64 {
        self.popped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_schedule_order() {
        let mut q = EventQueue::new();
        q.schedule(10, "c");
        q.schedule(5, "a");
        q.schedule(10, "d");
        q.schedule(5, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(5, "a"), (5, "b"), (10, "c"), (10, "d")]);
        assert_eq!(q.now(), 10);
        assert_eq!(q.popped(), 4);
    }

    #[test]
    fn now_follows_popped_events() {
        let mut q = EventQueue::new();
        q.schedule(3, 1u8);
        assert_eq!(q.peek_time(), Some(3));
        q.pop();
        q.schedule(3, 2u8); // same instant is allowed
        assert_eq!(q.pop(), Some((3, 2)));
        assert!(q.is_empty());
    }
}
