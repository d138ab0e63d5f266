//! Property tests: random small scenarios run with the simulator's own invariant checks on
//! (it panics if a GPU holds more than its replicas, MIG instances or milli), and the run's
//! records and summary must be consistent with each other and with the workload.

mod common;

use common::close;
use proptest::prelude::*;
use slicesim::domain::JobKind;
use slicesim::metrics::{JobRecord, JobState};
use slicesim::report::Summary;
use slicesim::run::{RunOptions, run_in_memory};
use slicesim::scenario::schema::{TimedEvent, WorkloadSpec};
use slicesim::scenario::{self, Loaded};
use slicesim::workload::synthetic::SyntheticJobs;
use std::collections::BTreeMap;
use std::path::PathBuf;

const LAYOUTS: [&str; 3] = [
    "[3g.40gb, 2g.20gb, 2g.20gb]",
    "[1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb, 1g.10gb]",
    "[7g.80gb]",
];

fn sharing() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{kind: exclusive}".to_string()),
        (1u32..=4, prop::bool::ANY).prop_map(|(r, packed)| format!(
            "{{kind: time_slicing, replicas: {r}, allocation: {}}}",
            if packed { "packed" } else { "distributed" }
        )),
        (0..LAYOUTS.len(), prop::bool::ANY).prop_map(|(l, single)| format!(
            "{{kind: mig, strategy: {}, layout: {}}}",
            if single { "single" } else { "mixed" },
            LAYOUTS[l]
        )),
        Just("{kind: fractional}".to_string()),
    ]
}

fn pool() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["A100-80GB", "H100-80GB"]),
        1u32..=2,
        1u32..=4,
        sharing(),
    )
        .prop_map(|(gpu, nodes, gpus, sharing)| {
            format!("gpu: {gpu}, nodes: {nodes}, gpus_per_node: {gpus}, sharing: {sharing}")
        })
}

/// Requests: whole GPUs or replicas, MIG profiles (some in no layout above), milli shares.
fn request() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..=2).prop_map(|n| format!("{{kind: gpu, count: {n}}}")),
        prop::sample::select(vec!["3g.40gb", "2g.20gb", "1g.10gb", "7g.80gb", "4g.40gb"])
            .prop_map(|p| format!("{{kind: mig, profile: {p}, count: 1}}")),
        (1u32..=10).prop_map(|m| format!("{{kind: milli, milli: {}, count: 1}}", m * 100)),
    ]
}

fn class() -> impl Strategy<Value = String> {
    (
        request(),
        1u32..=20,
        1u32..=20,
        0u32..=60,
        prop::bool::weighted(0.8),
        prop::option::of(1u32..=20),
        prop::sample::select(vec!["low", "mid", "high", "vip"]),
        prop::option::of(1u32..=30),
    )
        .prop_map(|(req, u, d, mem, batch, ckpt, prio, fallback)| {
            let kind = if batch { "batch" } else { "service" };
            let ckpt = match ckpt {
                Some(m) if batch => format!(", checkpoint: {m}m"),
                _ => String::new(),
            };
            let fallback = fallback.map_or(String::new(), |m| format!(", fallback_after: {m}m"));
            format!(
                "kind: {kind}, namespace: default, priority: {prio}, request: {req}, u: {}, d: {}, mem_gib: {mem}{ckpt}{fallback}",
                f64::from(u) / 20.0,
                f64::from(d) / 20.0
            )
        })
}

/// Timed operations on pool p0 (which always exists).
fn event() -> impl Strategy<Value = String> {
    (0u32..=3, 1u32..=600, 1u32..=3, sharing()).prop_map(|(kind, at_m, n, sharing)| match kind {
        0 => format!("{{kind: drain, at: {at_m}m, pool: p0, nodes: 1, duration: {n}h}}"),
        1 => format!("{{kind: resize, at: {at_m}m, pool: p0, nodes: {n}}}"),
        _ => format!("{{kind: reconfigure, at: {at_m}m, pool: p0, sharing: {sharing}}}"),
    })
}

