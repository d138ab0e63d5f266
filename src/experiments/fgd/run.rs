//! One run of the experiment (spec §3-§4): build the sequence, then schedule the pods one at a
//! time with no departures, recording allocation and fragmentation after every pod.
//!
//! Speed: every feasible node is scored for every pod, as kube-scheduler does with
//! `percentageOfNodesToScore = 100`. FGD's score of a node depends only on the node's state and
//! the pod's (cpu, milli, k), so it is cached per (node, pod class) and only the node a pod lands
//! on is invalidated; the node's own fragmentation W·F(n) is likewise recomputed only for that
//! node, and the cluster total is updated by the difference (exact integers).

use super::discrete::Record;
use super::frag::{FragTable, Typical};
use super::model::{ClusterSpec, NodeState, PodClass, WorkloadPod};
use super::policy::{
    Policy, best_fit_raw, dot_prod_score, fgd_node_score, gpu_clustering_score, gpu_packing_score,
};
use super::tune::{SeqPod, build_sequence, shuffle};
use crate::engine::rng::{StreamRng, stream};
use crate::trace::openb::read_pods;
use rand::RngExt;
use std::collections::BTreeMap;
use std::path::Path;

/// A workload file, read once and shared by every run on it.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The file stem (the `workload` column of the result files).
    pub name: String,
    /// The pods, sorted by name.
    pub pods: Vec<WorkloadPod>,
    /// Score class of each pod (index into `classes`).
    pub class_of: Vec<u32>,
    pub classes: Vec<PodClass>,
    pub typical: Typical,
    pub frag: FragTable,
}

impl Workload {
    pub fn new(name: &str, mut pods: Vec<WorkloadPod>, cluster: &ClusterSpec) -> Workload {
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let typical = Typical::from_pods(&pods, super::frag::POPULARITY_THRESHOLD_PCT);
        let frag = FragTable::new(&typical, &cluster.models);
        let mut ix: BTreeMap<PodClass, u32> = BTreeMap::new();
        let class_of = pods
            .iter()
            .map(|p| {
                let n = ix.len() as u32;
                *ix.entry(p.class()).or_insert(n)
            })
            .collect();
        let mut classes = vec![
            PodClass {
                cpu: 0,
                milli: 0,
                k: 0
            };
            ix.len()
        ];
        for (c, i) in ix {
            classes[i as usize] = c;
        }
        Workload {
            name: name.to_string(),
            pods,
            class_of,
            classes,
            typical,
            frag,
        }
    }

