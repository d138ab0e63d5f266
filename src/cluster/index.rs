//! Free-capacity index of one pool for one kind of device unit.
//!
//! Placement must not scan every node: nodes with free capacity are kept in two ordered sets,
//! by node number (first-fit, spread) and by (free units, node) (best-fit), updated in
//! O(log n) whenever a node's free count changes.

use std::collections::BTreeSet;

#[derive(Clone, Debug, Default)]
pub struct FreeIndex {
    free: Vec<u32>,
    by_node: BTreeSet<u32>,
    by_free: BTreeSet<(u32, u32)>,
}

impl FreeIndex {
    /// `nodes` nodes (numbered 0.. within the pool), each starting with `free` units.
    pub fn new(nodes: u32, free: u32) -> Self {
        let mut ix = FreeIndex {
            free: vec![0; nodes as usize],
            ..Default::default()
        };
        for n in 0..nodes {
            ix.set(n, free);
        }
        ix
    }

    pub fn free(&self, node: u32) -> u32 {
        self.free[node as usize]
    }

    pub fn set(&mut self, node: u32, free: u32) {
        let old = std::mem::replace(&mut self.free[node as usize], free);
        if old > 0 {
            self.by_node.remove(&node);
            self.by_free.remove(&(old, node));
        }
        if free > 0 {
            self.by_node.insert(node);
            self.by_free.insert((free, node));
        }
    }

    /// Nodes with any free unit, by node number.
    pub fn by_node(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.by_node.iter().copied()
    }

    /// Nodes with at least `need` free units, least free first (ties: lower node first).
    pub fn tightest_from(&self, need: u32) -> impl Iterator<Item = u32> + '_ {
        self.by_free.range((need, 0)..).map(|&(_, n)| n)
    }

    /// Nodes with at least `need` free units, most free first (ties: lower node first).
    pub fn loosest_down_to(&self, need: u32) -> impl Iterator<Item = u32> + '_ {
        // Reverse order yields higher node first among equal free counts; re-sort each run of
        // equal counts lazily would cost more than it saves, so collect per free level.
        let mut levels: Vec<(u32, u32)> = self.by_free.range((need, 0)..).copied().collect();
        levels.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        levels.into_iter().map(|(_, n)| n)
    }

    pub fn total_free(&self) -> u64 {
        self.free.iter().map(|&f| u64::from(f)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_node_and_by_free() {
        let mut ix = FreeIndex::new(4, 3);
        ix.set(1, 1);
        ix.set(2, 0);
        assert_eq!(ix.by_node().collect::<Vec<_>>(), vec![0, 1, 3]);
        assert_eq!(ix.tightest_from(1).collect::<Vec<_>>(), vec![1, 0, 3]);
        assert_eq!(ix.tightest_from(2).collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(ix.loosest_down_to(1).collect::<Vec<_>>(), vec![0, 3, 1]);
        assert_eq!(ix.total_free(), 7);
    }
}
