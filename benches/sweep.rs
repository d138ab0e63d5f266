//! A 100-point x 3-seed sweep of the built-in week (scenarios/sweeps/bench-sweep.yaml: H100 nodes
//! 1..10 x training fallback 10m..100m), outputs written, at 1 and 2 threads.
//! `cargo bench --bench sweep -- --sample-size 10`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use slicesim::sweep::{SweepOptions, prepare, sweep};
use std::path::Path;
use std::time::Duration;

fn sweeps(c: &mut Criterion) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/bench-sweep.yaml");
    let prep = prepare(&file, &[])
        .map_err(|e| e.0)
        .expect("the bench sweep is valid");
    assert_eq!(prep.plan.points.len() * prep.plan.seeds.len(), 300);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("sweep");
    let mut g = c.benchmark_group("sweep");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(60));
    for jobs in [1, 2] {
        let opts = SweepOptions {
            jobs: Some(jobs),
            keep_runs: false,
        };
        g.bench_function(format!("100x3-jobs-{jobs}"), |b| {
            b.iter(|| {
                let o = sweep(&prep, &opts, &out, &|_, _| {}).expect("sweep runs");
                std::hint::black_box(o.points.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
