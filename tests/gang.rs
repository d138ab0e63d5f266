//! Gang jobs (docs/MODEL.md, "Gang jobs"): N pods scheduled all or nothing in one pool, on
//! hand-worked scenarios; a property test that no gang ever runs in part; the native trace's
//! `NxK` GPU counts; Philly's wide jobs imported as gangs of 8-GPU pods.

mod common;

use common::{A100_PRICE, assert_close, assert_times, fixture, run, usd};
use proptest::prelude::*;
use slicesim::metrics::JobState;
use slicesim::trace::formats::philly::{PhillyMap, import_reader};

/// `nodes` x 8 whole A100-80GB (the reference GPU: speed 1), first-fit, grace 10 s, restart
/// delay 20 s; class `c` never checkpoints, `ck` every 30 s of work. Priority class `high`
/// may preempt `low`.
fn two_node_run(nodes: u32, csv: &str) -> common::Outcome {
    run(&gang_fixture(nodes, csv).loaded)
}

/// The scenario of [`two_node_run`] with `csv` as its trace.
fn gang_fixture(nodes: u32, csv: &str) -> common::Fixture {
    let yaml = format!(
        "name: gang
horizon: 2000s
scheduler: {{policy: first-fit}}
model:
  termination_grace: 10s
  restart_delay: 20s
priority_classes:
  - {{name: low, value: 10}}
  - {{name: high, value: 1000}}
pools:
  - {{name: p, gpu: A100-80GB, nodes: {nodes}, gpus_per_node: 8, sharing: {{kind: exclusive}}}}
classes:
  - {{name: c, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10}}
  - {{name: ck, kind: batch, namespace: default, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10, checkpoint: 30s}}
workload: {{kind: trace, path: trace.csv}}
"
    );
    fixture(&yaml, csv)
}

/// "n0/g0;...;n0/g7;n1/g0;...": every GPU of the nodes listed.
fn whole_nodes(nodes: &[u32]) -> String {
    let mut all = Vec::new();
    for n in nodes {
        for g in 0..8 {
            all.push(format!("n{n}/g{g}"));
        }
    }
    all.join(";")
}

#[test]
fn a_gang_waits_for_all_its_nodes_and_does_not_block_smaller_jobs() {
    // Two nodes of 8 GPUs, first-fit.
    // t = 0: job 0 (8 GPUs, 100 s) -> n0; job 1 (8 GPUs, 300 s) -> n1. Full.
    // t = 10: gang 2 (2 pods x 8 GPUs, 50 s of work) needs both nodes: waits.
    // t = 100: n0 is free, n1 is not: the gang still waits (all or nothing).
    // t = 150: job 3 (1 GPU, 60 s) is not blocked by the waiting gang (best-effort FIFO):
    //   n0/g0, 150 -> 210.
    // t = 250: job 4 (1 GPU, 100 s) -> n0/g0, 250 -> 350.
    // t = 300: n1 is free, but n0 has job 4: the gang waits on.
    // t = 350: both nodes free: the gang starts on all 16 GPUs, ends 350 + 50 = 400.
    //   Wait 350 - 10 = 340 s; work 16 x 50 = 800 reference GPU-seconds;
    //   cost 16 GPUs x 50 s at the A100-80GB price.
    let csv = "id,submit,class,gpus,duration
0,0,c,8,100
1,0,c,8,300
2,10,c,2x8,50
3,150,c,1,60
4,250,c,1,100
";
    let o = two_node_run(2, csv);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 0.0, 300.0);
    assert_times(&o, 3, 150.0, 210.0);
    assert_times(&o, 4, 250.0, 350.0);
    assert_times(&o, 2, 350.0, 400.0);
    let g = o.job(2);
    assert_eq!(g.request, "2xgpu:8");
    assert_eq!(g.gpus, whole_nodes(&[0, 1]));
    assert_close(g.work_s, 800.0, "gang work: 2 pods x 8 GPUs x 50 s");
    assert_close(g.useful_s, 800.0, "gang useful work");
    assert_close(g.cost_usd, usd(A100_PRICE, 16.0, 50.0), "gang cost");
    // Counted once as a job, and apart in the `gangs` block.
    assert_eq!(o.summary.jobs.total, 5);
    assert_eq!(o.records.len(), 5);
    let gangs = o.summary.gangs.as_ref().expect("gangs block");
    assert_eq!((gangs.count, gangs.started, gangs.completed), (1, 1, 1));
    assert_eq!((gangs.pods, gangs.gpus), (2, 16));
    assert_eq!(gangs.wait.p50_s, Some(340.0));
    assert_eq!(gangs.wait.p99_s, Some(340.0));
    assert!(!gangs.wait.p99_censored);
    assert_close(gangs.work_ref_gpu_hours, 800.0 / 3600.0, "gang GPU-hours");
}

