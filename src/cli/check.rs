//! `slicesim check`: run a scenario (or replications), evaluate the expectations, print a
//! table, write `--junit`/`--summary`, and exit 0 (all pass), 1 (one failed) or 2 (usage or
//! input error).

use super::set::{SetArgs, load_valid};
use slicesim::check::{Figure, Outcome, evaluate, junit::junit, load_baseline, markdown::markdown};
use slicesim::report::{PriorityNames, figures, priority_names};
use slicesim::run::{RunOptions, run_to_dir};
use slicesim::sweep::replicate::{DEFAULT_HALF_WIDTH, ReplicateOptions, replicate};
use slicesim::sweep::seeds::parse_seeds;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  slicesim check --expect reports/baselines/seed-strategy/expect.yaml \\
      --baseline reports/baselines/seed-strategy
  slicesim check scenarios/seed-strategy.yaml --expect expect.yaml --seeds 1..5 \\
      --junit check.xml --summary check.md
  slicesim check --expect expect.yaml --set pools.h100-timeslice.nodes=1
  slicesim check --expect expect.yaml --baseline base/ --update-baseline
Expectation file (docs/CI.md), a YAML list:
  - pools.a100-timeslice.busy >= 60%
  - name: production p95 wait
    expect: priorities.production-inference.wait_p95 <= 30m
  - cost.total <= 1.05 * baseline
  - classes.*.wait_p95 <= 1.1 * baseline + 60s
Exit codes: 0 all pass, 1 an expectation failed, 2 usage or input error.")]
pub struct CheckArgs {
    /// Scenario YAML file; omit for the built-in default (scenarios/seed-strategy.yaml).
    scenario: Option<PathBuf>,
    /// Expectation file (YAML list of `PATH OP BOUND`, see docs/CI.md).
    #[arg(long, value_name = "FILE")]
    expect: PathBuf,
    /// Baseline folder: its summary.json (a run's or a replication's) is `baseline`.
    #[arg(long, value_name = "DIR")]
    baseline: Option<PathBuf>,
    /// Run one replication per seed (1..10, 1,4,7); a figure's value is its mean.
    #[arg(long, value_name = "LIST")]
    seeds: Option<String>,
    /// Write JUnit XML here (one test case per expanded expectation).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a Markdown table here (for a pull-request comment).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Copy the run's summary.json into --baseline DIR (then checked against itself).
    #[arg(long, requires = "baseline")]
    update_baseline: bool,
    /// Output folder of the run (default reports/<scenario name>/check/).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    set: SetArgs,
}

/// Exit code of an input or usage error.
const INPUT_ERROR: u8 = 2;

pub fn run(a: CheckArgs) -> ExitCode {
    match check(&a) {
        Ok(outcomes) => {
            let failed = outcomes.iter().filter(|o| !o.passed).count();
            if failed == 0 {
                outln!("check passed: {} expectation(s)", outcomes.len());
                ExitCode::SUCCESS
            } else {
                outln!(
                    "check FAILED: {failed} of {} expectation(s)",
                    outcomes.len()
                );
                ExitCode::from(1)
            }
        }
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(INPUT_ERROR)
        }
    }
}

