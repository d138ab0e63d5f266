//! Size limits of the cluster and the run (`crate::limits`), checked before anything is built
//! for them: a pool of 10^9 nodes is refused here instead of exhausting memory in the world.

use super::Checker;
use crate::domain::Sharing;
use crate::limits::{MAX_GPUS, MAX_GPUS_PER_NODE, MAX_NODES, MAX_REPLICAS, MAX_SPAN_MS, exceeds};
use crate::scenario::locate::FieldPath;
use crate::scenario::schema::{PoolSpec, Scenario, TimedEvent};

/// The horizon is at most [`MAX_SPAN_MS`].
pub(super) fn check_horizon(ck: &mut Checker, sc: &Scenario) {
    if sc.horizon.ms() > MAX_SPAN_MS {
        let limit = crate::units::Dur(MAX_SPAN_MS);
        ck.error(
            &FieldPath::root().key("horizon"),
            exceeds("horizon", sc.horizon, limit),
        );
    }
}

/// The pool's nodes, GPUs per node and replicas within their limits; false if one is not (the
/// pool then joins no cluster). A resize of the pool beyond [`MAX_NODES`] also keeps it out
/// (the event reports it).
pub(super) fn pool_within_limits(
    ck: &mut Checker,
    sc: &Scenario,
    p: &PoolSpec,
    path: &FieldPath,
) -> bool {
    let mut ok = resized_nodes(sc, p).all(|n| u64::from(n) <= MAX_NODES);
    if u64::from(p.nodes) > MAX_NODES {
        ck.error(&path.key("nodes"), exceeds("nodes", p.nodes, MAX_NODES));
        ok = false;
    }
    if u64::from(p.gpus_per_node) > MAX_GPUS_PER_NODE {
        ck.error(
            &path.key("gpus_per_node"),
            exceeds("gpus_per_node", p.gpus_per_node, MAX_GPUS_PER_NODE),
        );
        ok = false;
    }
    ok &= replicas_within_limit(ck, &p.sharing, &path.key("sharing"));
    ok
}

/// Time-slicing replicas per GPU at most [`MAX_REPLICAS`].
pub(super) fn replicas_within_limit(ck: &mut Checker, s: &Sharing, path: &FieldPath) -> bool {
    if let Sharing::TimeSlicing { replicas, .. } = s
        && u64::from(*replicas) > MAX_REPLICAS
    {
        ck.error(
            &path.key("replicas"),
            exceeds("replicas", replicas, MAX_REPLICAS),
        );
        return false;
    }
    true
}

/// A resize event's target within [`MAX_NODES`]; false if not.
pub(super) fn resize_within_limit(ck: &mut Checker, e: &TimedEvent, path: &FieldPath) -> bool {
    match e {
        TimedEvent::Resize { nodes, .. } if u64::from(*nodes) > MAX_NODES => {
            ck.error(&path.key("nodes"), exceeds("nodes", nodes, MAX_NODES));
            false
        }
        _ => true,
    }
}

/// The node counts resize events give pool `p`.
fn resized_nodes<'a>(sc: &'a Scenario, p: &'a PoolSpec) -> impl Iterator<Item = u32> + 'a {
    sc.events.iter().filter_map(|e| match e {
        TimedEvent::Resize { pool, nodes, .. } if *pool == p.name => Some(*nodes),
        _ => None,
    })
}

/// GPUs of the whole cluster, each pool at the largest size its resize events give it (wide
/// arithmetic: no count wraps), within [`MAX_GPUS`]; false if not. A pool or a resize over
/// its own limit is reported there, not here.
pub(super) fn check_cluster_size(ck: &mut Checker, sc: &Scenario) -> bool {
    let mut total: u128 = 0;
    for p in &sc.pools {
        let nodes = resized_nodes(sc, p).fold(p.nodes, u32::max);
        if u64::from(nodes) > MAX_NODES || u64::from(p.gpus_per_node) > MAX_GPUS_PER_NODE {
            return false;
        }
        total += u128::from(nodes) * u128::from(p.gpus_per_node);
        // A rolling reconfiguration adds a second pool of the same hardware (`POOL@AT`).
        let rolling = sc
            .events
            .iter()
            .filter(|e| e.pool() == p.name && e.is_rolling_reconfigure())
            .count();
        total += rolling as u128 * u128::from(nodes) * u128::from(p.gpus_per_node);
    }
    if total > u128::from(MAX_GPUS) {
        ck.error(
            &FieldPath::root().key("pools"),
            exceeds(
                "the cluster's GPUs (nodes x gpus_per_node over all pools, after resize events)",
                total,
                MAX_GPUS,
            ),
        );
        return false;
    }
    true
}
