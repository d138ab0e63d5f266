//! `slicesim experiment fgd ...`: argument parsing and the command itself.

use super::batch::{
    RunKey, TABLE_COLUMNS, columns_line, mean_table, run_all, run_list, write_records,
    write_result_files,
};
use super::model::ClusterSpec;
use super::policy::Policy;
use super::run::Workload;
use crate::trace::openb::read_nodes;
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

#[derive(clap::Subcommand, Debug)]
pub enum ExperimentCmd {
    /// The openb experiment of "Beware of Fragmentation" (FGD, USENIX ATC'23): schedule a
    /// workload tuned to 130 % of GPU capacity with no departures and record allocation and
    /// fragmentation per pod (see docs/VALIDATION.md).
    Fgd(FgdArgs),
}

#[derive(clap::Args, Debug)]
pub struct FgdArgs {
    /// Pod list (openb_pod_list_*.csv); repeat for several workloads.
    #[arg(long)]
    pub pods: Vec<PathBuf>,
    /// Folder of pod lists: runs the 17 published workloads found there (see --select).
    #[arg(long)]
    pub workloads: Option<PathBuf>,
    /// With --workloads: only these workloads (comma-separated stems or their suffix after
    /// openb_pod_list_, e.g. default,gpushare100), or `all` for every pod list in the folder.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Node list (default: openb_node_list_gpu_node.csv beside the pod lists).
    #[arg(long)]
    pub nodes: Option<PathBuf>,
    /// Policy or policies, comma-separated: random, dot-prod, gpu-clustering, gpu-packing,
    /// best-fit, fgd (or the artifact's names such as 06-FGD), or `all`.
    #[arg(long = "policy", visible_alias = "policies", default_value = "fgd")]
    pub policy: String,
    /// Seed or seeds: 42, a list 42,43 or an inclusive range 42..51.
    #[arg(long = "seed", visible_alias = "seeds", default_value = "42")]
    pub seed: String,
    /// Tune the workload's total GPU request to this multiple of the cluster's capacity
    /// (0 = no tuning).
    #[arg(long, default_value_t = 1.3)]
    pub tune: f64,
    /// Output folder for the result files (default reports/fgd).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write per-pod records for every run (always written for a single run).
    #[arg(long)]
    pub records: bool,
    /// Worker threads for many runs (default: all cores); each run is single-threaded.
    #[arg(long)]
    pub threads: Option<usize>,
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
fn pod_files(args: &FgdArgs) -> Result<Vec<PathBuf>, String> {
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

fn node_file(args: &FgdArgs, pods: &[PathBuf]) -> PathBuf {
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

/// Runs the command.
pub fn run(cmd: ExperimentCmd) -> Result<(), String> {
    match cmd {
        ExperimentCmd::Fgd(args) => run_fgd(&args),
    }
}

fn run_fgd(args: &FgdArgs) -> Result<(), String> {
    let policies = parse_policies(&args.policy)?;
    let seeds = parse_seeds(&args.seed)?;
    if !args.tune.is_finite() || args.tune < 0.0 {
        return Err(format!("--tune {}: expected a ratio >= 0", args.tune));
    }
    let files = pod_files(args)?;
    let nodes_path = node_file(args, &files);
    let t0 = Instant::now();
    let rows = read_nodes(&nodes_path).map_err(|e| e.to_string())?;
    let cluster = ClusterSpec::from_openb(&rows, &nodes_path.display().to_string())?;
    let mut workloads = Vec::new();
    for f in &files {
        workloads.push(Workload::load(f, &cluster)?);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join("fgd"));
    let keys = run_list(workloads.len(), &policies, &seeds);
    let single = keys.len() == 1;
    let write_each = single || args.records;
    let rec_dir = out_dir.join("records");
    if write_each {
        std::fs::create_dir_all(&rec_dir).map_err(|e| format!("{}: {e}", rec_dir.display()))?;
    }
    let load_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let each = |k: &RunKey, out: &super::run::RunOutput| {
        if !write_each {
            return Ok(());
        }
        let w = &workloads[k.workload];
        let path = rec_dir.join(format!("{}-{}-{}.csv", w.name, k.policy.name(), k.seed));
        write_records(&path, &cluster, w, out)
    };
    let results = match args.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| format!("thread pool: {e}"))?
            .install(|| run_all(&cluster, &workloads, &keys, args.tune, each))?,
        None => run_all(&cluster, &workloads, &keys, args.tune, each)?,
    };
    let run_s = t1.elapsed().as_secs_f64();
    write_result_files(
        &out_dir,
        &workloads,
        &results,
        args.tune,
        cluster.total_gpus(),
    )?;
    println!(
        "cluster: {} nodes, {} GPUs ({})",
        cluster.nodes.len(),
        cluster.total_gpus(),
        nodes_path.display()
    );
    if single {
        let r = &results[0];
        let w = &workloads[0];
        println!(
            "{} {} seed {}: {} pods after tuning ({} in the file, {:.2} % of capacity requested), {} failed, first failure at {}",
            w.name,
            r.key.policy.artifact_name(),
            r.key.seed,
            r.pods,
            w.pods.len(),
            w.gpu_request() as f64 / cluster.gpu_milli as f64 * 100.0,
            r.failed,
            r.first_failure_pct
                .map_or("none".to_string(), |p| format!("{p:.2} % arrived"))
        );
        println!(
            "typical pods: {} classes of {} cover {:.2} % of pods",
            w.typical.classes.len(),
            w.typical.all_classes,
            100.0 * w.typical.coverage()
        );
        println!(
            "allocation %     {}",
            columns_line(&r.curves.alloc, &TABLE_COLUMNS)
        );
        println!(
            "frag amount %    {}",
            columns_line(&r.curves.frag, &TABLE_COLUMNS)
        );
        println!(
            "frag ratio %     {}",
            columns_line(&r.curves.frag_ratio, &TABLE_COLUMNS)
        );
    } else {
        print!("{}", mean_table(&workloads, &policies, &results));
    }
    println!(
        "wrote {}/{{analysis_allo_discrete,analysis_frag_discrete,analysis_frag_ratio_discrete}}.csv{}",
        out_dir.display(),
        if write_each {
            format!(" and {}/", rec_dir.display())
        } else {
            String::new()
        }
    );
    eprintln!(
        "{} run(s) in {run_s:.3} s on {} thread(s) (loading {load_s:.3} s)",
        keys.len(),
        args.threads.unwrap_or_else(rayon::current_num_threads)
    );
    Ok(())
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
