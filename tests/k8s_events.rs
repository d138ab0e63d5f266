//! Operations over time on hand-worked scenarios: maintenance drains, MIG reconfiguration of a
//! pool (with and without a MIG mode change), resizing down and up; and the validation of
//! events, node affinity and fallback settings.
//!
//! Every scenario sets `termination_grace: 10s` and `restart_delay: 20s`, and jobs run at
//! x = 1 (whole A100-80GB GPUs, or u = 0.5 / d = 0.25 tenants with no context-switch overhead,
//! which also run at x = 1 on a 3g.40gb or larger MIG instance: d / f < 1). Times are seconds.

mod common;

use common::{A100_PRICE, assert_close, assert_times, fixture, problems_of, run, usd};
use slicesim::metrics::JobState;
use slicesim::scenario::{Problem, Severity};

const PARAMS: &str = "model:
  overhead_per_context: 0
  overhead_max: 0
  termination_grace: 10s
  restart_delay: 20s
  reconfig_downtime: 50s
  mig_mode_change_downtime: 100s
";

/// A scenario of one pool `p` (given in full), one class `c` and `events`. The timelines are
/// worked by hand with `first-fit` (the lowest node that fits), so the scenario names it.
fn scenario(horizon: &str, pool: &str, class: &str, events: &str) -> String {
    format!(
        "name: ops
horizon: {horizon}
scheduler: {{policy: first-fit}}
{PARAMS}pools:
  - {pool}
classes:
  - {class}
events:
{events}
workload: {{kind: trace, path: trace.csv}}
"
    )
}

const WHOLE: &str = "{name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}";
const LIGHT: &str = "{name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 0.5, d: 0.25, mem_gib: 20}";

// ---------------------------------------------------------------------------------------------
// Drain
// ---------------------------------------------------------------------------------------------

#[test]
fn a_drain_evicts_restarts_elsewhere_and_brings_the_node_back() {
    // 2 nodes x 1 GPU. Job 0 (200 s) -> n0, job 1 (1000 s) -> n1.
    // t = 100: drain 1 node (the highest-numbered: n1) for 200 s. Job 1 evicted, keeps
    //   running through the grace period.
    // t = 110: job 1 leaves having done 110 s (no checkpoint: all lost).
    // t = 130: job 1 pending; n0 busy, n1 down. t = 150: job 2 (100 s) arrives, pending.
    // t = 200: job 0 ends; job 1 (submitted first) takes n0: 1000 s -> ends 1200.
    // t = 300: n1 is back; job 2 runs 300 -> 400.
    let yaml = scenario(
        "1500s",
        "{name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 1, sharing: {kind: exclusive}}",
        WHOLE,
        "  - {kind: drain, at: 100s, pool: p, nodes: 1, duration: 200s}",
    );
    let csv = "id,submit,class,duration\n0,0,c,200\n1,0,c,1000\n2,150,c,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 200.0);
    assert_times(&o, 1, 0.0, 1200.0);
    assert_times(&o, 2, 300.0, 400.0);
    let j1 = o.job(1);
    assert_eq!((j1.evictions, j1.preemptions), (1, 0));
    assert_eq!(j1.gpus, "n0/g0", "restarted on the other node");
    assert_close(j1.lost_s, 110.0, "job 1 lost");
    assert_eq!(o.job(2).gpus, "n1/g0");
    assert_eq!((o.job(0).evictions, o.job(2).evictions), (0, 0));

    let p = o.pool("p");
    assert_eq!((p.evictions, p.preemptions), (1, 0));
    assert_eq!(o.class("c").evictions, 1);
    let ops = &o.summary.operations;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(
        (ops[0].at_s, ops[0].kind.as_str(), ops[0].pool.as_str()),
        (100.0, "drain", "p")
    );
    assert_eq!(ops[0].evicted_jobs, 1);
    assert!(
        ops[0].detail.starts_with("node 1 down"),
        "{}",
        ops[0].detail
    );
    // A drained node is still paid for: the denominator stays 2 GPUs x 1500 s.
    // Allocated GPU-s: job 0 200, job 1 110 + 1000, job 2 100 = 1410.
    assert_close(p.gpus_avg, 2.0, "gpus_avg");
    assert_close(p.allocation, 1410.0 / 3000.0, "allocation");
    assert_close(p.cost_usd, usd(A100_PRICE, 2.0, 1500.0), "pool cost");
    assert_close(
        p.allocated_cost_usd,
        usd(A100_PRICE, 1.0, 1410.0),
        "allocated cost",
    );
}

