//! `slicesim hil ...`: parse, call the harness, print, map errors to exit codes.

use super::apply::{self, Options as ApplyOptions};
use super::calibrate::{calibrate, render_yaml};
use super::compare::{compare, render as render_compare, verdict};
use super::cuda_probe::{self, ProbeArgs};
use super::inventory::{inventory, render as render_inventory, snapshot};
use super::lock::{self, Lock};
use super::measure::{self, Options as MeasureOptions};
use super::measurements::{self, Measurements};
use super::nvml::{self, indices};
use super::plan::{GpuPlan, diff, layout_target, render as render_plan};
use super::safety::install_ctrlc;
use super::state::{self, DEFAULT_PATH, now, write_atomic};
use super::{Exit, HilError, Result, experiment, fakelib};
use crate::scenario::{self, Loaded, Severity};
use clap::{Args, Subcommand};
use nvml_wrapper::Nvml;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Hardware-in-the-loop: put a pool's MIG layout on real GPUs through NVML, run probes, compare
/// with the model and calibrate it (see docs/HIL.md).
#[derive(Args, Debug)]
pub struct HilArgs {
    /// NVML library to load [default: $SLICESIM_NVML_LIB, else the driver's libnvidia-ml.so.1].
    #[arg(long, global = true, value_name = "PATH")]
    pub nvml_lib: Option<PathBuf>,
    /// Lock file that keeps two harness runs apart [default: $TMPDIR/slicesim-hil.lock].
    #[arg(long, global = true, value_name = "PATH")]
    pub lock: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: HilCmd,
}

#[derive(Subcommand, Debug)]
pub enum HilCmd {
    /// GPUs, MIG mode, instances, profiles and placements as NVML reports them, checked against
    /// the built-in catalog.
    Inventory {
        /// Only this GPU (NVML index).
        #[arg(long)]
        gpu: Option<u32>,
        /// Also write the inventory as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// The operations that would turn the GPUs' state into a pool's layout (changes nothing).
    Plan(Target),
    /// Apply a pool's layout: dry run unless --yes; saves the prior state first, rolls back on
    /// any failure or Ctrl-C.
    Apply {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        change: Change,
        /// Where to save the prior state.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_PATH)]
        state: PathBuf,
    },
    /// Put back the state saved by apply: dry run unless --yes.
    Restore {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_PATH)]
        state: PathBuf,
        #[command(flatten)]
        change: Change,
    },
    /// Run an experiment's probes while sampling NVML; write the measurement file.
    Measure {
        experiment: PathBuf,
        /// Measurement file to write [default: measurements/NAME-DATE.json]; never overwritten.
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Run this shell command as the probe instead of the built-in one (see docs/HIL.md for
        /// the variables it gets and the line it must print).
        #[arg(long, value_name = "CMD")]
        probe_cmd: Option<String>,
        /// Measure although other processes hold the GPU.
        #[arg(long)]
        force: bool,
    },
    /// The model's predictions next to measurements; exit 2 if a point is outside the tolerance.
    Compare {
        #[arg(required = true)]
        measurements: Vec<PathBuf>,
        /// Scenario whose model parameters (and includes) to use [default: the built-in one].
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Largest relative error that passes.
        #[arg(long, default_value_t = 0.05)]
        tolerance: f64,
        /// Also write the comparison as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Fit overhead, MIG efficiency and per-model speed; write a file scenarios can include.
    Calibrate {
        #[arg(required = true)]
        measurements: Vec<PathBuf>,
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Scenario whose parameters are the starting point [default: the built-in one].
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Tolerance for the before/after report.
        #[arg(long, default_value_t = 0.05)]
        tolerance: f64,
    },
    /// The built-in GPU probe (CUDA through cudarc): prints one throughput line.
    Probe(ProbeArgs),
    /// Build the fake NVML library into a directory, for trying the harness without a GPU.
    FakeNvml {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// GPUs of the fake node; `:mig` starts one with MIG mode on.
        #[arg(long, default_value = "A100-80GB,H100-80GB")]
        gpus: String,
    },
}

#[derive(Args, Debug)]
pub struct Target {
    pub scenario: PathBuf,
    /// Pool whose layout to use.
    #[arg(long)]
    pub pool: String,
    /// Only this GPU [default: every GPU of the pool's model].
    #[arg(long)]
    pub gpu: Option<u32>,
}

#[derive(Args, Debug)]
pub struct Change {
    /// Really change the GPU (without it: dry run).
    #[arg(long)]
    pub yes: bool,
    /// Allow turning MIG mode on or off (needs a GPU reset afterwards).
    #[arg(long)]
    pub allow_mode_change: bool,
    /// Reconfigure although other processes hold the GPU.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: HilArgs) -> ExitCode {
    match dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit as u8)
        }
    }
}

