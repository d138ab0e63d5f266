//! Kubernetes scheduling semantics on hand-worked scenarios: preemption (victim and node
//! choice, grace period, lost work, restart), PreemptionPolicy Never, equal priorities,
//! namespace ResourceQuotas (reject with back-off, or queue), fallback waits between pools,
//! node affinity and the labels of MIG `single` pools, and `rename_by_default`.
//!
//! Every job runs at x = 1 unless a comment says otherwise: whole A100-80GB GPUs (the
//! reference model) for exclusive pools, and a single context per GPU for time-sliced ones
//! (o(1) = 0). Times in comments are seconds.

mod common;

use common::{A100_PRICE, Outcome, assert_close, assert_times, fixture, problems_of, run, usd};
use slicesim::metrics::JobState;
use slicesim::scenario::Severity;

// ---------------------------------------------------------------------------------------------
// Preemption
// ---------------------------------------------------------------------------------------------

/// 3 nodes x 2 whole A100-80GB; grace 10 s, restart delay 20 s. Class `c` never checkpoints,
/// class `ck` checkpoints every 30 s of work. Rows pick their priority class and GPU count.
/// Placements are worked by hand with `first-fit` (lowest node first).
fn preemption_run(csv: &str) -> Outcome {
    let yaml = "name: preempt
horizon: 1200s
scheduler: {policy: first-fit}
model:
  termination_grace: 10s
  restart_delay: 20s
priority_classes:
  - {name: scavenger, value: -5}
  - {name: low, value: 10}
  - {name: mid, value: 100}
  - {name: high, value: 1000}
pools:
  - {name: p, gpu: A100-80GB, nodes: 3, gpus_per_node: 2, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
  - {name: ck, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10, checkpoint: 30s}
workload: {kind: trace, path: trace.csv}
";
    run(&fixture(yaml, csv).loaded)
}

#[track_caller]
fn assert_preemptions(o: &Outcome, expected: &[(u64, u32)]) {
    for &(id, n) in expected {
        let r = o.job(id);
        assert_eq!((r.preemptions, r.evictions), (n, 0), "job {id}: {r:?}");
    }
}

#[test]
fn preemption_prefers_the_node_with_the_lowest_top_victim_priority() {
    // t = 0 (first-fit): job 0 (mid, 2 GPUs, 120 s) -> n0; jobs 1, 2 (low, 1 GPU) -> n1/g0,
    // n1/g1; job 3 (mid, 2 GPUs) -> n2. The cluster is full.
    // t = 100: job 4 (high, 2 GPUs) fits nowhere. Victims per node: n0 {0} (top 100),
    // n1 {1, 2} (top 10, both needed for 2 GPUs), n2 {3} (top 100). Lowest top priority
    // wins although n1 has more victims: jobs 1 and 2 are preempted.
    // t = 110: the grace period is over; both leave; job 4 starts on n1 (wait 10), ends 160.
    //   Job 1 has done 110 s, no checkpoint: loses 110. Job 2 has done 110, keeps
    //   floor(110 / 30) * 30 = 90, loses 20.
    // t = 120: job 0 ends; n0 is free.
    // t = 130: restart delay over: jobs 1, 2 pending again and placed at once on n0.
    //   Job 1: 1000 s left -> 1130. Job 2: 1000 - 90 = 910 s left -> 1040.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,mid,2,120
1,0,c,low,1,1000
2,0,ck,low,1,1000
3,0,c,mid,2,1000
4,100,c,high,2,50
";
    let o = preemption_run(csv);
    assert_preemptions(&o, &[(0, 0), (1, 1), (2, 1), (3, 0), (4, 0)]);
    assert_times(&o, 4, 110.0, 160.0);
    assert_eq!(o.job(4).gpus, "n1/g0;n1/g1");
    assert_times(&o, 0, 0.0, 120.0);
    assert_times(&o, 3, 0.0, 1000.0);
    // First start stays 0; the restart shows in the end time and the new placement.
    assert_times(&o, 1, 0.0, 1130.0);
    assert_times(&o, 2, 0.0, 1040.0);
    assert_eq!(
        (o.job(1).gpus.as_str(), o.job(2).gpus.as_str()),
        ("n0/g0", "n0/g1")
    );
    let (j1, j2) = (o.job(1), o.job(2));
    assert_close(j1.lost_s, 110.0, "job 1 lost (no checkpoint)");
    assert_close(j2.lost_s, 20.0, "job 2 lost (checkpoint 30 s)");
    assert_close(j1.useful_s, 1000.0, "job 1 useful");
    assert_close(j2.useful_s, 1000.0, "job 2 useful");
    // Job 1 held one GPU 0-110 (grace included) and 130-1130.
    assert_close(j1.cost_usd, usd(A100_PRICE, 1.0, 1110.0), "job 1 cost");
    let p = o.pool("p");
    assert_eq!((p.preemptions, p.evictions), (2, 0));
    assert_close(p.lost_ref_gpu_hours, 130.0 / 3600.0, "pool lost");
    assert_eq!(p.placements, 7); // five first starts and two restarts
    assert_eq!(
        (o.class("c").preemptions, o.class("ck").preemptions),
        (1, 1)
    );
    assert_eq!(o.summary.jobs.completed, 5);
}

#[test]
fn preemption_prefers_fewer_victims_when_top_priorities_tie() {
    // t = 0: job 0 (low) -> n0/g0, job 1 (scavenger, -5) -> n0/g1, job 2 (low, 2 GPUs,
    // checkpoints) -> n1, job 3 (mid, 2 GPUs) -> n2.
    // t = 100: job 4 (high, 2 GPUs). n0 needs victims {0, 1}: top 10, sum of
    // (priority + 2^31) = 2^32 + 5; n1 needs {2}: top 10, sum 2^31 + 10 -> n1 wins. (The raw
    // priority sums, 5 against 10, would have picked n0: the 2^31 offset makes count win.)
    // t = 110: job 2 leaves with 110 s done per GPU: keeps 90, loses 20 on each of its 2 GPUs
    //   = 40 GPU-s. Job 4 starts on n1, ends 160.
    // t = 130: job 2 pending again; nothing is free and nothing lower than low (10) can be
    //   evicted to make 2 GPUs (only job 1 at -5 on n0, which frees one), so it waits.
    // t = 160: job 4 leaves; job 2 back on n1 with 910 s left -> 1070.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,1,1000
1,0,c,scavenger,1,1000
2,0,ck,low,2,1000
3,0,c,mid,2,1000
4,100,c,high,2,50
";
    let o = preemption_run(csv);
    assert_preemptions(&o, &[(0, 0), (1, 0), (2, 1), (3, 0), (4, 0)]);
    assert_times(&o, 4, 110.0, 160.0);
    assert_eq!(o.job(4).gpus, "n1/g0;n1/g1");
    assert_times(&o, 2, 0.0, 1070.0);
    assert_eq!(o.job(2).gpus, "n1/g0;n1/g1");
    assert_close(o.job(2).lost_s, 40.0, "job 2 lost");
    assert_close(o.job(2).useful_s, 2000.0, "job 2 useful (2 GPUs x 1000 s)");
    assert_eq!(o.pool("p").preemptions, 1);
}

#[test]
fn preemption_reprieves_earlier_starts_and_prefers_the_latest_started_victims() {
    // t = 0: job 0 (low, 2 GPUs) -> n0. t = 10: job 1 (low, 1) -> n1/g0. t = 20: job 2
    // (low, 2) -> n2. t = 30: job 3 (low, 1) -> n1/g1.
    // t = 100: job 4 (high, 1 GPU). n0: {0}, earliest start 0. n1: both 1 and 3 are lower;
    // reprieve the most important first: job 1 (started 10, earlier) can stay since evicting
    // job 3 alone frees a GPU; job 3 cannot -> {3}, start 30. n2: {2}, start 20. Tops, sums
    // and counts tie; the latest start wins: n1, victim job 3.
    // t = 110: job 4 starts on n1/g1, ends 160. Job 3 lost 110 - 30 = 80 s of work.
    // t = 130: job 3 pending; nothing free. t = 160: back on n1/g1 with 1000 s -> 1160.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,2,1000
1,10,c,low,1,1000
2,20,c,low,2,1000
3,30,c,low,1,1000
4,100,c,high,1,50
";
    let o = preemption_run(csv);
    assert_preemptions(&o, &[(0, 0), (1, 0), (2, 0), (3, 1), (4, 0)]);
    assert_times(&o, 4, 110.0, 160.0);
    assert_eq!(o.job(4).gpus, "n1/g1");
    assert_times(&o, 3, 30.0, 1160.0);
    assert_close(o.job(3).lost_s, 80.0, "job 3 lost");
}

#[test]
fn a_burst_of_preemptors_of_one_shape_preempts_at_once() {
    // 3 nodes x 2 GPUs, each node holding one low 2-GPU job (0 -> n0, 1 -> n1, 2 -> n2).
    // t = 100: jobs 3 and 4 (high, 2 GPUs, same class and request) arrive together. As
    // kube-scheduler tries each pending pod in turn, job 3 preempts one node and job 4
    // another, both at t = 100 (ties on priority, sum and count; latest start: all started
    // at 0, so the lowest nodes n0, then n1). Both start at 110 and end at 160.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,2,1000
1,0,c,low,2,1000
2,0,c,low,2,1000
3,100,c,high,2,50
4,100,c,high,2,50
";
    let o = preemption_run(csv);
    assert_preemptions(&o, &[(0, 1), (1, 1), (2, 0)]);
    assert_times(&o, 3, 110.0, 160.0);
    assert_times(&o, 4, 110.0, 160.0);
}

#[test]
fn a_never_head_does_not_stop_a_lower_preemptor_of_the_same_shape() {
    // 1 node x 1 GPU (the 3-node pool would hide the effect; this uses its own pool).
    // Job 0 (low) runs. t = 10: job 1 (vip 1000, Never) cannot preempt and waits. t = 20:
    // job 2 (mid 100, may preempt; same class and request as job 1) fails to fit and, in
    // kube-scheduler's PostFilter, preempts job 0 (10 < 100). t = 30: job 0 is gone; the
    // queue serves the highest priority first: job 1 takes the GPU (30 -> 80), job 2 follows
    // (80 -> 130). Job 0 is pending again from 50 but, lowest in the queue, runs only after
    // both: 130 -> 1130 with all 1000 s still to do.
    let yaml = "name: never-head
horizon: 1200s
model: {termination_grace: 10s, restart_delay: 20s}
priority_classes:
  - {name: low, value: 10}
  - {name: mid, value: 100}
  - {name: vip, value: 1000, preemption_policy: Never}
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,priority_class,duration
0,0,c,low,1000
1,10,c,vip,50
2,20,c,mid,50
";
    let o = run(&fixture(yaml, csv).loaded);
    assert_eq!(o.job(0).preemptions, 1, "job 2 preempts job 0");
    assert_times(&o, 1, 30.0, 80.0);
    assert_times(&o, 2, 80.0, 130.0);
    // Job 0 did 30 s before it left (no checkpoint): all lost; pending at 50, runs 130-1130.
    assert_times(&o, 0, 0.0, 1130.0);
    assert_close(o.job(0).lost_s, 30.0, "job 0 lost");
}

#[test]
fn a_preemptor_arriving_behind_a_blocked_backlog_of_its_shape_still_preempts() {
    // 1 node x 2 GPUs held by jobs 0, 1 (mid, 500 s). Job 2 (low, same class and request)
    // waits from 5: it cannot preempt mid. Job 3 (high, same shape) arrives at 10 and goes
    // to the head of the queue; kube-scheduler runs its PostFilter at once: the reprieve
    // keeps job 0 (same priority and start, first in slot order), job 1 is evicted at 10 and
    // gone at 20; job 3 runs 20 -> 70. Job 1 (20 s done, all lost) is pending again at 40;
    // when job 3 ends at 70 it goes before job 2 (mid before low) and runs 70 -> 570.
    // Job 2 takes job 0's GPU at 500: 500 -> 550.
    let classes =
        "  - {name: low, value: 10}\n  - {name: mid, value: 100}\n  - {name: high, value: 1000}";
    let csv = "id,submit,class,priority_class,duration\n0,0,c,mid,500\n1,0,c,mid,500\n2,5,c,low,50\n3,10,c,high,50\n";
    let o = two_gpu_run(classes, csv);
    assert_preemptions(&o, &[(0, 0), (1, 1), (2, 0), (3, 0)]);
    assert_times(&o, 3, 20.0, 70.0);
    assert_times(&o, 1, 0.0, 570.0);
    assert_times(&o, 2, 500.0, 550.0);
}

/// One node with 2 whole GPUs, grace 10 s, restart delay 20 s, and `classes` as priority
/// classes; class `c` never checkpoints.
fn two_gpu_run(priority_classes: &str, csv: &str) -> Outcome {
    let yaml = format!(
        "name: prio
horizon: 1000s
model: {{termination_grace: 10s, restart_delay: 20s}}
priority_classes:
{priority_classes}
pools:
  - {{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 2, sharing: {{kind: exclusive}}}}
classes:
  - {{name: c, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10}}
workload: {{kind: trace, path: trace.csv}}
"
    );
    run(&fixture(&yaml, csv).loaded)
}

#[test]
fn preemption_policy_never_waits_instead_of_preempting() {
    // Jobs 0 (100 s) and 1 (200 s), priority 10, fill both GPUs. Job 2 (priority 1000,
    // Never) arrives at 10: it may not evict them and waits for job 0 to end at 100,
    // then runs 100 -> 150.
    let classes =
        "  - {name: low, value: 10}\n  - {name: vip, value: 1000, preemption_policy: Never}";
    let csv =
        "id,submit,class,priority_class,duration\n0,0,c,low,100\n1,0,c,low,200\n2,10,c,vip,50\n";
    let o = two_gpu_run(classes, csv);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 0.0, 200.0);
    assert_times(&o, 2, 100.0, 150.0);
    assert_preemptions(&o, &[(0, 0), (1, 0), (2, 0)]);
    assert_eq!(o.pool("p").preemptions, 0);
    assert_eq!(o.job(2).priority, 1000);
}

