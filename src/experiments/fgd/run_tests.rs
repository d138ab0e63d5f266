//! Tests of `run.rs` (a child module of it, so they reach its private items).

use super::*;
use crate::experiments::fgd::frag::{Typical, TypicalClass};
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

mod index_vs_scan {
    use super::*;
    use proptest::prelude::*;

    /// A node: CPU (200 cores is beyond the openb range, so some scores leave 0..=100 and the
    /// scheduler must fall back to the scan), memory, GPU count, model.
    fn node() -> impl Strategy<Value = (u64, u64, u8, u8)> {
        (
            prop_oneof![
                Just(8_000u64),
                Just(32_000),
                Just(96_000),
                Just(128_000),
                Just(200_000)
            ],
            prop_oneof![Just(60_000u64), Just(400_000)],
            prop_oneof![Just(0u8), Just(1), Just(2), Just(4), Just(8)],
            0u8..2,
        )
    }

    /// A pod shape from a small palette, so that shapes repeat: CPU, memory, (milli, count),
    /// constraint (0: any, 1: model A, 2: model B).
    fn pod_shape() -> impl Strategy<Value = (u64, u64, (u32, u32), u8)> {
        (
            prop_oneof![Just(1_000u64), Just(4_000), Just(8_000), Just(32_000)],
            prop_oneof![Just(0u64), Just(1_000), Just(50_000)],
            prop_oneof![
                Just((0u32, 0u32)),
                Just((300, 1)),
                Just((500, 1)),
                Just((1000, 1)),
                Just((1000, 2)),
                Just((1000, 4)),
                Just((1000, 8))
            ],
            0u8..3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The index picks the node (and devices) the full scan picks, pod after pod, for every
        /// policy: over random clusters, node ranks and pod lists, until the cluster is full.
        #[test]
        fn index_picks_what_the_scan_picks(
            nodes in prop::collection::vec(node(), 1..40),
            shapes in prop::collection::vec(pod_shape(), 1..60),
            seed in 0u64..1000,
        ) {
            let models = Models { names: vec!["A".into(), "B".into()] };
            let mut specs: Vec<NodeSpec> = nodes
                .iter()
                .enumerate()
                .map(|(i, &(cpu, mem, gpus, model))| NodeSpec {
                    name: format!("n{i:03}"),
                    cpu,
                    mem,
                    gpus,
                    model: if gpus == 0 { u8::MAX } else { model },
                })
                .collect();
            specs.sort_by(|a, b| a.name.cmp(&b.name));
            let gpu_milli = specs.iter().map(|n| 1000 * u64::from(n.gpus)).sum();
            let cluster = ClusterSpec { nodes: specs, models: models.clone(), gpu_milli };
            let pods: Vec<WorkloadPod> = shapes
                .iter()
                .enumerate()
                .map(|(i, &(cpu, mem, (milli, k), c))| {
                    let spec: Vec<String> = match (milli, c) {
                        (0, _) | (_, 0) => vec![],
                        (_, 1) => vec!["A".into()],
                        _ => vec!["B".into()],
                    };
                    WorkloadPod {
                        name: format!("p{i:03}"),
                        cpu,
                        mem,
                        milli,
                        k,
                        types: models.mask(&spec),
                        spec: spec.join("|"),
                    }
                })
                .collect();
            let w = Workload::new("w", pods, &cluster);
            let ranks = node_ranks(cluster.nodes.len(), &mut stream(seed, "ranks"));
            for policy in Policy::ALL {
                let mk = || Scheduler::new(
                    &cluster, &w.frag, policy, &ranks, w.classes.len(), stream(seed, "r"),
                );
                let (mut fast, mut scan) = (mk(), mk());
                scan.set_full_scan(true);
                // The list three times over: the cluster fills and pods start to fail.
                for (step, o) in (0..3 * w.pods.len()).map(|k| k % w.pods.len()).enumerate() {
                    let p = &w.pods[o];
                    let a = fast.schedule(p, w.class_of[o]);
                    let b = scan.schedule(p, w.class_of[o]);
                    prop_assert_eq!(a, b, "{:?}, pod {} ({:?})", policy, step, p);
                }
                prop_assert_eq!(fast.nodes(), scan.nodes());
            }
        }
    }
}