fn nvml_of(args: &HilArgs) -> Result<&'static Nvml> {
    nvml::global(args.nvml_lib.as_deref())
}

fn take_lock(args: &HilArgs, what: &str) -> Result<Lock> {
    let path = args.lock.clone().unwrap_or_else(lock::default_path);
    lock::acquire(&path, what)
}

fn load_scenario(path: Option<&Path>) -> Result<Loaded> {
    let loaded = match path {
        Some(p) => scenario::load(p)?,
        None => scenario::builtin(),
    };
    let problems = crate::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir);
    for p in problems.iter().filter(|p| p.severity == Severity::Error) {
        eprintln!("{}: {p}", loaded.source);
    }
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(HilError::error(format!(
            "{}: invalid scenario (see above)",
            loaded.source
        )));
    }
    Ok(loaded)
}

/// Plans for every selected GPU of the pool's model.
fn plans(nvml: &Nvml, t: &Target) -> Result<Vec<GpuPlan>> {
    let loaded = load_scenario(Some(&t.scenario))?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for i in indices(nvml, t.gpu)? {
        let (gpu, profiles) = snapshot(nvml, i)?;
        match layout_target(&loaded.scenario, &t.pool, &gpu, &profiles) {
            Ok(target) => out.push(diff(&gpu, &profiles, target)),
            Err(e) if e.exit == Exit::Refused && t.gpu.is_none() => skipped.push(e.message),
            Err(e) => return Err(e),
        }
    }
    for s in &skipped {
        println!("skipped: {s}");
    }
    if out.is_empty() {
        return Err(HilError::refused(format!(
            "no GPU on this host matches pool {}",
            t.pool
        )));
    }
    Ok(out)
}

fn print_plans(plans: &[GpuPlan]) {
    for p in plans {
        print!("{}", render_plan(p));
    }
}

fn dry_run(plans: &[GpuPlan], change: &Change, verb: &str) {
    let opts = ApplyOptions {
        allow_mode_change: change.allow_mode_change,
        force: change.force,
        ..Default::default()
    };
    if let Err(e) = apply::preflight(plans, &opts, verb) {
        println!("would refuse: {e}");
    }
    println!("dry run: nothing was changed (add --yes to do it)");
}

fn command_line() -> String {
    std::env::args().skip(1).collect::<Vec<_>>().join(" ")
}

