//! Checks of rolling reconfigurations (`kind: reconfigure` with `max_unavailable`): their
//! fields, the name of the pool they create (`POOL@AT`), and that no other operation on the
//! pool may overlap them (docs/SCENARIO.md, "events").

use super::super::locate::FieldPath;
use super::super::schema::{PoolSpec, Scenario, TimedEvent};
use super::Checker;
use crate::domain::Sharing;
use std::collections::BTreeMap;

/// The fields of reconfiguration `e` (event `i`) that only rolling reconfigurations have.
pub(super) fn check_fields(ck: &mut Checker, e: &TimedEvent, pool: &PoolSpec, path: &FieldPath) {
    let TimedEvent::Reconfigure {
        max_unavailable,
        timeout,
        ..
    } = e
    else {
        return;
    };
    if let Some(m) = max_unavailable
        && let Err(e) = m.nodes(pool.nodes)
    {
        ck.error(&path.key("max_unavailable"), e);
    }
    if let Some(t) = timeout {
        if t.ms() == 0 {
            ck.error(&path.key("timeout"), "must be longer than 0");
        } else if max_unavailable.is_none() {
            ck.error(
                &path.key("timeout"),
                "a timeout needs max_unavailable (only a rolling reconfiguration waits for PodDisruptionBudgets)",
            );
        }
    }
}

/// The pools rolling reconfigurations create must not clash with the scenario's, no other
/// operation on a pool may fall in the window of its rolling reconfiguration (as long as it
/// runs without PodDisruptionBudgets: at + batches x (grace + downtime)), and a rolling
/// reconfiguration may not start inside another operation's window on the pool.
pub(super) fn check_windows(ck: &mut Checker, sc: &Scenario, pools: &BTreeMap<&str, usize>) {
    // In time order (stable), as the world applies them.
    let mut order: Vec<usize> = (0..sc.events.len()).collect();
    order.sort_by_key(|&i| sc.events[i].at());
    check_starts(ck, sc, pools, &order);
    // Each pool's sharing as the operations so far leave it.
    let mut sharing: BTreeMap<&str, &Sharing> = sc
        .pools
        .iter()
        .map(|p| (p.name.as_str(), &p.sharing))
        .collect();
    for &i in &order {
        let e = &sc.events[i];
        let TimedEvent::Reconfigure {
            at,
            pool,
            sharing: to,
            max_unavailable,
            ..
        } = e
        else {
            continue;
        };
        let Some(&pi) = pools.get(pool.as_str()) else {
            continue;
        };
        let before = sharing.insert(pool.as_str(), to).unwrap_or(to);
        let Some(m) = max_unavailable else { continue };
        let path = FieldPath::root().key("events").index(i);
        let p = &sc.pools[pi];
        let name = super::super::schema::derived_pool_name(pool, *at);
        if pools.contains_key(name.as_str()) {
            ck.error(
                &path.key("pool"),
                format!("its rolling reconfiguration creates the pool {name}, but a pool of that name exists already"),
            );
        }
        let nodes = max_nodes(sc, p);
        let Ok(per) = m.nodes(nodes) else { continue };
        let batches = u64::from(nodes.div_ceil(per.max(1)));
        let end_ms = at
            .ms()
            .saturating_add(batches.saturating_mul(outage(sc, before, to)));
        let end = compound(end_ms);
        for (j, other) in sc.events.iter().enumerate() {
            if j != i && other.pool() == pool && other.at() >= *at && other.at().ms() < end_ms {
                ck.error(
                    &FieldPath::root().key("events").index(j).key("at"),
                    format!(
                        "{} {pool} at {} falls in the rolling reconfiguration of events[{i}] (at {at}, {batches} batches, until at least {end}); schedule it at {end} or later, when it acts on {name}",
                        other.kind_name(),
                        other.at(),
                    ),
                );
            }
        }
    }
}

/// A rolling reconfiguration must not start while another operation on its pool may still
/// run: a drain (at + batches x duration), a one-step reconfiguration (at + grace + downtime)
/// or a resize (at + grace, while removed nodes leave).
fn check_starts(ck: &mut Checker, sc: &Scenario, pools: &BTreeMap<&str, usize>, order: &[usize]) {
    let mut sharing: BTreeMap<&str, &Sharing> = sc
        .pools
        .iter()
        .map(|p| (p.name.as_str(), &p.sharing))
        .collect();
    // (event, its end at the earliest), for operations that are not rolling reconfigurations.
    let mut ends: Vec<(usize, u64)> = Vec::new();
    for &j in order {
        let e = &sc.events[j];
        let Some(&pi) = pools.get(e.pool()) else {
            continue;
        };
        let at = e.at().ms();
        let end = match e {
            TimedEvent::Drain {
                nodes,
                duration,
                max_unavailable,
                ..
            } => {
                let m = max_unavailable
                    .as_ref()
                    .and_then(|m| m.nodes(sc.pools[pi].nodes).ok())
                    .unwrap_or(*nodes)
                    .max(1);
                at.saturating_add(u64::from(nodes.div_ceil(m)).saturating_mul(duration.ms()))
            }
            TimedEvent::Reconfigure {
                pool, sharing: to, ..
            } => {
                let before = sharing.insert(pool.as_str(), to).unwrap_or(to);
                if e.is_rolling_reconfigure() {
                    continue;
                }
                at.saturating_add(outage(sc, before, to))
            }
            TimedEvent::Resize { .. } => at.saturating_add(sc.model.termination_grace.ms()),
        };
        ends.push((j, end));
    }
    for &i in order {
        let e = &sc.events[i];
        if !e.is_rolling_reconfigure() {
            continue;
        }
        let at = e.at().ms();
        for &(j, end) in &ends {
            let other = &sc.events[j];
            // Same-time operations are the other check's (they fall in the rollout).
            if other.pool() == e.pool() && other.at().ms() < at && at < end {
                ck.error(
                    &FieldPath::root().key("events").index(i).key("at"),
                    format!(
                        "the rolling reconfiguration of {} at {} falls in the {} of events[{j}] (at {}, until at least {}); start it at {} or later",
                        e.pool(),
                        e.at(),
                        other.kind_name(),
                        other.at(),
                        compound(end),
                        compound(end),
                    ),
                );
            }
        }
    }
}

/// `ms` as a scenario duration in several units, largest first: `2d41m`, `1h30s`, `0s`.
pub(super) fn compound(ms: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    let mut out = String::new();
    let mut left = ms;
    for (scale, unit) in UNITS {
        if left >= scale {
            out.push_str(&format!("{}{unit}", left / scale));
            left %= scale;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// The most nodes pool `p` can have: its own, or the largest resize of it.
fn max_nodes(sc: &Scenario, p: &PoolSpec) -> u32 {
    sc.events
        .iter()
        .filter_map(|e| match e {
            TimedEvent::Resize { pool, nodes, .. } if *pool == p.name => Some(*nodes),
            _ => None,
        })
        .fold(p.nodes, u32::max)
}

/// How long a node re-partitioned from `before` to `after` takes no pods, ms: the one-shot
/// reconfiguration's termination_grace + reconfig_downtime (+ mig_mode_change_downtime).
fn outage(sc: &Scenario, before: &Sharing, after: &Sharing) -> u64 {
    let mig = |s: &Sharing| matches!(s, Sharing::Mig { .. });
    let m = &sc.model;
    let mut down = m
        .termination_grace
        .ms()
        .saturating_add(m.reconfig_downtime.ms());
    if mig(before) != mig(after) {
        down = down.saturating_add(m.mig_mode_change_downtime.ms());
    }
    down
}
