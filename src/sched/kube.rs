//! Placement as a kube-scheduler profile scores it: `kube-default` (an unconfigured
//! kube-scheduler) and the two bin-packing configurations GPU clusters commonly set
//! (`kube-most-allocated`, `kube-requested-to-capacity`). docs/MODEL.md "Placement policies"
//! says which real configuration each stands for, with its sources.
//!
//! kube-scheduler scores every feasible node (integer scores 0..=100 per plugin, weighted), then
//! picks one node at random among those with the highest total. Within one pool of identical
//! nodes, every plugin of the default profile ties (same labels, taints and images; CPU and host
//! memory are scored in `host_score` on pools that give them), so only the score of the pod's
//! GPU resource can tell nodes apart,
//! and it depends on nothing but the node's free units of that resource. A policy here is
//! therefore a score of the free count, and the pick is uniform among the fitting nodes of the
//! best-scoring free levels, drawn from the run's seeded `placement` stream.
//!
//! Cost: random draws over the pool's nodes first (each O(1); accepted when the node is in the
//! wanted levels and fits, which makes the pick exactly uniform among those), then, if a few
//! draws miss, the nodes of the wanted levels from the free index, drawn without replacement.
//! No placement scans every node of an idle or half-full pool.

use super::policy::{PlaceCtx, PlacementPolicy};
use crate::cluster::{FreeIndex, Holding};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// Maximum node score of a kube-scheduler score plugin (`MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// Random draws over all nodes before the wanted nodes are listed from the index.
const DRAWS: u32 = 16;

/// How a kube-scheduler profile scores a node by the pod's GPU resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeScore {
    /// Default profile: `nvidia.com/gpu` (or a MIG resource) is not among NodeResourcesFit's
    /// scored resources (`cpu` and `memory`, weight 1 each), so GPU pods tie on every node.
    Default,
    /// NodeResourcesFit `MostAllocated` with `cpu: 1, memory: 1, <GPU resource>: 3` (the
    /// weights of the "Resource Bin Packing" page's example). CPU and memory score 0 (not
    /// modelled), so the node score is floor(3 · floor(100 · requested / capacity) / 5).
    MostAllocated,
    /// NodeResourcesFit `RequestedToCapacityRatio` with the shape {0 → 0, 100 → 10} (the
    /// bin-packing shape of the "Resource Bin Packing" page) over the GPU resource alone
    /// (weight 1): score = floor(100 · requested / capacity) after the shape's ×10 scaling.
    RequestedToCapacityRatio,
}

/// Weights of [`KubeScore::MostAllocated`]: cpu, memory, the GPU resource.
pub const MOST_ALLOCATED_WEIGHTS: (i64, i64, i64) = (1, 1, 3);

/// Shape points (utilization %, score 0..=10) of [`KubeScore::RequestedToCapacityRatio`].
pub const RTCR_SHAPE: [(i64, i64); 2] = [(0, 0), (100, 10)];

impl KubeScore {
    /// The node score when the node has `free` of `capacity` units and the pod takes `need`.
    pub fn score(self, capacity: u32, free: u32, need: u32) -> i64 {
        let cap = i64::from(capacity.max(1));
        let requested = (cap - i64::from(free) + i64::from(need)).clamp(0, cap);
        match self {
            KubeScore::Default => 0,
            KubeScore::MostAllocated => {
                let gpu = requested * MAX_NODE_SCORE / cap;
                let (wc, wm, wg) = MOST_ALLOCATED_WEIGHTS;
                // cpu and memory add wc · 0 + wm · 0 (not modelled) but count in the weights.
                wg * gpu / (wc + wm + wg)
            }
            KubeScore::RequestedToCapacityRatio => {
                let utilization = requested * 100 / cap;
                shape_score(&RTCR_SHAPE, utilization)
            }
        }
    }
}

/// kube-scheduler's piecewise-linear shape, its scores (0..=10) scaled to 0..=100, integer
/// arithmetic as the scheduler does it.
pub(super) fn shape_score(points: &[(i64, i64)], utilization: i64) -> i64 {
    let scale = MAX_NODE_SCORE / 10;
    let Some(&(u0, s0)) = points.first() else {
        return 0;
    };
    if utilization <= u0 {
        return s0 * scale;
    }
    for w in points.windows(2) {
        let ((ua, sa), (ub, sb)) = (w[0], w[1]);
        if utilization <= ub {
            let (sa, sb) = (sa * scale, sb * scale);
            return sa + (sb - sa) * (utilization - ua) / (ub - ua);
        }
    }
    points.last().map_or(0, |&(_, s)| s * scale)
}

