//! A sweep's output folder (docs/SWEEP.md, "Outputs"), from its plan and its runs' figures in
//! (point, seed) order: `sweep.csv`, `sweep_summary.csv`, `sweep.json`, `sweep.html` and
//! `points/<id>/summary.json` (the replication format of `run --seeds`). Everything is made from
//! sorted data, so the bytes do not depend on how the runs were scheduled.

use super::dominance::{Objective, dominated_by, expand};
use super::plan::{Plan, PlannedPoint};
use super::replicate::{DEFAULT_HALF_WIDTH, FigureStats, Replication, aggregate};
use super::run::RunFigures;
use crate::metrics::replication::CONFIDENCE;
use crate::report::Provenance;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a written sweep found: the objectives and, per point, who dominates it.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub objectives: Vec<Objective>,
    /// Objective patterns that matched no figure.
    pub unmatched: Vec<String>,
    pub points: Vec<PointOutcome>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PointOutcome {
    pub id: String,
    pub label: String,
    /// The objectives' means, in objective order (`None`: the figure is absent).
    pub means: Vec<Option<f64>>,
    pub dominated_by: Vec<String>,
}

/// The manifest `sweep.json`: the plan, the objectives as matched and each point's dominance.
#[derive(Serialize)]
struct SweepJson<'a> {
    format: &'a str,
    file: &'a str,
    base: &'a str,
    set: &'a [String],
    mode: super::file::Mode,
    axes: &'a [super::plan::AxisInfo],
    seeds: &'a [u64],
    objectives: &'a [Objective],
    provenance: &'a super::plan::ProvenanceInfo,
    points: Vec<PointJson<'a>>,
}

#[derive(Serialize)]
struct PointJson<'a> {
    id: &'a str,
    label: &'a str,
    assignments: BTreeMap<&'a str, &'a str>,
    overrides: &'a [String],
    scenario: &'a str,
    scenario_sha256: &'a str,
    summary: String,
    dominated: bool,
    dominated_by: &'a [String],
}

