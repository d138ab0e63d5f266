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