#[test]
fn a_run_without_gangs_has_no_gangs_block() {
    let o = two_node_run(1, "id,submit,class,gpus,duration\n0,0,c,8,100\n");
    assert!(o.summary.gangs.is_none());
    let json = serde_json::to_value(&o.summary).expect("summary serializes");
    assert!(json.get("gangs").is_none());
}

#[test]
fn pods_of_a_gang_share_a_node_when_they_fit() {
    // One node of 8: a gang of 2 pods x 4 GPUs takes all 8 GPUs of n0 at t = 0.
    let o = two_node_run(1, "id,submit,class,gpus,duration\n0,0,c,2x4,100\n");
    assert_times(&o, 0, 0.0, 100.0);
    assert_eq!(o.job(0).gpus, whole_nodes(&[0]));
}

#[test]
fn a_gang_no_pool_can_hold_is_unschedulable_and_its_wait_censored() {
    // 3 pods of 8 GPUs on 2 nodes of 8: never fits. It is reported at once, its wait censored
    // at the horizon (2000 s - 5 s submit).
    let o = two_node_run(2, "id,submit,class,gpus,duration\n0,5,c,3x8,100\n");
    let r = o.job(0);
    assert_eq!(r.state, JobState::Unschedulable);
    assert!(
        r.reason.contains("a gang of 3 pods") && r.reason.contains("at most 2"),
        "{}",
        r.reason
    );
    let g = o.summary.gangs.as_ref().expect("gangs block");
    assert_eq!((g.count, g.started, g.unschedulable), (1, 0, 1));
    assert_eq!(g.wait.p50_s, Some(1995.0));
    assert!(g.wait.p50_censored);
}

#[test]
fn preempting_one_pod_evicts_the_whole_gang() {
    // t = 0: gang 0 (low, class ck: checkpoint 30 s, 2 x 8 GPUs, 1000 s) takes n0 and n1.
    // t = 100: job 1 (high, 8 GPUs, 50 s) fits nowhere; on either node the only victim is the
    //   gang: it is preempted, all 16 GPUs. Grace: the gang runs on until 110.
    // t = 110: the gang leaves both nodes, having done 110 s: keeps floor(110/30)*30 = 90 s,
    //   loses 20 s on each of its 16 GPUs = 320 reference GPU-seconds. Job 1 starts (110 -> 160).
    // t = 130: restart delay over: the gang is pending; one node is busy: it waits.
    // t = 160: job 1 leaves: the gang starts again with 1000 - 90 = 910 s left: ends 1070.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,ck,low,2x8,1000
1,100,c,high,8,50
";
    let o = two_node_run(2, csv);
    assert_times(&o, 1, 110.0, 160.0);
    assert_times(&o, 0, 0.0, 1070.0);
    let g = o.job(0);
    assert_eq!((g.preemptions, g.evictions), (1, 0));
    assert_close(g.lost_s, 320.0, "gang lost: 20 s x 16 GPUs");
    assert_close(g.useful_s, 16_000.0, "gang useful: 1000 s x 16 GPUs");
    assert_eq!(g.gpus, whole_nodes(&[0, 1]));
    let gangs = o.summary.gangs.as_ref().expect("gangs block");
    assert_eq!(gangs.preemptions, 1);
    assert_close(gangs.lost_ref_gpu_hours, 320.0 / 3600.0, "gangs lost");
    assert_eq!(o.pool("p").preemptions, 1);
}

