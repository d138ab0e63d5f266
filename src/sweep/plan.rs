//! A sweep, planned: the file read, its points expanded, and every point's scenario built
//! (base, then the file's `set:`, then the command line's `--set`, then the point's axis values)
//! and checked before anything runs. The plan is what shards carry and `merge` reads back, and
//! its hash (`sweep_sha256`) tells whether two shards belong to one sweep.

use super::file::{self, Goal, Mode, SweepFile};
use super::overrides::{Override, apply_to_loaded, origin};
use super::points::{Axis, Point, axes, points};
use super::seeds::parse_seeds;
use crate::report::{Provenance, scenario_sha256};
use crate::scenario::{self, Loaded, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Format tag of `sweep.json`.
pub const FORMAT: &str = "slicesim-sweep/1";

/// Default objectives: the total cost, and the p95 wait of every priority.
pub const DEFAULT_OBJECTIVES: &[(&str, Goal)] = &[
    ("cost.total_usd", Goal::Min),
    ("priorities.*.wait.p95_s", Goal::Min),
];

/// One point as planned (what `sweep.json` lists).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedPoint {
    pub id: String,
    pub label: String,
    /// Axis name -> the value's label, in axis order.
    pub assignments: Vec<(String, String)>,
    /// The point's own overrides in normal form (`PATH=VALUE`).
    pub overrides: Vec<String>,
    /// The scenario's name (`name:`), as its summaries give it.
    pub scenario: String,
    /// Hash of the point's resolved scenario ([`scenario_sha256`]).
    pub scenario_sha256: String,
}

