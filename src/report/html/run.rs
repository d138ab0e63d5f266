//! `report.html` of one run: summary, seed claims, plots, the tables (`tables.rs`) and
//! provenance.

use super::{Fmt, Page, card, cell, esc, fig, num, tables, token};
use crate::report::Summary;
use crate::report::claims::Claim;
use crate::report::plot::Plot;
use std::fmt::Write;

/// What the page shows besides the summary.
pub struct RunPage<'a> {
    pub summary: &'a Summary,
    /// Plots with their SVG text.
    pub plots: &'a [(Plot, String)],
    pub claims: &'a [Claim],
    /// The exclusive baseline's summary, when it was run.
    pub baseline: Option<&'a Summary>,
    /// Lines saying what was left out and why (e.g. the per-GPU heatmap of a large cluster).
    pub omitted: &'a [String],
}

const SECTIONS: [(&str, &str); 10] = [
    ("summary", "Summary"),
    ("claims", "Seed claims"),
    ("plots", "Plots"),
    ("pools", "Pools"),
    ("classes", "Workload classes"),
    ("priorities", "Priority classes"),
    ("namespaces", "Namespaces and quotas"),
    ("unschedulable", "Unschedulable jobs"),
    ("operations", "Timed operations"),
    ("provenance", "Provenance"),
];

pub fn render(p: &RunPage) -> String {
    let s = p.summary;
    let mut page = Page::new(&format!("slicesim report: {}", s.scenario));
    let _ = write!(
        page.html,
        "<h1>slicesim report: {}</h1>\n<p class=\"muted\">seed {}, {:.1} simulated days, placement policy {}, reference GPU {}</p>\n<nav>",
        esc(&s.scenario),
        s.seed,
        s.horizon_s / 86_400.0,
        esc(&s.policy),
        esc(&s.reference_gpu)
    );
    for (id, title) in SECTIONS {
        let _ = write!(page.html, "<a href=\"#{id}\">{}</a>", esc(title));
    }
    page.push("</nav>\n");
    summary(&mut page, s);
    claims(&mut page, p);
    plots(&mut page, p);
    tables::pools(&mut page, s);
    tables::classes(&mut page, s);
    tables::priorities(&mut page, s);
    tables::namespaces(&mut page, s);
    tables::unschedulable(&mut page, s);
    tables::operations(&mut page, s);
    provenance(&mut page, s);
    page.finish()
}

fn summary(page: &mut Page, s: &Summary) {
    page.section("summary", "Summary");
    let j = &s.jobs;
    let cards = [
        card("/jobs/total", Fmt::Int, Some(j.total as f64), "jobs"),
        card(
            "/jobs/completed",
            Fmt::Int,
            Some(j.completed as f64),
            "completed",
        ),
        card(
            "/jobs/running",
            Fmt::Int,
            Some(j.running as f64),
            "running at the horizon",
        ),
        card(
            "/jobs/pending",
            Fmt::Int,
            Some(j.pending as f64),
            "pending at the horizon",
        ),
        card(
            "/jobs/unschedulable",
            Fmt::Int,
            Some(j.unschedulable as f64),
            "unschedulable",
        ),
        card("/jobs/failed", Fmt::Int, Some(j.failed as f64), "failed"),
        card(
            "/cost/total_usd",
            Fmt::Usd,
            Some(s.cost.total_usd),
            "total GPU cost",
        ),
        card(
            "/cost/idle_usd",
            Fmt::Usd,
            Some(s.cost.idle_usd),
            "idle cost",
        ),
        card(
            "/cost/usd_per_useful_ref_gpu_hour",
            Fmt::Usd,
            s.cost.usd_per_useful_ref_gpu_hour,
            "per useful reference GPU-hour",
        ),
        card(
            "/cost/useful_ref_gpu_hours",
            Fmt::Num,
            Some(s.cost.useful_ref_gpu_hours),
            "useful reference GPU-hours",
        ),
    ];
    page.push("<div class=\"cards\">");
    for c in cards {
        page.push(&c);
    }
    page.push("</div>\n");
    let rows: Vec<Vec<String>> = s
        .cost
        .by_model
        .iter()
        .map(|(m, c)| {
            let k = format!("/cost/by_model/{}", token(m));
            vec![
                cell(m),
                fig(&format!("{k}/gpus"), Fmt::Int, Some(f64::from(c.gpus))),
                fig(
                    &format!("{k}/price_per_gpu_hour"),
                    Fmt::Usd,
                    Some(c.price_per_gpu_hour),
                ),
                fig(&format!("{k}/gpu_hours"), Fmt::Num, Some(c.gpu_hours)),
                fig(&format!("{k}/cost_usd"), Fmt::Usd, Some(c.cost_usd)),
            ]
        })
        .collect();
    page.table(
        "cost-by-model",
        &["GPU model", "GPUs", "USD per GPU-hour", "GPU-hours", "cost"],
        &rows,
    );
}

