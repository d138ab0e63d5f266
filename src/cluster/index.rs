//! Free-capacity index of one pool for one kind of device unit.
//!
//! Placement must not scan every node. Nodes are found by number (first-fit, spread ties, FGD)
//! through a max-tree over the nodes' free counts: the next node at or after a given one with at
//! least `need` free units is found in O(log n), and a change of one node's count costs
//! O(log n) with no allocation. Nodes by (free units, node) (best-fit, spread) are an ordered
//! set, built on the first such query and kept up to date from then on, so a run whose policy
//! never asks does not pay for it.

use std::cell::OnceCell;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default)]
pub struct FreeIndex {
    free: Vec<u32>,
    /// Implicit binary tree over the nodes (leaves at `leaves..`): each entry is the largest
    /// free count below it.
    max: Vec<u32>,
    leaves: usize,
    by_free: OnceCell<BTreeSet<(u32, u32)>>,
}

impl FreeIndex {
    /// `nodes` nodes (numbered 0.. within the pool), each starting with `free` units.
    pub fn new(nodes: u32, free: u32) -> Self {
        let leaves = (nodes as usize).next_power_of_two().max(1);
        let mut ix = FreeIndex {
            free: vec![free; nodes as usize],
            max: vec![0; 2 * leaves],
            leaves,
            by_free: OnceCell::new(),
        };
        ix.max[leaves..leaves + nodes as usize].fill(free);
        for i in (1..leaves).rev() {
            ix.max[i] = ix.max[2 * i].max(ix.max[2 * i + 1]);
        }
        ix
    }

    pub fn free(&self, node: u32) -> u32 {
        self.free[node as usize]
    }

    pub fn set(&mut self, node: u32, free: u32) {
        let old = std::mem::replace(&mut self.free[node as usize], free);
        if old == free {
            return;
        }
        if let Some(set) = self.by_free.get_mut() {
            if old > 0 {
                set.remove(&(old, node));
            }
            if free > 0 {
                set.insert((free, node));
            }
        }
        let mut i = self.leaves + node as usize;
        self.max[i] = free;
        while i > 1 {
            i /= 2;
            let m = self.max[2 * i].max(self.max[2 * i + 1]);
            if self.max[i] == m {
                break;
            }
            self.max[i] = m;
        }
    }

    /// The lowest node numbered `from` or more with at least `need` (> 0) free units.
    fn first_from(&self, from: usize, need: u32) -> Option<u32> {
        if from >= self.free.len() {
            return None;
        }
        // Climb from the leaf until a subtree to the right of the path can hold the answer.
        let mut i = self.leaves + from;
        if self.max[i] < need {
            loop {
                if i == 1 {
                    return None;
                }
                // A left child: try its right sibling.
                if i.is_multiple_of(2) && self.max[i + 1] >= need {
                    i += 1;
                    break;
                }
                i /= 2;
            }
        }
        // Descend to the leftmost leaf with enough.
        while i < self.leaves {
            i = if self.max[2 * i] >= need {
                2 * i
            } else {
                2 * i + 1
            };
        }
        Some((i - self.leaves) as u32)
    }

