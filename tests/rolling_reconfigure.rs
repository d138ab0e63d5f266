//! Rolling reconfiguration (issue 16 item 7): a pool re-partitioned a few nodes at a time, its
//! re-partitioned nodes joining the pool `POOL@AT`, on hand-worked scenarios.
//!
//! Every scenario sets `termination_grace: 10s`, `restart_delay: 20s`, `reconfig_downtime: 60s`
//! and `mig_mode_change_downtime: 30s`, so a batch whose GPUs turn MIG on is down
//! 10 + 60 + 30 = 100 s once its pods' evictions are accepted (at e_b): it ends at e_b + 100.
//! Without budgets e_b is the batch's start, so batch b (1-based) of a reconfiguration at 100 s
//! runs from 100 + 100(b-1) to 100 + 100b. Jobs hold whole A100-80GB GPUs (the reference: 1 s
//! of run time = 1 reference GPU-second) and are placed `first-fit`. Times are seconds.

mod common;

use common::{A100_PRICE, assert_close, assert_times, fixture, problems_of, run, usd};
use slicesim::scenario::Severity;

fn scenario(nodes: u32, sharing: &str, classes: &str, events: &str) -> String {
    format!(
        "name: reconf
horizon: 1000s
scheduler: {{policy: first-fit}}
model:
  termination_grace: 10s
  restart_delay: 20s
  reconfig_downtime: 60s
  mig_mode_change_downtime: 30s
pools:
  - {{name: p, gpu: A100-80GB, nodes: {nodes}, gpus_per_node: 1, sharing: {sharing}}}
classes:
{classes}
events:
{events}
workload: {{kind: trace, path: trace.csv}}
report: {{interval: 100s}}
"
    )
}

const C: &str = "  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}";
/// Only nodes re-partitioned to 3g.40gb carry this label (the GPU operator's, MIG single).
/// It lists only `p`: a class that may use a pool may use its `POOL@AT`.
const M: &str = "  - {name: m, kind: batch, namespace: default, request: {kind: gpu, count: 1}, node_selector: {mig-profile: 3g.40gb}, pools: [p], u: 1, d: 1, mem_gib: 10}";
/// A batch as (first node, last node, cordoned, evicted, back).
type Batch = (u32, u32, f64, Option<f64>, Option<f64>);
const TO_MIG: &str = "sharing: {kind: mig, strategy: single, layout: [3g.40gb, 3g.40gb]}";

