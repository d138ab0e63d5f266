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
#[path = "policy_tests.rs"]
mod tests;
