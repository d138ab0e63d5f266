//! Placement policies: which node of a pool gets a pod, among those that fit.
//!
//! A policy orders candidate nodes; `fits` (supplied by the caller) says whether the pod
//! really fits a node. Policies therefore test without the engine or a cluster. Policies that
//! look at device-level state (FGD) override [`PlacementPolicy::place`] instead.

use super::kube::{Kube, KubeScore};
use crate::cluster::{
    Cluster, FreeIndex, Holding, HostNeed, MILLI, NO_INSTANCE, Need, TypicalNeed,
};
use crate::domain::{MigShare, PolicyName};
use rand_chacha::ChaCha8Rng;

/// What a policy may look at to place one pod in one pool.
pub struct PlaceCtx<'a> {
    pub cluster: &'a Cluster,
    pub pool: u32,
    pub need: &'a Need,
    /// The pool's typical request shapes (see `cluster::frag`); kept fresh only for policies
    /// whose [`PlacementPolicy::uses_typical`] is true.
    pub typical: &'a [TypicalNeed],
    pub mig_share: MigShare,
    /// CPU and host memory the pod requests (NodeResourcesFit, `cluster::host`).
    pub host: HostNeed,
}

impl PlaceCtx<'_> {
    /// The devices the pod would get on pool-local `node`, if it fits there: its devices, and
    /// its CPU and host memory (a pod without GPUs needs a schedulable node and the latter only).
    pub fn fit(&self, node: u32) -> Option<Vec<Holding>> {
        let pool = &self.cluster.pools[self.pool as usize];
        if !pool.host.fits(node, self.host) {
            return None;
        }
        if self.need.units() == 0 && !pool.schedulable(node) {
            return None;
        }
        self.cluster.fit_on_node(self.pool, node, self.need)
    }

    /// A pod without GPUs on a policy that orders nodes by free GPU units: the lowest-numbered
    /// node where it fits (the GPU index cannot rank nodes for it).
    pub fn first_host_fit(&self) -> Option<(u32, Vec<Holding>)> {
        let present = self.cluster.pools[self.pool as usize].present;
        (0..present).find_map(|n| self.fit(n).map(|h| (n, h)))
    }
}

pub trait PlacementPolicy {
    fn name(&self) -> &'static str;
    /// The first node, in this policy's order, for which `fits` holds. Only nodes with at least
    /// `need` free units are offered.
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32>;
    /// The node and devices for a pod in `ctx.pool`. The default takes the first node in
    /// [`pick`](Self::pick)'s order that fits, with the devices `Cluster::fit_on_node` proposes.
    fn place(&self, ctx: &PlaceCtx) -> Option<(u32, Vec<Holding>)> {
        if ctx.need.units() == 0 {
            return ctx.first_host_fit();
        }
        let free = &ctx.cluster.pools[ctx.pool as usize].free[ctx.need.index()];
        let mut found = None;
        let node = self.pick(free, ctx.need.units(), &mut |node| {
            found = ctx.fit(node);
            found.is_some()
        })?;
        found.map(|h| (node, h))
    }
    /// Whether [`place`](Self::place) reads `ctx.typical`.
    fn uses_typical(&self) -> bool {
        false
    }
}

/// Lowest-numbered node that fits (kube-scheduler with scoring off; packs the front of a pool).
pub struct FirstFit;

impl PlacementPolicy for FirstFit {
    fn name(&self) -> &'static str {
        "first-fit"
    }
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        free.nodes_with(need).find(|&n| fits(n))
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

/// Node with the most free capacity that fits (spreads load, like kube-scheduler's
/// LeastAllocated scoring); ties go to the lower node.
pub struct Spread;

impl PlacementPolicy for Spread {
    fn name(&self) -> &'static str {
        "spread"
    }
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        free.loosest_down_to(need).find(|&n| fits(n))
    }
}

