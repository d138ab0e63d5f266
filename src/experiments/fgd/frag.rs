//! The typical-pod distribution and GPU fragmentation (spec §5.1.1-§5.1.3).
//!
//! Fragmentation of node n with respect to a pod class c is the free GPU milli of n that c could
//! not use: all of it when c cannot run on n at all, or only the devices too small for c when it
//! can. A node's fragmentation F(n) is the expectation over the typical classes,
//! Σ_c p_c · frag_c(n), with p_c = count_c / W and W the number of pods in the typical set.
//!
//! To keep sums exact (the cluster total is updated incrementally over ~10k placements) the code
//! works with the *scaled* fragmentation W · F(n) = Σ_c count_c · frag_c(n), an integer;
//! F(n) itself is `scaled / W`.

use super::model::{GPU_MILLI, MAX_GPUS, Models, NodeState, WorkloadPod};
use std::collections::BTreeMap;

/// One class of the typical set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypicalClass {
    pub cpu: u64,
    /// Per-GPU milli; 0 for a CPU-only class.
    pub milli: u32,
    pub k: u32,
    /// The raw type constraint (empty = any).
    pub spec: String,
    /// Models the constraint accepts.
    pub types: u64,
    pub count: u64,
}

/// The typical-pod distribution of a workload (spec §5.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typical {
    /// The typical classes, most popular first.
    pub classes: Vec<TypicalClass>,
    /// Distinct classes in the workload.
    pub all_classes: usize,
    /// Pods in the workload.
    pub pods: u64,
}

/// Share of pods (in %) the typical set must cover.
pub const POPULARITY_THRESHOLD_PCT: u64 = 95;

impl Typical {
    /// Classes by (cpu, milli, k, constraint) of the original (untuned) pods, most popular
    /// first (equal counts: larger key first), taken until they cover at least
    /// `threshold_pct` % of the pods.
    pub fn from_pods(pods: &[WorkloadPod], threshold_pct: u64) -> Typical {
        let mut counts: BTreeMap<(u64, u32, u32, &str), (u64, u64)> = BTreeMap::new();
        for p in pods {
            let e = counts
                .entry((p.cpu, p.milli, p.k, p.spec.as_str()))
                .or_insert((0, p.types));
            e.0 += 1;
        }
        let all_classes = counts.len();
        let mut sorted: Vec<_> = counts.into_iter().collect();
        // Count descending, then key descending (cpu, milli, k, constraint string).
        sorted.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| b.0.cmp(&a.0)));
        let n = pods.len() as u64;
        let mut covered = 0u64;
        let mut classes = Vec::new();
        for ((cpu, milli, k, spec), (count, types)) in sorted {
            if covered * 100 >= threshold_pct * n {
                break;
            }
            covered += count;
            classes.push(TypicalClass {
                cpu,
                milli,
                k,
                spec: spec.to_string(),
                types,
                count,
            });
        }
        Typical {
            classes,
            all_classes,
            pods: n,
        }
    }

    /// W: the pods of the typical set (the denominator of every p_c).
    pub fn weight(&self) -> u64 {
        self.classes.iter().map(|c| c.count).sum()
    }

    /// Share of the workload's pods the typical set covers.
    pub fn coverage(&self) -> f64 {
        self.weight() as f64 / self.pods.max(1) as f64
    }
}

/// Why a class counts (part of) a node's free GPU as fragment (spec §5.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// CPU-only class, the node has the CPU: all free GPU is fragment.
    Xl,
    /// CPU-only class, the node lacks the CPU: all free GPU is fragment.
    Xr,
    /// The node's model is not acceptable: all free GPU is fragment.
    NoAccess,
    /// The class could run: only devices with less free milli than it needs are fragment.
    Q3,
    /// GPU fits, CPU short: all free GPU is fragment.
    Q4,
    /// GPU does not fit, CPU fits: all free GPU is fragment.
    Q2,
    /// Neither fits: all free GPU is fragment.
    Q1,
}