/// Everything about a sweep but its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format: String,
    /// The sweep file as given, and its base scenario.
    pub file: String,
    pub base: String,
    /// Overrides of every point, in order: the file's `set:`, then `--set`.
    pub set: Vec<String>,
    pub mode: Mode,
    pub axes: Vec<AxisInfo>,
    pub seeds: Vec<u64>,
    /// Objective patterns as given (`*` matches any text).
    pub objectives: Vec<(String, Goal)>,
    pub points: Vec<PlannedPoint>,
    /// Tool, version and commit (its `scenario_sha256` is the sweep's hash, its seeds the
    /// sweep's seeds).
    pub provenance: ProvenanceInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisInfo {
    pub name: String,
    /// `None` for an axis of override lists.
    pub path: Option<String>,
    /// The values' labels (empty when a list-mode axis takes its values from the points).
    pub values: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProvenanceInfo {
    pub tool: String,
    pub version: String,
    pub git_describe: String,
    /// SHA-256 over the axes, the points (ids, assignments, overrides, scenario hashes), the
    /// seeds, the objectives and the tool version: equal hashes, the same sweep.
    pub sweep_sha256: String,
}

/// A plan with the scenario of every point, ready to run.
pub struct Prepared {
    pub plan: Plan,
    pub scenarios: Vec<Loaded>,
}

/// An error before any run (bad file, bad point): exit code 2 at the command line.
#[derive(Debug)]
pub struct InputError(pub String);

/// Reads and checks the sweep file at `path`, with `cli_set` (`--set`) for every point.
pub fn prepare(path: &Path, cli_set: &[Override]) -> Result<Prepared, InputError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("{source}: cannot read: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    prepare_text(&text, &source, dir, cli_set)
}

/// [`prepare`] for a sweep file's text; `dir` resolves a relative `base`.
pub fn prepare_text(
    text: &str,
    source: &str,
    dir: &Path,
    cli_set: &[Override],
) -> Result<Prepared, InputError> {
    let err = |e: String| InputError(format!("{source}: {e}"));
    let f: SweepFile = file::parse(text, source).map_err(InputError)?;
    let base = match f.base.as_str() {
        "builtin" => scenario::builtin(),
        p => scenario::load(&dir.join(p)).map_err(|e| err(format!("base: {e}")))?,
    };
    let mut set: Vec<Override> = Vec::new();
    for (i, s) in f.set.iter().enumerate() {
        set.push(Override::parse(s).map_err(|e| err(format!("set[{i}]: {e}")))?);
    }
    set.extend(cli_set.iter().cloned());
    let axes = axes(&f).map_err(err)?;
    let pts = points(&f, &axes).map_err(err)?;
    let seeds = seeds_of(f.seeds.as_ref(), base.scenario.seed).map_err(err)?;
    let objectives: Vec<(String, Goal)> = match &f.objectives {
        Some(o) if o.is_empty() => {
            return Err(err(
                "objectives: empty (leave it out for the defaults)".into()
            ));
        }
        Some(o) => o.iter().map(|(k, g)| (k.clone(), *g)).collect(),
        None => DEFAULT_OBJECTIVES
            .iter()
            .map(|(k, g)| (k.to_string(), *g))
            .collect(),
    };
    let mut scenarios = Vec::with_capacity(pts.len());
    let mut planned = Vec::with_capacity(pts.len());
    for p in &pts {
        let (loaded, pp) = point_scenario(&base, &set, &axes, p)
            .map_err(|e| err(format!("point {} ({}): {e}", p.id, p.label)))?;
        scenarios.push(loaded);
        planned.push(pp);
    }
    let mut plan = Plan {
        format: FORMAT.into(),
        file: source.to_string(),
        base: base.source.clone(),
        set: set.iter().map(Override::to_string).collect(),
        mode: f.mode,
        axes: axes
            .iter()
            .map(|a| AxisInfo {
                name: a.name.clone(),
                path: a.path.clone(),
                values: a.values.iter().map(|v| v.label.clone()).collect(),
            })
            .collect(),
        seeds,
        objectives,
        points: planned,
        provenance: ProvenanceInfo {
            tool: String::new(),
            version: String::new(),
            git_describe: String::new(),
            sweep_sha256: String::new(),
        },
    };
    let p = Provenance::new(String::new(), Vec::new());
    plan.provenance = ProvenanceInfo {
        sweep_sha256: sweep_sha256(&plan, &p.version, &p.git_describe),
        tool: p.tool,
        version: p.version,
        git_describe: p.git_describe,
    };
    Ok(Prepared { plan, scenarios })
}

impl Prepared {
    /// The same sweep with `seeds` instead of the file's (`sweep --seeds`); the sweep's hash
    /// covers the seeds, so shards run with different seeds never merge.
    pub fn with_seeds(mut self, seeds: Vec<u64>) -> Self {
        self.plan.seeds = seeds;
        let info = &self.plan.provenance;
        let hash = sweep_sha256(&self.plan, &info.version, &info.git_describe);
        self.plan.provenance.sweep_sha256 = hash;
        self
    }
}

/// The point's scenario: base + `set` + the point's values, checked.
fn point_scenario(
    base: &Loaded,
    set: &[Override],
    axes: &[Axis],
    p: &Point,
) -> Result<(Loaded, PlannedPoint), String> {
    let mine = p.overrides(axes)?;
    let all: Vec<Override> = set.iter().cloned().chain(mine.iter().cloned()).collect();
    let mut loaded = base.clone();
    let applied = apply_to_loaded(&mut loaded, &all)?;
    let problems = crate::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| match origin(p, &applied) {
            Some(a) => format!("--set {}: {}: {}", a.given, p.path, p.message),
            None => p.to_string(),
        })
        .collect();
    if !errors.is_empty() {
        let sets: Vec<String> = applied[set.len()..]
            .iter()
            .map(|a| a.normalized())
            .collect();
        let sets = if sets.is_empty() {
            String::new()
        } else {
            format!(" (the point sets {})", sets.join(", "))
        };
        return Err(format!("{}{sets}", errors.join("; ")));
    }
    let hash = scenario_sha256(&loaded, None)?;
    let pp = PlannedPoint {
        id: p.id.clone(),
        label: p.label.clone(),
        assignments: axes
            .iter()
            .zip(&p.values)
            .map(|(a, v)| (a.name.clone(), v.label.clone()))
            .collect(),
        overrides: applied[set.len()..]
            .iter()
            .map(|a| a.normalized())
            .collect(),
        scenario: loaded.scenario.name.clone(),
        scenario_sha256: hash,
    };
    Ok((loaded, pp))
}

fn seeds_of(v: Option<&Value>, default: u64) -> Result<Vec<u64>, String> {
    let text = match v {
        None => return Ok(vec![default]),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("seeds: `{other}` is not a seed")),
            })
            .collect::<Result<Vec<_>, _>>()?
            .join(","),
        Some(other) => return Err(format!("seeds: `{other}` is not a seed list")),
    };
    parse_seeds(&text).map_err(|e| format!("seeds: {e}"))
}

fn sweep_sha256(plan: &Plan, version: &str, git: &str) -> String {
    #[derive(Serialize)]
    struct Hashed<'a> {
        format: &'a str,
        version: &'a str,
        git: &'a str,
        axes: &'a [AxisInfo],
        seeds: &'a [u64],
        objectives: &'a [(String, Goal)],
        points: &'a [PlannedPoint],
    }
    let h = Hashed {
        format: FORMAT,
        version,
        git,
        axes: &plan.axes,
        seeds: &plan.seeds,
        objectives: &plan.objectives,
        points: &plan.points,
    };
    let json = serde_json::to_vec(&h).expect("plain data serializes");
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