    /// Nodes with at least `need` (at least 1) free units, by node number.
    pub fn nodes_with(&self, need: u32) -> impl Iterator<Item = u32> + '_ {
        let need = need.max(1);
        let mut next = 0usize;
        std::iter::from_fn(move || {
            let n = self.first_from(next, need)?;
            next = n as usize + 1;
            Some(n)
        })
    }

    /// Nodes with any free unit, by node number.
    pub fn by_node(&self) -> impl Iterator<Item = u32> + '_ {
        self.nodes_with(1)
    }

    fn ordered(&self) -> &BTreeSet<(u32, u32)> {
        self.by_free.get_or_init(|| {
            (self.free.iter().enumerate())
                .filter(|&(_, &f)| f > 0)
                .map(|(n, &f)| (f, n as u32))
                .collect()
        })
    }

    /// Nodes with at least `need` free units, least free first (ties: lower node first).
    pub fn tightest_from(&self, need: u32) -> impl Iterator<Item = u32> + '_ {
        self.ordered().range((need, 0)..).map(|&(_, n)| n)
    }

    /// Nodes with at least `need` free units, most free first (ties: lower node first).
    pub fn loosest_down_to(&self, need: u32) -> impl Iterator<Item = u32> + '_ {
        let set = self.ordered();
        // One free level at a time, from the top; within a level by node number.
        let mut level = set.last().map(|&(f, _)| f).filter(|&f| f >= need);
        let mut within: Option<std::collections::btree_set::Range<'_, (u32, u32)>> = None;
        std::iter::from_fn(move || {
            loop {
                let l = level?;
                let r = within.get_or_insert_with(|| set.range((l, 0)..=(l, u32::MAX)));
                if let Some(&(_, n)) = r.next() {
                    return Some(n);
                }
                within = None;
                level = set
                    .range(..(l, 0))
                    .next_back()
                    .map(|&(f, _)| f)
                    .filter(|&f| f >= need.max(1));
            }
        })
    }

    /// Nodes the index covers (present or not; an absent node has 0 free units).
    pub fn len(&self) -> u32 {
        self.free.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.free.is_empty()
    }

    /// The largest free count of any node (O(1)).
    pub fn max_free(&self) -> u32 {
        if self.free.is_empty() { 0 } else { self.max[1] }
    }

    /// The distinct free counts of at least `need` (at least 1) held by some node, smallest
    /// first; O(log n) per level.
    pub fn levels_from(&self, need: u32) -> impl Iterator<Item = u32> + '_ {
        let set = self.ordered();
        let mut from = need.max(1);
        std::iter::from_fn(move || {
            let &(f, _) = set.range((from, 0)..).next()?;
            from = f.checked_add(1)?;
            Some(f)
        })
    }

    /// Nodes whose free count lies in `lo..=hi` (`lo` at least 1), by (free count, node).
    pub fn nodes_in_levels(&self, lo: u32, hi: u32) -> impl Iterator<Item = u32> + '_ {
        let lo = lo.max(1);
        self.ordered()
            .range((lo, 0)..=(hi.max(lo), u32::MAX))
            .map(|&(_, n)| n)
    }

    pub fn total_free(&self) -> u64 {
        self.free.iter().map(|&f| u64::from(f)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn orders_by_node_and_by_free() {
        let mut ix = FreeIndex::new(4, 3);
        ix.set(1, 1);
        ix.set(2, 0);
        assert_eq!(ix.by_node().collect::<Vec<_>>(), vec![0, 1, 3]);
        assert_eq!(ix.nodes_with(2).collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(ix.tightest_from(1).collect::<Vec<_>>(), vec![1, 0, 3]);
        assert_eq!(ix.tightest_from(2).collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(ix.loosest_down_to(1).collect::<Vec<_>>(), vec![0, 3, 1]);
        assert_eq!(ix.total_free(), 7);
        // Kept up to date once built.
        ix.set(3, 5);
        ix.set(1, 0);
        assert_eq!(ix.tightest_from(1).collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(ix.loosest_down_to(4).collect::<Vec<_>>(), vec![3]);
        assert_eq!(ix.nodes_with(4).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn odd_sizes_and_empty_pools() {
        let ix = FreeIndex::new(0, 8);
        assert_eq!(ix.by_node().count(), 0);
        assert_eq!(ix.loosest_down_to(1).count(), 0);
        let mut ix = FreeIndex::new(5, 2);
        ix.set(4, 7);
        assert_eq!(ix.nodes_with(3).collect::<Vec<_>>(), vec![4]);
        assert_eq!(ix.nodes_with(8).count(), 0);
    }

    proptest! {
        /// Every query agrees with a plain scan of the counts, after any sequence of changes.
        #[test]
        fn queries_match_a_scan(
            nodes in 1u32..40,
            changes in prop::collection::vec((0u32..40, 0u32..10), 0..80),
            need in 0u32..11,
            early in any::<bool>(),
        ) {
            let mut ix = FreeIndex::new(nodes, 4);
            let mut free = vec![4u32; nodes as usize];
            if early {
                // Build the ordered set before the changes (it is then kept up to date).
                let _ = ix.tightest_from(1).count();
            }
            for (n, f) in changes {
                let n = n % nodes;
                ix.set(n, f);
                free[n as usize] = f;
            }
            let need1 = need.max(1);
            let scan: Vec<u32> = (0..nodes).filter(|&n| free[n as usize] >= need1).collect();
            prop_assert_eq!(ix.nodes_with(need).collect::<Vec<_>>(), scan.clone());
            let mut tight = scan.clone();
            tight.sort_by_key(|&n| (free[n as usize], n));
            prop_assert_eq!(ix.tightest_from(need1).collect::<Vec<_>>(), tight);
            let mut loose = scan;
            loose.sort_by_key(|&n| (std::cmp::Reverse(free[n as usize]), n));
            prop_assert_eq!(ix.loosest_down_to(need1).collect::<Vec<_>>(), loose);
        }
    }
}
