//! Scheduling semantics on hand-worked scenarios: placement policies, replica allocation,
//! queue order by priority, and no head-of-line blocking across request shapes.

mod common;

use common::{
    A100_PRICE, WHOLE_GPU_CLASS, assert_close, assert_times, fixture, one_pool, run, run_with,
};
use slicesim::domain::PolicyName;
use slicesim::metrics::JobState;
use slicesim::run::RunOptions;

/// 2 nodes x 1 GPU, 3 replicas each. At t = 0 jobs 0-2 fill node 0 (both policies: node 0 is
/// the lowest and the tightest); at t = 1 s jobs 3, 4 go to node 1. Jobs 1, 2 (1 s of work at
/// x = 0.32) leave at 1000 / 0.32 = 3125 ms: node 0 has 2 replicas free, node 1 has 1.
/// Job 5 at t = 20 s: first-fit takes node 0, best-fit the fuller node 1.
fn policy_fixture() -> common::Fixture {
    let yaml = one_pool(
        "30s",
        "A100-80GB",
        2,
        1,
        "{kind: time_slicing, replicas: 3}",
        WHOLE_GPU_CLASS,
    );
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,0,c,1\n2,0,c,1\n3,1,c,1000\n4,1,c,1000\n5,20,c,1000\n";
    fixture(&yaml, csv)
}

#[test]
fn first_fit_and_best_fit_place_differently() {
    let f = policy_fixture();
    for (policy, job5) in [
        (PolicyName::FirstFit, "n0/g0"),
        (PolicyName::BestFit, "n1/g0"),
    ] {
        let o = run_with(
            &f.loaded,
            RunOptions {
                policy: Some(policy),
                ..Default::default()
            },
        );
        assert_eq!(o.summary.policy, policy.as_str());
        for (id, gpus) in [
            (0, "n0/g0"),
            (1, "n0/g0"),
            (2, "n0/g0"),
            (3, "n1/g0"),
            (4, "n1/g0"),
            (5, job5),
        ] {
            let r = o.job(id);
            assert_eq!(
                (r.pool.as_str(), r.gpus.as_str()),
                ("p", gpus),
                "{policy:?} job {id}"
            );
        }
        // Precondition of the scenario: the short jobs left well before job 5 arrived.
        assert!(o.job(1).end_s < 20.0 && o.job(2).end_s < 20.0);
        let r5 = o.job(5);
        assert_eq!(r5.state, JobState::Running);
        assert_close(r5.end_s, 30.0, "running jobs end at the horizon");
    }
}

#[test]
fn replica_allocation_distributed_spreads_packed_stacks() {
    for (alloc, second) in [("distributed", "n0/g1"), ("packed", "n0/g0")] {
        let ts = format!("{{kind: time_slicing, replicas: 2, allocation: {alloc}}}");
        let yaml = one_pool("10s", "A100-80GB", 1, 2, &ts, WHOLE_GPU_CLASS);
        let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n").loaded);
        assert_eq!(o.job(0).gpus, "n0/g0", "{alloc}");
        assert_eq!(o.job(1).gpus, second, "{alloc}");
    }
}

#[test]
fn pending_jobs_go_by_priority_then_submit_time() {
    let yaml = one_pool(
        "200s",
        "A100-80GB",
        1,
        1,
        "{kind: exclusive}",
        WHOLE_GPU_CLASS,
    )
    .replace(
        "pools:\n",
        "priority_classes:\n  - {name: low, value: 10, preemption_policy: Never}\n  - {name: high, value: 100, preemption_policy: Never}\npools:\n",
    );
    let csv = "id,submit,class,priority_class,duration\n0,0,c,,100\n1,1,c,low,10\n2,2,c,high,10\n";
    let o = run(&fixture(&yaml, csv).loaded);
    // Neither class may preempt (job 0 has priority 0). Job 0 holds the GPU until 100 s;
    // job 2 (high) was submitted after job 1 (low) but goes first: 100 -> 110 s; job 1
    // follows: 110 -> 120 s.
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 2, 100.0, 110.0);
    assert_times(&o, 1, 110.0, 120.0);
    assert_eq!((o.job(1).priority, o.job(2).priority), (10, 100));
}

#[test]
fn a_waiting_big_job_does_not_block_a_smaller_one() {
    let yaml = one_pool(
        "200s",
        "A100-80GB",
        1,
        2,
        "{kind: exclusive}",
        WHOLE_GPU_CLASS,
    );
    let csv = "id,submit,class,gpus,duration\n0,0,c,1,100\n1,1,c,2,50\n2,2,c,1,30\n";
    let o = run(&fixture(&yaml, csv).loaded);
    // Job 1 needs both GPUs and waits for job 0; job 2 (one GPU) takes the free GPU at once.
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 2, 2.0, 32.0);
    assert_eq!(o.job(2).gpus, "n0/g1");
    // Job 1: 50 s of work per device at x = 1 on two GPUs, from 100 s.
    assert_times(&o, 1, 100.0, 150.0);
    assert_eq!(o.job(1).gpus, "n0/g0;n0/g1");
    // Two whole GPUs for 50 s.
    assert_close(o.job(1).cost_usd, 2.0 * A100_PRICE * 50.0 / 3600.0, "cost");
}

/// docs/OUTPUTS.md: a batch job's `work_s` is its requested work in reference GPU-seconds,
/// per-device work x devices, whether it ran or was submitted after the horizon. Horizon 10 s;
/// job 0 (4 GPUs x 100 s, submitted at 1 s) runs; job 1 (the same, submitted at 20 s) never
/// arrives. Both report 100 s x 4 = 400 s; job 2 (1 GPU x 100 s, at 30 s) reports 100 s.
#[test]
fn work_s_counts_devices_for_jobs_after_the_horizon() {
    let yaml = one_pool(
        "10s",
        "A100-80GB",
        1,
        4,
        "{kind: exclusive}",
        WHOLE_GPU_CLASS,
    );
    let csv = "id,submit,class,gpus,duration\n0,1,c,4,100\n1,20,c,4,100\n2,30,c,1,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_eq!(o.job(0).state, JobState::Running);
    assert_close(o.job(0).work_s, 400.0, "job 0 (ran) work_s");
    for (id, work_s) in [(1, 400.0), (2, 100.0)] {
        let r = o.job(id);
        assert_eq!(r.state, JobState::AfterHorizon, "job {id}");
        assert_close(
            r.work_s,
            work_s,
            &format!("job {id} (after the horizon) work_s"),
        );
    }
}
