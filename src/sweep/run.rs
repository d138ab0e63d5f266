//! Running a sweep's (point, seed) pairs in parallel on a pool of its own, and collecting each
//! run's figures in (point, seed) order, whatever the number of threads.

use super::plan::Prepared;
use crate::report::{figures, priority_names};
use crate::run::{RunOptions, run_in_memory, run_to_dir};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One run to do: the point's index in the plan and the seed.
pub type RunKey = (usize, u64);

/// One run's figures (`report::figures` paths and values, in the summary's order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    pub point: usize,
    pub seed: u64,
    pub figures: Vec<(String, f64)>,
}

/// Called after each run with (runs done, runs in all); from any thread.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Every (point, seed) pair of the plan, in order: points, then seeds.
pub fn all_runs(prep: &Prepared) -> Vec<RunKey> {
    (0..prep.plan.points.len())
        .flat_map(|p| prep.plan.seeds.iter().map(move |s| (p, *s)))
        .collect()
}

/// Runs `runs` on `jobs` threads (`None`: all cores). With `keep` each run also writes its
/// usual files to `keep/runs/<id>/seed-<n>/`. The first failing run in (point, seed) order
/// is the error.
pub fn run_all(
    prep: &Prepared,
    runs: &[RunKey],
    jobs: Option<usize>,
    keep: Option<&Path>,
    progress: Progress,
) -> Result<Vec<RunFigures>, String> {
    let done = AtomicUsize::new(0);
    let total = runs.len();
    progress(0, total);
    let one = |&(p, seed): &RunKey| -> Result<RunFigures, String> {
        let point = &prep.plan.points[p];
        let r = run_one(prep, p, seed, keep)
            .map_err(|e| format!("point {} ({}) seed {seed}: {e}", point.id, point.label));
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        r
    };
    let threads = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| format!("--jobs {threads}: {e}"))?;
    let results: Vec<Result<RunFigures, String>> =
        pool.install(|| runs.par_iter().map(one).collect());
    let mut out: Vec<RunFigures> = results.into_iter().collect::<Result<_, _>>()?;
    out.sort_by_key(|r| (r.point, r.seed));
    Ok(out)
}

fn run_one(
    prep: &Prepared,
    p: usize,
    seed: u64,
    keep: Option<&Path>,
) -> Result<RunFigures, String> {
    let loaded = &prep.scenarios[p];
    let opts = RunOptions {
        seed: Some(seed),
        ..RunOptions::default()
    };
    let names = priority_names(&crate::run::world(loaded, &opts)?);
    let summary = match keep {
        Some(dir) => {
            let id = &prep.plan.points[p].id;
            let dir = dir.join("runs").join(id).join(format!("seed-{seed}"));
            run_to_dir(loaded, &opts, &dir)?.summary
        }
        None => run_in_memory(loaded, &opts, &mut |_| Ok(()))?.0,
    };
    Ok(RunFigures {
        point: p,
        seed,
        figures: figures(&summary, &names),
    })
}
