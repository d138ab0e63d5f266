//! Size limits of every input, in one place (docs/SCENARIO.md "Limits", docs/TRACE.md
//! "Limits"). A declared size (a node count, a rate, a time span, a range of seeds) is checked
//! against these before anything is allocated for it, and a refusal names the field, the value
//! and the limit ([`exceeds`]). Memory then stays proportional to what is simulated, never to a
//! declared count or a time span alone.
//!
//! The limits are far above real clusters and traces (the largest published GPU traces have a
//! few thousand nodes, a few million jobs and span months) and far below what exhausts a
//! machine: each is a few GB at most.
//!
//! A leaf module with no dependencies: every layer may use it.

/// Nodes of one pool (also the target of a `resize` event and the nodes of one imported pool).
pub const MAX_NODES: u64 = 100_000;

/// GPUs of one node (`gpus_per_node`, the `nvidia.com/gpu.count` label, an openb node's GPUs).
pub const MAX_GPUS_PER_NODE: u64 = 64;

/// GPUs of the whole cluster: the sum over pools of nodes x GPUs per node (at the largest size
/// a `resize` event gives the pool).
pub const MAX_GPUS: u64 = 1_000_000;

/// Time-slicing replicas of one GPU (`sharing.replicas`), and the service replicas of an
/// Azure LLM mapping (`map.azure_llm.replicas`).
pub const MAX_REPLICAS: u64 = 1_024;

/// Pods of one gang job (`NxK` in a native trace's `gpus`, `pods` of a mix entry). Far above
/// the widest jobs of public traces (Philly: 128 GPUs, 16 pods of 8).
pub const MAX_PODS: u32 = 10_000;

/// Jobs of one run: the expected arrivals of a synthetic workload (rate x span, or `max_jobs`),
/// with `--scale` applied; also the jobs `trace generate` writes. A job that waits takes about
/// 600 bytes (500 000 waiting jobs: 305 MB resident), so this is about 3 GB at worst.
pub const MAX_JOBS: u64 = 5_000_000;

/// Longest simulated time: a scenario's `horizon`, a synthetic `span`, `trace generate --span`
/// (ms; 20 years).
pub const MAX_SPAN_MS: u64 = 20 * 365 * 86_400_000;

/// Longest time a trace may span from its first to its last row (ms; 20 years): a row dated
/// `9999-12-31` or `0023-11-16` in a 2023 trace is refused instead of stretching the run.
pub const MAX_TRACE_SPAN_MS: u64 = MAX_SPAN_MS;

/// Load steps (duty-cycle changes) over all the service jobs an Azure LLM import makes
/// (steps per replica x replicas).
pub const MAX_LOAD_STEPS: u64 = 50_000_000;

/// Seeds of one `experiment fgd` (and runs: workloads x policies x seeds).
pub const MAX_SEEDS: u64 = 100_000;

/// `experiment fgd --tune`: the workload's GPU request as a multiple of the cluster's capacity.
pub const MAX_TUNE: f64 = 100.0;

/// Worker threads of `experiment fgd --threads`.
pub const MAX_THREADS: u64 = 1_024;

/// The message of a refused size: `FIELD is VALUE, more than the limit of LIMIT`.
pub fn exceeds(
    field: &str,
    value: impl std::fmt::Display,
    limit: impl std::fmt::Display,
) -> String {
    format!("{field} is {value}, more than the limit of {limit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_field_value_and_limit() {
        assert_eq!(
            exceeds("nodes", 1_000_000_000u64, MAX_NODES),
            "nodes is 1000000000, more than the limit of 100000"
        );
    }

    #[test]
    fn the_limits_fit_the_counters_that_hold_them() {
        // Whole-cluster replica slots are u32 in the scheduler: 1e6 GPUs x 1024 replicas =
        // 1.024e9 < 2^32 = 4.29e9.
        assert!(MAX_GPUS * MAX_REPLICAS < u64::from(u32::MAX));
        // 20 years in ms = 6.3e11 ms, well inside i64/u64 time arithmetic.
        assert_eq!(MAX_SPAN_MS, 630_720_000_000);
    }
}
