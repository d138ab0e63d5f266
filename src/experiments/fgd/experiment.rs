//! The whole experiment as `slicesim experiment fgd` runs it: find the pod and node lists, load
//! them, run every (workload, policy, seed) and write the result files. Returns what the command
//! prints; printing is the CLI's.

use super::batch::{RunKey, RunSummary, run_all, run_list, write_records, write_result_files};
use super::model::ClusterSpec;
use super::policy::Policy;
use super::run::ScheduledRun;
use super::workload::Workload;
use crate::limits::{MAX_JOBS, MAX_SEEDS, MAX_THREADS, MAX_TUNE, exceeds};
use crate::trace::formats::openb::read_nodes;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The workloads of the published run list, by the suffix of their file stem.
pub const PUBLISHED: [&str; 17] = [
    "default",
    "cpu050",
    "cpu100",
    "cpu200",
    "cpu250",
    "gpushare40",
    "gpushare60",
    "gpushare80",
    "gpushare100",
    "gpuspec10",
    "gpuspec20",
    "gpuspec25",
    "gpuspec33",
    "multigpu20",
    "multigpu30",
    "multigpu40",
    "multigpu50",
];

const POD_PREFIX: &str = "openb_pod_list_";
const GPU_NODES: &str = "openb_node_list_gpu_node.csv";

/// Which pod and node lists to use.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Pod lists given one by one.
    pub pods: Vec<PathBuf>,
    /// Folder of pod lists: the published workloads found there (see `select`).
    pub workloads: Option<PathBuf>,
    /// With `workloads`: only these (stems or their suffix after `openb_pod_list_`), or `all`.
    pub select: Vec<String>,
    /// Node list (default: `openb_node_list_gpu_node.csv` beside the pod lists).
    pub nodes: Option<PathBuf>,
}

/// One invocation of the experiment.
#[derive(Clone, Debug)]
pub struct FgdExperiment {
    pub inputs: Inputs,
    pub policies: Vec<Policy>,
    pub seeds: Vec<u64>,
    /// Multiple of the cluster's GPU capacity the workload is tuned to (0 = no tuning).
    pub tune: f64,
    /// Folder of the result files.
    pub out_dir: PathBuf,
    /// Also write per-pod records for every run (always written for a single run).
    pub records: bool,
    /// Worker threads (None: rayon's default, all cores).
    pub threads: Option<usize>,
}

/// What the experiment did, for the command to report.
pub struct Outcome {
    pub nodes_path: PathBuf,
    pub cluster: ClusterSpec,
    pub workloads: Vec<Workload>,
    /// One per run, in run-list order.
    pub results: Vec<RunSummary>,
    /// Folder of the per-pod record files, when they were written.
    pub records_dir: Option<PathBuf>,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time loading the inputs and running, in seconds.
    pub load_s: f64,
    pub run_s: f64,
}

/// Parses `all` or a comma-separated list of policy names.
pub fn parse_policies(s: &str) -> Result<Vec<Policy>, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(Policy::ALL.to_vec());
    }
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let p = Policy::parse(part).ok_or_else(|| {
            format!(
                "unknown policy `{part}` (known: {}, or all)",
                Policy::ALL.map(Policy::name).join(", ")
            )
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err("no policy given".into());
    }
    Ok(out)
}

/// Parses `42`, `42,43` or the inclusive range `42..51` (also `42..=51`).
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, String> {
    let bad = |x: &str| format!("`{x}` is not a seed (expected e.g. 42, 42,43 or 42..51)");
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((a, b)) = part.split_once("..") {
            let b = b.strip_prefix('=').unwrap_or(b);
            let a: u64 = a.trim().parse().map_err(|_| bad(part))?;
            let b: u64 = b.trim().parse().map_err(|_| bad(part))?;
            if b < a {
                return Err(format!("`{part}`: the range is empty"));
            }
            // Counted before any is listed: 0..18446744073709551615 is refused, not allocated.
            let count = u128::from(b - a) + 1 + out.len() as u128;
            if count > u128::from(MAX_SEEDS) {
                return Err(exceeds("the number of seeds", count, MAX_SEEDS));
            }
            out.extend(a..=b);
        } else {
            if out.len() as u64 >= MAX_SEEDS {
                return Err(exceeds("the number of seeds", out.len() + 1, MAX_SEEDS));
            }
            out.push(part.parse().map_err(|_| bad(part))?);
        }
    }
    if out.is_empty() {
        return Err("no seed given".into());
    }
    Ok(out)
}

