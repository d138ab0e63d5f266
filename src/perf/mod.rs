//! The performance model: how fast a job progresses under each sharing mode.
//!
//! Pure functions of the jobs' traits and the co-tenants on one physical GPU; see
//! `docs/MODEL.md` for the equations. A job's speed `x` is in work-seconds per second, where one
//! work-second is one second on a whole reference GPU, alone.

pub mod latency;
pub mod mig_ts;
pub mod mps;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// Calibratable parameters of the performance model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerfParams {
    /// Context-switch overhead per additional active context on a time-shared GPU:
    /// `o(n) = min(overhead_max, overhead_per_context * (n - 1))`.
    pub overhead_per_context: f64,
    /// Upper bound of the context-switch overhead.
    pub overhead_max: f64,
    /// Multiplier on a job's speed inside a MIG instance (1 = the SM-fraction model alone);
    /// fitted from hardware measurements by `slicesim hil calibrate`.
    pub mig_efficiency: f64,
    /// Time slice of a context on a time-shared GPU, ms (service latency only; the
    /// throughput model above is slice-length free).
    pub timeslice_ms: f64,
}

impl Default for PerfParams {
    fn default() -> Self {
        PerfParams {
            overhead_per_context: 0.02,
            overhead_max: 0.2,
            mig_efficiency: 1.0,
            timeslice_ms: 2.0,
        }
    }
}

impl PerfParams {
    /// Fraction of GPU time lost to context switching with `n` active contexts.
    pub fn overhead(&self, n: usize) -> f64 {
        if n <= 1 {
            0.0
        } else {
            (self.overhead_per_context * (n - 1) as f64).min(self.overhead_max)
        }
    }

    pub fn problems(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if !(0.0..1.0).contains(&self.overhead_per_context) {
            p.push((
                "overhead_per_context".into(),
                format!("{} is not in [0, 1)", self.overhead_per_context),
            ));
        }
        if !(0.0..1.0).contains(&self.overhead_max) {
            p.push((
                "overhead_max".into(),
                format!("{} is not in [0, 1)", self.overhead_max),
            ));
        }
        if !(self.mig_efficiency > 0.0 && self.mig_efficiency <= 2.0) {
            p.push((
                "mig_efficiency".into(),
                format!("{} is not in (0, 2]", self.mig_efficiency),
            ));
        }
        if !(self.timeslice_ms > 0.0 && self.timeslice_ms <= 1000.0) {
            p.push((
                "timeslice".into(),
                format!("{} ms is not in (0 ms, 1 s]", self.timeslice_ms),
            ));
        }
        p
    }

    /// Speed in a MIG instance: [`mig_speed`] times `mig_efficiency`.
    pub fn mig_speed(&self, s: f64, u: f64, d: f64, f: f64) -> f64 {
        self.mig_efficiency * mig_speed(s, u, d, f)
    }

    /// Speed in a MIG instance with memory fraction `f_mem` for a job with bandwidth fill `b`:
    /// [`mig_speed_bw`] times `mig_efficiency`.
    pub fn mig_speed_bw(&self, s: f64, u: f64, d: f64, f: f64, b: f64, f_mem: f64) -> f64 {
        self.mig_efficiency * mig_speed_bw(s, u, d, f, b, f_mem)
    }
}

/// Max-min fair (water-filling) division of `capacity` among contexts demanding `demand[i]`.
/// Writes each context's share into `share`; no context gets more than it demands, and
/// capacity left by small demands is divided evenly among the rest. The water level is found
/// first and then applied to everyone, so equal demands always get bit-identical shares.
pub fn water_fill(demand: &[f64], capacity: f64, share: &mut [f64]) {
    debug_assert_eq!(demand.len(), share.len());
    let n = demand.len();
    if n == 0 {
        return;
    }
    // On the stack for up to 8 contexts (a GPU rarely holds more): no allocation per re-rating.
    let mut sorted: SmallVec<[f64; 8]> = demand.iter().map(|d| d.max(0.0)).collect();
    sorted.sort_by(f64::total_cmp);
    let mut left = capacity.max(0.0);
    let mut level = f64::INFINITY;
    for (k, &d) in sorted.iter().enumerate() {
        let rest = (n - k) as f64;
        if d * rest > left {
            level = left / rest;
            break;
        }
        left -= d;
    }
    for (g, d) in share.iter_mut().zip(demand) {
        *g = d.max(0.0).min(level);
    }
}

