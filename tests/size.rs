//! The bisection of `slicesim size` (src/check/size.rs) on synthetic figures: the probes it
//! makes, counted by hand, the confidence rule, and the refusals.

use slicesim::check::size::{Confidence, Search, Verdict, search};
use slicesim::check::{Figure, parse_expectation};

fn fig(path: &str, value: f64, half_width: Option<f64>) -> Figure {
    Figure {
        path: path.to_string(),
        value,
        half_width,
    }
}

/// Searches `lo..=hi` for `conditions`, with `at` giving the figures of a value.
fn run(
    conditions: &[&str],
    lo: i64,
    hi: i64,
    confidence: Confidence,
    at: impl Fn(i64) -> Vec<Figure>,
) -> Search {
    let conds: Vec<_> = conditions
        .iter()
        .map(|c| parse_expectation(c).unwrap())
        .collect();
    search(&conds, lo, hi, confidence, |v| Ok(at(v))).unwrap()
}

fn probed(s: &Search) -> Vec<i64> {
    s.probes.iter().map(|p| p.value).collect()
}

#[test]
fn bisection_probes_counted_by_hand() {
    // wait = 10 - v, condition wait <= 5: met from v = 5 on. HI 8 meets, LO 1 does not; then
    // mid (1 + 8) / 2 = 4 fails, (4 + 8) / 2 = 6 meets, (4 + 6) / 2 = 5 meets: answer 5.
    let s = run(&["wait <= 5"], 1, 8, Confidence::Mean, |v| {
        vec![fig("wait", (10 - v) as f64, None)]
    });
    assert_eq!(probed(&s), [8, 1, 4, 6, 5]);
    assert_eq!(s.verdict, Verdict::Found(5));
    let (answer, below) = s.answer().unwrap();
    assert_eq!((answer.value, answer.figures[0].value), (5, 5.0));
    assert_eq!(below.map(|p| (p.value, p.met)), Some((4, false)));
}

#[test]
fn answer_at_the_ends() {
    // Met everywhere: HI then LO, LO is the answer, nothing below it was probed.
    let s = run(&["wait <= 100"], 1, 8, Confidence::Mean, |v| {
        vec![fig("wait", (10 - v) as f64, None)]
    });
    assert_eq!((probed(&s), &s.verdict), (vec![8, 1], &Verdict::Found(1)));
    assert!(s.answer().unwrap().1.is_none());
    // Met only at HI: 8, 1, 4, 6, 7 -> 8.
    let s = run(&["wait <= 2"], 1, 8, Confidence::Mean, |v| {
        vec![fig("wait", (10 - v) as f64, None)]
    });
    assert_eq!(
        (probed(&s), &s.verdict),
        (vec![8, 1, 4, 6, 7], &Verdict::Found(8))
    );
    // Not met even at HI: one probe, no answer.
    let s = run(&["wait <= 1"], 1, 8, Confidence::Mean, |v| {
        vec![fig("wait", (10 - v) as f64, None)]
    });
    assert_eq!((probed(&s), &s.verdict), (vec![8], &Verdict::NotMetAtHi));
    assert!(s.answer().is_none());
    // LO == HI: one probe.
    let s = run(&["wait <= 5"], 5, 5, Confidence::Mean, |v| {
        vec![fig("wait", (10 - v) as f64, None)]
    });
    assert_eq!((probed(&s), &s.verdict), (vec![5], &Verdict::Found(5)));
}

#[test]
fn upper_confidence_tests_the_end_of_the_interval() {
    // wait = 10 - v ± 1.5: the upper end 11.5 - v is <= 5 from v = 7 (5.5 at 6 fails, 4.5 at
    // 7 meets); the mean alone meets from 5.
    let at = |v: i64| vec![fig("wait", (10 - v) as f64, Some(1.5))];
    let upper = run(&["wait <= 5"], 1, 8, Confidence::Upper, at);
    assert_eq!(upper.verdict, Verdict::Found(7));
    // 8, 1, 4 (upper 7.5 fails), 6 (5.5 fails), 7 (4.5 meets).
    assert_eq!(probed(&upper), [8, 1, 4, 6, 7]);
    let mean = run(&["wait <= 5"], 1, 8, Confidence::Mean, at);
    assert_eq!(mean.verdict, Verdict::Found(5));
    // `>=` uses the lower end: busy = v / 10 ± 0.05 >= 0.5 needs v / 10 - 0.05 >= 0.5, v >= 6
    // (so more of the axis helps here: busy rises with v).
    let s = run(&["busy >= 50%"], 1, 8, Confidence::Upper, |v| {
        vec![fig("busy", v as f64 / 10.0, Some(0.05))]
    });
    assert_eq!(s.verdict, Verdict::Found(6));
}

