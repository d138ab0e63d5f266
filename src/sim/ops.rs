//! Timed operations: maintenance drains, MIG reconfiguration, pool resizing.

use super::job::Phase;
use super::{Event, Simulation};
use crate::cluster::PoolKind;
use crate::scenario::schema::TimedEvent;
use crate::units::{Dur, SimTime};
use crate::world::{effective_labels, pool_kind};
use std::ops::Range;

/// The nodes `from..to` (half-open) as a reader counts them: `node 3`, `nodes 2-3` (inclusive),
/// `no nodes`.
pub(super) fn node_range(from: u32, to: u32) -> String {
    match to.saturating_sub(from) {
        0 => "no nodes".into(),
        1 => format!("node {from}"),
        _ => format!("nodes {from}-{}", to - 1),
    }
}

fn is_mig(kind: &PoolKind) -> bool {
    matches!(kind, PoolKind::Mig { .. })
}

impl Simulation<'_> {
    pub(super) fn start_op(&mut self, ix: u32, now: SimTime) {
        let op = self.world.events[ix as usize].clone();
        let pool = self.world.pool_ix[op.pool()];
        let present = self.cluster.pools[pool as usize].present;
        let grace = self.world.params.termination_grace.ms();
        if let Some(why) = self.busy_with_rollout(pool, op.is_rolling_reconfigure()) {
            let name = self.cluster.pools[pool as usize].name.clone();
            self.ledger.op(now, op.kind_name(), name, why, 0);
            return;
        }
        let rec = self.ledger.op_count();
        self.optrack.open(rec, now);
        let gpn = self.cluster.pools[pool as usize].gpus_per_node;
        let (kind, detail, evicted) = match &op {
            TimedEvent::Drain { .. } if self.drain_is_rolling(&op) => {
                let detail = self.start_rolling_drain(&op, rec, now);
                ("drain", detail, 0)
            }
            TimedEvent::Drain {
                nodes, duration, ..
            } => {
                // The highest-numbered nodes go first, as a maintenance script would take them.
                let from = present.saturating_sub(*nodes);
                self.cluster.mark_down(pool, from..present, 1);
                let evicted = self.evict_nodes(pool, from..present, now, rec);
                let back = now + duration.ms();
                self.optrack.close(rec, back);
                self.optrack
                    .down(rec, (present - from) * gpn, now, Some(back));
                let b = self.optrack.batch(rec, from, present, now);
                let batch = self.optrack.batch_mut(rec, b);
                batch.evicted = Some(now);
                batch.end = Some(back);
                self.q.schedule(
                    now + duration.ms(),
                    Event::NodesUp {
                        pool,
                        from,
                        to: present,
                    },
                );
                let detail = format!("{} down for {duration}", node_range(from, present));
                ("drain", detail, evicted)
            }
            TimedEvent::Reconfigure {
                max_unavailable: Some(_),
                ..
            } => {
                let detail = self.start_rolling_reconfigure(ix, rec, now);
                ("reconfigure", detail, 0)
            }
            TimedEvent::Reconfigure { sharing, .. } => {
                let p = &self.cluster.pools[pool as usize];
                let all = 0..p.node_count;
                let before = is_mig(&p.kind);
                let after = matches!(sharing, crate::domain::Sharing::Mig { .. });
                let params = &self.world.params;
                let mut downtime = params.reconfig_downtime.ms();
                if before != after {
                    downtime += params.mig_mode_change_downtime.ms();
                }
                self.cluster.mark_down(pool, all.clone(), 1);
                let evicted = self.evict_nodes(pool, 0..present, now, rec);
                let back = now + grace + downtime;
                self.optrack.close(rec, back);
                self.optrack.down(rec, present * gpn, now, Some(back));
                let b = self.optrack.batch(rec, 0, present, now);
                let batch = self.optrack.batch_mut(rec, b);
                batch.evicted = Some(now);
                batch.end = Some(back);
                self.q.schedule(back, Event::Reconfigured { ix });
                let detail = format!(
                    "all {present} nodes drained; back after {} grace + {} downtime{}",
                    Dur(grace),
                    Dur(downtime),
                    if before != after {
                        " (MIG mode change)"
                    } else {
                        ""
                    }
                );
                ("reconfigure", detail, evicted)
            }
            TimedEvent::Resize { nodes, .. } => {
                let cap = self.cluster.pools[pool as usize].node_count;
                let nodes = (*nodes).min(cap);
                self.resize_target[pool as usize] = nodes;
                // Nodes a pending shrink was removing stay if the new size keeps them.
                self.cluster.set_leaving(pool, 0..nodes, false);
                if nodes >= present {
                    self.set_present(pool, nodes, now);
                    self.pool_changed(pool);
                    self.optrack.close(rec, now);
                    ("resize", format!("{present} -> {nodes} nodes"), 0)
                } else {
                    self.pool_changed(pool);
                    self.cluster.set_leaving(pool, nodes..present, true);
                    let evicted = self.evict_nodes(pool, nodes..present, now, rec);
                    let gone = now + grace;
                    self.optrack.close(rec, gone);
                    self.optrack
                        .down(rec, (present - nodes) * gpn, now, Some(gone));
                    self.q.schedule(now + grace, Event::Shrunk { pool, nodes });
                    let detail = format!("{present} -> {nodes} nodes (after draining)");
                    ("resize", detail, evicted)
                }
            }
        };
        let name = self.cluster.pools[pool as usize].name.clone();
        self.ledger.op(now, kind, name, detail, evicted);
    }

    /// Gracefully evicts every running pod on `nodes` of `pool` for operation `rec`; returns
    /// how many.
    fn evict_nodes(&mut self, pool: u32, nodes: Range<u32>, now: SimTime, rec: usize) -> u64 {
        let mut slots: Vec<u32> = Vec::new();
        let p = &self.cluster.pools[pool as usize];
        for node in nodes {
            for g in p.node_gpus(node) {
                slots.extend(self.cluster.gpus[g as usize].tenants.iter().map(|t| t.job));
            }
            // Pods without GPUs (and every pod holding CPU or host memory) on the node.
            slots.extend_from_slice(p.host.pods(node));
        }
        slots.sort_unstable();
        slots.dedup();
        // In job-id order, so the outcome does not depend on slot reuse.
        slots.sort_by_key(|&s| self.live(s).expect("tenant is live").id);
        let mut n = 0;
        for s in slots {
            if self.live(s).is_some_and(|j| j.phase == Phase::Running) && self.evict(s, now, false)
            {
                self.optrack.evicted(rec, s);
                n += 1;
            }
        }
        n
    }

    pub(super) fn nodes_up(&mut self, pool: u32, from: u32, to: u32, _now: SimTime) {
        self.cluster.mark_down(pool, from..to, -1);
        self.pool_changed(pool);
    }

    pub(super) fn finish_reconfigure(&mut self, ix: u32, now: SimTime) {
        let TimedEvent::Reconfigure { sharing, .. } = self.world.events[ix as usize].clone() else {
            return;
        };
        let pool = self.world.pool_ix[self.world.events[ix as usize].pool()];
        let p = &self.cluster.pools[pool as usize];
        let all = 0..p.node_count;
        match pool_kind(&p.model, &sharing) {
            Ok(kind) => {
                // The GPU operator relabels MIG single nodes for their new profile.
                let labels = effective_labels(&p.spec_labels, &p.model, &kind);
                self.cluster.pools[pool as usize].labels = labels;
                self.cluster.reconfigure(pool, kind);
                self.refit_shapes();
            }
            Err(e) => {
                // Validation rejects such layouts; if one gets here the pool keeps its layout.
                let name = p.name.clone();
                self.ledger.op(now, "reconfigure-failed", name, e, 0);
            }
        }
        self.cluster.mark_down(pool, all, -1);
        self.pool_changed(pool);
    }

    /// A shrink's grace period is over: its nodes go, unless a later resize kept them (the
    /// latest target wins) or a later shrink's pods are still leaving.
    pub(super) fn finish_shrink(&mut self, pool: u32, nodes: u32, now: SimTime) {
        let present = self.cluster.pools[pool as usize].present;
        let keep = self.resize_target[pool as usize].max(nodes).min(present);
        if keep < present {
            self.cluster.set_leaving(pool, keep..present, false);
            self.set_present(pool, keep, now);
        }
    }

    pub(super) fn set_present(&mut self, pool: u32, nodes: u32, now: SimTime) {
        self.cluster.set_present(pool, nodes);
        let gpus = self.cluster.pools[pool as usize].gpu_count();
        self.ledger.pool_resized(pool, gpus, now);
    }
}

#[cfg(test)]
mod tests {
    use super::node_range;

    #[test]
    fn node_ranges_read_inclusively() {
        // Regression (issue 15): draining one node of two used to read "nodes 1..2".
        assert_eq!(node_range(1, 2), "node 1");
        assert_eq!(node_range(0, 2), "nodes 0-1");
        assert_eq!(node_range(2, 5), "nodes 2-4");
        assert_eq!(node_range(3, 3), "no nodes");
    }
}