fn dispatch(args: HilArgs) -> Result<()> {
    match &args.cmd {
        HilCmd::Inventory { gpu, json } => {
            let nvml = nvml_of(&args)?;
            let inv = inventory(nvml, &indices(nvml, *gpu)?)?;
            print!("{}", render_inventory(&inv));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&inv).expect("inventory serializes");
                write_atomic(path, format!("{text}\n").as_bytes())?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        HilCmd::Plan(t) => {
            let nvml = nvml_of(&args)?;
            let plans = plans(nvml, t)?;
            print_plans(&plans);
            dry_run(
                &plans,
                &Change {
                    yes: false,
                    allow_mode_change: false,
                    force: false,
                },
                "reconfigure it",
            );
            Ok(())
        }
        HilCmd::Apply {
            target,
            change,
            state,
        } => {
            let nvml = nvml_of(&args)?;
            if !change.yes {
                let plans = plans(nvml, target)?;
                print_plans(&plans);
                dry_run(&plans, change, "reconfigure it");
                return Ok(());
            }
            install_ctrlc();
            let _lock = take_lock(&args, &command_line())?;
            let plans = plans(nvml, target)?;
            print_plans(&plans);
            let opts = ApplyOptions {
                yes: true,
                allow_mode_change: change.allow_mode_change,
                force: change.force,
                state_path: state.clone(),
                command: command_line(),
            };
            let done = apply::apply(nvml, &plans, &opts)?;
            if done.is_empty() {
                println!("nothing was changed; {} left as it was", state.display());
                return Ok(());
            }
            println!(
                "applied: {} operation(s); prior state saved in {} (undo: slicesim hil restore --state {} --yes)",
                done.len(),
                state.display(),
                state.display()
            );
            Ok(())
        }
        HilCmd::Restore {
            state: path,
            change,
        } => {
            let nvml = nvml_of(&args)?;
            let file = state::load(path)?;
            println!("state saved {} by `{}`", file.created, file.command);
            if !change.yes {
                let plans = apply::restore_plans(nvml, &file)?;
                print_plans(&plans);
                dry_run(&plans, change, "restore it");
                return Ok(());
            }
            // Ctrl-C must not cut a restore short: the handler only sets a flag restore ignores.
            install_ctrlc();
            let _lock = take_lock(&args, &command_line())?;
            let plans = apply::restore_plans(nvml, &file)?;
            print_plans(&plans);
            let opts = ApplyOptions {
                yes: true,
                allow_mode_change: change.allow_mode_change,
                force: change.force,
                state_path: path.clone(),
                command: command_line(),
            };
            let done = apply::restore(nvml, &plans, &opts)?;
            println!("restored: {} operation(s)", done.len());
            Ok(())
        }
        HilCmd::Measure {
            experiment: path,
            out,
            probe_cmd,
            force,
        } => {
            let exp = experiment::load(path)?;
            let out = out.clone().unwrap_or_else(|| {
                let (_, t) = now();
                let stamp: String = t.chars().filter(char::is_ascii_alphanumeric).collect();
                PathBuf::from("measurements").join(format!("{}-{stamp}.json", exp.name))
            });
            if out.exists() {
                return Err(HilError::error(format!(
                    "{} exists; measurements are never overwritten: choose another --out",
                    out.display()
                )));
            }
            let nvml = nvml_of(&args)?;
            install_ctrlc();
            let _lock = take_lock(&args, &command_line())?;
            let m = measure::measure(
                nvml,
                &exp,
                &MeasureOptions {
                    out: out.clone(),
                    probe_cmd: probe_cmd.clone(),
                    force: *force,
                },
            )?;
            let failed = m
                .points
                .iter()
                .flat_map(|p| &p.probes)
                .filter(|p| p.error.is_some())
                .count();
            println!(
                "wrote {} ({} point(s); {})",
                out.display(),
                m.points.len(),
                m.provenance
            );
            if failed > 0 {
                return Err(HilError::error(format!(
                    "{failed} probe run(s) failed (see {})",
                    out.display()
                )));
            }
            Ok(())
        }
        HilCmd::Compare {
            measurements: files,
            scenario: sc,
            tolerance,
            json,
        } => {
            let files = load_measurements(files)?;
            let loaded = load_scenario(sc.as_deref())?;
            let c = compare(&files, &loaded.scenario, *tolerance);
            print!("{}", render_compare(&c));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&c).expect("comparison serializes");
                write_atomic(path, format!("{text}\n").as_bytes())?;
            }
            verdict(&c)
        }
        HilCmd::Calibrate {
            measurements: files,
            out,
            scenario: sc,
            tolerance,
        } => {
            let files = load_measurements(files)?;
            let loaded = load_scenario(sc.as_deref())?;
            let (fit, report) = calibrate(&files, &loaded.scenario, *tolerance)?;
            let (_, created) = now();
            write_atomic(out, render_yaml(&fit, &files, &created).as_bytes())?;
            print!("{report}");
            println!(
                "wrote {}; use it from a scenario with `include: [{}]`",
                out.display(),
                out.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            );
            Ok(())
        }
        HilCmd::Probe(p) => {
            let line = cuda_probe::run(p)?;
            println!("{}", line.render());
            Ok(())
        }
        HilCmd::FakeNvml { out, gpus } => {
            let gpus = fakelib::parse_gpus(gpus)?;
            let lib = fakelib::install(out, &gpus, &[])?;
            println!("{}", lib.display());
            println!(
                "FAKE NVML (test double, no real GPU): use it with `slicesim hil --nvml-lib {} inventory`",
                lib.display()
            );
            Ok(())
        }
    }
}

fn load_measurements(paths: &[PathBuf]) -> Result<Vec<(String, Measurements)>> {
    paths
        .iter()
        .map(|p| Ok((p.display().to_string(), measurements::load(p)?)))
        .collect()
}
