//! `slicesim compare DIR_A DIR_B ...`: the figures of several output folders side by side, each
//! with its difference from the first folder (absolute and relative) and, where both sides
//! are replications, Welch's t-test on the difference of the means
//! ([`crate::metrics::welch`]). Folders are single runs, replications (`run --seeds`) or
//! sweeps (compared point by point, points matched by `id`); [`read_output`] tells which.
//!
//! Figures are the flat paths of [`crate::report::figures`]. Rows come in a fixed order: the
//! points in the first folder's order (then points only later folders have), and within a
//! point the figures in the first folder's order (then figures only later folders have).

mod read;
#[cfg(test)]
mod tests;

pub use read::{SWEEP_FORMAT, read_output};

use crate::metrics::welch::{self, ALPHA, Sample};
use crate::report::PriorityNames;
use serde::Serialize;
use std::collections::BTreeMap;

/// What an output folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Run,
    Replication,
    Sweep,
}

/// One figure of one folder: a single run's value has `n` = 1 and no spread.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    pub n: usize,
    /// The value of a single run, the mean over the seeds of a replication.
    pub mean: f64,
    pub sd: Option<f64>,
    /// Half-width of the 95 % confidence interval of the mean (n >= 2).
    pub half_width: Option<f64>,
}

impl Measure {
    pub fn single(x: f64) -> Measure {
        Measure {
            n: 1,
            mean: x,
            sd: None,
            half_width: None,
        }
    }
}

/// A run, a replication, or one point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The sweep point's `id`; `None` outside sweeps.
    pub id: Option<String>,
    pub scenario: String,
    pub seeds: Vec<u64>,
    pub figures: Vec<(String, Measure)>,
    /// PriorityClass names by value, where known (a replication with its seed folders).
    pub priorities: PriorityNames,
}

/// One output folder as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub dir: String,
    pub kind: Kind,
    pub points: Vec<Point>,
}

/// A folder as the comparison shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Side {
    pub dir: String,
    pub kind: Kind,
    /// The scenario name (the first point's in a sweep).
    pub scenario: String,
    /// The seeds (the first point's in a sweep).
    pub seeds: Vec<u64>,
    /// Points of a sweep; 1 otherwise.
    pub points: usize,
}

/// One folder's figure in a row, against the first folder's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    #[serde(flatten)]
    pub measure: Measure,
    /// `mean - first.mean`; `None` in the first column or without a first value.
    pub diff: Option<f64>,
    /// `diff / |first.mean|`; `None` also when the first mean is 0.
    pub rel_diff: Option<f64>,
    /// Welch's test of the difference; `None` ("no test") unless both sides have n >= 2.
    pub test: Option<welch::Welch>,
    /// `test.p < alpha`; `None` without a test.
    pub significant: Option<bool>,
}

/// One figure (of one sweep point) across the folders; `None` where a folder lacks it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub point: Option<String>,
    pub path: String,
    pub cells: Vec<Option<Cell>>,
}

/// The whole comparison (`--format json` writes it as is).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub sides: Vec<Side>,
    /// Significance level of the tests.
    pub alpha: f64,
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Whether any cell carries a test (both sides replicated).
    pub fn has_tests(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.cells.iter().flatten().any(|c| c.test.is_some()))
    }
}

/// Compares `outputs` (two or more) figure by figure, keeping the figures whose path `keep`
/// accepts. Sweeps compare only with sweeps.
pub fn compare(outputs: &[Output], keep: &dyn Fn(&str) -> bool) -> Result<Comparison, String> {
    if outputs.len() < 2 {
        return Err("compare needs two output folders or more".into());
    }
    let sweeps = outputs.iter().filter(|o| o.kind == Kind::Sweep).count();
    if sweeps != 0 && sweeps != outputs.len() {
        let (s, o) = {
            let s = outputs.iter().find(|o| o.kind == Kind::Sweep);
            let o = outputs.iter().find(|o| o.kind != Kind::Sweep);
            (s.map_or("", |x| &x.dir), o.map_or("", |x| &x.dir))
        };
        return Err(format!(
            "{s} is a sweep and {o} is not: a sweep compares only with another sweep"
        ));
    }
    let sides = outputs.iter().map(side).collect();
    let named = name_priorities(outputs);
    let outputs = named.as_slice();
    let mut rows = Vec::new();
    for id in point_ids(outputs) {
        let points: Vec<Option<&Point>> = outputs
            .iter()
            .map(|o| o.points.iter().find(|p| p.id == id))
            .collect();
        rows.extend(point_rows(&id, &points, keep));
    }
    Ok(Comparison {
        sides,
        alpha: ALPHA,
        rows,
    })
}

