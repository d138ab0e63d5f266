//! `sensitivity.html`: the tornado of every figure as a plot (the report's bar charts: per
//! parameter, how far the low and the high setting move the figure) above its table. Inline SVG
//! and CSS, no script, like report.html.

use super::sensitivity::Sensitivity;
use crate::report::html::{Page, cell, esc};
use crate::report::plot::Chart;
use crate::report::plot::bars::{Bars, Row as BarRow};

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{}", (x * 1e4).round() / 1e4))
}

/// The page for `s` on `scenario`, `top` parameters per figure.
pub fn page(s: &Sensitivity, scenario: &str, top: usize) -> Result<String, String> {
    let mut p = Page::new(&format!("slicesim sensitivity: {scenario}"));
    p.push(&format!("<h1>Sensitivity of {}</h1>\n", esc(scenario)));
    p.para(
        "note",
        &format!(
            "{} parameters, each set low and high with everything else unchanged. Bars: how far \
             the figure moves from its value in the unchanged scenario at each setting; largest \
             swing first, {top} per figure.",
            s.params.len()
        ),
    );
    let figures: Vec<&String> = s.base.keys().collect();
    for (i, f) in s
        .rows
        .iter()
        .map(|r| &r.figure)
        .fold(Vec::<&String>::new(), |mut v, f| {
            if !v.contains(&f) {
                v.push(f);
            }
            v
        })
        .into_iter()
        .enumerate()
    {
        debug_assert!(figures.contains(&f));
        let rows: Vec<_> = s.rows.iter().filter(|r| &r.figure == f).take(top).collect();
        let base = s.base.get(f).copied();
        p.section(&format!("figure-{i}"), &format!("{f} = {}", show(base)));
        let bars = Bars {
            x_label: format!("distance from {} in the unchanged scenario", show(base)),
            parts: vec!["low setting".into(), "high setting".into()],
            rows: rows
                .iter()
                .map(|r| BarRow {
                    name: r.parameter.clone(),
                    values: vec![
                        r.at_low.map_or(0.0, |v| (v - r.base_value).abs()),
                        r.at_high.map_or(0.0, |v| (v - r.base_value).abs()),
                    ],
                })
                .collect(),
            unit_prefix: String::new(),
        };
        p.push(&Chart::Bars(bars).svg()?);
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    cell(&r.parameter),
                    cell(&r.low),
                    cell(&r.high),
                    cell(&show(r.at_low)),
                    cell(&show(r.at_high)),
                    cell(&show(r.swing)),
                    cell(
                        &r.relative_swing
                            .map_or("-".into(), |x| format!("{:.1} %", x * 100.0)),
                    ),
                ]
            })
            .collect();
        p.table(
            &format!("table-{i}"),
            &[
                "parameter",
                "low",
                "high",
                "at low",
                "at high",
                "swing",
                "relative",
            ],
            &table,
        );
    }
    Ok(p.finish())
}
