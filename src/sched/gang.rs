//! Gang jobs: N pods of the same request, admitted all or nothing in one pool (docs/MODEL.md,
//! "Gang jobs"). Pure decisions: where a gang can ever go, and where it goes now.
//!
//! Pods are laid out node by node in the placement policy's node order ([`PlacementPolicy::pick`]):
//! each node offered takes as many of the remaining pods as fit on it together (a node with
//! room for c pods of k devices is asked for c·k), until every pod has a place. If the pool runs
//! out of nodes first, nothing is placed.

use super::filter::ShapeFit;
use super::policy::{PlaceCtx, PlacementPolicy};
use crate::cluster::{Holding, HostNeed, Need, Pool};

/// `c` pods of `need` on one node, asked as one request: c·k whole GPUs, replicas or instances,
/// or `milli` on c·k distinct GPUs.
pub fn scaled(need: &Need, c: u32) -> Need {
    match need {
        Need::Whole { gpus } => Need::Whole {
            gpus: gpus.saturating_mul(c),
        },
        Need::Replicas { n } => Need::Replicas {
            n: n.saturating_mul(c),
        },
        Need::Instances { kind, n } => Need::Instances {
            kind: *kind,
            n: n.saturating_mul(c),
        },
        Need::Milli { milli, gpus, mem } => Need::Milli {
            milli: *milli,
            gpus: gpus.saturating_mul(c),
            mem: *mem,
        },
    }
}

/// Pods of `need` (each also asking for `host` CPU and memory) an empty node of `pool` holds
/// at most.
pub fn pods_per_node(pool: &Pool, need: &Need, host: HostNeed) -> u32 {
    let by_devices = match need {
        // Each pod's share sits on distinct GPUs (see `scaled`).
        Need::Milli { gpus, .. } => pool.gpus_per_node / (*gpus).max(1),
        _ => {
            let per_node = pool.kind.units_per_gpu(need.index()) * pool.gpus_per_node;
            per_node / need.units().max(1)
        }
    };
    by_devices.min(host.pods_within(pool.host.cap))
}

/// A gang of `pods` pods, each asking for `host` CPU and memory, keeps only the pools whose
/// nodes could ever hold all its pods at once (all nodes present and empty); the others are
/// ruled out with the reason. `pods` ≤ 1: `fit` unchanged.
pub fn gang_fit(mut fit: ShapeFit, pools: &[Pool], pods: u32, host: HostNeed) -> ShapeFit {
    if pods <= 1 {
        return fit;
    }
    let room = |pool: &Pool, need: &Need| {
        u64::from(pods_per_node(pool, need, host)) * u64::from(pool.node_count)
    };
    for fp in &fit.pools {
        let pool = &pools[fp.pool as usize];
        let most = room(pool, &fp.need);
        if most < u64::from(pods) {
            fit.rejected.push(format!(
                "pool {}: a gang of {pods} pods needs room for all of them at once; its {} nodes hold at most {most}",
                pool.name, pool.node_count
            ));
        }
    }
    fit.pools
        .retain(|fp| room(&pools[fp.pool as usize], &fp.need) >= u64::from(pods));
    fit
}

/// The devices of all `pods` pods of `ctx.need` in `ctx.pool`, placed together, or None when
/// they do not all fit now. Nothing is changed: a what-if over the cluster as it is.
pub fn place_gang(policy: &dyn PlacementPolicy, ctx: &PlaceCtx, pods: u32) -> Option<Vec<Holding>> {
    let pool = &ctx.cluster.pools[ctx.pool as usize];
    let free = &pool.free[ctx.need.index()];
    let units = ctx.need.units().max(1);
    let mut left = pods;
    let mut holdings = Vec::new();
    policy.pick(free, units, &mut |node| {
        // As many of the remaining pods as this node takes together.
        let most = left.min(free.free(node) / units).max(1);
        for c in (1..=most).rev() {
            // The c pods' CPU and memory must fit the node too (NodeResourcesFit per pod).
            if !pool.host.fits(node, ctx.host.times(c)) {
                continue;
            }
            if let Some(h) = ctx
                .cluster
                .fit_on_node(ctx.pool, node, &scaled(ctx.need, c))
            {
                holdings.extend(h);
                left -= c;
                break;
            }
        }
        left == 0
    })?;
    Some(holdings)
}
