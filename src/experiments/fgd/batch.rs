//! Many runs in parallel (rayon; each run single-threaded), the artifact's three result files,
//! per-pod record files and the per-policy mean table.
//!
//! Output never depends on the thread count: runs are independent and their results are
//! collected in the order of the run list (workload, policy, seed).

use super::discrete::{COLUMNS, Curves, discretise, header, py_float, row};
use super::model::ClusterSpec;
use super::policy::Policy;
use super::run::{ScheduledRun, run_one};
use super::workload::Workload;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// One run of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunKey {
    /// Index into the workload list.
    pub workload: usize,
    pub policy: Policy,
    pub seed: u64,
}

/// What is kept of a run for the result files and tables.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub key: RunKey,
    pub curves: Curves,
    pub pods: usize,
    pub failed: usize,
    /// Arrived % at the first failed pod.
    pub first_failure_pct: Option<f64>,
    /// Allocation at the end of the run, % of capacity.
    pub final_alloc_pct: f64,
}

impl RunSummary {
    pub fn of(key: RunKey, out: &ScheduledRun, cluster: &ClusterSpec) -> RunSummary {
        let tg = cluster.total_gpus();
        let pct = |milli: u64| milli as f64 / tg as f64 / 10.0;
        RunSummary {
            key,
            curves: discretise(&out.records, tg),
            pods: out.records.len(),
            failed: out.failed(),
            first_failure_pct: out.first_failure.map(|i| pct(out.records[i].arrived_milli)),
            final_alloc_pct: out.records.last().map_or(0.0, |r| pct(r.used_milli)),
        }
    }
}

/// The run list, workload-major then policy then seed (the result files' row order).
pub fn run_list(workloads: usize, policies: &[Policy], seeds: &[u64]) -> Vec<RunKey> {
    let mut keys = Vec::new();
    for w in 0..workloads {
        for &policy in policies {
            for &seed in seeds {
                keys.push(RunKey {
                    workload: w,
                    policy,
                    seed,
                });
            }
        }
    }
    keys
}

/// Runs every key in parallel; `each` sees every finished run (e.g. to write its records) and
/// may fail. Results come back in key order.
pub fn run_all<F>(
    cluster: &ClusterSpec,
    workloads: &[Workload],
    keys: &[RunKey],
    tune: f64,
    each: F,
) -> Result<Vec<RunSummary>, String>
where
    F: Fn(&RunKey, &ScheduledRun) -> Result<(), String> + Sync,
{
    keys.par_iter()
        .map(|k| {
            let out = run_one(cluster, &workloads[k.workload], k.policy, k.seed, tune);
            each(k, &out)?;
            Ok(RunSummary::of(*k, &out, cluster))
        })
        .collect()
}

/// Writes `analysis_allo_discrete.csv`, `analysis_frag_discrete.csv` and
/// `analysis_frag_ratio_discrete.csv` into `dir`.
pub fn write_result_files(
    dir: &Path,
    workloads: &[Workload],
    results: &[RunSummary],
    tune: f64,
    total_gpus: u64,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    type Pick = fn(&Curves) -> &Vec<Option<f64>>;
    let files: [(&str, bool, Pick); 3] = [
        ("analysis_allo_discrete.csv", true, |c| &c.alloc),
        ("analysis_frag_discrete.csv", false, |c| &c.frag),
        ("analysis_frag_ratio_discrete.csv", false, |c| &c.frag_ratio),
    ];
    for (name, with_total, pick) in files {
        let mut text = header(with_total);
        text.push('\n');
        for r in results {
            text.push_str(&row(
                &workloads[r.key.workload].name,
                r.key.policy.artifact_name(),
                tune,
                r.key.seed,
                with_total.then_some(total_gpus),
                pick(&r.curves),
            ));
            text.push('\n');
        }
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes())?;
    }
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::outfile::write(path, bytes)
}

