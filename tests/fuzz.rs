//! A deterministic mutation fuzzer over the project's own inputs (issue 14): every committed
//! scenario (`scenarios/**/*.yaml`), trace (`traces/`), Kubernetes/NVIDIA configuration
//! (`scenarios/k8s/`) and a small sample of each public trace format and of an openb node list
//! are mutated (bytes flipped, values swapped for absurd ones, lines cut, doubled or removed) and
//! fed in-process to the parsers and to `validate`, `run`, `import` and the `trace` commands'
//! library calls.
//!
//! It asserts: no panic; no allocation over [`BUDGET`] (a counting allocator refuses it and the
//! process aborts naming the case); no case running for [`HANG_S`] seconds (a watchdog aborts
//! naming it); and errors name the file (and, for parse errors of a scenario, the line).
//!
//! `cargo test --test fuzz` runs [`CI_CASES`] cases (about 35 s in a debug build on two cores);
//! `FUZZ_CASES=200000 cargo test --release --test fuzz -- --ignored` as many as asked, with
//! `FUZZ_SEED=n` for another deterministic stream.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use slicesim::scenario::k8s::{ImportInputs, Input};
use slicesim::scenario::schema::WorkloadSpec;
use slicesim::trace::ImportMap;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Largest single allocation and largest live total (bytes) a case may ask for.
const BUDGET: usize = 1 << 30;
/// Cases in the normal test run.
const CI_CASES: u32 = 4_000;
/// A case still running after this long is a hang.
const HANG_S: u64 = 60;

/// The system allocator, refusing any request that would take the live total over [`BUDGET`].
struct Budgeted;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static OVER: AtomicBool = AtomicBool::new(false);

unsafe impl GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if LIVE.load(Ordering::Relaxed) + layout.size() > BUDGET {
            OVER.store(true, Ordering::SeqCst);
            report_over_budget();
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Budgeted = Budgeted;

/// How far cases got: [parse error, invalid, valid, ran, trace read, trace refused, k8s].
static REACHED: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

fn reached(i: usize) {
    REACHED[i].fetch_add(1, Ordering::Relaxed);
}

/// The case being run, for the abort messages (kept without allocating in the allocator).
static CASE: Mutex<String> = Mutex::new(String::new());
static CASE_START: AtomicU64 = AtomicU64::new(0);

/// Says which case went over the budget, without allocating, before the process aborts.
fn report_over_budget() {
    let msg =
        b"\nfuzz: an allocation over the memory budget; the case is in target/fuzz-case.txt\n";
    // SAFETY: write(2) of a static buffer to stderr.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

fn epoch() -> &'static Instant {
    static T: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    T.get_or_init(Instant::now)
}

/// Aborts the process, naming the case, if one runs for [`HANG_S`] seconds.
fn start_watchdog() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        epoch();
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let start = CASE_START.load(Ordering::SeqCst);
                let now = epoch().elapsed().as_secs();
                if start > 0 && now.saturating_sub(start) > HANG_S {
                    let case = CASE.lock().map(|c| c.clone()).unwrap_or_default();
                    eprintln!("fuzz: a case ran for more than {HANG_S} s:\n{case}");
                    std::process::abort();
                }
            }
        });
    });
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Scenario,
    Trace,
    NodeList,
    K8sNodes,
    DevicePlugin,
    MigParted,
    Manifests,
}

struct Seed {
    name: String,
    kind: Kind,
    text: Vec<u8>,
}

