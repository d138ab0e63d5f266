//! Trace fields that importers rely on: allowed GPU models (openb `gpu_spec`) and a service's
//! time-varying load (Azure LLM requests). Expected values are worked by hand in the comments.

mod common;

use common::{assert_close, fixture, run};
use slicesim::metrics::JobState;

#[test]
fn gpu_models_restrict_the_pools_a_job_may_use() {
    let yaml = "name: t
horizon: 1000s
pools:
  - {name: a, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
  - {name: h, gpu: H100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: service, namespace: d, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,duration,gpu_models
0,0,c,100,h100-80gb
1,0,c,100,
2,0,c,100,T4
3,0,c,100,A100-80GB|H100-80GB
";
    let f = fixture(yaml, csv);
    let o = run(&f.loaded);
    // Job 0 may only use the H100 (names compare ignoring case); job 1 takes the first pool.
    assert_eq!(o.job(0).pool, "h");
    assert_eq!(o.job(1).pool, "a");
    // No pool has a T4.
    let r = o.job(2);
    assert_eq!(r.state, JobState::Unschedulable);
    assert_eq!(
        r.reason,
        "pool a: GPU model A100-80GB is not one the job allows (T4); pool h: GPU model \
         H100-80GB is not one the job allows (T4)"
    );
    // Job 3 allows both; both are busy until 100 s. Job 0 started first, so its completion is
    // the first event at 100 s, and the scheduling pass after it puts job 3 on pool h.
    assert_eq!(o.job(3).pool, "h");
    assert_close(o.job(3).start_s.unwrap(), 100.0, "job 3 start");
}

#[test]
fn a_service_load_changes_its_speed_and_its_neighbours() {
    // One A100 time-sliced 2 ways: service job 0 (speed target 0.6) whose duty cycle follows
    // its load steps, next to batch job 1 (u = 1, 1000 s of work). Two contexts cost
    // o(2) = 0.02, so 0.98 of GPU time is water-filled between the demands (u of each).
    //   [0, 100):   demands 0.3, 1 -> shares 0.3, 0.68: service x = 1; batch x = 0.68 -> 68 s
    //   [100, 300): demands 0.9, 1 -> 0.49 each: service x = 0.49/0.9 = 0.544 < 0.6 (missed);
    //               batch x = 0.49 -> 98 s more (166)
    //   [300, 400): demands 0.2, 1 -> 0.2, 0.78: service x = 1; batch +78 s (244)
    // The service ends at 400 s; the batch job then runs alone: 756 s more, ending at 1156 s.
    let yaml = "name: t
horizon: 2000s
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}
classes:
  - {name: svc, kind: service, namespace: d, request: {kind: gpu, count: 1}, u: 0.5, d: 0.5, mem_gib: 10, speed_target: 0.6}
  - {name: c, kind: batch, namespace: d, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,duration,load
0,0,svc,400,0:0.3;100:0.9;300:0.2
1,0,c,1000,
";
    let f = fixture(yaml, csv);
    let o = run(&f.loaded);
    assert_eq!(o.job(0).state, JobState::Completed);
    assert_close(o.job(0).end_s, 400.0, "service end");
    let batch = o.job(1);
    assert_eq!(batch.state, JobState::Completed);
    // Rounding of the completion to whole milliseconds allows 1 ms.
    assert!(
        (batch.end_s - 1156.0).abs() <= 0.001,
        "batch end {}",
        batch.end_s
    );
    // Below the target for 200 of its 400 s.
    assert_close(
        o.class("svc").below_speed_target.unwrap(),
        0.5,
        "below target",
    );
}

#[test]
fn load_steps_after_a_late_start_apply_from_the_start() {
    // The service is submitted at 0 but waits for the exclusive GPU until 100 s; by then its
    // load is at the 50 s step (u = 0.2). Alone on an exclusive GPU it runs at x = 1 either way,
    // so only the busy fraction shows the load: job 0 (u = 1) busy 100 s, then the service
    // busy 0.2 for 100 s and 1.0 (step at 200 s) for 100 s: (100 + 20 + 100) / 400 s = 0.55.
    let yaml = "name: t
horizon: 400s
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: service, namespace: d, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,duration,load
0,0,c,100,
1,0,c,200,0:0.7;50:0.2;200:1
";
    let f = fixture(yaml, csv);
    let o = run(&f.loaded);
    assert_close(o.job(1).start_s.unwrap(), 100.0, "start");
    assert_close(o.job(1).end_s, 300.0, "end");
    assert_close(o.pool("p").busy, 0.55, "busy");
}
