//! One small hand-worked scenario per sharing mode: end times, placements and summary figures.
//!
//! Every expected value below is worked out by hand from the performance model in DESIGN.md:
//! work is in ms on one whole A100-80GB alone; a batch job's completion is scheduled at
//! `now + ceil(remaining_ms / speed)` and re-scheduled whenever a co-tenant changes its speed.

mod common;

use common::{
    A100_PRICE, H100_PRICE, WHOLE_GPU_CLASS, assert_close, assert_times, fixture, one_pool, run,
};
use slicesim::metrics::JobState;

#[test]
fn exclusive_second_job_waits_for_the_first() {
    let yaml = one_pool(
        "400s",
        "A100-80GB",
        1,
        1,
        "{kind: exclusive}",
        WHOLE_GPU_CLASS,
    );
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n");
    let o = run(&f.loaded);
    // Job 0 runs alone at x = s = 1: 0 -> 100 s. Job 1 waits for the GPU: 100 -> 200 s.
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 100.0, 200.0);
    for id in [0, 1] {
        let r = o.job(id);
        assert_eq!((r.pool.as_str(), r.gpus.as_str()), ("p", "n0/g0"));
        assert_close(r.useful_s, 100.0, "useful");
        // Holds a whole GPU for 100 s: 3.43 $/h * 100/3600 h.
        assert_close(r.cost_usd, A100_PRICE * 100.0 / 3600.0, "job cost");
    }
    assert_close(o.job(0).slowdown.unwrap(), 1.0, "slowdown 0"); // (100 - 0) / 100
    assert_close(o.job(1).slowdown.unwrap(), 2.0, "slowdown 1"); // (200 - 0) / 100
    let s = &o.summary;
    assert_eq!((s.jobs.total, s.jobs.completed), (2, 2));
    let p = o.pool("p");
    // Allocated 200 of 400 GPU-seconds; u = d = 1 so busy and SM activity equal allocation.
    assert_close(p.allocation, 0.5, "allocation");
    assert_close(p.busy, 0.5, "busy");
    assert_close(p.sm_activity, 0.5, "sm");
    assert_close(p.cost_usd, A100_PRICE * 400.0 / 3600.0, "pool cost");
    assert_close(
        p.allocated_cost_usd,
        A100_PRICE * 200.0 / 3600.0,
        "allocated",
    );
    assert_close(p.idle_cost_usd, A100_PRICE * 200.0 / 3600.0, "idle");
    assert_close(p.useful_ref_gpu_hours, 200.0 / 3600.0, "useful hours");
    // Waits 0 and 100 s: nearest-rank p50 = 0 s, p95 = 100 s.
    assert_eq!((p.wait.p50_s, p.wait.p95_s), (Some(0.0), Some(100.0)));
    assert_close(s.cost.total_usd, A100_PRICE * 400.0 / 3600.0, "total");
    // $ per useful reference GPU-hour: (3.43 * 400/3600) / (200/3600) = 6.86.
    assert_close(
        s.cost.usd_per_useful_ref_gpu_hour.unwrap(),
        6.86,
        "usd/useful h",
    );
}

#[test]
fn exclusive_h100_runs_twice_as_fast() {
    let yaml = one_pool(
        "100s",
        "H100-80GB",
        1,
        1,
        "{kind: exclusive}",
        WHOLE_GPU_CLASS,
    );
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n");
    let o = run(&f.loaded);
    // s = 2.0 / 1.0: 100 s of reference work takes ceil(100000 / 2) = 50000 ms.
    assert_times(&o, 0, 0.0, 50.0);
    let r = o.job(0);
    assert_close(r.useful_s, 100.0, "useful");
    assert_close(r.slowdown.unwrap(), 0.5, "slowdown");
    assert_close(r.cost_usd, H100_PRICE * 50.0 / 3600.0, "cost");
    assert_close(o.pool("p").allocation, 0.5, "allocation"); // 50 of 100 s
}

#[test]
fn time_slicing_three_compute_bound_tenants() {
    let ts = "{kind: time_slicing, replicas: 3}";
    let yaml = one_pool("400s", "A100-80GB", 1, 1, ts, WHOLE_GPU_CLASS);
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,c,96\n1,0,c,96\n2,0,c,96\n",
    );
    let o = run(&f.loaded);
    // o(3) = 0.02 * 2 = 0.04; capacity 0.96 split evenly: g = 0.32 = x (u = 1).
    // Each: 96000 / 0.32 = 300000 ms.
    for id in 0..3 {
        assert_times(&o, id, 0.0, 300.0);
        // One replica of three: 3.43/3 $/h for 300 s.
        assert_close(
            o.job(id).cost_usd,
            A100_PRICE / 3.0 * 300.0 / 3600.0,
            "cost",
        );
    }
    let p = o.pool("p");
    assert_close(p.allocation, 300.0 / 400.0, "allocation"); // 3 x 1/3 for 300 of 400 s
    assert_close(p.busy, 0.96 * 300.0 / 400.0, "busy"); // 3 x 0.32
    assert_close(
        p.allocated_cost_usd,
        A100_PRICE * 300.0 / 3600.0,
        "allocated",
    );
}

