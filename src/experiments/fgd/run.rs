//! One run of the experiment (spec §3-§4): build the sequence, then schedule the pods one at a
//! time with no departures, recording allocation and fragmentation after every pod.
//!
//! Speed: every feasible node is scored for every pod, as kube-scheduler does with
//! `percentageOfNodesToScore = 100`. FGD's score of a node depends only on the node's state and
//! the pod's (cpu, milli, k), so it is cached per (node, pod class) and only the node a pod lands
//! on is invalidated; the node's own fragmentation W·F(n) is likewise recomputed only for that
//! node, and the cluster total is updated by the difference (exact integers). The choice itself
//! comes from a per-shape index of nodes bucketed by score (`index.rs`), brought up to date with
//! only the nodes changed since the shape last asked; the full scan stays as the reference (and
//! the fallback for scores outside the index's range).

use super::discrete::Record;
use super::frag::FragTable;
use super::index::ShapeIndex;
use super::model::{ClusterSpec, NodeState, WorkloadPod};
use super::policy::{
    Policy, best_fit_raw, dot_prod_score, fgd_node_score, gpu_clustering_score, gpu_packing_score,
};
use super::tune::{SeqPod, build_sequence, shuffle};
use super::workload::Workload;
use crate::engine::rng::{StreamRng, stream};
use rand::RngExt;
use std::collections::BTreeMap;

/// Where one pod went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodPlacement {
    /// Index into `ClusterSpec::nodes` (name order).
    pub node: u32,
    pub gpus: Vec<u8>,
}

/// Everything one run produced: the pod sequence as scheduled, where each pod went, per-pod records.
#[derive(Clone, Debug)]
pub struct ScheduledRun {
    pub policy: Policy,
    pub seed: u64,
    pub sequence: Vec<SeqPod>,
    /// Per pod of the sequence: where it went, or None if it failed.
    pub placements: Vec<Option<PodPlacement>>,
    pub records: Vec<Record>,
    /// Index in the sequence of the first failed pod.
    pub first_failure: Option<usize>,
    /// The node rank of each node (name order).
    pub ranks: Vec<u32>,
}

impl ScheduledRun {
    pub fn failed(&self) -> usize {
        self.placements.iter().filter(|p| p.is_none()).count()
    }
}

const UNKNOWN: u8 = u8::MAX;

/// The scheduler state of one run.
pub struct Scheduler<'a> {
    cluster: &'a ClusterSpec,
    frag: &'a FragTable,
    policy: Policy,
    /// Node states in rank order (index = rank).
    nodes: Vec<NodeState>,
    /// Name-order index of the node at each rank.
    by_rank: Vec<u32>,
    /// W·F(n) per node (rank order) and their sum.
    node_frag: Vec<u64>,
    frag_sum: u64,
    used: u64,
    /// FGD score cache: nodes × pod classes, `UNKNOWN` when stale.
    cache: Vec<u8>,
    nclasses: usize,
    /// Nodes nothing has been placed on share FGD scores with identical nodes (same model,
    /// CPU, memory and GPU count): group of each node (rank order), whether it is untouched,
    /// and the scores per group × pod class.
    group: Vec<u32>,
    pristine: Vec<bool>,
    group_cache: Vec<u8>,
    rng: StreamRng,
    feasible: Vec<u32>,
    /// Index of each pod shape seen so far (see `index.rs`).
    shapes: BTreeMap<ShapeKey, usize>,
    index: Vec<ShapeIndex>,
    /// Nodes (rank) placed on, in order: what each shape's index has still to replay.
    changes: Vec<u32>,
    /// Choose by scanning every node (the reference path; also taken for good once a score falls
    /// outside the index's range).
    full_scan: bool,
}

/// What a pod's feasibility and every policy's score depend on: CPU, memory, per-GPU milli, GPU
/// count and accepted models.
type ShapeKey = (u64, u64, u32, u32, u64);