#[test]
fn equal_priority_never_preempts() {
    // Both GPUs held by priority-100 jobs; another priority-100 job (which may preempt)
    // waits for the first to end at 100. A priority-101 job arriving at 20 does preempt:
    // victims are strictly lower.
    let classes = "  - {name: mid, value: 100}\n  - {name: mid2, value: 101}";
    let csv =
        "id,submit,class,priority_class,duration\n0,0,c,mid,100\n1,0,c,mid,500\n2,10,c,mid,50\n";
    let o = two_gpu_run(classes, csv);
    assert_times(&o, 2, 100.0, 150.0);
    assert_preemptions(&o, &[(0, 0), (1, 0), (2, 0)]);

    // Same cluster, the third job one higher: it preempts. Victim choice on the only node:
    // jobs 0 and 1 both started at 0; the reprieve keeps the more important one (same
    // priority and start: the one first in slot order, job 0), so job 1 goes.
    // t = 20 preempted, t = 30 job 2 starts (ends 80); job 1 lost 30 s, pending at 50,
    // starts again when job 2 ends at 80 -> 580.
    let csv =
        "id,submit,class,priority_class,duration\n0,0,c,mid,100\n1,0,c,mid,500\n2,20,c,mid2,50\n";
    let o = two_gpu_run(classes, csv);
    assert_preemptions(&o, &[(0, 0), (1, 1), (2, 0)]);
    assert_times(&o, 2, 30.0, 80.0);
    assert_times(&o, 1, 0.0, 580.0);
    assert_close(o.job(1).lost_s, 30.0, "job 1 lost");
}

