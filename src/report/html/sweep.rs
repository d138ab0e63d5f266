//! `sweep.html`: a sweep's points in one table (key figures as mean ± 95 % CI half-width when
//! the sweep has several seeds), a heatmap of one figure over the first two axes, and the cost
//! against p95-wait Pareto front. Built from plain data, so the page does not depend on how
//! the sweep ran.

use super::{Page, cell, esc, num};
use crate::report::plot::Chart;
use crate::report::plot::heatmap::Heatmap;
use crate::report::plot::scatter::{Point, Scatter};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One figure of one point over its seeds.
#[derive(Clone, Copy, Debug)]
pub struct Stat {
    pub mean: f64,
    /// 95 % confidence half-width (None with one seed).
    pub half_width: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct SweepPoint {
    pub id: String,
    pub label: String,
    /// The value label of each axis, in axis order.
    pub values: Vec<String>,
    pub figures: BTreeMap<String, Stat>,
    /// Points that dominate it on the sweep's objectives.
    pub dominated_by: Vec<String>,
}

pub struct SweepPage {
    pub file: String,
    pub base: String,
    pub seeds: Vec<u64>,
    pub axes: Vec<String>,
    pub points: Vec<SweepPoint>,
    /// Figures shown in the table (objectives first).
    pub key_figures: Vec<String>,
    /// Objectives as `figure (min|max)`.
    pub objectives: Vec<String>,
    /// The heatmap's figure.
    pub heat_figure: String,
    /// The Pareto plot's figures: cost (x) and a p95 wait (y), both lower-is-better.
    pub cost_figure: String,
    pub wait_figure: String,
    /// (what, value) rows of the provenance table.
    pub provenance: Vec<(String, String)>,
}

fn show(s: Option<&Stat>) -> String {
    match s {
        None => "-".into(),
        Some(s) => match s.half_width {
            Some(h) => format!("{} ± {}", short(s.mean), short(h)),
            None => short(s.mean),
        },
    }
}

/// A figure value with about four significant digits.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Whether `a` is at least as low as `b` on both figures and lower on one.
fn dominates(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.0 && a.1 <= b.1 && (a.0 < b.0 || a.1 < b.1)
}

/// The points on the cost / wait plane, the non-dominated ones marked.
pub fn pareto(points: &[SweepPoint], x: &str, y: &str) -> Vec<Point> {
    let xy: Vec<Option<(f64, f64)>> = points
        .iter()
        .map(|p| Some((p.figures.get(x)?.mean, p.figures.get(y)?.mean)))
        .collect();
    points
        .iter()
        .zip(&xy)
        .filter_map(|(p, v)| {
            let v = (*v)?;
            let front = !xy.iter().flatten().any(|o| dominates(*o, v));
            Some(Point {
                label: p.id.clone(),
                x: v.0,
                y: v.1 / 3600.0,
                x_ci: p.figures.get(x).and_then(|s| s.half_width),
                y_ci: p
                    .figures
                    .get(y)
                    .and_then(|s| s.half_width)
                    .map(|h| h / 3600.0),
                front,
            })
        })
        .collect()
}

/// The heatmap of `figure` over the first two axes (columns: axis 1, rows: axis 2); points
/// that differ only on further axes are averaged. None with fewer than two axes.
pub fn heatmap(p: &SweepPage) -> Option<Heatmap> {
    if p.axes.len() < 2 {
        return None;
    }
    let mut cols: Vec<String> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for pt in &p.points {
        if !cols.contains(&pt.values[0]) {
            cols.push(pt.values[0].clone());
        }
        if !rows.contains(&pt.values[1]) {
            rows.push(pt.values[1].clone());
        }
    }
    let mut sum = vec![vec![(0.0, 0u32); cols.len()]; rows.len()];
    for pt in &p.points {
        let Some(s) = pt.figures.get(&p.heat_figure) else {
            continue;
        };
        let c = cols.iter().position(|v| *v == pt.values[0])?;
        let r = rows.iter().position(|v| *v == pt.values[1])?;
        sum[r][c].0 += s.mean;
        sum[r][c].1 += 1;
    }
    let values: Vec<Vec<Option<f64>>> = sum
        .iter()
        .map(|row| {
            row.iter()
                .map(|(s, n)| (*n > 0).then(|| s / f64::from(*n)))
                .collect()
        })
        .collect();
    let all = values.iter().flatten().flatten();
    let lo = all.clone().copied().fold(f64::INFINITY, f64::min);
    let hi = all.copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Heatmap {
        x_label: p.axes[0].clone(),
        y_label: p.axes[1].clone(),
        cell_text: cols.len() * rows.len() <= 150,
        columns: cols,
        rows,
        values,
        range: if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) },
        percent: false,
    })
}

