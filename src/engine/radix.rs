//! A monotone priority queue (radix heap) over (time, sequence) keys.
//!
//! A discrete-event simulation never schedules before the event it has just popped, so the
//! queue only has to serve keys at or above the last one popped. A radix heap uses that: an
//! entry sits in the bucket numbered by the highest bit in which its key differs from the last
//! popped key (bucket 0: the same key). A pop takes the lowest non-empty bucket, finds its
//! smallest key, makes that the last key and moves the bucket's other entries down into lower
//! buckets. Each entry only ever moves down, at most once per bucket, so a push costs O(1) and
//! a pop O(bits) amortised, with sequential memory access instead of a binary heap's
//! log2(n) scattered swaps.
//!
//! Keys are unique (the sequence number only increases), so the order of pops is exactly the
//! order of the keys, as with any correct priority queue.

/// Buckets: 0 (equal key), then 1..=64 for keys that differ from the last one only in the
/// sequence (by the position of the highest differing bit), then 65..=128 for keys whose
/// times differ.
const BUCKETS: usize = 129;

/// Key: (time, sequence), compared lexicographically.
pub type Key = (u64, u64);

#[derive(Debug)]
pub struct RadixHeap<T> {
    last: Key,
    len: usize,
    buckets: Vec<Vec<(Key, T)>>,
    /// Bit `i - 1` is set when bucket `i` (1..=128) holds an entry.
    nonempty: u128,
}

impl<T> Default for RadixHeap<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of `key` relative to `last` (`key >= last`).
fn bucket_of(key: Key, last: Key) -> usize {
    if key.0 != last.0 {
        128 - (key.0 ^ last.0).leading_zeros() as usize
    } else {
        64 - (key.1 ^ last.1).leading_zeros() as usize
    }
}

impl<T> RadixHeap<T> {
    pub fn new() -> Self {
        RadixHeap {
            last: (0, 0),
            len: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            nonempty: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key popped last ((0, 0) before the first pop): no smaller key may be pushed.
    pub fn last(&self) -> Key {
        self.last
    }

    fn put(&mut self, key: Key, value: T) {
        let b = bucket_of(key, self.last);
        if b > 0 {
            self.nonempty |= 1 << (b - 1);
        }
        self.buckets[b].push((key, value));
    }

    /// Adds `value` under `key`, which must not be below the last key popped.
    pub fn push(&mut self, key: Key, value: T) {
        assert!(
            key >= self.last,
            "radix heap: key below the last one popped"
        );
        self.put(key, value);
        self.len += 1;
    }

    /// The smallest key, without removing it.
    pub fn peek_key(&self) -> Option<Key> {
        if let Some(&(k, _)) = self.buckets[0].last() {
            return Some(k);
        }
        let b = self.lowest()?;
        self.buckets[b].iter().map(|(k, _)| *k).min()
    }

    /// The lowest non-empty bucket above 0.
    fn lowest(&self) -> Option<usize> {
        (self.nonempty != 0).then(|| self.nonempty.trailing_zeros() as usize + 1)
    }

    /// Removes the entry with the smallest key.
    pub fn pop(&mut self) -> Option<(Key, T)> {
        if self.buckets[0].is_empty() {
            let b = self.lowest()?;
            let mut moved = std::mem::take(&mut self.buckets[b]);
            self.nonempty &= !(1 << (b - 1));
            self.last = moved
                .iter()
                .map(|(k, _)| *k)
                .min()
                .expect("non-empty bucket");
            for (k, v) in moved.drain(..) {
                self.put(k, v);
            }
            // Keep the bucket's allocation for later.
            self.buckets[b] = moved;
        }
        let e = self.buckets[0].pop()?;
        self.len -= 1;
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn pops_in_key_order_across_bucket_boundaries() {
        let mut h = RadixHeap::new();
        // Hand-picked keys: equal times with far-apart sequences, times differing only in
        // the lowest bit, and the largest time.
        let keys = [
            (5, 9),
            (5, 1 << 40),
            (4, 3),
            (u64::MAX, 0),
            (5, 8),
            (0, 1),
            (1, 0),
        ];
        for (i, &k) in keys.iter().enumerate() {
            h.push(k, i);
        }
        assert_eq!(h.peek_key(), Some((0, 1)));
        let got: Vec<Key> = std::iter::from_fn(|| h.pop().map(|(k, _)| k)).collect();
        assert_eq!(
            got,
            vec![
                (0, 1),
                (1, 0),
                (4, 3),
                (5, 8),
                (5, 9),
                (5, 1 << 40),
                (u64::MAX, 0)
            ]
        );
        assert!(h.is_empty());
    }

    #[test]
    #[should_panic(expected = "below the last one popped")]
    fn refuses_a_key_in_the_past() {
        let mut h = RadixHeap::new();
        h.push((10, 0), ());
        h.pop();
        h.push((9, 1), ());
    }

    proptest! {
        /// Interleaved pushes (never below the last pop) and pops give the same sequence as an
        /// ordered set of the keys, and `peek_key` agrees with it at every step.
        #[test]
        fn agrees_with_an_ordered_set(
            ops in prop::collection::vec((any::<bool>(), 0u64..50, 0u64..4), 0..300),
        ) {
            let mut h = RadixHeap::new();
            let mut set = BTreeSet::new();
            let mut seq = 0u64;
            for (pop, dt, spread) in ops {
                if pop {
                    prop_assert_eq!(h.pop().map(|(k, v)| {
                        assert_eq!(k, v);
                        k
                    }), set.pop_first());
                } else {
                    // Some keys share a time, some are far ahead (bits high up).
                    let t = h.last().0 + dt * [1, 7, 1 << 20, 1 << 45][spread as usize];
                    seq += 1;
                    h.push((t, seq), (t, seq));
                    set.insert((t, seq));
                }
                prop_assert_eq!(h.peek_key(), set.first().copied());
                prop_assert_eq!(h.len(), set.len());
            }
        }
    }
}
