//! `slicesim compare DIR_A DIR_B [...]`: reads the folders, compares them
//! (`slicesim::sweep::compare`) and prints the comparison as a table, Markdown, CSV or JSON
//! (`compare_render.rs`). Any folder that cannot be read is an error (exit 2).

use super::compare_render::{render_csv, render_text};
use clap::{Args, ValueEnum};
use glob::Pattern;
use slicesim::sweep::compare::{compare, read_output};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXAMPLES: &str = "Examples:
  slicesim run --out reports/base
  slicesim run --out reports/fewer --set pools.h100-timeslice.nodes=1
  slicesim compare reports/base reports/fewer
  slicesim run --seeds 1..10 --out reports/base-r
  slicesim run --seeds 1..10 --out reports/fewer-r --set pools.h100-timeslice.nodes=1
  slicesim compare reports/base-r reports/fewer-r --format md > comparison.md
  slicesim compare reports/base-r reports/fewer-r --only 'pools.*.wait.*' --format csv
  slicesim compare sweeps/before sweeps/after          (sweeps: point by point, by id)
A folder is a run (summary.json), a replication (run --seeds: summary.json with per-figure
estimates) or a sweep (sweep.json and points/<id>/summary.json); docs/OUTPUTS.md, \"Compare\".
Differences are from the first folder. Where both sides are replications, p is Welch's two-sided
t-test on the difference of the means (* = significant at p < 0.05); a single run has no test.";

/// Output format of `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Terminal table of the key figures (every figure with --all).
    Table,
    /// Markdown table (for a pull request), the same figures as `table`.
    Md,
    /// Every figure: point, path, then per folder n, mean, CI, diff, relative diff, p.
    Csv,
    /// Every figure, with the folders and the test's t, df and p.
    Json,
}

#[derive(Args)]
pub struct CompareArgs {
    /// Output folders of `run`, `run --seeds` or a sweep; the first is the baseline.
    #[arg(required = true, num_args = 2.., value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Only figures whose path matches this glob (`*` any text, `?` one character), e.g.
    /// 'pools.*.busy' or 'cost.*'. In table and md it replaces the key figures.
    #[arg(long, value_name = "GLOB")]
    only: Option<String>,
    /// Table and md: every figure, not only the key ones.
    #[arg(long)]
    all: bool,
}

/// Runs `compare`; errors (unreadable or foreign folders, a bad glob) exit with 2.
pub fn run(args: CompareArgs) -> ExitCode {
    match compare_text(&args) {
        Ok(text) => {
            out!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn compare_text(args: &CompareArgs) -> Result<String, String> {
    let only = match &args.only {
        Some(g) => Some(Pattern::new(g).map_err(|e| format!("--only `{g}`: {e}"))?),
        None => None,
    };
    let outputs = args
        .dirs
        .iter()
        .map(|d| read_output(d))
        .collect::<Result<Vec<_>, _>>()?;
    let keep = |path: &str| only.as_ref().is_none_or(|p| p.matches(path));
    let cmp = compare(&outputs, &keep)?;
    if let Some(g) = &args.only
        && cmp.rows.is_empty()
    {
        return Err(format!("--only `{g}` matches no figure"));
    }
    // Key figures unless every figure (or a chosen set) was asked for.
    let every = args.all || only.is_some();
    match args.format {
        Format::Table => Ok(render_text(&cmp, every, false)),
        Format::Md => Ok(render_text(&cmp, every, true)),
        Format::Csv => render_csv(&cmp),
        Format::Json => serde_json::to_string_pretty(&cmp)
            .map(|s| s + "\n")
            .map_err(|e| format!("json: {e}")),
    }
}
