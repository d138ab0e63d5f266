//! `slicesim sensitivity`: which assumption decides the answer. Prints a tornado table per
//! figure, writes `sensitivity.csv`, `sensitivity.json` and `sensitivity.html` into `--out DIR`,
//! and exits 0, or 2
//! on a usage or input error (nothing written then).

use super::check::write_atomic;
use super::set::{SetArgs, load_valid};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slicesim::check::sensitivity::{
    DEFAULT_FIGURES, Param, Row, Sensitivity, analyse, default_params, parse_range,
};
use slicesim::report::{Provenance, scenario_sha256};
use slicesim::run::RunOptions;
use slicesim::sweep::seeds::parse_seeds;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  slicesim sensitivity --out /tmp/sens
      every model constant and every class's u, d and mem_gib at ±25 %, one run each, on the
      built-in scenario: cost, p95 waits, pool busy and service p95 latency
  slicesim sensitivity scenarios/philly.yaml --seeds 1..3 --delta 0.5 \\
      --figure 'classes.*.wait.p95_s' --range model.oom_after=10s..5m --top 5
Each parameter is set low, then high, all others unchanged; a figure's swing is its largest
distance from the unchanged run. Parameters at 0 have no relative perturbation: give them a
--range. Exit codes: 0 done, 2 usage or input error.")]
pub struct SensitivityArgs {
    /// Scenario YAML file; omit for the built-in default (scenarios/seed-strategy.yaml).
    scenario: Option<PathBuf>,
    /// Relative perturbation of every default parameter: low = (1 - D) x value, high =
    /// (1 + D) x value, kept within the field's range.
    #[arg(long, value_name = "D", default_value_t = 0.25)]
    delta: f64,
    /// An explicit range for one parameter, PATH=LO..HI in --set syntax (repeatable); it
    /// replaces that parameter's ±delta, or adds a parameter.
    #[arg(long, value_name = "PATH=LO..HI", value_parser = parse_range)]
    range: Vec<Param>,
    /// Only the parameters given with --range (not the model constants and class traits).
    #[arg(long)]
    only_ranges: bool,
    /// Figures to report, as glob patterns over figure paths (repeatable); default: cost,
    /// p95 waits per class, busy per pool, p95 latency per service class.
    #[arg(long, value_name = "PATTERN")]
    figure: Vec<String>,
    /// One replication per seed for every setting (1..10, 1,4,7); the means are compared.
    #[arg(long, value_name = "LIST")]
    seeds: Option<String>,
    /// Parameters shown per figure on the terminal (all are in the files).
    #[arg(long, value_name = "N", default_value_t = 8)]
    top: usize,
    /// Folder for sensitivity.csv, sensitivity.json and sensitivity.html (the tornado plots).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    set: SetArgs,
}

pub fn run(a: SensitivityArgs) -> ExitCode {
    match sensitivity(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(serde::Serialize)]
struct Document<'a> {
    provenance: Provenance,
    scenario: &'a str,
    delta: f64,
    seeds: &'a [u64],
    #[serde(flatten)]
    result: &'a Sensitivity,
}

