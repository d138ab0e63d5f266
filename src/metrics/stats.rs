//! Aggregates per pool and per workload class.

use super::JobState;
use crate::units::SimTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// Nearest-rank percentile `p` (0..=100) of `values` (sorted in place); None if empty.
pub fn percentile(values: &mut [u64], p: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    Some(values[rank.min(values.len()) - 1])
}

/// Waiting times in ms, kept so that percentiles are exact, with zero waits only counted: on a
/// cluster with room most jobs start at once, so memory grows with the jobs that waited rather
/// than with every job of the trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaitSamples {
    zeros: u64,
    nonzero: Vec<u64>,
    /// Sum of all waits, ms.
    sum: u64,
}

impl WaitSamples {
    pub fn push(&mut self, ms: u64) {
        self.sum += ms;
        if ms == 0 {
            self.zeros += 1;
        } else {
            self.nonzero.push(ms);
        }
    }

    /// Sum of all waits, ms.
    pub fn sum_ms(&self) -> u64 {
        self.sum
    }

    pub fn len(&self) -> u64 {
        self.zeros + self.nonzero.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every wait in increasing order (ms): the zeros, then the others sorted.
    pub fn sorted(&self) -> Vec<u64> {
        let mut nonzero = self.nonzero.clone();
        nonzero.sort_unstable();
        let mut all = vec![0; self.zeros as usize];
        all.extend(nonzero);
        all
    }

    /// Nearest-rank percentiles `ps` (each 0..=100), the same values [`percentile`] gives on
    /// all the samples; None if there are none.
    pub fn percentiles(&mut self, ps: &[f64]) -> Vec<Option<u64>> {
        self.nonzero.sort_unstable();
        let n = self.len();
        ps.iter()
            .map(|&p| {
                if n == 0 {
                    return None;
                }
                let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as u64;
                let rank = rank.min(n);
                Some(if rank <= self.zeros {
                    0
                } else {
                    self.nonzero[(rank - self.zeros - 1) as usize]
                })
            })
            .collect()
    }
}

/// Time integrals of one pool's state, in GPU-milliseconds.
#[derive(Clone, Debug, Default)]
pub struct PoolStats {
    /// Current sums over the pool's GPUs.
    pub alloc_now: f64,
    pub busy_now: f64,
    pub sm_now: f64,
    pub running_now: u32,
    pub pending_now: u32,
    last: SimTime,
    /// Integrals since the start.
    pub alloc_int: f64,
    pub busy_int: f64,
    pub sm_int: f64,
    pub running_int: f64,
    pub pending_int: f64,
    /// Reference GPU-ms of work delivered (lost work subtracted).
    pub useful_ms: f64,
    pub lost_ms: f64,
    pub started: u64,
    pub completed: u64,
    pub ooms: u64,
    pub preemptions: u64,
    pub evictions: u64,
    pub colocated_replicas: u64,
    pub waits_ms: WaitSamples,
    /// GPUs present now, and the integral (GPU-ms) that cost and ratios are taken over.
    pub gpus_now: u32,
    pub gpus_int: f64,
    /// Integrals at the last sample (to difference per bucket).
    mark: [f64; 6],
    mark_useful: f64,
}

/// One row of the per-pool time series.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub t_start_s: f64,
    pub t_end_s: f64,
    pub pool: String,
    /// Sharing at the end of the bucket.
    pub sharing: String,
    /// GPUs present (time-averaged over the bucket).
    pub gpus: f64,
    pub allocation: f64,
    pub busy: f64,
    pub sm_activity: f64,
    pub running_jobs: f64,
    pub queue_depth: f64,
    pub useful_ref_gpu_hours: f64,
    /// Free capacity stranded with respect to the pool's typical requests, in GPU-equivalents,
    /// at the end of the bucket (see `cluster::frag`).
    pub fragmented_gpus: f64,
    /// `fragmented_gpus` / free capacity at the end of the bucket (0 when nothing is free).
    pub fragmentation: f64,
}

