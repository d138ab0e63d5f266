//! CPU and host memory per node and per pod (docs/MODEL.md "CPU and host memory"): the
//! NodeResourcesFit filter, kube-scheduler's CPU and memory scores, pods without GPUs, and
//! preemption that frees CPU.

mod common;

use common::{fixture, run_with};
use slicesim::domain::PolicyName;
use slicesim::metrics::JobState;
use slicesim::run::RunOptions;

fn with(policy: PolicyName, seed: u64) -> RunOptions {
    RunOptions {
        policy: Some(policy),
        seed: Some(seed),
        ..Default::default()
    }
}

/// `nodes` nodes of 8 exclusive A100-80GB with `cpu` and `memory` each; class `c` asks for
/// one GPU and `pod` (extra class fields), class `etl` for no GPU and 8 cores.
fn scenario(nodes: u32, node_host: &str, pod: &str) -> String {
    format!(
        "name: t
horizon: 1h
priority_classes:
  - {{name: low, value: 10}}
  - {{name: high, value: 100}}
pools:
  - {{name: p, gpu: A100-80GB, nodes: {nodes}, gpus_per_node: 8, {node_host}sharing: {{kind: exclusive}}}}
classes:
  - {{name: c, kind: batch, namespace: default, priority: low, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10, {pod}}}
  - {{name: hi, kind: batch, namespace: default, priority: high, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10, cpu: 8}}
  - {{name: etl, kind: batch, namespace: default, request: {{kind: gpu, count: 0}}, u: 1, d: 1, mem_gib: 0, cpu: 8, memory: 16Gi}}
workload: {{kind: trace, path: trace.csv}}
"
    )
}

/// Two nodes of 16 cores; pods of one GPU and 10 cores, three at t = 0 for 100 s, first-fit.
/// Job 0 takes n0 (10 of 16 cores). Job 1: n0 still has 7 idle GPUs but only 6 free cores
/// (< 10), so it is refused there and goes to n1. Job 2: 6 free cores on each node: it waits
/// until job 0 leaves at 100 s and starts on n0 (wait 100 s, done at 200 s).
#[test]
fn a_node_with_free_gpus_but_too_little_cpu_refuses_the_pod() {
    let yaml = scenario(2, "cpu: 16, memory: 64Gi, ", "cpu: 10, memory: 8Gi");
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n2,0,c,100\n",
    );
    let o = run_with(&f.loaded, with(PolicyName::FirstFit, 1));
    assert_eq!(o.job(0).gpus, "n0/g0");
    assert_eq!(o.job(1).gpus, "n1/g0");
    assert_eq!(o.job(2).gpus, "n0/g0");
    assert_eq!(
        (o.job(2).start_s, o.job(2).wait_s),
        (Some(100.0), Some(100.0))
    );
    assert_eq!(o.job(2).end_s, 200.0);
    // Without the pool's CPU capacity the three share n0 at once.
    let yaml = scenario(2, "", "cpu: 10, memory: 8Gi");
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n2,0,c,100\n",
    );
    let o = run_with(&f.loaded, with(PolicyName::FirstFit, 1));
    let gpus: Vec<&str> = (0..3).map(|i| o.job(i).gpus.as_str()).collect();
    assert_eq!(gpus, ["n0/g0", "n0/g1", "n0/g2"]);
}

/// Memory binds like CPU: 64 GiB nodes, pods of 40 GiB: one per node.
#[test]
fn host_memory_is_a_filter_too() {
    let yaml = scenario(1, "memory: 64Gi, ", "memory: 40Gi");
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n");
    let o = run_with(&f.loaded, with(PolicyName::FirstFit, 1));
    assert_eq!(o.job(1).start_s, Some(100.0));
}

/// A class asking for more CPU than any node has is refused by validation, with the reason
/// and the class's line.
#[test]
fn a_request_beyond_every_node_is_refused_with_its_reason() {
    let yaml = scenario(1, "cpu: 16, ", "cpu: 17");
    let problems = common::problems_of(&yaml);
    let texts: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("classes[0]")
                && t.contains("pool p: requests 17 CPU but nodes have 16")),
        "{texts:?}"
    );
}

/// kube-default scores LeastAllocated + BalancedAllocation over CPU (memory unconstrained):
/// nodes of 32 cores, pods of 8. The second pod on the first pod's node: cpu 16/32 ->
/// LeastAllocated 50, Balanced 100 (one resource) = 150; on the other node 8/32 -> 75 + 100
/// = 175. So the second pod always goes to the other node, whatever the seed.
/// kube-most-allocated: same node cpu 50, GPUs 2/8 -> 25: (50 + 3 * 25) / 4 = 31; other node
/// cpu 25, GPUs 12: (25 + 36) / 4 = 15. So it always joins the first pod.
#[test]
fn kube_profiles_score_cpu_as_kube_scheduler_does() {
    let yaml = scenario(2, "cpu: 32, ", "cpu: 8");
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,10,c,100\n");
    for seed in 1..=20 {
        let o = run_with(&f.loaded, with(PolicyName::KubeDefault, seed));
        let node = |id| o.job(id).gpus.split('/').next().unwrap().to_string();
        assert_ne!(node(0), node(1), "seed {seed}: kube-default spreads by CPU");
        let o = run_with(&f.loaded, with(PolicyName::KubeMostAllocated, seed));
        let node = |id| o.job(id).gpus.split('/').next().unwrap().to_string();
        assert_eq!(
            node(0),
            node(1),
            "seed {seed}: MostAllocated packs by CPU and GPUs"
        );
    }
}

