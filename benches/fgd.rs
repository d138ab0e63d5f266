//! FGD scoring: node fragmentation W·F(n) and the FGD score of one node for one pod, on a
//! synthetic typical set shaped like the openb default trace's (35 classes); and, when
//! `../shared/traces/openb` is present, one whole default-trace run per policy.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slicesim::experiments::fgd::frag::{FragTable, Typical, TypicalClass};
use slicesim::experiments::fgd::model::{ClusterSpec, Models, NodeSpec, NodeState, WorkloadPod};
use slicesim::experiments::fgd::policy::fgd_node_score;
use slicesim::experiments::fgd::{Policy, Workload, run_one};
use slicesim::trace::openb::read_nodes;
use std::hint::black_box;
use std::path::Path;

/// 35 classes: CPU-only, sharing (many shares) and whole 1/2/4/8-GPU classes.
fn typical() -> Typical {
    let mut classes = Vec::new();
    let shares = [
        810u32, 470, 320, 650, 230, 500, 250, 100, 440, 720, 150, 300,
    ];
    for (i, &m) in shares.iter().enumerate() {
        for cpu in [4000u64, 8000] {
            classes.push(TypicalClass {
                cpu,
                milli: m,
                k: 1,
                spec: String::new(),
                types: u64::MAX,
                count: 200 - 10 * i as u64,
            });
        }
    }
    for (k, cpu) in [
        (1u32, 12000u64),
        (1, 8000),
        (2, 16000),
        (4, 32000),
        (8, 64000),
    ] {
        classes.push(TypicalClass {
            cpu,
            milli: 1000,
            k,
            spec: String::new(),
            types: u64::MAX,
            count: 300 / u64::from(k),
        });
    }
    for cpu in [1000u64, 2000, 4000, 8000, 16000, 32000] {
        classes.push(TypicalClass {
            cpu,
            milli: 0,
            k: 0,
            spec: String::new(),
            types: u64::MAX,
            count: 80,
        });
    }
    Typical {
        all_classes: classes.len(),
        pods: classes.iter().map(|c| c.count).sum(),
        classes,
    }
}

fn scoring(c: &mut Criterion) {
    let models = Models {
        names: vec!["G2".into()],
    };
    let ft = FragTable::new(&typical(), &models);
    let mut node = NodeState::new(&NodeSpec {
        name: "n".into(),
        cpu: 96_000,
        mem: 393_216,
        gpus: 8,
        model: 0,
    });
    // A partly used 8-GPU node: five distinct free values.
    node.gpu_left[..8].copy_from_slice(&[1000, 1000, 530, 190, 1000, 0, 680, 350]);
    node.cpu_left = 60_000;
    let before = ft.of(&node);
    let pod = |milli, k| WorkloadPod {
        name: "p".into(),
        cpu: 4000,
        mem: 0,
        milli,
        k,
        spec: String::new(),
        types: u64::MAX,
    };
    let mut g = c.benchmark_group("fgd");
    g.throughput(Throughput::Elements(1));
    g.bench_function("node_frag_8gpu_35_classes", |b| {
        b.iter(|| black_box(ft.of(black_box(&node))))
    });
    let share = pod(320, 1);
    g.bench_function("score_sharing_pod_8gpu", |b| {
        b.iter(|| black_box(fgd_node_score(&ft, black_box(&node), before, &share)))
    });
    let whole = pod(1000, 2);
    g.bench_function("score_2gpu_pod_8gpu", |b| {
        b.iter(|| black_box(fgd_node_score(&ft, black_box(&node), before, &whole)))
    });
    g.finish();
}

fn default_runs(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/openb");
    let nodes = dir.join("openb_node_list_gpu_node.csv");
    if !nodes.exists() {
        eprintln!("notice: {} absent; skipping whole runs", dir.display());
        return;
    }
    let cluster = ClusterSpec::from_openb(&read_nodes(&nodes).unwrap(), "nodes").unwrap();
    let w = Workload::load(&dir.join("openb_pod_list_default.csv"), &cluster).unwrap();
    let mut g = c.benchmark_group("fgd_default_run");
    g.sample_size(10);
    for policy in [Policy::Fgd, Policy::BestFit, Policy::Random] {
        g.bench_function(policy.name(), |b| {
            b.iter(|| black_box(run_one(&cluster, &w, policy, 42, 1.3).records.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, scoring, default_runs);
criterion_main!(benches);
