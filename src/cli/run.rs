//! `slicesim run`: run a scenario, write its report, print the summary tables and the timing.

use super::set::{SetArgs, report_problems};
use super::{parse_format, parse_policy};
use slicesim::domain::PolicyName;
use slicesim::run::{RunOptions, WorkloadOverrides, apply_workload_overrides, run_to_dir};
use slicesim::scenario;
use slicesim::trace::TraceFormat;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario YAML file; omit for the built-in default (scenarios/seed-strategy.yaml).
    scenario: Option<PathBuf>,
    /// Output folder (default reports/<scenario name>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the placement policy: first-fit, best-fit, spread or fgd.
    #[arg(long, value_parser = parse_policy)]
    policy: Option<PolicyName>,
    /// Print only the output folder, not the summary tables.
    #[arg(long)]
    quiet: bool,
    /// Replay this trace file instead of the scenario's workload.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Format of --trace: native, openb, philly or azure-llm (default: told from its header).
    #[arg(long, value_parser = parse_format)]
    trace_format: Option<TraceFormat>,
    /// Any trace row that cannot be used is an error (default: skipped and reported).
    #[arg(long)]
    strict: bool,
    /// Generate the workload from this fitted profile (slicesim trace fit).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Multiply the synthetic workload's arrival rate by this (2.0 = twice the load).
    #[arg(long)]
    scale: Option<f64>,
    #[command(flatten)]
    set: SetArgs,
}

pub fn run(a: RunArgs) -> Result<(), String> {
    let opts = RunOptions {
        seed: a.seed,
        policy: a.policy,
        check_invariants: false,
    };
    let workload = WorkloadOverrides {
        trace: a.trace,
        trace_format: a.trace_format,
        strict: a.strict,
        profile: a.profile,
        scale: a.scale,
    };
    let mut loaded = match &a.scenario {
        Some(p) => scenario::load(p)?,
        None => scenario::builtin(),
    };
    let applied = a.set.apply(&mut loaded)?;
    for o in &applied {
        eprintln!("--set {o} (was {})", o.previous_text());
    }
    apply_workload_overrides(&mut loaded, &workload)?;
    if report_problems(&loaded, &applied) {
        return Err(format!("{}: invalid scenario (see above)", loaded.source));
    }
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(&loaded.scenario.name));
    let t0 = Instant::now();
    let o = run_to_dir(&loaded, &opts, &out)?;
    let wall = t0.elapsed().as_secs_f64();
    if let Some(r) = &o.import {
        eprint!("{}", super::trace::text::import_report(r));
    }
    if !a.quiet {
        print!("{}", slicesim::report::table::render(&o.summary));
    }
    println!(
        "wrote {}/{{summary.json,jobs.csv,pools.csv,classes.csv,classes_ts.csv}}",
        out.display()
    );
    eprintln!(
        "{} events in {:.3} s ({:.2} M events/s)",
        o.summary.events,
        wall,
        o.summary.events as f64 / wall.max(1e-9) / 1e6
    );
    Ok(())
}
