//! Tests of `policy.rs` (a child module of it, so they reach its private items).

use super::*;
use crate::experiments::fgd::frag::{Typical, TypicalClass};
use crate::experiments::fgd::model::{Models, NodeSpec};

fn node(cpu_left: u64, gpus: &[u16]) -> NodeState {
    let mut n = NodeState::new(&NodeSpec {
        name: "n".into(),
        cpu: cpu_left,
        mem: 1 << 20,
        gpus: gpus.len() as u8,
        model: 0,
    });
    n.gpu_left[..gpus.len()].copy_from_slice(gpus);
    n
}

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

#[test]
fn names_round_trip() {
    for p in Policy::ALL {
        assert_eq!(Policy::parse(p.name()), Some(p));
        assert_eq!(Policy::parse(p.artifact_name()), Some(p));
    }
    assert_eq!(Policy::parse("FGD"), Some(Policy::Fgd));
    assert_eq!(Policy::parse("DotProd"), Some(Policy::DotProd));
    assert_eq!(Policy::parse("tetris"), None);
}

#[test]
fn best_fit_by_hand() {
    // 96 cores, 8 idle GPUs (8000); pod 8 cores, 500 milli:
    // 1 − (0.5·88000/128000 + 0.5·7500/8000) = 1 − (0.34375 + 0.46875) = 0.1875 -> 18.
    assert_eq!(
        best_fit_raw(&node(96_000, &[1000; 8]), &pod(8000, 500, 1)),
        18
    );
    // 16 cores, 2 GPUs [1000, 600]; pod 8 cores, 500:
    // 1 − (0.5·8000/128000 + 0.5·1100/8000) = 1 − (0.03125 + 0.06875) = 0.9 -> 90
    // (in floating point 89.99999999999999 or 90; the code computes 90).
    assert_eq!(
        best_fit_raw(&node(16_000, &[1000, 600]), &pod(8000, 500, 1)),
        90
    );
}

#[test]
fn min_max_keeps_order_and_ties() {
    assert_eq!(min_max_normalise(5, 5, 5), 0);
    assert_eq!(min_max_normalise(18, 18, 90), 0);
    assert_eq!(min_max_normalise(90, 18, 90), 100);
    // (50 − 18)·100 / 72 = 3200 / 72 = 44.
    assert_eq!(min_max_normalise(50, 18, 90), 44);
    for lo in 0..=100 {
        for hi in lo + 1..=100 {
            for r in lo..hi {
                assert!(min_max_normalise(r, lo, hi) < min_max_normalise(r + 1, lo, hi));
            }
        }
    }
}

#[test]
fn dot_prod_by_hand() {
    // Node 64 cores, 4 idle GPUs; pod 32 cores, 2 GPUs:
    // (0.5·0.25 + 0.5·0.25)/2 = 0.125 -> trunc(87.5) = 87.
    assert_eq!(
        dot_prod_score(&node(64_000, &[1000; 4]), &pod(32_000, 1000, 2)),
        87
    );
    // CPU-only pod 12.8 cores on a 128-core node: (1·0.1)/2 = 0.05 -> 95.
    assert_eq!(
        dot_prod_score(&node(128_000, &[1000]), &pod(12_800, 0, 0)),
        95
    );
}

#[test]
fn gpu_packing_by_hand() {
    let p = pod(1000, 300, 1);
    // Idle 8-GPU node: max(33 − 8, 8) = 25; idle 2-GPU node: 31.
    assert_eq!(gpu_packing_score(&node(8000, &[1000; 8]), &p), 25);
    assert_eq!(gpu_packing_score(&node(8000, &[1000; 2]), &p), 31);
    // Used node, the pod fits a used device with 450 free (smallest fitting):
    // 100 − (450·100/1000)/10 = 100 − 45/10 = 96.
    assert_eq!(gpu_packing_score(&node(8000, &[1000, 450, 200]), &p), 96);
    // Used node where only a full device fits: max(50 − 1, 33) = 49.
    assert_eq!(gpu_packing_score(&node(8000, &[1000, 200]), &p), 49);
    // 2-GPU pod on a node with 3 full devices of 4: 50 − 2 = 48.
    assert_eq!(
        gpu_packing_score(&node(8000, &[1000, 1000, 0, 1000]), &pod(1, 1000, 2)),
        48
    );
    // CPU-only pods score 0 everywhere.
    assert_eq!(gpu_packing_score(&node(8000, &[1000]), &pod(1, 0, 0)), 0);
}