#[test]
fn a_drain_of_every_node_holds_new_jobs_until_the_nodes_return() {
    // 2 nodes x 1 GPU, both drained at 50 for 100 s. Job 0 (1000 s, checkpoint 20 s) is
    // evicted at 50 and leaves at 60 with 60 s done: it keeps floor(60 / 20) * 20 = 60 and
    // loses nothing. Pending at 80; nodes back at 150: 940 s left, runs 150 -> 1090.
    // Job 1 arrives at 100 while everything is down: starts at 150 on n1.
    let class = WHOLE.replace("mem_gib: 10", "mem_gib: 10, checkpoint: 20s");
    let yaml = scenario(
        "1200s",
        "{name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 1, sharing: {kind: exclusive}}",
        &class,
        "  - {kind: drain, at: 50s, pool: p, nodes: 2, duration: 100s}",
    );
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,100,c,10\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 1090.0);
    assert_close(o.job(0).lost_s, 0.0, "job 0 lost (checkpoint at 60)");
    assert_eq!(o.job(0).evictions, 1);
    assert_times(&o, 1, 150.0, 160.0);
    assert_eq!(o.summary.operations[0].evicted_jobs, 1);
    assert!(
        o.summary.operations[0].detail.contains("nodes 0-1"),
        "{}",
        o.summary.operations[0].detail
    );
}

// ---------------------------------------------------------------------------------------------
// Reconfiguration
// ---------------------------------------------------------------------------------------------

#[test]
fn reconfiguring_time_slicing_to_mig_pays_grace_downtime_and_mode_change() {
    // 1 A100-80GB time-sliced 2 ways; jobs 0 and 1 (200 s each) share it at x = 1 (two
    // contexts demanding 0.5 each, no overhead).
    // t = 100: reconfigure to MIG single [3g.40gb, 3g.40gb]. Both evicted; they leave at 110
    //   having done 110 s each (lost). Pending again at 130.
    // The pool is back at 100 + 10 (grace) + 50 (downtime) + 100 (MIG mode change) = 260:
    //   jobs 0 and 1 each get a 3g.40gb instance (nvidia.com/gpu under the single
    //   strategy) and run 260 -> 460. Job 2 (submitted 150, during the downtime) waits for
    //   an instance: 460 -> 560.
    let yaml = scenario(
        "600s",
        "{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}",
        LIGHT,
        "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: mig, strategy: single, layout: [3g.40gb, 3g.40gb]}}",
    );
    let csv = "id,submit,class,duration\n0,0,c,200\n1,0,c,200\n2,150,c,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 460.0);
    assert_times(&o, 1, 0.0, 460.0);
    assert_times(&o, 2, 460.0, 560.0);
    for id in [0, 1] {
        let r = o.job(id);
        assert_eq!((r.evictions, r.preemptions), (1, 0), "job {id}");
        assert_close(r.lost_s, 110.0, &format!("job {id} lost"));
        assert_close(r.useful_s, 200.0, &format!("job {id} useful"));
        // Half a GPU (one of two replicas) for 110 s, then 3/7 of it (3 compute slices).
        assert_close(
            r.cost_usd,
            usd(A100_PRICE, 0.5, 110.0) + usd(A100_PRICE, 3.0 / 7.0, 200.0),
            &format!("job {id} cost"),
        );
    }
    let mut placed: Vec<&str> = [0, 1].iter().map(|&i| o.job(i).gpus.as_str()).collect();
    placed.sort_unstable();
    assert_eq!(placed, ["n0/g0/3g.40gb@0", "n0/g0/3g.40gb@4"]);
    assert!(
        o.job(2).gpus.starts_with("n0/g0/3g.40gb@"),
        "{}",
        o.job(2).gpus
    );

    let p = o.pool("p");
    assert_eq!(p.sharing, "mig 2x3g.40gb");
    let layout = p.mig_layout.as_deref().unwrap_or_default();
    assert!(
        layout.contains("3g.40gb@0") && layout.contains("3g.40gb@4"),
        "{layout}"
    );
    assert_eq!((p.evictions, p.preemptions), (2, 0));
    assert_eq!(p.gpus, 1);
    assert_close(p.cost_usd, usd(A100_PRICE, 1.0, 600.0), "pool cost");
    let ops = &o.summary.operations;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!((ops[0].at_s, ops[0].kind.as_str()), (100.0, "reconfigure"));
    assert_eq!(ops[0].evicted_jobs, 2);
    assert!(
        ops[0].detail.contains("MIG mode change"),
        "{}",
        ops[0].detail
    );
}