    /// Reads an openb pod list.
    pub fn load(path: &Path, cluster: &ClusterSpec) -> Result<Workload, String> {
        let rows = read_pods(path).map_err(|e| e.to_string())?;
        if rows.is_empty() {
            return Err(format!("{}: no pods", path.display()));
        }
        let pods: Vec<WorkloadPod> = rows
            .iter()
            .map(|r| WorkloadPod::from_openb(r, &cluster.models))
            .collect();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Workload::new(&name, pods, cluster))
    }

    /// Total GPU request of the file, milli.
    pub fn gpu_request(&self) -> u64 {
        self.pods.iter().map(WorkloadPod::gpu_request).sum()
    }
}

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
}

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
        }
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

    /// One scheduling cycle: the chosen node (rank index), or None if no node is feasible.
    fn select(&mut self, p: &WorkloadPod, class: u32) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::fgd::frag::TypicalClass;
    use crate::experiments::fgd::model::{Models, NodeSpec};

    fn pod(cpu: u64, milli: u32, k: u32) -> WorkloadPod {
        WorkloadPod {
            name: "p".into(),
            cpu,
            mem: 0,
            milli,
            k,
            spec: String::new(),
            types: u64::MAX,
        }
    }

    /// Three nodes, named n-a, n-b, n-c, with ranks 2, 0, 1 (so rank order is b, c, a):
    ///
    /// - n-a: 16 cores, 2 GPUs, idle: cpu_left 16000, free [1000, 1000] (L = 2000).
    /// - n-b: 32 cores, 4 GPUs, holding a 3-GPU pod (4 cores) on GPUs 0-2 and a 600-milli
    ///   pod (2 cores) on GPU 3: cpu_left 26000, free [0, 0, 0, 400] (L = 400).
    /// - n-c: 64 cores, 8 GPUs, holding a 1-GPU pod (8 cores) on GPU 0: cpu_left 56000,
    ///   free [0, 1000 x 7] (L = 7000).
    ///
    /// Typical set (FGD): one class S = (2 cores, 400 milli x 1), W = 1.
    fn three_nodes(policy: Policy, seed: u64) -> (ClusterSpec, FragTable, Policy, u64) {
        let node = |name: &str, cpu, gpus| NodeSpec {
            name: name.into(),
            cpu,
            mem: 1 << 20,
            gpus,
            model: 0,
        };
        let cluster = ClusterSpec {
            nodes: vec![
                node("n-a", 16_000, 2),
                node("n-b", 32_000, 4),
                node("n-c", 64_000, 8),
            ],
            models: Models {
                names: vec!["T4".into()],
            },
            gpu_milli: 14_000,
        };
        let typical = Typical {
            classes: vec![TypicalClass {
                cpu: 2000,
                milli: 400,
                k: 1,
                spec: String::new(),
                types: u64::MAX,
                count: 1,
            }],
            all_classes: 1,
            pods: 1,
        };
        let ft = FragTable::new(&typical, &cluster.models);
        (cluster, ft, policy, seed)
    }

    /// Places the pods of the example and schedules `p`.
    fn choose(policy: Policy, p: &WorkloadPod, seed: u64) -> Option<(String, Vec<u8>)> {
        let (cluster, ft, policy, seed) = three_nodes(policy, seed);
        let ranks = [2, 0, 1];
        let mut s = Scheduler::new(&cluster, &ft, policy, &ranks, 1, stream(seed, "t"));
        // Rank 0 is n-b, rank 1 is n-c.
        s.place_at(0, &pod(4000, 1000, 3), vec![0, 1, 2]);
        s.place_at(0, &pod(2000, 600, 1), vec![3]);
        s.place_at(1, &pod(8000, 1000, 1), vec![0]);
        assert_eq!(s.nodes()[0].gpus(), &[0, 0, 0, 400]);
        assert_eq!(s.nodes()[0].cpu_left, 26_000);
        s.schedule(p, 0)
            .map(|pl| (cluster.nodes[pl.node as usize].name.clone(), pl.gpus))
    }

    fn on(node: &str, gpus: &[u8]) -> Option<(String, Vec<u8>)> {
        Some((node.to_string(), gpus.to_vec()))
    }

    #[test]
    fn each_policy_on_three_nodes() {
        // Pod P: 2 cores, 300 milli of one GPU. Every node fits it.
        let p = pod(2000, 300, 1);
        // DotProd: trunc(100·(1 − (cpu/128000·2000/128000 + L/8000·300/8000)/2)):
        //   a: (0.125·0.015625 + 0.25·0.0375)/2 = 0.00566 -> 99.43 -> 99
        //   b: (0.203125·0.015625 + 0.05·0.0375)/2 = 0.00252 -> 99.75 -> 99
        //   c: (0.4375·0.015625 + 0.875·0.0375)/2 = 0.01982 -> 98.02 -> 98
        // a and b tie at 99; b has the smaller rank (0). Best-fit GPU on b: GPU 3.
        assert_eq!(choose(Policy::DotProd, &p, 1), on("n-b", &[3]));
        // BestFit: trunc(100·(1 − (0.5·(cpu−2000)/128000 + 0.5·(L−300)/8000))):
        //   a: 0.0546875 + 0.10625 = 0.1609375 -> 83;  b: 0.09375 + 0.00625 = 0.1 -> 90;
        //   c: 0.2109375 + 0.41875 = 0.6296875 -> 37.  b wins, GPU 3.
        assert_eq!(choose(Policy::BestFit, &p, 1), on("n-b", &[3]));
        // GpuPacking: a is idle -> max(33 − 2, 2) = 31; b: the fitting device with least free
        // is GPU 3 (400, used) -> 100 − 400/100 = 96; c: the first fitting device is full ->
        // max(50 − 1, 33) = 49. b wins, GPU 3.
        assert_eq!(choose(Policy::GpuPacking, &p, 1), on("n-b", &[3]));
        // GpuClustering (tag share-gpu): a: base 25·6000/8000 = 18, no GPU pods -> 43;
        // b: base 25·7600/8000 = 23, holds share-gpu among 3-gpu -> 73; c: base
        // 25·1000/8000 = 3, only another tag -> 3. b wins, GPU 3.
        assert_eq!(choose(Policy::GpuClustering, &p, 1), on("n-b", &[3]));
        // FGD (S = 400 milli): a: [1000, 1000] -> [700, 1000], no device below 400 before or
        // after: ΔF = 0 -> 50. b: [0, 0, 0, 400] has no fragment (S fits GPU 3); after,
        // [0, 0, 0, 100] cannot host S, so all 100 is fragment: ΔF = −100 -> 100·σ(−0.1) =
        // 47.5 -> 47. c: [0, 1000 x 7] -> [0, 700, 1000 x 6]: ΔF = 0 -> 50 on GPU 1 (GPU 0
        // does not fit). a and c tie at 50; c has the smaller rank (1). FGD keeps the 400
        // slot whole for the typical pod.
        assert_eq!(choose(Policy::Fgd, &p, 1), on("n-c", &[1]));
        // Random: some feasible node; different seeds reach different nodes.
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let (n, g) = choose(Policy::Random, &p, seed).unwrap();
            assert_eq!(g.len(), 1);
            seen.insert(n);
        }
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn only_feasible_nodes_and_failures() {
        // A 3-GPU pod fits only n-c (7 full GPUs; n-a has 2): every policy takes it, on the
        // lowest free GPUs 1, 2 and 3.
        for policy in Policy::ALL {
            assert_eq!(
                choose(policy, &pod(2000, 1000, 3), 3),
                on("n-c", &[1, 2, 3]),
                "{policy:?}"
            );
        }
        // 60 cores fit nowhere (56 left on n-c at most): the pod fails.
        for policy in Policy::ALL {
            assert_eq!(choose(policy, &pod(60_000, 0, 0), 3), None);
        }
        // A CPU-only pod: GpuPacking and GpuClustering score 0 everywhere -> smallest rank,
        // n-b.
        assert_eq!(
            choose(Policy::GpuPacking, &pod(1000, 0, 0), 3),
            on("n-b", &[])
        );
        assert_eq!(
            choose(Policy::GpuClustering, &pod(1000, 0, 0), 3),
            on("n-b", &[])
        );
    }

    #[test]
    fn frag_total_is_updated_incrementally() {
        let (cluster, ft, policy, seed) = three_nodes(Policy::Fgd, 1);
        let mut s = Scheduler::new(&cluster, &ft, policy, &[2, 0, 1], 1, stream(seed, "t"));
        let mut placed = 0;
        while s.schedule(&pod(500, 300, 1), 0).is_some() {
            placed += 1;
            let total: u64 = s.nodes().iter().map(|n| ft.of(n)).sum();
            assert_eq!(s.frag_milli(), total as f64);
            let used: u64 = s
                .nodes()
                .iter()
                .map(|n| 1000 * u64::from(n.ngpu) - u64::from(n.gpu_free()))
                .sum();
            assert_eq!(s.used(), used);
        }
        // Idle nodes (nothing pre-placed here): 14 GPUs hold 3 pods of 300 each: 42.
        assert_eq!(placed, 42);
    }
}
