//! The `slicesim` command line (binary only): the clap types, one file per command, the parsers
//! the commands share, and the exit codes. The library returns data; everything printed is
//! printed here.
//!
//! | file | command |
//! |---|---|
//! | `run.rs` | `slicesim run` (`replicate.rs`: the `--seeds` table) |
//! | `compare.rs` | `slicesim compare` (`compare_render.rs`: table, Markdown, CSV) |
//! | `figures.rs` | key figures, units and number formats shared by `run --seeds` and `compare` |
//! | `validate.rs` | `slicesim validate` |
//! | `sweep.rs` | `slicesim sweep` (exit 2 on a bad file or point, 1 on a failed run) |
//! | `merge.rs` | `slicesim merge` (shards of a sweep back into one folder) |
//! | `set.rs` | `--set PATH=VALUE` of `run` and `validate`, and how their problems are printed |
//! | `check.rs` | `slicesim check`, the CI gate (exit 0 / 1 / 2) |
//! | `size.rs` | `slicesim size`, the SLO search (exit 0 / 1 / 2) |
//! | `mig.rs` | `slicesim mig layouts` |
//! | `catalog.rs` | `slicesim catalog` |
//! | `schema.rs` | `slicesim schema` (the scenario format's JSON Schema) |
//! | `import.rs` | `slicesim import` |
//! | `trace/` | `slicesim trace ...` (`text.rs`: import reports and `trace stats` as text) |
//! | `experiment.rs` | `slicesim experiment fgd` |
//! | `hil/` | `slicesim hil ...` |
//! | `progress.rs` | the progress bar of simulated time (`run`, `run --seeds`, `size`) |
//! | `out.rs` | `out!`/`outln!`/`err!`/`errln!`: printing that never panics (a failed stdout ends the command quietly, non-zero) |
//! | `completions.rs` | `slicesim completions SHELL` (clap_complete) |
//! | `man.rs` | `slicesim man` (clap_mangen) |
//! | `examples.rs` | the `Examples:` shown under `--help` of the commands without a file of their own |

#[macro_use]
mod out;
mod catalog;
mod check;
mod compare;
mod compare_render;
mod completions;
mod examples;
mod experiment;
mod figures;
mod hil;
mod import;
mod man;
mod merge;
mod mig;
mod progress;
mod replicate;
mod run;
mod schema;
mod sensitivity;
mod set;
mod size;
mod sweep;
mod trace;
mod validate;

use clap::{Parser, Subcommand};
use slicesim::domain::PolicyName;
use slicesim::trace::TraceFormat;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "slicesim",
    version,
    about = "Discrete-event simulator for GPU sharing (time-slicing, MIG, fractional) on Kubernetes clusters",
    after_help = examples::TOP
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario (the built-in seed strategy if none is given) and write its report.
    #[command(after_help = examples::run())]
    Run(run::RunArgs),
    /// Check a scenario file and print every problem with its location (exit 1 if invalid).
    #[command(after_help = examples::validate())]
    Validate(validate::ValidateArgs),
    /// Compare runs, replications or sweeps side by side: each figure's difference from the
    /// first folder, with Welch's t-test where both sides are replications.
    #[command(after_help = compare::EXAMPLES)]
    Compare(compare::CompareArgs),
    /// Run a scenario and check expectations on its figures (the CI gate; docs/CI.md):
    /// exit 0 all pass, 1 an expectation failed, 2 usage or input error.
    Check(check::CheckArgs),
    /// Find the smallest value of a scenario field (nodes, a quota, replicas) that meets every
    /// condition, by bisection (docs/SIZE.md): exit 0 found, 1 not met or not monotone, 2 error.
    Size(size::SizeArgs),
    /// One parameter at a time (model constants, class traits, or given ranges) low and high:
    /// how far cost, waits, busy and latency move, largest first (a tornado table).
    Sensitivity(sensitivity::SensitivityArgs),
    /// MIG geometry commands.
    #[command(after_help = examples::MIG)]
    Mig {
        #[command(subcommand)]
        cmd: mig::MigCmd,
    },
    /// List the built-in GPU models.
    #[command(after_help = examples::CATALOG)]
    Catalog,
    /// Print the JSON Schema of the scenario format (for editor completion and checks).
    #[command(after_help = schema::EXAMPLES)]
    Schema(schema::SchemaArgs),
    /// Turn Kubernetes / NVIDIA configuration (nodes, device-plugin and mig-parted configs,
    /// PriorityClass and ResourceQuota manifests) into a scenario; warnings go to stderr.
    #[command(after_help = examples::IMPORT)]
    Import(import::ImportArgs),
    /// Reproduce a published experiment.
    #[command(after_help = examples::EXPERIMENT)]
    Experiment {
        #[command(subcommand)]
        cmd: experiment::ExperimentCmd,
    },
    /// Hardware-in-the-loop: apply a pool's layout through NVML, measure, compare, calibrate.
    #[command(after_help = examples::HIL)]
    Hil(hil::HilArgs),
    /// Run every point x seed of a sweep file in parallel and write sweep.csv,
    /// sweep_summary.csv (mean and 95 % CI, dominance) and sweep.json (docs/SWEEP.md).
    Sweep(sweep::SweepArgs),
    /// Merge the shard folders of a sweep (`sweep --shard I/N`) into the sweep's output folder.
    Merge(merge::MergeArgs),
    /// Trace commands: import, stats, fit, generate, pools.
    #[command(after_help = examples::TRACE)]
    Trace {
        #[command(subcommand)]
        cmd: trace::TraceCmd,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    #[command(after_help = completions::EXAMPLES)]
    Completions(completions::CompletionsArgs),
    /// Write the man pages: slicesim.1 and one page per subcommand (slicesim-run.1, ...).
    #[command(after_help = man::EXAMPLES)]
    Man(man::ManArgs),
}

