//! Service latency (docs/MODEL.md, "Service latency"): hand-worked single-GPU scenarios whose
//! expected figures come from queueing theory's closed forms.

mod common;

use common::{fixture, problems_of, run};

/// One pool of one A100-80GB shared as `sharing`, a service class `svc` with traits `traits`
/// and request stream `requests`, and batch class `c` (u = d = 1).
fn scenario(horizon: &str, sharing: &str, traits: &str, requests: &str) -> String {
    format!(
        "name: t
horizon: {horizon}
pools:
  - {{name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {sharing}}}
classes:
  - {{name: svc, kind: service, namespace: d, request: {{kind: gpu, count: 1}}, {traits}, mem_gib: 10, requests: {requests}}}
  - {{name: c, kind: batch, namespace: d, request: {{kind: gpu, count: 1}}, u: 1, d: 1, mem_gib: 10}}
workload: {{kind: trace, path: trace.csv}}
"
    )
}

fn within(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want,
        "{what}: got {got}, want {want} within {:.0} %",
        rel * 100.0
    );
}

#[test]
fn exclusive_gpu_is_an_md1_queue() {
    // 50 requests/s of exactly 10 ms on a whole A100 (s = 1): rho = 0.5, mean wait
    // rho*S/(2(1-rho)) = 5 ms, mean latency 15 ms. The service runs 2000 s: 100,000 requests.
    // An SLO of 10 ms is missed by every request that waited at all: P(wait > 0) = rho = 0.5
    // for M/D/1 (PASTA: an arrival finds the server busy with the busy-time probability).
    let yaml = scenario(
        "2000s",
        "{kind: exclusive}",
        "u: 0.5, d: 1",
        "{rate: 50, work_ms: 10, slo_ms: 10.05, dist: fixed}",
    );
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,svc,2000\n");
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    within(l.requests, 100_000.0, 1e-9, "requests");
    within(l.mean_ms.unwrap(), 15.0, 0.05, "mean");
    // The median request does not wait (P(wait = 0) = 0.5): about the 10 ms of work.
    within(l.p50_ms.unwrap(), 10.0, 0.05, "p50");
    within(l.slo_miss.unwrap(), 0.5, 0.06, "SLO miss");
    assert_eq!(l.overloaded, Some(0.0));
    assert_eq!(
        o.class("svc").latency_by_pool.keys().collect::<Vec<_>>(),
        ["p"]
    );
    // A batch class has no latency figures.
    assert!(o.class("c").latency.is_none());
}

#[test]
fn a_mig_slice_serves_at_its_sm_fraction() {
    // 1g.10gb has 14 of the A100's 108 SMs. A kernel that fills the GPU (d = 1) runs
    // 108/14 times slower: S = 10 * 108/14 = 77.14 ms. At 5/s, rho = 0.386, M/D/1 mean wait
    // rho*S/(2(1-rho)) = 24.2 ms, mean latency 101.4 ms.
    let s = 10.0 * 108.0 / 14.0;
    let rho = 0.005 * s;
    let yaml = scenario(
        "2000s",
        "{kind: mig, strategy: mixed, layout: [1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb]}",
        "u: 0.5, d: 1",
        "{rate: 5, work_ms: 10, slo_ms: 200, dist: fixed}",
    )
    .replace("request: {kind: gpu, count: 1}", "request: {kind: mig, profile: 1g.10gb, count: 1}")
    .replace("mem_gib: 10", "mem_gib: 5");
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,svc,2000\n");
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    within(
        l.mean_ms.unwrap(),
        s + rho * s / (2.0 * (1.0 - rho)),
        0.05,
        "mean",
    );
    // Nothing is faster than the work at the slice's speed.
    assert!(l.p50_ms.unwrap() >= s * 0.995);
}

#[test]
fn time_slicing_makes_a_request_wait_for_the_neighbours_slice() {
    // Two replicas: the service and a batch job that always has work (u = 1). Two contexts
    // cost o(2) = 2 %, so the service's kernels run at 0.98. A 1 ms request at 1/s (load
    // ~0) arrives while the batch job holds the GPU and waits for the rest of its 2 ms slice,
    // uniform on [0, 2): latency = 1/0.98 + U(0, 2): mean 2.02 ms, p99 1.02 + 1.98 = 3.0 ms.
    // Alone on an exclusive GPU the same request takes 1 ms flat.
    let yaml = scenario(
        "1000s",
        "{kind: time_slicing, replicas: 2}",
        "u: 0.1, d: 1",
        "{rate: 1, work_ms: 1, slo_ms: 2.5, dist: fixed}",
    );
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,svc,1000\n1,0,c,5000\n",
    );
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    within(l.requests, 1000.0, 1e-9, "requests");
    within(l.mean_ms.unwrap(), 1.0 / 0.98 + 1.0, 0.05, "mean");
    within(l.p99_ms.unwrap(), 1.0 / 0.98 + 1.98, 0.02, "p99");
    // P(latency > 2.5) = P(U > 2.5 - 1.0204) = (2 - 1.4796)/2 = 0.26.
    within(l.slo_miss.unwrap(), 0.26, 0.15, "SLO miss");
}

