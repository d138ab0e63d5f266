//! Tests of `frag.rs` (a child module of it, so they reach its private items).

use super::*;
use crate::experiments::fgd::model::{NodeSpec, NodeState};

fn class(cpu: u64, milli: u32, k: u32, count: u64) -> TypicalClass {
    TypicalClass {
        cpu,
        milli,
        k,
        spec: String::new(),
        types: u64::MAX,
        count,
    }
}

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

fn models() -> Models {
    Models {
        names: vec!["T4".into(), "V100M16".into()],
    }
}

#[test]
fn categories_by_hand() {
    // Node: 4 GPUs with free milli 1000, 500, 200, 0 (L = 1700), 8 CPU cores left.
    let n = node(8000, &[1000, 500, 200, 0]);
    // Sharing class (4 cores, 300 milli, 1 GPU): 2 devices have >= 300, CPU fits -> Q3;
    // fragment = devices below 300: 200 + 0 = 200.
    assert_eq!(classify(&class(4000, 300, 1, 1), &n), (Category::Q3, 200));
    // Same GPU need, 16 cores: GPU fits, CPU short -> Q4, all 1700.
    assert_eq!(classify(&class(16000, 300, 1, 1), &n), (Category::Q4, 1700));
    // 2 whole GPUs: only 1 device is full -> GPU short, CPU fits -> Q2, all 1700.
    assert_eq!(classify(&class(4000, 1000, 2, 1), &n), (Category::Q2, 1700));
    // 2 whole GPUs and 16 cores: Q1, all 1700.
    assert_eq!(
        classify(&class(16000, 1000, 2, 1), &n),
        (Category::Q1, 1700)
    );
    // 1 whole GPU, CPU fits: Q3; fragment = 500 + 200 + 0 = 700.
    assert_eq!(classify(&class(4000, 1000, 1, 1), &n), (Category::Q3, 700));
    // CPU-only classes count everything, with or without the CPU.
    assert_eq!(classify(&class(4000, 0, 0, 1), &n), (Category::Xl, 1700));
    assert_eq!(classify(&class(9000, 0, 0, 1), &n), (Category::Xr, 1700));
    // A class constrained to model 1 (the node is model 0): NoAccess, all 1700.
    let v100 = TypicalClass {
        types: 0b10,
        ..class(4000, 300, 1, 1)
    };
    assert_eq!(classify(&v100, &n), (Category::NoAccess, 1700));
}

#[test]
fn node_frag_by_hand() {
    // Typical set: A = (4 cores, 300 milli x1) count 6; B = (4 cores, 1000 x1) count 3;
    // C = CPU-only (2 cores) count 1. W = 10.
    let t = Typical {
        classes: vec![
            class(4000, 300, 1, 6),
            class(4000, 1000, 1, 3),
            class(2000, 0, 0, 1),
        ],
        all_classes: 3,
        pods: 10,
    };
    let ft = FragTable::new(&t, &models());
    assert_eq!(ft.weight, 10);
    // Node [1000, 500, 200, 0], 8 cores: A -> Q3 200; B -> Q3 700; C -> 1700.
    // W·F = 6·200 + 3·700 + 1·1700 = 1200 + 2100 + 1700 = 5000, so F = 500 milli.
    let n = node(8000, &[1000, 500, 200, 0]);
    assert_eq!(ft.of(&n), 5000);
    // Same GPUs, 3 cores left: A and B are CPU short -> all 1700 each:
    // 6·1700 + 3·1700 + 1700 = 17000, F = 1700 (every free milli is fragment).
    assert_eq!(ft.node_frag(0, 3000, &[1000, 500, 200, 0]), 17000);
    // Idle 2-GPU node, 8 cores: A and B fit with no small devices -> 0; C -> 2000.
    // W·F = 2000, F = 200.
    assert_eq!(ft.node_frag(0, 8000, &[1000, 1000]), 2000);
    // Full node: no free GPU, no fragment.
    assert_eq!(ft.node_frag(0, 8000, &[0, 0]), 0);
    // The order of devices does not matter.
    assert_eq!(ft.node_frag(0, 8000, &[0, 200, 1000, 500]), 5000);
}

#[test]
fn fast_path_matches_the_reference_definition() {
    let t = Typical {
        classes: vec![
            class(4000, 300, 1, 5),
            class(8000, 1000, 2, 2),
            class(1000, 0, 0, 3),
            TypicalClass {
                types: 0b10,
                ..class(2000, 500, 1, 4)
            },
            class(2000, 700, 1, 1),
        ],
        all_classes: 5,
        pods: 15,
    };
    let ft = FragTable::new(&t, &models());
    let frees = [0u16, 100, 300, 499, 500, 700, 1000];
    for &cpu in &[0u64, 1000, 3999, 4000, 8000] {
        for a in frees {
            for b in frees {
                for c in frees {
                    let n = node(cpu, &[a, b, c, 1000]);
                    let expect: u64 = t
                        .classes
                        .iter()
                        .map(|k| k.count * u64::from(classify(k, &n).1))
                        .sum();
                    assert_eq!(ft.of(&n), expect, "cpu {cpu} gpus {a} {b} {c} 1000");
                }
            }
        }
    }
}

#[test]
fn score_values() {
    // No change: σ(0) = 0.5 -> 50.
    assert_eq!(fgd_score(500, 500, 1), 50);
    // Fragmentation +1000 milli (1 GPU): 100·σ(−1) = 26.89 -> 26.
    assert_eq!(fgd_score(0, 10_000, 10), 26);
    // −1000 milli: 100·σ(1) = 73.1 -> 73.
    assert_eq!(fgd_score(10_000, 0, 10), 73);
    // +250 milli: 100·σ(−0.25) = 43.78 -> 43.
    assert_eq!(fgd_score(0, 2500, 10), 43);
}

#[test]
fn typical_set_cut_and_tie_break() {
    let mk = |cpu, milli, k| WorkloadPod {
        name: String::new(),
        cpu,
        mem: 0,
        milli,
        k,
        spec: String::new(),
        types: u64::MAX,
    };
    // 20 pods: 10 x A(4000,500,1), 5 x B(2000,1000,1), 4 x C(8000,0,0), 1 x D(1000,0,0).
    let mut pods = Vec::new();
    pods.extend(std::iter::repeat_n(mk(4000, 500, 1), 10));
    pods.extend(std::iter::repeat_n(mk(2000, 1000, 1), 5));
    pods.extend(std::iter::repeat_n(mk(8000, 0, 0), 4));
    pods.push(mk(1000, 0, 0));
    // 95 % of 20 = 19: A (10), B (15), C (19) -> stop. D is left out.
    let t = Typical::from_pods(&pods, 95);
    assert_eq!(t.all_classes, 4);
    assert_eq!(t.classes.len(), 3);
    assert_eq!(t.weight(), 19);
    // Equal counts: the larger key (by cpu first) comes first.
    let tie = vec![mk(1000, 500, 1), mk(2000, 100, 1)];
    let t = Typical::from_pods(&tie, 95);
    assert_eq!(t.classes[0].cpu, 2000);
    assert_eq!(t.classes.len(), 2);
}
