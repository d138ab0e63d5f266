//! Per-GPU and per-MIG-instance time series, kept only when a run asks for them (the
//! OpenMetrics export): one row per GPU and per MIG instance at every time-series bucket of
//! `pools.csv`. Busy and SM activity of a GPU are averaged over the bucket; memory, holders and
//! MIG instances' activity are taken at the bucket's end.

use crate::units::SimTime;
use std::sync::Arc;

/// The job holding a GPU or a MIG instance at the end of a bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    /// Shared with the job and every row it holds (a row per GPU per bucket).
    pub namespace: Arc<str>,
    /// The job's id (its pod is named `job-<id>` in the export).
    pub job: u64,
}

/// One GPU over one bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuSample {
    pub t_end: SimTime,
    /// Cluster-wide GPU index (pools in scenario order, nodes, then GPUs of a node).
    pub gpu: u32,
    /// Share of the bucket some kernel ran (0..=1; DCGM GR_ENGINE_ACTIVE), time-averaged.
    pub busy: f64,
    /// Share of the GPU's SMs busy (0..=1; DCGM SM_ACTIVE), time-averaged.
    pub sm_activity: f64,
    /// GPU memory the tenants need at the bucket's end, GiB (capped at the GPU's memory).
    pub fb_used_gib: f64,
    /// The single tenant of an unshared GPU (none when idle, shared or MIG).
    pub holder: Option<Holder>,
}

/// One MIG instance at the end of a bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSample {
    pub t_end: SimTime,
    pub gpu: u32,
    /// Index of the instance in its pool's layout (DCGM GPU_I_ID), its profile and memory.
    pub instance: u16,
    /// Shared by every row of the profile.
    pub profile: Arc<str>,
    pub fb_total_gib: f64,
    /// The holder's activity on the instance at the bucket's end, relative to the instance
    /// (0 when free).
    pub busy: f64,
    pub sm_activity: f64,
    /// Memory the holder needs, GiB (capped at the instance's memory).
    pub fb_used_gib: f64,
    pub holder: Option<Holder>,
}

/// Waits of one workload class's jobs up to the end of a bucket (their first starts).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassWaits {
    pub t_end: SimTime,
    /// Index of the class in the scenario.
    pub class: u32,
    /// Jobs started so far, and the sum of their waits in ms.
    pub started: u64,
    pub wait_sum_ms: u64,
}

/// Time integrals of each GPU's busy and SM gauges, differenced at every bucket.
#[derive(Clone, Debug, Default)]
pub struct GpuIntegrals {
    last: Vec<SimTime>,
    /// [busy, sm] integrals (ms), and their values at the last bucket.
    ints: Vec<[f64; 2]>,
    mark: Vec<[f64; 2]>,
}

impl GpuIntegrals {
    pub fn new(gpus: usize) -> Self {
        GpuIntegrals {
            last: vec![0; gpus],
            ints: vec![[0.0; 2]; gpus],
            mark: vec![[0.0; 2]; gpus],
        }
    }

    /// GPU `g` had gauges `busy`, `sm` since its last change; brings its integrals to `now`.
    pub fn advance(&mut self, g: u32, busy: f64, sm: f64, now: SimTime) {
        let g = g as usize;
        if now > self.last[g] {
            let dt = (now - self.last[g]) as f64;
            self.ints[g][0] += busy * dt;
            self.ints[g][1] += sm * dt;
            self.last[g] = now;
        }
    }

    /// Closes GPU `g`'s bucket [from, now] at its current gauges: time-averaged (busy, sm).
    pub fn close(&mut self, g: u32, busy: f64, sm: f64, from: SimTime, now: SimTime) -> (f64, f64) {
        self.advance(g, busy, sm, now);
        let i = g as usize;
        let span = (now - from).max(1) as f64;
        let d = [
            self.ints[i][0] - self.mark[i][0],
            self.ints[i][1] - self.mark[i][1],
        ];
        self.mark[i] = self.ints[i];
        // Gauges kept by adding and subtracting can be a rounding error below zero.
        ((d[0] / span).max(0.0), (d[1] / span).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_over_the_bucket() {
        let mut g = GpuIntegrals::new(2);
        // GPU 1: idle 0..40 ms, busy 0.5 / sm 0.25 from 40 to 100: busy 0.5*60/100 = 0.3,
        // sm 0.25*60/100 = 0.15.
        g.advance(1, 0.0, 0.0, 40);
        assert_eq!(g.close(1, 0.5, 0.25, 0, 100), (0.3, 0.15));
        // Next bucket 100..200 at the same gauges: 0.5 and 0.25 throughout.
        assert_eq!(g.close(1, 0.5, 0.25, 100, 200), (0.5, 0.25));
        // GPU 0 never changed: 0.
        assert_eq!(g.close(0, 0.0, 0.0, 0, 200), (0.0, 0.0));
    }
}
