//! The static filter: which pools a request shape can ever use and what it needs from each.
//!
//! Pools are made of identical nodes, so node selector, taints and the kind of device a pool
//! advertises are decided once per (shape, pool), not per node or per attempt. What is left for
//! run time is whether a node has the free devices right now.

use super::affinity::{check_labels, untolerated};
use crate::cluster::{Need, Pool, PoolKind};
use crate::domain::{MigStrategy, NodeSelectorRequirement, RequestSpec, Toleration};
use std::collections::BTreeMap;

/// A pool a shape can use: its number, what the pod needs there, and its position in the
/// class's preference list (fallback waits count positions in that list).
#[derive(Clone, Debug, PartialEq)]
pub struct FitPool {
    pub pool: u32,
    pub need: Need,
    pub rank: usize,
}

/// Where a shape may run, in preference order, and why the other pools were ruled out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShapeFit {
    pub pools: Vec<FitPool>,
    pub rejected: Vec<String>,
}

impl ShapeFit {
    /// The reason the shape can never run, if no pool accepts it.
    pub fn unschedulable_reason(&self) -> Option<String> {
        if !self.pools.is_empty() {
            return None;
        }
        if self.rejected.is_empty() {
            return Some("no pools".into());
        }
        Some(self.rejected.join("; "))
    }
}

/// What the pod asks of the scheduler, besides its devices.
pub struct PodSpec<'a> {
    pub request: &'a RequestSpec,
    pub mem_gib: f64,
    pub node_selector: &'a BTreeMap<String, String>,
    pub node_affinity: &'a [NodeSelectorRequirement],
    pub tolerations: &'a [Toleration],
}

/// Checks one pool; `Ok(need)` when the pod could run there on an empty node.
pub fn check_pool(pool: &Pool, pod: &PodSpec) -> Result<Need, String> {
    let name = &pool.name;
    check_labels(&pool.labels, pod.node_selector, pod.node_affinity)
        .map_err(|why| format!("pool {name}: {why}"))?;
    if let Some(t) = untolerated(&pool.taints, pod.tolerations) {
        let v = t
            .value
            .as_deref()
            .map(|v| format!("={v}"))
            .unwrap_or_default();
        return Err(format!(
            "pool {name}: taint {}{v}:{:?} not tolerated",
            t.key, t.effect
        ));
    }
    let gpu_mem = pool.model.memory_gib;
    let per_node = pool.gpus_per_node;
    let mem = pod.mem_gib;
    let too_big = |what: &str, have: f64| {
        Err(format!(
            "pool {name}: needs {mem} GiB but {what} has {have} GiB"
        ))
    };
    match (pod.request, &pool.kind) {
        (RequestSpec::Gpu { count: 0 }, _)
        | (RequestSpec::SharedGpu { count: 0 }, _)
        | (RequestSpec::Milli { count: 0, .. }, _)
        | (RequestSpec::Mig { count: 0, .. }, _) => {
            Err("requests no GPU (CPU-only pods are not modeled)".into())
        }
        (RequestSpec::Gpu { count }, PoolKind::Exclusive) => {
            if *count > per_node {
                return Err(format!(
                    "pool {name}: requests {count} GPUs but nodes have {per_node}"
                ));
            }
            if mem > gpu_mem {
                return too_big(&format!("a {}", pool.model.name), gpu_mem);
            }
            Ok(Need::Whole { gpus: *count })
        }
        (
            RequestSpec::Gpu { count } | RequestSpec::SharedGpu { count },
            PoolKind::TimeSlicing {
                replicas,
                fail_requests_greater_than_one,
                rename_by_default,
                ..
            },
        ) => {
            let asks_shared = matches!(pod.request, RequestSpec::SharedGpu { .. });
            if asks_shared != *rename_by_default {
                let (adv, asked) = if *rename_by_default {
                    (
                        "nvidia.com/gpu.shared (rename_by_default)",
                        "nvidia.com/gpu",
                    )
                } else {
                    ("nvidia.com/gpu", "nvidia.com/gpu.shared")
                };
                return Err(format!("pool {name}: advertises {adv}, not {asked}"));
            }
            if *fail_requests_greater_than_one && *count > 1 {
                return Err(format!(
                    "pool {name}: requests {count} shared GPUs and the device plugin fails requests greater than one"
                ));
            }
            if *count > replicas * per_node {
                return Err(format!(
                    "pool {name}: requests {count} replicas but nodes have {}",
                    replicas * per_node
                ));
            }
            if mem > gpu_mem {
                return too_big(&format!("a {}", pool.model.name), gpu_mem);
            }
            Ok(Need::Replicas { n: *count })
        }
        (RequestSpec::SharedGpu { .. }, kind) => Err(format!(
            "pool {name}: requests nvidia.com/gpu.shared but the pool is {} (only time-sliced pools with rename_by_default advertise it)",
            kind.label()
        )),
        (
            RequestSpec::Gpu { count },
            PoolKind::Mig {
                strategy: MigStrategy::Single,
                instances,
                profiles,
            },
        ) => {
            if profiles.len() != 1 {
                return Err(format!(
                    "pool {name}: MIG single strategy with mixed profiles ({}) advertises 0 GPUs",
                    profiles.join(", ")
                ));
            }
            mig_need(pool, 0, *count, mem, instances.len() as u32)
        }
        (
            RequestSpec::Gpu { .. },
            PoolKind::Mig {
                strategy: MigStrategy::Mixed,
                ..
            },
        ) => Err(format!(
            "pool {name}: MIG mixed strategy advertises nvidia.com/mig-<profile>, not nvidia.com/gpu"
        )),
        (RequestSpec::Gpu { count }, PoolKind::Fractional) => {
            fractional_need(pool, 1000, *count, mem)
        }
        (
            RequestSpec::Mig { profile, count },
            PoolKind::Mig {
                strategy: MigStrategy::Mixed,
                profiles,
                instances,
            },
        ) => {
            let wanted = profile.strip_prefix("mig-").unwrap_or(profile);
            match profiles.iter().position(|p| p.eq_ignore_ascii_case(wanted)) {
                Some(kind) => {
                    let per_gpu = instances.iter().filter(|i| i.kind == kind).count() as u32;
                    mig_need(pool, kind, *count, mem, per_gpu)
                }
                None => Err(format!(
                    "pool {name}: layout has no {wanted} instance (has {})",
                    profiles.join(", ")
                )),
            }
        }
        (
            RequestSpec::Mig { profile, .. },
            PoolKind::Mig {
                strategy: MigStrategy::Single,
                ..
            },
        ) => Err(format!(
            "pool {name}: MIG single strategy advertises nvidia.com/gpu, not nvidia.com/mig-{profile}"
        )),
        (RequestSpec::Mig { profile, .. }, kind) => Err(format!(
            "pool {name}: requests nvidia.com/mig-{profile} but the pool is {}",
            kind.label()
        )),
        (RequestSpec::Milli { milli, count }, PoolKind::Fractional) => {
            fractional_need(pool, *milli, *count, mem)
        }
        (RequestSpec::Milli { .. }, kind) => Err(format!(
            "pool {name}: requests a milli-GPU share but the pool is {}",
            kind.label()
        )),
    }
}