/// Every committed scenario, trace and configuration, and a sample of each public format.
fn corpus() -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add = |name: &str, kind: Kind, text: Vec<u8>| {
        out.push(Seed {
            name: name.to_string(),
            kind,
            text,
        })
    };
    let mut files: Vec<PathBuf> = glob::glob(&format!("{}/scenarios/**/*", root().display()))
        .unwrap()
        .chain(glob::glob(&format!("{}/traces/*", root().display())).unwrap())
        .chain(glob::glob(&format!("{}/tests/fixtures/fleet/*", root().display())).unwrap())
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for p in files {
        let name = p.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read(&p).unwrap();
        let kind = match name.as_str() {
            n if n.starts_with("traces/") => Kind::Trace,
            n if n.ends_with("nodes.json") => Kind::K8sNodes,
            n if n.contains("device-plugin") => Kind::DevicePlugin,
            n if n.contains("mig-parted") || n.contains("mig-manager") => Kind::MigParted,
            n if n.contains("cluster-policy") => Kind::Manifests,
            n if n.ends_with(".yaml") => Kind::Scenario,
            _ => continue,
        };
        add(&name, kind, text);
    }
    let samples: [(&str, Kind, &str); 10] = [
        (
            "philly.csv",
            Kind::Trace,
            "timestamp,duration,num_gpus,gpu_time,cluster\n\
             2017-10-09 07:01:55,66.0,1,66.0,11cb48\n\
             2017-10-09 06:13:03,2951.5,4,11806.0,6214e9\n\
             2017-10-09 06:20:00,120,1,0,6214e9\n\
             2017-10-09 06:25:00,600,16,9600,6214e9\n",
        ),
        (
            "gang.csv",
            Kind::Trace,
            "id,submit,class,gpus,duration\n\
             0,0,training,8,3600\n\
             1,60,training,4x8,7200\n\
             2,90,training,2X1,60\n",
        ),
        (
            "openb_pod_list.csv",
            Kind::Trace,
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
             openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12000,10\n\
             openb-pod-0001,6000,8192,1,460,V100M16|V100M32,BE,Succeeded,30,9000,31\n\
             openb-pod-0002,88000,327680,8,1000,,Burstable,Failed,60,600000,70\n\
             openb-pod-0003,4000,4096,0,0,,BE,Pending,90,,\n",
        ),
        (
            "azure_llm.csv",
            Kind::Trace,
            "TIMESTAMP,ContextTokens,GeneratedTokens\n\
             2023-11-16 18:15:46.6805900,374,44\n\
             2023-11-16 18:15:50.9951690,396,109\n\
             2023-11-16 18:17:03.9799600,879,15\n",
        ),
        (
            "openb_node_list.csv",
            Kind::NodeList,
            "sn,cpu_milli,memory_mib,gpu,model\n\
             openb-node-0000,64000,262144,2,P100\n\
             openb-node-0001,96000,786432,8,G2\n\
             openb-node-0002,32000,131072,0,\n\
             openb-node-0003,96000,786432,8,A100-SXM4-80GB\n",
        ),
        (
            "import-map.yaml",
            Kind::Scenario,
            "name: m\nhorizon: 1d\npools:\n  - {name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 8, \
             sharing: {kind: time_slicing, replicas: 4}}\nclasses:\n  - {name: llm, pools: [p], \
             request: {gpus: 1}}\nworkload:\n  kind: trace\n  path: ../traces/small-mixed.csv\n  \
             map:\n    azure_llm: {window: 60s, replicas: 2}\n    openb: {untimed_interval: 10s}\n",
        ),
        (
            "mps.yaml",
            Kind::Scenario,
            "name: m\nhorizon: 1h\npools:\n  - {name: p, gpu: H100-80GB, nodes: 1, gpus_per_node: 2, \
             sharing: {kind: mps, replicas: 4}}\nclasses:\n  - {name: c, kind: batch, namespace: d, \
             request: {kind: gpu, count: 1}, u: 0.5, d: 0.5, b: 0.3, mem_gib: 10}\nworkload:\n  \
             kind: synthetic\n  rate_per_hour: 20\n  mix: [{class: c, weight: 1, duration: {median: 5m, sigma: 0.5}}]\n",
        ),
        (
            "mig-ts.yaml",
            Kind::Scenario,
            "name: m\nhorizon: 1h\npools:\n  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 2, \
             sharing: {kind: mig, layout: [4g.40gb, 3g.40gb], replicas: {3g.40gb: 3}}}\nclasses:\n  \
             - {name: c, kind: batch, namespace: d, request: {kind: mig, profile: 3g.40gb, count: 1}, \
             u: 0.5, d: 0.5, mem_gib: 10}\nworkload:\n  kind: synthetic\n  rate_per_hour: 20\n  \
             mix: [{class: c, weight: 1, duration: {median: 5m, sigma: 0.5}}]\n",
        ),
        (
            "device-plugin-mps.yaml",
            Kind::DevicePlugin,
            "version: v1\nflags:\n  migStrategy: mixed\nsharing:\n  mps:\n    failRequestsGreaterThanOne: true\n    \
             resources:\n      - name: nvidia.com/gpu\n        replicas: 4\n  timeSlicing:\n    resources:\n      \
             - name: nvidia.com/mig-1g.10gb\n        replicas: 3\n",
        ),
        (
            "cpu-memory.yaml",
            Kind::Scenario,
            "name: cm\nhorizon: 1h\npools:\n  - {name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 8, \
             cpu: 95500m, memory: 512Gi, sharing: {kind: exclusive}}\nclasses:\n  - {name: c, kind: batch, \
             namespace: n, request: {kind: gpu, count: 1}, cpu: 8, memory: 64Gi, u: 1, d: 1, mem_gib: 1}\n  \
             - {name: e, kind: service, namespace: n, request: {kind: gpu, count: 0}, cpu: 500m, \
             memory: 1e9, u: 1, d: 1, mem_gib: 0}\nworkload: {kind: synthetic, rate_per_hour: 20, mix: \
             [{class: c, weight: 1, duration: {median: 10m, sigma: 0.5}}, {class: e, weight: 1, \
             duration: {median: 10m, sigma: 0.5}}]}\n",
        ),
    ];
    for (name, kind, text) in samples {
        add(name, kind, text.as_bytes().to_vec());
    }
    out
}

