//! Many runs of one scenario: scenario overrides (`--set PATH=VALUE`), replications over seeds
//! with confidence intervals, output folders compared side by side (`compare`), and sweeps: the
//! sweep file (`file`), its points (`points`), the plan with every point's scenario checked
//! (`plan`), parallel runs (`run`), the output folder (`output`, `dominance`), shards and their
//! merge (`shard`, `merge`). Library only: returns data and writes report files.

pub mod compare;
pub mod dominance;
pub mod file;
pub mod merge;
pub mod output;
pub mod overrides;
pub mod page;
pub mod plan;
pub mod points;
pub mod replicate;
pub mod run;
pub mod seeds;
pub mod shard;
pub mod stage;

pub use overrides::{Applied, Override, apply_overrides, apply_to_loaded};
pub use plan::{InputError, Plan, Prepared, prepare, prepare_text};

use std::path::Path;

/// How to run a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// Threads; `None` = all cores.
    pub jobs: Option<usize>,
    /// Also write every run's usual files under `OUT/runs/<id>/seed-<n>/`.
    pub keep_runs: bool,
}

/// Why a sweep, shard or merge stopped: bad input (exit 2: nothing ran) or a failure while
/// running or writing (exit 1). Nothing is written either way.
#[derive(Debug, PartialEq)]
pub enum SweepError {
    Input(String),
    Failed(String),
}

impl SweepError {
    pub fn message(&self) -> &str {
        match self {
            SweepError::Input(m) | SweepError::Failed(m) => m,
        }
    }
}

/// Runs every point and seed of `prep` and writes the sweep's files into `out` (all of them,
/// or none on error).
pub fn sweep(
    prep: &Prepared,
    opts: &SweepOptions,
    out: &Path,
    progress: run::Progress,
) -> Result<output::Outcome, SweepError> {
    let stage = stage::Staging::new(out, "sweep.json").map_err(SweepError::Input)?;
    let keep = opts.keep_runs.then(|| stage.path());
    let runs = run::run_all(prep, &run::all_runs(prep), opts.jobs, keep, progress)
        .map_err(SweepError::Failed)?;
    let outcome = output::write(stage.path(), &prep.plan, &runs).map_err(SweepError::Failed)?;
    stage.commit().map_err(SweepError::Failed)?;
    Ok(outcome)
}
