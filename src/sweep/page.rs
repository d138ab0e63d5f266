//! What `sweep.html` shows, chosen from the plan and the aggregated figures: the objectives'
//! figures (or cost, a p95 wait and completed jobs when the sweep names none), the heatmap's
//! figure (the first objective, else the total cost) and the Pareto plot's cost and wait.

use super::dominance::Objective;
use super::file::Goal;
use super::output::Outcome;
use super::plan::Plan;
use super::replicate::FigureStats;
use crate::report::html::sweep::{Stat, SweepPage, SweepPoint};

/// The cost figure of the Pareto plot.
pub const COST: &str = "cost.total_usd";

/// The wait figure of the Pareto plot: the first objective that is a p95 wait, else the
/// first p95 wait of a priority class in summary order (the highest priority), else of a class.
fn wait_figure(objectives: &[Objective], figures: &[&str]) -> String {
    let is_p95 = |f: &str| f.ends_with(".wait.p95_s");
    if let Some(o) = objectives.iter().find(|o| is_p95(&o.figure)) {
        return o.figure.clone();
    }
    figures
        .iter()
        .find(|f| f.starts_with("priorities.") && is_p95(f))
        .or_else(|| figures.iter().find(|f| is_p95(f)))
        .map_or_else(String::new, |f| f.to_string())
}

/// `figures`: the figure names of one run in summary order.
pub fn page(plan: &Plan, stats: &[Vec<FigureStats>], o: &Outcome, figures: &[&str]) -> SweepPage {
    let wait = wait_figure(&o.objectives, figures);
    let mut key: Vec<String> = o.objectives.iter().map(|x| x.figure.clone()).collect();
    for f in [COST, wait.as_str(), "jobs.completed"] {
        if !f.is_empty() && !key.iter().any(|k| k == f) {
            key.push(f.to_string());
        }
    }
    let points = plan
        .points
        .iter()
        .zip(stats)
        .zip(&o.points)
        .map(|((p, s), po)| SweepPoint {
            id: p.id.clone(),
            label: p.label.clone(),
            values: p.assignments.iter().map(|(_, v)| v.clone()).collect(),
            figures: s
                .iter()
                .map(|f| {
                    (
                        f.path.clone(),
                        Stat {
                            mean: f.mean,
                            half_width: f.half_width,
                        },
                    )
                })
                .collect(),
            dominated_by: po.dominated_by.clone(),
        })
        .collect();
    let goal = |g: Goal| match g {
        Goal::Min => "min",
        Goal::Max => "max",
    };
    SweepPage {
        file: plan.file.clone(),
        base: plan.base.clone(),
        seeds: plan.seeds.clone(),
        axes: plan.axes.iter().map(|a| a.name.clone()).collect(),
        points,
        heat_figure: o
            .objectives
            .first()
            .map_or_else(|| COST.to_string(), |x| x.figure.clone()),
        objectives: o
            .objectives
            .iter()
            .map(|x| format!("{} ({})", x.figure, goal(x.goal)))
            .collect(),
        key_figures: key,
        cost_figure: COST.into(),
        wait_figure: wait,
        provenance: vec![
            ("tool".into(), plan.provenance.tool.clone()),
            ("version".into(), plan.provenance.version.clone()),
            (
                "built from (git describe)".into(),
                plan.provenance.git_describe.clone(),
            ),
            ("sweep SHA-256".into(), plan.provenance.sweep_sha256.clone()),
        ],
    }
}