#[test]
fn reconfiguring_mig_to_mig_has_no_mode_change_downtime() {
    // MIG mixed [3g.40gb, 3g.40gb] -> [3g.40gb, 2g.20gb, 2g.20gb] at 100. Jobs 0 and 1 ask
    // for nvidia.com/mig-3g.40gb (200 s each, x = 1). Evicted at 100, gone at 110 (110 s
    // lost each), pending at 130. Back at 100 + 10 + 50 = 160 (no mode change): one 3g.40gb
    // left: job 0 runs 160 -> 360, job 1 360 -> 560.
    let yaml = scenario(
        "600s",
        "{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: mig, strategy: mixed, layout: [3g.40gb, 3g.40gb]}}",
        "{name: c, kind: batch, namespace: default, request: {kind: mig, profile: 3g.40gb, count: 1}, u: 0.5, d: 0.25, mem_gib: 20}",
        "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: mig, strategy: mixed, layout: [3g.40gb, 2g.20gb, 2g.20gb]}}",
    );
    let csv = "id,submit,class,duration\n0,0,c,200\n1,0,c,200\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 0, 0.0, 360.0);
    assert_times(&o, 1, 0.0, 560.0);
    assert_close(o.job(0).lost_s, 110.0, "job 0 lost");
    let p = o.pool("p");
    assert_eq!(p.sharing, "mig 1x3g.40gb+2x2g.20gb");
    let op = &o.summary.operations[0];
    assert_eq!((op.kind.as_str(), op.evicted_jobs), ("reconfigure", 2));
    assert!(!op.detail.contains("MIG mode change"), "{}", op.detail);
}

#[test]
fn labels_of_a_mig_single_pool_follow_its_reconfiguration() {
    // MIG single [3g.40gb, 3g.40gb] gets mig-profile=3g.40gb automatically; class c selects
    // it. At 100 the pool becomes time-sliced (back at 260): the GPU operator relabels the
    // nodes, so job 0 (evicted, pending from 130) no longer matches and stays pending.
    let class = LIGHT.replace(
        "mem_gib: 20",
        "mem_gib: 20, node_selector: {mig-profile: 3g.40gb}",
    );
    let yaml = scenario(
        "600s",
        "{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: mig, strategy: single, layout: [3g.40gb, 3g.40gb]}}",
        &class,
        "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: time_slicing, replicas: 2}}",
    );
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,1000\n").loaded);
    let r = o.job(0);
    assert_eq!(r.state, JobState::Pending, "{r:?}");
    assert_eq!(r.gpus, "n0/g0/3g.40gb@0");
}

/// Time-slicing -> MIG mixed [3g.40gb, 3g.40gb] at 100 (back at 100 + 10 + 50 + 100 = 260),
/// and a class asking for nvidia.com/mig-3g.40gb, which only the new layout advertises.
fn mig_after_reconfigure() -> String {
    scenario(
        "600s",
        "{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}",
        "{name: c, kind: batch, namespace: default, request: {kind: mig, profile: 3g.40gb, count: 1}, u: 0.5, d: 0.25, mem_gib: 20}",
        "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: mig, strategy: mixed, layout: [3g.40gb, 3g.40gb]}}",
    )
}

