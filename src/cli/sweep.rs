//! `slicesim sweep FILE`: every point x seed of a sweep file in parallel, with a progress bar
//! on a terminal; prints the points no other point dominates. Exit 0 done, 1 a run failed,
//! 2 a bad file, point or option (nothing written).

use super::set::SetArgs;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slicesim::sweep::file::Goal;
use slicesim::sweep::output::Outcome;
use slicesim::sweep::{SweepError, SweepOptions, prepare, sweep};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub const EXAMPLES: &str = "\
Examples:
  slicesim sweep scenarios/seed-sweep.yaml --out /tmp/sweep
  slicesim sweep scenarios/seed-sweep.yaml --jobs 2 --keep-runs --out /tmp/sweep
  slicesim sweep scenarios/seed-sweep.yaml --set classes.training.fallback_after=1h
The sweep file (docs/SWEEP.md): `base:` a scenario (or `builtin`), `set:` overrides for every
point, `axes:` (path + values | range | named alternatives), `mode: grid|list`, `seeds: 1..5`,
`objectives:`. Writes OUT/sweep.csv (one row per point and seed), OUT/sweep_summary.csv (mean
and 95 % CI per point and figure, and dominance), OUT/sweep.json and
OUT/points/<id>/summary.json; OUT/runs/<id>/seed-<n>/ with --keep-runs.
Exit codes: 0 done, 1 a run failed, 2 a bad sweep file, point or option (nothing written).";

#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct SweepArgs {
    /// The sweep file (YAML; docs/SWEEP.md).
    file: PathBuf,
    /// Output folder (default reports/sweeps/<file name>/); replaced whole on success.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Runs at once (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Also keep every run's usual files under OUT/runs/<id>/seed-<n>/.
    #[arg(long)]
    keep_runs: bool,
    /// No progress bar and no table; only the output folder is printed.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    set: SetArgs,
}

/// Input errors exit 2; a failed run exits 1.
pub fn run(a: SweepArgs) -> ExitCode {
    let prep = match prepare(&a.file, &a.set.set) {
        Ok(p) => p,
        Err(e) => return fail(2, &e.0),
    };
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.file));
    let opts = SweepOptions {
        jobs: a.jobs.map(usize::from),
        keep_runs: a.keep_runs,
    };
    let bar = progress_bar(a.quiet);
    let t0 = Instant::now();
    let result = sweep(&prep, &opts, &out, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => return fail_with(&e),
    };
    for p in &outcome.unmatched {
        eprintln!("warning: objective `{p}` matches no figure of the sweep");
    }
    if !a.quiet {
        print!("{}", render(&outcome));
    }
    println!(
        "wrote {}/{{sweep.csv,sweep_summary.csv,sweep.json}} and points/<id>/summary.json for {} points",
        out.display(),
        prep.plan.points.len()
    );
    eprintln!(
        "{} runs ({} points x {} seeds) in {:.3} s",
        prep.plan.points.len() * prep.plan.seeds.len(),
        prep.plan.points.len(),
        prep.plan.seeds.len(),
        t0.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// Exit 2 for bad input, 1 for a failure.
pub fn fail_with(e: &SweepError) -> ExitCode {
    let code = match e {
        SweepError::Input(_) => 2,
        SweepError::Failed(_) => 1,
    };
    fail(code, e.message())
}

pub fn fail(code: u8, msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

fn default_out(file: &std::path::Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("reports").join("sweeps").join(stem)
}

/// A bar with the ETA on a terminal; hidden with `--quiet` or when stderr is not one.
pub fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn goal_text(g: Goal) -> &'static str {
    match g {
        Goal::Min => "min",
        Goal::Max => "max",
    }
}

/// The points no other point dominates, with their objective means.
pub fn render(o: &Outcome) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut head = vec!["point".to_string(), "values".to_string()];
    head.extend(
        o.objectives
            .iter()
            .map(|x| format!("{} ({})", x.figure, goal_text(x.goal))),
    );
    t.set_header(head);
    let front: Vec<_> = o
        .points
        .iter()
        .filter(|p| p.dominated_by.is_empty())
        .collect();
    for p in &front {
        let mut row = vec![p.id.clone(), p.label.clone()];
        row.extend(
            p.means
                .iter()
                .map(|m| m.map_or_else(|| "-".into(), |x| format!("{x:.4}"))),
        );
        t.add_row(row);
    }
    format!(
        "{} of {} points are not dominated on the objectives:\n{t}\n",
        front.len(),
        o.points.len()
    )
}
