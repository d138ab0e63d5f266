//! The `slicesim` command line: parse, call the library, print, set the exit code.

use clap::{Parser, Subcommand};
use slicesim::catalog::{Catalog, render_layouts};
use slicesim::run::{RunOptions, run_to_dir};
use slicesim::scenario::schema::PolicyName;
use slicesim::scenario::{self, Loaded, Severity};
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
        /// Override the placement policy: first-fit or best-fit.
        #[arg(long, value_parser = parse_policy)]
        policy: Option<PolicyName>,
        /// Print only the output folder, not the summary tables.
        #[arg(long)]
        quiet: bool,
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
    /// Hardware-in-the-loop: apply a pool's layout through NVML, measure, compare, calibrate.
    Hil(slicesim::hil::cli::HilArgs),
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

fn parse_policy(s: &str) -> Result<PolicyName, String> {
    PolicyName::parse(s).ok_or_else(|| format!("unknown policy `{s}` (first-fit or best-fit)"))
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
    quiet: bool,
) -> Result<(), String> {
    let loaded = match scenario_path {
        Some(p) => scenario::load(p)?,
        None => scenario::builtin(),
    };
    if report_problems(&loaded) {
        return Err(format!("{}: invalid scenario (see above)", loaded.source));
    }
    let out = out.unwrap_or_else(|| PathBuf::from("reports").join(&loaded.scenario.name));
    let t0 = Instant::now();
    let o = run_to_dir(&loaded, &opts, &out)?;
    let wall = t0.elapsed().as_secs_f64();
    if !quiet {
        print!("{}", slicesim::report::table::render(&o.summary));
    }
    println!(
        "wrote {}/{{summary.json,jobs.csv,pools.csv,classes.csv}}",
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
        } => run(
            scenario.as_deref(),
            out,
            RunOptions {
                seed,
                policy,
                check_invariants: false,
            },
            quiet,
        ),
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
