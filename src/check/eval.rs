//! Evaluates expectations against a run's figures (and a baseline's): each glob pattern (`*`)
//! expands to every matching figure, each checked on its own. With replications a figure's
//! value is its mean over the seeds and its 95 % half-width goes along for the report.

use super::expect::{Expectation, Op};
use crate::report::{PriorityNames, figures_of_value};
use glob::Pattern;
use serde_json::Value;
use std::path::Path;

/// One figure of the checked run.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub path: String,
    /// The value, or the mean over replications.
    pub value: f64,
    /// 95 % half-width over replications (`None` for one run).
    pub half_width: Option<f64>,
}

/// One (expanded) expectation, evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The expectation's name, or its text; with a `*`, the figure path is added.
    pub name: String,
    /// The expression as written.
    pub text: String,
    /// The figure path checked.
    pub path: String,
    pub actual: f64,
    pub half_width: Option<f64>,
    pub op: Op,
    pub bound: f64,
    pub baseline: Option<f64>,
    /// The figure is only a lower bound (a wait percentile among jobs that never started,
    /// docs/MODEL.md): `<=`, `<` and `==` cannot be shown to hold on it, except against a
    /// baseline figure that is a lower bound too (like is compared with like).
    pub lower_bound: bool,
    pub passed: bool,
}

/// Short names accepted for the ends of figure paths (docs/CI.md lists them).
pub const ALIASES: &[(&str, &str)] = &[
    ("wait_p50", "wait.p50_s"),
    ("wait_p95", "wait.p95_s"),
    ("wait_p99", "wait.p99_s"),
    ("cost.total", "cost.total_usd"),
    ("cost.allocated", "cost.allocated_usd"),
    ("cost.idle", "cost.idle_usd"),
    ("completed", "jobs.completed"),
    ("failed", "jobs.failed"),
    ("pending", "jobs.pending"),
    ("cost", "cost_usd"),
    ("idle_cost", "idle_cost_usd"),
    ("allocated_cost", "allocated_cost_usd"),
];

/// The path with its aliases written out (a path that is a figure itself is kept as is).
fn unalias(path: &str) -> String {
    for (short, long) in ALIASES {
        if path == *short {
            return (*long).to_string();
        }
        if let Some(head) = path.strip_suffix(&format!(".{short}")) {
            return format!("{head}.{long}");
        }
    }
    path.to_string()
}

/// The figure paths `pattern` names, in the run's order: itself, else with aliases written out.
pub fn resolve<'a>(pattern: &str, figures: &'a [Figure]) -> Result<Vec<&'a Figure>, String> {
    for p in [pattern.to_string(), unalias(pattern)] {
        // A glob pattern, as `compare --only` takes (`*` any run of characters, `?` one).
        let glob = Pattern::new(&p).map_err(|e| format!("`{pattern}`: {e}"))?;
        let hits: Vec<&Figure> = figures.iter().filter(|f| glob.matches(&f.path)).collect();
        if !hits.is_empty() {
            return Ok(hits);
        }
    }
    Err(format!(
        "no figure `{pattern}`{}; close names: {}",
        if unalias(pattern) != pattern {
            format!(" (nor `{}`)", unalias(pattern))
        } else {
            String::new()
        },
        close_names(&unalias(pattern), figures).join(", ")
    ))
}

/// The five figure paths closest to `path`.
fn close_names(path: &str, figures: &[Figure]) -> Vec<String> {
    let probe = path.replace('*', "");
    let mut scored: Vec<(f64, &str)> = figures
        .iter()
        .map(|f| (strsim::jaro_winkler(&probe, &f.path), f.path.as_str()))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(5)
        .map(|(_, p)| p.to_string())
        .collect()
}