#[test]
fn time_slicing_survivor_speeds_up_when_a_tenant_leaves() {
    let ts = "{kind: time_slicing, replicas: 2}";
    let yaml = one_pool("200s", "A100-80GB", 1, 1, ts, WHOLE_GPU_CLASS);
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,32\n1,0,c,96\n");
    let o = run(&f.loaded);
    // o(2) = 0.02, capacity 0.98, g = 0.49 each = x.
    // Job 0: ceil(32000 / 0.49) = ceil(65306.12) = 65307 ms.
    assert_times(&o, 0, 0.0, 65.307);
    // Job 1 has done 0.49 * 65307 = 32000.43 ms; alone x = 1: ceil(63999.57) = 64000 ms more.
    assert_times(&o, 1, 0.0, 65.307 + 64.0);
    // Busy: 0.98 for 65.307 s, then 1.0 for 64 s, over 200 s.
    let busy = (0.98 * 65307.0 + 64000.0) / 200_000.0;
    assert_close(o.pool("p").busy, busy, "busy");
}

#[test]
fn time_slicing_water_fills_around_a_light_tenant() {
    let class = "    request: {kind: gpu, count: 1}\n    u: 1\n    d: 1\n    mem_gib: 10";
    let ts = "{kind: time_slicing, replicas: 2}";
    let yaml = one_pool("200s", "A100-80GB", 1, 1, ts, class);
    // Job 0: u = 0.3, 30.001 s of work. Job 1: u = 1, 70 s.
    let csv = "id,submit,class,duration,u\n0,0,c,30.001,0.3\n1,0,c,70,1\n";
    let o = run(&fixture(&yaml, csv).loaded);
    // Capacity 0.98; demands 0.3 and 1: fair part 0.49 -> job 0 takes 0.3, job 1 the 0.68 left.
    // Job 0: x = min(1, 0.3/0.3) = 1 -> ends at 30001 ms.
    assert_times(&o, 0, 0.0, 30.001);
    // Job 1: x = 0.68 until 30001 ms: done 20400.68; then alone x = 1: ceil(49599.32) = 49600.
    assert_times(&o, 1, 0.0, 30.001 + 49.6);
}

#[test]
fn time_slicing_light_tenants_do_not_slow_each_other() {
    let class = "    request: {kind: gpu, count: 1}\n    u: 0.3\n    d: 0.5\n    mem_gib: 10";
    let yaml = one_pool(
        "100s",
        "A100-80GB",
        1,
        1,
        "{kind: time_slicing, replicas: 2}",
        class,
    );
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,60\n1,0,c,60\n");
    let o = run(&f.loaded);
    // Demands 0.3 + 0.3 fit in capacity 0.98: g = u, x = 1. Both end at 60 s.
    assert_times(&o, 0, 0.0, 60.0);
    assert_times(&o, 1, 0.0, 60.0);
    let p = o.pool("p");
    assert_close(p.allocation, 60.0 / 100.0, "allocation"); // 2 x 1/2 for 60 s
    assert_close(p.busy, 0.6 * 60.0 / 100.0, "busy"); // 0.3 + 0.3
    assert_close(p.sm_activity, 0.6 * 0.5 * 60.0 / 100.0, "sm"); // busy * d
}

const MIG_POOL: &str = "{kind: mig, strategy: mixed, layout: [3g.40gb, 2g.20gb, 2g.20gb]}";
const MIG_CLASS: &str =
    "    request: {kind: mig, profile: 3g.40gb, count: 1}\n    u: 0.6\n    d: 0.8\n    mem_gib: 30";

#[test]
fn mig_slows_only_the_kernel_part() {
    let yaml = one_pool("200s", "A100-80GB", 1, 1, MIG_POOL, MIG_CLASS);
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n").loaded);
    // f = 42/108; d/f = 0.8 * 108/42 = 2.0571429; wall per unit = 0.4 + 0.6 * 2.0571429
    // = 1.6342857; x = 0.6118881. End = ceil(100000 * 1.6342857) = ceil(163428.57) = 163429 ms.
    assert_times(&o, 0, 0.0, 163.429);
    let r = o.job(0);
    assert!(r.gpus.starts_with("n0/g0/3g.40gb@"), "{}", r.gpus);
    // Compute share 3/7 of 3.43 $/h for 163.429 s.
    let share = 3.0 / 7.0;
    assert_close(r.cost_usd, A100_PRICE * share * 163.429 / 3600.0, "cost");
    let p = o.pool("p");
    assert_close(p.allocation, share * 163.429 / 200.0, "allocation");
    // Instance busy = u * d/f / wall = 1.2342857 / 1.6342857 = 0.7552448; the GPU sees 3/7 of it.
    let f = 42.0 / 108.0;
    let inst_busy = 0.6 * (0.8 / f) / (0.4 + 0.6 * (0.8 / f));
    assert_close(p.busy, share * inst_busy * 163.429 / 200.0, "busy");
    // SM activity: f * busy * min(1, d/f) = f * busy.
    assert_close(p.sm_activity, f * inst_busy * 163.429 / 200.0, "sm");
}