#[test]
fn contradicting_conditions_are_refused() {
    // a <= 0 holds at v <= 3 and at 8; b <= 0 from v = 4 on. HI 8 meets both; LO 1 fails b;
    // mid 4 fails a: `a` is met at 1 but not at 4 (nor at 6, 5 probed after).
    let s = run(&["a <= 0", "b <= 0"], 1, 8, Confidence::Mean, |v| {
        let a = if v <= 3 || v == 8 { 0.0 } else { 1.0 };
        let b = if v >= 4 { 0.0 } else { 1.0 };
        vec![fig("a", a, None), fig("b", b, None)]
    });
    let Verdict::NotMonotone(reasons) = &s.verdict else {
        panic!("{:?}", s.verdict)
    };
    assert!(
        reasons.contains(&"`a <= 0` is met at 1 but not at 4".to_string()),
        "{reasons:?}"
    );
    assert!(s.probes.len() >= 3);
}

#[test]
fn a_mean_moving_the_wrong_way_beyond_its_intervals_is_refused() {
    // The condition holds everywhere, but the mean rises with v: 1 ± 0.1 at 1, 3 ± 0.1 at 8
    // (3 - 1 = 2 > 0.1 + 0.1): more of the axis made the figure worse.
    let s = run(&["wait <= 10"], 1, 8, Confidence::Upper, |v| {
        vec![fig("wait", if v == 8 { 3.0 } else { 1.0 }, Some(0.1))]
    });
    let Verdict::NotMonotone(reasons) = &s.verdict else {
        panic!("{:?}", s.verdict)
    };
    assert!(reasons[0].contains("moves the wrong way"), "{reasons:?}");
    // Overlapping intervals (1 ± 1.5 and 3 ± 1.5) are noise, not a contradiction.
    let s = run(&["wait <= 10"], 1, 8, Confidence::Upper, |v| {
        vec![fig("wait", if v == 8 { 3.0 } else { 1.0 }, Some(1.5))]
    });
    assert_eq!(s.verdict, Verdict::Found(1));
    // A single run has no interval: only met / not met counts.
    let s = run(&["wait <= 10"], 1, 8, Confidence::Upper, |v| {
        vec![fig("wait", if v == 8 { 3.0 } else { 1.0 }, None)]
    });
    assert_eq!(s.verdict, Verdict::Found(1));
}

#[test]
fn bad_searches_are_errors() {
    let c = vec![parse_expectation("wait <= 5").unwrap()];
    let ok = |_: i64| Ok(vec![fig("wait", 1.0, None)]);
    assert!(
        search(&c, 5, 4, Confidence::Mean, ok)
            .unwrap_err()
            .contains("LO must not")
    );
    assert!(
        search(&[], 1, 4, Confidence::Mean, ok)
            .unwrap_err()
            .contains("no condition")
    );
    let b = vec![parse_expectation("wait <= baseline").unwrap()];
    assert!(
        search(&b, 1, 4, Confidence::Mean, ok)
            .unwrap_err()
            .contains("baseline")
    );
    let unknown = vec![parse_expectation("wiat <= 5").unwrap()];
    assert!(
        search(&unknown, 1, 4, Confidence::Mean, ok)
            .unwrap_err()
            .contains("wait")
    );
    let failing = |v: i64| Err::<Vec<Figure>, _>(format!("boom {v}"));
    assert_eq!(
        search(&c, 1, 4, Confidence::Mean, failing).unwrap_err(),
        "at 4: boom 4"
    );
}