/// Parses the command line, runs the command and turns its result into the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = command(cli.cmd);
    match out::finish() {
        None => code,
        Some(message) => {
            // A closed pipe is said nothing about; a full device or another error in one line.
            if let Some(m) = message {
                errln!("error: {m}");
            }
            if code == ExitCode::SUCCESS {
                ExitCode::from(1)
            } else {
                code
            }
        }
    }
}

/// Runs the command and turns its result into the exit code.
fn command(cmd: Cmd) -> ExitCode {
    if !matches!(cmd, Cmd::Hil(_)) {
        remove_temporaries_on_signal();
    }
    let result = match cmd {
        // The harness has exit codes of its own (docs/HIL.md), and its own Ctrl-C handling.
        Cmd::Hil(args) => return hil::run(args),
        // Input errors exit 2, failed runs 1 (docs/SWEEP.md).
        Cmd::Sweep(args) => return sweep::run(args),
        Cmd::Merge(args) => return merge::run(args),
        // Unreadable or foreign folders exit with 2 (docs/OUTPUTS.md, "Compare").
        Cmd::Compare(args) => return compare::run(args),
        // Exit 1 means an expectation failed, 2 a usage or input error (docs/CI.md).
        Cmd::Check(args) => return check::run(args),
        Cmd::Size(args) => return size::run(args),
        Cmd::Sensitivity(args) => return sensitivity::run(args),
        Cmd::Run(args) => run::run(args),
        Cmd::Trace { cmd } => trace::run(cmd),
        Cmd::Validate(args) => validate::run(args),
        Cmd::Mig { cmd } => mig::run(cmd),
        Cmd::Catalog => catalog::run(),
        Cmd::Schema(args) => schema::run(args),
        Cmd::Import(args) => import::run(args),
        Cmd::Experiment { cmd } => experiment::run(cmd),
        Cmd::Completions(args) => completions::run(args),
        Cmd::Man(args) => man::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// On SIGINT or SIGTERM: removes the temporary files of outputs not yet complete (earlier
/// results stay as they were) and exits with 130.
fn remove_temporaries_on_signal() {
    let installed = ctrlc::set_handler(|| {
        slicesim::outfile::remove_temporaries();
        std::process::exit(130);
    });
    if let Err(e) = installed {
        errln!(
            "warning: cannot handle Ctrl-C ({e}); an interrupted command may leave temporary files"
        );
    }
}

fn parse_format(s: &str) -> Result<TraceFormat, String> {
    TraceFormat::parse(s).ok_or_else(|| {
        let known: Vec<&str> = TraceFormat::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown trace format `{s}` ({})", known.join(", "))
    })
}

fn parse_policy(s: &str) -> Result<PolicyName, String> {
    PolicyName::parse(s).ok_or_else(|| format!("unknown policy `{s}` ({})", PolicyName::names()))
}
