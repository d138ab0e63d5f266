//! Time-slicing has no memory isolation: a newcomer that over-commits a GPU's memory dies of
//! OOM after `model.oom_after`, restarts after a doubling back-off, and loses the work since
//! its last checkpoint. Fractional sharing enforces memory instead (the job waits).
//!
//! The context-switch overhead is set to 0.25 for two contexts so that shares are exact in
//! binary: o(2) = min(0.25, 0.25 * (2 - 1)) = 0.25, capacity 0.75, two u = 1 tenants get
//! g = x = 0.375 each (3/8), and every product with a whole number of ms is exact.

mod common;

use common::{Outcome, assert_close, fixture, run};
use slicesim::metrics::JobState;

const PRICE: f64 = 3.43;

/// One A100-80GB (80 GiB) time-sliced 2 ways, memory counted without CUDA contexts
/// (`context_mem_gib: 0`: the jobs' `mem` is taken as the whole per-process figure). Job 0 (class big, 50 GiB, 100 s of work) and
/// job 1 (class victim, `victim_mem` GiB, 1000 s of work) both arrive at t = 0.
fn scenario(victim_mem: u32, backoff_limit: u32, checkpoint: &str) -> Outcome {
    let yaml = format!(
        "name: oom
horizon: 1200s
model:
  context_mem_gib: 0
  overhead_per_context: 0.25
  overhead_max: 0.25
  oom_after: 30s
  restart_backoff: 10s
  restart_backoff_max: 360s
  backoff_limit: {backoff_limit}
pools:
  - name: ts
    gpu: A100-80GB
    nodes: 1
    gpus_per_node: 1
    sharing: {{kind: time_slicing, replicas: 2}}
classes:
  - {{name: big, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 50}}
  - name: victim
    kind: batch
    namespace: default
    request: {{kind: gpu, count: 1}}
    u: 1
    d: 1
    mem_gib: {victim_mem}
{checkpoint}
workload: {{kind: trace, path: trace.csv}}
"
    );
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,big,100\n1,0,victim,1000\n",
    );
    run(&f.loaded)
}

// Timeline shared by the tests (ms). A = job 0, B = job 1; x = 0.375 when both run.
//   0       A and B placed; memory 50 + 40 = 90 > 80: B is OOM-killed at 30000.
//   30000   A done 0.375 * 30000 = 11250. B loses its 11250 (failure 1, back-off 10 s).
//   40000   B back; A done 11250 + 10000 = 21250.             B killed at 70000.
//   70000   A done 21250 + 11250 = 32500. B failure 2, back-off 20 s.
//   90000   B back; A done 32500 + 20000 = 52500.             B killed at 120000.
//   120000  A done 52500 + 11250 = 63750. B failure 3, back-off 40 s.
//   156250  A alone finishes its remaining 36250.
//   160000  B back, alone (40 GiB fits): 1000000 ms of work left at x = 1 -> ends 1160000.

#[test]
fn oom_kills_the_newcomer_which_restarts_with_doubling_backoff() {
    let o = scenario(40, 6, "");
    let a = o.job(0);
    assert_eq!(a.state, JobState::Completed);
    assert_eq!((a.start_s, a.end_s), (Some(0.0), 156.25));
    assert_eq!((a.failures, a.ooms), (0, 0));
    assert_close(a.useful_s, 100.0, "A useful");
    // Half a GPU (one replica of two) for 156.25 s.
    assert_close(a.cost_usd, 0.5 * PRICE * 156.25 / 3600.0, "A cost");

    let b = o.job(1);
    assert_eq!(b.state, JobState::Completed);
    assert_eq!(
        (b.start_s, b.wait_s, b.end_s),
        (Some(0.0), Some(0.0), 1160.0)
    );
    assert_eq!((b.failures, b.ooms), (3, 3));
    assert_close(b.lost_s, 3.0 * 11.25, "B lost");
    assert_close(b.useful_s, 1000.0, "B useful");
    // Held a replica for 3 x 30 s + 1000 s.
    assert_close(b.cost_usd, 0.5 * PRICE * 1090.0 / 3600.0, "B cost");

    let p = o.pool("ts");
    assert_eq!(p.oom_failures, 3);
    assert_eq!((p.placements, p.jobs_completed), (5, 2)); // A once, B four times
    assert_close(p.lost_ref_gpu_hours, 33.75 / 3600.0, "pool lost");
    assert_close(p.useful_ref_gpu_hours, 1100.0 / 3600.0, "pool useful");
    assert_close(p.allocated_cost_usd, a.cost_usd + b.cost_usd, "allocated");
    let v = o.class("victim");
    assert_eq!((v.oom_failures, v.failures, v.jobs.completed), (3, 3, 1));
    assert_close(v.lost_ref_gpu_hours, 33.75 / 3600.0, "class lost");
    assert_close(v.useful_ref_gpu_hours, 1000.0 / 3600.0, "class useful");
    let big = o.class("big");
    assert_eq!((big.oom_failures, big.failures), (0, 0));
    assert_eq!(big.lost_ref_gpu_hours, 0.0);
}

