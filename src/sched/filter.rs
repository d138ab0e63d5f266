//! The static filter: which pools a request shape can ever use and what it needs from each.
//!
//! Pools are made of identical nodes, so node selector, taints and the kind of device a pool
//! advertises are decided once per (shape, pool), not per node or per attempt. What is left for
//! run time is whether a node has the free devices right now.

use super::affinity::{check_labels, untolerated};
use crate::cluster::{HostNeed, Need, Pool, PoolKind};
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
        Some(group_reasons(&self.rejected))
    }
}

/// The reasons pools were ruled out, each said once: `pool NAME: why` messages with the same
/// `why` are joined as `pools a, b and 10 more: why`, and a reason without a pool (the same for
/// every pool) appears once. Order: first appearance.
fn group_reasons(rejected: &[String]) -> String {
    /// Pool names listed before "and N more".
    const NAMED: usize = 3;
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in rejected {
        let (pool, why) = match r.strip_prefix("pool ").and_then(|x| x.split_once(": ")) {
            Some((p, w)) => (Some(p), w),
            None => (None, r.as_str()),
        };
        let i = match groups.iter().position(|(w, _)| *w == why) {
            Some(i) => i,
            None => {
                groups.push((why, Vec::new()));
                groups.len() - 1
            }
        };
        if let Some(p) = pool
            && !groups[i].1.contains(&p)
        {
            groups[i].1.push(p);
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(why, pools)| match pools.len() {
            0 => why.to_string(),
            1 => format!("pool {}: {why}", pools[0]),
            n => {
                let named = pools[..n.min(NAMED)].join(", ");
                if n > NAMED {
                    format!("pools {named} and {} more: {why}", n - NAMED)
                } else {
                    format!("pools {named}: {why}")
                }
            }
        })
        .collect();
    parts.join("; ")
}

/// What the pod asks of the scheduler, besides its devices.
pub struct PodSpec<'a> {
    pub request: &'a RequestSpec,
    pub mem_gib: f64,
    pub node_selector: &'a BTreeMap<String, String>,
    pub node_affinity: &'a [NodeSelectorRequirement],
    pub tolerations: &'a [Toleration],
    /// CPU and host memory the pod requests (zero = none).
    pub host: HostNeed,
}

/// Checks one pool; `Ok(need)` when the pod could run there on an empty node.
pub fn check_pool(pool: &Pool, pod: &PodSpec) -> Result<Need, String> {
    check_labels(&pool.labels, pod.node_selector, pod.node_affinity)
        .map_err(|why| format!("pool {}: {why}", pool.name))?;
    check_taints(pool, pod)?;
    if let Some(why) = pool.host.cap.too_small(pod.host) {
        return Err(format!("pool {}: {why}", pool.name));
    }
    device_need(pool, pod)
}

/// The first pool taint the pod does not tolerate, as an error.
#[inline]
fn check_taints(pool: &Pool, pod: &PodSpec) -> Result<(), String> {
    let Some(t) = untolerated(&pool.taints, pod.tolerations) else {
        return Ok(());
    };
    let v = t
        .value
        .as_deref()
        .map(|v| format!("={v}"))
        .unwrap_or_default();
    Err(format!(
        "pool {}: taint {}{v}:{:?} not tolerated",
        pool.name, t.key, t.effect
    ))
}

/// What the pod's device request takes on one node of the pool, by request and pool kind.
fn device_need(pool: &Pool, pod: &PodSpec) -> Result<Need, String> {
    let name = &pool.name;
    let mem = pod.mem_gib;
    match (pod.request, &pool.kind) {
        (RequestSpec::Gpu { count: 0 }, _)
        | (RequestSpec::SharedGpu { count: 0 }, _)
        | (RequestSpec::Milli { count: 0, .. }, _)
        | (RequestSpec::Mig { count: 0, .. }, _) => Ok(Need::Whole { gpus: 0 }),
        (RequestSpec::Gpu { count }, PoolKind::Exclusive) => whole_need(pool, *count, mem),
        (
            RequestSpec::Gpu { count } | RequestSpec::SharedGpu { count },
            PoolKind::TimeSlicing { .. },
        ) => time_sliced_need(pool, pod, *count),
        (RequestSpec::Gpu { count }, PoolKind::Mps { replicas }) => {
            crate::sched::mps::mps_need(pool, *replicas, *count, mem)
        }
        (RequestSpec::SharedGpu { .. }, kind) => Err(format!(
            "pool {name}: requests nvidia.com/gpu.shared but the pool is {} (only time-sliced pools with rename_by_default advertise it)",
            kind.label()
        )),
        (
            RequestSpec::Gpu { count },
            PoolKind::Mig {
                strategy: MigStrategy::Single,
                ..
            },
        ) => mig_single_need(pool, *count, mem),
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
                ..
            },
        ) => mig_mixed_need(pool, profile, *count, mem),
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

