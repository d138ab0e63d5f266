//! Placement policies: which node of a pool gets a pod, among those that fit.
//!
//! A policy only orders candidate nodes; `fits` (supplied by the caller) says whether the pod
//! really fits a node. Policies therefore test without the engine or a cluster.

use crate::cluster::FreeIndex;
use crate::scenario::schema::PolicyName;

pub trait PlacementPolicy {
    fn name(&self) -> &'static str;
    /// The first node, in this policy's order, for which `fits` holds. Only nodes with at least
    /// `need` free units are offered.
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32>;
}

/// Lowest-numbered node that fits (kube-scheduler with scoring off; packs the front of a pool).
pub struct FirstFit;

impl PlacementPolicy for FirstFit {
    fn name(&self) -> &'static str {
        "first-fit"
    }
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        free.by_node()
            .filter(|&n| free.free(n) >= need)
            .find(|&n| fits(n))
    }
}

/// Node with the least free capacity that fits (bin packing, like kube-scheduler's
/// MostAllocated scoring); ties go to the lower node.
pub struct BestFit;

impl PlacementPolicy for BestFit {
    fn name(&self) -> &'static str {
        "best-fit"
    }
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        free.tightest_from(need).find(|&n| fits(n))
    }
}

pub fn policy(name: PolicyName) -> Box<dyn PlacementPolicy> {
    match name {
        PolicyName::FirstFit => Box::new(FirstFit),
        PolicyName::BestFit => Box::new(BestFit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_fit_takes_lowest_node_best_fit_takes_tightest() {
        // Node free units: 0 -> 4, 1 -> 2, 2 -> 3. A pod needing 2 units:
        // first-fit picks node 0; best-fit picks node 1 (2 free is the tightest fit).
        let mut ix = FreeIndex::new(3, 4);
        ix.set(1, 2);
        ix.set(2, 3);
        assert_eq!(FirstFit.pick(&ix, 2, &mut |_| true), Some(0));
        assert_eq!(BestFit.pick(&ix, 2, &mut |_| true), Some(1));
        // Needing 3: node 1 is skipped by both; best-fit prefers node 2 (3 free) over 0 (4).
        assert_eq!(FirstFit.pick(&ix, 3, &mut |_| true), Some(0));
        assert_eq!(BestFit.pick(&ix, 3, &mut |_| true), Some(2));
        // The exact-fit test can veto a node.
        assert_eq!(BestFit.pick(&ix, 3, &mut |n| n != 2), Some(0));
        assert_eq!(FirstFit.pick(&ix, 5, &mut |_| true), None);
    }
}