/// The pod lists to run, in a stable order.
pub fn pod_files(args: &Inputs) -> Result<Vec<PathBuf>, String> {
    let mut files = args.pods.clone();
    if let Some(dir) = &args.workloads {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "csv")
                    && p.file_stem()
                        .is_some_and(|s| s.to_string_lossy().starts_with(POD_PREFIX))
            })
            .collect();
        found.sort();
        let suffix = |p: &Path| -> String {
            let stem = p.file_stem().unwrap_or_default().to_string_lossy();
            stem.strip_prefix(POD_PREFIX).unwrap_or(&stem).to_string()
        };
        let all = args.select.iter().any(|s| s.eq_ignore_ascii_case("all"));
        let wanted: Vec<String> = if args.select.is_empty() {
            PUBLISHED.iter().map(|s| s.to_string()).collect()
        } else {
            args.select
                .iter()
                .map(|s| s.strip_prefix(POD_PREFIX).unwrap_or(s).to_string())
                .collect()
        };
        if all {
            files.extend(found);
        } else {
            for w in &wanted {
                match found.iter().find(|p| &suffix(p) == w) {
                    Some(p) => files.push(p.clone()),
                    None if args.select.is_empty() => {} // a published file not present
                    None => {
                        return Err(format!("{}: no {POD_PREFIX}{w}.csv", dir.display()));
                    }
                }
            }
        }
    }
    if files.is_empty() {
        return Err("no pod list: give --pods FILE or --workloads DIR".into());
    }
    Ok(files)
}

/// The node list: the one given, else the GPU node list beside the pod lists.
pub fn node_file(args: &Inputs, pods: &[PathBuf]) -> PathBuf {
    if let Some(n) = &args.nodes {
        return n.clone();
    }
    let dir = args
        .workloads
        .clone()
        .or_else(|| pods.first().and_then(|p| p.parent().map(Path::to_path_buf)))
        .unwrap_or_default();
    dir.join(GPU_NODES)
}

/// `--tune` and `--threads` within their limits, checked before anything is read.
fn check_sizes(e: &FgdExperiment) -> Result<(), String> {
    if e.tune > MAX_TUNE {
        return Err(exceeds("--tune", e.tune, MAX_TUNE));
    }
    if let Some(n) = e.threads
        && n as u64 > MAX_THREADS
    {
        return Err(exceeds("--threads", n, MAX_THREADS));
    }
    Ok(())
}

/// Each workload tuned to `tune` x capacity stays within [`MAX_JOBS`] pods (its pods scaled by
/// target / request), and one that requests no GPU cannot be tuned up (no clone would ever
/// reach the target).
fn check_tuned_sizes(
    workloads: &[Workload],
    cluster: &ClusterSpec,
    tune: f64,
) -> Result<(), String> {
    if tune <= 0.0 {
        return Ok(());
    }
    let target = tune * cluster.gpu_milli as f64;
    for w in workloads {
        let request = w.gpu_request() as f64;
        if request >= target {
            continue;
        }
        if request == 0.0 {
            return Err(format!(
                "{}: requests no GPU, so --tune {tune} cannot reach {:.0} GPU milli (give --tune 0)",
                w.name, target
            ));
        }
        let pods = w.pods.len() as f64 * target / request;
        if pods > MAX_JOBS as f64 {
            return Err(exceeds(
                &format!("the pods of {} tuned to --tune {tune}", w.name),
                format!("about {pods:.0}"),
                MAX_JOBS,
            ));
        }
    }
    Ok(())
}