/// Category and fragment (milli) of `node` with respect to class `c`: the reference definition,
/// written for clarity; [`FragTable::node_frag`] is the fast equivalent.
pub fn classify(c: &TypicalClass, node: &NodeState) -> (Category, u32) {
    let l = node.gpu_free();
    if c.milli == 0 {
        let cat = if node.cpu_left >= c.cpu {
            Category::Xl
        } else {
            Category::Xr
        };
        return (cat, l);
    }
    if node.ngpu == 0 || c.types & (1u64 << (node.model & 63)) == 0 {
        return (Category::NoAccess, l);
    }
    let g = node
        .gpus()
        .iter()
        .filter(|&&x| u32::from(x) >= c.milli)
        .count() as u32;
    let gpu_fits = g >= c.k;
    let cpu_fits = node.cpu_left >= c.cpu;
    match (gpu_fits, cpu_fits) {
        (true, true) => {
            let small = node
                .gpus()
                .iter()
                .map(|&x| u32::from(x))
                .filter(|&x| x < c.milli)
                .sum();
            (Category::Q3, small)
        }
        (true, false) => (Category::Q4, l),
        (false, true) => (Category::Q2, l),
        (false, false) => (Category::Q1, l),
    }
}

/// A GPU class as the fast path sees it: classes with the same (cpu, milli, k) merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FastClass {
    milli: u32,
    k: u32,
    cpu: u64,
    w: u64,
}

/// Per GPU model: the weight that always counts all free GPU, and the accessible GPU classes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ModelTable {
    /// Σ count over CPU-only classes and classes that do not accept the model.
    all: u64,
    /// Accessible GPU classes, by milli ascending.
    classes: Vec<FastClass>,
}

/// The typical distribution compiled per GPU model for fast node fragmentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragTable {
    models: Vec<ModelTable>,
    /// W (see the module docs).
    pub weight: u64,
}

impl FragTable {
    pub fn new(t: &Typical, models: &Models) -> FragTable {
        let weight = t.weight();
        let tables = (0..models.names.len())
            .map(|m| {
                let bit = 1u64 << m;
                let mut all = 0;
                let mut merged: BTreeMap<(u32, u32, u64), u64> = BTreeMap::new();
                for c in &t.classes {
                    if c.milli == 0 || c.types & bit == 0 {
                        all += c.count;
                    } else {
                        *merged.entry((c.milli, c.k, c.cpu)).or_default() += c.count;
                    }
                }
                ModelTable {
                    all,
                    classes: merged
                        .into_iter()
                        .map(|((milli, k, cpu), w)| FastClass { milli, k, cpu, w })
                        .collect(),
                }
            })
            .collect();
        FragTable {
            models: tables,
            weight,
        }
    }

    /// W · F(n) for a node of `model` with `cpu_left` and free milli `gpus` (any order).
    pub fn node_frag(&self, model: u8, cpu_left: u64, gpus: &[u16]) -> u64 {
        let Some(t) = self.models.get(model as usize) else {
            return 0; // a node without GPUs has no free GPU to fragment
        };
        let n = gpus.len();
        let mut s = [0u16; MAX_GPUS];
        s[..n].copy_from_slice(gpus);
        let s = &mut s[..n];
        s.sort_unstable();
        // prefix[i] = Σ s[..i]
        let mut prefix = [0u64; MAX_GPUS + 1];
        for i in 0..n {
            prefix[i + 1] = prefix[i] + u64::from(s[i]);
        }
        let l = prefix[n];
        if l == 0 {
            return 0;
        }
        let mut f = t.all * l;
        let mut idx = 0; // first device (sorted) with free >= the class's milli
        for c in &t.classes {
            while idx < n && u32::from(s[idx]) < c.milli {
                idx += 1;
            }
            let fits = (n - idx) as u32 >= c.k && cpu_left >= c.cpu;
            f += c.w * if fits { prefix[idx] } else { l };
        }
        f
    }

    /// W · F(n) of a node state.
    pub fn of(&self, n: &NodeState) -> u64 {
        self.node_frag(n.model, n.cpu_left, n.gpus())
    }
}

/// The FGD score of a fragmentation change: trunc(100 · σ(ΔF / 1000)) with ΔF = F(n) − F(n')
/// in milli-GPU (positive when placing reduces fragmentation).
pub fn fgd_score(before_scaled: u64, after_scaled: u64, weight: u64) -> u8 {
    let d = (before_scaled as f64 - after_scaled as f64) / weight as f64;
    let s = 1.0 / (1.0 + (-d / f64::from(GPU_MILLI)).exp());
    (100.0 * s) as u8
}

#[cfg(test)]
mod tests {
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
}
