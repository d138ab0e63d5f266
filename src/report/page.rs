//! A run's `report.html` put together: its plots rendered (SVG, and PNG on request), the seed
//! claims computed against the exclusive baseline, the page written.

use super::Summary;
use super::claims::claims;
use super::html::run::{RunPage, render};
use super::plot::Plot;
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
    Ok(RenderedPlots::new(world, r, s, png)?.page(s, baseline))
}

/// The part of `report.html` that needs the run only, not the exclusive baseline: its plots
/// rendered, and the lines saying what was left out. A run renders them while its baseline
/// still runs (`run.rs`), then [`RenderedPlots::page`] adds the seed claims.
pub struct RenderedPlots {
    /// Plots with their SVG text.
    plots: Vec<(Plot, String)>,
    pngs: Vec<(String, Vec<u8>)>,
    omitted: Vec<String>,
}

impl RenderedPlots {
    /// Renders the plots of run `r` (summary `s`); with `png`, each as PNG too.
    pub fn new(world: &World, r: &RunResult, s: &Summary, png: bool) -> Result<Self, String> {
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
        if r.gpu_samples.is_empty()
            && let Some(why) = super::plot::run::gpu_series_left_out(world)
        {
            omitted.push(format!(
                "The per-GPU busy heatmap and MIG occupancy plot are left out: {why} (run with --openmetrics for per-GPU series)."
            ));
        }
        Ok(RenderedPlots {
            plots: rendered,
            pngs,
            omitted,
        })
    }

    /// The page: summary `s` (the one the plots were rendered with), the seed claims against
    /// `baseline`, the plots.
    pub fn page(self, s: &Summary, baseline: Option<&Summary>) -> HtmlReport {
        let claims = claims(s, baseline);
        let html = render(&RunPage {
            summary: s,
            plots: &self.plots,
            claims: &claims,
            baseline,
            omitted: &self.omitted,
        });
        HtmlReport {
            html,
            pngs: self.pngs,
        }
    }
}
