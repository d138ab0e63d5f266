//! MIG memory bandwidth (`b`) and the CUDA context's memory under time-slicing, on hand-worked
//! scenarios (docs/MODEL.md "MIG" and "Memory, OOM and restarts").

mod common;

use common::{assert_close, assert_times, fixture, one_pool, run};
use slicesim::metrics::JobState;

fn mig_class(b: f64) -> String {
    format!(
        "    request: {{kind: mig, profile: 1g.10gb, count: 1}}\n    u: 0.8\n    d: 0.1\n    b: {b}\n    mem_gib: 5"
    )
}

/// The job (u 0.8, d 0.1) on an A100-80GB 1g.10gb (14 of 108 SMs, 1 of 8 memory
/// slices), 100 s of work. Not memory-bound (b = 0): d/f = 0.77 < 1, full speed, ends at 100 s.
/// Memory-bound, b = 0.6: stretch = max(1, 0.77, 0.6 / 0.125 = 4.8) = 4.8, wall time per unit
/// of work = 0.2 + 0.8 * 4.8 = 4.04, so it ends at 404 s.
#[test]
fn memory_bound_job_is_slowed_by_a_small_slice() {
    for (b, end) in [(0.0, 100.0), (0.6, 404.0), (0.1, 100.0)] {
        let yaml = one_pool(
            "1h",
            "A100-80GB",
            1,
            1,
            "{kind: mig, strategy: mixed, layout: [1g.10gb]}",
            &mig_class(b),
        );
        let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n").loaded);
        assert_times(&o, 0, 0.0, end);
    }
}

/// On a 3g.40gb (42 of 108 SMs, 4 of 8 memory slices) the same b = 0.6 job stretches by
/// max(1, 0.1 / 0.389, 0.6 / 0.5) = 1.2: 100 s of work takes 100 * (0.2 + 0.96) = 116 s.
#[test]
fn a_bigger_slice_has_more_bandwidth() {
    let class = "    request: {kind: mig, profile: 3g.40gb, count: 1}\n    u: 0.8\n    d: 0.1\n    b: 0.6\n    mem_gib: 5";
    let yaml = one_pool(
        "1h",
        "A100-80GB",
        1,
        1,
        "{kind: mig, strategy: mixed, layout: [3g.40gb]}",
        class,
    );
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n").loaded);
    assert_times(&o, 0, 0.0, 116.0);
}

/// `b` out of range is an error naming the field.
#[test]
fn b_outside_the_unit_interval_is_refused() {
    let yaml = one_pool(
        "1h",
        "A100-80GB",
        1,
        1,
        "{kind: mig, strategy: mixed, layout: [1g.10gb]}",
        &mig_class(1.5),
    );
    let sc = slicesim::scenario::parse(&yaml, "test").expect("parses");
    let problems = slicesim::world::check(&sc, &yaml, std::path::Path::new("."));
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("classes[0].b") || t.contains("classes.c.b")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("1.5 is not in [0, 1]")),
        "{text:#?}"
    );
}

/// Time-slicing, 2 replicas of an A100-40GB (40 GiB), two jobs of `mem` GiB each, 100 s, one
/// arriving at 0 and one at 1 s. Each context adds 0.375 GiB: 2 x (19.5 + 0.375) = 39.75 GiB
/// fits; 2 x (19.9 + 0.375) = 40.55 GiB does not, although 2 x 19.9 = 39.8 GiB would: the
/// second job dies of OOM `oom_after` (30 s) after its start. With `context_mem_gib: 0` both fit.
#[test]
fn context_memory_decides_whether_two_replicas_fit() {
    for (mem, ctx, oom) in [
        (19.5, None, false),
        (19.9, None, true),
        (19.9, Some(0.0), false),
    ] {
        let class = format!(
            "    request: {{kind: gpu, count: 1}}\n    u: 0.5\n    d: 0.5\n    mem_gib: {mem}"
        );
        let mut yaml = one_pool(
            "1h",
            "A100-SXM4-40GB",
            1,
            1,
            "{kind: time_slicing, replicas: 2}",
            &class,
        );
        if let Some(c) = ctx {
            yaml.push_str(&format!(
                "model: {{context_mem_gib: {c}, backoff_limit: 0}}\n"
            ));
        } else {
            yaml.push_str("model: {backoff_limit: 0}\n");
        }
        let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,1,c,100\n").loaded);
        assert_eq!(o.job(0).state, JobState::Completed, "mem {mem} ctx {ctx:?}");
        let second = o.job(1);
        if oom {
            assert_eq!(second.state, JobState::Failed, "mem {mem}: {second:?}");
            // Started at 1 s, dies 30 s later.
            assert_close(second.end_s, 31.0, "OOM time");
        } else {
            assert_eq!(second.state, JobState::Completed, "mem {mem} ctx {ctx:?}");
        }
    }
}