impl<'a> Scheduler<'a> {
    /// `ranks[i]` is the rank of node i (name order): a permutation of 0..nodes.
    pub fn new(
        cluster: &'a ClusterSpec,
        frag: &'a FragTable,
        policy: Policy,
        ranks: &[u32],
        nclasses: usize,
        rng: StreamRng,
    ) -> Self {
        let n = cluster.nodes.len();
        let mut by_rank = vec![0u32; n];
        for (i, &r) in ranks.iter().enumerate() {
            by_rank[r as usize] = i as u32;
        }
        let nodes: Vec<NodeState> = by_rank
            .iter()
            .map(|&i| NodeState::new(&cluster.nodes[i as usize]))
            .collect();
        let node_frag: Vec<u64> = nodes.iter().map(|s| frag.of(s)).collect();
        let frag_sum = node_frag.iter().sum();
        let cache_len = if policy == Policy::Fgd {
            n * nclasses
        } else {
            0
        };
        let mut groups: BTreeMap<(u8, u64, u64, u8), u32> = BTreeMap::new();
        let group: Vec<u32> = by_rank
            .iter()
            .map(|&i| {
                let s = &cluster.nodes[i as usize];
                let next = groups.len() as u32;
                *groups
                    .entry((s.model, s.cpu, s.mem, s.gpus))
                    .or_insert(next)
            })
            .collect();
        let group_len = if policy == Policy::Fgd {
            groups.len() * nclasses
        } else {
            0
        };
        Scheduler {
            cluster,
            frag,
            policy,
            nodes,
            by_rank,
            node_frag,
            frag_sum,
            used: 0,
            cache: vec![UNKNOWN; cache_len],
            nclasses,
            group,
            pristine: vec![true; n],
            group_cache: vec![UNKNOWN; group_len],
            rng,
            feasible: Vec::new(),
            shapes: BTreeMap::new(),
            index: Vec::new(),
            changes: Vec::new(),
            full_scan: false,
        }
    }

    /// Chooses by scanning every node instead of the index (same decisions; for tests).
    pub fn set_full_scan(&mut self, on: bool) {
        self.full_scan = on;
    }

    /// Allocated GPU milli.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Cluster fragmentation Σ F(n) in milli.
    pub fn frag_milli(&self) -> f64 {
        self.frag_sum as f64 / self.frag.weight as f64
    }

    /// Free GPU milli.
    pub fn idle(&self) -> u64 {
        self.cluster.gpu_milli - self.used
    }

    /// Node states in rank order.
    pub fn nodes(&self) -> &[NodeState] {
        &self.nodes
    }

    fn score(&mut self, i: usize, p: &WorkloadPod, class: u32) -> i64 {
        let n = &self.nodes[i];
        match self.policy {
            Policy::Random => 0,
            Policy::DotProd => dot_prod_score(n, p),
            Policy::GpuClustering => gpu_clustering_score(n, p),
            Policy::GpuPacking => gpu_packing_score(n, p),
            // BestFit's min-max normalisation keeps order and ties (see `min_max_normalise`),
            // so the raw score picks the same node.
            Policy::BestFit => best_fit_raw(n, p),
            Policy::Fgd => {
                let slot = if self.pristine[i] {
                    let g = self.group[i] as usize;
                    &mut self.group_cache[g * self.nclasses + class as usize]
                } else {
                    &mut self.cache[i * self.nclasses + class as usize]
                };
                if *slot == UNKNOWN {
                    *slot = fgd_node_score(self.frag, n, self.node_frag[i], p).0;
                }
                i64::from(*slot)
            }
        }
    }

