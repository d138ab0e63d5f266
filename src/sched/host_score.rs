//! kube-scheduler's node scores over CPU, host memory and the GPU resource, for pools whose
//! nodes have a CPU or memory capacity (and for pods without GPUs, which the GPU index cannot
//! rank). docs/MODEL.md "CPU and host memory" gives the formulas and their sources.
//!
//! - `kube-default`: the default profile's NodeResourcesFit `LeastAllocated` over `cpu` and
//!   `memory` (weight 1 each) plus NodeResourcesBalancedAllocation over `cpu` and `memory`
//!   (plugin weights 1 and 1); the GPU resource is not scored.
//! - `kube-most-allocated`: `MostAllocated` with `cpu: 1, memory: 1, <GPU resource>: 3`.
//! - `kube-requested-to-capacity`: `RequestedToCapacityRatio`, shape {0 -> 0, 100 -> 10},
//!   over `cpu: 1, memory: 1, <GPU resource>: 1`.
//!
//! A resource a node has no capacity for is left out of the weighted mean (as kube-scheduler
//! leaves out a resource with zero allocatable). Integer arithmetic as the scheduler does it.
//! The node is drawn uniformly (seeded) among the fitting nodes with the highest total.
//! Cost: every node with enough free GPU units is scored, O(nodes) per placement.

use super::kube::{KubeScore, MAX_NODE_SCORE, RTCR_SHAPE, shape_score};
use super::policy::PlaceCtx;
use crate::cluster::{Holding, HostNeed, Pool};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// One scored resource of a node: requested including the incoming pod, and capacity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Use {
    pub requested: u64,
    pub capacity: u64,
}

/// `LeastAllocated` of one resource: `(capacity - requested) · 100 / capacity`, 0 when over.
pub fn least_allocated(u: Use) -> i64 {
    if u.capacity == 0 || u.requested > u.capacity {
        return 0;
    }
    ((u.capacity - u.requested) as i128 * i128::from(MAX_NODE_SCORE) / u.capacity as i128) as i64
}

/// `MostAllocated` of one resource: `requested · 100 / capacity`, at most 100.
pub fn most_allocated(u: Use) -> i64 {
    if u.capacity == 0 {
        return 0;
    }
    let r = u.requested.min(u.capacity);
    (r as i128 * i128::from(MAX_NODE_SCORE) / u.capacity as i128) as i64
}

/// `RequestedToCapacityRatio` of one resource with the bin-packing shape.
pub fn requested_to_capacity(u: Use) -> i64 {
    shape_score(&RTCR_SHAPE, most_allocated(u))
}

/// The weighted mean (integer division) over the resources that have a capacity.
fn weighted(parts: &[(Option<Use>, i64)], f: fn(Use) -> i64) -> i64 {
    let (mut sum, mut weights) = (0i64, 0i64);
    for (u, w) in parts {
        if let Some(u) = u.filter(|u| u.capacity > 0) {
            sum += w * f(u);
            weights += w;
        }
    }
    if weights == 0 { 0 } else { sum / weights }
}

/// NodeResourcesBalancedAllocation: `(1 - sd) · 100` of the requested fractions (each at most
/// 1) of the resources with a capacity; for two resources sd = |f1 - f2| / 2.
pub fn balanced(parts: &[Option<Use>]) -> i64 {
    let fr: Vec<f64> = parts
        .iter()
        .flatten()
        .filter(|u| u.capacity > 0)
        .map(|u| (u.requested as f64 / u.capacity as f64).min(1.0))
        .collect();
    let sd = if fr.len() < 2 {
        0.0
    } else {
        let mean = fr.iter().sum::<f64>() / fr.len() as f64;
        (fr.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / fr.len() as f64).sqrt()
    };
    ((1.0 - sd) * MAX_NODE_SCORE as f64) as i64
}

/// The node's CPU and memory use once the pod is on it (`None`: no capacity for it).
pub fn host_use(pool: &Pool, node: u32, pod: HostNeed) -> (Option<Use>, Option<Use>) {
    let (cpu, mem) = pool.host.used(node);
    let cap = pool.host.cap;
    (
        cap.cpu_milli.map(|c| Use {
            requested: cpu + pod.cpu_milli,
            capacity: c,
        }),
        cap.mem_bytes.map(|m| Use {
            requested: mem + pod.mem_bytes,
            capacity: m,
        }),
    )
}

/// The profile's total score of a node: CPU and memory use `cpu`, `mem`; the GPU resource
/// `gpu` (requested including the pod, capacity).
pub fn node_score(score: KubeScore, cpu: Option<Use>, mem: Option<Use>, gpu: Use) -> i64 {
    match score {
        KubeScore::Default => {
            weighted(&[(cpu, 1), (mem, 1)], least_allocated) + balanced(&[cpu, mem])
        }
        KubeScore::MostAllocated => weighted(&[(cpu, 1), (mem, 1), (Some(gpu), 3)], most_allocated),
        KubeScore::RequestedToCapacityRatio => {
            weighted(&[(cpu, 1), (mem, 1), (Some(gpu), 1)], requested_to_capacity)
        }
    }
}