#[test]
fn an_idle_pool_moves_one_node_per_batch_and_bills_every_gpu_hour() {
    // 4 nodes x 1 GPU time-sliced; job 0 (10 s) is over before the operation. At 100 the pool
    // is re-partitioned to MIG one node at a time: batch b takes node 4-b from 100+100(b-1)
    // to 100+100b (grace 10 + downtime 60 + MIG mode change 30 = 100 s), then that node is
    // a node of p@100s. So p has 4 nodes until 200, 3 until 300, 2 until 400, 1 until 500,
    // then none; p@100s has 0, 1, 2, 3 over those stretches and 4 from 500.
    // GPU-seconds over the 1000 s horizon: p 4x200 + 3x100 + 2x100 + 1x100 = 1400, p@100s
    // 1x100 + 2x100 + 3x100 + 4x500 = 2600; together 4000 = 4 GPUs x 1000 s, none lost.
    // At 600 a drain of one node naming p acts on p@100s (the rollout is over): its node 3.
    let yaml = scenario(
        4,
        "{kind: time_slicing, replicas: 2}",
        C,
        &format!(
            "  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, max_unavailable: 1}}
  - {{kind: drain, at: 600s, pool: p, nodes: 1, duration: 100s}}"
        ),
    );
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,10\n").loaded);
    let ops = &o.summary.operations;
    assert_eq!(ops.len(), 2, "{ops:?}");
    let r = &ops[0];
    assert_eq!((r.kind.as_str(), r.pool.as_str()), ("reconfigure", "p"));
    let batches: Vec<Batch> = r
        .batches
        .iter()
        .map(|b| (b.first_node, b.last_node, b.start_s, b.evicted_s, b.end_s))
        .collect();
    assert_eq!(
        batches,
        vec![
            (3, 3, 100.0, Some(100.0), Some(200.0)),
            (2, 2, 200.0, Some(200.0), Some(300.0)),
            (1, 1, 300.0, Some(300.0), Some(400.0)),
            (0, 0, 400.0, Some(400.0), Some(500.0)),
        ]
    );
    // Window 100-500; every node down 100 s: 400 GPU-s; nothing to evict.
    assert_eq!((r.at_s, r.end_s, r.finished), (100.0, 500.0, true));
    assert_close(r.unavailable_gpu_hours, 400.0 / 3600.0, "unavailable");
    assert_eq!(
        (r.evicted_jobs, r.refused_evictions, r.timed_out),
        (0, 0, false)
    );
    assert!(
        r.detail.contains("1 at a time (4 batches) into p@100s")
            && r.detail
                .contains("10s grace + 90s downtime (MIG mode change)"),
        "{}",
        r.detail
    );
    // The later drain acts on the re-partitioned pool, highest-numbered node first.
    assert_eq!(
        (ops[1].kind.as_str(), ops[1].pool.as_str()),
        ("drain", "p@100s")
    );
    assert_eq!((ops[1].batches[0].first_node, ops[1].end_s), (3, 700.0));

    let (old, new) = (o.pool("p"), o.pool("p@100s"));
    assert_eq!((old.gpus, new.gpus), (4, 0), "GPUs at the start");
    assert_eq!(old.sharing, "time_slicing x2");
    assert_eq!(new.sharing, "mig 2x3g.40gb");
    assert_close(old.gpus_avg, 1.4, "p GPUs on average");
    assert_close(new.gpus_avg, 2.6, "p@100s GPUs on average");
    // Cost continuity: the down nodes are billed, to p until they move, then to p@100s.
    assert_close(old.cost_usd, usd(A100_PRICE, 1.0, 1400.0), "p cost");
    assert_close(new.cost_usd, usd(A100_PRICE, 1.0, 2600.0), "p@100s cost");
    assert_close(
        o.summary.cost.total_usd,
        usd(A100_PRICE, 4.0, 1000.0),
        "4 GPUs x 1000 s",
    );
    // The series, 100 s buckets: GPUs present (time-averaged) in each pool.
    let gpus = |pool: &str| -> Vec<f64> {
        (o.result.samples.iter())
            .filter(|s| s.pool == pool)
            .map(|s| s.gpus)
            .collect()
    };
    let (p, q) = (gpus("p"), gpus("p@100s"));
    assert_eq!(p[..6], [4.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
    assert_eq!(q[..6], [0.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
    assert!(p.iter().zip(&q).all(|(a, b)| a + b == 4.0), "{p:?} {q:?}");
}

#[test]
fn evicted_jobs_restart_on_old_or_new_nodes_and_a_new_layout_shape_waits_for_it() {
    // 3 exclusive nodes. Jobs 0 (1000 s), 1 (150 s), 2 (1000 s) of class c start at 0 on
    // n0, n1, n2; job 3 (class m, only fits 3g.40gb nodes) waits: no such node yet, but the
    // pool p@100s exists (with no nodes), so it is pending, not unschedulable.
    //   100: batch 1 = n2: job 2 evicted, leaves 110 (lost 110), pending 130.
    //   150: job 1 ends on n1; job 2 restarts there (an old-layout node).
    //   200: n2 is node 0 of p@100s (two 3g.40gb instances): job 3 starts there (waited
    //        200). Batch 2 = n1: job 2 evicted again, leaves 210 (lost 210 - 150 = 60),
    //        pending 230, starts on p@100s node 0's second instance at 230.
    //   300: n1 is node 1 of p@100s. Batch 3 = n0: job 0 evicted, leaves 310 (lost 310),
    //        pending 330, starts on p@100s node 1 at 330.
    //   400: n0 is node 2 of p@100s; the rollout is over.
    // One eviction per batch (job 2, job 2, job 0): 3 evictions, 110 + 60 + 310 = 480 s of
    // reference work lost.
    let yaml = scenario(
        3,
        "{kind: exclusive}",
        &format!("{C}\n{M}"),
        &format!("  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, max_unavailable: 1}}"),
    );
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,0,c,150\n2,0,c,1000\n3,0,m,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    assert_times(&o, 1, 0.0, 150.0);
    assert_eq!(o.job(1).pool, "p");
    assert_eq!(o.job(3).start_s, Some(200.0));
    assert_eq!(o.job(3).pool, "p@100s");
    assert_eq!((o.job(2).evictions, o.job(0).evictions), (2, 1));
    assert_close(o.job(2).lost_s, 170.0, "job 2 lost");
    assert_close(o.job(0).lost_s, 310.0, "job 0 lost");
    assert_eq!(
        (o.job(2).pool.as_str(), o.job(0).pool.as_str()),
        ("p@100s", "p@100s")
    );
    assert_eq!(o.summary.unschedulable.len(), 0);
    let r = &o.summary.operations[0];
    assert_eq!(r.evicted_jobs, 3);
    assert_close(r.lost_ref_gpu_hours, 480.0 / 3600.0, "lost");
    assert_eq!((r.at_s, r.end_s), (100.0, 400.0));
    let ends: Vec<Option<f64>> = r.batches.iter().map(|b| b.end_s).collect();
    assert_eq!(ends, vec![Some(200.0), Some(300.0), Some(400.0)]);
    // Every job is accounted for: 4 submitted, none lost from the totals.
    assert_eq!(o.records.len(), 4);
}

/// A class whose pods need 30 GiB: they fit a whole GPU, not a 1g.10gb instance.
const S: &str = "  - {name: s, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 30, pdb: {min_available: 2}}";
const TO_1G: &str = "sharing: {kind: mig, strategy: single, layout: [1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb]}";

#[test]
fn a_budget_that_refuses_until_the_timeout_leaves_the_pool_mixed() {
    // 3 exclusive nodes; class s (minAvailable 2) runs jobs 0-2 (1000 s) on n0-n2. At 100 a
    // rolling reconfiguration to seven 1g.10gb (which s does not fit), one node at a time,
    // timeout 50 s:
    //   100: batch 1 = n2: 3 running, 3 - 2 = 1 disruption allowed: job 2 evicted; the
    //        batch is down until 200, then node 0 of p@100s. Job 2 cannot run anywhere.
    //   200: batch 2 = n1: 2 running, 2 - 2 = 0 allowed: job 1 refused, asked again every
    //        5 s; at 250 (200 + 50) the rollout gives up: n1 takes pods again in the old
    //        layout, n0 is never touched. p keeps 2 nodes, p@100s has 1.
    // Down: 1 GPU x 100 s + 1 GPU x 50 s = 150 GPU-s. GPUs on average over 1000 s: p
    // (3x200 + 2x800)/1000 = 2.2, p@100s 800/1000 = 0.8.
    let yaml = scenario(
        3,
        "{kind: exclusive}",
        S,
        &format!(
            "  - {{kind: reconfigure, at: 100s, pool: p, {TO_1G}, max_unavailable: 1, timeout: 50s}}"
        ),
    );
    let csv = "id,submit,class,duration\n0,0,s,1000\n1,0,s,1000\n2,0,s,1000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    let r = &o.summary.operations[0];
    assert!(r.timed_out);
    assert_eq!((r.evicted_jobs, r.refused_evictions), (1, 1));
    assert_eq!((r.end_s, r.finished), (250.0, true));
    assert_eq!(r.batches.len(), 2);
    assert_eq!(r.batches[1].evicted_s, None);
    assert_eq!(r.batches[1].end_s, Some(250.0));
    assert_close(r.unavailable_gpu_hours, 150.0 / 3600.0, "unavailable");
    assert!(
        r.detail.contains(
            "; timed out at 250s: pool left mixed, 2 nodes in the old layout, 1 in p@100s"
        ),
        "{}",
        r.detail
    );
    assert_close(o.pool("p").gpus_avg, 2.2, "p");
    assert_close(o.pool("p@100s").gpus_avg, 0.8, "p@100s");
    assert_eq!(o.job(1).evictions, 0);
}

#[test]
fn an_operation_reaching_a_rollout_still_running_is_skipped_and_reported() {
    // As above without a timeout: job 1's eviction is refused until the horizon, so the
    // rollout runs on. Validation allows a resize at 500 (after 100 + 3 batches x 100 s =
    // 400, the window without budgets); at run time it reaches the rollout and is skipped.
    let yaml = scenario(
        3,
        "{kind: exclusive}",
        S,
        &format!(
            "  - {{kind: reconfigure, at: 100s, pool: p, {TO_1G}, max_unavailable: 1}}
  - {{kind: resize, at: 500s, pool: p, nodes: 1}}"
        ),
    );
    let csv = "id,submit,class,duration\n0,0,s,1000\n1,0,s,1000\n2,0,s,1000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    let ops = &o.summary.operations;
    assert_eq!(ops.len(), 2);
    assert!(!ops[0].finished && !ops[0].timed_out);
    assert_eq!(
        (ops[1].kind.as_str(), ops[1].pool.as_str()),
        ("resize", "p@100s")
    );
    assert_eq!(
        ops[1].detail,
        "skipped: the rolling reconfiguration of p into p@100s is still running"
    );
    // Nothing was resized: p keeps n0 and n1 (n1 cordoned), p@100s has n2's node.
    assert_close(
        o.pool("p").gpus_avg,
        (3.0 * 200.0 + 2.0 * 800.0) / 1000.0,
        "p",
    );
}

#[test]
fn a_rollout_cut_by_the_horizon_leaves_the_new_pool_empty_with_finite_figures() {
    // 4 idle nodes, 2 at a time from 950 s: the first batch (n2-n3) would be back at 1050,
    // after the 1000 s horizon. p@950s never gets a node: 0 GPUs on average, no cost, and
    // its ratios are 0, not NaN. The window is clipped: 2 GPUs x 50 s unavailable.
    let yaml = scenario(
        4,
        "{kind: exclusive}",
        C,
        &format!("  - {{kind: reconfigure, at: 950s, pool: p, {TO_MIG}, max_unavailable: 2}}"),
    );
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,10\n").loaded);
    let q = o.pool("p@950s");
    assert_eq!((q.gpus, q.gpus_avg, q.cost_usd), (0, 0.0, 0.0));
    assert_eq!((q.allocation, q.busy, q.sm_activity), (0.0, 0.0, 0.0));
    assert_close(o.pool("p").gpus_avg, 4.0, "p keeps its nodes");
    let r = &o.summary.operations[0];
    assert_eq!((r.finished, r.end_s), (false, 1000.0));
    assert_close(r.unavailable_gpu_hours, 100.0 / 3600.0, "clipped");
    assert!(
        o.result
            .samples
            .iter()
            .all(|s| s.gpus.is_finite() && s.allocation.is_finite()),
        "finite series"
    );
    assert_close(
        o.summary.cost.total_usd,
        usd(A100_PRICE, 4.0, 1000.0),
        "cost",
    );
}

#[test]
fn with_no_grace_and_no_downtime_every_batch_moves_at_once() {
    // termination_grace, reconfig_downtime and restart_delay 0: every batch's evicted pod
    // leaves at 100 and its node moves at 100 too, so the whole pool is p@100s from 100 on.
    // A node leaves its pool only empty (a debug assertion in the simulator checks it).
    let yaml = scenario(3, "{kind: exclusive}", C, "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: time_slicing, replicas: 2}, max_unavailable: 1}")
        .replace("termination_grace: 10s", "termination_grace: 0s")
        .replace("restart_delay: 20s", "restart_delay: 0s")
        .replace("reconfig_downtime: 60s", "reconfig_downtime: 0s");
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,0,c,1000\n2,0,c,1000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    let r = &o.summary.operations[0];
    assert_eq!((r.end_s, r.evicted_jobs, r.batches.len()), (100.0, 3, 3));
    assert_close(o.pool("p").gpus_avg, 0.3, "3 GPUs x 100 s / 1000 s");
    assert_close(o.pool("p@100s").gpus_avg, 2.7, "3 GPUs x 900 s / 1000 s");
    for id in 0..3 {
        assert_eq!(o.job(id).pool, "p@100s", "job {id}");
    }
}

#[test]
fn a_rolling_reconfiguration_reaching_a_rolling_drain_still_running_is_skipped() {
    // Class s (minAvailable 2) on n0-n2. At 50 a drain of n1-n2 (one batch, 10 s): job 1 is
    // evicted (3 running: 1 allowed), job 2 refused (2 running: none), for ever: job 1 has
    // nowhere to restart. Validation allows a rolling reconfiguration at 200 (the drain would
    // end at 50 + 10 = 60 without budgets); at run time it finds the drain still running and
    // is skipped, so no node moves.
    let yaml = scenario(
        3,
        "{kind: exclusive}",
        S,
        &format!(
            "  - {{kind: drain, at: 50s, pool: p, nodes: 2, duration: 10s}}
  - {{kind: reconfigure, at: 200s, pool: p, {TO_1G}, max_unavailable: 1}}"
        ),
    );
    let csv = "id,submit,class,duration\n0,0,s,1000\n1,0,s,1000\n2,0,s,1000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    let ops = &o.summary.operations;
    assert_eq!(ops[1].kind, "reconfigure");
    assert_eq!(
        ops[1].detail,
        "skipped: a rolling drain of p is still running"
    );
    assert_close(o.pool("p").gpus_avg, 3.0, "p keeps its nodes");
    assert_close(o.pool("p@200s").gpus_avg, 0.0, "p@200s stays empty");
}

fn errors(yaml: &str) -> Vec<String> {
    problems_of(yaml)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect()
}

#[test]
fn bad_rolling_reconfigurations_are_errors_naming_the_event() {
    let with = |events: &str| scenario(4, "{kind: exclusive}", C, events);
    for m in ["0", "\"0%\"", "\"150%\""] {
        let e = errors(&with(&format!(
            "  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, max_unavailable: {m}}}"
        )));
        assert_eq!(e.len(), 1, "{m}: {e:?}");
        assert!(e[0].starts_with("events[0].max_unavailable: "), "{e:?}");
    }
    let e = errors(&with(&format!(
        "  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, timeout: 1m}}"
    )));
    assert_eq!(
        e,
        vec![
            "events[0].timeout: a timeout needs max_unavailable (only a rolling reconfiguration waits for PodDisruptionBudgets)"
        ]
    );
    // A layout the model cannot hold is rejected as for a one-shot reconfiguration.
    let e = errors(&with(
        "  - {kind: reconfigure, at: 100s, pool: p, sharing: {kind: mig, strategy: single, layout: [7g.80gb, 1g.10gb]}, max_unavailable: 1}",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("events[0].sharing.layout: "), "{e:?}");
    // 4 nodes, 2 at a time, 100 s each: the rollout runs 100-300 at least. A drain at 250
    // falls in it; one at 300 acts on p@100s.
    let roll =
        format!("  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, max_unavailable: 2}}");
    let e = errors(&with(&format!(
        "{roll}\n  - {{kind: drain, at: 250s, pool: p, nodes: 1, duration: 10s}}"
    )));
    assert_eq!(
        e,
        vec![
            "events[1].at: drain p at 250s falls in the rolling reconfiguration of events[0] (at 100s, 2 batches, until at least 5m); schedule it at 5m or later, when it acts on p@100s"
        ]
    );
    assert!(
        errors(&with(&format!(
            "{roll}\n  - {{kind: drain, at: 300s, pool: p, nodes: 1, duration: 10s}}"
        )))
        .is_empty()
    );
    // A rolling reconfiguration may not start inside an earlier drain (50 + 2 batches x 40 s
    // = 130 s at the earliest) either.
    let e = errors(&with(&format!(
        "  - {{kind: drain, at: 50s, pool: p, nodes: 2, duration: 40s, max_unavailable: 1}}\n{roll}"
    )));
    assert_eq!(
        e,
        vec![
            "events[1].at: the rolling reconfiguration of p at 100s falls in the drain of events[0] (at 50s, until at least 2m10s); start it at 2m10s or later"
        ]
    );
}

#[test]
fn a_pool_named_like_the_re_partitioned_one_is_an_error() {
    let yaml = scenario(2, "{kind: exclusive}", C, &format!(
        "  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, max_unavailable: 1}}"
    ))
    .replace(
        "pools:\n",
        "pools:\n  - {name: p@100s, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}\n",
    );
    let e = errors(&yaml);
    assert!(
        e.iter().any(|m| m
            .starts_with("events[0].pool: its rolling reconfiguration creates the pool p@100s")),
        "{e:?}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// An idle pool of n one-GPU nodes re-partitioned m at a time from 100 s, R = 100 s per
    /// batch: ceil(n/m) batches, batch b ending at 100 + 100b; the old pool has
    /// n - min(b·m, n) nodes after batch b, the new pool the rest, so their average GPUs add up
    /// to n and every node is down exactly R.
    #[test]
    fn batches_follow_the_equation_and_no_gpu_is_lost(n in 1u32..=6, m in 1u32..=6) {
        let yaml = scenario(
            n,
            "{kind: exclusive}",
            C,
            &format!("  - {{kind: reconfigure, at: 100s, pool: p, {TO_MIG}, max_unavailable: {m}}}"),
        );
        let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,10\n").loaded);
        let r = &o.summary.operations[0];
        let count = n.div_ceil(m);
        proptest::prop_assert_eq!(r.batches.len() as u32, count);
        for (i, b) in r.batches.iter().enumerate() {
            let b1 = i as f64 + 1.0;
            proptest::prop_assert_eq!(b.end_s, Some(100.0 + 100.0 * b1));
            proptest::prop_assert_eq!(b.last_node, n - 1 - i as u32 * m);
        }
        proptest::prop_assert_eq!(r.end_s, 100.0 + 100.0 * f64::from(count));
        // The old pool's node-seconds over the 1000 s horizon, batch by batch.
        let mut old = f64::from(n) * 200.0;
        for b in 1..=count {
            let left = n - (b * m).min(n);
            let until = if b == count { 1000.0 } else { 100.0 + 100.0 * f64::from(b + 1) };
            old += f64::from(left) * (until - (100.0 + 100.0 * f64::from(b)));
        }
        assert_close(o.pool("p").gpus_avg, old / 1000.0, "old pool");
        assert_close(
            o.pool("p").gpus_avg + o.pool("p@100s").gpus_avg,
            f64::from(n),
            "both pools",
        );
        assert_close(r.unavailable_gpu_hours, f64::from(n) * 100.0 / 3600.0, "down");
    }
}
