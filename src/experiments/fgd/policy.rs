//! The six placement policies of the experiment (spec §5): node scores in integer arithmetic as
//! the artifact computes them, and the choice of devices inside the chosen node.
//!
//! Every score here is "higher is better"; ties go to the node with the smallest rank, which the
//! run loop gets for free by scanning nodes in rank order and keeping the first maximum.

use super::frag::{FragTable, fgd_score};
use super::model::{GPU_MILLI, MAX_GPUS, NodeState, WorkloadPod, tag_of};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Policy {
    Random,
    DotProd,
    GpuClustering,
    GpuPacking,
    BestFit,
    Fgd,
}

impl Policy {
    /// In the artifact's order.
    pub const ALL: [Policy; 6] = [
        Policy::Random,
        Policy::DotProd,
        Policy::GpuClustering,
        Policy::GpuPacking,
        Policy::BestFit,
        Policy::Fgd,
    ];

    /// Kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Random => "random",
            Policy::DotProd => "dot-prod",
            Policy::GpuClustering => "gpu-clustering",
            Policy::GpuPacking => "gpu-packing",
            Policy::BestFit => "best-fit",
            Policy::Fgd => "fgd",
        }
    }

    /// The `sc_policy` value of the artifact's result files.
    pub fn artifact_name(self) -> &'static str {
        match self {
            Policy::Random => "01-Random",
            Policy::DotProd => "02-DotProd",
            Policy::GpuClustering => "03-GpuClustering",
            Policy::GpuPacking => "04-GpuPacking",
            Policy::BestFit => "05-BestFit",
            Policy::Fgd => "06-FGD",
        }
    }

    /// Accepts the kebab-case name, the artifact name (`06-FGD`) or its plain part (`FGD`,
    /// `dotprod`), case-insensitively.
    pub fn parse(s: &str) -> Option<Policy> {
        let norm = |x: &str| -> String {
            x.chars()
                .filter(|c| c.is_ascii_alphabetic())
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let want = norm(s);
        Policy::ALL
            .into_iter()
            .find(|p| norm(p.name()) == want || norm(p.artifact_name()) == want)
    }
}

/// Largest CPU (milli) and GPU (milli) of an openb node: the normalisers of DotProd and BestFit.
const MAX_CPU: f64 = 128_000.0;
const MAX_GPU: f64 = 8_000.0;

/// BestFit's raw score (spec §5.2): trunc(100·(1 − [0.5·cpu_after/128000 + 0.5·gpu_after/8000])).
pub fn best_fit_raw(n: &NodeState, p: &WorkloadPod) -> i64 {
    let cpu_after = (n.cpu_left - p.cpu) as f64;
    let gpu_after = (i64::from(n.gpu_free()) - p.gpu_request() as i64) as f64;
    (100.0 * (1.0 - (0.5 * cpu_after / MAX_CPU + 0.5 * gpu_after / MAX_GPU))) as i64
}

/// BestFit's per-cycle min-max normalisation (integer). With raw scores in [0, 100] the range is
/// at most 100, so it is strictly increasing in `raw` and never changes the winner; it is kept
/// for fidelity and tested.
pub fn min_max_normalise(raw: i64, lo: i64, hi: i64) -> i64 {
    if hi == lo {
        0
    } else {
        (raw - lo) * 100 / (hi - lo)
    }
}

/// DotProd (Tetris, spec §5.3): trunc(100·(1 − (node·pod)/2)) with vectors
/// (cpu/128000, gpu/8000); the free resources of the node, the request of the pod.
pub fn dot_prod_score(n: &NodeState, p: &WorkloadPod) -> i64 {
    if n.cpu_left < p.cpu {
        return 0;
    }
    let dot = (n.cpu_left as f64 / MAX_CPU) * (p.cpu as f64 / MAX_CPU)
        + (f64::from(n.gpu_free()) / MAX_GPU) * (p.gpu_request() as f64 / MAX_GPU);
    (100.0 * (1.0 - dot / 2.0)) as i64
}

