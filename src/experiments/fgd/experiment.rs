//! The whole experiment as `slicesim experiment fgd` runs it: find the pod and node lists, load
//! them, run every (workload, policy, seed) and write the result files. Returns what the command
//! prints; printing is the CLI's.

use super::batch::{RunKey, RunSummary, run_all, run_list, write_records, write_result_files};
use super::model::ClusterSpec;
use super::policy::Policy;
use super::run::ScheduledRun;
use super::workload::Workload;
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
            out.extend(a..=b);
        } else {
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

/// Runs the experiment and writes its result files (and the per-pod records of every run when
/// asked, or when there is a single run).
pub fn run(e: &FgdExperiment) -> Result<Outcome, String> {
    if !e.tune.is_finite() || e.tune < 0.0 {
        return Err(format!("--tune {}: expected a ratio >= 0", e.tune));
    }
    let files = pod_files(&e.inputs)?;
    let nodes_path = node_file(&e.inputs, &files);
    let t0 = Instant::now();
    let rows = read_nodes(&nodes_path).map_err(|e| e.to_string())?;
    let cluster = ClusterSpec::from_openb(&rows, &nodes_path.display().to_string())?;
    let mut workloads = Vec::new();
    for f in &files {
        workloads.push(Workload::load(f, &cluster)?);
    }
    let keys = run_list(workloads.len(), &e.policies, &e.seeds);
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
}