/// A whole scenario as YAML: 1-3 pools, 1-4 classes with priorities (preempting or not) and
/// fallback waits, an optional quota, up to two timed operations, a synthetic workload of at
/// most 60 jobs, any placement policy.
fn scenario_yaml() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(pool(), 1..=3),
        prop::collection::vec(class(), 1..=4),
        (0u64..1000, 1u32..=12, 0u32..=3, prop::bool::ANY),
        (5u32..=60, 1u64..=60, 1u32..=120, 0u32..=10),
        prop::sample::select(vec![
            "kube-default",
            "kube-most-allocated",
            "kube-requested-to-capacity",
            "first-fit",
            "best-fit",
            "spread",
            "fgd",
        ]),
        (
            prop::option::of(1u32..=4),
            prop::bool::ANY,
            prop::collection::vec(event(), 0..=2),
            prop::sample::select(vec!["held", "received"]),
        ),
    )
        .prop_map(|(pools, classes, (seed, horizon_h, limit, long_span), wl, policy, k8s)| {
            let (rate, max_jobs, median_m, sigma) = wl;
            let (quota, queue, events, attribution) = k8s;
            let admission = if queue { "queue" } else { "reject" };
            let mut y = format!(
                "name: prop\nseed: {seed}\nhorizon: {horizon_h}h\n\
                 model: {{backoff_limit: {limit}, oom_after: 5m, termination_grace: 20s, restart_delay: 1m}}\n\
                 scheduler: {{policy: {policy}, quota_admission: {admission}}}\n\
                 prices: {{attribution: {attribution}}}\n\
                 priority_classes:\n\
                 \x20 - {{name: low, value: 10}}\n\
                 \x20 - {{name: mid, value: 50}}\n\
                 \x20 - {{name: high, value: 100}}\n\
                 \x20 - {{name: vip, value: 200, preemption_policy: Never}}\n"
            );
            if let Some(q) = quota {
                y += &format!(
                    "namespaces:\n  - {{name: default, quota: {{requests.nvidia.com/gpu: {q}}}}}\n"
                );
            }
            if !events.is_empty() {
                y += "events:\n";
                for e in &events {
                    y += &format!("  - {e}\n");
                }
            }
            y += "pools:\n";
            for (i, p) in pools.iter().enumerate() {
                y += &format!("  - {{name: p{i}, {p}}}\n");
            }
            y += "classes:\n";
            for (i, c) in classes.iter().enumerate() {
                y += &format!("  - {{name: c{i}, {c}}}\n");
            }
            // A span longer than the horizon leaves some jobs after it.
            let span = if long_span {
                format!("\n  span: {}h", horizon_h * 2)
            } else {
                String::new()
            };
            y += &format!(
                "workload:\n  kind: synthetic\n  rate_per_hour: {rate}\n  max_jobs: {max_jobs}{span}\n  mix:\n"
            );
            for i in 0..classes.len() {
                y += &format!(
                    "    - {{class: c{i}, weight: {}, duration: {{median: {median_m}m, sigma: {}}}}}\n",
                    i + 1,
                    f64::from(sigma) / 10.0
                );
            }
            y
        })
}

fn load(yaml: &str) -> Loaded {
    Loaded {
        scenario: scenario::parse(yaml, "prop").unwrap_or_else(|e| panic!("{e}\n{yaml}")),
        text: yaml.to_string(),
        source: "prop".into(),
        base_dir: PathBuf::from("."),
    }
}

fn run(loaded: &Loaded) -> (Summary, Vec<JobRecord>) {
    let opts = RunOptions {
        check_invariants: true,
        ..Default::default()
    };
    let mut recs = Vec::new();
    let (summary, _) = run_in_memory(loaded, &opts, &mut |r| {
        recs.push(r.clone());
        Ok(())
    })
    .unwrap_or_else(|e| panic!("run failed: {e}\n{}", loaded.text));
    (summary, recs)
}

/// How many jobs the scenario's synthetic workload produces.
fn workload_jobs(loaded: &Loaded) -> Vec<u64> {
    let sc = &loaded.scenario;
    let WorkloadSpec::Synthetic(spec) = &sc.workload else {
        unreachable!("synthetic only")
    };
    SyntheticJobs::new(spec, sc.seed, sc.horizon.ms())
        .map(|j| j.id)
        .collect()
}