/// A single run names its priorities by value (its summary has no PriorityClass names):
/// rename them as the replications in the comparison name the same values, so that the rows
/// match. A value two folders name differently keeps its number.
fn name_priorities(outputs: &[Output]) -> Vec<Output> {
    let mut names = PriorityNames::new();
    let mut clash = Vec::new();
    for (v, name) in outputs
        .iter()
        .flat_map(|o| &o.points)
        .flat_map(|p| &p.priorities)
    {
        if names.get(v).is_some_and(|n| n != name) {
            clash.push(*v);
        }
        names.entry(*v).or_insert_with(|| name.clone());
    }
    names.retain(|v, _| !clash.contains(v));
    let rename = |path: &String| -> Option<String> {
        let rest = path.strip_prefix("priorities.")?;
        let (value, field) = rest.split_once('.')?;
        let name = names.get(&value.parse::<i32>().ok()?)?;
        Some(format!("priorities.{name}.{field}"))
    };
    let mut outputs = outputs.to_vec();
    for p in outputs
        .iter_mut()
        .filter(|o| o.kind == Kind::Run)
        .flat_map(|o| &mut o.points)
    {
        for (path, _) in &mut p.figures {
            if let Some(named) = rename(path) {
                *path = named;
            }
        }
    }
    outputs
}

fn side(o: &Output) -> Side {
    let first = o.points.first();
    Side {
        dir: o.dir.clone(),
        kind: o.kind,
        scenario: first.map(|p| p.scenario.clone()).unwrap_or_default(),
        seeds: first.map(|p| p.seeds.clone()).unwrap_or_default(),
        points: o.points.len(),
    }
}

/// Point ids in the first folder's order, then those only later folders have.
fn point_ids(outputs: &[Output]) -> Vec<Option<String>> {
    let mut ids: Vec<Option<String>> = Vec::new();
    for p in outputs.iter().flat_map(|o| &o.points) {
        if !ids.contains(&p.id) {
            ids.push(p.id.clone());
        }
    }
    ids
}

fn point_rows(
    id: &Option<String>,
    points: &[Option<&Point>],
    keep: &dyn Fn(&str) -> bool,
) -> Vec<Row> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_side: Vec<BTreeMap<&str, &Measure>> = Vec::new();
    for p in points {
        let mut map = BTreeMap::new();
        for (path, m) in p.iter().flat_map(|p| &p.figures) {
            if map.insert(path.as_str(), m).is_none() && !order.contains(&path.as_str()) {
                order.push(path);
            }
        }
        by_side.push(map);
    }
    order
        .into_iter()
        .filter(|path| keep(path))
        .map(|path| {
            let first = by_side[0].get(path).copied();
            let cells = by_side
                .iter()
                .enumerate()
                .map(|(i, map)| map.get(path).map(|m| cell(first.filter(|_| i > 0), m)))
                .collect();
            Row {
                point: id.clone(),
                path: path.to_string(),
                cells,
            }
        })
        .collect()
}

/// `m` against the first folder's `first` (`None` for the first folder itself).
fn cell(first: Option<&Measure>, m: &Measure) -> Cell {
    let diff = first.map(|f| m.mean - f.mean);
    let rel_diff = first
        .zip(diff)
        .and_then(|(f, d)| (f.mean != 0.0).then(|| d / f.mean.abs()));
    let test = first.and_then(|f| welch::welch(sample(f)?, sample(m)?));
    Cell {
        measure: m.clone(),
        diff,
        rel_diff,
        test,
        significant: test.map(|t| t.significant()),
    }
}

fn sample(m: &Measure) -> Option<Sample> {
    Some(Sample {
        n: m.n,
        mean: m.mean,
        sd: m.sd?,
    })
}
