//! Whole runs in memory (no output files): the built-in seed-strategy week, the 100k-job,
//! 1,000-GPU mixed-pool scenario, and the 1M-job, 10,000-GPU one both generated on the fly and
//! replayed from a native CSV trace (written once to a temporary file, then streamed); and,
//! with fewer jobs than committed, the overloaded cluster with preemption (`bench-overload`,
//! 20,000 jobs) and the 100,000-GPU fleet (`bench-100k-gpus`, 100,000 jobs).
//! Throughput is in simulated events.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slicesim::run::{
    RunOptions, WorkloadOverrides, apply_workload_overrides, load_profile, run_in_memory,
};
use slicesim::scenario::schema::WorkloadSpec;
use slicesim::scenario::{self, Loaded};
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