fn batch_classes(loaded: &Loaded) -> BTreeMap<String, bool> {
    loaded
        .scenario
        .classes
        .iter()
        .map(|c| (c.name.clone(), c.kind == JobKind::Batch))
        .collect()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // PROPTEST_CASES=3000 for a longer hunt.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn runs_are_consistent(yaml in scenario_yaml()) {
        let loaded = load(&yaml);
        let (s, recs) = run(&loaded);

        // Every job of the workload ends in exactly one record.
        let mut ids: Vec<u64> = recs.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let expected = workload_jobs(&loaded);
        prop_assert_eq!(&ids, &expected, "records vs workload\n{}", yaml);

        // Counts by state add up, and match the records.
        let j = &s.jobs;
        prop_assert_eq!(j.total, recs.len() as u64);
        prop_assert_eq!(
            j.completed + j.failed + j.unschedulable + j.running + j.pending + j.after_horizon,
            j.total
        );
        for (state, n) in [
            (JobState::Completed, j.completed),
            (JobState::Failed, j.failed),
            (JobState::Unschedulable, j.unschedulable),
            (JobState::Running, j.running),
            (JobState::Pending, j.pending),
            (JobState::AfterHorizon, j.after_horizon),
        ] {
            prop_assert_eq!(recs.iter().filter(|r| r.state == state).count() as u64, n);
        }
        prop_assert_eq!(s.classes.iter().map(|c| c.jobs.total).sum::<u64>(), j.total);

        // Cost: allocated + idle = capacity cost per pool; allocated = what jobs were charged.
        for p in &s.pools {
            prop_assert!(
                close(p.allocated_cost_usd + p.idle_cost_usd, p.cost_usd, 1e-6),
                "pool {} cost {} != {} + {}", p.name, p.cost_usd, p.allocated_cost_usd, p.idle_cost_usd
            );
            prop_assert!(p.idle_cost_usd >= -1e-9 * p.cost_usd.max(1.0), "pool {} idle < 0", p.name);
            for (what, v) in [
                ("allocation", p.allocation),
                ("busy", p.busy),
                ("sm", p.sm_activity),
                ("fragmentation", p.fragmentation),
            ] {
                prop_assert!((0.0..=1.0 + 1e-9).contains(&v), "pool {} {} = {}\n{}", p.name, what, v, yaml);
            }
        }
        // Fragmented capacity is part of the free capacity, which is at most the pool's largest
        // size over the run (resizes change it).
        for p in &s.pools {
            let spec = loaded.scenario.pools.iter().find(|q| q.name == p.name).expect("pool");
            let most_nodes = loaded
                .scenario
                .events
                .iter()
                .filter_map(|e| match e {
                    TimedEvent::Resize { pool, nodes, .. } if *pool == p.name => Some(*nodes),
                    _ => None,
                })
                .fold(spec.nodes, u32::max);
            let most_gpus = f64::from(most_nodes * spec.gpus_per_node);
            prop_assert!(
                p.fragmented_gpus >= 0.0 && p.fragmented_gpus <= most_gpus + 1e-9,
                "pool {} fragmented {}\n{}", p.name, p.fragmented_gpus, yaml
            );
        }
        let charged: f64 = recs.iter().map(|r| r.cost_usd).sum();
        let allocated: f64 = s.pools.iter().map(|p| p.allocated_cost_usd).sum();
        prop_assert!(close(charged, allocated, 1e-6), "jobs {} vs pools {}", charged, allocated);
        prop_assert!(close(s.cost.allocated_usd, allocated, 1e-6));

        // Per-job sanity.
        let batch = batch_classes(&loaded);
        for r in &recs {
            if let Some(w) = r.wait_s {
                prop_assert!(w >= 0.0);
            }
            if let Some(start) = r.start_s {
                prop_assert!(start >= r.submit_s && r.end_s >= start, "{:?}", r);
                let w = r.wait_s.expect("started jobs have a wait");
                prop_assert!((w - (start - r.submit_s)).abs() < 1e-6, "{:?}", r);
            } else {
                prop_assert!(r.end_s >= r.submit_s, "{:?}", r);
                prop_assert_eq!(r.cost_usd, 0.0);
            }
            prop_assert!(r.lost_s >= 0.0 && r.useful_s >= -1e-9, "{:?}", r);
            prop_assert!(r.ooms <= r.failures);
            if r.state == JobState::Completed && batch[&r.class] {
                // A completed batch job has done (at least) its work.
                prop_assert!(r.useful_s >= r.work_s * (1.0 - 1e-9), "{:?}", r);
            }
        }
    }

    /// Conservation of work: a completed batch job delivers exactly its work.
    #[test]
    fn completed_batch_jobs_deliver_exactly_their_work(yaml in scenario_yaml()) {
        let loaded = load(&yaml);
        let (_, recs) = run(&loaded);
        let batch = batch_classes(&loaded);
        for r in recs.iter().filter(|r| r.state == JobState::Completed && batch[&r.class]) {
            prop_assert!(close(r.useful_s, r.work_s, 1e-6) || (r.useful_s - r.work_s).abs() <= 1e-6 * r.work_s,
                "{:?}", r);
        }
    }
}
