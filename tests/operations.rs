//! Operations as platform teams run them, on hand-worked scenarios: a rolling drain a node at a
//! time, PodDisruptionBudgets that make a drain wait (and one that makes it give up), the
//! nominated-node reservation of a preemptor, and each operation's cost report.
//!
//! Every scenario sets `termination_grace: 10s` and `restart_delay: 20s`; jobs hold whole
//! A100-80GB GPUs (the reference: 1 s of run time = 1 reference GPU-second of work) and are
//! placed with `first-fit` (the lowest node that fits). Times are seconds.

mod common;

use common::{assert_close, assert_times, fixture, problems_of, run};
use slicesim::scenario::Severity;

fn scenario(pool: &str, classes: &str, events: &str) -> String {
    format!(
        "name: ops
horizon: 2000s
scheduler: {{policy: first-fit}}
model:
  termination_grace: 10s
  restart_delay: 20s
priority_classes:
  - {{name: low, value: 10}}
  - {{name: mid, value: 100}}
  - {{name: high, value: 1000}}
pools:
  - {pool}
classes:
{classes}
events:
{events}
workload: {{kind: trace, path: trace.csv}}
"
    )
}

const C: &str = "  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}";

#[test]
fn a_rolling_drain_takes_one_node_at_a_time() {
    // 4 nodes x 1 GPU; jobs 0-3 (1000 s) start at 0 on n0-n3. At 100 a drain of all 4 nodes,
    // max_unavailable 1, 100 s each. Batches go highest node first; each starts when the
    // previous one is back:
    //   batch 1 n3: 100-200. Job 3 evicted at 100, leaves 110 (lost 110), pending at 130.
    //   batch 2 n2: 200-300. n3 back at 200: job 3 starts there (1000 s -> 1200); job 2
    //     evicted at 200, leaves 210 (lost 210), pending 230.
    //   batch 3 n1: 300-400. Job 2 starts on n2 at 300 (-> 1300); job 1 evicted, lost 310.
    //   batch 4 n0: 400-500. Job 1 starts on n1 at 400 (-> 1400); job 0 evicted, lost 410;
    //     n0 back at 500: job 0 starts there (-> 1500).
    // Job 4 (100 s) is submitted at 150, inside the window: every freed node goes to an
    // evicted job submitted earlier, so it waits for the first end: n3 at 1200 -> 1300,
    // wait 1050. Job 5 (100 s) at 600 is after the window; it starts when n2 and n3 free at
    // 1300 -> 1400.
    let yaml = scenario(
        "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
        C,
        "  - {kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s, max_unavailable: 1}",
    );
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,0,c,1000\n2,0,c,1000\n3,0,c,1000\n4,150,c,100\n5,600,c,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 3, 0.0, 1200.0);
    assert_times(&o, 2, 0.0, 1300.0);
    assert_times(&o, 1, 0.0, 1400.0);
    assert_times(&o, 0, 0.0, 1500.0);
    assert_times(&o, 4, 1200.0, 1300.0);
    assert_times(&o, 5, 1300.0, 1400.0);
    for (id, lost) in [(3, 110.0), (2, 210.0), (1, 310.0), (0, 410.0)] {
        assert_eq!(o.job(id).evictions, 1, "job {id}");
        assert_close(o.job(id).lost_s, lost, &format!("job {id} lost"));
    }
    let ops = &o.summary.operations;
    assert_eq!(ops.len(), 1, "{ops:?}");
    let d = &ops[0];
    let batches: Vec<(u32, f64, Option<f64>, Option<f64>)> = d
        .batches
        .iter()
        .map(|b| (b.first_node, b.start_s, b.evicted_s, b.end_s))
        .collect();
    assert_eq!(
        batches,
        vec![
            (3, 100.0, Some(100.0), Some(200.0)),
            (2, 200.0, Some(200.0), Some(300.0)),
            (1, 300.0, Some(300.0), Some(400.0)),
            (0, 400.0, Some(400.0), Some(500.0)),
        ]
    );
    assert!(d.batches.iter().all(|b| b.first_node == b.last_node));
    // The cost report: window 100-500 s; 4 evictions losing 110+210+310+410 = 1040 s of
    // reference work; 4 batches x 1 GPU x 100 s = 400 GPU-s unavailable; one job submitted
    // in the window (job 4) waited 1050 s: p50 = p95 = 1050.
    assert_eq!((d.at_s, d.end_s, d.finished), (100.0, 500.0, true));
    assert_close(d.window_h, 400.0 / 3600.0, "window");
    assert_eq!(d.evicted_jobs, 4);
    assert_close(d.lost_ref_gpu_hours, 1040.0 / 3600.0, "lost");
    assert_close(d.unavailable_gpu_hours, 400.0 / 3600.0, "unavailable");
    assert_eq!(d.jobs_submitted, 1);
    assert_eq!((d.wait_p50_s, d.wait_p95_s), (Some(1050.0), Some(1050.0)));
    assert!(!d.wait_p50_censored && !d.timed_out && d.refused_evictions == 0);
    assert!(d.detail.contains("1 at a time (4 batches)"), "{}", d.detail);
}