#[test]
fn pods_without_a_priority_class_get_the_default_and_may_preempt() {
    // No global default: a pod without a class has priority 0 and may preempt a
    // priority -10 pod. Jobs 0, 1 (background, -10) fill the node; job 2 (no class) at 10
    // evicts one (the later-placed job 1 after the reprieve of job 0), starts at 20.
    let classes = "  - {name: background, value: -10, preemption_policy: Never}";
    let csv = "id,submit,class,priority_class,duration\n0,0,c,background,500\n1,0,c,background,500\n2,10,c,,50\n";
    let o = two_gpu_run(classes, csv);
    assert_eq!(o.job(2).priority, 0);
    assert_preemptions(&o, &[(0, 0), (1, 1), (2, 0)]);
    assert_times(&o, 2, 20.0, 70.0);

    // With a global default class of value 50 and policy Never, the same pod gets 50 and
    // must wait for job 0 to end at 500.
    let classes = "  - {name: background, value: -10, preemption_policy: Never}\n  - {name: std, value: 50, global_default: true, preemption_policy: Never}";
    let o = two_gpu_run(classes, csv);
    assert_eq!(o.job(2).priority, 50);
    assert_preemptions(&o, &[(0, 0), (1, 0), (2, 0)]);
    assert_times(&o, 2, 500.0, 550.0);
}

