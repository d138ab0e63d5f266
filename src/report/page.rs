//! A run's `report.html` put together: its plots rendered (SVG, and PNG on request), the seed
//! claims computed against the exclusive baseline, the page written.

use super::Summary;
use super::claims::claims;
use super::html::run::{RunPage, render};
use super::plot::run::plots;
use crate::sim::RunResult;
use crate::world::World;

/// The report page and, when asked for, every plot as PNG (`id`, bytes).
pub struct HtmlReport {
    pub html: String,
    pub pngs: Vec<(String, Vec<u8>)>,
}

/// Builds `report.html` of a run (`baseline`: the exclusive baseline's summary, when run).
pub fn html_report(
    world: &World,
    r: &RunResult,
    s: &Summary,
    baseline: Option<&Summary>,
    png: bool,
) -> Result<HtmlReport, String> {
    let plots = plots(world, r, s);
    let mut pngs = Vec::new();
    let mut rendered = Vec::with_capacity(plots.len());
    for p in plots {
        if png {
            pngs.push((p.id.clone(), p.chart.png()?));
        }
        let svg = p.chart.svg()?;
        rendered.push((p, svg));
    }
    let mut omitted = Vec::new();
    if r.gpu_samples.is_empty() {
        omitted.push(format!(
            "The per-GPU busy heatmap and MIG occupancy plot are left out: the cluster has more than {} GPUs (run with --openmetrics for per-GPU series).",
            super::plot::run::GPU_SERIES_MAX
        ));
    }
    let claims = claims(s, baseline);
    let html = render(&RunPage {
        summary: s,
        plots: &rendered,
        claims: &claims,
        baseline,
        omitted: &omitted,
    });
    Ok(HtmlReport { html, pngs })
}