#[test]
fn draining_one_node_of_a_gang_evicts_all_its_pods() {
    // The gang (class ck: checkpoint 30 s, 2 x 8 GPUs, 1000 s) runs on n0 and n1 from 0.
    // t = 100: n1 (the highest-numbered node) is drained for 50 s: the gang is evicted whole.
    // t = 110: it leaves both nodes having done 110 s: keeps 90, loses 20 s x 16 GPUs = 320.
    // t = 130: restart delay over; n1 is down until 150, so all or nothing, it waits.
    // t = 150: n1 is back: the gang starts with 910 s left and ends at 1060.
    let f = gang_fixture(2, "id,submit,class,gpus,duration\n0,0,ck,2x8,1000\n");
    let mut loaded = f.loaded.clone();
    let yaml = loaded.text.replace(
        "workload:",
        "events:\n  - {at: 100s, kind: drain, pool: p, nodes: 1, duration: 50s}\nworkload:",
    );
    loaded.scenario = slicesim::scenario::parse(&yaml, "test").expect("parses");
    loaded.text = yaml;
    let o = run(&loaded);
    assert_times(&o, 0, 0.0, 1060.0);
    let g = o.job(0);
    assert_eq!((g.preemptions, g.evictions), (0, 1));
    assert_close(g.lost_s, 320.0, "gang lost: 20 s x 16 GPUs");
    assert_eq!(g.gpus, whole_nodes(&[0, 1]));
    assert_eq!(o.summary.operations[0].evicted_jobs, 1);
}

#[test]
fn a_gang_preempts_for_all_its_pods_at_once() {
    // Both nodes busy with low-priority 8-GPU jobs (0: 100 s, 1: 200 s, class c: no
    // checkpoint). A high-priority gang (2 x 8, 50 s) at t = 10 needs both nodes: it evicts
    // both jobs at 10; they leave at 20 (grace 10 s) and the gang starts at 20 -> 70. The
    // victims are pending again at 40 (restart delay 20 s) and start over at 70 on their
    // nodes: job 0 70 -> 170, job 1 70 -> 270.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,8,100
1,0,c,low,8,200
2,10,c,high,2x8,50
";
    let o = two_node_run(2, csv);
    assert_times(&o, 2, 20.0, 70.0);
    assert_times(&o, 0, 0.0, 170.0);
    assert_times(&o, 1, 0.0, 270.0);
    assert_eq!((o.job(0).preemptions, o.job(1).preemptions), (1, 1));
    assert_eq!(o.pool("p").preemptions, 2);
}

#[test]
fn a_gang_evicts_nobody_unless_all_its_pods_then_fit() {
    // Node n0 has a low-priority job (0: 100 s), n1 one of the gang's own priority (1: 200 s,
    // not a victim). The gang (high, 2 x 8) could free n0 only: one node for two pods, so
    // nothing is evicted; it starts when both nodes are free, at 200 -> 250.
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,8,100
1,0,c,high,8,200
2,10,c,high,2x8,50
";
    let o = two_node_run(2, csv);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 0.0, 200.0);
    assert_times(&o, 2, 200.0, 250.0);
    assert_eq!(o.pool("p").preemptions, 0);
}

