use super::*;
use proptest::prelude::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn t_quantiles_match_published_tables() {
    // Two-sided 95 % critical values t_{0.975, df} from standard tables.
    for (df, t) in [
        (1, 12.706205),
        (2, 4.302653),
        (4, 2.776445),
        (9, 2.262157),
        (29, 2.045230),
        (120, 1.979930),
    ] {
        let got = t_quantile(0.975, df);
        assert!(close(got, t, 1e-5), "df {df}: {got} vs {t}");
    }
    // Symmetry and the median.
    assert!(close(t_quantile(0.025, 9), -2.262157, 1e-5));
    assert!(close(t_quantile(0.5, 5), 0.0, 1e-9));
    // Past 1000 degrees of freedom: the expansion, continuous with the exact inverse at the
    // switch, tending to the normal z_{0.975} = 1.959964; t_{0.975,10^6} = z + (z^3 + z) /
    // (4 * 10^6) + ... = 1.959966.
    assert!(close(t_quantile(0.975, 1000), 1.962339, 1e-6));
    assert!(close(
        t_quantile(0.975, 1001),
        t_quantile(0.975, 1000),
        1e-5
    ));
    assert!(t_quantile(0.975, 1001) < t_quantile(0.975, 1000));
    assert!(close(t_quantile(0.975, 1_000_000), 1.959966, 1e-6));
    assert!(close(t_quantile(0.975, u64::MAX), 1.959964, 1e-6));
    assert!(close(
        t_quantile(0.025, 5000),
        -t_quantile(0.975, 5000),
        1e-12
    ));
    // n replications use n - 1 degrees of freedom.
    assert!(close(t_critical(10), 2.262157, 1e-5));
}

#[test]
fn hand_worked_sample() {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32;
    // s^2 = 32/7, s = 2.138090; half-width = t_{0.975,7} s / sqrt 8 = 2.364624 * 2.138090 /
    // 2.828427 = 1.787494.
    let e = Estimate::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
    assert_eq!(e.n, 8);
    assert!(close(e.mean, 5.0, 1e-12));
    assert!(close(e.sd.unwrap(), (32.0f64 / 7.0).sqrt(), 1e-12));
    assert!(close(e.half_width.unwrap(), 1.787494, 1e-5));
    let (lo, hi) = e.ci().unwrap();
    assert!(close(lo, 5.0 - 1.787494, 1e-5) && close(hi, 5.0 + 1.787494, 1e-5));
}

#[test]
fn three_values() {
    // 1, 2, 3: mean 2, s = 1, half-width = t_{0.975,2} / sqrt 3 = 4.302653 / 1.732051 = 2.484138.
    let e = Estimate::of(&[1.0, 2.0, 3.0]).unwrap();
    assert!(close(e.half_width.unwrap(), 2.484138, 1e-5));
}

#[test]
fn small_samples() {
    assert_eq!(Estimate::of(&[]), None);
    let one = Estimate::of(&[7.5]).unwrap();
    assert_eq!(
        (one.n, one.mean, one.sd, one.half_width),
        (1, 7.5, None, None)
    );
    assert_eq!(one.ci(), None);
    let same = Estimate::of(&[3.0, 3.0, 3.0]).unwrap();
    assert_eq!((same.sd, same.half_width), (Some(0.0), Some(0.0)));
}

#[test]
fn replications_needed_hand_worked() {
    // s = 1, target 1: n = 7 gives 2.446912 / sqrt 7 = 0.924845 <= 1, n = 6 gives
    // 2.570582 / sqrt 6 = 1.049435 > 1, so 7.
    assert_eq!(replications_needed(1.0, 1.0), Some(7));
    // s = 10, target 1: z estimate (1.96 * 10)^2 = 384.2; with t: n = 387 gives
    // 1.966 * 10 / 19.672 = 0.99939..., n = 386 gives 1.00069...
    let n = replications_needed(10.0, 1.0).unwrap();
    assert!(half_width(10.0, n) <= 1.0 && half_width(10.0, n - 1) > 1.0);
    assert!((385..=390).contains(&n), "{n}");
    // No spread: two replications suffice; a zero target with spread never does.
    assert_eq!(replications_needed(0.0, 0.0), Some(2));
    assert_eq!(replications_needed(1.0, 0.0), None);
    assert_eq!(replications_needed(f64::NAN, 1.0), None);
    assert_eq!(replications_needed(1.0, -1.0), None);
}

proptest! {
    #[test]
    fn ci_contains_the_mean(values in prop::collection::vec(-1e6f64..1e6, 2..40)) {
        let e = Estimate::of(&values).unwrap();
        let (lo, hi) = e.ci().unwrap();
        prop_assert!(lo <= e.mean && e.mean <= hi);
        let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(min - 1e-6 <= e.mean && e.mean <= max + 1e-6);
    }

    #[test]
    fn half_width_shrinks_like_one_over_sqrt_n(sd in 0.01f64..1e4, n in 30u64..2000) {
        // With the same s, quadrupling n halves the half-width up to the ratio of the t
        // values, which falls with n: at n = 30 it is t_{29} / t_{119} = 2.045230 / 1.980100
        // = 1.0329.
        let ratio = half_width(sd, n) / half_width(sd, 4 * n);
        let t_ratio = t_critical(n) / t_critical(4 * n);
        prop_assert!((ratio - 2.0 * t_ratio).abs() < 1e-9);
        prop_assert!(ratio > 2.0 && ratio < 2.0 * 1.0330);
    }

    #[test]
    fn needed_is_the_smallest_that_meets_the_target(sd in 0.001f64..100.0, h in 0.01f64..10.0) {
        let n = replications_needed(sd, h).unwrap();
        prop_assert!(n >= 2);
        prop_assert!(half_width(sd, n) <= h);
        if n > 2 {
            prop_assert!(half_width(sd, n - 1) > h);
        }
    }
}
