//! Rolling reconfiguration: a pool re-partitioned a few nodes at a time (`max_unavailable`).
//! The world holds the re-partitioned nodes as a second pool `POOL@AT` with no nodes at the
//! start (`world/rolling_pools.rs`); this moves them over batch by batch with the rollout
//! machinery of `rolling.rs` (eviction API, PodDisruptionBudgets, timeout).
//!
//! Batch b (the highest-numbered present nodes of the old pool, `max_unavailable` at a time)
//! is cordoned when it starts; once every eviction is accepted (at e_b) its nodes are down for
//! termination_grace + reconfig_downtime (+ mig_mode_change_downtime when MIG turns on or
//! off), the one-shot reconfiguration's downtime. At e_b + grace + downtime, in one step, the
//! old pool loses the batch's nodes, the new pool gains as many, and the next batch starts.
//! Without budgets e_b is the batch's start: batch b (1-based) ends at at + b·(grace+downtime).

use super::Simulation;
use super::rolling::{Rollout, RolloutKind};
use crate::cluster::PoolKind;
use crate::domain::Sharing;
use crate::scenario::schema::TimedEvent;
use crate::units::{Dur, SimTime};
use std::ops::Range;

impl Simulation<'_> {
    /// How long a node re-partitioned from `pool`'s layout to `sharing` takes no pods after
    /// its pods' eviction, ms (grace + downtime), and whether MIG mode changes.
    pub(super) fn reconfigure_outage(&self, pool: u32, sharing: &Sharing) -> (SimTime, bool) {
        let before = matches!(self.cluster.pools[pool as usize].kind, PoolKind::Mig { .. });
        let after = matches!(sharing, Sharing::Mig { .. });
        let params = &self.world.params;
        let mut down = params.termination_grace.ms() + params.reconfig_downtime.ms();
        if before != after {
            down += params.mig_mode_change_downtime.ms();
        }
        (down, before != after)
    }

    /// Starts the rolling reconfiguration `op` (operation record `rec`); returns its
    /// description.
    pub(super) fn start_rolling_reconfigure(
        &mut self,
        ix: u32,
        rec: usize,
        now: SimTime,
    ) -> String {
        let op = &self.world.events[ix as usize];
        let TimedEvent::Reconfigure {
            sharing,
            max_unavailable,
            timeout,
            ..
        } = op
        else {
            unreachable!("only reconfigurations re-partition");
        };
        let (sharing, max_unavailable, timeout) =
            (sharing.clone(), max_unavailable.clone(), *timeout);
        let pool = self.world.pool_ix[op.pool()];
        let to = self.world.rolling_targets[&ix];
        let to_name = self.cluster.pools[to as usize].name.clone();
        let present = self.cluster.pools[pool as usize].present;
        let (duration, mode_change) = self.reconfigure_outage(pool, &sharing);
        let kind = RolloutKind::Reconfigure { to };
        let (m, count) = self.launch_rollout(
            Rollout::new(rec, pool, duration, timeout, kind, now),
            0,
            max_unavailable.as_ref(),
            now,
        );
        let grace = self.world.params.termination_grace.ms();
        let timeout = timeout.map_or(String::new(), |t| format!(", timeout {t}"));
        format!(
            "{}, {m} at a time ({count} batches) into {to_name}, each down for {} grace + {} downtime{} after eviction{timeout}",
            super::ops::node_range(0, present),
            Dur(grace),
            Dur(duration - grace),
            if mode_change {
                " (MIG mode change)"
            } else {
                ""
            },
        )
    }

    /// A batch of a rolling reconfiguration is done: its nodes (the highest-numbered present
    /// nodes of `from`) leave `from` and join `to` in the new layout.
    pub(super) fn move_batch(&mut self, from: u32, to: u32, batch: Range<u32>, now: SimTime) {
        let moved = batch.end - batch.start;
        let p = &self.cluster.pools[from as usize];
        for node in batch.clone() {
            // Every pod was evicted and its grace period (part of the downtime) is over.
            debug_assert!(
                p.node_gpus(node)
                    .all(|g| self.cluster.gpus[g as usize].tenants.is_empty())
                    && p.host.pods(node).is_empty(),
                "node {node} of {} leaves its pool with pods on it",
                p.name
            );
        }
        self.set_present(from, batch.start, now);
        let joined = self.cluster.pools[to as usize].present + moved;
        self.set_present(to, joined, now);
        self.pool_changed(to);
    }

    /// A rolling reconfiguration gave up at its timeout: its detail says how the pool was left.
    pub(super) fn reconfigure_gave_up(&mut self, rec: usize, from: u32, to: u32, now: SimTime) {
        let old = self.cluster.pools[from as usize].present;
        let new = self.cluster.pools[to as usize].present;
        let note = format!(
            "; timed out at {}: pool left mixed, {old} nodes in the old layout, {new} in {}",
            Dur(now),
            self.cluster.pools[to as usize].name
        );
        self.ledger.op_note(rec, &note);
    }

    /// Why an operation on `pool` cannot start now: a rolling reconfiguration of it (as
    /// source or target) is still running, or (for a rolling reconfiguration, `rolling`) a
    /// rolling drain of it.
    pub(super) fn busy_with_rollout(&self, pool: u32, rolling: bool) -> Option<String> {
        self.rollouts.iter().find_map(|r| match r.kind {
            RolloutKind::Drain if rolling && r.pool == pool && r.current.is_some() => {
                Some(format!(
                    "skipped: a rolling drain of {} is still running",
                    self.cluster.pools[pool as usize].name
                ))
            }
            RolloutKind::Reconfigure { to }
                if (r.pool == pool || to == pool) && r.current.is_some() =>
            {
                let name = &self.cluster.pools[r.pool as usize].name;
                Some(format!(
                    "skipped: the rolling reconfiguration of {name} into {} is still running",
                    self.cluster.pools[to as usize].name
                ))
            }
            _ => None,
        })
    }
}
