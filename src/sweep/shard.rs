//! Shards: one sweep split over machines. Shard `i` of `n` (0-based) runs the (point, seed)
//! pairs whose position in (point, seed) order is `i` modulo `n`, and writes a shard folder
//! holding `shard.json`: the plan, the sweep's hash, `i/n`, its run list and its runs' figures.
//! `merge` puts the shards back together.

use super::plan::{Plan, Prepared};
use super::run::{Progress, RunFigures, RunKey, all_runs, run_all};
use super::{SweepError, SweepOptions, stage::Staging};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format tag of `shard.json`.
pub const SHARD_FORMAT: &str = "slicesim-sweep-shard/1";
/// The file that marks a finished shard folder.
pub const SHARD_FILE: &str = "shard.json";

/// Shard `index` of `count`, 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: usize,
    pub count: usize,
}

impl ShardSpec {
    pub fn new(index: usize, count: usize) -> Result<Self, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard {index}/{count}: shards are numbered from 0 to {} (0-based)",
                count - 1
            ));
        }
        Ok(ShardSpec { index, count })
    }

    /// `I/N`, 0-based: `0/3`, `1/3`, `2/3`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a shard (expected I/N, 0-based, e.g. 0/3)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Self::new(i, n)
    }

    /// From a batch system's environment (`env` looks a variable up): a Kubernetes Indexed Job's
    /// `JOB_COMPLETION_INDEX` (0-based) with `count` or `SLICESIM_SHARD_COUNT`; else a Slurm array
    /// task: `SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN` (0 when unset) of
    /// `SLURM_ARRAY_TASK_COUNT` (`count` wins over it when given).
    pub fn from_env(
        count: Option<usize>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let num = |name: &str| -> Result<Option<usize>, String> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("{name}={v}: not a whole number"))
                })
                .transpose()
        };
        if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            let n = match count {
                Some(n) => n,
                None => num("SLICESIM_SHARD_COUNT")?.ok_or(
                    "JOB_COMPLETION_INDEX is set: give the shard count with --shard-count N or \
                     SLICESIM_SHARD_COUNT (the Job's completions)",
                )?,
            };
            return Self::new(i, n).map_err(|e| format!("JOB_COMPLETION_INDEX: {e}"));
        }
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let n = match count {
                Some(n) => n,
                None => num("SLURM_ARRAY_TASK_COUNT")?
                    .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: give --shard-count N")?,
            };
            let i = id.checked_sub(min).ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")
            })?;
            return Self::new(i, n)
                .map_err(|e| format!("SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN: {e}"));
        }
        Err(
            "no shard in the environment: set JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or \
             SLURM_ARRAY_TASK_ID (Slurm array), or give --shard I/N"
                .into(),
        )
    }

    /// This shard's share of `all` (runs in (point, seed) order): every `count`-th, from `index`.
    pub fn runs(&self, all: &[RunKey]) -> Vec<RunKey> {
        all.iter()
            .enumerate()
            .filter(|(k, _)| k % self.count == self.index)
            .map(|(_, r)| *r)
            .collect()
    }
}

/// `shard.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub sweep_sha256: String,
    pub shard: usize,
    pub count: usize,
    /// The runs this shard was given: (point id, seed).
    pub runs: Vec<(String, u64)>,
    pub plan: Plan,
    /// The runs' figures, each value as the shortest text that reads back as the same number.
    pub results: Vec<ShardRun>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRun {
    pub point: String,
    pub seed: u64,
    pub figures: Vec<(String, String)>,
}

/// Runs shard `spec` of the sweep and writes its folder `out` (whole or not at all).
pub fn run_shard(
    prep: &Prepared,
    spec: ShardSpec,
    opts: &SweepOptions,
    out: &Path,
    progress: Progress,
) -> Result<usize, SweepError> {
    let stage = Staging::new(out, SHARD_FILE).map_err(SweepError::Input)?;
    let mine = spec.runs(&all_runs(prep));
    let keep = opts.keep_runs.then(|| stage.path());
    let results = run_all(prep, &mine, opts.jobs, keep, progress).map_err(SweepError::Failed)?;
    let plan = &prep.plan;
    let id = |p: usize| plan.points[p].id.clone();
    let file = ShardFile {
        format: SHARD_FORMAT.into(),
        sweep_sha256: plan.provenance.sweep_sha256.clone(),
        shard: spec.index,
        count: spec.count,
        runs: mine.iter().map(|(p, s)| (id(*p), *s)).collect(),
        plan: plan.clone(),
        results: results
            .iter()
            .map(|r| ShardRun {
                point: id(r.point),
                seed: r.seed,
                figures: r
                    .figures
                    .iter()
                    .map(|(f, v)| (f.clone(), format!("{v}")))
                    .collect(),
            })
            .collect(),
    };
    let mut bytes =
        serde_json::to_vec_pretty(&file).map_err(|e| SweepError::Failed(e.to_string()))?;
    bytes.push(b'\n');
    let p = stage.path().join(SHARD_FILE);
    std::fs::write(&p, bytes)
        .map_err(|e| SweepError::Failed(format!("{}: cannot write: {e}", p.display())))?;
    stage.commit().map_err(SweepError::Failed)?;
    Ok(mine.len())
}

/// A shard's results as run figures (point ids back to indices); errors name what is wrong.
pub fn results_of(file: &ShardFile) -> Result<Vec<RunFigures>, String> {
    file.results
        .iter()
        .map(|r| {
            let point = file
                .plan
                .points
                .iter()
                .position(|p| p.id == r.point)
                .ok_or_else(|| {
                    format!("a result for point {}, which the sweep has not", r.point)
                })?;
            let figures = r
                .figures
                .iter()
                .map(|(f, v)| {
                    v.parse::<f64>().map(|x| (f.clone(), x)).map_err(|_| {
                        format!("{} seed {}: {f} = `{v}` is not a number", r.point, r.seed)
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(RunFigures {
                point,
                seed: r.seed,
                figures,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "shard_tests.rs"]
mod tests;