#[test]
fn a_percentage_rounds_up_to_whole_nodes() {
    // 25% of 4 nodes = 1 node; 30% of 4 = 1.2 -> 2 nodes (rounded up, as a DaemonSet's
    // maxUnavailable): 2 batches of 2, each 100 s.
    for (pct, batches) in [("25%", 4), ("30%", 2)] {
        let yaml = scenario(
            "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
            C,
            &format!(
                "  - {{kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s, max_unavailable: \"{pct}\"}}"
            ),
        );
        let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,50\n").loaded);
        let d = &o.summary.operations[0];
        assert_eq!(d.batches.len(), batches, "{pct}");
        assert_close(d.end_s, 100.0 + 100.0 * batches as f64, pct);
        // Every node is down 100 s whatever the batching: 400 GPU-s.
        assert_close(d.unavailable_gpu_hours, 400.0 / 3600.0, pct);
    }
}

const PDB_CLASS: &str = "  - {name: s, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10, pdb: {min_available: 1}}";

#[test]
fn a_disruption_budget_makes_a_drain_wait_and_retry() {
    // 3 nodes x 1 GPU; class s has minAvailable 1. Jobs 0 (50 s), 1, 2 (1000 s) start at 0
    // on n0, n1, n2; job 0 ends at 50. At 100 a drain of 2 nodes (n1, n2) in one batch:
    //   job 1: 2 running, 2 - 1 = 1 disruption allowed -> evicted (1 running now).
    //   job 2: 1 - 1 = 0 allowed -> refused; asked again every 5 s.
    //   110: job 1 leaves (lost 110); 130: pending again, starts on n0 (-> 1130).
    //   130: the retry (after job 1's restart, scheduled later) finds 2 running: job 2 is
    //   evicted. The batch is fully evicted at 130 and down 100 s: back at 230.
    //   140: job 2 leaves (lost 140); 160 pending; starts at 230 on n1 (-> 1230).
    let yaml = scenario(
        "{name: p, gpu: A100-80GB, nodes: 3, gpus_per_node: 1, sharing: {kind: exclusive}}",
        PDB_CLASS,
        "  - {kind: drain, at: 100s, pool: p, nodes: 2, duration: 100s}",
    );
    let csv = "id,submit,class,duration\n0,0,s,50\n1,0,s,1000\n2,0,s,1000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 50.0);
    assert_times(&o, 1, 0.0, 1130.0);
    assert_times(&o, 2, 0.0, 1230.0);
    assert_eq!(o.job(1).gpus, "n0/g0");
    assert_eq!(o.job(2).gpus, "n1/g0");
    let d = &o.summary.operations[0];
    assert_eq!(d.batches.len(), 1);
    let b = &d.batches[0];
    assert_eq!(
        (b.first_node, b.last_node, b.start_s, b.evicted_s, b.end_s),
        (1, 2, 100.0, Some(130.0), Some(230.0))
    );
    assert_eq!(
        (d.evicted_jobs, d.refused_evictions, d.timed_out),
        (2, 1, false)
    );
    // 2 GPUs x (230 - 100) s unavailable; lost 110 + 140 s.
    assert_close(d.unavailable_gpu_hours, 260.0 / 3600.0, "unavailable");
    assert_close(d.lost_ref_gpu_hours, 250.0 / 3600.0, "lost");
    assert_eq!(d.end_s, 230.0);
}