// ---------------------------------------------------------------------------------------------
// ResourceQuotas
// ---------------------------------------------------------------------------------------------

/// Namespace `team` with `requests.nvidia.com/gpu: 3`; one node with 2 A100-80GB
/// time-sliced 2 ways (4 replicas, so the cluster never limits these jobs). Class `c` asks
/// for 2 replicas: distributed allocation puts one on each GPU, each alone (x = 1).
fn quota_run(admission: &str, backoff_max: &str, extra_classes: &str, csv: &str) -> Outcome {
    let yaml = format!(
        "name: quota
horizon: 1000s
model: {{quota_backoff: 10s, quota_backoff_max: {backoff_max}}}
scheduler: {{quota_admission: {admission}}}
priority_classes:
  - {{name: low, value: 10, preemption_policy: Never}}
  - {{name: high, value: 100, preemption_policy: Never}}
namespaces:
  - {{name: team, quota: {{requests.nvidia.com/gpu: 3}}}}
pools:
  - {{name: ts, gpu: A100-80GB, nodes: 1, gpus_per_node: 2, sharing: {{kind: time_slicing, replicas: 2}}}}
classes:
  - {{name: c, kind: batch, namespace: team, request: {{kind: gpu, count: 2}}, u: 1, d: 1, mem_gib: 10}}
{extra_classes}
workload: {{kind: trace, path: trace.csv}}
"
    );
    run(&fixture(&yaml, csv).loaded)
}

const TWO_JOBS: &str = "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n";

