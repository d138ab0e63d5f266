//! The bare event loop: pop one event, push one, with N events waiting. This is the ceiling any
//! model built on the engine can reach.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::RngExt;
use slicesim::engine::{EventQueue, stream};
use std::hint::black_box;

#[derive(Clone, Copy)]
enum Ev {
    Tick(u32),
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine_hold");
    const OPS: u64 = 100_000;
    g.throughput(Throughput::Elements(OPS));
    for &waiting in &[100usize, 1_000, 10_000, 100_000] {
        g.bench_with_input(
            BenchmarkId::from_parameter(waiting),
            &waiting,
            |b, &waiting| {
                let mut rng = stream(1, "bench");
                b.iter_batched(
                    || {
                        let mut q = EventQueue::new();
                        for i in 0..waiting {
                            q.schedule(rng.random_range(0..1_000_000u64), Ev::Tick(i as u32));
                        }
                        q
                    },
                    |mut q| {
                        let mut r = stream(2, "hold");
                        for _ in 0..OPS {
                            let (t, Ev::Tick(x)) = q.pop().expect("never empty");
                            q.schedule(t + r.random_range(1..1_000_000u64), Ev::Tick(x));
                        }
                        black_box(q.len())
                    },
                    criterion::BatchSize::LargeInput,
                );
            },
        );
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