/// Fragmentation gradient descent (Weng et al., ATC'23) for simulator pools: among the nodes that
/// fit, the placement that increases the node's fragmentation (`cluster::frag`) the least; ties
/// go to the lower node, then the lower GPU. For a share of one GPU on a fractional pool every
/// GPU that fits is tried; otherwise the devices are those `fit_on_node` proposes (on MIG pools
/// instances of one profile are interchangeable, so the choice is only of the node).
/// Scores every node with enough free units: O(nodes · GPUs · typical shapes) per placement.
pub struct Fgd;

/// Fragmentation changes closer than this count as ties.
const FGD_TIE: f64 = 1e-9;

impl PlacementPolicy for Fgd {
    fn name(&self) -> &'static str {
        "fgd"
    }
    /// Without device state FGD has nothing to go on; it orders like best-fit.
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        BestFit.pick(free, need, fits)
    }
    fn uses_typical(&self) -> bool {
        true
    }
    fn place(&self, ctx: &PlaceCtx) -> Option<(u32, Vec<Holding>)> {
        let c = ctx.cluster;
        let pool = &c.pools[ctx.pool as usize];
        let free = &pool.free[ctx.need.index()];
        let mem = match ctx.need {
            Need::Milli { mem, .. } => *mem,
            _ => 0.0,
        };
        if ctx.need.units() == 0 {
            return ctx.first_host_fit();
        }
        let mut best: Option<(f64, u32, Vec<Holding>)> = None;
        for node in free.nodes_with(ctx.need.units()) {
            let Some(proposed) = ctx.fit(node) else {
                continue;
            };
            let before = c
                .node_frag(ctx.pool, node, ctx.typical, &[], 0.0, ctx.mig_share)
                .fragmented;
            let options: Vec<Vec<Holding>> = match ctx.need {
                Need::Milli {
                    milli,
                    gpus: 1,
                    mem,
                } => pool
                    .node_gpus(node)
                    .filter(|&g| {
                        let s = &c.gpus[g as usize];
                        MILLI - s.used >= *milli && s.mem_used + mem <= pool.model.memory_gib + 1e-9
                    })
                    .map(|g| {
                        vec![Holding {
                            gpu: g,
                            units: *milli,
                            instance: NO_INSTANCE,
                        }]
                    })
                    .collect(),
                _ => vec![proposed],
            };
            for h in options {
                let after = c
                    .node_frag(ctx.pool, node, ctx.typical, &h, mem, ctx.mig_share)
                    .fragmented;
                let delta = after - before;
                if best.as_ref().is_none_or(|b| delta < b.0 - FGD_TIE) {
                    best = Some((delta, node, h));
                }
            }
        }
        best.map(|(_, node, h)| (node, h))
    }
}

/// The policy called `name`; the kube-scheduler profiles draw their random picks from `rng`
/// (the run's seeded `placement` stream).
pub fn policy(name: PolicyName, rng: ChaCha8Rng) -> Box<dyn PlacementPolicy> {
    let kube = |score| Box::new(Kube::new(score, name.as_str(), rng));
    match name {
        PolicyName::KubeDefault => kube(KubeScore::Default),
        PolicyName::KubeMostAllocated => kube(KubeScore::MostAllocated),
        PolicyName::KubeRequestedToCapacity => kube(KubeScore::RequestedToCapacityRatio),
        PolicyName::FirstFit => Box::new(FirstFit),
        PolicyName::BestFit => Box::new(BestFit),
        PolicyName::Spread => Box::new(Spread),
        PolicyName::Fgd => Box::new(Fgd),
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
        // Spread takes the loosest node: 0 (4 free); needing 3 still 0; vetoing 0 gives 2.
        assert_eq!(Spread.pick(&ix, 2, &mut |_| true), Some(0));
        assert_eq!(Spread.pick(&ix, 2, &mut |n| n != 0), Some(2));
        assert_eq!(Spread.pick(&ix, 3, &mut |n| n != 0), Some(2));
        assert_eq!(Spread.pick(&ix, 4, &mut |n| n != 0), None);
    }
}