#[test]
fn budget_percentages_round_up_as_the_disruption_controller_does() {
    // 4 nodes x 1 GPU, jobs 0-3 (1000 s) on n0-n3 from 0, class s under a percentage budget.
    // At 100 a drain of n2, n3 in one batch (timeout 60 s); job 2 is asked first, then job 3.
    //   maxUnavailable 30%: ceil(0.3 x 4) = 2 may be unavailable, desiredHealthy 4 - 2 = 2.
    //     job 2: 4 - 2 = 2 allowed -> evicted; job 3: 3 - 2 = 1 -> evicted. Batch evicted
    //     at 100, back at 200; both restart there (left 110, pending 130): 200 -> 1200.
    //     (Rounding down, 1 pod, would have refused job 3.)
    //   minAvailable 60%: ceil(0.6 x 4) = 3 must stay. job 2: 4 - 3 = 1 -> evicted; job 3:
    //     3 - 3 = 0 -> refused, and stays refused (job 2 cannot restart: n0, n1 busy, n2, n3
    //     cordoned) until the timeout at 160 gives up; job 2 restarts on n2 at 160 -> 1160.
    //     (Rounding down, 2 pods, would have let job 3 go.)
    for (budget, evicted, refused, end2, end3) in [
        ("{max_unavailable: \"30%\"}", 2, 0, 1200.0, 1200.0),
        ("{min_available: \"60%\"}", 1, 1, 1160.0, 1000.0),
    ] {
        let yaml = scenario(
            "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
            &PDB_CLASS.replace("{min_available: 1}", budget),
            "  - {kind: drain, at: 100s, pool: p, nodes: 2, duration: 100s, timeout: 60s}",
        );
        let csv = "id,submit,class,duration\n0,0,s,1000\n1,0,s,1000\n2,0,s,1000\n3,0,s,1000\n";
        let o = run(&fixture(&yaml, csv).loaded);
        let d = &o.summary.operations[0];
        assert_eq!(
            (d.evicted_jobs, d.refused_evictions),
            (evicted, refused),
            "{budget}"
        );
        assert_eq!(d.timed_out, refused > 0, "{budget}");
        assert_times(&o, 2, 0.0, end2);
        assert_times(&o, 3, 0.0, end3);
    }
}

#[test]
fn a_drain_blocked_past_its_timeout_gives_up_and_says_so() {
    // 2 nodes x 1 GPU; class s has minAvailable 2, jobs 0 and 1 (1000 s) on n0, n1. At 100 a
    // drain of n1 with timeout 60 s: job 1 may never be evicted (2 - 2 = 0). Retries at
    // 105, ..., 160; at 160 the timeout is reached: n1 is uncordoned, nothing was evicted.
    let pdb2 = PDB_CLASS.replace("min_available: 1", "min_available: 2");
    let yaml = scenario(
        "{name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 1, sharing: {kind: exclusive}}",
        &pdb2,
        "  - {kind: drain, at: 100s, pool: p, nodes: 1, duration: 100s, timeout: 60s}",
    );
    let csv = "id,submit,class,duration\n0,0,s,1000\n1,0,s,1000\n2,120,s,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 1000.0);
    assert_times(&o, 1, 0.0, 1000.0);
    // Job 2 waits for the first free GPU: 1000 (n0 first-fit) -> 1100.
    assert_times(&o, 2, 1000.0, 1100.0);
    let d = &o.summary.operations[0];
    assert_eq!(
        (d.evicted_jobs, d.refused_evictions, d.timed_out),
        (0, 1, true)
    );
    assert_eq!((d.end_s, d.finished), (160.0, true));
    let b = &d.batches[0];
    assert_eq!(
        (b.start_s, b.evicted_s, b.end_s),
        (100.0, None, Some(160.0))
    );
    // n1 was cordoned 60 s: 1 GPU x 60 s. Job 2 (submitted at 120, in the window) waited 880.
    assert_close(d.unavailable_gpu_hours, 60.0 / 3600.0, "unavailable");
    assert_eq!((d.jobs_submitted, d.wait_p50_s), (1, Some(880.0)));
    // The terminal says so.
    let text = slicesim::report::operations::line(d);
    assert!(text.contains("gave up at its timeout"), "{text}");
    assert!(text.contains("1 evictions refused"), "{text}");
}

