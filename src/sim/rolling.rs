//! Rolling drains: a pool's nodes taken down a few at a time (`max_unavailable`), their pods
//! evicted through the eviction API, which PodDisruptionBudgets may refuse (docs/MODEL.md,
//! "Rolling drains and PodDisruptionBudgets").
//!
//! A drain of k nodes with batch size m takes the k highest-numbered present nodes in batches
//! of m, highest-numbered first. Batch b is cordoned when it starts (the first at the
//! operation's `at`); each running pod on it is asked to leave in job-id order; a refused
//! eviction is asked again every [`EVICTION_RETRY`] (kubectl drain's interval). Once every
//! eviction of the batch has been accepted (at e_b), its nodes are down for the drain's
//! `duration` D and take pods again at e_b + D, when batch b+1 starts. Without budgets
//! e_b is the batch's start, so batch b (1-based) runs from at + (b-1)·D to at + b·D.

use super::job::Phase;
use super::{Event, Simulation};
use crate::scenario::schema::{MaxUnavailable, PdbSpec, TimedEvent};
use crate::units::{Dur, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// How often a refused eviction is asked again, ms: `kubectl drain` waits 5 s after a
/// "Cannot evict pod as it would violate the pod's disruption budget" answer
/// (k8s.io/kubectl/pkg/drain, `evictPods`).
pub const EVICTION_RETRY: SimTime = 5_000;

/// Whether a budget allows one more eviction now: `healthy` pods of the class running,
/// `expected` pods of the class in the cluster (pending, running, terminating or restarting).
/// As the disruption controller computes it, disruptionsAllowed = healthy − desiredHealthy,
/// with desiredHealthy = minAvailable, or max(0, expected − maxUnavailable), a percentage
/// taken of `expected` and rounded up; an eviction needs disruptionsAllowed ≥ 1. A value
/// validation rejects (a bad percentage) allows nothing.
pub fn eviction_allowed(pdb: &PdbSpec, healthy: u32, expected: u32) -> bool {
    let healthy = i64::from(healthy);
    let desired = match (&pdb.min_available, &pdb.max_unavailable) {
        (Some(min), _) => min.pods(expected).map(i64::from),
        (None, Some(max)) => max
            .pods(expected)
            .map(|m| (i64::from(expected) - i64::from(m)).max(0)),
        (None, None) => return true,
    };
    desired.is_ok_and(|d| healthy - d >= 1)
}

/// One rolling drain (or rolling reconfiguration, `rolling_reconf.rs`) in progress.
#[derive(Debug)]
pub(super) struct Rollout {
    /// Its `OpRecord` (and cost track).
    pub(super) rec: usize,
    pub(super) pool: u32,
    /// Batches still to come; the next is last.
    pub(super) todo: Vec<Range<u32>>,
    /// The batch in progress and its index in the cost track.
    pub(super) current: Option<(Range<u32>, usize)>,
    pub(super) started: SimTime,
    /// How long a batch is down once its evictions are all accepted.
    pub(super) duration: SimTime,
    pub(super) timeout: Option<SimTime>,
    /// The current batch's evictions are all accepted: the next event brings it back.
    pub(super) down: bool,
    pub(super) stamp: u64,
    /// Jobs (by id) of the current batch a budget has refused.
    pub(super) refused: BTreeSet<u64>,
    pub(super) kind: RolloutKind,
}

impl Rollout {
    /// A rollout of `pool` for operation record `rec`, its batches to be set when it starts
    /// (`Simulation::launch_rollout`).
    pub(super) fn new(
        rec: usize,
        pool: u32,
        duration: SimTime,
        timeout: Option<Dur>,
        kind: RolloutKind,
        now: SimTime,
    ) -> Rollout {
        Rollout {
            rec,
            pool,
            todo: Vec::new(),
            current: None,
            started: now,
            duration,
            timeout: timeout.map(|t| t.ms()),
            down: false,
            stamp: 0,
            refused: BTreeSet::new(),
            kind,
        }
    }
}

/// What a rollout does to each batch once it is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RolloutKind {
    /// Brings it back as it was.
    Drain,
    /// Moves its nodes to pool `to`, the pool as re-partitioned.
    Reconfigure { to: u32 },
}