impl PoolStats {
    /// Brings the integrals up to `now` at the current rates.
    pub fn advance(&mut self, now: SimTime) {
        if now > self.last {
            let dt = (now - self.last) as f64;
            self.alloc_int += self.alloc_now * dt;
            self.busy_int += self.busy_now * dt;
            self.sm_int += self.sm_now * dt;
            self.running_int += f64::from(self.running_now) * dt;
            self.pending_int += f64::from(self.pending_now) * dt;
            self.gpus_int += f64::from(self.gpus_now) * dt;
            self.last = now;
        }
    }

    /// Closes a time-series bucket [from, now] for a pool of `gpus` GPUs.
    pub fn sample(&mut self, pool: &str, sharing: &str, from: SimTime, now: SimTime) -> Sample {
        self.advance(now);
        let ints = [
            self.alloc_int,
            self.busy_int,
            self.sm_int,
            self.running_int,
            self.pending_int,
            self.gpus_int,
        ];
        let d: Vec<f64> = ints.iter().zip(&self.mark).map(|(a, b)| a - b).collect();
        self.mark = ints;
        let span = (now - from).max(1) as f64;
        let gpu_span = d[5].max(1.0);
        let useful = self.useful_ms - self.mark_useful;
        self.mark_useful = self.useful_ms;
        Sample {
            t_start_s: from as f64 / 1000.0,
            t_end_s: now as f64 / 1000.0,
            pool: pool.to_string(),
            sharing: sharing.to_string(),
            gpus: d[5] / span,
            // The gauges are kept by adding and subtracting per-GPU changes; an idle pool can
            // be left a rounding error below zero (-2e-16), which is shown as 0.
            allocation: (d[0] / gpu_span).max(0.0),
            busy: (d[1] / gpu_span).max(0.0),
            sm_activity: (d[2] / gpu_span).max(0.0),
            running_jobs: d[3] / span,
            queue_depth: d[4] / span,
            useful_ref_gpu_hours: useful / 3_600_000.0,
            fragmented_gpus: 0.0,
            fragmentation: 0.0,
        }
    }
}

/// Jobs of one namespace or one priority value, aggregated from their final records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupStats {
    pub states: BTreeMap<JobState, u64>,
    pub waits_ms: WaitSamples,
    pub useful_s: f64,
    pub lost_s: f64,
    pub cost: f64,
    pub preemptions: u64,
    pub evictions: u64,
    pub ooms: u64,
}

impl GroupStats {
    pub fn add(&mut self, r: &super::JobRecord) {
        *self.states.entry(r.state).or_default() += 1;
        if let Some(w) = r.wait_s {
            self.waits_ms.push((w * 1000.0).round() as u64);
        }
        self.useful_s += r.useful_s;
        self.lost_s += r.lost_s;
        self.cost += r.cost_usd;
        self.preemptions += u64::from(r.preemptions);
        self.evictions += u64::from(r.evictions);
        self.ooms += u64::from(r.ooms);
    }
}

/// One row of the per-class time series.
#[derive(Clone, Debug, Serialize)]
pub struct ClassSample {
    pub t_start_s: f64,
    pub t_end_s: f64,
    pub class: String,
    pub running_jobs: f64,
    pub queue_depth: f64,
    pub useful_ref_gpu_hours: f64,
    /// Services: share of their run time in the bucket below the speed target.
    pub below_speed_target: Option<f64>,
}

/// Per workload class.
#[derive(Clone, Debug, Default)]
pub struct ClassStats {
    pub states: BTreeMap<JobState, u64>,
    pub waits_ms: WaitSamples,
    pub useful_ms: f64,
    pub lost_ms: f64,
    pub cost: f64,
    pub ooms: u64,
    pub failures: u64,
    /// Pending jobs of the class now, and its time integral (queue depth).
    pub pending_now: u32,
    pub pending_int: f64,
    /// Placed jobs of the class now, and the integral.
    pub running_now: u32,
    pub running_int: f64,
    last: SimTime,
    /// Totals at the last time-series sample.
    mark: [f64; 5],
    /// Services: time below the speed target, and time running.
    pub below_target_ms: f64,
    pub service_run_ms: f64,
    pub unschedulable: BTreeMap<String, u64>,
    /// Jobs that ran per pool (first start).
    pub ran_in: BTreeMap<String, u64>,
    /// Jobs whose first start was not in their first-choice pool.
    pub fallbacks: u64,
    /// Times a job of the class was preempted / evicted by a drain or reconfiguration.
    pub preemptions: u64,
    pub evictions: u64,
    /// Reference GPU-ms of work lost by this class's jobs to preemption.
    pub preemption_lost_ms: f64,
    /// Placements holding two or more replicas of one physical GPU (no extra compute).
    pub colocated_replicas: u64,
}