    /// The reference cycle: every node checked and scored.
    fn select_scan(&mut self, p: &WorkloadPod, class: u32) -> Option<usize> {
        if self.policy == Policy::Random {
            self.feasible.clear();
            for (i, n) in self.nodes.iter().enumerate() {
                if n.fits(p) {
                    self.feasible.push(i as u32);
                }
            }
            return match self.feasible.len() {
                0 => None,
                1 => Some(self.feasible[0] as usize),
                len => Some(self.feasible[self.rng.random_range(0..len)] as usize),
            };
        }
        let mut best: Option<(i64, usize)> = None;
        for i in 0..self.nodes.len() {
            if !self.nodes[i].fits(p) {
                continue;
            }
            let s = self.score(i, p, class);
            // Strictly greater: among equal scores the first (smallest rank) stays.
            if best.is_none_or(|(bs, _)| s > bs) {
                best = Some((s, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// Devices for `p` on node `i` (spec §2.3).
    fn devices(&mut self, i: usize, p: &WorkloadPod) -> Vec<u8> {
        let n = &self.nodes[i];
        if p.milli == 0 {
            return Vec::new();
        }
        if !p.is_sharing() {
            return n.lowest_full(p.k);
        }
        match self.policy {
            Policy::Fgd => vec![fgd_node_score(self.frag, n, self.node_frag[i], p).1],
            Policy::Random => {
                // Reservoir sampling over fitting devices in index order, one draw each.
                let mut pick = None;
                let mut seen = 0u32;
                for g in 0..n.ngpu {
                    if u32::from(n.gpu_left[g as usize]) >= p.milli {
                        seen += 1;
                        if self.rng.random_range(0..seen) == 0 {
                            pick = Some(g);
                        }
                    }
                }
                pick.into_iter().collect()
            }
            _ => n.best_fit_gpu(p.milli).into_iter().collect(),
        }
    }

    /// Schedules one pod; returns where it went.
    pub fn schedule(&mut self, p: &WorkloadPod, class: u32) -> Option<PodPlacement> {
        let i = self.select(p, class)?;
        let gpus = self.devices(i, p);
        Some(self.place_at(i, p, gpus))
    }

    /// Puts `p` on the node of rank `i`, devices `gpus`, and updates fragmentation and caches.
    pub fn place_at(&mut self, i: usize, p: &WorkloadPod, gpus: Vec<u8>) -> PodPlacement {
        self.nodes[i].place(p, &gpus);
        let f = self.frag.of(&self.nodes[i]);
        self.frag_sum = self.frag_sum - self.node_frag[i] + f;
        self.node_frag[i] = f;
        self.used += p.gpu_request();
        self.pristine[i] = false;
        self.changes.push(i as u32);
        if !self.cache.is_empty() {
            self.cache[i * self.nclasses..(i + 1) * self.nclasses].fill(UNKNOWN);
        }
        PodPlacement {
            node: self.by_rank[i],
            gpus,
        }
    }
}

/// The node rank permutation: the node at name position i gets rank `perm[i]`.
pub fn node_ranks(nodes: usize, rng: &mut StreamRng) -> Vec<u32> {
    let mut perm: Vec<u32> = (0..nodes as u32).collect();
    shuffle(&mut perm, rng);
    perm
}

/// One run of `w` on `cluster`. Random streams: `fgd/tune` (shuffle and tuning), `fgd/nodes`
/// (node ranks) and `fgd/random` (the Random policy), all from `seed`.
pub fn run_one(
    cluster: &ClusterSpec,
    w: &Workload,
    policy: Policy,
    seed: u64,
    tune: f64,
) -> ScheduledRun {
    let sequence = build_sequence(
        &w.pods,
        cluster.gpu_milli,
        tune,
        &mut stream(seed, "fgd/tune"),
    );
    let ranks = node_ranks(cluster.nodes.len(), &mut stream(seed, "fgd/nodes"));
    let mut s = Scheduler::new(
        cluster,
        &w.frag,
        policy,
        &ranks,
        w.classes.len(),
        stream(seed, "fgd/random"),
    );
    let mut arrived = 0u64;
    let mut records = Vec::with_capacity(sequence.len());
    let mut placements = Vec::with_capacity(sequence.len());
    let mut first_failure = None;
    for (k, sp) in sequence.iter().enumerate() {
        let o = sp.origin as usize;
        let p = &w.pods[o];
        arrived += p.gpu_request();
        let placed = s.schedule(p, w.class_of[o]);
        if placed.is_none() && first_failure.is_none() {
            first_failure = Some(k);
        }
        placements.push(placed);
        let idle = s.idle();
        let frag = s.frag_milli();
        records.push(Record {
            arrived_milli: arrived,
            used_milli: s.used(),
            frag_milli: frag,
            frag_ratio: if idle == 0 {
                0.0
            } else {
                100.0 * frag / idle as f64
            },
        });
    }
    ScheduledRun {
        policy,
        seed,
        sequence,
        placements,
        records,
        first_failure,
        ranks,
    }
}

#[path = "run_index.rs"]
mod run_index;

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