#[test]
fn a_class_that_fits_after_a_scheduled_reconfiguration_is_valid() {
    let errors: Vec<Problem> = problems_of(&mig_after_reconfigure())
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert_eq!(errors, vec![]);
}

#[test]
fn a_job_waits_for_a_reconfiguration_that_advertises_its_resource() {
    // Run without the validator (see the test above). Job 0 (100 s, submitted at 0) waits
    // for the MIG layout: 260 -> 360. Job 1, submitted during the downtime, takes the other
    // instance: 260 -> 360 too.
    let yaml = mig_after_reconfigure();
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = "id,submit,class,duration\n0,0,c,100\n1,150,c,100\n";
    std::fs::write(dir.path().join("trace.csv"), csv).expect("write trace");
    let loaded = slicesim::scenario::Loaded {
        scenario: slicesim::scenario::parse(&yaml, "test").expect("parses"),
        text: yaml.clone(),
        source: "test".into(),
        base_dir: dir.path().to_path_buf(),
    };
    let o = run(&loaded);
    assert_times(&o, 0, 260.0, 360.0);
    assert_times(&o, 1, 260.0, 360.0);
}

// ---------------------------------------------------------------------------------------------
// Resize
// ---------------------------------------------------------------------------------------------

/// 2 nodes x 2 GPUs; jobs 0 and 1 (4000 s) fill n0, job 2 (1500 s) goes to n1/g0.
fn resize_run(events: &str) -> common::Outcome {
    let yaml = scenario(
        "3600s",
        "{name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 2, sharing: {kind: exclusive}}",
        WHOLE,
        events,
    );
    let csv = "id,submit,class,duration\n0,0,c,4000\n1,0,c,4000\n2,0,c,1500\n";
    run(&fixture(&yaml, csv).loaded)
}

#[test]
fn resize_down_then_up_charges_the_gpus_present() {
    // t = 1000: resize to 1 node: n1 is drained (job 2 evicted) and dropped after the grace
    //   period, at 1010, when job 2 leaves too (1010 s done, all lost).
    // t = 1030: job 2 pending; n0 is full.
    // t = 2000: resize to 3 nodes: n1 and n2 appear; job 2 starts on n1/g0: 1500 s -> 3500.
    // GPUs present: 4 on [0, 1010), 2 on [1010, 2000), 6 on [2000, 3600]:
    //   4 x 1010 + 2 x 990 + 6 x 1600 = 4040 + 1980 + 9600 = 15620 GPU-s.
    // Allocated: jobs 0, 1 3600 each; job 2 1010 + 1500 = 2510 -> 9710 GPU-s.
    let o = resize_run(
        "  - {kind: resize, at: 1000s, pool: p, nodes: 1}\n  - {kind: resize, at: 2000s, pool: p, nodes: 3}",
    );
    let j2 = o.job(2);
    assert_times(&o, 2, 0.0, 3500.0);
    assert_eq!((j2.evictions, j2.preemptions), (1, 0));
    assert_close(j2.lost_s, 1010.0, "job 2 lost");
    assert_eq!(j2.gpus, "n1/g0");
    for id in [0, 1] {
        assert_eq!(o.job(id).state, JobState::Running);
        assert_close(o.job(id).cost_usd, usd(A100_PRICE, 1.0, 3600.0), "cost");
    }
    let p = o.pool("p");
    assert_eq!(p.gpus, 4, "GPUs at the start");
    assert_close(p.gpus_avg, 15620.0 / 3600.0, "gpus_avg");
    assert_close(p.cost_usd, usd(A100_PRICE, 1.0, 15620.0), "pool cost");
    assert_close(
        p.allocated_cost_usd,
        usd(A100_PRICE, 1.0, 9710.0),
        "allocated",
    );
    assert_close(
        p.idle_cost_usd,
        usd(A100_PRICE, 1.0, 15620.0 - 9710.0),
        "idle",
    );
    assert_close(p.allocation, 9710.0 / 15620.0, "allocation");
    assert_close(
        o.summary.cost.total_usd,
        usd(A100_PRICE, 1.0, 15620.0),
        "total cost",
    );
    let m = &o.summary.cost.by_model["A100-80GB"];
    assert_close(m.gpu_hours, 15620.0 / 3600.0, "model GPU-hours");
    let ops = &o.summary.operations;
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert_eq!(
        (ops[0].at_s, ops[0].kind.as_str(), ops[0].evicted_jobs),
        (1000.0, "resize", 1)
    );
    assert!(ops[0].detail.contains("2 -> 1"), "{}", ops[0].detail);
    assert_eq!((ops[1].at_s, ops[1].evicted_jobs), (2000.0, 0));
    assert!(ops[1].detail.contains("1 -> 3"), "{}", ops[1].detail);
}

