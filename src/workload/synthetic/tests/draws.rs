//! Arrivals follow the rate and the daily cycle; durations follow their log-normal.

use super::*;

/// For a Poisson count with mean m the standard deviation is √m; 5 standard deviations
/// leave a chance below 1e-6 that a correct generator fails (and the seed is fixed anyway).
fn within_5_sigma_of_poisson(count: usize, mean: f64) -> bool {
    (count as f64 - mean).abs() <= 5.0 * mean.sqrt()
}

#[test]
fn arrival_count_matches_rate_times_span() {
    // 60/h over 1000 h: mean 60 000 arrivals, σ = √60000 ≈ 245, tolerance ±1225.
    let s = spec(60.0, vec![entry("a", 1.0, 60, 0.0)]);
    for seed in [1, 2, 3] {
        let n = SyntheticJobs::new(&s, seed, 1000 * HOUR).count();
        assert!(within_5_sigma_of_poisson(n, 60_000.0), "seed {seed}: {n}");
    }
}

#[test]
fn diurnal_keeps_the_daily_mean() {
    // The cosine integrates to 0 over whole days, so 10 days at 100/h still average 24 000
    // arrivals; σ ≈ 155, tolerance ±775.
    let mut s = spec(100.0, vec![entry("a", 1.0, 60, 0.0)]);
    s.diurnal = Some(Diurnal {
        amplitude: 0.8,
        peak_hour: 14.0,
    });
    let n = SyntheticJobs::new(&s, 5, 240 * HOUR).count();
    assert!(within_5_sigma_of_poisson(n, 24_000.0), "{n}");
}

#[test]
fn diurnal_peak_window_gets_more_than_trough_window() {
    // Rate 100/h, A = 0.8, peak at 14:00, 30 days. Expected arrivals per day in a window
    // [a, b) are 100 · ∫ (1 + 0.8 cos(2π (t − 14) / 24)) dt
    //   = 100 · ((b − a) + 0.8 · 24/(2π) · [sin(2π (t − 14)/24)] from a to b).
    // Peak window [12, 16): sin(30°) − sin(−30°) = 1  → 100 · (4 + 0.8 · 3.8197) = 705.58/day.
    // Trough window [0, 4): sin(−150°) − sin(−210°) = −1 → 100 · (4 − 3.0558) = 94.42/day.
    // Over 30 days: 21 167.5 (σ ≈ 145.5) and 2 832.6 (σ ≈ 53.2).
    let mut s = spec(100.0, vec![entry("a", 1.0, 60, 0.0)]);
    s.diurnal = Some(Diurnal {
        amplitude: 0.8,
        peak_hour: 14.0,
    });
    let (mut peak, mut trough) = (0usize, 0usize);
    for j in SyntheticJobs::new(&s, 11, 30 * 24 * HOUR) {
        let hour = (j.submit % (24 * HOUR)) / HOUR;
        match hour {
            12..=15 => peak += 1,
            0..=3 => trough += 1,
            _ => {}
        }
    }
    let per_day = |sign: f64| 100.0 * (4.0 + sign * 0.8 * 24.0 / std::f64::consts::TAU);
    assert!((per_day(1.0) - 705.58).abs() < 0.01);
    assert!(
        within_5_sigma_of_poisson(peak, 30.0 * per_day(1.0)),
        "{peak}"
    );
    assert!(
        within_5_sigma_of_poisson(trough, 30.0 * per_day(-1.0)),
        "{trough}"
    );
    assert!(peak > 5 * trough);
}

#[test]
fn class_frequencies_follow_weights() {
    // Weights 1:2:7 → p = 0.1, 0.2, 0.7. Over 20 000 jobs each count is binomial with
    // σ = √(n p (1 − p)): 42.4, 56.6, 64.8; allow 5σ.
    let s = SyntheticSpec {
        max_jobs: Some(20_000),
        ..spec(
            1000.0,
            vec![
                entry("a", 1.0, 60, 0.0),
                entry("b", 2.0, 60, 0.0),
                entry("unused", 0.0, 60, 0.0),
                entry("c", 7.0, 60, 0.0),
            ],
        )
    };
    let jobs: Vec<TraceJob> = SyntheticJobs::new(&s, 3, SimTime::MAX).collect();
    assert_eq!(jobs.len(), 20_000);
    for (class, p) in [("a", 0.1f64), ("b", 0.2), ("c", 0.7), ("unused", 0.0)] {
        let n = jobs.iter().filter(|j| j.class == class).count() as f64;
        let (mean, sd) = (20_000.0 * p, (20_000.0 * p * (1.0 - p)).sqrt());
        assert!((n - mean).abs() <= 5.0 * sd, "{class}: {n} vs {mean}");
    }
}