/// The batches of draining nodes `from..to` `m` at a time, highest-numbered first, in the
/// order they run.
pub fn batches(from: u32, to: u32, m: u32) -> Vec<Range<u32>> {
    let m = m.max(1);
    let mut out = Vec::new();
    let mut hi = to;
    while hi > from {
        let lo = hi.saturating_sub(m).max(from);
        out.push(lo..hi);
        hi = lo;
    }
    out
}

impl Simulation<'_> {
    /// Whether a drain needs the rolling machinery: batches, a timeout, or a budget to honour.
    /// A plain drain keeps the one-step path of `ops.rs`.
    pub(super) fn drain_is_rolling(&self, op: &TimedEvent) -> bool {
        let TimedEvent::Drain {
            max_unavailable,
            timeout,
            ..
        } = op
        else {
            return false;
        };
        max_unavailable.is_some()
            || timeout.is_some()
            || self.world.classes.iter().any(|c| c.pdb.is_some())
    }

    /// Starts the rolling drain `op` (operation record `rec`); returns its description.
    pub(super) fn start_rolling_drain(
        &mut self,
        op: &TimedEvent,
        rec: usize,
        now: SimTime,
    ) -> String {
        let TimedEvent::Drain {
            nodes,
            duration,
            max_unavailable,
            timeout,
            ..
        } = op
        else {
            unreachable!("only drains roll");
        };
        let pool = self.world.pool_ix[op.pool()];
        let present = self.cluster.pools[pool as usize].present;
        let from = present.saturating_sub(*nodes);
        let (m, count) = self.launch_rollout(
            Rollout::new(rec, pool, duration.ms(), *timeout, RolloutKind::Drain, now),
            from,
            max_unavailable.as_ref(),
            now,
        );
        let span = super::ops::node_range(from, present);
        let timeout = timeout.map_or(String::new(), |t| format!(", timeout {t}"));
        if count == 1 {
            format!("{span} down for {duration} after eviction{timeout}")
        } else {
            format!("{span}, {m} at a time ({count} batches), each down for {duration}{timeout}")
        }
    }

    /// Starts rollout `r` over the present nodes of its pool from `from` up, in batches of
    /// `max_unavailable` (all of them when absent; a value validation rejects counts as 1),
    /// highest-numbered first; returns the batch size and the number of batches.
    pub(super) fn launch_rollout(
        &mut self,
        mut r: Rollout,
        from: u32,
        max_unavailable: Option<&MaxUnavailable>,
        now: SimTime,
    ) -> (u32, usize) {
        let present = self.cluster.pools[r.pool as usize].present;
        let k = present - from;
        let m = max_unavailable
            .map_or(Ok(k), |m| m.nodes(present))
            .unwrap_or(1)
            .min(k)
            .max(1);
        r.todo = batches(from, present, m);
        r.todo.reverse();
        let count = r.todo.len();
        let id = self.rollouts.len() as u32;
        self.rollouts.push(r);
        self.begin_batch(id, now);
        (m, count)
    }

    /// The next batch of rollout `id` starts, or the drain is over.
    pub(super) fn begin_batch(&mut self, id: u32, now: SimTime) {
        let r = &mut self.rollouts[id as usize];
        let (rec, pool) = (r.rec, r.pool);
        let Some(range) = r.todo.pop() else {
            r.current = None;
            self.optrack.close(rec, now);
            return;
        };
        r.started = now;
        r.down = false;
        r.refused.clear();
        self.cluster.mark_down(pool, range.clone(), 1);
        let gpus = (range.end - range.start) * self.cluster.pools[pool as usize].gpus_per_node;
        self.optrack.down(rec, gpus, now, None);
        let b = self.optrack.batch(rec, range.start, range.end, now);
        self.rollouts[id as usize].current = Some((range, b));
        self.evict_or_retry(id, now);
    }

    /// Asks every running pod of the current batch to leave; when all have been accepted the
    /// batch is down for the drain's duration, else the refused ones are asked again later (or
    /// the drain gives up at its timeout).
    fn evict_or_retry(&mut self, id: u32, now: SimTime) {
        let r = &self.rollouts[id as usize];
        let (rec, pool) = (r.rec, r.pool);
        let Some((range, b)) = r.current.clone() else {
            return;
        };
        let left = self.evict_with_budgets(id, pool, range.clone(), now);
        let stamp = self.next_stamp();
        let r = &mut self.rollouts[id as usize];
        r.stamp = stamp;
        if left == 0 {
            r.down = true;
            let at = now + r.duration;
            self.optrack.batch_mut(rec, b).evicted = Some(now);
            self.q.schedule(at, Event::Rollout { id, stamp });
        } else if r.timeout.is_some_and(|t| now >= r.started + t) {
            // `kubectl drain --timeout` gives up: the batch is uncordoned, the rest skipped.
            r.todo.clear();
            r.current = None;
            self.cluster.mark_down(pool, range, -1);
            self.pool_changed(pool);
            self.optrack.up(rec, now);
            self.optrack.batch_mut(rec, b).end = Some(now);
            self.optrack.timed_out(rec);
            self.optrack.close(rec, now);
            if let RolloutKind::Reconfigure { to } = self.rollouts[id as usize].kind {
                self.reconfigure_gave_up(rec, pool, to, now);
            }
        } else {
            self.q
                .schedule(now + EVICTION_RETRY, Event::Rollout { id, stamp });
        }
    }

    /// A rollout's event: its batch is back (then the next starts), or a retry is due.
    pub(super) fn on_rollout(&mut self, id: u32, stamp: u64, now: SimTime) {
        let r = &self.rollouts[id as usize];
        if r.stamp != stamp {
            return;
        }
        if !r.down {
            self.evict_or_retry(id, now);
            return;
        }
        let (rec, pool) = (r.rec, r.pool);
        let kind = r.kind;
        if let Some((range, b)) = r.current.clone() {
            self.cluster.mark_down(pool, range.clone(), -1);
            if let RolloutKind::Reconfigure { to } = kind {
                self.move_batch(pool, to, range, now);
            }
            self.pool_changed(pool);
            self.optrack.up(rec, now);
            self.optrack.batch_mut(rec, b).end = Some(now);
        }
        self.begin_batch(id, now);
    }

    /// Evicts the running pods on `nodes` of `pool` in job-id order, each unless its class's
    /// budget refuses; returns how many were refused.
    fn evict_with_budgets(&mut self, id: u32, pool: u32, nodes: Range<u32>, now: SimTime) -> u64 {
        let rec = self.rollouts[id as usize].rec;
        let mut slots: Vec<u32> = Vec::new();
        let p = &self.cluster.pools[pool as usize];
        for node in nodes {
            for g in p.node_gpus(node) {
                slots.extend(self.cluster.gpus[g as usize].tenants.iter().map(|t| t.job));
            }
            // Nodes that leave their pool keep no pods, not even those without GPUs.
            if self.rollouts[id as usize].kind != RolloutKind::Drain {
                slots.extend_from_slice(p.host.pods(node));
            }
        }
        slots.sort_unstable();
        slots.dedup();
        slots.retain(|&s| self.live(s).is_some_and(|j| j.phase == Phase::Running));
        slots.sort_by_key(|&s| self.live(s).expect("tenant is live").id);
        // (running, in the cluster) per class with a budget, kept current as pods go.
        let mut counts: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
        let mut refused = 0;
        for s in slots {
            let (class, job_id) = {
                let j = self.live(s).expect("live");
                (j.class, j.id)
            };
            if let Some(pdb) = self.world.classes[class as usize].pdb.clone() {
                let c = match counts.get(&class) {
                    Some(c) => *c,
                    None => self.budget_counts(class),
                };
                if !eviction_allowed(&pdb, c.0, c.1) {
                    counts.insert(class, c);
                    refused += 1;
                    if self.rollouts[id as usize].refused.insert(job_id) {
                        self.optrack.refused(rec);
                    }
                    continue;
                }
                // Running -> terminating: no longer healthy, still in the cluster.
                counts.insert(class, (c.0 - 1, c.1));
            }
            if self.evict(s, now, false) {
                self.optrack.evicted(rec, s);
            }
        }
        refused
    }

    /// Pods of `class` running now, and pods of it in the cluster (pending, running,
    /// terminating or waiting to restart; not those held back by a quota).
    fn budget_counts(&self, class: u32) -> (u32, u32) {
        let (mut healthy, mut expected) = (0, 0);
        for slot in 0..self.jobs.slot_count() {
            let Some(j) = self.live(slot) else { continue };
            if j.class != class {
                continue;
            }
            match j.phase {
                Phase::Running => {
                    healthy += 1;
                    expected += 1;
                }
                Phase::Pending | Phase::Terminating | Phase::Backoff => expected += 1,
                Phase::Admission => {}
            }
        }
        (healthy, expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::PdbValue;

    fn pdb(max: Option<u32>, min: Option<u32>) -> PdbSpec {
        PdbSpec {
            max_unavailable: max.map(PdbValue::Count),
            min_available: min.map(PdbValue::Count),
        }
    }

    fn pct(max: Option<&str>, min: Option<&str>) -> PdbSpec {
        PdbSpec {
            max_unavailable: max.map(|v| PdbValue::Percent(v.into())),
            min_available: min.map(|v| PdbValue::Percent(v.into())),
        }
    }

    #[test]
    fn batches_go_highest_first_and_cover_the_nodes() {
        // Nodes 0-3, one at a time: 3, 2, 1, 0.
        assert_eq!(batches(0, 4, 1), vec![3..4, 2..3, 1..2, 0..1]);
        // Nodes 1-5 (5 nodes), 2 at a time: 4-5, 2-3, then 1 alone.
        assert_eq!(batches(1, 6, 2), vec![4..6, 2..4, 1..2]);
        assert_eq!(batches(0, 3, 5), vec![0..3]);
        assert!(batches(2, 2, 1).is_empty());
    }

    #[test]
    fn budgets_follow_the_disruption_controller() {
        // minAvailable 2 with 3 running: 3 - 2 = 1 disruption allowed; with 2 running, none.
        assert!(eviction_allowed(&pdb(None, Some(2)), 3, 3));
        assert!(!eviction_allowed(&pdb(None, Some(2)), 2, 3));
        // maxUnavailable 1, 4 pods of which 4 run: desired 3, allowed 1.
        assert!(eviction_allowed(&pdb(Some(1), None), 4, 4));
        // One already unavailable (pending, terminating or restarting): 3 - 3 = 0.
        assert!(!eviction_allowed(&pdb(Some(1), None), 3, 4));
        // maxUnavailable 0 never allows an eviction.
        assert!(!eviction_allowed(&pdb(Some(0), None), 4, 4));
    }

    #[test]
    fn budget_percentages_round_up() {
        // minAvailable 50% of 7 pods: ceil(3.5) = 4 must stay; with 5 running 5 - 4 = 1 may
        // go, with 4 running none (the Kubernetes docs' own example: 7 pods, 50% -> 4).
        assert!(eviction_allowed(&pct(None, Some("50%")), 5, 7));
        assert!(!eviction_allowed(&pct(None, Some("50%")), 4, 7));
        // maxUnavailable 30% of 4 pods: ceil(1.2) = 2 may be unavailable, desired 4 - 2 = 2;
        // 3 running: 1 allowed; 2 running (2 already unavailable): none.
        assert!(eviction_allowed(&pct(Some("30%"), None), 3, 4));
        assert!(!eviction_allowed(&pct(Some("30%"), None), 2, 4));
        // maxUnavailable 100%: desired 0, so any running pod may go; 0% never.
        assert!(eviction_allowed(&pct(Some("100%"), None), 1, 9));
        assert!(!eviction_allowed(&pct(Some("0%"), None), 9, 9));
        // minAvailable 0%: nothing needs to stay.
        assert!(eviction_allowed(&pct(None, Some("0%")), 1, 1));
        // Integer maxUnavailable larger than the pods: desired clamps at 0, not negative.
        assert!(eviction_allowed(&pdb(Some(10), None), 1, 3));
        // A bad percentage (validation rejects it) allows nothing rather than everything.
        assert!(!eviction_allowed(&pct(None, Some("150%")), 9, 9));
    }

    #[test]
    fn budget_values_parse_like_int_or_string() {
        assert_eq!(PdbValue::Percent("50%".into()).pods(7), Ok(4));
        assert_eq!(PdbValue::Percent(" 25 %".into()).pods(8), Ok(2));
        assert_eq!(PdbValue::Percent("0%".into()).pods(8), Ok(0));
        assert_eq!(PdbValue::Count(3).pods(1), Ok(3));
        for bad in ["50", "%", "-5%", "101%", "1.5%", ""] {
            assert!(PdbValue::Percent(bad.into()).pods(10).is_err(), "{bad}");
        }
    }
}