#[test]
fn mig_rejects_jobs_that_do_not_fit_an_instance() {
    let yaml = one_pool("200s", "A100-80GB", 1, 1, MIG_POOL, MIG_CLASS);
    // Job 1 needs 45 GiB (a 3g.40gb instance has 39.25); job 2 asks for a 1g.10gb, not in the layout.
    let csv = "id,submit,class,mig_profile,mem_gib,duration\n0,0,c,,,100\n1,5,c,,45,100\n2,6,c,1g.10gb,,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_eq!(o.job(0).state, JobState::Completed);
    let too_big = o.job(1);
    assert_eq!(too_big.state, JobState::Unschedulable);
    assert!(
        too_big.reason.contains("45 GiB") && too_big.reason.contains("39.25 GiB"),
        "{}",
        too_big.reason
    );
    assert_eq!((too_big.start_s, too_big.end_s), (None, 5.0));
    let no_profile = o.job(2);
    assert_eq!(no_profile.state, JobState::Unschedulable);
    assert!(
        no_profile.reason.contains("1g.10gb"),
        "{}",
        no_profile.reason
    );
    assert_eq!(no_profile.cost_usd, 0.0);
    let s = &o.summary;
    assert_eq!(
        (s.jobs.completed, s.jobs.unschedulable, s.jobs.total),
        (1, 2, 3)
    );
    assert_eq!(s.unschedulable.values().sum::<u64>(), 2);
}

#[test]
fn fractional_shares_cap_speed_and_capacity() {
    let class =
        "    request: {kind: milli, milli: 500, count: 1}\n    u: 1\n    d: 1\n    mem_gib: 10";
    let yaml = one_pool("200s", "A100-80GB", 1, 1, "{kind: fractional}", class);
    let csv = "id,submit,class,gpu_milli,duration\n0,0,c,500,25\n1,0,c,300,30\n2,0,c,400,40\n";
    let o = run(&fixture(&yaml, csv).loaded);
    // Demands min(u, cap) = 0.5 and 0.3 fit in 1 - o(2) = 0.98: g = 0.5, 0.3; x = g/u.
    // Job 0: 25000 / 0.5 = 50000 ms. Job 1: 30000 / 0.3 = 100000 ms.
    assert_times(&o, 0, 0.0, 50.0);
    assert_times(&o, 1, 0.0, 100.0);
    // Job 2 (400 milli) does not fit beside 500 + 300; it starts when job 0 leaves at 50 s,
    // beside job 1 (0.3 + 0.4 fit): x = 0.4 -> 40000 / 0.4 = 100000 ms, ends at 150 s.
    assert_times(&o, 2, 50.0, 150.0);
    assert_eq!(o.job(0).gpus, "n0/g0/500m");
    assert_eq!(o.job(1).gpus, "n0/g0/300m");
    assert_eq!(o.job(2).gpus, "n0/g0/400m");
    assert_close(
        o.job(2).cost_usd,
        A100_PRICE * 0.4 * 100.0 / 3600.0,
        "cost 2",
    );
    // Allocated milli-seconds: 0.5 * 50 + 0.3 * 100 + 0.4 * 100 = 95 GPU-s of 200.
    let p = o.pool("p");
    assert_close(p.allocation, 95.0 / 200.0, "allocation");
    assert_close(p.busy, 95.0 / 200.0, "busy"); // each tenant's share equals its cap
    assert_close(
        p.allocated_cost_usd,
        A100_PRICE * 95.0 / 3600.0,
        "allocated",
    );
}

#[test]
fn completed_jobs_deliver_exactly_their_work() {
    // Same as time_slicing_survivor_speeds_up_when_a_tenant_leaves: job 0 finishes 32 s of
    // work. Conservation of work: a completed job's useful work is its work, not the work its
    // last (ceiled) millisecond would have delivered (0.49 * 65307 = 32000.43 ms).
    let ts = "{kind: time_slicing, replicas: 2}";
    let yaml = one_pool("200s", "A100-80GB", 1, 1, ts, WHOLE_GPU_CLASS);
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,32\n1,0,c,96\n").loaded);
    assert_close(o.job(0).useful_s, 32.0, "job 0 useful");
    assert_close(o.job(1).useful_s, 96.0, "job 1 useful");
    assert_close(
        o.pool("p").useful_ref_gpu_hours,
        128.0 / 3600.0,
        "pool useful",
    );
}
