//! The `slicesim` command line: parse, call the library, print, set the exit code.

use clap::{Parser, Subcommand};
use slicesim::catalog::{Catalog, render_layouts};
use slicesim::run::{RunOptions, WorkloadOverrides, apply_workload_overrides, run_to_dir};
use slicesim::scenario::schema::PolicyName;
use slicesim::scenario::{self, Loaded, Severity};
use slicesim::trace::{ImportMap, TraceFormat};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "slicesim",
    version,
    about = "Discrete-event simulator for GPU sharing (time-slicing, MIG, fractional) on Kubernetes clusters"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario (the built-in seed strategy if none is given) and write its report.
    Run {
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
    },
    /// Check a scenario file and print every problem with its location (exit 1 if invalid).
    Validate { file: PathBuf },
    /// MIG geometry commands.
    Mig {
        #[command(subcommand)]
        cmd: MigCmd,
    },
    /// List the built-in GPU models.
    Catalog,
    /// Turn Kubernetes / NVIDIA configuration (nodes, device-plugin and mig-parted configs,
    /// PriorityClass and ResourceQuota manifests) into a scenario; warnings go to stderr.
    Import(ImportArgs),
    /// Reproduce a published experiment.
    Experiment {
        #[command(subcommand)]
        cmd: slicesim::fgd::cli::ExperimentCmd,
    },
    /// Hardware-in-the-loop: apply a pool's layout through NVML, measure, compare, calibrate.
    Hil(slicesim::hil::cli::HilArgs),
    /// Trace commands: import, stats, fit, generate, pools.
    Trace {
        #[command(subcommand)]
        cmd: TraceCmd,
    },
}

#[derive(clap::Args)]
struct ImportArgs {
    /// `kubectl get nodes -o json` (or `-o yaml`) output: becomes the pools.
    #[arg(long)]
    nodes: Option<PathBuf>,
    /// NVIDIA device-plugin ConfigMap (named configs under `data`) or a bare config file.
    #[arg(long)]
    device_plugin: Option<PathBuf>,
    /// The ConfigMap key used by nodes without a `nvidia.com/device-plugin.config` label.
    #[arg(long)]
    device_plugin_default: Option<String>,
    /// mig-parted config (`mig-configs`), looked up by the nodes' `nvidia.com/mig.config`.
    #[arg(long)]
    mig_parted: Option<PathBuf>,
    /// YAML with PriorityClass, ResourceQuota and Namespace objects (repeatable).
    #[arg(long)]
    manifests: Vec<PathBuf>,
    /// Output file (default: standard output).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Scenario name.
    #[arg(long, default_value = "imported")]
    name: String,
    /// Write only the imported sections, not a complete scenario with placeholder classes.
    #[arg(long)]
    fragment: bool,
}

