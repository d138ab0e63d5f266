//! The best node for a pod shape without scanning every node (issue 12).
//!
//! Every policy's node score is an integer, and the choice is the feasible node with the highest
//! score, ties going to the smallest rank (Random: the j-th feasible node in rank order). A pod's
//! feasibility and score depend only on its *shape* (CPU, memory, per-GPU milli, GPU count, type
//! constraint) and on the node's state, and a node's state changes only when a pod is placed on
//! it. So [`ShapeIndex`] keeps, per shape, each node's score in a bucket (a bitset over ranks per
//! score value 0..=100): the choice is the lowest set bit of the highest non-empty bucket, and a
//! placement moves one node between buckets of the shapes that ask again (the scheduler keeps a
//! log of changed nodes, and each shape's index replays the part it has not seen).

/// Scores the index holds: 0..=100 (every policy's range on nodes of at most 8 GPUs and 128
/// cores; the scheduler falls back to a full scan when a score falls outside).
pub const BUCKETS: usize = 101;

/// A node not (or no longer) feasible for the shape.
pub const NONE: u8 = u8::MAX;

/// Per shape: each node's score and the nodes of each score as a bitset in rank order.
#[derive(Clone, Debug)]
pub struct ShapeIndex {
    /// Position in the scheduler's change log up to which this index is current.
    pub seen: usize,
    /// Score per node (rank order), or [`NONE`].
    score: Vec<u8>,
    /// u64 words per bucket.
    words: usize,
    /// `BUCKETS` bitsets of `words` words each.
    bits: Vec<u64>,
    count: [u32; BUCKETS],
    /// Bit b set when bucket b is not empty.
    nonempty: u128,
}

impl ShapeIndex {
    /// An index over `nodes` nodes, all infeasible until set.
    pub fn new(nodes: usize) -> ShapeIndex {
        let words = nodes.div_ceil(64);
        ShapeIndex {
            seen: 0,
            score: vec![NONE; nodes],
            words,
            bits: vec![0; BUCKETS * words],
            count: [0; BUCKETS],
            nonempty: 0,
        }
    }

    /// The node's current score, or [`NONE`].
    #[inline]
    pub fn get(&self, node: usize) -> u8 {
        self.score[node]
    }

    /// Sets the node's score (`NONE`: infeasible). `score` must be below [`BUCKETS`] or `NONE`.
    #[inline]
    pub fn set(&mut self, node: usize, score: u8) {
        let old = self.score[node];
        if old == score {
            return;
        }
        let (w, bit) = (node / 64, 1u64 << (node % 64));
        if old != NONE {
            let b = old as usize;
            self.bits[b * self.words + w] &= !bit;
            self.count[b] -= 1;
            if self.count[b] == 0 {
                self.nonempty &= !(1u128 << b);
            }
        }
        if score != NONE {
            let b = score as usize;
            self.bits[b * self.words + w] |= bit;
            self.count[b] += 1;
            self.nonempty |= 1u128 << b;
        }
        self.score[node] = score;
    }

    /// The feasible node with the highest score, the smallest rank among equals.
    pub fn best(&self) -> Option<usize> {
        if self.nonempty == 0 {
            return None;
        }
        let b = 127 - self.nonempty.leading_zeros() as usize;
        let words = &self.bits[b * self.words..(b + 1) * self.words];
        words
            .iter()
            .position(|&x| x != 0)
            .map(|w| w * 64 + words[w].trailing_zeros() as usize)
    }

    /// Number of feasible nodes.
    pub fn feasible(&self) -> usize {
        self.count.iter().map(|&c| c as usize).sum()
    }

    /// The `j`-th feasible node (0-based) in rank order, whatever its score; None if there are
    /// not that many.
    pub fn nth_feasible(&self, mut j: usize) -> Option<usize> {
        for w in 0..self.words {
            let mut x = 0u64;
            let mut m = self.nonempty;
            while m != 0 {
                let b = m.trailing_zeros() as usize;
                m &= m - 1;
                x |= self.bits[b * self.words + w];
            }
            let c = x.count_ones() as usize;
            if j < c {
                for _ in 0..j {
                    x &= x - 1;
                }
                return Some(w * 64 + x.trailing_zeros() as usize);
            }
            j -= c;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn highest_bucket_then_smallest_rank() {
        let mut ix = ShapeIndex::new(130);
        assert_eq!(ix.best(), None);
        ix.set(100, 50);
        ix.set(7, 26);
        ix.set(129, 50);
        // Bucket 50 holds ranks 100 and 129: 100 wins.
        assert_eq!(ix.best(), Some(100));
        ix.set(100, NONE);
        assert_eq!(ix.best(), Some(129));
        ix.set(64, 50);
        assert_eq!(ix.best(), Some(64));
        ix.set(7, 100);
        assert_eq!(ix.best(), Some(7));
        // Feasible in rank order: 7, 64, 129.
        assert_eq!(ix.feasible(), 3);
        assert_eq!(ix.nth_feasible(0), Some(7));
        assert_eq!(ix.nth_feasible(1), Some(64));
        assert_eq!(ix.nth_feasible(2), Some(129));
        assert_eq!(ix.nth_feasible(3), None);
    }

    proptest! {
        /// After any sequence of updates the index agrees with a scan of the score array.
        #[test]
        fn agrees_with_a_scan(
            n in 1usize..200,
            ops in prop::collection::vec((0usize..200, prop_oneof![0u8..=100, Just(NONE)]), 0..300),
            j in 0usize..200,
        ) {
            let mut ix = ShapeIndex::new(n);
            let mut plain = vec![NONE; n];
            for (node, s) in ops {
                let node = node % n;
                ix.set(node, s);
                plain[node] = s;
            }
            let mut want: Option<(u8, usize)> = None;
            for (i, &s) in plain.iter().enumerate() {
                if s != NONE && want.is_none_or(|(b, _)| s > b) {
                    want = Some((s, i));
                }
            }
            prop_assert_eq!(ix.best(), want.map(|(_, i)| i));
            let feasible: Vec<usize> = (0..n).filter(|&i| plain[i] != NONE).collect();
            prop_assert_eq!(ix.feasible(), feasible.len());
            prop_assert_eq!(ix.nth_feasible(j), feasible.get(j).copied());
            for (i, &s) in plain.iter().enumerate() {
                prop_assert_eq!(ix.get(i), s);
            }
        }
    }
}