/// Pods without GPUs: three `etl` pods of 8 cores on one 16-core node, 100 s each at t = 0:
/// two run at once, the third starts at 100 s. They count in their class's jobs and waits,
/// deliver no GPU work and cost nothing; their node is their placement.
#[test]
fn cpu_only_pods_run_on_the_nodes_cpus() {
    let yaml = scenario(1, "cpu: 16, memory: 64Gi, ", "cpu: 1");
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,etl,100\n1,0,etl,100\n2,0,etl,100\n",
    );
    let o = run_with(&f.loaded, with(PolicyName::KubeDefault, 1));
    for id in 0..3 {
        assert_eq!(o.job(id).state, JobState::Completed, "{:?}", o.job(id));
        assert_eq!(o.job(id).gpus, "n0");
        assert_eq!(o.job(id).useful_s, 0.0);
    }
    assert_eq!(o.job(2).wait_s, Some(100.0));
    assert_eq!(o.job(2).end_s, 200.0);
    let etl = o.class("etl");
    assert_eq!((etl.jobs.total, etl.jobs.completed), (3, 3));
    assert_eq!(etl.useful_ref_gpu_hours, 0.0);
    assert_eq!(etl.cost_usd, 0.0);
}

/// Preemption frees CPU: a low-priority pod holds 12 of 16 cores (1 of 8 GPUs). A
/// high-priority pod of 1 GPU and 8 cores finds idle GPUs but 4 free cores; it evicts the
/// low pod and starts once its grace period is over.
#[test]
fn preemption_frees_cpu() {
    let yaml = scenario(1, "cpu: 16, ", "cpu: 12");
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,1000\n1,10,hi,100\n");
    let o = run_with(&f.loaded, with(PolicyName::FirstFit, 1));
    assert_eq!(o.job(0).preemptions, 1, "{:?}", o.job(0));
    let started = o.job(1).start_s.expect("the preemptor starts");
    assert!(
        started > 10.0 && started <= 10.0 + 31.0,
        "started at {started}"
    );
}

/// The openb importer keeps each pod's `cpu_milli` and `memory_mib` and its CPU-only pods, and
/// a run uses them: one G2-like node of 8 GPUs and 96 cores, one of 8 GPUs and 128 cores.
/// Pod 1 (8 GPUs, 120 cores) fits only the 128-core node; pod 2 (1 GPU, 12 cores) then finds 7
/// idle GPUs there but 8 free cores and goes to the 96-core node; pod 3 is CPU-only (4 cores,
/// class `cpu` through `map.openb.classes`) and runs on a node's CPUs with no GPU.
#[test]
fn openb_pods_bring_their_cpu_and_memory_and_cpu_only_pods_run() {
    let yaml = "name: o
horizon: 1h
gpu_models:
  - {name: G2, memory_gib: 16, sms: 80, speed: 0.5, price_per_hour: 1.0}
priority_classes:
  - {name: LS, value: 1000}
  - {name: Guaranteed, value: 900}
  - {name: Burstable, value: 500}
  - {name: BE, value: 100}
pools:
  - {name: small, gpu: G2, nodes: 1, gpus_per_node: 8, cpu: 96, memory: 384Gi, sharing: {kind: fractional}}
  - {name: big, gpu: G2, nodes: 1, gpus_per_node: 8, cpu: 128, memory: 768Gi, sharing: {kind: fractional}}
classes:
  - {name: openb, kind: service, namespace: openb, request: {kind: gpu, count: 1}, u: 0.5, d: 0.5, mem_gib: 1}
  - {name: cpu, kind: service, namespace: openb, request: {kind: gpu, count: 0}, u: 0.5, d: 0.5, mem_gib: 0}
workload:
  kind: trace
  path: trace.csv
  format: openb
  map: {openb: {classes: {cpu: cpu}}}
";
    let pods = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
openb-pod-0001,120000,262144,8,1000,,LS,Succeeded,0,600,0
openb-pod-0002,12000,16384,1,1000,,LS,Succeeded,10,610,10
openb-pod-0003,4000,8192,0,0,,BE,Succeeded,20,620,20
";
    let f = fixture(yaml, pods);
    let o = run_with(&f.loaded, with(PolicyName::KubeDefault, 1));
    assert_eq!(o.job(1).pool, "big");
    assert_eq!(o.job(2).pool, "small");
    let cpu_pod = o.job(3);
    assert_eq!(
        (cpu_pod.state, cpu_pod.class.as_str()),
        (JobState::Completed, "cpu")
    );
    assert_eq!(cpu_pod.gpus, "n0");
    assert_eq!((cpu_pod.wait_s, cpu_pod.end_s), (Some(0.0), 620.0));
    assert_eq!(o.class("cpu").useful_ref_gpu_hours, 0.0);
}

