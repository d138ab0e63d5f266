//! `slicesim trace ...`: import, stats, fit, pools, generate. The library returns data; the
//! terminal text of import reports and of `stats` is worded in `text.rs`.

pub mod text;

use super::parse_format;
use clap::Subcommand;
use slicesim::trace::{ImportMap, TraceFormat};
use std::path::{Path, PathBuf};

/// Options every trace-reading command shares.
#[derive(clap::Args)]
pub struct TraceInput {
    /// The trace file.
    file: PathBuf,
    /// native, openb, philly or azure-llm (default: told from the header).
    #[arg(long, value_parser = parse_format)]
    format: Option<TraceFormat>,
    /// YAML file with the importer mapping (the `map` of a trace workload; docs/TRACE.md).
    #[arg(long)]
    map: Option<PathBuf>,
    /// Any row that cannot be used is an error (default: skipped and reported).
    #[arg(long)]
    strict: bool,
}

#[derive(Subcommand)]
pub enum TraceCmd {
    /// Convert a trace to the native CSV format.
    #[command(after_help = crate::cli::examples::TRACE_IMPORT)]
    Import {
        #[command(flatten)]
        input: TraceInput,
        /// Output file (native CSV).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Say what is in a trace: jobs, request mix, classes, arrivals, run times, GPU-hours.
    #[command(after_help = crate::cli::examples::TRACE_STATS)]
    Stats {
        #[command(flatten)]
        input: TraceInput,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fit a workload profile (rate, daily cycle, request mix, run times) to a trace.
    #[command(after_help = crate::cli::examples::TRACE_FIT)]
    Fit {
        #[command(flatten)]
        input: TraceInput,
        /// Output profile (YAML).
        #[arg(short, long)]
        out: PathBuf,
        /// Fit only the shortest window holding this share of arrivals (e.g. 0.98).
        #[arg(long)]
        busiest: Option<f64>,
    },
    /// Turn an openb node list into scenario pools and custom GPU models (YAML).
    #[command(after_help = crate::cli::examples::TRACE_POOLS)]
    Pools {
        /// The node list (openb_node_list_*.csv).
        nodes: PathBuf,
        /// Output file (default: print).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// How the pools share GPUs: fractional, exclusive or time-slicing:N.
        #[arg(long, default_value = "fractional", value_parser = parse_sharing)]
        sharing: slicesim::domain::Sharing,
        /// Any row that cannot be used is an error.
        #[arg(long)]
        strict: bool,
    },
    /// Generate a native trace from a fitted profile.
    #[command(after_help = crate::cli::examples::TRACE_GENERATE)]
    Generate {
        /// Profile YAML (slicesim trace fit).
        profile: PathBuf,
        /// Output file (native CSV).
        #[arg(short, long)]
        out: PathBuf,
        /// Multiply the arrival rate by this (2.0 = twice the load, same shape).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Arrival window, overriding the profile's (e.g. 7d).
        #[arg(long, value_parser = parse_dur)]
        span: Option<slicesim::units::Dur>,
    },
}

fn parse_sharing(s: &str) -> Result<slicesim::domain::Sharing, String> {
    use slicesim::domain::{ReplicaAllocation, Sharing};
    match s {
        "fractional" => Ok(Sharing::Fractional),
        "exclusive" => Ok(Sharing::Exclusive),
        _ => match s.strip_prefix("time-slicing:").map(str::parse::<u32>) {
            Some(Ok(replicas)) if u64::from(replicas) > slicesim::limits::MAX_REPLICAS => Err(
                slicesim::limits::exceeds("replicas", replicas, slicesim::limits::MAX_REPLICAS),
            ),
            Some(Ok(replicas)) if replicas >= 1 => Ok(Sharing::TimeSlicing {
                replicas,
                rename_by_default: false,
                fail_requests_greater_than_one: false,
                allocation: ReplicaAllocation::Distributed,
            }),
            _ => Err(format!(
                "`{s}`: expected fractional, exclusive or time-slicing:N (N >= 1)"
            )),
        },
    }
}

fn parse_dur(s: &str) -> Result<slicesim::units::Dur, String> {
    slicesim::units::parse_duration(s)
}

fn load_map(path: Option<&Path>) -> Result<ImportMap, String> {
    path.map_or_else(|| Ok(ImportMap::default()), ImportMap::load)
}

pub fn run(cmd: TraceCmd) -> Result<(), String> {
    match cmd {
        TraceCmd::Import { input, out } => import(&input, &out),
        TraceCmd::Stats { input, json } => stats(&input, json),
        TraceCmd::Fit {
            input,
            out,
            busiest,
        } => fit(&input, &out, busiest),
        TraceCmd::Pools {
            nodes,
            out,
            sharing,
            strict,
        } => pools(&nodes, out, &sharing, strict),
        TraceCmd::Generate {
            profile,
            out,
            scale,
            seed,
            span,
        } => {
            let spec = slicesim::run::load_profile(&profile)?;
            let n = slicesim::workload::fit::generate(&spec, scale, seed, span, &out)?;
            outln!("wrote {} ({n} jobs)", out.display());
            Ok(())
        }
    }
}

/// `trace import`: converts to the native format, reporting what was read.
fn import(input: &TraceInput, out: &Path) -> Result<(), String> {
    let map = load_map(input.map.as_deref())?;
    let report =
        slicesim::trace::import::convert(&input.file, input.format, &map, input.strict, out)?;
    err!("{}", text::import_report(&report));
    outln!("wrote {} ({} jobs)", out.display(), report.jobs);
    Ok(())
}

/// `trace stats`: as text or JSON.
fn stats(input: &TraceInput, json: bool) -> Result<(), String> {
    let map = load_map(input.map.as_deref())?;
    let stats = slicesim::workload::stats::of_file(&input.file, input.format, &map, input.strict)?;
    if json {
        let mut out = serde_json::to_string_pretty(&stats).unwrap_or_else(|e| format!("{e}"));
        out.push('\n');
        out!("{out}");
    } else {
        out!("{}", text::stats(&stats));
    }
    Ok(())
}

/// `trace fit`: writes the fitted profile and prints the fit's notes.
fn fit(input: &TraceInput, out: &Path, busiest: Option<f64>) -> Result<(), String> {
    let map = load_map(input.map.as_deref())?;
    let opened = slicesim::trace::import::open(&input.file, input.format, &map, input.strict)
        .map_err(|e| e.to_string())?;
    // A native trace streams: its rows are counted as the fit reads them, so its report
    // comes after the fit (it said "0 rows, 0 jobs" before).
    let mut report = opened.report.clone();
    let streaming = opened.format == TraceFormat::Native;
    if !streaming {
        err!("{}", text::import_report(&report));
    }
    let fitted = slicesim::workload::fit::fit_opened(opened, busiest)?;
    if streaming {
        report.rows = fitted.jobs + fitted.left_out;
        report.jobs = report.rows;
        err!("{}", text::import_report(&report));
    }
    let yaml = slicesim::workload::fit::profile_yaml(&fitted, &input.file.display().to_string())?;
    slicesim::outfile::write(out, yaml.as_bytes())?;
    for n in &fitted.notes {
        errln!("note: {n}");
    }
    outln!(
        "wrote {} ({} jobs, {:.3} jobs/h, {} mix entries)",
        out.display(),
        fitted.jobs,
        fitted.spec.rate_per_hour,
        fitted.spec.mix.len()
    );
    Ok(())
}

/// `trace pools`: scenario pools from an OpenB node list, to a file or stdout.
fn pools(
    nodes: &Path,
    out: Option<PathBuf>,
    sharing: &slicesim::domain::Sharing,
    strict: bool,
) -> Result<(), String> {
    use slicesim::scenario::k8s::openb_nodes::{pools_from_nodes, pools_yaml};
    let (pools, report) = pools_from_nodes(nodes, sharing, strict).map_err(|e| e.to_string())?;
    errln!(
        "{}: {} nodes, {} pools, {} bad rows",
        report.source,
        report.rows,
        pools.pools.len(),
        report.bad_count
    );
    for line in text::import_report(&report).lines().skip(1) {
        errln!("{line}");
    }
    let yaml = pools_yaml(&pools, &nodes.display().to_string())?;
    match out {
        Some(o) => {
            slicesim::outfile::write(&o, yaml.as_bytes())?;
            outln!("wrote {} ({} pools)", o.display(), pools.pools.len());
        }
        None => out!("{yaml}"),
    }
    Ok(())
}
