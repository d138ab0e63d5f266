//! `report.html` read back as a browser and a reviewer would: it parses as HTML, every figure
//! it shows equals the one in `summary.json` (found by its `data-key` JSON pointer), every
//! inline SVG is well-formed XML, `--png` plots decode, the cost plots add up to the total
//! cost, and the seed claims follow from the summaries by their stated formulas.

use quick_xml::Reader;
use quick_xml::events::Event;
use scraper::{Html, Selector};
use serde_json::Value;
use slicesim::report::claims::{Verdict, claims};
use slicesim::report::plot::Chart;
use slicesim::report::plot::run::cost_plots;
use slicesim::run::{RunOptions, exclusive_baseline, run_in_memory};
use std::path::Path;

mod common;
use common::cli::slicesim;

/// Runs the built-in scenario into a temporary folder with `extra` arguments.
fn built_in(extra: &[&str]) -> (tempfile::TempDir, String, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut args = vec!["run", "--quiet", "--out", out.to_str().unwrap()];
    args.extend(extra);
    let o = slicesim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    (tmp, html, json)
}

/// The number a figure cell shows, back in the units of summary.json, and the largest
/// difference its rounding allows.
fn shown_value(fmt: &str, text: &str) -> (f64, f64) {
    let t = text.trim();
    let num = |s: &str| -> f64 {
        s.trim()
            .parse()
            .unwrap_or_else(|_| panic!("number in {t:?}"))
    };
    match fmt {
        // "85.2 %" -> 0.852, to 0.05 % = 0.0005.
        "pct" => (num(t.trim_end_matches('%')) / 100.0, 0.0005),
        // "$12.34": to half a cent.
        "usd" => (num(t.trim_start_matches('$')), 0.005),
        // "1.25 h" -> 4500 s, to 0.005 h = 18 s.
        "hours" => (num(t.trim_end_matches('h')) * 3600.0, 18.0),
        "int" => (num(t), 0.5),
        "num" => (num(t), 0.0005),
        other => panic!("unknown data-fmt {other}"),
    }
}

fn check_figures(html: &str, json: &Value) -> usize {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("[data-key]").unwrap();
    let mut checked = 0;
    for el in doc.select(&sel) {
        let key = el.value().attr("data-key").unwrap();
        let text: String = el.text().collect();
        let v = json
            .pointer(key)
            .unwrap_or_else(|| panic!("{key}: not in summary.json"));
        match el.value().attr("data-fmt") {
            None => assert_eq!(v.as_str(), Some(text.as_str()), "{key}"),
            Some(_) if v.is_null() => assert_eq!(text, "-", "{key}: null shows as -"),
            Some(fmt) => {
                let (shown, tol) = shown_value(fmt, &text);
                let want = v.as_f64().unwrap_or_else(|| panic!("{key}: not a number"));
                assert!(
                    (shown - want).abs() <= tol * (1.0 + 1e-9) + 1e-12,
                    "{key}: report.html shows {text:?}, summary.json has {want}"
                );
            }
        }
        checked += 1;
    }
    checked
}

/// Every `<svg ...>...</svg>` of the page, as text.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<svg") {
        let end = rest[i..].find("</svg>").expect("closed svg") + i + "</svg>".len();
        out.push(&rest[i..end]);
        rest = &rest[end..];
    }
    out
}

fn well_formed(xml: &str) {
    let mut r = Reader::from_str(xml);
    let mut depth = 0i64;
    loop {
        match r
            .read_event()
            .unwrap_or_else(|e| panic!("SVG is not XML: {e}"))
        {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced SVG");
}

#[test]
fn built_in_report_matches_its_summary() {
    let (tmp, html, json) = built_in(&["--png"]);
    let doc = Html::parse_document(&html);
    // A real page: a title, every section, no script and nothing fetched from the network.
    let title = Selector::parse("title").unwrap();
    assert!(doc.select(&title).next().is_some());
    for id in [
        "summary",
        "claims",
        "plots",
        "pools",
        "classes",
        "priorities",
        "namespaces",
        "unschedulable",
        "operations",
        "provenance",
    ] {
        let sel = Selector::parse(&format!("#{id}")).unwrap();
        assert!(doc.select(&sel).next().is_some(), "section {id}");
    }
    // The SVG namespace is a name, not a fetch; nothing else may point outside the file.
    let rest = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in [
        "<script", "http://", "https://", "src=", "<link", "@import", "url(",
    ] {
        assert!(!rest.contains(bad), "report.html contains {bad}");
    }
    let checked = check_figures(&html, &json);
    // Pools, classes, priorities, namespaces and the summary cards: well over 200 figures.
    assert!(checked > 200, "only {checked} figures carry data-key");

    let svgs = svgs(&html);
    // 12 plots of the built-in scenario (it has MIG pools and fewer than 1024 GPUs).
    assert_eq!(svgs.len(), 12);
    for svg in &svgs {
        well_formed(svg);
    }

    let plots = tmp.path().join("out/plots");
    let mut pngs = 0;
    for e in std::fs::read_dir(&plots).unwrap() {
        let p = e.unwrap().path();
        decode_png(&p);
        pngs += 1;
    }
    assert_eq!(pngs, 12);
}

/// Decodes a PNG and checks it is 900 px wide and not one flat colour.
fn decode_png(p: &Path) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
    let mut reader = dec
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, 900, "{}", p.display());
    let px = &buf[..info.buffer_size()];
    assert!(
        px.chunks(3).any(|c| c != &px[..3]),
        "{}: a blank image",
        p.display()
    );
}