fn sensitivity(a: &SensitivityArgs) -> Result<(), String> {
    if !(a.delta.is_finite() && a.delta > 0.0 && a.delta < 1.0) {
        return Err(format!(
            "--delta {}: give a fraction in (0, 1), e.g. 0.25 for ±25 %",
            a.delta
        ));
    }
    let seeds = match &a.seeds {
        Some(s) => parse_seeds(s).map_err(|e| format!("--seeds {e}"))?,
        None => Vec::new(),
    };
    let (loaded, _) = load_valid(a.scenario.as_deref(), &a.set)?;
    let mut params = if a.only_ranges {
        Vec::new()
    } else {
        default_params(&loaded, a.delta)
    };
    for r in &a.range {
        params.retain(|p| p.path != r.path);
        params.push(r.clone());
    }
    if params.is_empty() {
        return Err("no parameter to vary: give --range PATH=LO..HI".into());
    }
    let patterns: Vec<String> = if a.figure.is_empty() {
        DEFAULT_FIGURES.iter().map(|s| s.to_string()).collect()
    } else {
        a.figure.clone()
    };
    let bar = if a.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
    } else {
        ProgressBar::new(1 + 2 * params.len() as u64)
    };
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} settings, ETA {eta} {msg}")
    {
        bar.set_style(style);
    }
    let each = |label: &str| {
        bar.inc(1);
        bar.set_message(label.to_string());
    };
    let result = analyse(
        &loaded,
        &params,
        &patterns,
        &RunOptions::default(),
        &seeds,
        &each,
    );
    bar.finish_and_clear();
    let result = result?;
    let seeds_run = if seeds.is_empty() {
        vec![loaded.scenario.seed]
    } else {
        seeds.clone()
    };
    if let Some(dir) = &a.out {
        let doc = Document {
            provenance: Provenance::new(scenario_sha256(&loaded, None)?, seeds_run),
            scenario: &loaded.scenario.name,
            delta: a.delta,
            seeds: &seeds,
            result: &result,
        };
        let json =
            serde_json::to_string_pretty(&doc).map_err(|e| format!("sensitivity.json: {e}"))?;
        let csv = to_csv(&result.rows)?;
        std::fs::create_dir_all(dir).map_err(|e| format!("--out {}: {e}", dir.display()))?;
        let html = slicesim::check::sensitivity_page::page(&result, &loaded.scenario.name, a.top)?;
        write_atomic(&dir.join("sensitivity.csv"), &csv)?;
        write_atomic(&dir.join("sensitivity.json"), &(json + "\n"))?;
        write_atomic(&dir.join("sensitivity.html"), &html)?;
    }
    out!("{}", render(&result, a.top, seeds.len()));
    if let Some(dir) = &a.out {
        outln!(
            "wrote {}/{{sensitivity.csv,sensitivity.json}}",
            dir.display()
        );
    }
    Ok(())
}

fn to_csv(rows: &[Row]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| format!("sensitivity.csv: {e}"))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| format!("sensitivity.csv: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("sensitivity.csv: {e}"))
}

fn num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{}", (v * 1000.0).round() / 1000.0),
    }
}

/// One table per figure: the `top` parameters with the largest swing.
fn render(s: &Sensitivity, top: usize, seeds: usize) -> String {
    let runs = if seeds == 0 {
        "one run per setting".to_string()
    } else {
        format!("means over {seeds} seeds per setting")
    };
    let mut out = format!(
        "{} parameters x 2 settings, {runs}; largest swing first\n",
        s.params.len()
    );
    let mut figure = "";
    let mut shown = 0;
    let mut table: Option<comfy_table::Table> = None;
    let flush = |t: &mut Option<comfy_table::Table>, out: &mut String| {
        if let Some(t) = t.take() {
            out.push_str(&t.to_string());
            out.push('\n');
        }
    };
    for r in &s.rows {
        if r.figure != figure {
            flush(&mut table, &mut out);
            figure = &r.figure;
            shown = 0;
            out.push_str(&format!("{} = {}\n", r.figure, num(Some(r.base_value))));
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            t.set_width(100);
            t.set_header(vec![
                "parameter",
                "low",
                "high",
                "at low",
                "at high",
                "swing",
            ]);
            table = Some(t);
        }
        if shown >= top {
            continue;
        }
        shown += 1;
        let swing = match (r.swing, r.relative_swing) {
            (Some(sw), Some(rel)) => format!("{} ({:.1}%)", num(Some(sw)), rel * 100.0),
            (sw, _) => num(sw),
        };
        if let Some(t) = table.as_mut() {
            t.add_row(vec![
                r.parameter.clone(),
                r.low.clone(),
                r.high.clone(),
                num(r.at_low),
                num(r.at_high),
                swing,
            ]);
        }
    }
    flush(&mut table, &mut out);
    out
}