/// "needs X GiB but a <model> has Y GiB": the pod's memory does not fit one whole GPU.
#[inline]
fn bigger_than_gpu(pool: &Pool, mem: f64) -> String {
    format!(
        "pool {}: needs {mem} GiB but a {} has {} GiB",
        pool.name, pool.model.name, pool.model.memory_gib
    )
}

/// Whole GPUs on an exclusive pool.
fn whole_need(pool: &Pool, count: u32, mem: f64) -> Result<Need, String> {
    let per_node = pool.gpus_per_node;
    if count > per_node {
        return Err(format!(
            "pool {}: requests {count} GPUs but nodes have {per_node}",
            pool.name
        ));
    }
    if mem > pool.model.memory_gib {
        return Err(bigger_than_gpu(pool, mem));
    }
    Ok(Need::Whole { gpus: count })
}

/// Replicas on a time-sliced pool: the resource name must match what the device plugin
/// advertises (`nvidia.com/gpu` or, with rename_by_default, `nvidia.com/gpu.shared`).
fn time_sliced_need(pool: &Pool, pod: &PodSpec, count: u32) -> Result<Need, String> {
    let PoolKind::TimeSlicing {
        replicas,
        fail_requests_greater_than_one,
        rename_by_default,
        ..
    } = &pool.kind
    else {
        unreachable!("time_sliced_need on a time-sliced pool only")
    };
    let name = &pool.name;
    let per_node = pool.gpus_per_node;
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
    if *fail_requests_greater_than_one && count > 1 {
        return Err(format!(
            "pool {name}: requests {count} shared GPUs and the device plugin fails requests greater than one"
        ));
    }
    // Wide arithmetic: 536 870 913 replicas x 8 GPUs wraps a u32 to 8.
    let per_node_replicas = u64::from(*replicas) * u64::from(per_node);
    if u64::from(count) > per_node_replicas {
        return Err(format!(
            "pool {name}: requests {count} replicas but nodes have {per_node_replicas}"
        ));
    }
    if pod.mem_gib > pool.model.memory_gib {
        return Err(bigger_than_gpu(pool, pod.mem_gib));
    }
    Ok(Need::Replicas { n: count })
}

/// `nvidia.com/gpu` on a MIG single-strategy pool: every instance counts as a GPU, which
/// only works when the layout has one profile.
fn mig_single_need(pool: &Pool, count: u32, mem: f64) -> Result<Need, String> {
    let PoolKind::Mig {
        profiles,
        instances,
        ..
    } = &pool.kind
    else {
        unreachable!("mig_single_need on a MIG pool only")
    };
    if profiles.len() != 1 {
        return Err(format!(
            "pool {}: MIG single strategy with mixed profiles ({}) advertises 0 GPUs",
            pool.name,
            profiles.join(", ")
        ));
    }
    mig_need(pool, 0, count, mem, instances.len() as u32)
}

/// Instances of one named profile on a MIG mixed-strategy pool.
fn mig_mixed_need(pool: &Pool, profile: &str, count: u32, mem: f64) -> Result<Need, String> {
    let PoolKind::Mig {
        profiles,
        instances,
        ..
    } = &pool.kind
    else {
        unreachable!("mig_mixed_need on a MIG pool only")
    };
    let wanted = profile.strip_prefix("mig-").unwrap_or(profile);
    match profiles.iter().position(|p| p.eq_ignore_ascii_case(wanted)) {
        Some(kind) => {
            let per_gpu = instances.iter().filter(|i| i.kind == kind).count() as u32;
            mig_need(pool, kind, count, mem, per_gpu)
        }
        None => Err(format!(
            "pool {}: layout has no {wanted} instance (has {})",
            pool.name,
            profiles.join(", ")
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

#[cfg(test)]
mod tests;