/// A kube-scheduler profile: a score of the free count and a seeded random pick among the best.
pub struct Kube {
    score: KubeScore,
    name: &'static str,
    rng: RefCell<ChaCha8Rng>,
    /// Scratch space for the wanted nodes when the draws miss (thousands in a 100,000-GPU
    /// fleet): one allocation for the run, not one per pod.
    cands: RefCell<Vec<u32>>,
}

impl Kube {
    pub fn new(score: KubeScore, name: &'static str, rng: ChaCha8Rng) -> Self {
        Kube {
            score,
            name,
            rng: RefCell::new(rng),
            cands: RefCell::new(Vec::new()),
        }
    }

    /// A node drawn uniformly among those whose free count lies in `lo..=hi` and that fit,
    /// with the devices it gets; None if no such node.
    fn draw(
        &self,
        free: &FreeIndex,
        lo: u32,
        hi: u32,
        fit: &mut dyn FnMut(u32) -> Option<Vec<Holding>>,
    ) -> Option<(u32, Vec<Holding>)> {
        let mut rng = self.rng.borrow_mut();
        let n = free.len();
        if n == 0 {
            return None;
        }
        // Rejection: a uniform node, kept if wanted; uniform among the wanted ones.
        for _ in 0..DRAWS {
            let node = rng.random_range(0..n);
            let f = free.free(node);
            if (lo..=hi).contains(&f)
                && let Some(h) = fit(node)
            {
                return Some((node, h));
            }
        }
        // The wanted nodes from the index, drawn without replacement until one fits.
        let mut cands = self.cands.borrow_mut();
        cands.clear();
        if hi == u32::MAX {
            cands.extend(free.nodes_with(lo));
        } else {
            cands.extend(free.nodes_in_levels(lo, hi));
        }
        while !cands.is_empty() {
            let i = rng.random_range(0..cands.len());
            let node = cands.swap_remove(i);
            if let Some(h) = fit(node) {
                return Some((node, h));
            }
        }
        None
    }
}

