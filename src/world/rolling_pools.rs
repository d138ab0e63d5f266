//! Rolling reconfigurations split a pool in two: the nodes still in the old layout (the
//! scenario's pool) and the nodes already re-partitioned, a second pool named `POOL@AT` (the
//! pool as re-partitioned at `AT`) with the same hardware, the new sharing and no nodes at the
//! start. Each batch moves its nodes from the first to the second (docs/MODEL.md, "Rolling
//! reconfiguration").
//!
//! Operations after a rolling reconfiguration that name the pool act on `POOL@AT` (validation
//! rejects those that could overlap the rollout; one that still does at run time is skipped and
//! reported).

use super::{Class, pool_kind};
use crate::cluster::PoolDef;
use crate::scenario::schema::{TimedEvent, derived_pool_name};
use std::collections::BTreeMap;

/// Adds the pool of each rolling reconfiguration in `events` (time order) to `pools` and
/// `pool_ix`, lets every class that may use the source pool use it too (right after the source
/// in its preference order), and points each later event naming the pool at it.
pub(super) fn add_derived_pools(
    pools: &mut Vec<PoolDef>,
    pool_ix: &mut BTreeMap<String, u32>,
    classes: &mut [Class],
    events: &mut [TimedEvent],
) -> Result<BTreeMap<u32, u32>, String> {
    let mut targets = BTreeMap::new();
    // Scenario pool name -> the pool its operations act on now.
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for (i, e) in events.iter_mut().enumerate() {
        let named = e.pool().to_string();
        let target = current.get(&named).cloned().unwrap_or(named.clone());
        let (at, sharing) = match e {
            TimedEvent::Reconfigure {
                at,
                sharing,
                max_unavailable: Some(_),
                ..
            } => (*at, sharing.clone()),
            _ => {
                set_pool(e, target);
                continue;
            }
        };
        let source = pool_ix[&target];
        let name = derived_pool_name(&named, at);
        if pool_ix.contains_key(&name) {
            return Err(format!(
                "events: the rolling reconfiguration of {named} at {at} needs a pool named {name}, which already exists"
            ));
        }
        let mut def = pools[source as usize].clone();
        let kind = pool_kind(&def.model, &sharing).map_err(|e| format!("events: {name}: {e}"))?;
        def.labels = super::effective_labels(&def.spec_labels, &def.model, &kind);
        def.kind = kind;
        def.name = name.clone();
        def.present = 0;
        let ix = pools.len() as u32;
        pools.push(def);
        pool_ix.insert(name.clone(), ix);
        for c in classes.iter_mut() {
            if let Some(pos) = c.pools.iter().position(|&p| p == source) {
                c.pools.insert(pos + 1, ix);
            }
        }
        set_pool(e, target);
        current.insert(named, name);
        targets.insert(i as u32, ix);
    }
    Ok(targets)
}

fn set_pool(e: &mut TimedEvent, name: String) {
    match e {
        TimedEvent::Drain { pool, .. }
        | TimedEvent::Reconfigure { pool, .. }
        | TimedEvent::Resize { pool, .. } => *pool = name,
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::schema::TimedEvent;

    /// Two rolling reconfigurations of pool a (6h, 2d) and a drain between them: the world
    /// gets a@6h and a@2d after the scenario's pools; each class that may use a pool may use
    /// its re-partitioned pool right after it; events after 6h act on a@6h.
    #[test]
    fn rolling_reconfigurations_add_pools_and_point_later_events_at_them() {
        let yaml = "name: t
horizon: 3d
pools:
  - {name: a, gpu: A100-80GB, nodes: 2, gpus_per_node: 1, sharing: {kind: exclusive}}
  - {name: b, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: x, kind: batch, namespace: n, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 1, pools: [b, a]}
  - {name: y, kind: batch, namespace: n, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 1}
events:
  - {at: 2d, kind: reconfigure, pool: a, sharing: {kind: exclusive}, max_unavailable: 1}
  - {at: 6h, kind: reconfigure, pool: a, sharing: {kind: time_slicing, replicas: 2}, max_unavailable: 1}
  - {at: 1d, kind: drain, pool: a, nodes: 1, duration: 1h}
workload: {kind: synthetic, rate_per_hour: 1, mix: [{class: x, weight: 1, duration: {median: 1h, sigma: 0.5}}]}
";
        let sc = crate::scenario::parse(yaml, "t.yaml").unwrap();
        let w = super::super::World::build(&sc).unwrap();
        let names: Vec<&str> = w.pools.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "a@6h", "a@2d"]);
        assert_eq!((w.pools[2].present, w.pools[3].present), (0, 0));
        assert_eq!(w.pools[2].node_count, 2);
        assert_eq!(w.classes[0].pools, [1, 0, 2, 3]);
        assert_eq!(w.classes[1].pools, [0, 2, 3, 1]);
        let on: Vec<&str> = w.events.iter().map(TimedEvent::pool).collect();
        assert_eq!(on, ["a", "a@6h", "a@6h"]);
        assert_eq!(
            w.rolling_targets.iter().collect::<Vec<_>>(),
            [(&0, &2), (&2, &3)]
        );
        assert_eq!(w.pool_ix["a@2d"], 3);
    }
}