#[test]
fn quota_reject_retries_with_doubling_backoff() {
    // Job 0 takes 2 of the 3 (two replicas count two nvidia.com/gpu) and runs 0 -> 100.
    // Job 1 would make 4 > 3: refused at 0; retries after 10, 20, 40, 80 s:
    //   refused at 0, 10, 30, 70 (job 0 still running); retry at 150 admits it.
    // It starts at once (the replicas are free) and ends 250; 150 s quota-blocked.
    let o = quota_run("reject", "360s", "", TWO_JOBS);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 150.0, 250.0);
    let ns = o.namespace("team");
    assert_eq!((ns.quota_blocked_jobs, ns.quota_refusals), (1, 4));
    assert_close(ns.quota_blocked_hours, 150.0 / 3600.0, "blocked hours");
    assert_eq!(ns.peak_used.get("requests.nvidia.com/gpu"), Some(&2));
    assert_eq!(ns.quota.get("requests.nvidia.com/gpu"), Some(&3));
}

#[test]
fn quota_reject_backoff_is_capped() {
    // quota_backoff_max 30 s: delays 10, 20, 30, 30, 30 -> refused at 0, 10, 30, 60, 90;
    // the retry at 120 is the first after job 0's end at 100: runs 120 -> 220.
    let o = quota_run("reject", "30s", "", TWO_JOBS);
    assert_times(&o, 1, 120.0, 220.0);
    let ns = o.namespace("team");
    assert_eq!((ns.quota_blocked_jobs, ns.quota_refusals), (1, 5));
    assert_close(ns.quota_blocked_hours, 120.0 / 3600.0, "blocked hours");
}

#[test]
fn quota_queue_admits_exactly_when_usage_frees() {
    // Held at 0 (one refusal), admitted when job 0 completes at 100: runs 100 -> 200.
    let o = quota_run("queue", "360s", "", TWO_JOBS);
    assert_times(&o, 1, 100.0, 200.0);
    let ns = o.namespace("team");
    assert_eq!((ns.quota_blocked_jobs, ns.quota_refusals), (1, 1));
    assert_close(ns.quota_blocked_hours, 100.0 / 3600.0, "blocked hours");
    assert_eq!(ns.peak_used.get("requests.nvidia.com/gpu"), Some(&2));
}

#[test]
fn quota_queue_admits_by_priority_then_submit() {
    // Job 0 runs 0 -> 100. Job 1 (low, submit 1) and job 2 (high, submit 2) are held.
    // At 100 the queue admits job 2 first (higher priority): 2 of 3 used, so job 1 (2 more)
    // stays held until job 2 ends at 200, and runs 200 -> 300.
    // Blocked: job 1 1 -> 200 (199 s), job 2 2 -> 100 (98 s): 297 s, two refusals.
    let csv =
        "id,submit,class,priority_class,duration\n0,0,c,,100\n1,1,c,low,100\n2,2,c,high,100\n";
    let o = quota_run("queue", "360s", "", csv);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 2, 100.0, 200.0);
    assert_times(&o, 1, 200.0, 300.0);
    let ns = o.namespace("team");
    assert_eq!((ns.quota_blocked_jobs, ns.quota_refusals), (2, 2));
    assert_close(ns.quota_blocked_hours, 297.0 / 3600.0, "blocked hours");
}

#[test]
fn a_request_over_the_hard_limit_is_unschedulable_and_names_the_quota() {
    // 4 replicas fit the node (2 GPUs x 2) but not the quota of 3: never admissible.
    for admission in ["reject", "queue"] {
        let csv = "id,submit,class,gpus,duration\n0,5,c,4,100\n1,6,c,1,100\n";
        let o = quota_run(admission, "360s", "", csv);
        let r = o.job(0);
        assert_eq!(r.state, JobState::Unschedulable, "{admission}: {r:?}");
        assert_eq!((r.start_s, r.end_s), (None, 5.0));
        assert!(
            r.reason.contains("quota") && r.reason.contains("requests.nvidia.com/gpu"),
            "{}",
            r.reason
        );
        assert_eq!(o.summary.unschedulable.get(&r.reason), Some(&1));
        assert_eq!(o.class("c").unschedulable.get(&r.reason), Some(&1));
        // It never counted against the quota: job 1 (1 replica) is admitted at once.
        assert_times(&o, 1, 6.0, 106.0);
        let ns = o.namespace("team");
        assert_eq!((ns.quota_blocked_jobs, ns.quota_refusals), (0, 0));
        assert_eq!(ns.peak_used.get("requests.nvidia.com/gpu"), Some(&1));
    }
}

// ---------------------------------------------------------------------------------------------
// Fallback between pools
// ---------------------------------------------------------------------------------------------