/// Devices chosen the way GpuPacking's score chooses them: free milli ascending (stable), the
/// first `k` with at least `milli` free.
fn packing_devices(n: &NodeState, milli: u32, k: u32) -> ([u16; MAX_GPUS], usize) {
    let mut idx: [u8; MAX_GPUS] = [0; MAX_GPUS];
    for (i, x) in idx.iter_mut().enumerate().take(n.ngpu as usize) {
        *x = i as u8;
    }
    let idx = &mut idx[..n.ngpu as usize];
    idx.sort_by_key(|&i| n.gpu_left[i as usize]); // stable
    let mut out = [0u16; MAX_GPUS];
    let mut got = 0;
    for &i in idx.iter() {
        if got == k as usize {
            break;
        }
        let f = n.gpu_left[i as usize];
        if u32::from(f) >= milli {
            out[got] = f;
            got += 1;
        }
    }
    (out, got)
}

/// GpuPacking (spec §5.4), integer arithmetic.
pub fn gpu_packing_score(n: &NodeState, p: &WorkloadPod) -> i64 {
    if p.milli == 0 {
        return 0;
    }
    let full = n.full();
    let count = i64::from(n.ngpu);
    if full == u32::from(n.ngpu) {
        return (33 - count).max(count);
    }
    let (chosen, got) = packing_devices(n, p.milli, p.k);
    let chosen = &chosen[..got];
    let full_chosen = chosen
        .iter()
        .filter(|&&f| u32::from(f) == GPU_MILLI)
        .count() as i64;
    if full_chosen > 0 {
        (50 - full_chosen).max(33)
    } else {
        // A sharing pod on an already used device with f free: 100 − (f·100/1000)/10.
        let f = chosen.first().map_or(0, |&f| i64::from(f));
        (100 - (f * 100 / 1000) / 10).max(50)
    }
}

/// GpuClustering (spec §5.5), integer arithmetic.
pub fn gpu_clustering_score(n: &NodeState, p: &WorkloadPod) -> i64 {
    let Some(tag) = tag_of(p.milli, p.k) else {
        return 0;
    };
    let base = 25 * (8000 - i64::from(n.gpu_free())) / 8000;
    let here = n.tags[tag] > 0;
    let any = n.tags.iter().any(|&c| c > 0);
    let others = n.tags.iter().enumerate().any(|(t, &c)| t != tag && c > 0);
    match (here, others, any) {
        (true, false, _) => base + 75,
        (true, true, _) => base + 50,
        (false, _, false) => base + 25,
        (false, _, true) => base,
    }
}

/// FGD (spec §5.1.4): the node's score and, for sharing pods, the device it would use.
/// `before` is W·F(n) of the node as it is.
pub fn fgd_node_score(ft: &FragTable, n: &NodeState, before: u64, p: &WorkloadPod) -> (u8, u8) {
    let cpu_after = n.cpu_left - p.cpu;
    let mut gpus = n.gpu_left;
    let ng = n.ngpu as usize;
    if p.is_sharing() {
        // Devices in index order; equal free values give equal n', so score each value once.
        let mut seen: [(u16, u8); MAX_GPUS] = [(0, 0); MAX_GPUS];
        let mut nseen = 0;
        let mut best: Option<(u8, u8)> = None;
        for i in 0..ng {
            let f = n.gpu_left[i];
            if u32::from(f) < p.milli {
                continue;
            }
            let s = match seen[..nseen].iter().find(|(v, _)| *v == f) {
                Some(&(_, s)) => s,
                None => {
                    gpus[i] = f - p.milli as u16;
                    let after = ft.node_frag(n.model, cpu_after, &gpus[..ng]);
                    gpus[i] = f;
                    let s = fgd_score(before, after, ft.weight);
                    seen[nseen] = (f, s);
                    nseen += 1;
                    s
                }
            };
            // Replace only on a strictly larger score: the first index with the maximum wins.
            if best.is_none_or(|(bs, _)| s > bs) {
                best = Some((s, i as u8));
            }
        }
        best.unwrap_or((0, 0))
    } else {
        let mut left = p.k;
        for g in gpus[..ng].iter_mut() {
            if left == 0 {
                break;
            }
            if u32::from(*g) == GPU_MILLI && p.milli > 0 {
                *g = 0;
                left -= 1;
            }
        }
        let after = ft.node_frag(n.model, cpu_after, &gpus[..ng]);
        (fgd_score(before, after, ft.weight), 0)
    }
}

#[cfg(test)]
mod tests {
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
}
