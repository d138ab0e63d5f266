//! `report.html` of a replicated run (`run --seeds`): every figure as its mean over the seeds
//! with the 95 % confidence interval, key figures first, and links to each seed's own report.

use super::{Page, cell, esc, num};
use crate::report::Provenance;
use std::fmt::Write;

/// One figure over the seeds.
pub struct Row<'a> {
    pub path: &'a str,
    pub n: usize,
    pub mean: f64,
    pub half_width: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// Whether a figure is one of the key figures shown first.
fn key(path: &str) -> bool {
    path.starts_with("cost.")
        || path.starts_with("jobs.")
        || (path.starts_with("pools.")
            && [".allocation", ".busy", ".sm_activity", ".wait.p95_s"]
                .iter()
                .any(|s| path.ends_with(s)))
        || (path.starts_with("priorities.") && path.ends_with(".wait.p95_s"))
}

fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn rows(figures: &[Row], pick: impl Fn(&str) -> bool) -> Vec<Vec<String>> {
    figures
        .iter()
        .filter(|f| pick(f.path))
        .map(|f| {
            let opt = |v: Option<f64>| v.map_or("-".to_string(), short);
            vec![
                cell(f.path),
                num(&f.n.to_string()),
                format!(
                    "<td class=\"n\" data-figure=\"{}\" data-mean=\"{}\">{}</td>",
                    esc(f.path),
                    f.mean,
                    esc(&short(f.mean))
                ),
                num(&f
                    .half_width
                    .map_or("-".into(), |h| format!("± {}", short(h)))),
                num(&format!("{} .. {}", opt(f.ci_low), opt(f.ci_high))),
            ]
        })
        .collect()
}

pub fn render(scenario: &str, provenance: &Provenance, figures: &[Row]) -> String {
    let seeds: Vec<String> = provenance.seeds.iter().map(u64::to_string).collect();
    let mut page = Page::new(&format!("slicesim replications: {scenario}"));
    let _ = write!(
        page.html,
        "<h1>slicesim replications: {}</h1>\n<p class=\"muted\">{} seeds: {}. Each figure is the mean over the seeds with its 95 % confidence interval (Student's t).</p>\n<nav><a href=\"#key\">Key figures</a><a href=\"#all\">All figures</a><a href=\"#seeds\">Seeds</a><a href=\"#provenance\">Provenance</a></nav>\n",
        esc(scenario),
        seeds.len(),
        esc(&seeds.join(", "))
    );
    let head = ["figure", "n", "mean", "95 % half-width", "95 % interval"];
    page.section("key", "Key figures");
    page.table("key-table", &head, &rows(figures, key));
    page.section("all", "All figures");
    page.table("all-table", &head, &rows(figures, |p| !key(p)));
    page.section("seeds", "Seeds");
    page.para(
        "note",
        "Each seed's own report (plots, tables; the seed claims without the exclusive baseline, which replications do not run):",
    );
    page.push("<ul>");
    for s in &seeds {
        let _ = write!(
            page.html,
            "<li><a href=\"seed-{s}/report.html\">seed {s}</a></li>"
        );
    }
    page.push("</ul>\n");
    page.section("provenance", "Provenance");
    let rows = vec![
        vec![cell("tool"), cell(&provenance.tool)],
        vec![cell("version"), cell(&provenance.version)],
        vec![
            cell("built from (git describe)"),
            format!(
                "<td data-key=\"/provenance/git_describe\">{}</td>",
                esc(&provenance.git_describe)
            ),
        ],
        vec![cell("scenario SHA-256"), cell(&provenance.scenario_sha256)],
    ];
    page.table("provenance-table", &["", ""], &rows);
    page.finish()
}