#[test]
fn backoff_limit_zero_gives_up_at_the_first_oom() {
    let o = scenario(40, 0, "");
    let b = o.job(1);
    // Failure 1 > backoff_limit 0: B ends failed at 30 s with its 11.25 s of work lost.
    assert_eq!(b.state, JobState::Failed);
    assert_eq!(b.end_s, 30.0);
    assert_eq!((b.failures, b.ooms), (1, 1));
    assert_close(b.lost_s, 11.25, "lost");
    assert_close(b.useful_s, 0.0, "useful");
    assert!(b.reason.contains("OOM"), "{}", b.reason);
    assert_close(b.cost_usd, 0.5 * PRICE * 30.0 / 3600.0, "cost");
    // A: 11250 ms done at 30 s, then alone: 30000 + 88750 = 118750 ms.
    let a = o.job(0);
    assert_eq!((a.state, a.end_s), (JobState::Completed, 118.75));
    let s = &o.summary;
    assert_eq!((s.jobs.completed, s.jobs.failed, s.jobs.total), (1, 1, 2));
    assert_eq!(o.pool("ts").oom_failures, 1);
    assert_eq!(o.class("victim").jobs.failed, 1);
}

#[test]
fn checkpoints_bound_the_work_lost_per_oom() {
    let o = scenario(40, 6, "    checkpoint: 4s");
    // Lost per failure = done - floor(done / 4000) * 4000:
    //   attempt 1: done 11250 -> kept 8000, lost 3250;
    //   attempt 2: 8000 + 11250 = 19250 -> kept 16000, lost 3250;
    //   attempt 3: 16000 + 11250 = 27250 -> kept 24000, lost 3250.
    // From 160000 alone: 1000000 - 24000 = 976000 ms -> ends at 1136000.
    let b = o.job(1);
    assert_eq!((b.state, b.end_s), (JobState::Completed, 1136.0));
    assert_eq!((b.failures, b.ooms), (3, 3));
    assert_close(b.lost_s, 9.75, "lost");
    assert_close(b.useful_s, 1000.0, "useful");
    // A does not depend on B's progress: same timeline as without checkpoints.
    assert_eq!(o.job(0).end_s, 156.25);
    assert_close(
        o.class("victim").lost_ref_gpu_hours,
        9.75 / 3600.0,
        "class lost",
    );
    assert_close(o.pool("ts").lost_ref_gpu_hours, 9.75 / 3600.0, "pool lost");
}

#[test]
fn memory_that_exactly_fits_does_not_oom() {
    // 50 + 30 = 80 GiB is not over 80: both share at x = 0.375 throughout.
    let o = scenario(30, 6, "");
    let a = o.job(0);
    // A: ceil(100000 / 0.375) = ceil(266666.67) = 266667 ms.
    assert_eq!(
        (a.state, a.end_s, a.ooms),
        (JobState::Completed, 266.667, 0)
    );
    // B: done 0.375 * 266667 = 100000.125; alone, ceil(899999.875) = 900000 more.
    let b = o.job(1);
    assert_eq!((b.state, b.ooms, b.failures), (JobState::Completed, 0, 0));
    assert_close(b.end_s, 266.667 + 900.0, "B end");
    assert_eq!(o.pool("ts").oom_failures, 0);
}

#[test]
fn fractional_enforces_memory_so_the_second_job_waits() {
    let yaml = "name: frac-mem
horizon: 300s
pools:
  - {name: fr, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: fractional}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: milli, milli: 500, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,mem_gib,duration\n0,0,c,50,50\n1,0,c,40,50\n";
    let o = run(&fixture(yaml, csv).loaded);
    // 500 + 500 milli fit, but 50 + 40 GiB do not: job 1 waits for job 0.
    // Job 0 alone: demand min(u, 0.5) = 0.5, x = 0.5 -> 50000 / 0.5 = 100000 ms.
    let (a, b) = (o.job(0), o.job(1));
    assert_eq!((a.state, a.end_s), (JobState::Completed, 100.0));
    assert_eq!(
        (b.start_s, b.wait_s, b.end_s),
        (Some(100.0), Some(100.0), 200.0)
    );
    assert_eq!((a.ooms, b.ooms), (0, 0));
    assert_eq!(o.pool("fr").oom_failures, 0);
}
