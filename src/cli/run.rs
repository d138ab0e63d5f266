//! `slicesim run`: run a scenario, write its report, print the summary tables and the timing.

use super::progress::SimBar;
use super::set::{SetArgs, report_problems};
use super::{parse_format, parse_policy};
use slicesim::domain::PolicyName;
use slicesim::report::openmetrics::DEFAULT_START;
use slicesim::run::{
    Exports, RunOptions, WorkloadOverrides, apply_workload_overrides, run_to_dir_with,
};
use slicesim::scenario;
use slicesim::scenario::Loaded;
use slicesim::sweep::replicate::{DEFAULT_HALF_WIDTH, ReplicateOptions, replicate};
use slicesim::sweep::seeds::parse_seeds;
use slicesim::trace::TraceFormat;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `run --help`'s examples (shown with the `--set` ones by `examples::run`).
pub const EXAMPLES: &str = "Examples:
  slicesim run                                   built-in scenario, seed from the file
  slicesim run scenarios/migration.yaml --seed 7 --out /tmp/r7
  slicesim run --seeds 1..10 --out /tmp/r        10 replications: mean ± 95 % CI per figure
  slicesim run --seeds 1,4,7 --half-width 0.02 --jobs 2
  slicesim run --format json | jq '.pools[] | {name, busy, cost_usd}'
  slicesim run --png --out /tmp/r               report.html plus plots/*.png
  slicesim run --no-baseline                     skip the exclusive baseline of the seed claims
  slicesim run --openmetrics /tmp/run.om --openmetrics-start 2026-03-02T08:00:00Z
      then: promtool tsdb create-blocks-from openmetrics /tmp/run.om /prometheus/data
Replications write OUT/seed-<n>/ (a single run's files) and OUT/summary.json,
OUT/replications.csv, OUT/replications_long.csv (see docs/OUTPUTS.md).";

#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario YAML file; omit for the built-in default (scenarios/seed-strategy.yaml).
    scenario: Option<PathBuf>,
    /// Output folder (default reports/<scenario name>/, with --seeds
    /// reports/<scenario name>/replications/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Run one replication per seed (1..10, 1,4,7 or a mix) and report every figure as a
    /// mean with a 95 % confidence interval; each seed's outputs go to OUT/seed-<n>/.
    #[arg(long, value_name = "LIST")]
    seeds: Option<String>,
    /// With --seeds: target half-width of the confidence interval, as a fraction of the mean,
    /// for the "replications needed" column (0.05 = ±5 %).
    #[arg(long, value_name = "REL", default_value_t = DEFAULT_HALF_WIDTH, requires = "seeds")]
    half_width: f64,
    /// With --seeds: replications run at once (default: all cores).
    #[arg(long, value_name = "N", requires = "seeds", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Override the placement policy: kube-default (the default: an unconfigured kube-scheduler,
    /// random among tied nodes), kube-most-allocated, kube-requested-to-capacity (GPU
    /// bin-packing profiles), first-fit, best-fit, spread or fgd. Example: --policy spread
    #[arg(long, value_parser = parse_policy)]
    policy: Option<PolicyName>,
    /// Print only the output folder: no summary tables and no progress bar.
    #[arg(long)]
    quiet: bool,
    /// Print every summary table in full (per pool and per class, all columns; wider than
    /// 100 columns) instead of the key figures per pool and per priority class.
    #[arg(long, conflicts_with_all = ["quiet", "format"])]
    wide: bool,
    /// What goes to standard output: the summary tables, or `json`: the run's summary.json
    /// (the same bytes as the file; the "wrote" line then goes to standard error).
    #[arg(long, value_enum, default_value_t = Format::Table, conflicts_with_all = ["seeds", "quiet"])]
    format: Format,
    /// Replay this trace file instead of the scenario's workload.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Format of --trace: native, openb, philly or azure-llm (default: told from its header).
    #[arg(long, value_parser = parse_format)]
    trace_format: Option<TraceFormat>,
    /// Any trace row that cannot be used is an error (default: skipped and reported).
    #[arg(long)]
    strict: bool,
    /// Generate the workload from this fitted profile (slicesim trace fit). It replaces the
    /// scenario's whole workload, a trace and its `map` included; a note on stderr says what
    /// it replaced.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Multiply the synthetic workload's arrival rate by this (2.0 = twice the load).
    #[arg(long)]
    scale: Option<f64>,
    /// Also write the simulated time series to FILE in OpenMetrics text under DCGM exporter
    /// names (per GPU, per MIG instance, per pool and class; docs/OUTPUTS.md, "OpenMetrics").
    #[arg(long, value_name = "FILE", conflicts_with = "seeds")]
    openmetrics: Option<PathBuf>,
    /// With --openmetrics: the date and time simulated time 0 stands for (RFC 3339).
    #[arg(long, value_name = "RFC3339", default_value = DEFAULT_START, requires = "openmetrics", value_parser = parse_start)]
    openmetrics_start: i64,
    /// Also write every plot of report.html as OUT/plots/<id>.png (900 px wide).
    #[arg(long, conflicts_with = "seeds")]
    png: bool,
    /// Skip the exclusive baseline run that report.html's seed claims compare with (a second
    /// simulation of the same arrivals with every pool exclusive); those claims then read
    /// "not applicable".
    #[arg(long, conflicts_with = "seeds")]
    no_baseline: bool,
    #[command(flatten)]
    set: SetArgs,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// An RFC 3339 date and time as Unix milliseconds (not before 1970).
fn parse_start(s: &str) -> Result<i64, String> {
    let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|e| {
        format!("`{s}` is not an RFC 3339 date and time ({e}), e.g. {DEFAULT_START}")
    })?;
    let ms = t.timestamp_millis();
    if ms < 0 {
        return Err(format!("`{s}` is before 1970"));
    }
    Ok(ms)
}

pub fn run(a: RunArgs) -> Result<(), String> {
    let mut opts = RunOptions {
        seed: a.seed,
        policy: a.policy,
        ..Default::default()
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
        errln!("--set {o} (was {})", o.previous_text());
    }
    for note in apply_workload_overrides(&mut loaded, &workload)? {
        errln!("note: {note}");
    }
    if report_problems(&loaded, &applied) {
        return Err(format!("{}: invalid scenario (see above)", loaded.source));
    }
    // Replications default to a folder of their own: their summary.json is another format
    // and must not sit beside a single run's other files.
    let out = a.out.clone().unwrap_or_else(|| {
        let dir = PathBuf::from("reports").join(&loaded.scenario.name);
        if a.seeds.is_some() {
            dir.join("replications")
        } else {
            dir
        }
    });
    // --format json keeps standard error for the `wrote` line only: no bar.
    let quiet_bar = a.quiet || a.format == Format::Json;
    if let Some(seeds) = &a.seeds {
        let seeds = parse_seeds(seeds).map_err(|e| format!("--seeds {e}"))?;
        let bar = SimBar::new(quiet_bar, seeds.len(), &format!("{} seeds", seeds.len()));
        opts.progress = bar.progress();
        let opts = ReplicateOptions {
            run: opts,
            seeds,
            half_width: a.half_width,
            jobs: a.jobs.map(usize::from),
        };
        let done = replicated(&loaded, &opts, &out, a.quiet, &bar);
        bar.finish();
        return done;
    }
    let t0 = Instant::now();
    let exports = Exports {
        openmetrics_start_ms: a.openmetrics.as_ref().map(|_| a.openmetrics_start),
        png: a.png,
        baseline: !a.no_baseline,
    };
    let bar = SimBar::new(quiet_bar, 1, "run");
    opts.progress = bar.progress();
    let o = run_to_dir_with(&loaded, &opts, &out, &exports);
    bar.finish();
    let o = o?;
    if let (Some(path), Some(text)) = (&a.openmetrics, &o.openmetrics) {
        slicesim::outfile::write(path, text.as_bytes())?;
    }
    let wall = t0.elapsed().as_secs_f64();
    if let Some(r) = &o.import {
        err!("{}", super::trace::text::import_report(r));
    }
    let mut files = String::from("summary.json,jobs.csv,pools.csv,classes.csv,classes_ts.csv");
    if o.summary.classes.iter().any(|c| c.latency.is_some()) {
        files.push_str(",latency.csv");
    }
    if !o.summary.operations.is_empty() {
        files.push_str(",operations.csv");
    }
    files.push_str(",report.html");
    let mut wrote = format!("wrote {}/{{{files}}}", out.display());
    if a.png {
        wrote.push_str(&format!("\nwrote {}/plots/*.png", out.display()));
    }
    if let Some(path) = &a.openmetrics {
        wrote.push_str(&format!("\nwrote {}", path.display()));
    }
    if a.format == Format::Json {
        let json =
            serde_json::to_string_pretty(&o.summary).map_err(|e| format!("summary.json: {e}"))?;
        outln!("{json}");
        errln!("{wrote}");
    } else {
        if a.wide {
            out!("{}", slicesim::report::table::render(&o.summary));
        } else if !a.quiet {
            let names = slicesim::report::priority_names(&o.world);
            out!("{}", slicesim::report::brief::render(&o.summary, &names));
        }
        outln!("{wrote}");
    }
    // The wall time covers the exclusive baseline run too: its events count in the rate.
    let (events, also) = match &o.baseline {
        Some(b) => (
            o.summary.events + b.events,
            format!(", the exclusive baseline's {} events included", b.events),
        ),
        None => (o.summary.events, String::new()),
    };
    errln!(
        "{events} events in {:.3} s ({:.2} M events/s{also})",
        wall,
        events as f64 / wall.max(1e-9) / 1e6
    );
    Ok(())
}

/// `run --seeds`: every seed, then the replicated key figures.
fn replicated(
    loaded: &Loaded,
    opts: &ReplicateOptions,
    out: &Path,
    quiet: bool,
    bar: &SimBar,
) -> Result<(), String> {
    let t0 = Instant::now();
    let rep = replicate(loaded, opts, out);
    bar.finish();
    let rep = rep?;
    let wall = t0.elapsed().as_secs_f64();
    if !quiet {
        out!("{}", super::replicate::render(&rep));
    }
    outln!(
        "wrote {}/{{summary.json,replications.csv,replications_long.csv,report.html}} and seed-<n>/ for {} seeds",
        out.display(),
        rep.replications
    );
    errln!(
        "{} run(s) in {wall:.3} s on {} thread(s)",
        rep.replications,
        opts.jobs.unwrap_or_else(rayon::current_num_threads)
    );
    Ok(())
}