/// Values that have broken parsers before: huge, negative, non-finite, far dates, YAML tricks.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1000000000",
    "536870913",
    "4294967296",
    "18446744073709551615",
    "9223372036854775807",
    "1e308",
    "NaN",
    "inf",
    "-0.0",
    "3973.0000000000005",
    "9999-12-31 23:59:59",
    "0023-11-16 18:00:00",
    "100000000d",
    "1ms",
    "~",
    "null",
    "''",
    "\"",
    "---\n",
    ": ",
    "- ",
    "{",
    "[",
    "&a",
    "*a",
    "<<: *a",
    "\n",
    ",",
    ",,,,",
    "\u{feff}",
    "500m",
    "64Gi",
    "1e30",
    "\u{0}",
    "é",
];

/// One mutation of the text.
#[derive(Clone, Debug)]
enum Op {
    /// Replace the n-th number in the text with a token.
    Number(usize, usize),
    /// Insert a token at a position.
    Insert(usize, usize),
    /// Flip one bit of one byte.
    Flip(usize, u8),
    /// Remove up to 32 bytes.
    Delete(usize, usize),
    /// Repeat a line.
    DupLine(usize),
    /// Cut the text.
    Truncate(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, b)| Op::Number(a, b)),
        2 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, b)| Op::Insert(a, b)),
        2 => (any::<usize>(), 0..8u8).prop_map(|(a, b)| Op::Flip(a, b)),
        1 => (any::<usize>(), 1..32usize).prop_map(|(a, b)| Op::Delete(a, b)),
        1 => any::<usize>().prop_map(Op::DupLine),
        1 => any::<usize>().prop_map(Op::Truncate),
    ]
}

