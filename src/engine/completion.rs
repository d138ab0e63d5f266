//! One job's completion event, rescheduled whenever the job's speed changes, without an entry
//! per change.
//!
//! The plain way to move an event is to queue a new entry under a new generation and let the
//! old one pop and be discarded (lazy deletion). Under time-slicing a job's speed changes every
//! time a co-tenant arrives or leaves, so most entries popped are such stale completions. Here
//! a completion that moves LATER queues nothing: the entry already queued pops first, finds
//! the completion moved, and goes back in under the key the plain way would have given the new
//! entry (reserved when the move happened, `EventQueue::reserve`). A completion that moves
//! EARLIER is queued at once, as before. Every entry therefore pops at the same key as in the
//! plain way, so events are handled in the same order; the plain way's stale entries that are
//! never queued here are counted as popped (`EventQueue::count_unqueued`) if they would have
//! popped before the run's end, so the event count means what it did.

use super::queue::EventQueue;
use super::radix::Key;
use crate::units::SimTime;

/// What is queued for one job's completion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// Generation and key of the entry queued last for it.
    queued: Option<(u64, Key)>,
    /// The completion's key, when it moved later than that entry's: not queued yet.
    later: Option<Key>,
}

impl Completion {
    /// The completion is now due at `time` under the new generation `stamp` (the plain way:
    /// the job's generation becomes `stamp` and an entry `event(stamp)` is queued at `time`).
    /// `current` is the job's generation before the move. Returns the job's generation from
    /// now on: `stamp` if an entry was queued, else that of the entry already queued, which
    /// will carry the completion. `end`: the run stops at the first event at or after it.
    pub fn reschedule<E>(
        &mut self,
        q: &mut EventQueue<E>,
        current: u64,
        stamp: u64,
        time: SimTime,
        end: SimTime,
        event: impl FnOnce(u64) -> E,
    ) -> u64 {
        let key = q.reserve(time);
        match self.queued {
            // The queued entry is the job's and pops no later: it will carry the completion.
            Some((g, at)) if g == current && at <= key => {
                if let Some(old) = self.later.replace(key) {
                    count_stale(q, old, end);
                }
                g
            }
            _ => {
                if let Some(old) = self.later.take() {
                    count_stale(q, old, end);
                }
                q.schedule_reserved(key, event(stamp));
                self.queued = Some((stamp, key));
                stamp
            }
        }
    }

    /// The completion will not happen as scheduled (the job stopped or its speed fell to
    /// zero): a move not queued yet is counted as the stale entry it would have been.
    pub fn cancel<E>(&mut self, q: &mut EventQueue<E>, end: SimTime) {
        if let Some(old) = self.later.take() {
            count_stale(q, old, end);
        }
        self.queued = None;
    }

    /// The entry of the job's current generation `stamp` popped. Returns true if the job
    /// completes now; false if its completion had moved later: the entry is queued again
    /// under the moved key (same generation).
    pub fn popped<E>(
        &mut self,
        q: &mut EventQueue<E>,
        stamp: u64,
        event: impl FnOnce(u64) -> E,
    ) -> bool {
        match self.later.take() {
            Some(key) => {
                q.schedule_reserved(key, event(stamp));
                self.queued = Some((stamp, key));
                false
            }
            None => {
                self.queued = None;
                true
            }
        }
    }
}

/// A plain-way entry that is never queued: it would have popped (and been discarded) if it
/// was due before the end.
fn count_stale<E>(q: &mut EventQueue<E>, (time, _): Key, end: SimTime) {
    if time < end {
        q.count_unqueued();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Ev {
        End,
        Other(u32),
        Finish { job: usize, g: u64 },
    }

    /// Jobs of a run under the plain way (`completion: None`) or with [`Completion`].
    struct Model {
        q: EventQueue<Ev>,
        stamps: Vec<u64>,
        running: Vec<bool>,
        completion: Option<Vec<Completion>>,
        stamp: u64,
        end: SimTime,
    }

    impl Model {
        fn new(jobs: usize, deferred: bool, end: SimTime) -> Self {
            let mut q = EventQueue::new();
            q.schedule(end, Ev::End);
            Model {
                q,
                stamps: vec![0; jobs],
                running: vec![false; jobs],
                completion: deferred.then(|| vec![Completion::default(); jobs]),
                stamp: 0,
                end,
            }
        }

        fn reschedule(&mut self, job: usize, time: SimTime) {
            self.stamp += 1;
            let stamp = self.stamp;
            match &mut self.completion {
                None => {
                    self.stamps[job] = stamp;
                    self.q.schedule(time, Ev::Finish { job, g: stamp });
                }
                Some(c) => {
                    let f = |g| Ev::Finish { job, g };
                    self.stamps[job] =
                        c[job].reschedule(&mut self.q, self.stamps[job], stamp, time, self.end, f);
                }
            }
        }

        /// Speed zero: a new generation, nothing queued.
        fn stall(&mut self, job: usize) {
            self.stamp += 1;
            self.stamps[job] = self.stamp;
            if let Some(c) = &mut self.completion {
                c[job].cancel(&mut self.q, self.end);
            }
        }

        fn stop(&mut self, job: usize) {
            self.running[job] = false;
            if let Some(c) = &mut self.completion {
                c[job].cancel(&mut self.q, self.end);
            }
        }

        /// Pops to the next event that matters: (time, event), stale entries discarded.
        fn next(&mut self) -> (SimTime, Ev) {
            loop {
                let (t, ev) = self.q.pop().expect("End is queued");
                match ev {
                    Ev::Finish { job, g } if self.running[job] && self.stamps[job] == g => {
                        let done = match &mut self.completion {
                            None => true,
                            Some(c) => c[job].popped(&mut self.q, g, |g| Ev::Finish { job, g }),
                        };
                        if done {
                            self.running[job] = false;
                            return (t, Ev::Finish { job, g: 0 });
                        }
                    }
                    Ev::Finish { .. } => {}
                    ev => return (t, ev),
                }
            }
        }
    }

    proptest! {
        /// Random starts, speed changes (completion earlier, later or at the same instant),
        /// stalls, stops and other events: the same completions at the same instants in the
        /// same order, the same other events, and the same count of popped events, as queueing
        /// an entry for every move.
        #[test]
        fn agrees_with_queueing_every_move(
            ops in prop::collection::vec((0u8..6, 0usize..4, 0u64..40), 0..200),
            end in 20u64..400,
        ) {
            let mut plain = Model::new(4, false, end);
            let mut deferred = Model::new(4, true, end);
            let mut ended = false;
            for (op, job, dt) in ops {
                if ended {
                    break;
                }
                let now = plain.q.now();
                prop_assert_eq!(now, deferred.q.now());
                for m in [&mut plain, &mut deferred] {
                    match op {
                        0 | 1 if m.running[job] => m.reschedule(job, now + dt),
                        0 | 1 => {
                            m.running[job] = true;
                            m.reschedule(job, now + dt);
                        }
                        2 if m.running[job] => m.stall(job),
                        3 if m.running[job] => m.stop(job),
                        4 => m.q.schedule(now + dt, Ev::Other(dt as u32)),
                        _ => {}
                    }
                }
                if op >= 4 {
                    let (a, b) = (plain.next(), deferred.next());
                    prop_assert_eq!(a, b);
                    ended = a.1 == Ev::End;
                }
            }
            while !ended {
                let (a, b) = (plain.next(), deferred.next());
                prop_assert_eq!(a, b);
                ended = a.1 == Ev::End;
            }
            prop_assert_eq!(plain.q.popped(), deferred.q.popped());
        }
    }
}
