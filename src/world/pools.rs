//! Pools as a scenario defines them: their sharing state (MIG layouts solved), labels, prices,
//! and what they become after a scheduled reconfiguration.

use crate::catalog::{Catalog, GpuModel, solve};
use crate::cluster::{MigInstance, Pool, PoolDef, PoolKind};
use crate::domain::{MigStrategy, Sharing};
use crate::scenario::schema::{PoolSpec, Scenario, TimedEvent};
use std::collections::BTreeMap;

/// Scenario prices keyed by the catalog's spelling of each model name (lookups ignore case).
pub fn canonical_prices(sc: &Scenario, catalog: &Catalog) -> BTreeMap<String, f64> {
    sc.prices
        .per_gpu_hour
        .iter()
        .filter_map(|(k, v)| catalog.get(k).map(|m| (m.name.clone(), *v)))
        .collect()
}

/// A pool as the cluster builds it: price, node capacity for later resizes, and the labels the
/// NVIDIA GPU operator puts on MIG `single` nodes (`nvidia.com/gpu.product` with the MIG
/// suffix and `mig-profile`) unless the scenario sets them.
pub fn pool_def(
    sc: &Scenario,
    p: &PoolSpec,
    model: &GpuModel,
    kind: PoolKind,
    prices: &BTreeMap<String, f64>,
) -> PoolDef {
    let price = prices
        .get(&model.name)
        .copied()
        .unwrap_or(model.price_per_hour);
    let node_count = sc
        .events
        .iter()
        .filter_map(|e| match e {
            TimedEvent::Resize { pool, nodes, .. } if *pool == p.name => Some(*nodes),
            _ => None,
        })
        .fold(p.nodes, u32::max);
    let labels = effective_labels(&p.labels, model, &kind);
    PoolDef {
        name: p.name.clone(),
        model: model.clone(),
        price,
        labels,
        spec_labels: p.labels.clone(),
        taints: p.taints.clone(),
        kind,
        node_count,
        gpus_per_node: p.gpus_per_node,
        present: p.nodes,
        host: crate::cluster::HostCapacity {
            cpu_milli: p.cpu.map(|c| c.0),
            mem_bytes: p.memory.map(|m| m.0),
        },
    }
}

/// A pool's node labels: the scenario's, plus what the GPU operator sets on MIG `single` nodes
/// (`mig-profile` and `nvidia.com/gpu.product` with the MIG suffix) unless the scenario sets them.
pub fn effective_labels(
    labels: &BTreeMap<String, String>,
    model: &GpuModel,
    kind: &PoolKind,
) -> BTreeMap<String, String> {
    let mut labels = labels.clone();
    if let PoolKind::Mig {
        strategy: MigStrategy::Single,
        profiles,
        ..
    } = kind
        && let [profile] = profiles.as_slice()
    {
        labels
            .entry("mig-profile".into())
            .or_insert_with(|| profile.clone());
        labels
            .entry("nvidia.com/gpu.product".into())
            .or_insert_with(|| format!("{}-MIG-{profile}", model.name));
    }
    labels
}

/// What `pool` will look like to the scheduler after being re-partitioned to `sharing` (kind
/// and labels; the GPUs' state is not copied).
pub fn reconfigured(pool: &Pool, sharing: &Sharing) -> Result<Pool, String> {
    let kind = pool_kind(&pool.model, sharing)?;
    let mut p = pool.clone();
    p.labels = effective_labels(&p.spec_labels, &p.model, &kind);
    p.kind = kind;
    Ok(p)
}

/// Pools as the scenario's reconfigurations will make them, one list per reconfiguration:
/// a request that fits none of today's pools may fit one of these later.
pub fn future_pools<'a>(
    pools: &'a [Pool],
    events: &'a [TimedEvent],
    pool_ix: impl Fn(&str) -> Option<u32> + 'a,
) -> impl Iterator<Item = Vec<Pool>> + 'a {
    events.iter().filter_map(move |e| match e {
        TimedEvent::Reconfigure { pool, sharing, .. } => {
            let ix = pool_ix(pool)? as usize;
            let changed = reconfigured(&pools[ix], sharing).ok()?;
            let mut all = pools.to_vec();
            all[ix] = changed;
            Some(all)
        }
        _ => None,
    })
}

/// The pool's sharing state, with MIG placements solved by the catalog's rules.
pub fn pool_kind(model: &GpuModel, sharing: &Sharing) -> Result<PoolKind, String> {
    Ok(match sharing {
        Sharing::Exclusive => PoolKind::Exclusive,
        Sharing::Fractional => PoolKind::Fractional,
        Sharing::Mps { replicas } => PoolKind::Mps {
            replicas: *replicas,
        },
        Sharing::TimeSlicing {
            replicas,
            rename_by_default,
            fail_requests_greater_than_one,
            allocation,
        } => PoolKind::TimeSlicing {
            replicas: *replicas,
            allocation: *allocation,
            rename_by_default: *rename_by_default,
            fail_requests_greater_than_one: *fail_requests_greater_than_one,
        },
        Sharing::Mig {
            strategy,
            layout,
            replicas,
        } => {
            let names: Vec<&str> = layout.iter().map(String::as_str).collect();
            let placements = solve(model, &names).map_err(|e| e.to_string())?;
            let mut profiles: Vec<String> = Vec::new();
            let mut instances = Vec::new();
            for pl in placements {
                let prof = &model.mig_profiles[pl.profile];
                let kind = match profiles.iter().position(|p| *p == prof.name) {
                    Some(k) => k,
                    None => {
                        profiles.push(prof.name.clone());
                        profiles.len() - 1
                    }
                };
                // A time-sliced instance is listed once per replica (see MigInstance::group).
                let copies = replicas.get(&prof.name).copied().unwrap_or(1).max(1);
                let group = instances.len() as u16;
                for _ in 0..copies {
                    instances.push(MigInstance {
                        profile: prof.name.clone(),
                        start: pl.start,
                        compute_slices: prof.compute_slices,
                        mem_slices: prof.mem_slices,
                        sm_fraction: f64::from(prof.sms) / f64::from(model.sms),
                        mem_gib: prof.mem_gib,
                        kind,
                        replicas: copies,
                        group,
                    });
                }
            }
            PoolKind::Mig {
                strategy: *strategy,
                instances,
                profiles,
            }
        }
    })
}