#[test]
fn a_resize_up_during_a_shrinks_grace_period_wins() {
    // Resize to 1 at 1000 (shrink completes at 1010), to 2 at 1005. The last request wins:
    // the pool keeps 2 nodes. Job 2 (evicted at 1000, lost 1010 s) is pending at 1030 and
    // restarts on n1 at once: 1030 -> 2530. GPUs present: 4 throughout.
    let o = resize_run(
        "  - {kind: resize, at: 1000s, pool: p, nodes: 1}\n  - {kind: resize, at: 1005s, pool: p, nodes: 2}",
    );
    assert_close(o.pool("p").gpus_avg, 4.0, "gpus_avg");
    assert_times(&o, 2, 0.0, 2530.0);
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const VALID: &str = "name: v
horizon: 1h
pools:
  - {name: a, gpu: A100-80GB, nodes: 2, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}
  - {name: b, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, labels: {zone: west}, sharing: {kind: exclusive}}
classes:
  - name: c
    kind: batch
    namespace: default
    request: {kind: gpu, count: 1}
    u: 1
    d: 1
    mem_gib: 10
    pools: [a, b]
workload: {kind: trace, path: trace.csv}
";

/// `VALID` with `events` appended (a YAML block) or a class line replaced.
fn with_events(events: &str) -> String {
    format!("{VALID}events:\n{events}")
}

fn with_class_line(old: &str, new: &str) -> String {
    assert!(VALID.contains(old));
    VALID.replace(old, new)
}

fn of(yaml: &str, severity: Severity) -> Vec<Problem> {
    problems_of(yaml)
        .into_iter()
        .filter(|p| p.severity == severity)
        .collect()
}

/// Exactly one problem of `severity`, at `path`, whose message contains `needle`; it has a
/// line number.
#[track_caller]
fn assert_one(yaml: &str, severity: Severity, path: &str, needle: &str) {
    let ps = of(yaml, severity);
    assert_eq!(ps.len(), 1, "expected one {severity:?}, got {ps:#?}");
    let p = &ps[0];
    assert_eq!(p.path, path, "{p}");
    assert!(p.line.is_some(), "{p}");
    assert!(p.message.contains(needle), "`{needle}` not in: {p}");
}

#[test]
fn the_base_of_the_validation_cases_is_valid() {
    assert_eq!(problems_of(VALID), vec![]);
    let ok = with_events(
        "  - {kind: drain, at: 10m, pool: a, nodes: 2, duration: 5m}
  - {kind: resize, at: 20m, pool: b, nodes: 3}
  - {kind: reconfigure, at: 30m, pool: a, sharing: {kind: mig, strategy: single, layout: [3g.40gb, 3g.40gb]}}
",
    );
    assert_eq!(problems_of(&ok), vec![]);
}

#[test]
fn an_event_on_an_unknown_pool_is_an_error() {
    let yaml = with_events("  - {kind: drain, at: 10m, pool: nope, nodes: 1, duration: 5m}\n");
    assert_one(
        &yaml,
        Severity::Error,
        "events[0].pool",
        "unknown pool nope",
    );
}

#[test]
fn draining_more_nodes_than_the_pool_has_is_an_error() {
    let yaml = with_events("  - {kind: drain, at: 10m, pool: a, nodes: 3, duration: 5m}\n");
    assert_one(&yaml, Severity::Error, "events[0].nodes", "must be 1 to 2");
    let yaml = with_events("  - {kind: drain, at: 10m, pool: a, nodes: 0, duration: 5m}\n");
    assert_one(&yaml, Severity::Error, "events[0].nodes", "must be 1 to 2");
    let yaml = with_events("  - {kind: drain, at: 10m, pool: a, nodes: 1, duration: 0s}\n");
    assert_one(
        &yaml,
        Severity::Error,
        "events[0].duration",
        "longer than 0",
    );
}

#[test]
fn resizing_to_zero_nodes_is_an_error() {
    let yaml = with_events("  - {kind: resize, at: 10m, pool: a, nodes: 0}\n");
    assert_one(
        &yaml,
        Severity::Error,
        "events[0].nodes",
        "at least one node",
    );
}

#[test]
fn reconfiguring_to_an_impossible_mig_layout_names_the_memory_slices() {
    // 3g.40gb at 0 and at 4 take all 8 memory slices: no room for the 1g.10gb.
    let yaml = with_events(
        "  - {kind: reconfigure, at: 10m, pool: a, sharing: {kind: mig, layout: [3g.40gb, 3g.40gb, 1g.10gb]}}\n",
    );
    assert_one(
        &yaml,
        Severity::Error,
        "events[0].sharing.layout",
        "memory slices",
    );
    let msg = &of(&yaml, Severity::Error)[0].message;
    assert!(msg.contains("1g.10gb"), "{msg}");
}

#[test]
fn an_event_after_the_horizon_is_a_warning() {
    let yaml = with_events("  - {kind: resize, at: 2h, pool: a, nodes: 3}\n");
    assert_eq!(of(&yaml, Severity::Error), vec![]);
    assert_one(&yaml, Severity::Warning, "events[0].at", "never happens");
}

#[test]
fn affinity_operators_check_their_values() {
    let line = "    mem_gib: 10\n";
    let yaml = with_class_line(
        line,
        "    mem_gib: 10\n    node_affinity: [{key: zone, operator: In, values: []}]\n",
    );
    // `In []` matches no node, so the class also can never be scheduled (a second error).
    let errs = of(&yaml, Severity::Error);
    assert!(
        errs.iter()
            .any(|p| p.path == "classes[0].node_affinity[0].values"
                && p.line.is_some()
                && p.message == "In needs at least one value"),
        "{errs:#?}"
    );
    let yaml = with_class_line(
        line,
        "    mem_gib: 10\n    node_affinity: [{key: zone, operator: NotIn}]\n",
    );
    assert_one(
        &yaml,
        Severity::Error,
        "classes[0].node_affinity[0].values",
        "NotIn needs at least one value",
    );
    let yaml = with_class_line(
        line,
        "    mem_gib: 10\n    node_affinity: [{key: zone, operator: Exists, values: [west]}]\n",
    );
    assert_one(
        &yaml,
        Severity::Error,
        "classes[0].node_affinity[0].values",
        "Exists takes no values",
    );
    // A valid affinity that rules out pool a only: a warning naming the label, not an error.
    let yaml = with_class_line(
        line,
        "    mem_gib: 10\n    node_affinity: [{key: zone, operator: In, values: [west]}]\n",
    );
    assert_one(&yaml, Severity::Warning, "classes[0].pools", "zone");
}

#[test]
fn fallback_after_with_one_pool_is_a_warning() {
    let yaml = with_class_line(
        "    pools: [a, b]\n",
        "    pools: [a]\n    fallback_after: 5m\n",
    );
    assert_eq!(of(&yaml, Severity::Error), vec![]);
    assert_one(
        &yaml,
        Severity::Warning,
        "classes[0].fallback_after",
        "fewer than two pools",
    );
    // With two pools it is what fallback_after is for: no problem.
    let yaml = with_class_line(
        "    pools: [a, b]\n",
        "    pools: [a, b]\n    fallback_after: 5m\n",
    );
    assert_eq!(problems_of(&yaml), vec![]);
}