/// Writes every file of the sweep into `dir` (a staging folder the caller renames).
pub fn write(dir: &Path, plan: &Plan, runs: &[RunFigures]) -> Result<Outcome, String> {
    let figures: Vec<String> = runs
        .iter()
        .flat_map(|r| r.figures.iter().map(|(f, _)| f.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let stats: Vec<Vec<FigureStats>> = (0..plan.points.len())
        .map(|p| {
            let per_seed: Vec<(u64, Vec<(String, f64)>)> = runs
                .iter()
                .filter(|r| r.point == p)
                .map(|r| (r.seed, r.figures.clone()))
                .collect();
            aggregate(&per_seed, DEFAULT_HALF_WIDTH)
        })
        .collect();
    let (objectives, unmatched) = expand(&plan.objectives, &figures);
    let means: Vec<Vec<Option<f64>>> = stats
        .iter()
        .map(|s| {
            objectives
                .iter()
                .map(|o| s.iter().find(|f| f.path == o.figure).map(|f| f.mean))
                .collect()
        })
        .collect();
    let goals: Vec<_> = objectives.iter().map(|o| o.goal).collect();
    let by = dominated_by(&means, &goals);
    let outcome = Outcome {
        points: plan
            .points
            .iter()
            .zip(means)
            .zip(&by)
            .map(|((p, m), by)| PointOutcome {
                id: p.id.clone(),
                label: p.label.clone(),
                means: m,
                dominated_by: by.iter().map(|i| plan.points[*i].id.clone()).collect(),
            })
            .collect(),
        objectives,
        unmatched,
    };
    put(dir, "sweep.csv", &sweep_csv(plan, runs, &figures)?)?;
    put(
        dir,
        "sweep_summary.csv",
        &summary_csv(plan, &stats, &outcome)?,
    )?;
    put(dir, "sweep.json", &json_bytes(&sweep_json(plan, &outcome))?)?;
    let first_run: Vec<&str> = runs
        .first()
        .map(|r| r.figures.iter().map(|(f, _)| f.as_str()).collect())
        .unwrap_or_default();
    let page = super::page::page(plan, &stats, &outcome, &first_run);
    put(
        dir,
        "sweep.html",
        crate::report::html::sweep::render(&page)?.as_bytes(),
    )?;
    for ((p, s), o) in plan.points.iter().zip(stats).zip(&outcome.points) {
        debug_assert_eq!(p.id, o.id);
        let rep = Replication {
            provenance: Provenance::new(p.scenario_sha256.clone(), plan.seeds.clone()),
            scenario: p.scenario.clone(),
            replications: plan.seeds.len(),
            confidence: CONFIDENCE,
            half_width_target: DEFAULT_HALF_WIDTH,
            figures: s,
        };
        let d = dir.join("points").join(&p.id);
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        put(&d, "summary.json", &json_bytes(&rep)?)?;
    }
    Ok(outcome)
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).map_err(|e| format!("{}: cannot write: {e}", p.display()))
}

/// Pretty JSON with a final newline, as `summary.json` files are written.
fn json_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>, String> {
    let mut b = serde_json::to_vec_pretty(v).map_err(|e| e.to_string())?;
    b.push(b'\n');
    Ok(b)
}

fn sweep_json<'a>(plan: &'a Plan, o: &'a Outcome) -> SweepJson<'a> {
    SweepJson {
        format: &plan.format,
        file: &plan.file,
        base: &plan.base,
        set: &plan.set,
        mode: plan.mode,
        axes: &plan.axes,
        seeds: &plan.seeds,
        objectives: &o.objectives,
        provenance: &plan.provenance,
        points: plan
            .points
            .iter()
            .zip(&o.points)
            .map(|(p, po)| PointJson {
                id: &p.id,
                label: &p.label,
                assignments: p
                    .assignments
                    .iter()
                    .map(|(a, v)| (a.as_str(), v.as_str()))
                    .collect(),
                overrides: &p.overrides,
                scenario: &p.scenario,
                scenario_sha256: &p.scenario_sha256,
                summary: format!("points/{}/summary.json", p.id),
                dominated: !po.dominated_by.is_empty(),
                dominated_by: &po.dominated_by,
            })
            .collect(),
    }
}

/// A number as CSV writes it: the shortest text that reads back as the same f64.
fn num(x: f64) -> String {
    format!("{x}")
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

fn axis_cells(p: &PlannedPoint) -> impl Iterator<Item = String> + '_ {
    p.assignments.iter().map(|(_, v)| v.clone())
}

fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `point,<axes>,seed,scenario_sha256,version,git_describe,<figures>`: one row per run.
fn sweep_csv(plan: &Plan, runs: &[RunFigures], figures: &[String]) -> Result<Vec<u8>, String> {
    let mut head = vec!["point".to_string()];
    head.extend(plan.axes.iter().map(|a| a.name.clone()));
    head.extend(RUN_COLUMNS.map(String::from));
    head.extend(figures.iter().cloned());
    let version = &plan.provenance.version;
    let git = &plan.provenance.git_describe;
    let rows = runs.iter().map(|r| {
        let p = &plan.points[r.point];
        let values: BTreeMap<&str, f64> = r.figures.iter().map(|(f, v)| (f.as_str(), *v)).collect();
        let mut row = vec![p.id.clone()];
        row.extend(axis_cells(p));
        row.extend([
            r.seed.to_string(),
            p.scenario_sha256.clone(),
            version.clone(),
            git.clone(),
        ]);
        row.extend(figures.iter().map(|f| opt(values.get(f.as_str()).copied())));
        row
    });
    csv_bytes(std::iter::once(head).chain(rows))
}

/// The columns `sweep.csv` adds after `point` and the axes, before the figures.
pub const RUN_COLUMNS: [&str; 4] = ["seed", "scenario_sha256", "version", "git_describe"];
/// The columns `sweep_summary.csv` adds after `point` and the axes.
pub const SUMMARY_COLUMNS: [&str; 9] = [
    "figure",
    "n",
    "mean",
    "sd",
    "half_width",
    "ci_low",
    "ci_high",
    "dominated",
    "dominated_by",
];

/// Long form: `point,<axes>,figure,n,mean,sd,half_width,ci_low,ci_high,dominated,dominated_by`,
/// one row per point and figure (figures in name order).
fn summary_csv(plan: &Plan, stats: &[Vec<FigureStats>], o: &Outcome) -> Result<Vec<u8>, String> {
    let mut head = vec!["point".to_string()];
    head.extend(plan.axes.iter().map(|a| a.name.clone()));
    head.extend(SUMMARY_COLUMNS.map(String::from));
    let mut rows = vec![head];
    for ((p, s), po) in plan.points.iter().zip(stats).zip(&o.points) {
        let mut sorted: Vec<&FigureStats> = s.iter().collect();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        for f in sorted {
            let mut row = vec![p.id.clone()];
            row.extend(axis_cells(p));
            row.extend([
                f.path.clone(),
                f.n.to_string(),
                num(f.mean),
                opt(f.sd),
                opt(f.half_width),
                opt(f.ci95_low),
                opt(f.ci95_high),
                (!po.dominated_by.is_empty()).to_string(),
                po.dominated_by.join(" "),
            ]);
            rows.push(row);
        }
    }
    csv_bytes(rows)
}