/// Evaluates every expectation. Errors (exit 2): an unknown figure, an expectation using
/// `baseline` with no baseline given, a figure the baseline lacks.
pub fn evaluate(
    expectations: &[Expectation],
    figures: &[Figure],
    baseline: Option<&[(String, f64)]>,
) -> Result<Vec<Outcome>, String> {
    let mut out = Vec::new();
    for e in expectations {
        let at = |msg: String| {
            if e.line > 0 {
                format!("line {}: {msg}", e.line)
            } else {
                msg
            }
        };
        let uses = e.bound.uses_baseline();
        if uses && baseline.is_none() {
            return Err(at(format!(
                "`{}` uses `baseline`: give --baseline DIR (its summary.json)",
                e.text
            )));
        }
        let hits = resolve(&e.path, figures).map_err(at)?;
        let expanded = e.path.contains(['*', '?', '[']);
        for f in hits {
            let base = match baseline.filter(|_| uses) {
                Some(b) => Some(
                    b.iter()
                        .find(|(p, _)| *p == f.path)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| at(format!("the baseline has no figure `{}`", f.path)))?,
                ),
                None => None,
            };
            let bound = e.bound.eval(base.unwrap_or(f64::NAN));
            let lower_bound = is_lower_bound(&f.path, |p| {
                figures.iter().find(|g| g.path == p).map(|g| g.value)
            });
            let base_lower = base.is_some()
                && is_lower_bound(&f.path, |p| {
                    baseline?.iter().find(|(q, _)| q == p).map(|(_, v)| *v)
                });
            let label = e.name.clone().unwrap_or_else(|| e.text.clone());
            out.push(Outcome {
                name: if expanded {
                    format!("{label} [{}]", f.path)
                } else {
                    label
                },
                text: e.text.clone(),
                path: f.path.clone(),
                actual: f.value,
                half_width: f.half_width,
                op: e.op,
                bound,
                baseline: base,
                lower_bound,
                passed: holds(e.op, f.value, bound, lower_bound && !base_lower),
            });
        }
    }
    Ok(out)
}

/// Whether the figure at `path` is only a lower bound: a wait percentile `...pNN_s` whose flag
/// `...pNN_censored` is set (with replications: set for at least one seed, its mean above 0).
/// `get` looks a figure up by path.
pub fn is_lower_bound(path: &str, get: impl Fn(&str) -> Option<f64>) -> bool {
    match path.strip_suffix("_s") {
        Some(head) if head.rsplit('.').next().is_some_and(|p| p.starts_with('p')) => {
            get(&format!("{head}_censored")).is_some_and(|v| v > 0.0)
        }
        _ => false,
    }
}

/// Whether `actual OP bound` holds when `actual` may be only a lower bound of the true value
/// (`lower_bound`): then only `>=` and `>` can hold (the true value is at least `actual`);
/// `<=`, `<` and `==` cannot be shown and count as failed.
pub fn holds(op: Op, actual: f64, bound: f64, lower_bound: bool) -> bool {
    if lower_bound && !matches!(op, Op::Ge | Op::Gt) {
        return false;
    }
    op.holds(actual, bound)
}

/// The figures of a baseline folder's `summary.json`: a single run's (named with `priorities`,
/// the checked run's PriorityClass names) or a replication's means.
pub fn load_baseline(dir: &Path, priorities: &PriorityNames) -> Result<Vec<(String, f64)>, String> {
    let path = dir.join("summary.json");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("baseline {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("baseline {}: not JSON: {e}", path.display()))?;
    Ok(baseline_figures(&value, priorities))
}

/// See [`load_baseline`].
pub fn baseline_figures(value: &Value, priorities: &PriorityNames) -> Vec<(String, f64)> {
    match value.get("figures").and_then(Value::as_array) {
        Some(figs) => figs
            .iter()
            .filter_map(|f| {
                let path = f.get("path")?.as_str()?;
                Some((path.to_string(), f.get("mean")?.as_f64()?))
            })
            .collect(),
        None => figures_of_value(value, priorities),
    }
}

/// A value as shown in reports: seconds for `_s` paths as a duration, others as numbers.
pub fn show(path: &str, x: f64) -> String {
    if path.ends_with("_s") && x.is_finite() {
        let a = x.abs();
        if a < 120.0 {
            format!("{x:.1}s")
        } else if a < 7200.0 {
            format!("{:.2}m", x / 60.0)
        } else {
            format!("{:.3}h", x / 3600.0)
        }
    } else {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}