/// Pools `a`, `b`, `c`: one whole A100-80GB each. Class `pin_a` / `pin_b` use only their
/// pool; class `f` lists `pools` with `fallback`.
fn fallback_run(pools: &str, fallback: &str, csv: &str) -> Outcome {
    let yaml = format!(
        "name: fallback
horizon: 1000s
pools:
  - {{name: a, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {{kind: exclusive}}}}
  - {{name: b, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {{kind: exclusive}}}}
  - {{name: c, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {{kind: exclusive}}}}
classes:
  - {{name: pin_a, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10, pools: [a]}}
  - {{name: pin_b, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10, pools: [b]}}
  - name: f
    kind: batch
    namespace: default
    request: {{kind: gpu, count: 1}}
    u: 1
    d: 1
    mem_gib: 10
    pools: {pools}
{fallback}
workload: {{kind: trace, path: trace.csv}}
"
    );
    run(&fixture(&yaml, csv).loaded)
}

#[test]
fn fallback_waits_for_fallback_after_then_uses_the_next_pool() {
    // Pool a is held by job 0 (pin_a) until 500. Job 1 (class f, pools [a, b]) arrives at 10.
    let csv = "id,submit,class,duration\n0,0,pin_a,500\n1,10,f,100\n";
    // With fallback_after 60 s, pool b is allowed from 10 + 60 = 70: runs 70 -> 170 on b.
    let o = fallback_run("[a, b]", "    fallback_after: 60s", csv);
    assert_times(&o, 1, 70.0, 170.0);
    assert_eq!(o.job(1).pool, "b");
    let f = o.class("f");
    assert_eq!(f.fallbacks, 1);
    assert_eq!(f.ran_in.get("b"), Some(&1));
    assert_eq!(f.wait.p50_s, Some(60.0));
    // Without it, every listed pool is allowed at once: b at 10.
    let o = fallback_run("[a, b]", "", csv);
    assert_times(&o, 1, 10.0, 110.0);
    assert_eq!(o.job(1).pool, "b");
    assert_eq!(o.class("f").fallbacks, 1);
    // A job whose first pool has room does not fall back: job 2 arrives after a freed.
    let csv = "id,submit,class,duration\n0,0,pin_a,500\n1,10,f,100\n2,600,f,10\n";
    let o = fallback_run("[a, b]", "    fallback_after: 60s", csv);
    assert_times(&o, 2, 600.0, 610.0);
    assert_eq!(o.job(2).pool, "a");
    assert_eq!(o.class("f").fallbacks, 1);
}

#[test]
fn the_kth_pool_opens_after_k_waits() {
    // a held until 500, b until 100. Job 2 (class f, pools [a, b, c], 60 s) arrives at 10:
    // b opens at 70 (still busy), c would open at 130, but b frees at 100 first: runs
    // 100 -> 200 on b; c, free all along, is never used.
    let csv = "id,submit,class,duration\n0,0,pin_a,500\n1,0,pin_b,100\n2,10,f,100\n";
    let o = fallback_run("[a, b, c]", "    fallback_after: 60s", csv);
    assert_times(&o, 2, 100.0, 200.0);
    assert_eq!(o.job(2).pool, "b");
    // With b held until 500 too, c opens at 10 + 2 x 60 = 130.
    let csv = "id,submit,class,duration\n0,0,pin_a,500\n1,0,pin_b,500\n2,10,f,100\n";
    let o = fallback_run("[a, b, c]", "    fallback_after: 60s", csv);
    assert_times(&o, 2, 130.0, 230.0);
    assert_eq!(o.job(2).pool, "c");
    assert_eq!(o.class("f").fallbacks, 1);
    assert_eq!(o.class("f").ran_in.get("c"), Some(&1));
}

// ---------------------------------------------------------------------------------------------
// Node affinity, MIG single labels
// ---------------------------------------------------------------------------------------------