#[test]
fn gpu_clustering_by_hand() {
    let share = pod(1000, 300, 1);
    let mut n = node(8000, &[1000; 8]);
    // Idle 8-GPU node: base 25·0/8000 = 0; no GPU pods -> 0 + 25.
    assert_eq!(gpu_clustering_score(&n, &share), 25);
    // Idle 2-GPU node: base = 25·6000/8000 = 18 -> 43.
    assert_eq!(gpu_clustering_score(&node(8000, &[1000; 2]), &share), 43);
    // After one share pod (L = 7700): base = 25·300/8000 = 7500/8000 = 0; same tag only
    // -> 75.
    n.place(&share, &[0]);
    assert_eq!(gpu_clustering_score(&n, &share), 75);
    // A 1-GPU pod sees only another tag -> base 0.
    assert_eq!(gpu_clustering_score(&n, &pod(1000, 1000, 1)), 0);
    // Add a 1-GPU pod (L = 6700): base = 25·1300/8000 = 4; share pod: own tag among
    // others -> 54.
    n.place(&pod(1000, 1000, 1), &[1]);
    assert_eq!(gpu_clustering_score(&n, &share), 54);
    assert_eq!(gpu_clustering_score(&n, &pod(1, 0, 0)), 0);
}

#[test]
fn fgd_score_and_device_by_hand() {
    // Typical set: S = (2 cores, 500 milli x1) count 1; G = (2 cores, 1000 x1) count 1.
    // W = 2, so W·F = frag_S + frag_G.
    let t = Typical {
        classes: vec![
            TypicalClass {
                cpu: 2000,
                milli: 500,
                k: 1,
                spec: String::new(),
                types: u64::MAX,
                count: 1,
            },
            TypicalClass {
                cpu: 2000,
                milli: 1000,
                k: 1,
                spec: String::new(),
                types: u64::MAX,
                count: 1,
            },
        ],
        all_classes: 2,
        pods: 2,
    };
    let ft = FragTable::new(
        &t,
        &Models {
            names: vec!["T4".into()],
        },
    );
    // Node [1000, 600], 8 cores. S: Q3, small = 0; G: Q3, small = 600. W·F = 600.
    let n = node(8000, &[1000, 600]);
    let before = ft.of(&n);
    assert_eq!(before, 600);
    // Pod 2 cores x 400 milli.
    // On device 0: [600, 600]: S small 0; G: no full device -> Q2, 1200. W·F' = 1200.
    //   ΔF = (600 − 1200)/2 = −300 milli -> 100·σ(−0.3) = 42.55 -> 42.
    // On device 1: [1000, 200]: S small 200; G small 200. W·F' = 400.
    //   ΔF = (600 − 400)/2 = +100 -> 100·σ(0.1) = 52.49 -> 52.
    // Device 1 wins with 52.
    assert_eq!(fgd_node_score(&ft, &n, before, &pod(2000, 400, 1)), (52, 1));
    // Whole-GPU pod: n' = [0, 600]: S small 0; G Q2 600 -> 600; ΔF = 0 -> 50.
    assert_eq!(
        fgd_node_score(&ft, &n, before, &pod(2000, 1000, 1)),
        (50, 0)
    );
    // Idle node [1000, 1000]: W·F = 0. Pod 400: both devices give [600, 1000]:
    // S 0, G 600 -> ΔF = −300 -> 42; the first index (0) is kept.
    let idle = node(8000, &[1000, 1000]);
    assert_eq!(fgd_node_score(&ft, &idle, 0, &pod(2000, 400, 1)), (42, 0));
    // Truncation ties: node [1000, 990, 980], pod 10 milli. Device 0 -> [990, 990, 980]:
    // G has no full device -> Q2 for G: 2960; S small 0 -> W·F' = 2960, before = 1970
    // (S 0 + G 990 + 980), ΔF = −495 -> 37.87 -> 37. Device 1 -> [1000, 980, 980]:
    // G small 1960, W·F' = 1960, ΔF = +5 -> 50.12 -> 50. Device 2 -> [1000, 990, 970]:
    // W·F' = 1960 as well -> 50. Device 1 is the first with 50.
    let n3 = node(8000, &[1000, 990, 980]);
    assert_eq!(ft.of(&n3), 1970);
    assert_eq!(fgd_node_score(&ft, &n3, 1970, &pod(0, 10, 1)), (50, 1));
}