fn apply(text: &mut Vec<u8>, op: &Op) {
    let n = text.len().max(1);
    match *op {
        Op::Number(k, t) => {
            let mut spans = Vec::new();
            let mut i = 0;
            while i < text.len() {
                if text[i].is_ascii_digit() {
                    let s = i;
                    while i < text.len() && (text[i].is_ascii_digit() || text[i] == b'.') {
                        i += 1;
                    }
                    spans.push((s, i));
                } else {
                    i += 1;
                }
            }
            if let Some(&(s, e)) = spans.get(k % spans.len().max(1)) {
                text.splice(s..e, TOKENS[t].bytes());
            }
        }
        Op::Insert(p, t) => {
            let p = p % (text.len() + 1);
            text.splice(p..p, TOKENS[t].bytes());
        }
        Op::Flip(p, b) => {
            if !text.is_empty() {
                text[p % n] ^= 1 << b;
            }
        }
        Op::Delete(p, len) => {
            let p = p % n;
            let e = (p + len).min(text.len());
            if p < e {
                text.drain(p..e);
            }
        }
        Op::DupLine(k) => {
            let lines: Vec<usize> = std::iter::once(0)
                .chain(
                    text.iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .filter(|&i| i < text.len())
                .collect();
            if let Some(&s) = lines.get(k % lines.len().max(1)) {
                let e = text[s..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(text.len(), |x| s + x + 1);
                let line = text[s..e].to_vec();
                text.splice(s..s, line);
            }
        }
        Op::Truncate(p) => text.truncate(p % n),
    }
}

/// Runs every entry point that takes this kind of input; Err names what went wrong.
fn exercise(kind: Kind, name: &str, text: &[u8], dir: &Path) -> Result<(), String> {
    match kind {
        Kind::Scenario => scenario(name, &String::from_utf8_lossy(text)),
        Kind::Trace | Kind::NodeList => trace(kind, text, dir),
        Kind::K8sNodes | Kind::DevicePlugin | Kind::MigParted | Kind::Manifests => {
            k8s(kind, &String::from_utf8_lossy(text))
        }
    }
}

/// Parse, validate, and (for small synthetic workloads) build the world and run it briefly.
fn scenario(name: &str, text: &str) -> Result<(), String> {
    let source = "fuzz.yaml";
    let mut sc = match slicesim::scenario::parse(text, source) {
        Ok(sc) => sc,
        Err(e) => {
            reached(0);
            return (e.starts_with(source) && e.contains("line "))
                .then_some(())
                .ok_or(format!("a parse error without file and line: {e}"));
        }
    };
    // Relative trace paths resolve from the seed's folder.
    let base = root()
        .join(name)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let problems = slicesim::world::check(&sc, text, &base);
    if problems
        .iter()
        .any(|p| p.severity == slicesim::scenario::validate::Severity::Error)
    {
        reached(1);
        return Ok(());
    }
    reached(2);
    let WorkloadSpec::Synthetic(spec) = &mut sc.workload else {
        return Ok(());
    };
    // A short run: at most 300 jobs over at most two days on at most 4 096 GPUs.
    spec.max_jobs = Some(spec.max_jobs.unwrap_or(300).min(300));
    sc.horizon = slicesim::units::Dur(sc.horizon.ms().min(2 * 86_400_000));
    let gpus: u64 = sc
        .pools
        .iter()
        .map(|p| u64::from(p.nodes) * u64::from(p.gpus_per_node))
        .sum();
    if gpus > 4_096 {
        return Ok(());
    }
    let loaded = slicesim::scenario::Loaded {
        scenario: sc,
        text: text.to_string(),
        source: source.into(),
        base_dir: base,
    };
    let world = slicesim::run::world(&loaded, &Default::default())?;
    let (jobs, _) = slicesim::run::job_source(&loaded, world.seed)?;
    let mut sink = |_: &slicesim::metrics::JobRecord| Ok(());
    let _ = slicesim::sim::Simulation::new(world, Box::new(jobs.take(300)), &mut sink).run();
    reached(3);
    Ok(())
}

/// A trace file: detect, import, stream, stats, fit, convert; a node list: pools.
fn trace(kind: Kind, text: &[u8], dir: &Path) -> Result<(), String> {
    let path = dir.join("fuzz.csv");
    std::fs::write(&path, text).unwrap();
    let names_file = |e: &str| -> Result<(), String> {
        e.contains("fuzz.csv")
            .then_some(())
            .ok_or_else(|| format!("an error that does not name the file: {e}"))
    };
    let map = ImportMap::default();
    if kind == Kind::NodeList {
        let sharing = slicesim::domain::Sharing::Fractional;
        match slicesim::scenario::k8s::openb_nodes::pools_from_nodes(&path, &sharing, false) {
            Ok((p, _)) => {
                slicesim::scenario::k8s::openb_nodes::pools_yaml(&p, "fuzz.csv")?;
            }
            Err(e) => names_file(&e.to_string())?,
        }
        return Ok(());
    }
    match slicesim::trace::import::open(&path, None, &map, false) {
        Ok(opened) => {
            reached(4);
            let jobs: Vec<_> = opened.into_jobs().take(100_000).collect();
            let ok: Vec<_> = jobs
                .iter()
                .filter_map(|j| j.as_ref().ok())
                .cloned()
                .collect();
            for j in &jobs {
                if let Err(e) = j {
                    names_file(&e.to_string())?;
                }
            }
            let _ = slicesim::workload::fit::fit(&ok, None);
        }
        Err(e) => {
            reached(5);
            names_file(&e.to_string())?
        }
    }
    if let Err(e) = slicesim::workload::stats::of_file(&path, None, &map, false) {
        names_file(&e)?;
    }
    let out = dir.join("out.csv");
    if let Err(e) = slicesim::trace::import::convert(&path, None, &map, false, &out) {
        names_file(&e)?;
    }
    Ok(())
}

/// A Kubernetes / NVIDIA configuration through `import`.
fn k8s(kind: Kind, text: &str) -> Result<(), String> {
    let input = Input {
        name: "fuzz.cfg".into(),
        text: text.to_string(),
    };
    // The mutated file beside the committed other ones, so that each is read with the others
    // (a node's GPU count drives the mig-parted and device-plugin lookups).
    let committed = |file: &str| Input {
        name: file.to_string(),
        text: std::fs::read_to_string(root().join("scenarios/k8s").join(file)).unwrap(),
    };
    let mut inputs = ImportInputs {
        nodes: Some(committed("nodes.json")),
        device_plugin: Some(committed("device-plugin-config.yaml")),
        mig_parted: Some(committed("mig-parted-config.yaml")),
        ..Default::default()
    };
    match kind {
        Kind::K8sNodes => inputs.nodes = Some(input),
        Kind::DevicePlugin => inputs.device_plugin = Some(input),
        Kind::MigParted => inputs.mig_parted = Some(input),
        _ => inputs.manifests.push(input),
    }
    reached(6);
    if let Err(e) = slicesim::scenario::k8s::import(&inputs) {
        for m in &e.errors {
            if !m.contains("fuzz.cfg") && !m.contains(".json") && !m.contains(".yaml") {
                return Err(format!("an error that does not name the file: {m}"));
            }
        }
    }
    Ok(())
}

fn fuzz(cases: u32, seed: u64) {
    start_watchdog();
    let corpus = corpus();
    assert!(corpus.len() >= 15, "{} seeds", corpus.len());
    let dir = tempfile::tempdir().unwrap();
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let strategy = (0..corpus.len(), prop::collection::vec(op(), 1..4));
    let result = runner.run(&strategy, |(i, ops)| {
        let s = &corpus[i];
        let mut text = s.text.clone();
        for o in &ops {
            apply(&mut text, o);
        }
        if let Ok(mut c) = CASE.lock() {
            *c = format!("seed {} ({:?}), ops {ops:?}", s.name, s.kind);
        }
        let _ = std::fs::write(
            root().join("target/fuzz-case.txt"),
            format!("{} {ops:?}\n", s.name),
        );
        CASE_START.store(epoch().elapsed().as_secs().max(1), Ordering::SeqCst);
        let r = exercise(s.kind, &s.name, &text, dir.path());
        CASE_START.store(0, Ordering::SeqCst);
        prop_assert!(!OVER.load(Ordering::SeqCst), "over the memory budget");
        prop_assert!(r.is_ok(), "{}: {}", s.name, r.unwrap_err());
        Ok(())
    });
    let n: Vec<u64> = REACHED.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    eprintln!(
        "fuzz: {cases} cases: scenarios {} parse errors, {} invalid, {} valid ({} ran); traces \
         {} read, {} refused; {} configurations imported",
        n[0], n[1], n[2], n[3], n[4], n[5], n[6]
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn fuzz_ci() {
    fuzz(CI_CASES, 14);
}

/// As many cases as `FUZZ_CASES` asks (default 100 000), from `FUZZ_SEED` (default 1).
#[test]
#[ignore]
fn fuzz_long() {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    fuzz(cases, seed);
}

/// Text that looks like a command-line value: digits, separators and the tokens above.
fn arg_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => "[0-9]{1,25}".prop_map(|s: String| s),
            2 => prop::sample::select(vec!["..", "..=", ",", ".", "-", "e", "d", "h", "m", "s", "ms", "w", " ", "us", "µs", "ns", "k", "Ki", "Gi", "M", "E", "+"])
                .prop_map(str::to_string),
            1 => prop::sample::select(TOKENS.to_vec()).prop_map(str::to_string),
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

#[test]
fn argument_parsers_never_panic_and_stay_within_the_limits() {
    let config = Config {
        cases: 4_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[14; 32]));
    runner
        .run(&arg_text(), |text| {
            // --seeds of run and of experiment fgd: at most 100 000 seeds, never a panic.
            if let Ok(v) = slicesim::sweep::seeds::parse_seeds(&text) {
                prop_assert!(v.len() <= 100_000);
            }
            if let Ok(v) = slicesim::experiments::fgd::experiment::parse_seeds(&text) {
                prop_assert!(v.len() <= 100_000);
            }
            // Durations (--span, horizon, --set horizon=...), Go/Kubernetes syntax included:
            // whatever parses prints back as a duration that parses to the same value.
            if let Ok(d) = slicesim::units::parse_duration(&text) {
                prop_assert_eq!(slicesim::units::parse_duration(&d.to_string()), Ok(d));
            }
            // Kubernetes quantities (quota values, allocatable counts): a whole count is the
            // quantity's value.
            let q = slicesim::units::parse_quantity(&text);
            if let Ok(n) = slicesim::units::parse_count_quantity(&text) {
                prop_assert_eq!(q, Ok(n as f64));
            }
            Ok(())
        })
        .unwrap();
}