fn claims(page: &mut Page, p: &RunPage) {
    page.section("claims", "Seed claims");
    page.para(
        "note",
        "The seed strategy's claims next to this run's figures. The comparisons with dedicated GPUs use an exclusive baseline run made automatically: the same scenario, seed and arrivals with every pool's sharing switched to exclusive (and MIG or fractional requests turned into whole-GPU requests of the same count). Equal service level: the baseline keeps the same GPUs rather than being resized to match waits, so the two runs are compared per unit of work delivered (cost per completed job, cost per useful reference GPU-hour); both runs' never-started jobs and p95 waits are shown so the service gap is visible. To compare at an equal wait target, size the exclusive cluster with `slicesim size`.",
    );
    if p.baseline.is_none() {
        page.para("note", "The exclusive baseline was not run for this report (run --no-baseline, or not a `slicesim run`), so the claims that need it are marked not applicable.");
    }
    let rows: Vec<Vec<String>> = p
        .claims
        .iter()
        .map(|c| {
            let verdict = serde_json::to_value(c.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut inputs = String::new();
            if !c.inputs.is_empty() {
                inputs.push_str(
                    "<table><tr><th></th><th>this run</th><th>exclusive baseline</th></tr>",
                );
                for (what, here, base) in &c.inputs {
                    let _ = write!(
                        inputs,
                        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        esc(what),
                        esc(here),
                        esc(base)
                    );
                }
                inputs.push_str("</table>");
            }
            vec![
                cell(c.claim),
                format!(
                    "<td class=\"n\" id=\"claim-{}\" data-claim-value=\"{}\">{}</td>",
                    esc(c.id),
                    c.value.map_or(String::new(), |v| format!("{v}")),
                    esc(&c.shown)
                ),
                format!(
                    "<td class=\"{}\">{}</td>",
                    esc(&verdict),
                    esc(c.verdict.text())
                ),
                format!("<td>{}{}</td>", esc(&c.formula), inputs),
            ]
        })
        .collect();
    page.table(
        "claims-table",
        &["claim", "simulated", "verdict", "how it was computed"],
        &rows,
    );
}

fn plots(page: &mut Page, p: &RunPage) {
    page.section("plots", "Plots");
    for (plot, svg) in p.plots {
        let _ = write!(
            page.html,
            "<figure id=\"plot-{}\">\n<figcaption>{}</figcaption>\n{}\n<p class=\"note\">{}</p>\n</figure>\n",
            esc(&plot.id),
            esc(&plot.title),
            svg,
            esc(&plot.note)
        );
    }
    for o in p.omitted {
        page.para("note", o);
    }
}

fn provenance(page: &mut Page, s: &Summary) {
    page.section("provenance", "Provenance");
    let p = &s.provenance;
    let seeds: Vec<String> = p.seeds.iter().map(u64::to_string).collect();
    let row = |what: &str, key: &str, v: &str| {
        vec![
            cell(what),
            format!("<td data-key=\"{}\">{}</td>", esc(key), esc(v)),
        ]
    };
    let rows = vec![
        row("tool", "/provenance/tool", &p.tool),
        row("version", "/provenance/version", &p.version),
        row(
            "built from (git describe)",
            "/provenance/git_describe",
            &p.git_describe,
        ),
        row(
            "scenario SHA-256",
            "/provenance/scenario_sha256",
            &p.scenario_sha256,
        ),
        vec![cell("seeds"), num(&seeds.join(", "))],
        row("scenario", "/scenario", &s.scenario),
        vec![
            cell("events"),
            fig("/events", Fmt::Int, Some(s.events as f64)),
        ],
    ];
    page.table("provenance-table", &["", ""], &rows);
}