/// Speed of a context that receives GPU-time share `g` and needs `u` alone: `s * min(1, g/u)`.
pub fn shared_speed(s: f64, u: f64, g: f64) -> f64 {
    if u <= 0.0 { s } else { s * (g / u).min(1.0) }
}

/// Speed in a MIG instance holding fraction `f` of the GPU's SMs, for a job that uses no
/// memory bandwidth to speak of (`b` = 0): only the kernel part of the job's time stretches,
/// by `max(1, d/f)`.
pub fn mig_speed(s: f64, u: f64, d: f64, f: f64) -> f64 {
    mig_speed_bw(s, u, d, f, 0.0, 1.0)
}

/// Kernel stretch in a MIG instance with SM fraction `f` and memory fraction `f_mem` (memory
/// slices / 8): the kernels of a job that fills `d` of the whole GPU's SMs and `b` of its
/// memory bandwidth run `max(1, d/f, b/f_mem)` times longer (whichever resource the instance
/// has less of relative to the need binds; docs/MODEL.md "MIG").
pub fn mig_stretch(d: f64, f: f64, b: f64, f_mem: f64) -> f64 {
    let sm = d / f;
    let bw = if b > 0.0 { b / f_mem } else { 0.0 };
    sm.max(bw).max(1.0)
}

/// Speed in a MIG instance: `s / ((1-u) + u · max(1, d/f, b/f_mem))`.
pub fn mig_speed_bw(s: f64, u: f64, d: f64, f: f64, b: f64, f_mem: f64) -> f64 {
    s / ((1.0 - u) + u * mig_stretch(d, f, b, f_mem))
}

/// Fraction of wall time a job's kernels keep its MIG instance busy (`b` = 0).
pub fn mig_busy(u: f64, d: f64, f: f64) -> f64 {
    mig_busy_bw(u, d, f, 0.0, 1.0)
}

/// Fraction of wall time a job's kernels keep its MIG instance busy.
pub fn mig_busy_bw(u: f64, d: f64, f: f64, b: f64, f_mem: f64) -> f64 {
    let k = u * mig_stretch(d, f, b, f_mem);
    k / ((1.0 - u) + k)
}

/// Fraction of the instance's SMs its kernels fill while running.
pub fn mig_sm_fill(d: f64, f: f64) -> f64 {
    (d / f).min(1.0)
}

/// One active context on a time-shared or fractional GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SharedContext {
    /// Relative speed of the job on this GPU model.
    pub s: f64,
    /// Duty cycle alone.
    pub u: f64,
    /// SM fill alone.
    pub d: f64,
    /// Hard cap on its GPU-time share (1 for time-slicing, milli/1000 for fractional).
    pub cap: f64,
}

/// Result for one tenant of a shared GPU.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ContextRate {
    /// Work-seconds per second.
    pub speed: f64,
    /// GPU-time share (fraction of wall time its kernels run).
    pub share: f64,
}