/// The node for the pod in `ctx.pool` by `score`, with its devices; None if it fits nowhere.
pub fn place(
    score: KubeScore,
    ctx: &PlaceCtx,
    rng: &mut ChaCha8Rng,
) -> Option<(u32, Vec<Holding>)> {
    let pool = &ctx.cluster.pools[ctx.pool as usize];
    let kind = ctx.need.index();
    let free = &pool.free[kind];
    let units = ctx.need.units();
    let capacity = u64::from(pool.kind.units_per_gpu(kind) * pool.gpus_per_node);
    let mut best: Vec<u32> = Vec::new();
    let mut top = i64::MIN;
    let mut consider = |node: u32| {
        if ctx.fit(node).is_none() {
            return;
        }
        let (cpu, mem) = host_use(pool, node, ctx.host);
        let gpu = Use {
            requested: (capacity + u64::from(units)).saturating_sub(u64::from(free.free(node))),
            capacity,
        };
        let s = node_score(score, cpu, mem, gpu);
        if s > top {
            top = s;
            best.clear();
        }
        if s == top {
            best.push(node);
        }
    };
    if units == 0 {
        (0..pool.present).for_each(&mut consider);
    } else {
        free.nodes_with(units).for_each(&mut consider);
    }
    if best.is_empty() {
        return None;
    }
    let node = best[rng.random_range(0..best.len())];
    ctx.fit(node).map(|h| (node, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(requested: u64, capacity: u64) -> Option<Use> {
        Some(Use {
            requested,
            capacity,
        })
    }

    /// Two nodes of 32 cores, 128 GiB and 8 GPUs; a pod of 1 GPU, 8 cores and 32 GiB.
    /// Node A already runs 16 cores, 32 GiB, 4 GPUs; node B 4 cores, 96 GiB, 1 GPU.
    #[test]
    fn hand_worked_scores_of_the_three_profiles() {
        let gib = 1u64 << 30;
        // With the pod: A cpu 24/32, mem 64/128 GiB, gpu 5/8; B cpu 12/32, mem 128/128, gpu 2/8.
        let (a_cpu, a_mem, a_gpu) = (u(24_000, 32_000), u(64 * gib, 128 * gib), u(5, 8).unwrap());
        let (b_cpu, b_mem, b_gpu) = (u(12_000, 32_000), u(128 * gib, 128 * gib), u(2, 8).unwrap());
        // kube-default, LeastAllocated: A cpu (32-24)*100/32 = 25, mem 64*100/128 = 50,
        // mean (25 + 50) / 2 = 37; BalancedAllocation: fractions 0.75 and 0.5, sd = 0.125,
        // (1 - 0.125) * 100 = 87. Total 124.
        assert_eq!(node_score(KubeScore::Default, a_cpu, a_mem, a_gpu), 37 + 87);
        // B: cpu 20*100/32 = 62, mem 0 -> 31; fractions 0.375 and 1.0, sd 0.3125 -> 68. Total 99.
        assert_eq!(node_score(KubeScore::Default, b_cpu, b_mem, b_gpu), 31 + 68);
        // MostAllocated (1, 1, 3): A cpu 75, mem 50, gpu 5*100/8 = 62 -> (75 + 50 + 186) / 5 = 62.
        assert_eq!(
            node_score(KubeScore::MostAllocated, a_cpu, a_mem, a_gpu),
            62
        );
        // B: cpu 37, mem 100, gpu 25 -> (37 + 100 + 75) / 5 = 42.
        assert_eq!(
            node_score(KubeScore::MostAllocated, b_cpu, b_mem, b_gpu),
            42
        );
        // RequestedToCapacityRatio {0->0, 100->10} (x10), weights 1: the utilization itself:
        // A (75 + 50 + 62) / 3 = 62; B (37 + 100 + 25) / 3 = 54.
        assert_eq!(
            node_score(KubeScore::RequestedToCapacityRatio, a_cpu, a_mem, a_gpu),
            62
        );
        assert_eq!(
            node_score(KubeScore::RequestedToCapacityRatio, b_cpu, b_mem, b_gpu),
            54
        );
        // No memory capacity: only cpu is averaged; one resource is perfectly balanced (100).
        assert_eq!(node_score(KubeScore::Default, a_cpu, None, a_gpu), 25 + 100);
        assert_eq!(
            node_score(KubeScore::MostAllocated, a_cpu, None, a_gpu),
            (75 + 186) / 4
        );
    }

    #[test]
    fn over_capacity_scores_as_kube_scheduler_does() {
        assert_eq!(
            least_allocated(Use {
                requested: 5,
                capacity: 4
            }),
            0
        );
        assert_eq!(
            most_allocated(Use {
                requested: 5,
                capacity: 4
            }),
            100
        );
        assert_eq!(
            least_allocated(Use {
                requested: 0,
                capacity: 0
            }),
            0
        );
        assert_eq!(balanced(&[None, None]), 100);
    }
}
