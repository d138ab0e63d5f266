//! Shared helpers for the integration tests: build a scenario from YAML plus a native trace
//! written to a temporary directory, run it in memory with invariant checks, and look up
//! job records.
#![allow(dead_code)]

pub mod cli;
pub mod import;

use slicesim::metrics::{JobRecord, JobState};
use slicesim::report::Summary;
use slicesim::run::{RunOptions, run_in_memory};
use slicesim::scenario::{self, Loaded, Severity};
use slicesim::sim::RunResult;
use std::path::PathBuf;
use tempfile::TempDir;

/// A scenario whose `workload` reads `trace.csv` from a temporary directory.
pub struct Fixture {
    pub dir: TempDir,
    pub loaded: Loaded,
}

/// Parses `yaml` and writes `csv` as `trace.csv` next to it (the scenario's base dir).
/// The scenario must validate without errors (warnings are allowed).
pub fn fixture(yaml: &str, csv: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("trace.csv"), csv).expect("write trace");
    let sc = scenario::parse(yaml, "test").unwrap_or_else(|e| panic!("scenario parses: {e}"));
    let base_dir: PathBuf = dir.path().to_path_buf();
    let problems = slicesim::world::check(&sc, yaml, &base_dir);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.to_string())
        .collect();
    assert!(errors.is_empty(), "test scenario is invalid: {errors:#?}");
    let loaded = Loaded {
        scenario: sc,
        text: yaml.to_string(),
        source: "test".into(),
        base_dir,
    };
    Fixture { dir, loaded }
}

pub struct Outcome {
    pub summary: Summary,
    pub result: RunResult,
    pub records: Vec<JobRecord>,
}

impl Outcome {
    /// The record of job `id` (exactly one must exist).
    pub fn job(&self, id: u64) -> &JobRecord {
        let found: Vec<&JobRecord> = self.records.iter().filter(|r| r.id == id).collect();
        assert_eq!(found.len(), 1, "job {id}: expected exactly one record");
        found[0]
    }

    pub fn pool(&self, name: &str) -> &slicesim::report::summary::PoolSummary {
        self.summary
            .pools
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no pool {name}"))
    }

    pub fn class(&self, name: &str) -> &slicesim::report::summary::ClassSummary {
        self.summary
            .classes
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no class {name}"))
    }
}

/// Runs `loaded` in memory with invariant checks on.
pub fn run_with(loaded: &Loaded, opts: RunOptions) -> Outcome {
    let opts = RunOptions {
        check_invariants: true,
        ..opts
    };
    let mut records = Vec::new();
    let (summary, result) = run_in_memory(loaded, &opts, &mut |r| {
        records.push(r.clone());
        Ok(())
    })
    .unwrap_or_else(|e| panic!("run failed: {e}"));
    Outcome {
        summary,
        result,
        records,
    }
}

pub fn run(loaded: &Loaded) -> Outcome {
    run_with(loaded, RunOptions::default())
}

/// `a` equals `b` within `rel` relative error (absolute for values near 0).
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

#[track_caller]
pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        close(actual, expected, 1e-9),
        "{what}: got {actual}, expected {expected}"
    );
}

// Scenarios of one pool `p` and one batch class `c` (sharing_modes.rs, scheduling.rs).

pub const A100_PRICE: f64 = 3.43; // $/GPU-hour, catalog default for A100-80GB
pub const H100_PRICE: f64 = 6.88;

/// One pool `p` of `nodes` x `gpus` GPUs of `model` shared as `sharing`, one batch class `c`.
pub fn one_pool(
    horizon: &str,
    model: &str,
    nodes: u32,
    gpus: u32,
    sharing: &str,
    class: &str,
) -> String {
    format!(
        "name: t
horizon: {horizon}
pools:
  - name: p
    gpu: {model}
    nodes: {nodes}
    gpus_per_node: {gpus}
    sharing: {sharing}
classes:
  - name: c
    kind: batch
    namespace: default
{class}
workload: {{kind: trace, path: trace.csv}}
"
    )
}

pub const WHOLE_GPU_CLASS: &str =
    "    request: {kind: gpu, count: 1}\n    u: 1\n    d: 1\n    mem_gib: 10";

#[track_caller]
pub fn assert_times(o: &Outcome, id: u64, start_s: f64, end_s: f64) {
    let r = o.job(id);
    assert_eq!(r.state, JobState::Completed, "job {id}: {r:?}");
    assert_close(
        r.start_s.expect("started"),
        start_s,
        &format!("job {id} start"),
    );
    assert_close(r.end_s, end_s, &format!("job {id} end"));
    assert_close(
        r.wait_s.expect("waited"),
        start_s - r.submit_s,
        &format!("job {id} wait"),
    );
}

// Helpers for k8s_semantics.rs and k8s_events.rs.

impl Outcome {
    /// The summary row of namespace `name` (namespaces with a ResourceQuota only).
    pub fn namespace(&self, name: &str) -> &slicesim::report::summary::NamespaceSummary {
        self.summary
            .namespaces
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no namespace {name}"))
    }
}

/// Every validation problem of `yaml` (parsed as `test.yaml`), validated in a temporary
/// directory that holds a `trace.csv` (header only).
pub fn problems_of(yaml: &str) -> Vec<slicesim::scenario::Problem> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("trace.csv"), "id,submit,class,duration\n").expect("trace");
    let sc = scenario::parse(yaml, "test.yaml").unwrap_or_else(|e| panic!("parses: {e}"));
    slicesim::world::check(&sc, yaml, dir.path())
}

/// Dollars for holding `share` of one GPU priced `price` $/h for `secs` seconds.
pub fn usd(price: f64, share: f64, secs: f64) -> f64 {
    price * share * secs / 3600.0
}