/// Speeds of all tenants of one time-shared (or fractional) GPU. `scratch` avoids allocation.
pub fn shared_gpu(params: &PerfParams, tenants: &[SharedContext], out: &mut Vec<ContextRate>) {
    out.clear();
    let n = tenants.len();
    let capacity = 1.0 - params.overhead(n);
    let demand: SmallVec<[f64; 8]> = tenants.iter().map(|t| t.u.min(t.cap)).collect();
    let mut share: SmallVec<[f64; 8]> = smallvec::smallvec![0.0; n];
    water_fill(&demand, capacity, &mut share);
    out.extend(tenants.iter().zip(&share).map(|(t, &g)| ContextRate {
        speed: shared_speed(t.s, t.u, g),
        share: g,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn overhead_grows_then_caps() {
        let p = PerfParams::default();
        assert_eq!(p.overhead(0), 0.0);
        assert_eq!(p.overhead(1), 0.0);
        assert!(close(p.overhead(3), 0.04)); // 0.02 * (3 - 1)
        assert!(close(p.overhead(50), 0.2)); // capped
    }

    #[test]
    fn water_fill_gives_leftover_to_big_demands() {
        // Capacity 0.9 among demands 0.1, 0.5, 0.9:
        // fair part 0.3 -> first takes 0.1, leaving 0.8 for two: 0.4 each, both want more.
        let mut g = [0.0; 3];
        water_fill(&[0.5, 0.1, 0.9], 0.9, &mut g);
        assert!(close(g[1], 0.1));
        assert!(close(g[0], 0.4));
        assert!(close(g[2], 0.4));
    }

    #[test]
    fn equal_demands_get_identical_shares_in_any_order() {
        // Regression (issue 15: MODEL.md spoke of ties "broken by order on the GPU"): the
        // level is found first and applied to all, so order does not matter. Demands 0.5,
        // 0.5, 0.1 in 0.96: 0.1 is served, the level is 0.86 / 2 = 0.43 for both others.
        let mut a = [0.0; 3];
        let mut b = [0.0; 3];
        water_fill(&[0.5, 0.1, 0.5], 0.96, &mut a);
        water_fill(&[0.5, 0.5, 0.1], 0.96, &mut b);
        assert_eq!((a[0], a[1], a[2]), (b[0], b[2], b[1]));
        assert_eq!(a[0].to_bits(), a[2].to_bits());
        assert!((a[0] - 0.43).abs() < 1e-12);
    }

    #[test]
    fn water_fill_never_exceeds_demand() {
        let mut g = [0.0; 2];
        water_fill(&[0.2, 0.3], 1.0, &mut g);
        assert!(close(g[0], 0.2) && close(g[1], 0.3));
    }

    #[test]
    fn three_compute_bound_replicas() {
        // Three jobs with u = 1 on one GPU: o(3) = 0.04, capacity 0.96, each g = 0.32,
        // x = 1.0 * min(1, 0.32 / 1) = 0.32.
        let t = SharedContext {
            s: 1.0,
            u: 1.0,
            d: 1.0,
            cap: 1.0,
        };
        let mut out = Vec::new();
        shared_gpu(&PerfParams::default(), &[t; 3], &mut out);
        for r in &out {
            assert!(close(r.speed, 0.32));
        }
    }

    #[test]
    fn light_jobs_time_slice_for_free_except_overhead() {
        // Two jobs with u = 0.3: o(2) = 0.02, capacity 0.98, demands 0.3 + 0.3 fit: x = s.
        let t = SharedContext {
            s: 2.0,
            u: 0.3,
            d: 0.5,
            cap: 1.0,
        };
        let mut out = Vec::new();
        shared_gpu(&PerfParams::default(), &[t, t], &mut out);
        assert!(close(out[0].speed, 2.0) && close(out[0].share, 0.3));
    }

    #[test]
    fn fractional_cap_limits_speed() {
        // Alone with u = 0.8 and a 500-milli share: demand min(0.8, 0.5) = 0.5,
        // x = 1 * 0.5 / 0.8 = 0.625.
        let t = SharedContext {
            s: 1.0,
            u: 0.8,
            d: 1.0,
            cap: 0.5,
        };
        let mut out = Vec::new();
        shared_gpu(&PerfParams::default(), &[t], &mut out);
        assert!(close(out[0].speed, 0.625));
    }

    #[test]
    fn mig_slows_only_kernel_part() {
        // A100 3g.40gb: f = 42/108. A job with u = 0.6, d = 0.8:
        // d/f = 0.8 * 108 / 42 = 2.0571428..., wall = 0.4 + 0.6 * 2.0571428 = 1.6342857,
        // x = 1 / 1.6342857 = 0.6118881...
        let f = 42.0 / 108.0;
        let x = mig_speed(1.0, 0.6, 0.8, f);
        assert!((x - 0.611_888_111_888).abs() < 1e-9);
        // A job whose kernels fit in the slice (d <= f) does not slow at all.
        assert!(close(mig_speed(1.5, 0.9, 0.2, f), 1.5));
        // Busy fraction of the instance: 0.6 * 2.0571428 / 1.6342857 = 0.7552447...
        assert!((mig_busy(0.6, 0.8, f) - 0.755_244_755_244).abs() < 1e-9);
    }

    #[test]
    fn memory_bound_job_slows_on_a_small_slice() {
        // The job, u 0.8, d 0.1, on an A100-80GB 1g.10gb: f = 14/108 = 0.12963,
        // f_mem = 1/8 = 0.125. SMs alone: d/f = 0.771 < 1, full speed (the old model).
        let f = 14.0 / 108.0;
        assert!(close(mig_speed(1.0, 0.8, 0.1, f), 1.0));
        assert!(close(mig_speed_bw(1.0, 0.8, 0.1, f, 0.0, 0.125), 1.0));
        // Memory-bound, b = 0.6 (60 % of the whole GPU's bandwidth): stretch b/f_mem = 4.8,
        // wall per unit = 0.2 + 0.8 * 4.8 = 4.04, x = 1 / 4.04 = 0.247525.
        assert!(close(mig_stretch(0.1, f, 0.6, 0.125), 4.8));
        assert!((mig_speed_bw(1.0, 0.8, 0.1, f, 0.6, 0.125) - 1.0 / 4.04).abs() < 1e-12);
        // Busy: kernels 0.8 * 4.8 = 3.84 of 4.04.
        assert!((mig_busy_bw(0.8, 0.1, f, 0.6, 0.125) - 3.84 / 4.04).abs() < 1e-12);
        // A bandwidth need within the slice's share (b = 0.1 <= 0.125) costs nothing.
        assert!(close(mig_speed_bw(1.0, 0.8, 0.1, f, 0.1, 0.125), 1.0));
        // On the whole-GPU 7g.80gb (f = 98/108, f_mem = 1), b = 0.6 does not bind either.
        assert!(close(
            mig_speed_bw(1.0, 0.8, 0.1, 98.0 / 108.0, 0.6, 1.0),
            1.0
        ));
        // SMs bind when d/f is the larger: d 0.5 on 3g.40gb (f 42/108, f_mem 4/8), b 0.3:
        // max(1, 1.2857, 0.6) = 1.2857 -> same as the SM-only model.
        let f3 = 42.0 / 108.0;
        assert!(close(
            mig_speed_bw(1.0, 0.7, 0.5, f3, 0.3, 0.5),
            mig_speed(1.0, 0.7, 0.5, f3)
        ));
    }

    #[test]
    fn mig_efficiency_scales_mig_speed_only() {
        // 0.9 x 0.6118881 = 0.5506993; the default (1.0) leaves it unchanged.
        let p = PerfParams {
            mig_efficiency: 0.9,
            ..PerfParams::default()
        };
        let f = 42.0 / 108.0;
        assert!((p.mig_speed(1.0, 0.6, 0.8, f) - 0.550_699_300_699).abs() < 1e-9);
        assert!(close(
            PerfParams::default().mig_speed(1.0, 0.6, 0.8, f),
            mig_speed(1.0, 0.6, 0.8, f)
        ));
        assert!(
            !PerfParams {
                mig_efficiency: 0.0,
                ..p.clone()
            }
            .problems()
            .is_empty()
        );
    }
}