#[test]
fn freed_capacity_is_held_for_the_nominated_preemptor() {
    // 1 node x 2 GPUs. Jobs 0, 1 (low, 1 GPU, 1000 s) on g0, g1 at 0. At 100 job 2 (high,
    // 2 GPUs, 50 s) fits nowhere: it preempts both and is nominated to the node. At 105 job 3
    // (mid, 1 GPU, 100 s) arrives: no room. At 110 both victims leave, one event after the
    // other. After the first, one GPU is free and job 3 fits on it: without the reservation
    // it would take it and job 2 would be left short of a GPU. With it, job 3 is kept off
    // (job 2 has a higher priority and would no longer fit once its victims are gone); after
    // the second, job 2 starts at 110 (-> 160). Then job 3 (mid, submitted first of the
    // rest) takes g0 at 160 (-> 260), job 0 (low, restarted at 130) takes g1 at 160 (-> 1160),
    // job 1 waits for job 3: 260 -> 1260.
    let yaml = scenario(
        "{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 2, sharing: {kind: exclusive}}",
        "  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}",
        "  []",
    )
    .replace("events:\n  []\n", "");
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,1,1000
1,0,c,low,1,1000
2,100,c,high,2,50
3,105,c,mid,1,100
";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 2, 110.0, 160.0);
    assert_times(&o, 3, 160.0, 260.0);
    assert_times(&o, 0, 0.0, 1160.0);
    assert_times(&o, 1, 0.0, 1260.0);
    assert_eq!((o.job(0).preemptions, o.job(1).preemptions), (1, 1));
    assert_eq!(o.job(3).preemptions, 0);
}

#[test]
fn the_nominated_preemptor_holds_the_cpu_its_victims_free() {
    // 1 node, 2 GPUs, 8 cores. Job 0 (low, 1 GPU, 4 cores) and job 1 (low, no GPU, 4 cores)
    // run from 0. At 100 job 2 (high, 1 GPU, 8 cores, 50 s) fits nowhere (a GPU is free but
    // no core): it preempts both and is nominated to the node; both leave at 110, job 0 first.
    // At 105 job 3 (mid, 4 cores, 100 s) arrives: no core free. At 110, after job 0 has left,
    // 4 cores are free and job 3 would fit; the nomination keeps it off, since job 2 (8 cores)
    // would then no longer fit once job 1 has gone. After job 1 leaves, job 2 starts at 110
    // (-> 160). At 160 job 3 (mid) starts (-> 260) and job 0 (low, pending again since 130,
    // submitted before job 1) takes the other 4 cores (-> 1160); job 1 waits for job 3: 260 ->
    // 1260. Without the CPU in the reservation job 3 took the cores at 110 and job 2 waited
    // until 210. Job 3 both as a pod without GPUs and as a GPU pod.
    for mid in ["e4", "g4"] {
        let pool = "{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 2, cpu: 8, sharing: {kind: exclusive}}";
        let classes = "  - {name: g4, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10, cpu: 4}
  - {name: e4, kind: batch, namespace: default, request: {kind: gpu, count: 0}, u: 1, d: 1, mem_gib: 0, cpu: 4}
  - {name: g8, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10, cpu: 8}";
        let yaml = scenario(pool, classes, "  []").replace("events:\n  []\n", "");
        let csv = format!(
            "id,submit,class,priority_class,duration\n0,0,g4,low,1000\n1,0,e4,low,1000\n2,100,g8,high,50\n3,105,{mid},mid,100\n"
        );
        let o = run(&fixture(&yaml, &csv).loaded);
        assert_times(&o, 2, 110.0, 160.0);
        assert_times(&o, 3, 160.0, 260.0);
        assert_times(&o, 0, 0.0, 1160.0);
        assert_times(&o, 1, 0.0, 1260.0);
        assert_eq!(
            (o.job(0).preemptions, o.job(1).preemptions),
            (1, 1),
            "{mid}"
        );
    }
}

#[test]
fn a_reconfiguration_reports_its_cost() {
    // 2 nodes x 1 GPU time-sliced 2 ways; jobs 0, 1 (1000 s, checkpoint every 30 s) on n0 at
    // 0. At 100 the pool is re-partitioned to exclusive: both evicted, down 10 s grace + 50 s
    // downtime = 60 s for 2 GPUs = 120 GPU-s. Each leaves at 110 having done 110 s of work,
    // keeps floor(110 / 30) * 30 = 90 and loses 20: 40 s in all.
    let yaml = scenario(
        "{name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}",
        "  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 0.5, d: 0.25, mem_gib: 10, checkpoint: 30s}",
        "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: exclusive}}",
    )
    .replace(
        "restart_delay: 20s\n",
        "restart_delay: 20s\n  overhead_per_context: 0\n  overhead_max: 0\n  reconfig_downtime: 50s\n",
    );
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,0,c,1000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    let d = &o.summary.operations[0];
    assert_eq!((d.kind.as_str(), d.evicted_jobs), ("reconfigure", 2));
    assert_eq!((d.end_s, d.finished), (160.0, true));
    assert_close(d.unavailable_gpu_hours, 120.0 / 3600.0, "unavailable");
    assert_close(d.lost_ref_gpu_hours, 40.0 / 3600.0, "lost");
}