fn check(a: &CheckArgs) -> Result<Vec<Outcome>, String> {
    let text = std::fs::read_to_string(&a.expect)
        .map_err(|e| format!("--expect {}: {e}", a.expect.display()))?;
    let expectations = slicesim::check::parse_file(&text, &a.expect.display().to_string())?;
    check_baseline_given(a, &expectations)?;
    let (loaded, applied) = load_valid(a.scenario.as_deref(), &a.set)?;
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports")
            .join(&loaded.scenario.name)
            .join("check")
    });
    let opts = RunOptions::default();
    let (figs, names, title): (Vec<Figure>, _, _) = match &a.seeds {
        Some(s) => {
            let opts = ReplicateOptions {
                run: opts,
                seeds: parse_seeds(s).map_err(|e| format!("--seeds {e}"))?,
                half_width: DEFAULT_HALF_WIDTH,
                jobs: None,
            };
            let rep = replicate(&loaded, &opts, &out)?;
            let world = slicesim::run::world(&loaded, &opts.run)?;
            let figs = rep
                .figures
                .iter()
                .map(|f| Figure {
                    path: f.path.clone(),
                    value: f.mean,
                    half_width: f.half_width,
                })
                .collect();
            let title = format!("{} (mean of {} seeds: {s})", rep.scenario, rep.replications);
            (figs, priority_names(&world), title)
        }
        None => {
            let o = run_to_dir(&loaded, &opts, &out)?;
            let names = priority_names(&o.world);
            let figs = figures(&o.summary, &names)
                .into_iter()
                .map(|(path, value)| Figure {
                    path,
                    value,
                    half_width: None,
                })
                .collect();
            let title = format!("{} (seed {})", o.summary.scenario, o.world.seed);
            (figs, names, title)
        }
    };
    let title = format!("{title}{}", super::set::with(&applied));
    // With --update-baseline the run is its own baseline, and it is copied only once the
    // expectations evaluated (an input error leaves the old baseline in place).
    let base_dir = if a.update_baseline {
        Some(out.as_path())
    } else {
        a.baseline.as_deref()
    };
    let outcomes = evaluate_with(&expectations, &figs, base_dir, &names)
        .map_err(|e| format!("{}: {e}", a.expect.display()))?;
    if a.update_baseline {
        update_baseline(
            &out,
            a.baseline.as_deref().expect("clap requires --baseline"),
        )?;
    }
    out!("{}", render(&outcomes, &title));
    if let Some(p) = &a.junit {
        write_atomic(p, &junit(&outcomes, &title)?)?;
    }
    if let Some(p) = &a.summary {
        write_atomic(p, &markdown(&outcomes, &title))?;
    }
    Ok(outcomes)
}

/// Before running anything: an expectation using `baseline` needs `--baseline DIR` holding a
/// summary.json (unless `--update-baseline` is about to write it).
fn check_baseline_given(
    a: &CheckArgs,
    expectations: &[slicesim::check::Expectation],
) -> Result<(), String> {
    let Some(e) = expectations.iter().find(|e| e.bound.uses_baseline()) else {
        return Ok(());
    };
    let at = format!("{}:{}", a.expect.display(), e.line);
    match &a.baseline {
        None => Err(format!(
            "{at}: `{}` uses `baseline`: give --baseline DIR (a folder with a summary.json)",
            e.text
        )),
        Some(dir) if !a.update_baseline && !dir.join("summary.json").is_file() => Err(format!(
            "{at}: `{}` uses `baseline`, but {} does not exist (write it with \
             --update-baseline)",
            e.text,
            dir.join("summary.json").display()
        )),
        Some(_) => Ok(()),
    }
}

fn evaluate_with(
    expectations: &[slicesim::check::Expectation],
    figs: &[Figure],
    baseline: Option<&Path>,
    names: &PriorityNames,
) -> Result<Vec<Outcome>, String> {
    let needs = expectations.iter().any(|e| e.bound.uses_baseline());
    let base = match baseline {
        Some(dir) if needs => Some(load_baseline(dir, names)?),
        _ => None,
    };
    evaluate(expectations, figs, base.as_deref())
}

/// Copies `out/summary.json` into `dir/summary.json` (atomically).
fn update_baseline(out: &Path, dir: &Path) -> Result<(), String> {
    let src = out.join("summary.json");
    let text = std::fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("--baseline {}: {e}", dir.display()))?;
    write_atomic(&dir.join("summary.json"), &text)?;
    errln!("baseline updated: {}", dir.join("summary.json").display());
    Ok(())
}

/// Writes `text` whole or not at all (`slicesim::outfile`, the one writer of every output).
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    slicesim::outfile::write(path, text.as_bytes())
}

/// The terminal table.
fn render(outcomes: &[Outcome], title: &str) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["expectation", "result", "detail"]);
    for o in outcomes {
        let verdict = if o.passed { "pass" } else { "FAIL" };
        t.add_row(vec![
            o.name.clone(),
            verdict.to_string(),
            slicesim::check::junit::detail(o),
        ]);
    }
    format!("check {title}\n{t}\n")
}
