//! `slicesim experiment fgd ...`: argument parsing and the printed report; the experiment itself
//! is `slicesim::experiments::fgd::experiment`.

use slicesim::experiments::fgd::batch::{TABLE_COLUMNS, columns_line, mean_table};
use slicesim::experiments::fgd::experiment::{
    self, FgdExperiment, Inputs, Outcome, parse_policies, parse_seeds,
};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum ExperimentCmd {
    /// The openb experiment of "Beware of Fragmentation" (FGD, USENIX ATC'23): schedule a
    /// workload tuned to 130 % of GPU capacity with no departures and record allocation and
    /// fragmentation per pod (see docs/VALIDATION.md).
    #[command(after_help = super::examples::EXPERIMENT_FGD)]
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

/// Runs the command.
pub fn run(cmd: ExperimentCmd) -> Result<(), String> {
    match cmd {
        ExperimentCmd::Fgd(args) => run_fgd(args),
    }
}

fn run_fgd(args: FgdArgs) -> Result<(), String> {
    let policies = parse_policies(&args.policy)?;
    let seeds = parse_seeds(&args.seed)?;
    let out_dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join("fgd"));
    let e = FgdExperiment {
        inputs: Inputs {
            pods: args.pods,
            workloads: args.workloads,
            select: args.select,
            nodes: args.nodes,
        },
        policies,
        seeds,
        tune: args.tune,
        out_dir,
        records: args.records,
        threads: args.threads,
    };
    let o = experiment::run(&e)?;
    let cluster = &o.cluster;
    outln!(
        "cluster: {} nodes, {} GPUs ({})",
        cluster.nodes.len(),
        cluster.total_gpus(),
        o.nodes_path.display()
    );
    if o.results.len() == 1 {
        print_single(&o);
    } else {
        out!("{}", mean_table(&o.workloads, &e.policies, &o.results));
    }
    outln!(
        "wrote {}/{{analysis_allo_discrete,analysis_frag_discrete,analysis_frag_ratio_discrete}}.csv{}",
        e.out_dir.display(),
        match &o.records_dir {
            Some(dir) => format!(" and {}/", dir.display()),
            None => String::new(),
        }
    );
    errln!(
        "{} run(s) in {:.3} s on {} thread(s) (loading {:.3} s)",
        o.results.len(),
        o.run_s,
        o.threads,
        o.load_s
    );
    Ok(())
}

/// One workload, one policy, one seed: the run's counts and its curves at the table's columns.
fn print_single(o: &Outcome) {
    let (r, w, cluster) = (&o.results[0], &o.workloads[0], &o.cluster);
    outln!(
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
    outln!(
        "typical pods: {} classes of {} cover {:.2} % of pods",
        w.typical.classes.len(),
        w.typical.all_classes,
        100.0 * w.typical.coverage()
    );
    outln!(
        "allocation %     {}",
        columns_line(&r.curves.alloc, &TABLE_COLUMNS)
    );
    outln!(
        "frag amount %    {}",
        columns_line(&r.curves.frag, &TABLE_COLUMNS)
    );
    outln!(
        "frag ratio %     {}",
        columns_line(&r.curves.frag_ratio, &TABLE_COLUMNS)
    );
}