/// A gang's pods each ask for their class's CPU: two 16-core nodes, a gang of 2 pods x 4 GPUs
/// with 10 cores per pod. By GPUs both pods fit on n0 (8 GPUs); by CPU one pod per node
/// (2 x 10 = 20 > 16), so it runs on n0 g0-g3 and n1 g0-g3. A 1-GPU pod of 10 cores at 1 s
/// finds 4 free GPUs on each node but 6 free cores: it waits for the gang to end at 100 s.
/// Without the nodes' CPU capacity the gang packs onto n0 alone.
#[test]
fn a_gangs_pods_each_take_their_cpu() {
    let csv = "id,submit,class,gpus,duration\n0,0,c,2x4,100\n1,1,c,1,50\n";
    let yaml = scenario(2, "cpu: 16, ", "cpu: 10");
    let o = run_with(&fixture(&yaml, csv).loaded, with(PolicyName::FirstFit, 1));
    assert_eq!(
        o.job(0).gpus,
        "n0/g0;n0/g1;n0/g2;n0/g3;n1/g0;n1/g1;n1/g2;n1/g3"
    );
    assert_eq!((o.job(1).start_s, o.job(1).end_s), (Some(100.0), 150.0));
    let yaml = scenario(2, "", "cpu: 10");
    let o = run_with(&fixture(&yaml, csv).loaded, with(PolicyName::FirstFit, 1));
    assert_eq!(
        o.job(0).gpus,
        "n0/g0;n0/g1;n0/g2;n0/g3;n0/g4;n0/g5;n0/g6;n0/g7"
    );
    assert_eq!(o.job(1).start_s, Some(1.0));
}

/// A gang whose pods' CPU allows one per node, on two nodes, can never hold 3 pods at once:
/// unschedulable, with the reason.
#[test]
fn a_gang_the_nodes_cpu_cannot_hold_is_unschedulable() {
    let yaml = scenario(2, "cpu: 16, ", "cpu: 10");
    let f = fixture(&yaml, "id,submit,class,gpus,duration\n0,0,c,3x4,100\n");
    let o = run_with(&f.loaded, with(PolicyName::FirstFit, 1));
    let r = o.job(0);
    assert_eq!(r.state, JobState::Unschedulable);
    assert!(
        r.reason.contains("a gang of 3 pods") && r.reason.contains("at most 2"),
        "{}",
        r.reason
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, failure_persistence: None, ..Default::default() })]

    /// Random mixes of gangs, single GPU pods and pods without GPUs, two priorities, on 3
    /// nodes of 8 GPUs with 32 cores and 64 GiB each: the run's invariant checks (on here)
    /// assert after every event that no node holds more CPU or memory than it has and that what
    /// it holds is the sum of its pods' requests (a gang's per node); every job has one record;
    /// no gang ever runs in part; cached and uncached preemption decide alike.
    #[test]
    fn gangs_and_host_requests_keep_every_node_consistent(
        jobs in proptest::collection::vec(
            (0u64..400, 0u32..=3, proptest::prop_oneof![proptest::strategy::Just(1u32), proptest::strategy::Just(2), proptest::strategy::Just(4)], 1u64..300, proptest::bool::ANY),
            1..24,
        )
    ) {
        let mut jobs = jobs;
        jobs.sort_by_key(|j| j.0);
        let mut csv = String::from("id,submit,class,gpus,duration\n");
        for (id, (submit, pods, k, dur, high)) in jobs.iter().enumerate() {
            let (class, gpus) = match (pods, high) {
                (0, _) => ("etl", "0".to_string()),
                (1, false) => ("c", k.to_string()),
                (1, true) => ("hi", k.to_string()),
                (n, false) => ("c", format!("{n}x{k}")),
                (n, true) => ("hi", format!("{n}x{k}")),
            };
            csv.push_str(&format!("{id},{submit},{class},{gpus},{dur}\n"));
        }
        let yaml = scenario(3, "cpu: 32, memory: 64Gi, ", "cpu: 6, memory: 8Gi");
        let f = fixture(&yaml, &csv);
        let o = run_with(&f.loaded, with(PolicyName::FirstFit, 1));
        let uncached = run_with(
            &f.loaded,
            RunOptions { uncached_preemption: true, ..with(PolicyName::FirstFit, 1) },
        );
        proptest::prop_assert_eq!(format!("{:?}", &o.records), format!("{:?}", &uncached.records));
        proptest::prop_assert_eq!(o.records.len(), jobs.len());
        for (id, (_, pods, k, _, _)) in jobs.iter().enumerate() {
            let r = o.job(id as u64);
            if r.start_s.is_some() && *pods >= 1 {
                let held = r.gpus.split(';').count() as u32;
                proptest::prop_assert_eq!(held, pods * k, "job {}: {:?}", id, r);
            }
        }
    }
}
