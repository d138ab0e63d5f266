//! MPS sharing (docs/MODEL.md, "MPS"): hand-worked single-GPU scenarios. Each client of an
//! `N`-replica GPU has 1/N of the SMs: kernel stretch `σ = max(1, d · N)`, wall time per unit
//! of work `W = (1 − u) + u · σ`, speed `s / W`, then throttled by its max-min fair share of the
//! memory bandwidth (`a = b · u / W` asked for). No context-switch overhead. Completion times
//! are whole milliseconds: `ceil(work / x)`.

mod common;

use common::{assert_times, fixture, one_pool, problems_of, run};

fn class(u: f64, d: f64, b: f64, mem: f64) -> String {
    format!(
        "    request: {{kind: gpu, count: 1}}\n    u: {u}\n    d: {d}\n    b: {b}\n    mem_gib: {mem}"
    )
}

fn mps(replicas: u32, class: &str) -> String {
    one_pool(
        "2h",
        "A100-80GB",
        1,
        1,
        &format!("{{kind: mps, replicas: {replicas}}}"),
        class,
    )
}

/// N = 2, two compute-bound jobs (u = 1, d = 1) of 100 s and 300 s at 0. Each client has half
/// the SMs: σ = 2, W = 2, x = 0.5. Job 0 ends at 100 / 0.5 = 200 s. Job 1 has done 100 s by
/// then; alone it is still capped at half the SMs (the thread percentage is a hard limit), so
/// its last 200 s take 400 s: it ends at 600 s. (Time-slicing x2 would give 0.49 each, then 1.)
#[test]
fn two_clients_each_get_half_the_sms_even_alone() {
    let yaml = mps(2, &class(1.0, 1.0, 0.0, 30.0));
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,0,c,300\n").loaded);
    assert_times(&o, 0, 0.0, 200.0);
    assert_times(&o, 1, 0.0, 600.0);
    assert_eq!(o.pool("p").sharing, "mps x2");
}

/// N = 4, five jobs of 100 s (u = 0.5, d = 0.75) at 0: σ = max(1, 0.75 · 4) = 3,
/// W = 0.5 + 0.5 · 3 = 2, x = 0.5 whatever the neighbours do (b = 0): the first four end at
/// 100 / 0.5 = 200 s; the fifth waits for a replica, starts at 200 s and ends at 400 s.
#[test]
fn four_clients_run_side_by_side_and_a_fifth_waits() {
    let yaml = mps(4, &class(0.5, 0.75, 0.0, 20.0));
    let csv = "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n2,0,c,100\n3,0,c,100\n4,0,c,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    for id in 0..4 {
        assert_times(&o, id, 0.0, 200.0);
    }
    assert_times(&o, 4, 200.0, 400.0);
}

/// N = 4, small kernels (d = 0.2 ≤ 1/4): σ = 1, every client runs at full speed side by side;
/// four jobs of 100 s all end at 100 s (time-slicing x4 would give (1 − 0.06) / 4 each).
#[test]
fn small_kernels_lose_nothing() {
    let yaml = mps(4, &class(1.0, 0.2, 0.0, 20.0));
    let csv = "id,submit,class,duration\n0,0,c,100\n1,0,c,100\n2,0,c,100\n3,0,c,100\n";
    let o = run(&fixture(&yaml, csv).loaded);
    for id in 0..4 {
        assert_times(&o, id, 0.0, 100.0);
    }
}

/// N = 2, two memory-bound jobs (u = 1, d = 0.4, b = 1) of 100 s and 200 s: σ = max(1, 0.8)
/// = 1, W = 1, each asks a = 1 of the bandwidth, 2 in all: max-min fair 0.5 each, throttle
/// 0.5 / 1 = 0.5, x = 0.5. Job 0 ends at 200 s; job 1 has done 100 s, alone it gets all the
/// bandwidth it asks (1 ≤ 1), x = 1: it ends at 300 s.
#[test]
fn clients_share_the_memory_bandwidth() {
    let yaml = mps(2, &class(1.0, 0.4, 1.0, 30.0));
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n1,0,c,200\n").loaded);
    assert_times(&o, 0, 0.0, 200.0);
    assert_times(&o, 1, 0.0, 300.0);
}