/// Runs the experiment and writes its result files (and the per-pod records of every run when
/// asked, or when there is a single run).
pub fn run(e: &FgdExperiment) -> Result<Outcome, String> {
    if !e.tune.is_finite() || e.tune < 0.0 {
        return Err(format!("--tune {}: expected a ratio >= 0", e.tune));
    }
    check_sizes(e)?;
    let files = pod_files(&e.inputs)?;
    let nodes_path = node_file(&e.inputs, &files);
    let t0 = Instant::now();
    let rows = read_nodes(&nodes_path).map_err(|e| e.to_string())?;
    let cluster = ClusterSpec::from_openb(&rows, &nodes_path.display().to_string())?;
    let mut workloads = Vec::new();
    for f in &files {
        workloads.push(Workload::load(f, &cluster)?);
    }
    check_tuned_sizes(&workloads, &cluster, e.tune)?;
    let keys = run_list(workloads.len(), &e.policies, &e.seeds);
    let runs = keys.len() as u64;
    if runs > MAX_SEEDS {
        return Err(exceeds(
            "the number of runs (workloads x policies x seeds)",
            runs,
            MAX_SEEDS,
        ));
    }
    let write_each = keys.len() == 1 || e.records;
    let rec_dir = e.out_dir.join("records");
    if write_each {
        std::fs::create_dir_all(&rec_dir).map_err(|e| format!("{}: {e}", rec_dir.display()))?;
    }
    let load_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let each = |k: &RunKey, out: &ScheduledRun| {
        if !write_each {
            return Ok(());
        }
        let w = &workloads[k.workload];
        let path = rec_dir.join(format!("{}-{}-{}.csv", w.name, k.policy.name(), k.seed));
        write_records(&path, &cluster, w, out)
    };
    let results = match e.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| format!("thread pool: {e}"))?
            .install(|| run_all(&cluster, &workloads, &keys, e.tune, each))?,
        None => run_all(&cluster, &workloads, &keys, e.tune, each)?,
    };
    let run_s = t1.elapsed().as_secs_f64();
    write_result_files(
        &e.out_dir,
        &workloads,
        &results,
        e.tune,
        cluster.total_gpus(),
    )?;
    Ok(Outcome {
        nodes_path,
        cluster,
        workloads,
        results,
        records_dir: write_each.then_some(rec_dir),
        threads: e.threads.unwrap_or_else(rayon::current_num_threads),
        load_s,
        run_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_policies() {
        assert_eq!(parse_seeds("42").unwrap(), vec![42]);
        assert_eq!(
            parse_seeds("42..51").unwrap(),
            (42..=51).collect::<Vec<_>>()
        );
        assert_eq!(parse_seeds("1,3..4").unwrap(), vec![1, 3, 4]);
        assert_eq!(parse_seeds("1..=2").unwrap(), vec![1, 2]);
        assert!(parse_seeds("5..4").is_err());
        assert!(parse_seeds("x").is_err());
        assert_eq!(parse_policies("all").unwrap().len(), 6);
        assert_eq!(
            parse_policies("fgd,best-fit,06-FGD").unwrap(),
            vec![Policy::Fgd, Policy::BestFit]
        );
        assert!(parse_policies("tetris").is_err());
    }

    #[test]
    fn seed_ranges_beyond_the_limit_are_refused_before_listing_them() {
        // 0..18446744073709551615 is 2^64 seeds: once a capacity-overflow panic.
        assert_eq!(
            parse_seeds("0..18446744073709551615").unwrap_err(),
            "the number of seeds is 18446744073709551616, more than the limit of 100000"
        );
        assert_eq!(
            parse_seeds("0..1000000000000").unwrap_err(),
            "the number of seeds is 1000000000001, more than the limit of 100000"
        );
        // 1 + 99 999 = 100 000 seeds: exactly the limit; one more is refused.
        assert_eq!(parse_seeds("7,1..99999").unwrap().len(), 100_000);
        assert!(parse_seeds("7,8,1..99999").is_err());
    }

    fn experiment(tune: f64, threads: Option<usize>) -> FgdExperiment {
        FgdExperiment {
            inputs: Inputs {
                pods: Vec::new(),
                workloads: None,
                select: Vec::new(),
                nodes: None,
            },
            policies: vec![Policy::Fgd],
            seeds: vec![42],
            tune,
            out_dir: PathBuf::from("/nonexistent"),
            records: false,
            threads,
        }
    }

    #[test]
    fn tune_and_threads_beyond_their_limits_are_refused_before_reading() {
        // The inputs do not exist: the limits are checked first.
        for (tune, threads, want) in [
            (1e6, None, "--tune is 1000000, more than the limit of 100"),
            (1e308, None, "more than the limit of 100"),
            (
                1.3,
                Some(100_000),
                "--threads is 100000, more than the limit of 1024",
            ),
        ] {
            let e = run(&experiment(tune, threads)).err().unwrap();
            assert!(e.contains(want), "{e}");
        }
    }

    use crate::experiments::fgd::model::WorkloadPod;

    fn pod(name: &str, milli: u32, k: u32) -> WorkloadPod {
        WorkloadPod {
            name: name.into(),
            cpu: 1000,
            mem: 1024,
            milli,
            k,
            spec: String::new(),
            types: u64::MAX,
        }
    }

    #[test]
    fn a_workload_tuned_past_the_job_limit_or_without_gpus_is_refused() {
        use crate::trace::formats::openb::OpenbNode;
        // 1 000 nodes x 8 GPUs = 8 000 GPUs = 8 000 000 milli.
        let rows: Vec<OpenbNode> = (0..1_000)
            .map(|i| OpenbNode {
                name: format!("n{i}"),
                cpu_milli: 96_000,
                memory_mib: 786_432,
                gpus: 8,
                model: "T4".into(),
                line: i + 2,
            })
            .collect();
        let cluster = ClusterSpec::from_openb(&rows, "nodes.csv").unwrap();
        // Two pods of 100 milli: 200 milli requested. --tune 100 asks for 8e8 milli, i.e.
        // 2 x 8e8 / 200 = 8 000 000 pods > 5 000 000.
        let small = Workload::new("small", vec![pod("a", 100, 1), pod("b", 100, 1)], &cluster);
        let e = check_tuned_sizes(std::slice::from_ref(&small), &cluster, 100.0).unwrap_err();
        assert_eq!(
            e,
            "the pods of small tuned to --tune 100 is about 8000000, more than the limit of 5000000"
        );
        // --tune 1: 2 x 8e6 / 200 = 80 000 pods, fine.
        assert!(check_tuned_sizes(std::slice::from_ref(&small), &cluster, 1.0).is_ok());
        // CPU-only pods never reach a GPU target: refused instead of cloning forever.
        let cpu = Workload::new("cpu", vec![pod("c", 0, 0)], &cluster);
        let e = check_tuned_sizes(&[cpu], &cluster, 1.3).unwrap_err();
        assert!(e.starts_with("cpu: requests no GPU"), "{e}");
    }
}