#[test]
fn node_affinity_operators_and_mig_single_labels() {
    // Pools (one GPU each, except m: one A100-80GB as 7 x 1g.10gb, single strategy):
    //   a {zone: east, tier: gold}, b {zone: west}, c (no labels), m (automatic labels
    //   mig-profile=1g.10gb, nvidia.com/gpu.product=A100-80GB-MIG-1g.10gb).
    // Jobs (all 1 GPU, long), in order:
    //   0 in_west  zone In [west, north]         -> b only
    //   1 notin    zone NotIn [east], pools [a, c] -> c (a label-less node matches NotIn)
    //   2 exists   tier Exists                   -> a only
    //   3 dne      zone DoesNotExist             -> c or m; c is taken -> m
    //   4 mig_sel  node_selector mig-profile: 1g.10gb            -> m
    //   5 product  node_selector nvidia.com/gpu.product: ...-MIG-1g.10gb -> m
    let yaml = "name: affinity
horizon: 100s
pools:
  - {name: a, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, labels: {zone: east, tier: gold}, sharing: {kind: exclusive}}
  - {name: b, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, labels: {zone: west}, sharing: {kind: exclusive}}
  - {name: c, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
  - name: m
    gpu: A100-80GB
    nodes: 1
    gpus_per_node: 1
    sharing: {kind: mig, strategy: single, layout: [1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb]}
classes:
  - {name: in_west, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.1, mem_gib: 5,
     node_affinity: [{key: zone, operator: In, values: [west, north]}]}
  - {name: notin, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.1, mem_gib: 5,
     pools: [a, c], node_affinity: [{key: zone, operator: NotIn, values: [east]}]}
  - {name: exists, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.1, mem_gib: 5,
     node_affinity: [{key: tier, operator: Exists}]}
  - {name: dne, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.1, mem_gib: 5,
     node_affinity: [{key: zone, operator: DoesNotExist}]}
  - {name: mig_sel, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.1, mem_gib: 5,
     node_selector: {mig-profile: 1g.10gb}}
  - {name: product, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.1, mem_gib: 5,
     node_selector: {nvidia.com/gpu.product: A100-80GB-MIG-1g.10gb}}
workload: {kind: trace, path: trace.csv}
";
    let csv = "id,submit,class,duration
0,0,in_west,1000
1,1,notin,1000
2,2,exists,1000
3,3,dne,1000
4,4,mig_sel,1000
5,5,product,1000
";
    let f = fixture(yaml, csv);
    let o = run(&f.loaded);
    for (id, pool) in [(0, "b"), (1, "c"), (2, "a"), (3, "m"), (4, "m"), (5, "m")] {
        let r = o.job(id);
        assert_eq!(r.state, JobState::Running, "job {id}: {r:?}");
        assert_eq!(r.pool, pool, "job {id}");
        assert_close(r.start_s.unwrap(), id as f64, &format!("job {id} start"));
    }
    for id in [3, 4, 5] {
        let g = &o.job(id).gpus;
        assert!(g.starts_with("n0/g0/1g.10gb@"), "job {id}: {g}");
    }
    // Three different instances.
    let mut instances: Vec<&str> = [3, 4, 5].iter().map(|&i| o.job(i).gpus.as_str()).collect();
    instances.dedup();
    assert_eq!(instances.len(), 3, "{instances:?}");
    // The class that lists pool a it cannot use gets a warning naming the affinity.
    let warnings: Vec<String> = problems_of(yaml)
        .into_iter()
        .filter(|p| p.severity == Severity::Warning)
        .map(|p| p.to_string())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("classes[1].pools") && w.contains("zone")),
        "{warnings:#?}"
    );
}

#[test]
fn scenario_labels_on_a_mig_single_pool_are_kept() {
    // A scenario that sets mig-profile itself wins over the automatic label: a selector on
    // the automatic value cannot use the pool, one on the scenario's value can.
    let yaml = |selector: &str| {
        format!(
            "name: labels
horizon: 100s
pools:
  - name: m
    gpu: A100-80GB
    nodes: 1
    gpus_per_node: 1
    labels: {{mig-profile: custom}}
    sharing: {{kind: mig, strategy: single, layout: [3g.40gb, 3g.40gb]}}
classes:
  - {{name: c, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 0.1, mem_gib: 5, node_selector: {{mig-profile: {selector}}}}}
workload: {{kind: trace, path: trace.csv}}
"
        )
    };
    let errors: Vec<String> = problems_of(&yaml("3g.40gb"))
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("can never be scheduled") && errors[0].contains("mig-profile=custom"),
        "{}",
        errors[0]
    );
    let o = run(&fixture(&yaml("custom"), "id,submit,class,duration\n0,0,c,10\n").loaded);
    assert_eq!(o.job(0).state, JobState::Completed);
    assert!(
        o.job(0).gpus.starts_with("n0/g0/3g.40gb@"),
        "{}",
        o.job(0).gpus
    );
}

// ---------------------------------------------------------------------------------------------
// rename_by_default: nvidia.com/gpu.shared
// ---------------------------------------------------------------------------------------------

/// One A100-80GB time-sliced 4 ways with `rename_by_default`, class `s` asking for
/// `{kind: shared_gpu, count: 1}`. Namespace `team` may hold one `nvidia.com/gpu.shared`
/// (queue admission); its `nvidia.com/gpu` quota is a different resource that shared
/// requests do not count against.
const RENAMED: &str = "name: renamed
horizon: 1000s
scheduler: {quota_admission: queue}
namespaces:
  - {name: team, quota: {requests.nvidia.com/gpu.shared: 1, requests.nvidia.com/gpu: 1}}