impl ClassStats {
    /// Brings the queue-depth and running integrals up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        if now > self.last {
            let dt = (now - self.last) as f64;
            self.pending_int += f64::from(self.pending_now) * dt;
            self.running_int += f64::from(self.running_now) * dt;
            self.last = now;
        }
    }

    pub fn set_pending(&mut self, now: SimTime, delta: i32) {
        self.advance(now);
        self.pending_now = self.pending_now.saturating_add_signed(delta);
    }

    pub fn set_running(&mut self, now: SimTime, delta: i32) {
        self.advance(now);
        self.running_now = self.running_now.saturating_add_signed(delta);
    }

    /// Closes a time-series bucket [from, now]. Jobs' progress must be up to date.
    /// `has_target`: the class is a service with a speed target (else the column stays empty).
    pub fn sample(
        &mut self,
        class: &str,
        has_target: bool,
        from: SimTime,
        now: SimTime,
    ) -> ClassSample {
        self.advance(now);
        let totals = [
            self.pending_int,
            self.running_int,
            self.useful_ms,
            self.below_target_ms,
            self.service_run_ms,
        ];
        let d: Vec<f64> = totals.iter().zip(&self.mark).map(|(a, b)| a - b).collect();
        self.mark = totals;
        let span = (now - from).max(1) as f64;
        ClassSample {
            t_start_s: from as f64 / 1000.0,
            t_end_s: now as f64 / 1000.0,
            class: class.to_string(),
            running_jobs: d[1] / span,
            queue_depth: d[0] / span,
            useful_ref_gpu_hours: d[2] / 3_600_000.0,
            below_speed_target: (has_target && d[4] > 0.0).then(|| d[3] / d[4]),
        }
    }

    pub fn count(&mut self, s: JobState) {
        *self.states.entry(s).or_default() += 1;
    }

    pub fn total(&self) -> u64 {
        self.states.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        // 10 values 1..=10: p50 -> rank ceil(5) = 5 -> 5; p95 -> rank ceil(9.5) = 10 -> 10.
        let mut v: Vec<u64> = (1..=10).rev().collect();
        assert_eq!(percentile(&mut v, 50.0), Some(5));
        assert_eq!(percentile(&mut v, 95.0), Some(10));
        assert_eq!(percentile(&mut v, 0.0), Some(1));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    #[test]
    fn wait_samples_give_the_percentiles_of_all_samples() {
        // Zeros are counted, not stored; the percentiles match those of the full list.
        let all: Vec<u64> = vec![0, 5, 0, 0, 7, 3, 0, 9, 0, 1, 0, 0];
        let mut w = WaitSamples::default();
        for &x in &all {
            w.push(x);
        }
        assert_eq!(w.len(), 12);
        assert_eq!(w.nonzero.len(), 5);
        let ps = [0.0, 50.0, 58.0, 59.0, 75.0, 95.0, 99.0, 100.0];
        let expected: Vec<Option<u64>> = ps
            .iter()
            .map(|&p| percentile(&mut all.clone(), p))
            .collect();
        assert_eq!(w.percentiles(&ps), expected);
        assert_eq!(WaitSamples::default().percentiles(&[50.0]), vec![None]);
    }

    #[test]
    fn integrates_piecewise_constant_rates() {
        // 2 GPUs: allocation 1 GPU for 10 ms, then 2 GPUs for 30 ms -> 10 + 60 = 70 GPU-ms
        // over 40 ms * 2 GPUs = 80 GPU-ms: allocation 0.875.
        let mut p = PoolStats {
            alloc_now: 1.0,
            gpus_now: 2,
            ..Default::default()
        };
        p.advance(10);
        p.alloc_now = 2.0;
        let s = p.sample("x", "exclusive", 0, 40);
        assert!((s.allocation - 0.875).abs() < 1e-12);
    }
}