#[test]
fn an_overloaded_instance_has_no_finite_percentiles() {
    // Three replicas, two of them batch jobs that always have work: the service holds one
    // slice in three. 40 requests/s of 10 ms need 0.4 of a GPU at full speed, 1.2 of what it
    // gets (0.4 * 3 / 0.96): the queue grows without bound, every request misses its SLO.
    let yaml = scenario(
        "500s",
        "{kind: time_slicing, replicas: 3}",
        "u: 0.4, d: 1",
        "{rate: 40, work_ms: 10, slo_ms: 100}",
    );
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,svc,500\n1,0,c,5000\n2,0,c,5000\n",
    );
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    within(l.requests, 20_000.0, 1e-9, "requests");
    assert_eq!((l.p50_ms, l.p95_ms, l.p99_ms), (None, None, None));
    assert_eq!((l.slo_miss, l.overloaded), (Some(1.0), Some(1.0)));
    assert_eq!(l.mean_ms, None);
}

#[test]
fn request_streams_are_checked() {
    let bad = |requests: &str, kind: &str| {
        let yaml = scenario("10s", "{kind: exclusive}", "u: 0.5, d: 1", requests)
            .replace("kind: service", kind);
        problems_of(&yaml)
            .into_iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let e = bad("{rate: 0, work_ms: 10, slo_ms: 100}", "kind: service");
    assert!(
        e.contains("classes[0].requests.rate") && e.contains("0 is not in (0, 1000000]"),
        "{e}"
    );
    let e = bad("{rate: 5, work_ms: -1, slo_ms: 100}", "kind: service");
    assert!(e.contains("requests.work_ms"), "{e}");
    let e = bad("{rate: 5, work_ms: 1, slo_ms: 100}", "kind: batch");
    assert!(e.contains("only services receive requests"), "{e}");
    assert_eq!(
        bad("{rate: 5, work_ms: 1, slo_ms: 100}", "kind: service"),
        ""
    );
}

#[test]
fn load_steps_scale_the_request_rate() {
    // Class u = 0.25 at 10 requests/s; the trace doubles the duty cycle to 0.5 at 500 s, so the
    // rate doubles too: 10 * 500 + 20 * 500 = 15,000 requests over the 1000 s it runs.
    let yaml = scenario(
        "1000s",
        "{kind: exclusive}",
        "u: 0.25, d: 1",
        "{rate: 10, work_ms: 25, slo_ms: 100}",
    );
    let f = fixture(
        &yaml,
        "id,submit,class,duration,load\n0,0,svc,1000,0:0.25;500:0.5\n",
    );
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    within(l.requests, 15_000.0, 1e-9, "requests");
}

#[test]
fn a_service_that_never_ran_has_no_requests_and_no_figures() {
    // The only GPU is held by a batch job for the whole horizon: the service waits, serves
    // nothing, and its latency block says so (its wait figures tell the rest).
    let yaml = scenario(
        "100s",
        "{kind: exclusive}",
        "u: 0.5, d: 1",
        "{rate: 10, work_ms: 25, slo_ms: 100}",
    );
    let f = fixture(&yaml, "id,submit,class,duration\n0,0,c,1000\n1,1,svc,50\n");
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency block");
    assert_eq!(l.requests, 0.0);
    assert_eq!((l.p50_ms, l.mean_ms, l.slo_miss), (None, None, None));
    assert!(o.class("svc").latency_by_pool.is_empty());
}

#[test]
fn a_neighbour_with_spare_time_holds_its_turn_only_part_of_the_time() {
    // As above, but the batch neighbour has u = 0.6: demands 0.1 + 0.6 fit in the 0.98 of GPU
    // time two contexts leave, so it is not slowed and has work at its turn with probability
    // 0.6. A request waits for the rest of its slice (mean 1 ms) 60 % of the time:
    // mean latency 1/0.98 + 0.6 * 1 = 1.62 ms; the median request finds it busy
    // (P(no wait) = 0.4 < 0.5).
    let yaml = scenario(
        "1000s",
        "{kind: time_slicing, replicas: 2}",
        "u: 0.1, d: 1",
        "{rate: 1, work_ms: 1, slo_ms: 2.5, dist: fixed}",
    )
    .replace(
        "kind: batch, namespace: d, request: {kind: gpu, count: 1}, u: 1",
        "kind: batch, namespace: d, request: {kind: gpu, count: 1}, u: 0.6",
    );
    let f = fixture(
        &yaml,
        "id,submit,class,duration\n0,0,svc,1000\n1,0,c,5000\n",
    );
    let o = run(&f.loaded);
    let l = o.class("svc").latency.as_ref().expect("latency figures");
    within(l.mean_ms.unwrap(), 1.0 / 0.98 + 0.6, 0.05, "mean");
}
