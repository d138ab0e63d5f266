//! Replications (`slicesim run --seeds 1..10`): one scenario run once per seed, in parallel,
//! each seed's usual outputs under `OUT/seed-<n>/`, and every figure of the summary (see
//! [`crate::report::figures`]) estimated over the seeds with a 95 % Student-t confidence
//! interval: `OUT/summary.json`, `OUT/replications.csv` and `OUT/replications_long.csv`.
//!
//! Results are ordered by seed and do not depend on the number of threads.

use crate::metrics::replication::{CONFIDENCE, Estimate, replications_needed};
use crate::report::{
    OutputDir, Provenance, figures, is_count_entry, priority_names, scenario_sha256,
};
use crate::run::{RunOptions, RunOutput, run_staged};
use crate::scenario::Loaded;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Default target half-width, relative to the mean (±5 %).
pub const DEFAULT_HALF_WIDTH: f64 = 0.05;

#[derive(Clone, Debug)]
pub struct ReplicateOptions {
    /// Policy and invariant checks for every run (its `seed` is ignored).
    pub run: RunOptions,
    /// Sorted, distinct (see [`super::seeds::parse_seeds`]).
    pub seeds: Vec<u64>,
    /// Target half-width as a fraction of |mean|, for the "replications needed" column.
    pub half_width: f64,
    /// Threads; `None` = rayon's default (all cores, or RAYON_NUM_THREADS).
    pub jobs: Option<usize>,
}

/// One figure over the replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureStats {
    pub path: String,
    pub n: usize,
    pub mean: f64,
    pub sd: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub half_width: Option<f64>,
    /// Replications for a half-width of `half_width_target` × |mean| with this `sd`.
    pub replications_needed: Option<u64>,
    /// Seed -> value. Seeds where the figure is absent are left out (`n` counts the rest),
    /// except count-map entries, which are 0 there.
    pub values: BTreeMap<u64, f64>,
}

/// The replicated summary (`OUT/summary.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Replication {
    pub provenance: Provenance,
    pub scenario: String,
    pub replications: usize,
    pub confidence: f64,
    pub half_width_target: f64,
    pub figures: Vec<FigureStats>,
}

/// Estimates every figure over the seeds. `runs` is in seed order; figures come in the order
/// they first appear (the first seed's order, then any only later seeds have).
pub fn aggregate(runs: &[(u64, Vec<(String, f64)>)], half_width_target: f64) -> Vec<FigureStats> {
    let mut order: Vec<&str> = Vec::new();
    let mut values: BTreeMap<&str, BTreeMap<u64, f64>> = BTreeMap::new();
    for (seed, figs) in runs {
        for (path, v) in figs {
            let per_seed = values.entry(path).or_insert_with(|| {
                order.push(path);
                BTreeMap::new()
            });
            per_seed.insert(*seed, *v);
        }
    }
    // A count-map entry missing from a seed counted zero there (report::figures::is_count_entry).
    for (path, per_seed) in values.iter_mut() {
        if is_count_entry(path) {
            for (seed, _) in runs {
                per_seed.entry(*seed).or_insert(0.0);
            }
        }
    }
    order
        .into_iter()
        .map(|path| {
            let per_seed = values.remove(path).unwrap_or_default();
            let xs: Vec<f64> = per_seed.values().copied().collect();
            let e = Estimate::of(&xs).expect("a figure appears in at least one seed");
            let target = half_width_target * e.mean.abs();
            FigureStats {
                path: path.to_string(),
                n: e.n,
                mean: e.mean,
                sd: e.sd,
                ci95_low: e.ci().map(|c| c.0),
                ci95_high: e.ci().map(|c| c.1),
                half_width: e.half_width,
                replications_needed: e.sd.and_then(|s| replications_needed(s, target)),
                values: per_seed,
            }
        })
        .collect()
}

/// Runs every seed into `out_dir/seed-<n>/` and writes the replicated files into `out_dir`.
/// Nothing is committed unless every seed succeeded (the first failing seed's error, in seed
/// order, is returned).
pub fn replicate(
    loaded: &Loaded,
    opts: &ReplicateOptions,
    out_dir: &Path,
) -> Result<Replication, String> {
    if opts.seeds.is_empty() {
        return Err("no seed given".into());
    }
    if !(opts.half_width.is_finite() && opts.half_width > 0.0) {
        return Err(format!(
            "--half-width {}: give a fraction of the mean above 0 (0.05 = ±5 %)",
            opts.half_width
        ));
    }
    let hash = scenario_sha256(loaded, opts.run.policy)?;
    // Created before the seeds' folders, so a failure leaves no empty folder behind.
    let mut out = OutputDir::create(out_dir)?;
    let runs = run_all(loaded, opts, out_dir)?;
    let names = priority_names(&runs[0].1.0.world);
    let per_seed: Vec<(u64, Vec<(String, f64)>)> = runs
        .iter()
        .map(|(seed, (o, _))| (*seed, figures(&o.summary, &names)))
        .collect();
    let rep = Replication {
        provenance: Provenance::new(hash, opts.seeds.clone()),
        scenario: runs[0].1.0.summary.scenario.clone(),
        replications: opts.seeds.len(),
        confidence: CONFIDENCE,
        half_width_target: opts.half_width,
        figures: aggregate(&per_seed, opts.half_width),
    };
    write_files(&mut out, &rep)?;
    for (_, (_, dir)) in runs {
        dir.commit()?;
    }
    out.commit()?;
    Ok(rep)
}