#[test]
fn a_gang_uses_free_nodes_first_and_the_victims_kube_would_pick() {
    // Three nodes. n0 and n1 run low jobs 0 (from 0) and 1 (from 5); n2 runs job 2 (high,
    // not a victim, from 6) until 306. At 10 gang 3 (high, 2 x 8, 50 s) fits nowhere: no node is free,
    // and n0 and n1 each free one pod's room. Both needed: jobs 0 and 1 evicted at 10,
    // gang on n0 + n1 from 20 -> 70.
    // Then with n2 free instead of job 2: the gang takes n2's free room and needs one more
    // node; of n0 (victim started at 0) and n1 (victim started at 5) kube-scheduler prefers
    // the node whose victim started latest: n1. Job 1 alone is evicted at 10 (leaves 20,
    // pending 40); the gang runs on n1 + n2 from 20 -> 70; job 1 restarts at 70 on n1 -> 370
    // (300 s); job 0 is untouched (0 -> 300).
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,8,300
1,5,c,low,8,300
2,6,c,high,8,300
3,10,c,high,2x8,50
";
    let o = two_node_run(3, csv);
    assert_times(&o, 3, 20.0, 70.0);
    assert_eq!(
        (
            o.job(0).preemptions,
            o.job(1).preemptions,
            o.job(2).preemptions
        ),
        (1, 1, 0)
    );
    assert_eq!(o.job(3).gpus, whole_nodes(&[0, 1]));
    // Job 2 gone: n2 is free from the start (job 2 never submitted).
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,low,8,300
1,5,c,low,8,300
3,10,c,high,2x8,50
";
    let o = two_node_run(3, csv);
    assert_times(&o, 3, 20.0, 70.0);
    assert_eq!(o.job(3).gpus, whole_nodes(&[1, 2]));
    assert_times(&o, 0, 0.0, 300.0);
    assert_times(&o, 1, 5.0, 370.0);
    assert_eq!((o.job(0).preemptions, o.job(1).preemptions), (0, 1));
}