#[test]
fn durations_are_log_normal_around_the_median() {
    // Median 600 s, σ = 1, n = 10 001. The sample median's standard error is
    // 1 / (2 f(m) √n) with the log-normal density at its median f(m) = 1 / (m σ √(2π)):
    // 600 · 2.5066 / (2 · 100) = 7.52 s, so 5 SE ≈ 37.6 s. The standard deviation of ln X
    // estimates σ with standard error σ / √(2n) = 0.0071; 5 SE ≈ 0.035.
    // The 1 s floor only bites below Φ((ln 1 − ln 600)/1) = Φ(−6.4) ≈ 1e-10: negligible.
    let s = SyntheticSpec {
        max_jobs: Some(10_001),
        ..spec(1000.0, vec![entry("a", 1.0, 600, 1.0)])
    };
    let mut secs: Vec<f64> = SyntheticJobs::new(&s, 9, SimTime::MAX)
        .map(|j| j.duration as f64 / 1000.0)
        .collect();
    secs.sort_by(f64::total_cmp);
    let median = secs[5_000];
    assert!((median - 600.0).abs() < 37.6, "{median}");
    let logs: Vec<f64> = secs.iter().map(|x| x.ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64;
    assert!((var.sqrt() - 1.0).abs() < 0.035, "{}", var.sqrt());
}

#[test]
fn durations_are_clamped_to_min_max_and_one_second() {
    // With median 600 s, σ = 1 and min 300 s, P(X ≤ 300) = Φ(ln 0.5) = Φ(−0.6931) = 0.2441,
    // so about that share sits exactly at the floor; for n = 10 000, 5σ = 5 · √(p(1−p)/n)
    // = 0.0215. The same holds above max 1200 s (ln 2 above the median).
    let mut e = entry("a", 1.0, 600, 1.0);
    e.duration.min = Some(Dur(300_000));
    e.duration.max = Some(Dur(1_200_000));
    let s = SyntheticSpec {
        max_jobs: Some(10_000),
        ..spec(1000.0, vec![e])
    };
    let d: Vec<SimTime> = SyntheticJobs::new(&s, 4, SimTime::MAX)
        .map(|j| j.duration)
        .collect();
    assert!(d.iter().all(|&x| (300_000..=1_200_000).contains(&x)));
    for edge in [300_000, 1_200_000] {
        let share = d.iter().filter(|&&x| x == edge).count() as f64 / 1e4;
        assert!((share - 0.2441).abs() < 0.0215, "{edge}: {share}");
    }

    // A 10 ms median is lifted to the 1 s floor for every job (σ = 0).
    let tiny = SyntheticSpec {
        max_jobs: Some(5),
        ..spec(
            1000.0,
            vec![MixEntry {
                duration: LogNormal {
                    median: Dur(10),
                    sigma: 0.0,
                    min: None,
                    max: None,
                },
                ..entry("a", 1.0, 1, 0.0)
            }],
        )
    };
    assert!(SyntheticJobs::new(&tiny, 0, SimTime::MAX).all(|j| j.duration == 1_000));
}

#[test]
fn max_jobs_stops_first() {
    let s = SyntheticSpec {
        max_jobs: Some(5),
        ..spec(10_000.0, vec![entry("a", 1.0, 60, 0.0)])
    };
    let ids: Vec<u64> = SyntheticJobs::new(&s, 0, 10 * HOUR).map(|j| j.id).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
}

#[test]
fn span_stops_first_and_overrides_the_default() {
    // 1000/h for 1 h: mean 1000 (σ ≈ 31.6, 5σ = 158); all strictly before 1 h.
    let s = SyntheticSpec {
        span: Some(Dur(HOUR)),
        max_jobs: Some(1_000_000),
        ..spec(1000.0, vec![entry("a", 1.0, 60, 0.0)])
    };
    let jobs: Vec<TraceJob> = SyntheticJobs::new(&s, 8, 100 * HOUR).collect();
    assert!(
        within_5_sigma_of_poisson(jobs.len(), 1000.0),
        "{}",
        jobs.len()
    );
    assert!(jobs.iter().all(|j| j.submit < HOUR));
    // Without `span`, the caller's horizon applies.
    let s = SyntheticSpec { span: None, ..s };
    let jobs = SyntheticJobs::new(&s, 8, 2 * HOUR).collect::<Vec<_>>();
    assert!(
        within_5_sigma_of_poisson(jobs.len(), 2000.0),
        "{}",
        jobs.len()
    );
    assert!(jobs.last().unwrap().submit >= HOUR);
}

#[test]
fn generation_is_lazy() {
    // A million jobs an hour for a century: only the jobs taken are ever made.
    let s = spec(1e6, vec![entry("a", 1.0, 60, 1.0)]);
    let mut jobs = SyntheticJobs::new(&s, 0, 100 * 365 * 24 * HOUR);
    assert_eq!(jobs.size_hint(), (0, None));
    assert_eq!(jobs.by_ref().take(3).count(), 3);
    assert_eq!(jobs.next().map(|j| j.id), Some(3));
}
