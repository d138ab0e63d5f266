//! What each timed operation cost: evictions, work lost at checkpoints, GPU-hours its nodes
//! were unavailable, and the waits of jobs submitted while it ran (docs/OUTPUTS.md,
//! "Operations").

use crate::metrics::waits::{WaitPercentile, WaitSamples};
use crate::units::SimTime;
use std::collections::BTreeMap;

/// One batch of nodes a drain (or reconfiguration) took down, and when they were back.
#[derive(Clone, Debug, PartialEq)]
pub struct OpBatch {
    /// Nodes `from..to` (half-open) of the pool.
    pub from: u32,
    pub to: u32,
    /// When the batch was cordoned.
    pub start: SimTime,
    /// When its last pod's eviction was accepted (PodDisruptionBudgets can delay it).
    pub evicted: Option<SimTime>,
    /// When its nodes took pods again; None if the run ended first.
    pub end: Option<SimTime>,
}

/// The cost of one operation, as reported (`summary.json` `operations`, `operations.csv`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpCost {
    /// The operation's window: from its start until its last node is back (a resize down:
    /// until its nodes have left; a resize up: empty). Clipped at the end of the run.
    pub start: SimTime,
    pub end: SimTime,
    /// The window closed before the run ended.
    pub finished: bool,
    pub evictions: u64,
    /// Evictions a PodDisruptionBudget refused at least once (each pod counted once per
    /// batch).
    pub refused_evictions: u64,
    /// The drain gave up (`timeout`) with pods still refused.
    pub timed_out: bool,
    /// Work thrown away by its evictions (since each pod's last checkpoint), reference
    /// GPU-hours.
    pub lost_ref_gpu_hours: f64,
    /// GPUs of its nodes times the time they took no pods, GPU-hours.
    pub unavailable_gpu_hours: f64,
    /// Jobs submitted in the window, and the p50/p95 of their waits (waits.rs rules: jobs
    /// that never started count at their wait so far, which may make a percentile a lower
    /// bound).
    pub jobs_submitted: u64,
    pub wait_p50: Option<WaitPercentile>,
    pub wait_p95: Option<WaitPercentile>,
    pub batches: Vec<OpBatch>,
}

/// An operation being tracked.
#[derive(Debug, Default)]
struct Track {
    start: SimTime,
    end: Option<SimTime>,
    evictions: u64,
    refused: u64,
    timed_out: bool,
    lost_ms: f64,
    /// (GPUs, from, to) stretches of unavailability; `to` None while still down.
    down: Vec<(u32, SimTime, Option<SimTime>)>,
    /// (submit, wait ms, never started) of jobs submitted since `start`.
    waits: Vec<(SimTime, u64, bool)>,
    batches: Vec<OpBatch>,
}

/// Every operation's cost so far, keyed by its `OpRecord`'s index.
#[derive(Debug, Default)]
pub(super) struct OpTracker {
    tracks: BTreeMap<usize, Track>,
    /// Job slot -> the operation whose eviction it is terminating from.
    evicted_by: BTreeMap<u32, usize>,
}

impl OpTracker {
    /// Operation `rec` starts at `now`.
    pub fn open(&mut self, rec: usize, now: SimTime) {
        self.tracks.insert(
            rec,
            Track {
                start: now,
                ..Track::default()
            },
        );
    }

    fn track(&mut self, rec: usize) -> &mut Track {
        self.tracks.get_mut(&rec).expect("operation is tracked")
    }

    /// The window of `rec` closes at `at` (may be in the future: a fixed downtime).
    pub fn close(&mut self, rec: usize, at: SimTime) {
        self.track(rec).end = Some(at);
    }

    /// Operation `rec` evicted the job in `slot`.
    pub fn evicted(&mut self, rec: usize, slot: u32) {
        self.track(rec).evictions += 1;
        self.evicted_by.insert(slot, rec);
    }

    /// A PodDisruptionBudget refused the eviction of a pod for `rec`.
    pub fn refused(&mut self, rec: usize) {
        self.track(rec).refused += 1;
    }

    pub fn timed_out(&mut self, rec: usize) {
        self.track(rec).timed_out = true;
    }

    /// An evicted job has left its devices, losing `lost` reference GPU-ms.
    pub fn terminated(&mut self, slot: u32, lost: f64) {
        if let Some(rec) = self.evicted_by.remove(&slot) {
            self.track(rec).lost_ms += lost;
        }
    }

    /// `gpus` GPUs of `rec` are unavailable from `from` until `to` (None: not known yet;
    /// see [`OpTracker::up`]).
    pub fn down(&mut self, rec: usize, gpus: u32, from: SimTime, to: Option<SimTime>) {
        self.track(rec).down.push((gpus, from, to));
    }

    /// Every open stretch of `rec` ends at `now`.
    pub fn up(&mut self, rec: usize, now: SimTime) {
        for d in &mut self.track(rec).down {
            d.2.get_or_insert(now);
        }
    }

    /// A batch of nodes `from..to` was cordoned at `now`; returns its index.
    pub fn batch(&mut self, rec: usize, from: u32, to: u32, now: SimTime) -> usize {
        let b = &mut self.track(rec).batches;
        b.push(OpBatch {
            from,
            to,
            start: now,
            evicted: None,
            end: None,
        });
        b.len() - 1
    }

    pub fn batch_mut(&mut self, rec: usize, i: usize) -> &mut OpBatch {
        &mut self.track(rec).batches[i]
    }

    /// A job submitted at `submit` waited `wait` ms (`censored`: it never started and
    /// `wait` is its wait so far at the end of the run).
    pub fn waited(&mut self, submit: SimTime, wait: u64, censored: bool) {
        for t in self.tracks.values_mut() {
            if submit >= t.start && t.end.is_none_or(|e| submit < e) {
                t.waits.push((submit, wait, censored));
            }
        }
    }

    /// The cost of operation `rec` at the end of the run (`run_end`), if it was tracked.
    pub fn cost(&self, rec: usize, run_end: SimTime) -> Option<OpCost> {
        let t = self.tracks.get(&rec)?;
        let end = t.end.unwrap_or(run_end).min(run_end);
        let mut waits = WaitSamples::default();
        let mut submitted = 0;
        for &(submit, wait, censored) in &t.waits {
            if submit < end {
                submitted += 1;
                if censored {
                    waits.push_censored(wait);
                } else {
                    waits.push(wait);
                }
            }
        }
        let p = waits.censored_percentiles(&[50.0, 95.0]);
        let unavailable: f64 = (t.down.iter())
            .map(|&(gpus, from, to)| {
                let to = to.unwrap_or(run_end).min(run_end);
                f64::from(gpus) * to.saturating_sub(from) as f64
            })
            .sum();
        Some(OpCost {
            start: t.start,
            end,
            finished: t.end.is_some_and(|e| e <= run_end),
            evictions: t.evictions,
            refused_evictions: t.refused,
            timed_out: t.timed_out,
            lost_ref_gpu_hours: ms_to_hours_f(t.lost_ms),
            unavailable_gpu_hours: ms_to_hours_f(unavailable),
            jobs_submitted: submitted,
            wait_p50: p[0],
            wait_p95: p[1],
            batches: t.batches.clone(),
        })
    }
}

fn ms_to_hours_f(ms: f64) -> f64 {
    ms / 3_600_000.0
}
