//! Welch's t-test on the difference of two means with unequal variances (`slicesim compare`):
//! t = (mean_b - mean_a) / sqrt(s_a^2/n_a + s_b^2/n_b), degrees of freedom by
//! Welch-Satterthwaite, two-sided p-value from Student's t.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Significance level of every test reported.
pub const ALPHA: f64 = 0.05;

/// One side's sample: size, mean and sample standard deviation (n - 1 divisor).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
}

/// The outcome of the test of `b - a`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Welch {
    pub t: f64,
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
}

impl Welch {
    /// Whether the difference is significant at [`ALPHA`].
    pub fn significant(&self) -> bool {
        self.p < ALPHA
    }
}

/// Welch's test of `b.mean - a.mean`. `None` below two values on either side or with a
/// non-finite input. Two sides without any spread give p = 1 when their means are equal and
/// p = 0 otherwise (the limit of a vanishing variance).
pub fn welch(a: Sample, b: Sample) -> Option<Welch> {
    let finite = [a.mean, a.sd, b.mean, b.sd].iter().all(|x| x.is_finite());
    if a.n < 2 || b.n < 2 || !finite || a.sd < 0.0 || b.sd < 0.0 {
        return None;
    }
    let va = a.sd * a.sd / a.n as f64;
    let vb = b.sd * b.sd / b.n as f64;
    let diff = b.mean - a.mean;
    let se2 = va + vb;
    if se2 == 0.0 {
        let (t, p) = if diff == 0.0 {
            (0.0, 1.0)
        } else {
            (diff.signum() * f64::INFINITY, 0.0)
        };
        let df = (a.n + b.n - 2) as f64;
        return Some(Welch { t, df, p });
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * dist.cdf(-t.abs())).min(1.0);
    Some(Welch { t, df, p })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::replication::Estimate;

    fn sample(xs: &[f64]) -> Sample {
        let e = Estimate::of(xs).unwrap();
        Sample {
            n: e.n,
            mean: e.mean,
            sd: e.sd.unwrap(),
        }
    }

    #[test]
    fn hand_worked_example() {
        // a = 1..5: mean 3, s^2 = (4+1+0+1+4)/4 = 2.5; b = 2,4,..,10: mean 6, s^2 = 10.
        // s_a^2/n = 0.5, s_b^2/n = 2, se^2 = 2.5, t = (6 - 3)/sqrt(2.5) = 1.8973666.
        // df = 2.5^2 / (0.5^2/4 + 2^2/4) = 6.25 / 1.0625 = 5.8823529.
        let w = welch(
            sample(&[1.0, 2.0, 3.0, 4.0, 5.0]),
            sample(&[2.0, 4.0, 6.0, 8.0, 10.0]),
        )
        .unwrap();
        assert!((w.t - 1.897_366_6).abs() < 1e-6, "{w:?}");
        assert!((w.df - 5.882_352_9).abs() < 1e-6, "{w:?}");
        // p lies between the two-sided p of t = 1.8974 at df 5 (0.1164) and df 6 (0.1067),
        // from t tables: P(|T_5| > 2.015) = 0.10 and P(|T_6| > 1.943) = 0.10 bracket it.
        assert!(w.p > 0.10 && w.p < 0.12, "{w:?}");
        assert!(!w.significant());
        // Symmetric: swapping the sides flips t only.
        let s = welch(
            sample(&[2.0, 4.0, 6.0, 8.0, 10.0]),
            sample(&[1.0, 2.0, 3.0, 4.0, 5.0]),
        )
        .unwrap();
        assert!((s.t + w.t).abs() < 1e-12 && (s.p - w.p).abs() < 1e-12);
    }

    #[test]
    fn published_example() {
        // Wikipedia, "Welch's t-test", example 2 (A1 and A2): t = -2.46 (A1 - A2),
        // df = 24.9 (rounded 25.0), p = 0.021.
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let w = welch(sample(&a2), sample(&a1)).unwrap();
        assert!((w.t - -2.46).abs() < 0.005, "{w:?}");
        assert!((w.df - 24.9).abs() < 0.1, "{w:?}");
        assert!((w.p - 0.021).abs() < 0.0005, "{w:?}");
        assert!(w.significant());
    }

    #[test]
    fn degenerate_inputs() {
        let one = Sample {
            n: 1,
            mean: 1.0,
            sd: 0.0,
        };
        let two = Sample {
            n: 2,
            mean: 1.0,
            sd: 0.0,
        };
        assert_eq!(welch(one, two), None);
        assert_eq!(welch(two, two).unwrap().p, 1.0);
        let other = Sample { mean: 2.0, ..two };
        assert_eq!(welch(two, other).unwrap().p, 0.0);
        let nan = Sample {
            mean: f64::NAN,
            ..two
        };
        assert_eq!(welch(two, nan), None);
    }
}
