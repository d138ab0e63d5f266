//! Reading an output folder for `compare`, and telling which kind it is:
//!
//! 1. `DIR/sweep.json` present: a sweep. Its `format` must be [`SWEEP_FORMAT`]; every point
//!    listed (by `id`) is read from `DIR/points/<id>/summary.json`, a replication summary.
//! 2. else `DIR/summary.json` with `provenance.tool` = `slicesim`: a replication when it holds a
//!    `figures` list (`run --seeds`), a single run when it holds `pools` (`run`).
//! 3. anything else (no such folder, no summary, unreadable or foreign JSON) is an error.

use super::{Kind, Measure, Output, Point};
use crate::report::{PriorityNames, figures_of_value};
use crate::sweep::replicate::Replication;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

/// The `format` of a sweep manifest this version reads.
pub const SWEEP_FORMAT: &str = "slicesim-sweep/1";

/// The fields of `sweep.json` that `compare` needs (the rest is ignored).
#[derive(Deserialize)]
struct Manifest {
    format: String,
    points: Vec<ManifestPoint>,
}

#[derive(Deserialize)]
struct ManifestPoint {
    /// A string; a number is taken as its decimal text.
    id: Value,
}

/// Reads the output folder `dir` (see the module documentation).
pub fn read_output(dir: &Path) -> Result<Output, String> {
    let shown = dir.display();
    if !dir.is_dir() {
        return Err(format!("{shown}: no such folder"));
    }
    let manifest = dir.join("sweep.json");
    if manifest.is_file() {
        return read_sweep(dir, &manifest);
    }
    let summary = dir.join("summary.json");
    if !summary.is_file() {
        return Err(format!(
            "{shown}: not a slicesim output (no summary.json or sweep.json)"
        ));
    }
    let value = read_json(&summary)?;
    let point = read_summary(&summary, &value)?;
    let kind = if value.get("figures").is_some() {
        Kind::Replication
    } else {
        Kind::Run
    };
    Ok(Output {
        dir: shown.to_string(),
        kind,
        points: vec![point],
    })
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a slicesim output (not JSON: {e})", path.display()))
}

/// One summary.json (a run's or a replication's) as a point without an id.
fn read_summary(path: &Path, value: &Value) -> Result<Point, String> {
    let shown = path.display();
    let tool = value.pointer("/provenance/tool").and_then(Value::as_str);
    if tool != Some("slicesim") {
        return Err(format!(
            "{shown}: not a slicesim output (no provenance.tool \"slicesim\")"
        ));
    }
    if value.get("figures").is_some() {
        let rep: Replication = serde_json::from_value(value.clone())
            .map_err(|e| format!("{shown}: not a replication summary: {e}"))?;
        let priorities = path
            .parent()
            .map(|dir| seed_priority_names(dir, &rep))
            .unwrap_or_default();
        let figures = rep
            .figures
            .into_iter()
            .map(|f| {
                let m = Measure {
                    n: f.n,
                    mean: f.mean,
                    sd: f.sd,
                    half_width: f.half_width,
                };
                (f.path, m)
            })
            .collect();
        let mut p = point(rep.scenario, rep.provenance.seeds, figures);
        p.priorities = priorities;
        return Ok(p);
    }
    if !value.get("pools").is_some_and(Value::is_array) {
        return Err(format!(
            "{shown}: not a slicesim output (neither a run's nor a replication's summary)"
        ));
    }
    // A single run's summary does not carry PriorityClass names: priorities go by value.
    let figures = figures_of_value(value, &PriorityNames::new())
        .into_iter()
        .map(|(path, x)| (path, Measure::single(x)))
        .collect();
    let scenario = value["scenario"].as_str().unwrap_or_default().to_string();
    let seeds = value
        .pointer("/provenance/seeds")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    Ok(point(scenario, seeds, figures))
}

fn point(scenario: String, seeds: Vec<u64>, figures: Vec<(String, Measure)>) -> Point {
    Point {
        id: None,
        scenario,
        seeds,
        figures,
        priorities: PriorityNames::new(),
    }
}

/// Value -> PriorityClass name of a replication, from its first seed's own summary
/// (`seed-<n>/summary.json`, whose `priorities` list by value in the order the figures name
/// them). Empty when that file is absent or does not line up.
fn seed_priority_names(dir: &Path, rep: &Replication) -> PriorityNames {
    let Some(seed) = rep.provenance.seeds.first() else {
        return PriorityNames::new();
    };
    let path = dir.join(format!("seed-{seed}")).join("summary.json");
    let Some(summary) = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    else {
        return PriorityNames::new();
    };
    let values: Option<Vec<i32>> = summary["priorities"].as_array().map(|items| {
        items
            .iter()
            .filter_map(|p| p["priority"].as_i64().and_then(|v| i32::try_from(v).ok()))
            .collect()
    });
    // Every priority item has `evictions`: one such figure per item, in the summary's order.
    let names: Vec<&str> = rep
        .figures
        .iter()
        .filter(|f| f.values.contains_key(seed))
        .filter_map(|f| {
            f.path
                .strip_prefix("priorities.")?
                .strip_suffix(".evictions")
        })
        .collect();
    match values {
        Some(values) if values.len() == names.len() => values
            .into_iter()
            .zip(names)
            .filter(|(v, name)| v.to_string() != *name)
            .map(|(v, name)| (v, name.to_string()))
            .collect(),
        _ => PriorityNames::new(),
    }
}

fn read_sweep(dir: &Path, manifest: &Path) -> Result<Output, String> {
    let shown = manifest.display();
    let m: Manifest = serde_json::from_value(read_json(manifest)?)
        .map_err(|e| format!("{shown}: not a sweep manifest: {e}"))?;
    if m.format != SWEEP_FORMAT {
        return Err(format!(
            "{shown}: sweep format `{}`; this version reads `{SWEEP_FORMAT}`",
            m.format
        ));
    }
    let mut points = Vec::with_capacity(m.points.len());
    for p in m.points {
        let id = match p.id {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => return Err(format!("{shown}: point id {other} is not a string")),
        };
        let plain = !id.is_empty() && id != "." && id != ".." && !id.contains(['/', '\\']);
        if !plain {
            return Err(format!("{shown}: point id `{id}` is not a folder name"));
        }
        if points.iter().any(|q: &Point| q.id.as_deref() == Some(&id)) {
            return Err(format!("{shown}: point id `{id}` appears twice"));
        }
        let path = dir.join("points").join(&id).join("summary.json");
        if !path.is_file() {
            return Err(format!("{}: missing (point `{id}`)", path.display()));
        }
        let value = read_json(&path)?;
        if value.get("figures").is_none() {
            return Err(format!(
                "{}: not a replication summary (point `{id}`)",
                path.display()
            ));
        }
        let mut point = read_summary(&path, &value)?;
        point.id = Some(id);
        points.push(point);
    }
    Ok(Output {
        dir: dir.display().to_string(),
        kind: Kind::Sweep,
        points,
    })
}
