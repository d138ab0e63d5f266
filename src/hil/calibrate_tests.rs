//! Tests of `calibrate`: the overhead and context-memory fits with hand-worked values.
use super::*;

#[test]
fn overhead_line_is_recovered_exactly() {
    // o = 0.03 per context: o(2) = 0.03, o(3) = 0.06, o(4) = 0.09.
    // a = (1*0.03 + 2*0.06 + 3*0.09) / (1 + 4 + 9) = 0.42 / 14 = 0.03, no cap.
    let pts = [(2.0, 0.03), (3.0, 0.06), (4.0, 0.09)];
    let (a, cap) = fit_overhead(&pts).unwrap();
    assert!((a - 0.03).abs() < 1e-12);
    assert_eq!(cap, None);
}

#[test]
fn overhead_cap_is_found() {
    // a = 0.03 up to n = 4, then capped at 0.1: linear part {2,3,4} gives a = 0.03 exactly,
    // the capped part {5,6,8} has mean 0.1; consistent since 0.09 <= 0.1 <= 0.12.
    let pts = [
        (2.0, 0.03),
        (3.0, 0.06),
        (4.0, 0.09),
        (5.0, 0.1),
        (6.0, 0.1),
        (8.0, 0.1),
    ];
    let (a, cap) = fit_overhead(&pts).unwrap();
    assert!((a - 0.03).abs() < 1e-12, "{a}");
    assert!((cap.unwrap() - 0.1).abs() < 1e-12);
    assert_eq!(fit_overhead(&[]), None);
}

#[test]
fn a_flat_loss_is_fitted_as_a_cap_from_the_first_n() {
    // The shape an H200 showed (o(n) from hil/measurements/h200-2026-12-04, rounded):
    // 0.092, 0.084, 0.092, 0.084, 0.092 at n = 2, 3, 4, 6, 8. The line through the origin
    // gives a = (1*0.092 + 2*0.084 + 3*0.092 + 5*0.084 + 7*0.092) / (1 + 4 + 9 + 25 + 49)
    // = 1.6 / 88 = 0.01818 (o(2) = 0.018 for a measured 0.092). No split is consistent
    // (the n = 2 point alone gives a line at 0.092, above the mean 0.0880 of the rest). The
    // cap from n = 2 on: c = 0.444 / 5 = 0.0888 and a = c / (2 - 1).
    let pts = [
        (2.0, 0.092),
        (3.0, 0.084),
        (4.0, 0.092),
        (6.0, 0.084),
        (8.0, 0.092),
    ];
    let (a, cap) = fit_overhead(&pts).unwrap();
    assert!((a - 0.0888).abs() < 1e-12, "{a}");
    assert!((cap.unwrap() - 0.0888).abs() < 1e-12, "{cap:?}");
    // Measured from n = 3 on, the slope reaches the cap at the first n: a = c / 2.
    let (a, cap) = fit_overhead(&[(3.0, 0.1), (5.0, 0.1)]).unwrap();
    assert!((a - 0.05).abs() < 1e-12 && (cap.unwrap() - 0.1).abs() < 1e-12);
    // No loss at all is the plain line at 0, not a cap.
    assert_eq!(fit_overhead(&[(2.0, 0.0), (4.0, 0.0)]), Some((0.0, None)));
}

#[test]
fn slope_is_least_squares() {
    // 556 MiB per context over 2 MiB already used: (1, 558), (2, 1114), (4, 2226).
    let b = slope(&[(1.0, 558.0), (2.0, 1114.0), (4.0, 2226.0)]).unwrap();
    assert!((b - 556.0).abs() < 1e-9, "{b}");
    // (0, 0), (1, 1), (2, 3): mean x 1, mean y 4/3; sxy = -1 * -4/3 + 1 * 5/3 = 3, sxx = 2.
    assert!((slope(&[(0.0, 0.0), (1.0, 1.0), (2.0, 3.0)]).unwrap() - 1.5).abs() < 1e-12);
    assert_eq!(slope(&[(2.0, 5.0), (2.0, 7.0)]), None);
}

fn ts(u: f64, n: u32, measured: f64) -> Observation {
    Observation {
        kind: "time_slicing",
        gpu_model: "H200-141GB".into(),
        u,
        d: 1.0,
        n: Some(n),
        profile: None,
        sm_fraction: None,
        measured,
        source: "t".into(),
        variant: String::new(),
        reference: None,
    }
}

#[test]
fn overhead_comes_from_u_one_points_only() {
    // u = 1, n = 2, r = 0.48: o(2) = 1 - 2 x 0.48 = 0.04. The u = 0.5, n = 4 point (n u = 2,
    // saturated, r = 0.3) would give 1 - 4 x 0.5 x 0.3 = 0.4 if it were used: it is not.
    let obs = [
        ts(1.0, 2, 0.48),
        ts(0.5, 4, 0.3),
        ts(0.5, 2, 0.8),
        ts(1.0, 1, 1.0),
    ];
    let est = overhead_estimates(&obs);
    assert_eq!(est.len(), 1);
    assert_eq!(est[0].0, 2.0);
    assert!((est[0].1 - 0.04).abs() < 1e-12, "{:?}", est);
    assert_eq!(below_saturation_points(&obs), 2);
}

#[test]
fn numbers_print_short() {
    assert_eq!(num(0.03), "0.03");
    assert_eq!(num(2.0), "2");
    assert_eq!(num(0.123_456_789), "0.123457");
}
