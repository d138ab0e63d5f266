//! Statistics over independent replications (one value per seed): mean, sample standard
//! deviation, the 95 % confidence half-width with Student's t over n - 1 degrees of freedom,
//! and how many replications a target half-width needs.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Two-sided confidence level of every interval reported.
pub const CONFIDENCE: f64 = 0.95;

/// Mean and spread of one figure over its replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1 divisor); `None` below two values.
    pub sd: Option<f64>,
    /// Half-width of the 95 % confidence interval of the mean; `None` below two values.
    pub half_width: Option<f64>,
}

impl Estimate {
    /// Mean, standard deviation and half-width of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        // Two passes: the squared deviations from the mean, not E[x^2] - mean^2, which
        // cancels badly for large, close values (costs in the thousands of dollars).
        let sd = (n >= 2).then(|| {
            let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        let half_width = sd.map(|s| half_width(s, n as u64));
        Some(Estimate {
            n,
            mean,
            sd,
            half_width,
        })
    }

    /// The confidence interval `(low, high)`, when there are two values or more.
    pub fn ci(&self) -> Option<(f64, f64)> {
        self.half_width.map(|h| (self.mean - h, self.mean + h))
    }
}

/// Above this many degrees of freedom the quantile comes from the Cornish-Fisher expansion
/// around the normal quantile: statrs's inverse (through the inverse regularized beta) loses
/// accuracy past ~1e5 degrees of freedom and slows down, while the expansion's error at 1000 is
/// below 1e-11.
const EXPANSION_ABOVE: u64 = 1000;

/// The `p` quantile of Student's t with `df` degrees of freedom (`df >= 1`, `0 < p < 1`).
pub fn t_quantile(p: f64, df: u64) -> f64 {
    let df = df.max(1);
    if df > EXPANSION_ABOVE {
        return t_expansion(p, df as f64);
    }
    let t = StudentsT::new(0.0, 1.0, df as f64)
        .expect("location 0, scale 1 and df >= 1 are valid parameters");
    t.inverse_cdf(p)
}

/// Abramowitz & Stegun 26.7.5: t = z + g1/v + g2/v^2 + g3/v^3 + g4/v^4.
fn t_expansion(p: f64, v: f64) -> f64 {
    let z = Normal::standard().inverse_cdf(p);
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

/// The two-sided critical value for [`CONFIDENCE`] over `n` replications (`n - 1` degrees of
/// freedom), e.g. 2.262157 for n = 10.
pub fn t_critical(n: u64) -> f64 {
    t_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0, n.saturating_sub(1).max(1))
}

/// Half-width of the confidence interval of a mean of `n >= 2` values with sample standard
/// deviation `sd`: t_{n-1} sd / sqrt(n).
pub fn half_width(sd: f64, n: u64) -> f64 {
    t_critical(n) * sd / (n as f64).sqrt()
}

/// Beyond this, "needed" is reported as unreachable rather than searched further.
const MAX_NEEDED: u64 = 1 << 40;

/// The smallest number of replications n >= 2 whose confidence half-width, with standard
/// deviation `sd`, is at most `target`: the fixed point of n = ceil((t_{n-1} sd / target)^2).
/// `None` when no n reaches it (target 0 with a positive spread, or beyond 2^40).
pub fn replications_needed(sd: f64, target: f64) -> Option<u64> {
    if !(sd.is_finite() && target.is_finite()) || sd < 0.0 || target < 0.0 {
        return None;
    }
    if sd == 0.0 {
        return Some(2);
    }
    if target == 0.0 {
        return None;
    }
    let meets = |n: u64| half_width(sd, n) <= target;
    // half_width decreases with n (t falls and sqrt(n) grows), so search by doubling, then
    // bisect between the last miss and the first hit.
    let (mut lo, mut hi) = (1u64, 2u64);
    while !meets(hi) {
        if hi >= MAX_NEEDED {
            return None;
        }
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
#[path = "replication_tests.rs"]
mod tests;
