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
#[path = "frag_tests.rs"]
mod tests;
