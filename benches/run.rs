//! Whole runs in memory (no output files): the built-in seed-strategy week, the 100k-job,
//! 1,000-GPU mixed-pool scenario, and the 1M-job, 10,000-GPU one both generated on the fly and
//! replayed from a native CSV trace (written once to a temporary file, then streamed); and,
//! with fewer jobs than committed, the overloaded cluster with preemption (`bench-overload`,
//! 20,000 jobs) and the 100,000-GPU fleet (`bench-100k-gpus`, 100,000 jobs); and the same
//! overloaded cluster where costs once grew with the number of waiting jobs: a class with a
//! fallback pool (preemptors waiting for their victims) and namespace quotas that hold jobs
//! (`quota_admission: queue`), each 20,000 jobs.
//! Throughput is in simulated events.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slicesim::run::{
    RunOptions, WorkloadOverrides, apply_workload_overrides, load_profile, run_in_memory,
};
use slicesim::scenario::schema::WorkloadSpec;
use slicesim::scenario::{self, Loaded};
use slicesim::sweep::{Override, apply_to_loaded};
use std::hint::black_box;
use std::path::Path;

fn events_of(loaded: &Loaded) -> u64 {
    let (_, r) = run_in_memory(loaded, &RunOptions::default(), &mut |_| Ok(())).expect("runs");
    r.events
}

fn bench_scenario(c: &mut Criterion, name: &str, loaded: Loaded, samples: usize) {
    let mut g = c.benchmark_group("run");
    g.sample_size(samples);
    g.throughput(Throughput::Elements(events_of(&loaded)));
    g.bench_function(name, |b| {
        b.iter(|| {
            let (s, _) = run_in_memory(&loaded, &RunOptions::default(), &mut |r| {
                black_box(r);
                Ok(())
            })
            .expect("runs");
            black_box(s.jobs.total)
        })
    });
    g.finish();
}

/// A committed scenario with its synthetic workload capped at `jobs` jobs.
fn capped(name: &str, jobs: u64) -> Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let mut loaded = scenario::load(&path).expect("bench scenario");
    match &mut loaded.scenario.workload {
        WorkloadSpec::Synthetic(s) => s.max_jobs = Some(jobs),
        WorkloadSpec::Trace(_) => panic!("{name}: a synthetic workload was expected"),
    }
    loaded
}

/// `loaded` with `--set` overrides applied.
fn with_sets(mut loaded: Loaded, sets: &[&str]) -> Loaded {
    let sets: Vec<Override> = (sets.iter())
        .map(|s| Override::parse(s).expect("override"))
        .collect();
    apply_to_loaded(&mut loaded, &sets).expect("overrides apply");
    loaded
}

fn runs(c: &mut Criterion) {
    bench_scenario(c, "seed-strategy-week", scenario::builtin(), 20);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-100k.yaml");
    bench_scenario(
        c,
        "bench-100k",
        scenario::load(&path).expect("bench scenario"),
        10,
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-1m.yaml");
    let loaded = scenario::load(&path).expect("bench scenario");
    bench_scenario(c, "bench-1m", loaded.clone(), 10);
    // The same jobs from a file: what replaying a trace of a million jobs costs.
    let dir = tempfile::tempdir().expect("temp dir");
    let trace = dir.path().join("bench-1m.csv");
    let spec = load_profile(&path).expect("profile");
    slicesim::workload::fit::generate(&spec, 1.0, loaded.scenario.seed, None, &trace)
        .expect("trace written");
    let mut replay = loaded;
    apply_workload_overrides(
        &mut replay,
        &WorkloadOverrides {
            trace: Some(trace),
            ..Default::default()
        },
    )
    .expect("override");
    bench_scenario(c, "bench-1m-replay-csv", replay, 10);
    // Demand beyond capacity: every unschedulable pod may try preemption.
    bench_scenario(
        c,
        "bench-overload-20k",
        capped("bench-overload", 20_000),
        10,
    );
    // Preemption with a fallback pool, and quota hold queues: once quadratic in the waiting
    // jobs (README "Speed").
    bench_scenario(
        c,
        "bench-overload-fallback-20k",
        with_sets(
            capped("bench-overload", 20_000),
            &["classes.train.fallback_after=30m"],
        ),
        10,
    );
    bench_scenario(
        c,
        "bench-overload-quota-queue-20k",
        with_sets(
            capped("bench-overload", 20_000),
            &[
                "scheduler.quota_admission=queue",
                "namespaces=[{name: ml, quota: {requests.nvidia.com/gpu: 600}}, \
                 {name: res, quota: {requests.nvidia.com/gpu: 800, \
                 requests.nvidia.com/gpu.shared: 400}}, {name: prod}]",
            ],
        ),
        10,
    );
    // 100,000 GPUs: per-event cost should not grow with the fleet.
    bench_scenario(
        c,
        "bench-100k-gpus-100k",
        capped("bench-100k-gpus", 100_000),
        10,
    );
}

criterion_group!(benches, runs);
criterion_main!(benches);
