//! The runs behind a `slicesim size` probe: the scenario with the axis set to a value (checked
//! like `validate` would), run once or once per seed in parallel, in memory (no output files),
//! and its figures as means with 95 % half-widths.

use super::eval::Figure;
use crate::report::{figures, priority_names};
use crate::run::{RunOptions, run_in_memory};
use crate::scenario::{Loaded, Severity};
use crate::sweep::replicate::aggregate;
use crate::sweep::{Override, apply_to_loaded};
use rayon::prelude::*;

/// `base` with `axis` set to `value`; errors name the override and every validation error.
pub fn at_value(base: &Loaded, axis: &str, value: i64) -> Result<Loaded, String> {
    with_value(base, axis, &value.to_string(), "--axis")
}

/// `base` with `path` set to `value` (written as `--set` takes it); `flag` names the option
/// in errors.
pub fn with_value(base: &Loaded, path: &str, value: &str, flag: &str) -> Result<Loaded, String> {
    let mut loaded = base.clone();
    let o = Override::parse(&format!("{path}={value}")).map_err(|e| format!("{flag} {e}"))?;
    apply_to_loaded(&mut loaded, &[o]).map_err(|e| e.replacen("--set ", &format!("{flag} "), 1))?;
    let problems = crate::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(format!(
            "{path}={value} makes the scenario invalid: {}",
            errors.join("; ")
        ))
    }
}

/// The figures of `loaded`: one run with the scenario's seed (`seeds` empty), or the mean and
/// 95 % half-width of every figure over one run per seed.
pub fn run_figures(
    loaded: &Loaded,
    opts: &RunOptions,
    seeds: &[u64],
) -> Result<Vec<Figure>, String> {
    // PriorityClass names do not depend on the seed.
    let names = priority_names(&crate::run::world(loaded, opts)?);
    let one = |seed: Option<u64>| -> Result<(u64, Vec<(String, f64)>), String> {
        let run = RunOptions {
            seed: seed.or(opts.seed),
            ..opts.clone()
        };
        let (summary, _) = run_in_memory(loaded, &run, &mut |_| Ok(()))?;
        Ok((summary.seed, figures(&summary, &names)))
    };
    let runs: Vec<(u64, Vec<(String, f64)>)> = if seeds.is_empty() {
        vec![one(None)?]
    } else {
        let all: Vec<Result<_, String>> = seeds.par_iter().map(|s| one(Some(*s))).collect();
        all.into_iter().collect::<Result<_, _>>()?
    };
    Ok(aggregate(&runs, 0.05)
        .into_iter()
        .map(|f| Figure {
            path: f.path,
            value: f.mean,
            half_width: f.half_width,
        })
        .collect())
}
