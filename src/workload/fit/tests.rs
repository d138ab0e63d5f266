//! Fits worked by hand: rate, daily cycle, mix, busiest window, round trip.

use super::*;

fn job(submit: SimTime, class: &str, dur: SimTime, req: Option<RequestSpec>) -> TraceJob {
    let mut j = TraceJob::new(0, submit, class, dur);
    j.request = req;
    j
}

#[test]
fn lognormal_fit_by_hand() {
    // Run times 1, e, e^2 s (in ms): ln = ln(1000) + {0, 1, 2}: mean + 1, sample sd 1.
    let e = std::f64::consts::E;
    let mut d = vec![
        1000,
        (1000.0 * e * e).round() as u64,
        (1000.0 * e).round() as u64,
    ];
    let (median, sigma, min, max) = lognormal(&mut d);
    assert_eq!((median, min, max), (2718, 1000, 7389));
    assert!((sigma - 1.0).abs() < 1e-3, "{sigma}");
}

#[test]
fn rate_mix_and_daily_cycle_by_hand() {
    // 48 h of arrivals: every job at 14:30 on day 0 or day 1 (a perfect daily spike), two
    // classes 3:1. A spike at 14.5 h has first harmonic amplitude 2 (clamped to 1), peak
    // 14.5 h.
    let mut jobs = Vec::new();
    for day in 0..2u64 {
        for i in 0..40u64 {
            let t = day * 24 * MS_PER_HOUR + 14 * MS_PER_HOUR + 30 * 60_000 + i;
            let class = if i % 4 == 0 { "b" } else { "a" };
            jobs.push(job(
                t,
                class,
                60_000 * (1 + i % 3),
                Some(RequestSpec::Gpu { count: 1 }),
            ));
        }
    }
    let f = fit(&jobs, None).unwrap();
    // 80 jobs between 14:30:00.000 on day 0 and 14:30:00.039 on day 1: 24 h + 39 ms.
    let span_h = (24.0 * 3_600_000.0 + 39.0) / 3_600_000.0;
    assert!((f.spec.rate_per_hour - 80.0 / span_h).abs() < 1e-6);
    assert_eq!(f.spec.span, Some(Dur(24 * MS_PER_HOUR + 1000)));
    let d = f.spec.diurnal.clone().unwrap();
    assert_eq!((d.amplitude, d.peak_hour), (1.0, 14.5));
    let w: Vec<(&str, f64)> = f
        .spec
        .mix
        .iter()
        .map(|e| (e.class.as_str(), e.weight))
        .collect();
    assert_eq!(w, vec![("a", 60.0), ("b", 20.0)]);
    // Class b: run times 1, 2, 3, 1, 2, ... min -> median 2 min; 20 jobs < 30 borrow
    // their class's spread, which is their own (one group per class).
    assert_eq!(f.spec.mix[1].duration.median, Dur(120_000));
    assert_eq!(f.spec.mix[1].request, Some(RequestSpec::Gpu { count: 1 }));
}

#[test]
fn busiest_window_leaves_the_sparse_tail_out() {
    // 100 jobs in the first hour, 2 stragglers 10 days later; 98 % = 100 jobs.
    let mut jobs: Vec<TraceJob> = (0..100).map(|i| job(i * 36_000, "a", 1000, None)).collect();
    jobs.push(job(240 * MS_PER_HOUR, "a", 1000, None));
    jobs.push(job(241 * MS_PER_HOUR, "a", 1000, None));
    let f = fit(&jobs, Some(0.98)).unwrap();
    assert_eq!((f.jobs, f.left_out), (100, 2));
    // 100 jobs over 99 x 36 s = 0.99 h.
    assert!((f.spec.rate_per_hour - 100.0 / 0.99).abs() < 1e-4);
    assert!(f.spec.diurnal.is_none());
    assert!(fit(&jobs, Some(1.5)).is_err());
    assert!(fit(&[], None).is_err());
}

#[test]
fn profile_round_trips_through_yaml_and_scales() {
    let jobs: Vec<TraceJob> = (0..500)
        .map(|i| {
            job(
                i * 600_000,
                if i % 5 == 0 { "b" } else { "a" },
                1000 * (1 + i % 17),
                Some(RequestSpec::Milli {
                    milli: 250,
                    count: 1,
                }),
            )
        })
        .collect();
    let f = fit(&jobs, None).unwrap();
    let text = profile_yaml(&f, "t.csv").unwrap();
    let back: SyntheticSpec = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(back, f.spec);
    assert!(back.problems().is_empty(), "{:?}", back.problems());
    // Generation: the profile reproduces about as many jobs as the trace had; scale 2
    // about twice as many. Poisson counts: mean 500 (sd 22) and 1000 (sd 32); 5 sd.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.csv");
    let n1 = generate(&back, 1.0, 1, None, &out).unwrap();
    let n2 = generate(&back, 2.0, 1, None, &out).unwrap();
    assert!((n1 as f64 - 500.0).abs() < 5.0 * 500f64.sqrt(), "{n1}");
    assert!((n2 as f64 - 1000.0).abs() < 5.0 * 1000f64.sqrt(), "{n2}");
    let jobs: Vec<TraceJob> = crate::trace::NativeReader::open(&out)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(jobs.len() as u64, n2);
    assert!(jobs.iter().all(|j| j.request
        == Some(RequestSpec::Milli {
            milli: 250,
            count: 1
        })));
}

#[test]
fn busiest_window_is_the_shortest_span_holding_the_share() {
    // Submits 100, 0, 12, 10, 11 (file order): sorted 0, 10, 11, 12, 100 (indices 1, 3, 4, 2, 0).
    // A share of 0.6 of 5 jobs is 3; windows of 3: [0, 11] = 11, [10, 12] = 2, [11, 100] = 89.
    let jobs: Vec<TraceJob> = [100, 0, 12, 10, 11]
        .iter()
        .map(|&t| job(t, "a", 1000, None))
        .collect();
    assert_eq!(busiest_window(&jobs, Some(0.6)), vec![3, 4, 2]);
    // All of them, in submit order (ties by file position).
    assert_eq!(busiest_window(&jobs, None), vec![1, 3, 4, 2, 0]);
    // A share below one job still keeps one: the first in submit order (every window is 0).
    assert_eq!(busiest_window(&jobs, Some(0.01)), vec![1]);
}
