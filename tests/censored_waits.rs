//! Waits of jobs that never started (docs/MODEL.md, "Waits of jobs that never started"): every
//! submitted job counts, a never-started one at its wait so far, and a percentile that falls
//! among those is a lower bound. Worked by hand on one exclusive GPU.

mod common;

use common::{WHOLE_GPU_CLASS, assert_times, fixture, one_pool, run};
use slicesim::check::{Figure, evaluate, parse_expectation};
use slicesim::metrics::JobState;
use slicesim::report::figures;

/// 1 exclusive GPU, horizon 100 s. Jobs 0-3 (10 s of work each, submitted at 0) run one after
/// another: starts 0, 10, 20, 30 s, waits 0, 10, 20, 30 s. Job 4 (submitted at 40 s, 1000 s of
/// work) starts at once (wait 0) and holds the GPU to the horizon. Jobs 5 and 6, submitted at
/// 60 s and 80 s, never start: waited 40 s and 20 s at the horizon (censored).
///
/// All 7 waits in order (ties: started first): 0, 0, 10, 20, 20*, 30, 40*.
/// - p50: rank ceil(3.5) = 4 -> 20 s; 4 started jobs waited <= 20 s: exact.
/// - p95: rank ceil(6.65) = 7 -> 40 s*: a lower bound.
/// - p99: rank 7 -> 40 s*: a lower bound.
///
/// Before censoring, the 5 started jobs alone gave p95 = p99 = 30 s.
fn fixture_1gpu() -> common::Fixture {
    let yaml = one_pool(
        "100s",
        "A100-80GB",
        1,
        1,
        "{kind: exclusive}",
        WHOLE_GPU_CLASS,
    );
    let csv = "id,submit,class,duration\n0,0,c,10\n1,0,c,10\n2,0,c,10\n3,0,c,10\n\
               4,40,c,1000\n5,60,c,10\n6,80,c,10\n";
    fixture(&yaml, csv)
}

#[test]
fn never_started_jobs_count_at_their_wait_so_far() {
    let f = fixture_1gpu();
    let o = run(&f.loaded);
    for (id, start) in [(0, 0.0), (1, 10.0), (2, 20.0), (3, 30.0)] {
        assert_times(&o, id, start, start + 10.0);
    }
    assert_eq!(o.job(4).start_s, Some(40.0));
    for id in [5, 6] {
        assert_eq!(o.job(id).state, JobState::Pending);
        assert_eq!(o.job(id).wait_s, None);
    }
    for w in [
        &o.class("c").wait,
        &o.pool("p").wait,
        &o.summary.priorities[0].jobs.wait,
        &o.namespace("default").jobs.wait,
    ] {
        assert_eq!((w.started, w.never_started), (5, 2));
        assert_eq!((w.p50_s, w.p50_censored), (Some(20.0), false));
        assert_eq!((w.p95_s, w.p95_censored), (Some(40.0), true));
        assert_eq!((w.p99_s, w.p99_censored), (Some(40.0), true));
    }
}

#[test]
fn a_check_on_a_lower_bound_cannot_pass_an_upper_limit() {
    let f = fixture_1gpu();
    let o = run(&f.loaded);
    let figs: Vec<Figure> = figures(&o.summary, &Default::default())
        .into_iter()
        .map(|(path, value)| Figure {
            path,
            value,
            half_width: None,
        })
        .collect();
    let cases = [
        // p95 >= 40 s: at least 40 s for sure.
        ("classes.c.wait_p95 >= 30s", true, true),
        // Already above the limit: fails for sure.
        ("classes.c.wait_p95 <= 35s", true, false),
        // Below the limit, but the true value is unknown above 40 s: cannot pass.
        ("classes.c.wait_p95 <= 1h", true, false),
        // p50 is exact: judged as usual.
        ("classes.c.wait_p50 <= 20s", false, true),
    ];
    for (text, lower, passed) in cases {
        let e = parse_expectation(text).unwrap();
        let out = evaluate(&[e], &figs, None).unwrap();
        assert_eq!(
            (out[0].lower_bound, out[0].passed),
            (lower, passed),
            "{text}"
        );
    }
}