fn mig_need(pool: &Pool, kind: usize, count: u32, mem: f64, per_gpu: u32) -> Result<Need, String> {
    let PoolKind::Mig {
        instances,
        profiles,
        ..
    } = &pool.kind
    else {
        unreachable!("mig_need on a MIG pool only")
    };
    let have = per_gpu * pool.gpus_per_node;
    if count > have {
        return Err(format!(
            "pool {}: requests {count} {} instances but nodes have {have}",
            pool.name, profiles[kind]
        ));
    }
    let inst_mem = instances
        .iter()
        .find(|i| i.kind == kind)
        .map_or(0.0, |i| i.mem_gib);
    if mem > inst_mem {
        return Err(format!(
            "pool {}: needs {mem} GiB but a {} instance has {inst_mem} GiB",
            pool.name, profiles[kind]
        ));
    }
    Ok(Need::Instances { kind, n: count })
}

fn fractional_need(pool: &Pool, milli: u32, count: u32, mem: f64) -> Result<Need, String> {
    if milli == 0 || milli > 1000 {
        return Err(format!(
            "pool {}: a milli share must be 1..=1000, got {milli}",
            pool.name
        ));
    }
    if count > pool.gpus_per_node {
        return Err(format!(
            "pool {}: requests {count} GPUs but nodes have {}",
            pool.name, pool.gpus_per_node
        ));
    }
    if mem > pool.model.memory_gib {
        return Err(format!(
            "pool {}: needs {mem} GiB but a {} has {} GiB",
            pool.name, pool.model.name, pool.model.memory_gib
        ));
    }
    Ok(Need::Milli {
        milli,
        gpus: count,
        mem,
    })
}

/// Resolves a shape against `candidates` (pool numbers in preference order).
pub fn fit_shape(pools: &[Pool], candidates: &[u32], pod: &PodSpec) -> ShapeFit {
    let mut fit = ShapeFit::default();
    for (rank, &p) in candidates.iter().enumerate() {
        match check_pool(&pools[p as usize], pod) {
            Ok(need) => fit.pools.push(FitPool {
                pool: p,
                need,
                rank,
            }),
            Err(why) => fit.rejected.push(why),
        }
    }
    fit
}