/// Options every trace-reading command shares.
#[derive(clap::Args)]
struct TraceInput {
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
enum TraceCmd {
    /// Convert a trace to the native CSV format.
    Import {
        #[command(flatten)]
        input: TraceInput,
        /// Output file (native CSV).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Say what is in a trace: jobs, request mix, classes, arrivals, run times, GPU-hours.
    Stats {
        #[command(flatten)]
        input: TraceInput,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fit a workload profile (rate, daily cycle, request mix, run times) to a trace.
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
    Pools {
        /// The node list (openb_node_list_*.csv).
        nodes: PathBuf,
        /// Output file (default: print).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// How the pools share GPUs: fractional, exclusive or time-slicing:N.
        #[arg(long, default_value = "fractional", value_parser = parse_sharing)]
        sharing: slicesim::scenario::schema::Sharing,
        /// Any row that cannot be used is an error.
        #[arg(long)]
        strict: bool,
    },
    /// Generate a native trace from a fitted profile.
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

#[derive(Subcommand)]
enum MigCmd {
    /// List every valid layout of the base profiles with placements.
    Layouts {
        /// GPU model, e.g. A100-80GB.
        #[arg(long)]
        gpu: String,
        /// Only layouts to which no further instance can be added.
        #[arg(long)]
        maximal: bool,
    },
}

fn parse_format(s: &str) -> Result<TraceFormat, String> {
    TraceFormat::parse(s).ok_or_else(|| {
        let known: Vec<&str> = TraceFormat::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown trace format `{s}` ({})", known.join(", "))
    })
}

fn parse_sharing(s: &str) -> Result<slicesim::scenario::schema::Sharing, String> {
    use slicesim::scenario::schema::{ReplicaAllocation, Sharing};
    match s {
        "fractional" => Ok(Sharing::Fractional),
        "exclusive" => Ok(Sharing::Exclusive),
        _ => match s.strip_prefix("time-slicing:").map(str::parse::<u32>) {
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

fn parse_policy(s: &str) -> Result<PolicyName, String> {
    PolicyName::parse(s)
        .ok_or_else(|| format!("unknown policy `{s}` (first-fit, best-fit, spread or fgd)"))
}

/// Prints the problems; true if any is an error.
fn report_problems(loaded: &Loaded) -> bool {
    let problems = scenario::validate(&loaded.scenario, &loaded.text, &loaded.base_dir);
    for p in &problems {
        eprintln!("{}: {p}", loaded.source);
    }
    problems.iter().any(|p| p.severity == Severity::Error)
}

fn run(
    scenario_path: Option<&Path>,
    out: Option<PathBuf>,
    opts: RunOptions,
    workload: WorkloadOverrides,
    quiet: bool,
) -> Result<(), String> {
    let mut loaded = match scenario_path {
        Some(p) => scenario::load(p)?,
        None => scenario::builtin(),
    };
    apply_workload_overrides(&mut loaded, &workload)?;
    if report_problems(&loaded) {
        return Err(format!("{}: invalid scenario (see above)", loaded.source));
    }
    let out = out.unwrap_or_else(|| PathBuf::from("reports").join(&loaded.scenario.name));
    let t0 = Instant::now();
    let o = run_to_dir(&loaded, &opts, &out)?;
    let wall = t0.elapsed().as_secs_f64();
    if let Some(r) = &o.import {
        eprint!("{}", r.render());
    }
    if !quiet {
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

fn import(a: ImportArgs) -> Result<(), String> {
    use slicesim::scenario::k8s::{ImportInputs, Input, import, render};
    let read = |p: &Option<PathBuf>| p.as_deref().map(Input::read).transpose();
    let inputs = ImportInputs {
        nodes: read(&a.nodes)?,
        device_plugin: read(&a.device_plugin)?,
        device_plugin_default: a.device_plugin_default,
        mig_parted: read(&a.mig_parted)?,
        manifests: a
            .manifests
            .iter()
            .map(|p| Input::read(p))
            .collect::<Result<_, _>>()?,
    };
    let (fragment, report) = import(&inputs).map_err(|e| {
        e.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
        e.errors.iter().for_each(|x| eprintln!("error: {x}"));
        "import failed".to_string()
    })?;
    report
        .warnings
        .iter()
        .for_each(|w| eprintln!("warning: {w}"));
    let full = !a.fragment && !fragment.pools.is_empty();
    if !a.fragment && !full {
        eprintln!(
            "note: no pools imported (no --nodes), so only the imported sections are written"
        );
    }
    let text = render(&fragment, &inputs, &a.name, full);
    if full {
        // The output must validate as it is.
        let sc = scenario::parse(&text, "imported scenario")?;
        let problems = scenario::validate(&sc, &text, Path::new("."));
        problems
            .iter()
            .for_each(|p| eprintln!("imported scenario: {p}"));
        if problems.iter().any(|p| p.severity == Severity::Error) {
            return Err("the imported scenario does not validate (a bug: please report it)".into());
        }
    }
    match &a.out {
        Some(p) => {
            std::fs::write(p, &text).map_err(|e| format!("{}: cannot write: {e}", p.display()))?
        }
        None => print!("{text}"),
    }
    let nodes: usize = fragment.pool_nodes.iter().map(Vec::len).sum();
    eprintln!(
        "imported {} pool(s) from {nodes} node(s), {} priority class(es), {} namespace(s){}; {} warning(s)",
        fragment.pools.len(),
        fragment.priority_classes.len(),
        fragment.namespaces.len(),
        a.out
            .as_ref()
            .map_or(String::new(), |p| format!(" into {}", p.display())),
        report.warnings.len()
    );
    Ok(())
}

fn trace_cmd(cmd: TraceCmd) -> Result<(), String> {
    match cmd {
        TraceCmd::Import { input, out } => {
            let map = load_map(input.map.as_deref())?;
            let report = slicesim::trace::import::convert(
                &input.file,
                input.format,
                &map,
                input.strict,
                &out,
            )?;
            eprint!("{}", report.render());
            println!("wrote {} ({} jobs)", out.display(), report.jobs);
            Ok(())
        }
        TraceCmd::Stats { input, json } => {
            let map = load_map(input.map.as_deref())?;
            let text = slicesim::trace::stats::command(
                &input.file,
                input.format,
                &map,
                input.strict,
                json,
            )?;
            print!("{text}");
            Ok(())
        }
        TraceCmd::Fit {
            input,
            out,
            busiest,
        } => {
            let map = load_map(input.map.as_deref())?;
            let opened =
                slicesim::trace::import::open(&input.file, input.format, &map, input.strict)
                    .map_err(|e| e.to_string())?;
            eprint!("{}", opened.report.render());
            let fitted = slicesim::trace::fit::fit_opened(opened, busiest)?;
            let yaml =
                slicesim::trace::fit::profile_yaml(&fitted, &input.file.display().to_string())?;
            std::fs::write(&out, yaml).map_err(|e| format!("{}: {e}", out.display()))?;
            for n in &fitted.notes {
                eprintln!("note: {n}");
            }
            println!(
                "wrote {} ({} jobs, {:.3} jobs/h, {} mix entries)",
                out.display(),
                fitted.jobs,
                fitted.spec.rate_per_hour,
                fitted.spec.mix.len()
            );
            Ok(())
        }
        TraceCmd::Pools {
            nodes,
            out,
            sharing,
            strict,
        } => {
            use slicesim::trace::import_openb::{pools_from_nodes, pools_yaml};
            let (pools, report) =
                pools_from_nodes(&nodes, &sharing, strict).map_err(|e| e.to_string())?;
            eprintln!(
                "{}: {} nodes, {} pools, {} bad rows",
                report.source,
                report.rows,
                pools.pools.len(),
                report.bad_count
            );
            for line in report.render().lines().skip(1) {
                eprintln!("{line}");
            }
            let yaml = pools_yaml(&pools, &nodes.display().to_string())?;
            match out {
                Some(o) => {
                    std::fs::write(&o, yaml).map_err(|e| format!("{}: {e}", o.display()))?;
                    println!("wrote {} ({} pools)", o.display(), pools.pools.len());
                }
                None => print!("{yaml}"),
            }
            Ok(())
        }
        TraceCmd::Generate {
            profile,
            out,
            scale,
            seed,
            span,
        } => {
            let spec = slicesim::run::load_profile(&profile)?;
            let n = slicesim::trace::fit::generate(&spec, scale, seed, span, &out)?;
            println!("wrote {} ({n} jobs)", out.display());
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Hil(args) => return slicesim::hil::cli::run(args),
        Cmd::Run {
            scenario,
            out,
            seed,
            policy,
            quiet,
            trace,
            trace_format,
            strict,
            profile,
            scale,
        } => run(
            scenario.as_deref(),
            out,
            RunOptions {
                seed,
                policy,
                check_invariants: false,
            },
            WorkloadOverrides {
                trace,
                trace_format,
                strict,
                profile,
                scale,
            },
            quiet,
        ),
        Cmd::Trace { cmd } => trace_cmd(cmd),
        Cmd::Validate { file } => match scenario::load(&file) {
            Err(e) => Err(e),
            Ok(loaded) => {
                if report_problems(&loaded) {
                    Err(format!("{}: invalid", loaded.source))
                } else {
                    println!("{}: valid", loaded.source);
                    Ok(())
                }
            }
        },
        Cmd::Mig {
            cmd: MigCmd::Layouts { gpu, maximal },
        } => {
            let cat = Catalog::builtin();
            match cat.get(&gpu) {
                Some(m) => {
                    print!("{}", render_layouts(m, maximal));
                    Ok(())
                }
                None => Err(format!(
                    "unknown GPU model {gpu} (known: {})",
                    cat.names().join(", ")
                )),
            }
        }
        Cmd::Catalog => {
            for m in Catalog::builtin().models() {
                let profiles: Vec<&str> = m.mig_profiles.iter().map(|p| p.name.as_str()).collect();
                println!(
                    "{:16} {:6.1} GiB {:4} SMs  speed {:.2}  ${:.2}/GPU-h  MIG: {}",
                    m.name,
                    m.memory_gib,
                    m.sms,
                    m.speed,
                    m.price_per_hour,
                    if profiles.is_empty() {
                        "no".to_string()
                    } else {
                        profiles.join(" ")
                    }
                );
            }
            Ok(())
        }
        Cmd::Import(args) => import(args),
        Cmd::Experiment { cmd } => slicesim::fgd::cli::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
