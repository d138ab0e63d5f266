//! The memory series against the simulator's OOM rule (review B6). The simulator adds up what
//! the tenants of a time-sliced GPU claim, each its `mem` plus one CUDA context
//! (`model.context_mem_gib`), and marks the newcomer that takes the sum past the GPU's catalog
//! memory to die `oom_after` later (docs/MODEL.md "Memory, OOM and restarts"); a doomed tenant
//! still counts for later newcomers until it dies. The probes of a memory point start `stagger`
//! apart, well inside `oom_after` (30 s), so probe `i` is predicted to fail when
//! `sum of the first i + 1 (allocation + context) > catalog memory`. What happens on a GPU is
//! that the allocation itself fails, at once, and only when the memory really left is short:
//! the row shows both sets and, when every allocation succeeded, the memory each context costs,
//! `(NVML used at most - allocations) / n`. Not when one failed: on an H200 a failing allocation
//! held most of the free memory for a moment before it failed (NVML's maximum was 12.8 and 28 GB
//! above the allocations and contexts, hil/measurements/h200-2026-12-04), so the maximum says
//! nothing about the contexts then.

use crate::hil::measurements::Measurements;
use serde::Serialize;

/// One memory point compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryRow {
    pub gpu_model: String,
    pub source: String,
    pub n: u32,
    /// MiB each probe asked for.
    pub mem_mib: Vec<u64>,
    /// The catalog memory the model uses, MiB.
    pub catalog_mib: f64,
    /// What the model adds per context (`model.context_mem_gib`), MiB.
    pub context_mib: f64,
    /// What NVML reports as the GPU's memory, MiB.
    pub nvml_total_mib: u64,
    /// Probes (by start order) the model says die, and those whose allocation failed.
    pub predicted_oom: Vec<u32>,
    pub observed_oom: Vec<u32>,
    /// Probes that reported nothing (they count as neither).
    pub failed: Vec<u32>,
    pub mem_used_mib_max: Option<u64>,
    /// `(used at most - allocations) / n`, MiB, when every allocation succeeded: each
    /// context's own memory (plus an n-th of what the idle GPU already used).
    pub ctx_overhead_mib: Option<f64>,
    pub pass: bool,
}

/// Probes predicted to die: `i` when the first `i + 1` claims (allocation plus `context_mib`)
/// add up to more than `capacity_mib` (doomed probes still count: they stay `oom_after`).
pub fn predicted_oom(mem_mib: &[u64], context_mib: f64, capacity_mib: f64) -> Vec<u32> {
    let mut sum = 0.0;
    let mut out = Vec::new();
    for (i, m) in mem_mib.iter().enumerate() {
        sum += *m as f64 + context_mib;
        if sum > capacity_mib {
            out.push(i as u32);
        }
    }
    out
}

/// The memory rows of `files`; `capacity_gib` gives the catalog memory of a model, `context_gib`
/// what the model adds per context.
pub fn rows(
    files: &[(String, Measurements)],
    capacity_gib: &dyn Fn(&str) -> Option<f64>,
    context_gib: f64,
) -> (Vec<MemoryRow>, Vec<String>) {
    let context_mib = context_gib * 1024.0;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (name, m) in files {
        let model = &m.gpu.catalog_model;
        for p in m.points.iter().filter(|p| p.kind == "memory") {
            let Some(cap) = capacity_gib(model) else {
                skipped.push(format!("{name}: memory: no catalog memory for {model}"));
                continue;
            };
            let mem_mib: Vec<u64> = p.probes.iter().map(|x| x.mem_mib.unwrap_or(0)).collect();
            // Probes allocate in start order; a start-up slow enough to swap two is named.
            let began: Vec<u64> = p
                .probes
                .iter()
                .filter_map(|x| x.line.as_ref()?.ready_ms)
                .collect();
            if began.windows(2).any(|w| w[1] < w[0]) {
                skipped.push(format!(
                    "{name}: memory n={}: the probes did not allocate in start order (see their \
                     ready_ms); the OOM sets below assume they did",
                    p.n
                ));
            }
            let mut observed = Vec::new();
            let mut failed = Vec::new();
            let mut allocated = 0u64;
            for (i, pr) in p.probes.iter().enumerate() {
                match pr.line.as_ref().and_then(|l| l.alloc_ok) {
                    Some(true) => allocated += mem_mib[i],
                    Some(false) => observed.push(i as u32),
                    None => failed.push(i as u32),
                }
            }
            let catalog_mib = cap * 1024.0;
            let predicted = predicted_oom(&mem_mib, context_mib, catalog_mib);
            let ctx = p
                .samples
                .mem_used_mib_max
                .filter(|&used| {
                    p.n > 0 && failed.is_empty() && observed.is_empty() && used >= allocated
                })
                .map(|used| (used as f64 - allocated as f64) / f64::from(p.n));
            out.push(MemoryRow {
                gpu_model: model.clone(),
                source: name.clone(),
                n: p.n,
                pass: failed.is_empty() && predicted == observed,
                mem_mib,
                catalog_mib,
                context_mib,
                nvml_total_mib: m.gpu.memory_total_mib,
                predicted_oom: predicted,
                observed_oom: observed,
                failed,
                mem_used_mib_max: p.samples.mem_used_mib_max,
                ctx_overhead_mib: ctx,
            });
        }
    }
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_kills_the_newcomer_past_the_catalog_memory() {
        // H200 catalog: 143770 MiB. 3 x 50 GiB (51200 MiB) with no context: 51200, 102400,
        // 153600 > 143770: the third dies. 4 x 34.8 GiB (35635 MiB): 142540 <= 143770: none.
        let cap = 143770.0;
        assert_eq!(predicted_oom(&[51200; 3], 0.0, cap), vec![2]);
        assert_eq!(predicted_oom(&[35635; 4], 0.0, cap), Vec::<u32>::new());
        // With the default context of 0.375 GiB = 384 MiB each claims 36019: 4 x 36019 =
        // 144076 > 143770, so the fourth dies (what the H200 did, h200-2026-12-04).
        assert_eq!(predicted_oom(&[35635; 4], 384.0, cap), vec![3]);
        // A doomed tenant still counts: 100 + 50 > 120 dies, 100 + 50 + 10 > 120 dies too.
        assert_eq!(predicted_oom(&[100, 50, 10], 0.0, 120.0), vec![1, 2]);
        assert_eq!(predicted_oom(&[], 0.0, 1.0), Vec::<u32>::new());
    }

    proptest::proptest! {
        /// With equal requests the model's victims are exactly the probes past the capacity:
        /// `i` dies when `(i + 1) (m + context) > capacity`.
        #[test]
        fn equal_requests_die_from_the_first_that_does_not_fit(
            n in 0usize..12, m in 1u64..100_000, c in 0u64..1024, cap in 0.0f64..1_000_000.0
        ) {
            // Integers, so the running sum and the product are exact in f64.
            let want: Vec<u32> = (0..n as u32)
                .filter(|&i| ((u64::from(i) + 1) * (m + c)) as f64 > cap)
                .collect();
            proptest::prop_assert_eq!(predicted_oom(&vec![m; n], c as f64, cap), want);
        }
    }
}