/// Writes the per-pod records of one run as CSV.
pub fn write_records(
    path: &Path,
    cluster: &ClusterSpec,
    w: &Workload,
    out: &ScheduledRun,
) -> Result<(), String> {
    let mut f = crate::outfile::AtomicFile::create(path)?;
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    writeln!(
        f,
        "index,pod,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,node,node_rank,gpus,arrived_gpu_milli,used_gpu_milli,frag_gpu_milli,frag_ratio"
    )
    .map_err(err)?;
    for (i, ((sp, pl), r)) in out
        .sequence
        .iter()
        .zip(&out.placements)
        .zip(&out.records)
        .enumerate()
    {
        let p = &w.pods[sp.origin as usize];
        let (node, rank, gpus) = match pl {
            Some(pl) => (
                cluster.nodes[pl.node as usize].name.as_str(),
                out.ranks[pl.node as usize].to_string(),
                pl.gpus
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            None => ("", String::new(), String::new()),
        };
        writeln!(
            f,
            "{i},{},{},{},{},{},{},{node},{rank},{gpus},{},{},{:.2},{:.2}",
            sp.name(&w.pods),
            p.cpu,
            p.mem,
            p.k,
            p.milli,
            p.spec,
            r.arrived_milli,
            r.used_milli,
            r.frag_milli,
            r.frag_ratio
        )
        .map_err(err)?;
    }
    f.commit()
}

/// The columns the summary table shows.
pub const TABLE_COLUMNS: [usize; 5] = [90, 100, 110, 120, 130];

/// Mean over the runs of `(workload, policy)` of column `x` of the curve `pick` selects.
pub fn mean_at(
    results: &[RunSummary],
    workload: usize,
    policy: Policy,
    x: usize,
    pick: fn(&Curves) -> &Vec<Option<f64>>,
) -> Option<f64> {
    let v: Vec<f64> = results
        .iter()
        .filter(|r| r.key.workload == workload && r.key.policy == policy)
        .filter_map(|r| pick(&r.curves).get(x).copied().flatten())
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Picks one curve of a run.
type Pick = fn(&Curves) -> &Vec<Option<f64>>;

/// The per-policy seed-mean tables (allocation, frag amount, frag ratio at 90..130 % arrived,
/// and the first failure), one block per workload, as plain text.
pub fn mean_table(workloads: &[Workload], policies: &[Policy], results: &[RunSummary]) -> String {
    let mut s = String::new();
    let metrics: [(&str, Pick); 3] = [
        ("GPU allocation, % of capacity", |c| &c.alloc),
        ("fragmented GPU, % of capacity", |c| &c.frag),
        ("fragmented share of free GPU, %", |c| &c.frag_ratio),
    ];
    for (wi, w) in workloads.iter().enumerate() {
        let seeds = results
            .iter()
            .filter(|r| r.key.workload == wi && r.key.policy == policies[0])
            .count();
        let _ = writeln!(
            s,
            "{}: {} pods, {} typical classes of {} ({:.2} % of pods); mean of {} seed(s)",
            w.name,
            w.pods.len(),
            w.typical.classes.len(),
            w.typical.all_classes,
            100.0 * w.typical.coverage(),
            seeds
        );
        for (title, pick) in metrics {
            metric_rows(&mut s, title, pick, results, wi, policies);
        }
        failure_rows(&mut s, results, wi, policies);
        let _ = writeln!(s);
    }
    s
}

/// One metric's mean curve at the table's columns, one row per policy.
fn metric_rows(
    s: &mut String,
    title: &str,
    pick: Pick,
    results: &[RunSummary],
    wi: usize,
    policies: &[Policy],
) {
    let _ = write!(s, "  {title:<34}");
    for x in TABLE_COLUMNS {
        let _ = write!(s, "{:>8}", format!("{x}%"));
    }
    let _ = writeln!(s);
    for &p in policies {
        let _ = write!(s, "    {:<32}", p.artifact_name());
        for x in TABLE_COLUMNS {
            match mean_at(results, wi, p, x, pick) {
                Some(v) => {
                    let _ = write!(s, "{v:>8.2}");
                }
                None => {
                    let _ = write!(s, "{:>8}", "-");
                }
            }
        }
        let _ = writeln!(s);
    }
}

/// When the first pod failed (mean, min, max over seeds) and how many failed, per policy.
fn failure_rows(s: &mut String, results: &[RunSummary], wi: usize, policies: &[Policy]) {
    let _ = writeln!(
        s,
        "  {:<34}{:>8}{:>8}{:>8}{:>8}",
        "first failure at arrived %", "mean", "min", "max", "failed"
    );
    for &p in policies {
        let runs: Vec<&RunSummary> = results
            .iter()
            .filter(|r| r.key.workload == wi && r.key.policy == p)
            .collect();
        let ff: Vec<f64> = runs.iter().filter_map(|r| r.first_failure_pct).collect();
        let failed = runs.iter().map(|r| r.failed).sum::<usize>() as f64 / runs.len() as f64;
        let (mean, lo, hi) = if ff.is_empty() {
            ("-".to_string(), "-".to_string(), "-".to_string())
        } else {
            (
                format!("{:.2}", ff.iter().sum::<f64>() / ff.len() as f64),
                format!("{:.2}", ff.iter().copied().fold(f64::INFINITY, f64::min)),
                format!(
                    "{:.2}",
                    ff.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                ),
            )
        };
        let _ = writeln!(
            s,
            "    {:<32}{mean:>8}{lo:>8}{hi:>8}{:>8.0}",
            p.artifact_name(),
            failed
        );
    }
}

/// Column `x` of every curve of a run, for a one-run summary.
pub fn columns_line(c: &[Option<f64>], xs: &[usize]) -> String {
    xs.iter()
        .map(|&x| match c.get(x).copied().flatten() {
            Some(v) => format!("{x}%: {}", py_float(v)),
            None => format!("{x}%: -"),
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// Checks a curve has every column (the artifact's files have no empty cells).
pub fn complete(c: &Curves) -> bool {
    (0..COLUMNS).all(|x| c.alloc[x].is_some() && c.frag[x].is_some() && c.frag_ratio[x].is_some())
}
