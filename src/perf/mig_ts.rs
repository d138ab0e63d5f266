//! Time-slicing inside a MIG instance (device plugin `sharing.timeSlicing` of
//! `nvidia.com/mig-<profile>`): the instance is a small GPU whose time the contexts on it share
//! as on a time-sliced GPU, while other instances stay isolated (docs/MODEL.md, "Time-sliced
//! MIG instances").
//!
//! For context `i` alone in the instance, the MIG equations give its speed `x⁰_i` and the
//! fraction `k_i` of wall time its kernels keep the instance busy. With `n` contexts in the
//! instance, the time-slicing equations apply to the instance:
//!
//! ```text
//! capacity = 1 − o(n)
//! g        = water_fill(k, capacity)
//! x_i      = x⁰_i · min(1, g_i / k_i)
//! ```

use super::{PerfParams, mig_busy_bw, water_fill};
use smallvec::SmallVec;

/// One context in a time-sliced MIG instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceContext {
    pub s: f64,
    pub u: f64,
    pub d: f64,
    pub b: f64,
}

/// Rate of one context of a time-sliced MIG instance.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct InstanceRate {
    /// Work-seconds per second.
    pub speed: f64,
    /// Fraction of the instance's time its kernels run.
    pub share: f64,
    /// Its speed if it were alone in the instance (the MIG speed).
    pub alone: f64,
}

/// Speeds of the contexts sharing one MIG instance with SM fraction `f` and memory fraction
/// `f_mem` (`out` is overwritten).
pub fn sliced_instance(
    params: &PerfParams,
    f: f64,
    f_mem: f64,
    contexts: &[InstanceContext],
    out: &mut Vec<InstanceRate>,
) {
    out.clear();
    let n = contexts.len();
    // On the stack for up to 8 contexts, as in `shared_gpu`: no allocation per re-rating.
    let demand: SmallVec<[f64; 8]> = contexts
        .iter()
        .map(|c| mig_busy_bw(c.u, c.d, f, c.b, f_mem))
        .collect();
    let mut share: SmallVec<[f64; 8]> = smallvec::smallvec![0.0; n];
    water_fill(&demand, 1.0 - params.overhead(n), &mut share);
    for ((c, &k), &g) in contexts.iter().zip(&demand).zip(&share) {
        let alone = params.mig_speed_bw(c.s, c.u, c.d, f, c.b, f_mem);
        let speed = if k > 0.0 {
            alone * (g / k).min(1.0)
        } else {
            alone
        };
        out.push(InstanceRate {
            speed,
            share: g,
            alone,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(u: f64, d: f64) -> InstanceContext {
        InstanceContext {
            s: 1.0,
            u,
            d,
            b: 0.0,
        }
    }

    #[test]
    fn one_context_is_the_mig_speed() {
        // A100 3g.40gb, f = 42/108: u 0.6, d 0.8 -> x = 0.6118881 (MODEL.md's MIG example).
        let f = 42.0 / 108.0;
        let mut out = Vec::new();
        sliced_instance(&PerfParams::default(), f, 0.5, &[ctx(0.6, 0.8)], &mut out);
        assert!((out[0].speed - 0.611_888_111_888).abs() < 1e-9);
    }

    #[test]
    fn two_compute_bound_contexts_split_the_instance() {
        // u = 1, d = 0.3 on a 3g.40gb: d/f = 0.771 < 1, alone x = 1, k = 1. Two contexts:
        // o(2) = 0.02, capacity 0.98, g = 0.49 each, x = 0.49.
        let f = 42.0 / 108.0;
        let mut out = Vec::new();
        sliced_instance(
            &PerfParams::default(),
            f,
            0.5,
            &[ctx(1.0, 0.3); 2],
            &mut out,
        );
        for r in &out {
            assert!((r.speed - 0.49).abs() < 1e-12 && (r.share - 0.49).abs() < 1e-12);
        }
        // Light contexts (u = 0.3 each) fit: 0.6 <= 0.98, nobody slows.
        sliced_instance(
            &PerfParams::default(),
            f,
            0.5,
            &[ctx(0.3, 0.3); 2],
            &mut out,
        );
        assert!(out.iter().all(|r| (r.speed - 1.0).abs() < 1e-12));
    }
}