#[test]
fn bad_rolling_and_budget_settings_are_errors_naming_the_field() {
    let cases = [
        (
            scenario(
                "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
                C,
                "  - {kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s, max_unavailable: 0}",
            ),
            "events[0].max_unavailable",
            "at least 1",
        ),
        (
            scenario(
                "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
                C,
                "  - {kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s, max_unavailable: \"150%\"}",
            ),
            "events[0].max_unavailable",
            "percentage 1%-100%",
        ),
        (
            scenario(
                "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
                C,
                "  - {kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s, timeout: 0s}",
            ),
            "events[0].timeout",
            "longer than 0",
        ),
        (
            scenario(
                "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
                &PDB_CLASS.replace(
                    "{min_available: 1}",
                    "{min_available: 1, max_unavailable: 1}",
                ),
                "  - {kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s}",
            ),
            "classes[0].pdb",
            "exactly one",
        ),
        (
            scenario(
                "{name: p, gpu: A100-80GB, nodes: 4, gpus_per_node: 1, sharing: {kind: exclusive}}",
                &PDB_CLASS.replace("{min_available: 1}", "{min_available: \"120%\"}"),
                "  - {kind: drain, at: 100s, pool: p, nodes: 4, duration: 100s}",
            ),
            "classes[0].pdb.min_available",
            "percentage 0%-100%, got `120%`",
        ),
    ];
    for (yaml, at, what) in cases {
        let problems = problems_of(&yaml);
        assert!(
            problems.iter().any(|p| p.severity == Severity::Error
                && p.to_string().contains(at)
                && p.to_string().contains(what)),
            "{at}: {problems:#?}"
        );
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// On random small clusters with preemption, budgets and a rolling drain: no job is lost
    /// (one record each), batches are at most `max_unavailable` nodes, disjoint, each starts
    /// when the previous one is back, and the GPU-hours unavailable never exceed the drained
    /// GPUs over the window.
    #[test]
    fn rolling_drains_keep_their_batches_and_lose_no_job(
        nodes in 1u32..=5,
        gpn in 1u32..=2,
        drained in 1u32..=5,
        m in 1u32..=3,
        dur_s in 30u32..=400,
        budget in 0u32..=5,
        timeout in prop::option::of(10u32..=300),
        jobs in prop::collection::vec((0u32..=600, 1u32..=900, 0usize..=2, 1u32..=2), 1..=14),
    ) {
        let drained = drained.min(nodes);
        let pdb = match budget {
            0 => String::new(),
            1 => ", pdb: {min_available: 1}".into(),
            2 => ", pdb: {max_unavailable: 1}".into(),
            3 => ", pdb: {min_available: 3}".into(),
            4 => ", pdb: {max_unavailable: \"34%\"}".into(),
            _ => ", pdb: {min_available: \"50%\"}".into(),
        };
        let timeout = timeout.map_or(String::new(), |t| format!(", timeout: {t}s"));
        let yaml = scenario(
            &format!("{{name: p, gpu: A100-80GB, nodes: {nodes}, gpus_per_node: {gpn}, sharing: {{kind: exclusive}}}}"),
            &format!("  - {{name: c, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10{pdb}}}"),
            &format!("  - {{kind: drain, at: 100s, pool: p, nodes: {drained}, duration: {dur_s}s, max_unavailable: {m}{timeout}}}"),
        );
        let mut jobs = jobs;
        jobs.sort_by_key(|j| j.0);
        let mut csv = String::from("id,submit,class,priority_class,gpus,duration\n");
        for (i, (submit, d, prio, g)) in jobs.iter().enumerate() {
            let g = (*g).min(gpn);
            let prio = ["low", "mid", "high"][*prio];
            csv += &format!("{i},{submit},c,{prio},{g},{d}\n");
        }
        let o = run(&fixture(&yaml, &csv).loaded);
        prop_assert_eq!(o.records.len(), jobs.len());
        let d = &o.summary.operations[0];
        let mut next_hi = nodes;
        let mut prev_end = Some(100.0);
        for b in &d.batches {
            prop_assert!(b.last_node - b.first_node < m);
            prop_assert_eq!(b.last_node + 1, next_hi, "highest first, disjoint");
            next_hi = b.first_node;
            prop_assert_eq!(Some(b.start_s), prev_end, "starts when the previous is back");
            prev_end = b.end_s;
        }
        let drained_gpu_h = f64::from(drained * gpn) * d.window_h;
        prop_assert!(d.unavailable_gpu_hours <= drained_gpu_h + 1e-9);
        prop_assert!(d.end_s >= d.at_s);
    }
}