pub fn render(p: &SweepPage) -> Result<String, String> {
    let mut page = Page::new(&format!("slicesim sweep: {}", p.file));
    let _ = write!(
        page.html,
        "<h1>slicesim sweep: {}</h1>\n<p class=\"muted\">base scenario {}, {} point(s), seeds {}</p>\n<nav><a href=\"#points\">Points</a><a href=\"#heatmap\">Heatmap</a><a href=\"#pareto\">Cost and wait</a><a href=\"#provenance\">Provenance</a></nav>\n",
        esc(&p.file),
        esc(&p.base),
        p.points.len(),
        esc(&p
            .seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "))
    );
    page.section("points", "Points");
    if p.seeds.len() > 1 {
        page.para(
            "note",
            "Figures are means over the seeds ± the 95 % confidence half-width.",
        );
    }
    if !p.objectives.is_empty() {
        page.para(
            "note",
            &format!(
                "Objectives: {}. A point is dominated when another is at least as good on every objective and better on one.",
                p.objectives.join(", ")
            ),
        );
    }
    let mut head: Vec<&str> = vec!["point"];
    head.extend(p.axes.iter().map(String::as_str));
    head.extend(p.key_figures.iter().map(String::as_str));
    head.push("dominated by");
    let rows: Vec<Vec<String>> = p
        .points
        .iter()
        .map(|pt| {
            let mut r = vec![format!(
                "<td id=\"point-{}\">{}</td>",
                esc(&pt.id),
                esc(&pt.id)
            )];
            r.extend(pt.values.iter().map(|v| cell(v)));
            for f in &p.key_figures {
                let s = pt.figures.get(f);
                r.push(format!(
                    "<td class=\"n\" data-figure=\"{}\" data-mean=\"{}\">{}</td>",
                    esc(f),
                    s.map_or(String::new(), |s| format!("{}", s.mean)),
                    esc(&show(s))
                ));
            }
            r.push(if pt.dominated_by.is_empty() {
                cell("-")
            } else {
                format!(
                    "<td class=\"muted\">{}</td>",
                    esc(&pt.dominated_by.join(" "))
                )
            });
            r
        })
        .collect();
    page.table("points-table", &head, &rows);

    page.section("heatmap", "Heatmap over two axes");
    match heatmap(p) {
        Some(h) => {
            let _ = write!(
                page.html,
                "<figure id=\"plot-sweep-heatmap\"><figcaption>{} over {} and {}</figcaption>\n{}\n<p class=\"note\">Mean of each point's figure{}.</p></figure>\n",
                esc(&p.heat_figure),
                esc(&p.axes[0]),
                esc(&p.axes[1]),
                Chart::Heatmap(h).svg()?,
                if p.axes.len() > 2 {
                    ", averaged over the further axes"
                } else {
                    ""
                }
            );
        }
        None => page.para("note", "The sweep has one axis: no two-axis heatmap."),
    }

    page.section("pareto", "Cost against p95 wait");
    let pts = pareto(&p.points, &p.cost_figure, &p.wait_figure);
    if pts.is_empty() {
        page.para("note", "No point has both figures.");
    } else {
        let chart = Chart::Scatter(Scatter {
            x_label: format!("{} (USD)", p.cost_figure),
            y_label: format!("{} (h)", p.wait_figure),
            points: pts,
        });
        let _ = write!(
            page.html,
            "<figure id=\"plot-sweep-pareto\"><figcaption>{} against {}</figcaption>\n{}\n<p class=\"note\">Each point is a sweep point (mean over its seeds; bars: 95 % confidence intervals). The orange line joins the Pareto front: no other point is cheaper and waits less. Dominated points are grey.</p></figure>\n",
            esc(&p.cost_figure),
            esc(&p.wait_figure),
            chart.svg()?
        );
    }
    page.section("provenance", "Provenance");
    let rows: Vec<Vec<String>> = p
        .provenance
        .iter()
        .map(|(k, v)| vec![cell(k), num(v)])
        .collect();
    page.table("provenance-table", &["", ""], &rows);
    Ok(page.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(id: &str, cost: f64, wait_s: f64) -> SweepPoint {
        let mut figures = BTreeMap::new();
        figures.insert(
            "cost".to_string(),
            Stat {
                mean: cost,
                half_width: None,
            },
        );
        figures.insert(
            "wait".to_string(),
            Stat {
                mean: wait_s,
                half_width: None,
            },
        );
        SweepPoint {
            id: id.into(),
            label: id.into(),
            values: vec![],
            figures,
            dominated_by: vec![],
        }
    }

    #[test]
    fn pareto_front_by_hand() {
        // a (10, 2 h) and b (20, 1 h) trade off; c (20, 3 h) is beaten by both; d (10, 2 h)
        // ties with a (neither dominates): a, b, d on the front.
        let pts = [
            pt("a", 10.0, 7200.0),
            pt("b", 20.0, 3600.0),
            pt("c", 20.0, 10800.0),
            pt("d", 10.0, 7200.0),
        ];
        let front: Vec<(String, bool)> = pareto(&pts, "cost", "wait")
            .into_iter()
            .map(|p| (p.label, p.front))
            .collect();
        assert_eq!(
            front,
            vec![
                ("a".into(), true),
                ("b".into(), true),
                ("c".into(), false),
                ("d".into(), true)
            ]
        );
    }
}