type Staged = (u64, (RunOutput, OutputDir));

/// Every seed's run, staged, in seed order.
fn run_all(
    loaded: &Loaded,
    opts: &ReplicateOptions,
    out_dir: &Path,
) -> Result<Vec<Staged>, String> {
    let one = |seed: u64| {
        let run = RunOptions {
            seed: Some(seed),
            ..opts.run.clone()
        };
        let dir = out_dir.join(format!("seed-{seed}"));
        run_staged(loaded, &run, &dir)
            .map(|r| (seed, r))
            .map_err(|e| format!("seed {seed}: {e}"))
    };
    let all =
        || -> Vec<Result<Staged, String>> { opts.seeds.par_iter().map(|s| one(*s)).collect() };
    let results = match opts.jobs {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| format!("--jobs {n}: {e}"))?
            .install(all),
        None => all(),
    };
    // Collected in seed order; the first error (by seed) wins, the rest are dropped (and
    // their staged files removed).
    results.into_iter().collect()
}

fn write_files(out: &mut OutputDir, rep: &Replication) -> Result<(), String> {
    let mut f = out.open("summary.json")?;
    serde_json::to_writer_pretty(&mut f, rep).map_err(|e| format!("summary.json: {e}"))?;
    writeln!(f)
        .and_then(|_| f.flush())
        .map_err(|e| format!("summary.json: {e}"))?;
    let csv_err = |name: &str, e: csv::Error| format!("{name}: {e}");
    let mut w = csv::Writer::from_writer(out.open("replications.csv")?);
    for fig in &rep.figures {
        w.serialize(SummaryRow {
            path: &fig.path,
            n: fig.n,
            mean: fig.mean,
            sd: fig.sd,
            ci_low: fig.ci95_low,
            ci_high: fig.ci95_high,
            half_width: fig.half_width,
            replications_needed: fig.replications_needed,
        })
        .map_err(|e| csv_err("replications.csv", e))?;
    }
    w.flush().map_err(|e| format!("replications.csv: {e}"))?;
    let mut w = csv::Writer::from_writer(out.open("replications_long.csv")?);
    for fig in &rep.figures {
        for (seed, value) in &fig.values {
            w.serialize(LongRow {
                path: &fig.path,
                seed: *seed,
                value: *value,
            })
            .map_err(|e| csv_err("replications_long.csv", e))?;
        }
    }
    w.flush()
        .map_err(|e| format!("replications_long.csv: {e}"))?;
    let rows: Vec<crate::report::html::replication::Row> = rep
        .figures
        .iter()
        .map(|f| crate::report::html::replication::Row {
            path: &f.path,
            n: f.n,
            mean: f.mean,
            half_width: f.half_width,
            ci_low: f.ci95_low,
            ci_high: f.ci95_high,
        })
        .collect();
    let html = crate::report::html::replication::render(&rep.scenario, &rep.provenance, &rows);
    let mut f = out.open("report.html")?;
    f.write_all(html.as_bytes())
        .and_then(|_| f.flush())
        .map_err(|e| format!("report.html: {e}"))
}

#[derive(Serialize)]
struct SummaryRow<'a> {
    path: &'a str,
    n: usize,
    mean: f64,
    sd: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    half_width: Option<f64>,
    replications_needed: Option<u64>,
}

#[derive(Serialize)]
struct LongRow<'a> {
    path: &'a str,
    seed: u64,
    value: f64,
}

#[cfg(test)]
mod tests {
    use super::aggregate;

    fn fig(path: &str, v: f64) -> (String, f64) {
        (path.to_string(), v)
    }

    #[test]
    fn count_entries_missing_from_a_seed_count_zero_and_percentiles_are_left_out() {
        let runs = vec![
            (
                1,
                vec![
                    fig("unschedulable.no fit", 4.0),
                    fig("classes.a.wait.p95_s", 10.0),
                ],
            ),
            (2, vec![fig("classes.a.wait.p95_s", 20.0)]),
            (3, vec![fig("classes.a.ran_in.x", 2.0)]),
        ];
        let stats = aggregate(&runs, 0.05);
        let get = |p: &str| stats.iter().find(|s| s.path == p).unwrap();
        // (4 + 0 + 0) / 3 over all three seeds.
        let u = get("unschedulable.no fit");
        assert_eq!(u.n, 3);
        assert!((u.mean - 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(u.values.get(&2), Some(&0.0));
        // (0 + 0 + 2) / 3.
        let r = get("classes.a.ran_in.x");
        assert_eq!(r.n, 3);
        assert!((r.mean - 2.0 / 3.0).abs() < 1e-12);
        // A percentile without a sample in seed 3 is absent there: (10 + 20) / 2 over n = 2.
        let w = get("classes.a.wait.p95_s");
        assert_eq!(w.n, 2);
        assert_eq!(w.mean, 15.0);
        assert!(!w.values.contains_key(&3));
    }
}