pools:
  - {name: ts, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 4, rename_by_default: true}}
classes:
  - {name: s, kind: batch, namespace: team, request: {kind: shared_gpu, count: 1}, u: 0.25, d: 0.25, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";

#[test]
fn rename_by_default_pools_take_shared_gpu_requests_only() {
    // Job 0 (class request: nvidia.com/gpu.shared) runs alone: 0 -> 100.
    // Job 1 (same) is held by the gpu.shared quota of 1 until 100: 100 -> 200.
    // Job 2 overrides the request in the trace (gpus = 1: nvidia.com/gpu), which the renamed
    // pool does not advertise: unschedulable at submit, the reason names both resources.
    let csv = "id,submit,class,gpus,duration\n0,0,s,,100\n1,0,s,,100\n2,5,s,1,100\n";
    let o = run(&fixture(RENAMED, csv).loaded);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 100.0, 200.0);
    assert_eq!(o.job(0).request, "gpu.shared:1");
    assert_eq!(o.job(0).pool, "ts");
    let r = o.job(2);
    assert_eq!(r.state, JobState::Unschedulable, "{r:?}");
    assert!(
        r.reason.contains("nvidia.com/gpu.shared") && r.reason.contains("pool ts"),
        "{}",
        r.reason
    );
    let ns = o.namespace("team");
    assert_eq!(ns.peak_used.get("requests.nvidia.com/gpu.shared"), Some(&1));
    assert_eq!(ns.peak_used.get("requests.nvidia.com/gpu"), None);
    assert_eq!((ns.quota_blocked_jobs, ns.quota_refusals), (1, 1));
}

#[test]
fn a_gpu_class_on_a_renamed_pool_fails_validation() {
    let yaml = RENAMED.replace("{kind: shared_gpu, count: 1}", "{kind: gpu, count: 1}");
    let errors: Vec<String> = problems_of(&yaml)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert!(
        e.contains("classes[0]") && e.contains("can never be scheduled"),
        "{e}"
    );
    assert!(e.contains("nvidia.com/gpu.shared"), "{e}");
}

/// Regression: a MIG class listing two pools with `fallback_after` never falls back, and
/// waiting past the fallback wait must not make the run loop at one instant (it used to
/// schedule fallback ticks in the past forever).
#[test]
fn a_mig_class_with_a_fallback_wait_waits_for_its_first_pool() {
    let yaml = "name: t
horizon: 1000s
pools:
  - {name: a, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: mig, strategy: mixed, layout: [7g.80gb]}}
  - {name: b, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: mig, strategy: mixed, layout: [7g.80gb]}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: mig, profile: 7g.80gb, count: 1}, u: 1, d: 0.5, mem_gib: 10, pools: [a, b], fallback_after: 60s}
workload: {kind: trace, path: trace.csv}
";
    // Job 0 holds a's only instance 0..300 s (d = 0.5 fits in 98/108 of the SMs: x = 1).
    // Job 1 (t = 10) waits for a although b is free, past its 60 s fallback wait: it starts
    // at 300 s on a and ends at 400 s. Pool b is never used.
    let csv = "id,submit,class,duration\n0,0,c,300\n1,10,c,100\n";
    let o = run(&fixture(yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 300.0);
    assert_times(&o, 1, 300.0, 400.0);
    assert_eq!(o.job(1).pool, "a");
    assert_eq!(o.class("c").fallbacks, 0);
}

/// Regression (issue 15): a `nvidia.com/gpu` class whose first pool is a MIG `single` pool is a
/// MIG workload too and never falls back to the time-sliced pool listed after it; the
/// validator warns that the later pools are never tried.
#[test]
fn a_gpu_class_on_a_mig_single_pool_never_falls_back() {
    let yaml = "name: t
horizon: 1000s
pools:
  - {name: a, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: mig, strategy: single, layout: [7g.80gb]}}
  - {name: b, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 0.5, mem_gib: 10, pools: [a, b]}
workload: {kind: trace, path: trace.csv}
";
    // As above: job 0 holds a's only instance 0..300 s (x = 1); job 1 (t = 10) waits for it
    // although b has room (it used to start on b at once), then runs 300..400 s.
    let csv = "id,submit,class,duration\n0,0,c,300\n1,10,c,100\n";
    let o = run(&fixture(yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 300.0);
    assert_times(&o, 1, 300.0, 400.0);
    assert_eq!(o.job(1).pool, "a");
    assert_eq!(o.class("c").fallbacks, 0);
    let warnings: Vec<String> = common::problems_of(yaml)
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("MIG single pool a first") && w.contains("use only a")),
        "{warnings:?}"
    );
}
