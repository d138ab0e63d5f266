//! The FGD (ATC'23) openb experiment on the real trace files, when `../shared/traces/openb` is
//! present (otherwise each test prints a notice and returns): the spec's sanity checks and the
//! command end to end.

use slicesim::experiments::fgd::batch::{
    RunSummary, complete, run_all, run_list, write_result_files,
};
use slicesim::experiments::fgd::model::ClusterSpec;
use slicesim::experiments::fgd::{Policy, Workload, run_one};
use slicesim::trace::openb::read_nodes;
use std::path::PathBuf;
use std::process::Command;

fn openb() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/openb");
    if dir.join("openb_node_list_gpu_node.csv").exists() {
        Some(dir)
    } else {
        eprintln!(
            "notice: {} is absent; skipping the openb experiment test",
            dir.display()
        );
        None
    }
}

fn cluster(dir: &std::path::Path) -> ClusterSpec {
    let path = dir.join("openb_node_list_gpu_node.csv");
    ClusterSpec::from_openb(&read_nodes(&path).unwrap(), "nodes").unwrap()
}

fn workload(dir: &std::path::Path, c: &ClusterSpec, name: &str) -> Workload {
    Workload::load(&dir.join(format!("openb_pod_list_{name}.csv")), c).unwrap()
}

#[test]
fn cluster_totals_match_the_spec() {
    let Some(dir) = openb() else { return };
    let c = cluster(&dir);
    assert_eq!(c.nodes.len(), 1213);
    assert_eq!(c.total_gpus(), 6212);
    assert_eq!(c.nodes.iter().map(|n| n.cpu).sum::<u64>(), 107_018_000);
    assert_eq!(c.nodes.iter().map(|n| n.mem).sum::<u64>(), 503_828_480);
    // Sorted by name.
    assert!(c.nodes.windows(2).all(|w| w[0].name < w[1].name));
}

#[test]
fn typical_sets_match_the_spec() {
    let Some(dir) = openb() else { return };
    let c = cluster(&dir);
    // (workload, all classes, typical classes) from the spec §5.1.1.
    for (name, all, typical) in [
        ("default", 91, 35),
        ("gpuspec33", 330, 127),
        ("cpu250", 91, 34),
        ("multigpu50", 91, 43),
        ("gpushare100", 49, 21),
    ] {
        let w = workload(&dir, &c, name);
        assert_eq!(w.typical.all_classes, all, "{name}");
        assert_eq!(w.typical.classes.len(), typical, "{name}");
        let p: f64 = w
            .typical
            .classes
            .iter()
            .map(|k| k.count as f64 / w.typical.weight() as f64)
            .sum();
        assert!((p - 1.0).abs() < 1e-12);
    }
    let w = workload(&dir, &c, "default");
    // 95.26 % coverage.
    assert_eq!(
        (10_000.0 * w.typical.coverage()).round() / 100.0,
        95.26,
        "coverage"
    );
    // The default file requests 97.98 % of the cluster's GPU.
    assert_eq!(
        (10_000.0 * w.gpu_request() as f64 / c.gpu_milli as f64).round() / 100.0,
        97.98
    );
}

#[test]
fn allocation_equals_arrived_until_the_first_failure_and_random_fails_first() {
    let Some(dir) = openb() else { return };
    let c = cluster(&dir);
    let w = workload(&dir, &c, "default");
    let target = 1.3 * c.gpu_milli as f64;
    let mut firsts = Vec::new();
    let mut sequence = None;
    for policy in Policy::ALL {
        let out = run_one(&c, &w, policy, 42, 1.3);
        // Same sequence for every policy of a seed.
        match &sequence {
            None => sequence = Some(out.sequence.clone()),
            Some(s) => assert_eq!(s, &out.sequence, "{policy:?}"),
        }
        // About 10.8 k pods; the last arrival is within one GPU of 130 % (the stop rule).
        assert!((10_500..11_200).contains(&out.records.len()));
        let last = out.records.last().unwrap().arrived_milli as f64;
        assert!(last <= target && last > target - 1000.0, "{last}");
        let first = out.first_failure.expect("something fails at 130 %");
        for r in &out.records[..first] {
            assert_eq!(r.used_milli, r.arrived_milli, "{policy:?}");
        }
        assert!(out.records[first].used_milli < out.records[first].arrived_milli);
        // Allocation never decreases (no departures).
        assert!(
            out.records
                .windows(2)
                .all(|x| x[0].used_milli <= x[1].used_milli)
        );
        // The discretised allocation before the failure equals the bucket's mean arrived %
        // (about x), and every column is filled.
        let r = RunSummary::of(
            slicesim::experiments::fgd::batch::RunKey {
                workload: 0,
                policy,
                seed: 42,
            },
            &out,
            &c,
        );
        assert!(complete(&r.curves), "{policy:?}");
        let fail_pct = r.first_failure_pct.unwrap();
        for x in 1..(fail_pct.floor() as usize - 1) {
            let a = r.curves.alloc[x].unwrap();
            assert!((a - x as f64).abs() <= 0.5, "{policy:?} column {x}: {a}");
        }
        firsts.push((policy, fail_pct));
    }
    let random = firsts[0].1;
    for &(p, f) in &firsts[1..] {
        assert!(random < f, "Random fails first: {random} vs {p:?} {f}");
        // The deterministic policies keep up until about 90 % arrived.
        assert!(f > 85.0, "{p:?} first fails at {f}");
    }
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let Some(dir) = openb() else { return };
    let c = cluster(&dir);
    let ws = vec![workload(&dir, &c, "gpushare100")];
    let keys = run_list(1, &[Policy::Fgd, Policy::Random], &[42, 43]);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let results = pool
            .install(|| run_all(&c, &ws, &keys, 1.3, |_, _| Ok(())))
            .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        write_result_files(tmp.path(), &ws, &results, 1.3, c.total_gpus()).unwrap();
        [
            "analysis_allo_discrete.csv",
            "analysis_frag_discrete.csv",
            "analysis_frag_ratio_discrete.csv",
        ]
        .map(|f| std::fs::read(tmp.path().join(f)).unwrap())
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn the_command_writes_the_artifact_layout() {
    let Some(dir) = openb() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["experiment", "fgd", "--pods"])
        .arg(dir.join("openb_pod_list_default.csv"))
        .args(["--policy", "fgd", "--tune", "1.3", "--seed", "42", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("typical pods: 35 classes of 91"),
        "{stdout}"
    );
    let alloc = std::fs::read_to_string(tmp.path().join("analysis_allo_discrete.csv")).unwrap();
    let lines: Vec<&str> = alloc.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("workload,sc_policy,tune,seed,total_gpus,0,1,2,"));
    assert!(lines[1].starts_with("openb_pod_list_default,06-FGD,1.3,42,6212,"));
    assert_eq!(lines[1].split(',').count(), 136);
    let frag = std::fs::read_to_string(tmp.path().join("analysis_frag_discrete.csv")).unwrap();
    assert!(frag.starts_with("workload,sc_policy,tune,seed,0,"));
    let records =
        std::fs::read_to_string(tmp.path().join("records/openb_pod_list_default-fgd-42.csv"))
            .unwrap();
    assert!(records.lines().count() > 10_000);
    // A bad policy name is an error that lists the known ones.
    let bad = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["experiment", "fgd", "--pods"])
        .arg(dir.join("openb_pod_list_default.csv"))
        .args(["--policy", "tetris", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown policy `tetris`"));
}