impl PlacementPolicy for Kube {
    fn name(&self) -> &'static str {
        self.name
    }

    /// Without device state: the best-scoring level's lowest node (kept for callers that only
    /// order nodes; the simulator calls [`place`](Self::place)).
    fn pick(&self, free: &FreeIndex, need: u32, fits: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        match self.score {
            KubeScore::Default => free.nodes_with(need).find(|&n| fits(n)),
            _ => free.tightest_from(need).find(|&n| fits(n)),
        }
    }

    fn place(&self, ctx: &PlaceCtx) -> Option<(u32, Vec<Holding>)> {
        let pool = &ctx.cluster.pools[ctx.pool as usize];
        if pool.host.cap.constrained() || ctx.need.units() == 0 {
            // CPU and memory are scored (or the pod has no GPU to rank nodes by).
            return super::host_score::place(self.score, ctx, &mut self.rng.borrow_mut());
        }
        let kind = ctx.need.index();
        let free = &pool.free[kind];
        let need = ctx.need.units().max(1);
        if free.max_free() < need {
            return None;
        }
        let mut fit = |node: u32| ctx.fit(node);
        if self.score == KubeScore::Default {
            return self.draw(free, need, u32::MAX, &mut fit);
        }
        let capacity = pool.kind.units_per_gpu(kind) * pool.gpus_per_node;
        let units = ctx.need.units();
        // Bin-packing scores do not fall as the free count falls: the tightest levels first,
        // levels of equal score drawn from together.
        let levels: Vec<u32> = free.levels_from(need).collect();
        let mut i = 0;
        while i < levels.len() {
            let top = self.score.score(capacity, levels[i], units);
            let mut j = i;
            while j + 1 < levels.len() && self.score.score(capacity, levels[j + 1], units) == top {
                j += 1;
            }
            if let Some(found) = self.draw(free, levels[i], levels[j], &mut fit) {
                return Some(found);
            }
            i = j + 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn scores_as_kube_scheduler_computes_them() {
        // A node of 8 GPUs x 3 replicas = 24 units, 10 free, the pod takes 1:
        // requested = 24 - 10 + 1 = 15; 15 * 100 / 24 = 62 (integer division).
        // MostAllocated: (1*0 + 1*0 + 3*62) / 5 = 186 / 5 = 37.
        assert_eq!(KubeScore::MostAllocated.score(24, 10, 1), 37);
        // RequestedToCapacityRatio {0->0, 100->10}: utilization 62 -> 0 + (100 - 0) * 62 / 100 = 62.
        assert_eq!(KubeScore::RequestedToCapacityRatio.score(24, 10, 1), 62);
        assert_eq!(KubeScore::Default.score(24, 10, 1), 0);
        // Idle node (24 free): requested 1 -> 4 %; MostAllocated 3*4/5 = 2; full after: 100 and 60.
        assert_eq!(KubeScore::MostAllocated.score(24, 24, 1), 2);
        assert_eq!(KubeScore::RequestedToCapacityRatio.score(24, 1, 1), 100);
        assert_eq!(KubeScore::MostAllocated.score(24, 1, 1), 60);
        // The shape's ends and a point between two points of a three-point shape:
        // {0->10, 50->0, 100->10} at 75 %: 0 + (100 - 0) * 25 / 50 = 50.
        let v = [(0, 10), (50, 0), (100, 10)];
        assert_eq!(shape_score(&v, 0), 100);
        assert_eq!(shape_score(&v, 75), 50);
        assert_eq!(shape_score(&v, 100), 100);
    }

    #[test]
    fn most_allocated_ties_adjacent_levels_by_integer_rounding() {
        // 8 whole GPUs per node: requested 7 and 8 of 8 give 87 and 100 -> 52 and 60; but with
        // 1000-milli units, 100 free vs 101 free (pod 50) give 99 % both (7,950 and 7,949 of 8,000) -> the same score.
        let a = KubeScore::MostAllocated.score(8000, 100, 50);
        let b = KubeScore::MostAllocated.score(8000, 101, 50);
        assert_eq!(a, b);
        assert_eq!(
            KubeScore::MostAllocated.score(8, 2, 1),
            3 * 87 / 5,
            "7 of 8 requested"
        );
    }

    #[test]
    fn draws_are_uniform_among_fitting_nodes_and_seeded() {
        // 6 nodes with 4 free each except node 2 (1 free); a pod of 2: nodes 0,1,3,4,5 qualify,
        // node 4 is vetoed by the fit test: 4 nodes, each about 1/4 of 4,000 draws.
        let mut ix = FreeIndex::new(6, 4);
        ix.set(2, 1);
        let k = Kube::new(
            KubeScore::Default,
            "kube-default",
            ChaCha8Rng::seed_from_u64(7),
        );
        let mut counts = [0u32; 6];
        for _ in 0..4000 {
            let (n, _) = k
                .draw(&ix, 2, u32::MAX, &mut |n| (n != 4).then(Vec::new))
                .expect("some node fits");
            counts[n as usize] += 1;
        }
        assert_eq!(counts[2], 0);
        assert_eq!(counts[4], 0);
        for n in [0, 1, 3, 5] {
            // Binomial(4000, 1/4): mean 1000, sd 27; 6 sd either side.
            assert!((840..=1160).contains(&counts[n]), "node {n}: {counts:?}");
        }
        // The same seed gives the same sequence.
        let again = Kube::new(
            KubeScore::Default,
            "kube-default",
            ChaCha8Rng::seed_from_u64(7),
        );
        let first = |k: &Kube| {
            (0..20)
                .map(|_| {
                    k.draw(&ix, 2, u32::MAX, &mut |_| Some(Vec::new()))
                        .unwrap()
                        .0
                })
                .collect::<Vec<_>>()
        };
        let k2 = Kube::new(
            KubeScore::Default,
            "kube-default",
            ChaCha8Rng::seed_from_u64(7),
        );
        assert_eq!(first(&again), first(&k2));
    }

    #[test]
    fn falls_back_to_the_index_when_draws_miss() {
        // 1,000 nodes, only node 977 has room: the random draws almost surely miss, the
        // index then finds it.
        let mut ix = FreeIndex::new(1000, 0);
        ix.set(977, 3);
        let k = Kube::new(
            KubeScore::Default,
            "kube-default",
            ChaCha8Rng::seed_from_u64(1),
        );
        let got = k.draw(&ix, 1, u32::MAX, &mut |_| Some(Vec::new()));
        assert_eq!(got.map(|g| g.0), Some(977));
        assert!(k.draw(&ix, 1, u32::MAX, &mut |_| None).is_none());
        assert!(
            k.draw(&ix, 4, u32::MAX, &mut |_| Some(Vec::new()))
                .is_none()
        );
    }
}
