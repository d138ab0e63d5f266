//! `slicesim sweep FILE`: every point x seed of a sweep file in parallel, with a progress bar
//! on a terminal; prints the points no other point dominates. Exit 0 done, 1 a run failed,
//! 2 a bad file, point or option (nothing written).

use super::figures::{Unit, show};
use super::set::SetArgs;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slicesim::sweep::file::Goal;
use slicesim::sweep::output::Outcome;
use slicesim::sweep::seeds::parse_seeds;
use slicesim::sweep::shard::{ShardSpec, run_shard};
use slicesim::sweep::{SweepError, SweepOptions, prepare, sweep};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub const EXAMPLES: &str = "\
Examples:
  slicesim sweep scenarios/sweeps/seed-sweep.yaml --out /tmp/sweep
  slicesim sweep scenarios/sweeps/seed-sweep.yaml --jobs 2 --keep-runs --out /tmp/sweep
  slicesim sweep scenarios/sweeps/seed-sweep.yaml --set classes.training.fallback_after=1h
  slicesim sweep scenarios/sweeps/seed-sweep.yaml --seeds 1..10 --out /tmp/sweep10
The sweep file (docs/SWEEP.md): `base:` a scenario (or `builtin`), `set:` overrides for every
point, `axes:` (path + values | range | named alternatives), `mode: grid|list`, `seeds: 1..5`,
`objectives:`. Writes OUT/sweep.csv (one row per point and seed), OUT/sweep_summary.csv (mean
and 95 % CI per point and figure, and dominance), OUT/sweep.json, OUT/sweep.html (points
table, heatmap over two axes, cost vs p95-wait Pareto front; open it in a browser) and
OUT/points/<id>/summary.json; OUT/runs/<id>/seed-<n>/ with --keep-runs.
Shards (one machine each; 0-based), then merge (byte for byte the unsharded output):
  slicesim sweep FILE --shard 0/3 --out shards/0     (also 1/3, 2/3)
  slicesim sweep FILE --shard-count 3 --out shards/$JOB_COMPLETION_INDEX   (Kubernetes)
  slicesim sweep FILE --shard auto --out shards/$SLURM_ARRAY_TASK_ID       (Slurm array)
  slicesim merge shards/* --out DIR
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
    /// Run one shard only, I/N with I from 0 to N-1, into a shard folder for `slicesim merge`;
    /// `auto` takes it from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm).
    #[arg(long, value_name = "I/N|auto")]
    shard: Option<String>,
    /// The number of shards, with the index from the environment (implies --shard auto);
    /// default SLICESIM_SHARD_COUNT or SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    shard_count: Option<u32>,
    /// Seeds of every point instead of the sweep file's `seeds:` (1..10, 1,4,7).
    #[arg(long, value_name = "LIST")]
    seeds: Option<String>,
    #[command(flatten)]
    set: SetArgs,
}

/// Input errors exit 2; a failed run exits 1.
pub fn run(a: SweepArgs) -> ExitCode {
    let prep = match prepare(&a.file, &a.set.set) {
        Ok(p) => p,
        Err(e) => return fail(2, &e.0),
    };
    let prep = match &a.seeds {
        None => prep,
        Some(text) => match parse_seeds(text) {
            Ok(seeds) => prep.with_seeds(seeds),
            Err(e) => return fail(2, &format!("--seeds: {e}")),
        },
    };
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.file));
    let opts = SweepOptions {
        jobs: a.jobs.map(usize::from),
        keep_runs: a.keep_runs,
    };
    let shard = match shard_spec(&a) {
        Ok(s) => s,
        Err(e) => return fail(2, &e),
    };
    if let Some(spec) = shard {
        return one_shard(&prep, spec, &opts, &out, a.quiet);
    }
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
        errln!("warning: objective `{p}` matches no figure of the sweep");
    }
    if !a.quiet {
        out!("{}", render(&outcome));
    }
    outln!(
        "wrote {}/{{sweep.csv,sweep_summary.csv,sweep.json,sweep.html}} and points/<id>/summary.json for {} points",
        out.display(),
        prep.plan.points.len()
    );
    errln!(
        "{} runs ({} points x {} seeds) in {:.3} s",
        prep.plan.points.len() * prep.plan.seeds.len(),
        prep.plan.points.len(),
        prep.plan.seeds.len(),
        t0.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// The shard to run, if any: `--shard I/N`, or from the environment (`--shard auto`,
/// `--shard-count N`).
fn shard_spec(a: &SweepArgs) -> Result<Option<ShardSpec>, String> {
    let count = a.shard_count.map(|n| n as usize);
    match a.shard.as_deref() {
        None if count.is_none() => Ok(None),
        Some(text) if text != "auto" => {
            let s = ShardSpec::parse(text).map_err(|e| format!("--shard {e}"))?;
            match count {
                Some(n) if n != s.count => Err(format!(
                    "--shard {text} and --shard-count {n} disagree on the shard count"
                )),
                _ => Ok(Some(s)),
            }
        }
        _ => ShardSpec::from_env(count, &|k| std::env::var(k).ok()).map(Some),
    }
}

fn one_shard(
    prep: &slicesim::sweep::Prepared,
    spec: ShardSpec,
    opts: &SweepOptions,
    out: &std::path::Path,
    quiet: bool,
) -> ExitCode {
    let bar = progress_bar(quiet);
    let t0 = Instant::now();
    let result = run_shard(prep, spec, opts, out, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    match result {
        Ok(n) => {
            outln!(
                "wrote {}/shard.json: shard {}/{} ({n} of {} runs); merge every shard with \
                 slicesim merge SHARD_DIR... --out DIR",
                out.display(),
                spec.index,
                spec.count,
                prep.plan.points.len() * prep.plan.seeds.len()
            );
            errln!("{n} runs in {:.3} s", t0.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => fail_with(&e),
    }
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
    errln!("error: {msg}");
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
    // Wraps to the terminal's width when there is one.
    t.set_content_arrangement(ContentArrangement::Dynamic);
    let mut head = vec!["point".to_string(), "values".to_string()];
    head.extend(
        o.objectives
            .iter()
            .map(|x| format!("{}\n({})", x.figure, goal_text(x.goal))),
    );
    t.set_header(head);
    let front: Vec<_> = o
        .points
        .iter()
        .filter(|p| p.dominated_by.is_empty())
        .collect();
    for p in &front {
        // One assignment per line, figures in their units: the table stays narrow.
        let mut row = vec![p.id.clone(), p.label.replace(", ", "\n")];
        row.extend(
            p.means
                .iter()
                .zip(&o.objectives)
                .map(|(m, x)| m.map_or_else(|| "-".into(), |v| show(v, Unit::of_path(&x.figure)))),
        );
        t.add_row(row);
    }
    format!(
        "{} of {} points are not dominated on the objectives:\n{t}\n",
        front.len(),
        o.points.len()
    )
}