/// Each client's memory is limited to memory / N: 80 / 2 = 40 GiB on an A100-80GB. A 45 GiB
/// job can never run there (the class is refused, as a job bigger than a MIG instance), a
/// 40 GiB one can.
#[test]
fn the_memory_limit_is_enforced_per_client() {
    let yaml = mps(2, &class(1.0, 1.0, 0.0, 45.0));
    let problems: Vec<String> = problems_of(&yaml).iter().map(|p| p.to_string()).collect();
    assert!(
        problems.iter().any(|p| p.contains(
            "needs 45 GiB but MPS with 2 replicas limits each client on A100-80GB GPUs to 40 GiB (memory / replicas)"
        )),
        "{problems:#?}"
    );
    let yaml = mps(2, &class(1.0, 1.0, 0.0, 40.0));
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100\n").loaded);
    assert_times(&o, 0, 0.0, 200.0);
}

/// The device plugin fails MPS requests for more than one replica.
#[test]
fn a_request_for_two_replicas_is_refused() {
    let c = class(1.0, 1.0, 0.0, 10.0).replace("count: 1", "count: 2");
    let problems: Vec<String> = problems_of(&mps(4, &c))
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains(
            "requests 2 GPUs, but the device plugin fails MPS requests for more than one replica"
        )),
        "{problems:#?}"
    );
}

/// Replicas must be 2..=48 (48 MPS clients per GPU).
#[test]
fn replicas_outside_2_to_48_are_refused_naming_the_field() {
    for r in [0, 1, 49] {
        let yaml = mps(r, &class(1.0, 1.0, 0.0, 1.0));
        let problems: Vec<String> = problems_of(&yaml).iter().map(|p| p.to_string()).collect();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("sharing.replicas") && p.contains("is not in 2..=48")),
            "{r}: {problems:#?}"
        );
    }
    assert!(
        problems_of(&mps(48, &class(1.0, 1.0, 0.0, 1.0)))
            .iter()
            .all(|p| !p.to_string().contains("replicas"))
    );
}

/// A service's requests under MPS are served by a dedicated server at the client's SM share:
/// `s / max(1, d · N)`. N = 4, d = 1: 10 ms requests take S = 40 ms; 5 requests/s, fixed work:
/// M/D/1 with ρ = 0.005 · 40 = 0.2, mean latency S + ρS / (2(1 − ρ)) = 40 + 8 / 1.6 = 45 ms.
/// A compute-bound batch neighbour (b = 0) changes nothing: no time slices to wait for.
#[test]
fn a_service_is_served_at_its_sm_share_whatever_its_neighbours_do() {
    let yaml = "name: t
horizon: 2000s
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: mps, replicas: 4}}
classes:
  - {name: svc, kind: service, namespace: d, request: {kind: gpu, count: 1}, u: 0.05, d: 1, mem_gib: 10, requests: {rate: 5, work_ms: 10, slo_ms: 100, dist: fixed}}
  - {name: c, kind: batch, namespace: d, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";
    for csv in [
        "id,submit,class,duration\n0,0,svc,2000\n",
        "id,submit,class,duration\n0,0,svc,2000\n1,0,c,5000\n2,0,c,5000\n",
    ] {
        let o = run(&fixture(yaml, csv).loaded);
        let l = o.class("svc").latency.as_ref().expect("latency figures");
        let mean = l.mean_ms.unwrap();
        assert!((mean - 45.0).abs() <= 0.05 * 45.0, "mean {mean}");
        assert!(l.p50_ms.unwrap() >= 40.0 * 0.995);
    }
}