#[test]
fn a_gang_does_not_crowd_out_a_nominated_preemptor_on_any_of_its_nodes() {
    // Two nodes, first-fit. Job 0 (high, 4 GPUs) holds n0 g0-3; job 1 (low, 4 GPUs, 10 s)
    // n0 g4-7; jobs 2 and 3 (low, 4 GPUs each) fill n1. At 5 job 4 (high, 8 GPUs, 50 s) fits
    // nowhere; n0 cannot give it 8 (job 0 is high), n1 can: jobs 2 and 3 are evicted and
    // job 4 is nominated to n1; they leave at 15, job 2 first. Job 1 ends at 10 (n0 g4-7
    // free). At 12 the gang (high, 2 x 4, 100 s) finds room for one pod only and no victims
    // that would make two: it waits. At 15, once job 2 has left, n0 and n1 each have 4 free
    // GPUs: the gang would fit with its first pod on n0 and its second on n1, which would leave
    // job 4 short once job 3 has gone. The nomination keeps it off n1 (it holds every node of
    // the gang, not only its first pod's), so job 4 starts at 15 (-> 65) and the gang at 65 on
    // n0 g4-7 + n1 (-> 165).
    let csv = "id,submit,class,priority_class,gpus,duration
0,0,c,high,4,1000
1,0,c,low,4,10
2,0,c,low,4,1000
3,0,c,low,4,1000
4,5,c,high,8,50
5,12,c,high,2x4,100
";
    let o = two_node_run(2, csv);
    assert_eq!(o.job(1).gpus, "n0/g4;n0/g5;n0/g6;n0/g7");
    assert_eq!((o.job(2).preemptions, o.job(3).preemptions), (1, 1));
    assert_times(&o, 4, 15.0, 65.0);
    assert_eq!(o.job(4).gpus, whole_nodes(&[1]));
    assert_times(&o, 5, 65.0, 165.0);
    assert_eq!(o.job(0).preemptions, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random mixes of gangs and single-node jobs, with preemption, on 3 nodes of 8 GPUs: the
    /// run's invariant checks (on in these tests) assert after every event that a placed gang
    /// holds every pod's devices; the records agree, and every job is accounted for once.
    /// Remembering failed preemptions (the default) changes no decision: the records equal
    /// those of a run that examines every node on every attempt (a gang's eviction or start
    /// changes all its nodes).
    #[test]
    fn a_gang_never_runs_in_part(
        jobs in proptest::collection::vec(
            (0u64..300, 1u32..=4, prop_oneof![Just(1u32), Just(2), Just(4), Just(8)], 1u64..200, any::<bool>()),
            1..25,
        )
    ) {
        let mut jobs = jobs;
        jobs.sort_by_key(|j| j.0);
        let mut csv = String::from("id,submit,class,priority_class,gpus,duration\n");
        for (id, (submit, pods, k, dur, high)) in jobs.iter().enumerate() {
            let gpus = if *pods > 1 { format!("{pods}x{k}") } else { k.to_string() };
            let prio = if *high { "high" } else { "low" };
            csv.push_str(&format!("{id},{submit},ck,{prio},{gpus},{dur}\n"));
        }
        let f = gang_fixture(3, &csv);
        let o = run(&f.loaded);
        let uncached = common::run_with(
            &f.loaded,
            slicesim::run::RunOptions { uncached_preemption: true, ..Default::default() },
        );
        prop_assert_eq!(format!("{:?}", &o.records), format!("{:?}", &uncached.records));
        prop_assert_eq!(o.records.len(), jobs.len());
        let mut gangs = 0;
        for (id, (_, pods, k, _, _)) in jobs.iter().enumerate() {
            let r = o.job(id as u64);
            if *pods > 1 {
                gangs += 1;
            }
            if r.start_s.is_some() {
                // Where it ran last: every device of every pod.
                let held = r.gpus.split(';').count() as u32;
                prop_assert_eq!(held, pods * k, "job {}: {:?}", id, r);
            }
        }
        let counted = o.summary.gangs.as_ref().map_or(0, |g| g.count);
        prop_assert_eq!(counted, gangs);
    }
}

#[test]
fn native_trace_gpus_column_reads_gangs_and_rejects_bad_ones() {
    use slicesim::trace::formats::native::NativeReader;
    let read = |gpus: &str| {
        let text = format!("id,submit,class,gpus,duration\n0,0,c,{gpus},10\n");
        NativeReader::from_reader(text.as_bytes(), "t.csv")
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(|e| e.to_string())
    };
    let jobs = read("4x8").expect("a gang");
    assert_eq!(jobs[0].pods, Some(4));
    assert_eq!(
        jobs[0].request,
        Some(slicesim::domain::RequestSpec::Gpu { count: 8 })
    );
    assert_eq!(read("8").expect("one pod")[0].pods, None);
    for (bad, why) in [
        ("0x8", "asks for 0 pods"),
        ("2x0", "0 GPUs per pod"),
        ("ax8", "no whole number of pods"),
        ("2x", "no whole number of GPUs per pod"),
        ("10001x1", "asks for 10001 pods"),
    ] {
        let e = read(bad).unwrap_err();
        assert!(
            e.contains("t.csv:2") && e.contains("gpus") && e.contains(why),
            "{bad}: {e}"
        );
    }
}

#[test]
fn philly_wide_jobs_become_gangs_of_8_gpu_pods() {
    // 8 GPUs: one pod. 12: ceil(12/8) = 2 pods of 12/2 = 6. 16: 2 x 8. 128: 16 x 8.
    // 20: 3 pods of ceil(20/3) = 7 (21 GPUs: rounded up, noted).
    let text = "timestamp,duration,num_gpus,gpu_time,cluster
2017-10-09 07:00:00,60,8,480,a
2017-10-09 07:00:01,60,12,720,a
2017-10-09 07:00:02,60,16,960,a
2017-10-09 07:00:03,60,128,7680,a
2017-10-09 07:00:04,60,20,1200,a
";
    let (entries, report) = import_reader(
        text.as_bytes(),
        "p.csv",
        &PhillyMap::default(),
        "philly",
        false,
    )
    .expect("imports");
    let got: Vec<(Option<u32>, Option<slicesim::domain::RequestSpec>)> = entries
        .iter()
        .map(|e| (e.job.pods, e.job.request.clone()))
        .collect();
    let gpu = |count| Some(slicesim::domain::RequestSpec::Gpu { count });
    assert_eq!(
        got,
        vec![
            (None, gpu(8)),
            (Some(2), gpu(6)),
            (Some(2), gpu(8)),
            (Some(16), gpu(8)),
            (Some(3), gpu(7)),
        ]
    );
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("4 jobs asked for more than 8 GPUs") && notes.contains("1 of them"),
        "{notes}"
    );
}