fn built_in_loaded() -> slicesim::scenario::Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-strategy.yaml");
    slicesim::scenario::load(&path).expect("built-in scenario loads")
}

#[test]
fn cost_plots_add_up_to_the_total() {
    let loaded = built_in_loaded();
    let (s, _) = run_in_memory(&loaded, &RunOptions::default(), &mut |_| Ok(())).unwrap();
    let plots = cost_plots(&s);
    assert_eq!(plots.len(), 3);
    for p in plots {
        let Chart::Bars(b) = &p.chart else {
            panic!("{}: not bars", p.id)
        };
        let total = b.total();
        assert!(
            (total - s.cost.total_usd).abs() <= 1e-6 * s.cost.total_usd,
            "{}: parts add up to {total}, the run cost {}",
            p.id,
            s.cost.total_usd
        );
    }
}

#[test]
fn seed_claims_follow_their_formulas() {
    let loaded = built_in_loaded();
    let opts = RunOptions::default();
    let (s, _) = run_in_memory(&loaded, &opts, &mut |_| Ok(())).unwrap();
    let base = exclusive_baseline(&loaded);
    // The baseline keeps pools, seed and arrivals; only sharing and requests change.
    assert_eq!(base.scenario.pools.len(), loaded.scenario.pools.len());
    assert_eq!(base.scenario.seed, loaded.scenario.seed);
    let (b, _) = run_in_memory(&base, &opts, &mut |_| Ok(())).unwrap();
    assert!(b.pools.iter().all(|p| p.sharing == "exclusive"));
    // Same GPUs for the same time: the same total cost.
    assert!((s.cost.total_usd - b.cost.total_usd).abs() < 1e-6 * s.cost.total_usd);
    let c = claims(&s, Some(&b));
    // Claim 1, by hand from the summary: the time-sliced pools' busy weighted by GPUs.
    let ts: Vec<_> = s
        .pools
        .iter()
        .filter(|p| p.sharing.starts_with("time_slicing"))
        .collect();
    let w: f64 = ts.iter().map(|p| p.gpus_avg).sum();
    let util: f64 = ts.iter().map(|p| p.busy * p.gpus_avg).sum::<f64>() / w;
    assert!((c[0].value.unwrap() - util).abs() < 1e-12);
    // Claim 2: the same over the same pools of the baseline, as a ratio.
    let tb: Vec<_> = b
        .pools
        .iter()
        .filter(|p| ts.iter().any(|t| t.name == p.name))
        .collect();
    let excl: f64 = tb.iter().map(|p| p.busy * p.gpus_avg).sum::<f64>() / w;
    assert!((c[1].value.unwrap() - util / excl).abs() < 1e-9);
    // Claim 3: cost per completed job, shared over exclusive.
    let ratio =
        (s.cost.total_usd / s.jobs.completed as f64) / (b.cost.total_usd / b.jobs.completed as f64);
    assert!((c[2].value.unwrap() - ratio).abs() < 1e-12);
    // Without a baseline the comparisons are not applicable, the others still computed.
    let alone = claims(&s, None);
    assert_eq!(alone[1].verdict, Verdict::NotApplicable);
    assert_eq!(alone[2].verdict, Verdict::NotApplicable);
    assert_eq!(alone[0].value, c[0].value);
}

#[test]
fn scenario_strings_are_escaped() {
    use slicesim::report::html::{Fmt, cell, fig};
    assert_eq!(cell("<b>&x</b>"), "<td>&lt;b&gt;&amp;x&lt;/b&gt;</td>");
    assert_eq!(
        fig("/unschedulable/a\"b", Fmt::Int, Some(3.0)),
        "<td class=\"n\" data-key=\"/unschedulable/a&quot;b\" data-fmt=\"int\">3</td>"
    );
}
