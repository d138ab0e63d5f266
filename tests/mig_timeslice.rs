//! Time-slicing of MIG instances (docs/MODEL.md, "Time-sliced MIG instances"): contention
//! inside an instance (the time-slicing equations applied to the instance), isolation between
//! instances, memory over-commit inside an instance; hand-worked on one A100-80GB.

mod common;

use common::{assert_times, fixture, problems_of, run};
use slicesim::metrics::JobState;

/// One A100-80GB cut into 4g.40gb + 3g.40gb, the 3g.40gb time-sliced 2 ways; class `c3` asks
/// for a 3g.40gb, `c4` for the 4g.40gb; u = 1, d = 0.3 (d/f = 0.3 · 108/42 = 0.77 < 1 on the
/// 3g and 0.3 · 108/56 = 0.58 on the 4g: alone, every job runs at full speed, x = 1).
fn scenario(overhead: f64, mem: f64) -> String {
    format!(
        "name: t
horizon: 2h
model: {{overhead_per_context: {overhead}}}
pools:
  - {{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {{kind: mig, strategy: mixed, layout: [4g.40gb, 3g.40gb], replicas: {{3g.40gb: 2}}}}}}
classes:
  - {{name: c3, kind: batch, namespace: d, request: {{kind: mig, profile: 3g.40gb, count: 1}}, u: 1, d: 0.3, mem_gib: {mem}}}
  - {{name: c4, kind: batch, namespace: d, request: {{kind: mig, profile: 4g.40gb, count: 1}}, u: 1, d: 0.3, mem_gib: {mem}}}
workload: {{kind: trace, path: trace.csv}}
"
    )
}

/// Jobs A (3g, 50 s), B (3g, 150 s), C (4g, 100 s), D (3g, 50 s), all at 0; no context-switch
/// overhead (`overhead_per_context: 0`), so two contexts get g = 1/2 of the instance each:
/// - A and B share the 3g at x = 0.5; A ends at 50 / 0.5 = 100 s (B has done 50 s).
/// - D waits for one of the 3g's two replicas: it starts at 100 s and shares with B at 0.5,
///   ending at 100 + 50 / 0.5 = 200 s; B has then done 100 s, its last 50 s alone at x = 1
///   end at 250 s.
/// - C is alone in the 4g.40gb: x = 1 whatever the 3g does, it ends at 100 s (isolation).
#[test]
fn contention_inside_an_instance_isolation_between_instances() {
    let csv = "id,submit,class,duration\n0,0,c3,50\n1,0,c3,150\n2,0,c4,100\n3,0,c3,50\n";
    let o = run(&fixture(&scenario(0.0, 10.0), csv).loaded);
    assert_times(&o, 0, 0.0, 100.0);
    assert_times(&o, 1, 0.0, 250.0);
    assert_times(&o, 2, 0.0, 100.0);
    assert_times(&o, 3, 100.0, 200.0);
    let pool = o.pool("p");
    assert_eq!(pool.sharing, "mig 1x4g.40gb+1x3g.40gb(x2)");
}

/// With the default overhead (0.02 per context beyond the first) two contexts share
/// 1 − 0.02 = 0.98 of the instance: x = 0.49. A job of 49 s next to a long one ends at
/// 49 / 0.49 = 100 s.
#[test]
fn the_context_switch_overhead_applies_inside_the_instance() {
    let csv = "id,submit,class,duration\n0,0,c3,49\n1,0,c3,1000\n";
    let o = run(&fixture(&scenario(0.02, 10.0), csv).loaded);
    assert_times(&o, 0, 0.0, 100.0);
}

/// No memory isolation inside an instance: an A100-80GB 3g.40gb has 39.25 GiB (catalog);
/// two 20 GiB contexts need 2 · (20 + 0.375) = 40.75 GiB, more than the instance: the second
/// dies of OOM 30 s after its start. Two 10 GiB contexts (20.75 GiB) fit.
#[test]
fn contexts_over_commit_the_instance_memory() {
    let csv = "id,submit,class,duration\n0,0,c3,100\n1,1,c3,100\n";
    let o = run(&fixture(&scenario(0.0, 20.0), csv).loaded);
    assert_eq!(o.job(0).state, JobState::Completed);
    assert!(o.job(1).ooms >= 1, "{:?}", o.job(1));
    let o = run(&fixture(&scenario(0.0, 10.0), csv).loaded);
    assert_eq!(o.job(1).ooms, 0);
}

/// `replicas` must name profiles of the layout and be at least 1.
#[test]
fn replicas_of_a_profile_not_in_the_layout_are_refused() {
    let yaml = scenario(0.0, 10.0).replace("replicas: {3g.40gb: 2}", "replicas: {2g.20gb: 2}");
    let problems: Vec<String> = problems_of(&yaml).iter().map(|p| p.to_string()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("sharing.replicas") && p.contains("2g.20gb is not in the layout")),
        "{problems:#?}"
    );
    let yaml = scenario(0.0, 10.0).replace("replicas: {3g.40gb: 2}", "replicas: {3g.40gb: 0}");
    let problems: Vec<String> = problems_of(&yaml).iter().map(|p| p.to_string()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("sharing.replicas") && p.contains("at least 1")),
        "{problems:#?}"
    );
}

/// A service in a time-sliced instance waits for its neighbour's slices, as on a time-sliced
/// GPU: the 3g.40gb shared with a compute-bound batch job (u = 1). The service's kernels
/// (d = 0.3 < f) run at full speed less the overhead, 1 − 0.02 = 0.98; a 1 ms request at 1/s
/// (load ~0) arrives while the neighbour holds the instance and waits for the rest of its
/// 2 ms slice, uniform on [0, 2): mean 1/0.98 + 1 = 2.02 ms. In the 4g.40gb, alone, 1 ms flat.
#[test]
fn a_service_in_a_sliced_instance_waits_for_the_neighbours_slice() {
    let yaml = scenario(0.02, 10.0).replace(
        "workload:",
        "  - {name: svc, kind: service, namespace: d, request: {kind: mig, profile: 3g.40gb, count: 1}, u: 0.001, d: 0.3, mem_gib: 5, requests: {rate: 1, work_ms: 1, slo_ms: 100, dist: fixed}}\nworkload:",
    );
    let csv = "id,submit,class,duration\n0,0,svc,1000\n1,0,c3,5000\n";
    let o = run(&fixture(&yaml, csv).loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    let mean = l.mean_ms.unwrap();
    assert!(
        (mean - (1.0 / 0.98 + 1.0)).abs() <= 0.05 * 2.02,
        "mean {mean}"
    );
    let alone = yaml.replace(
        "profile: 3g.40gb, count: 1}, u: 0.001",
        "profile: 4g.40gb, count: 1}, u: 0.001",
    );
    let o = run(&fixture(&alone, csv).loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    assert!((l.mean_ms.unwrap() - 1.0).abs() <= 0.01, "{:?}", l.mean_ms);
}
