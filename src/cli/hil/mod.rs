//! `slicesim hil ...`: parse, call the harness, print, map errors to exit codes. The commands
//! that change GPUs are in `layout.rs`, those that measure and use measurements in `measure.rs`,
//! the text of inventories and plans in `text.rs`.

mod guard;
mod layout;
mod measure;
mod text;

use clap::{Args, Subcommand};
use nvml_wrapper::Nvml;
use slicesim::hil::lock::{self, Lock};
use slicesim::hil::measurements::{self, Measurements};
use slicesim::hil::nvml;
use slicesim::hil::state::DEFAULT_PATH;
use slicesim::hil::{HilError, Progress, Result};
use slicesim::scenario::{self, Loaded, Severity};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Hardware-in-the-loop: put a pool's MIG layout on real GPUs through NVML, run probes, compare
/// with the model and calibrate it (see docs/HIL.md).
///
/// `--nvml-lib`, `--lock` and `--read-only` may come before the subcommand (`hil --lock L
/// guard ...`) or after it, where each is listed only under the subcommands that use it:
/// NVML under those that load it, the lock under those that take it.
#[derive(Args, Debug)]
pub struct HilArgs {
    /// NVML library to load, for the commands that load NVML (inventory, plan, apply, restore,
    /// measure, guard) [default: $SLICESIM_NVML_LIB, else the driver's libnvidia-ml.so.1].
    #[arg(long, value_name = "PATH")]
    pub nvml_lib: Option<PathBuf>,
    /// Lock file that keeps two harness runs apart, for the commands that take it (apply,
    /// restore, measure) [default: $TMPDIR/slicesim-hil.lock].
    #[arg(long, value_name = "PATH")]
    pub lock: Option<PathBuf>,
    /// Never write to a GPU (also `SLICESIM_HIL_READ_ONLY=1`): `apply --yes` and `restore --yes`
    /// are refused before NVML is loaded, and every NVML write call is refused inside the
    /// harness too. Reading, measuring, comparing and dry runs work as usual.
    #[arg(long)]
    pub read_only: bool,
    #[command(subcommand)]
    pub cmd: HilCmd,
}

/// The NVML options of a subcommand that loads NVML (also accepted before the subcommand).
#[derive(Args, Debug, Default)]
pub struct NvmlOpts {
    /// NVML library to load [default: $SLICESIM_NVML_LIB, else the driver's libnvidia-ml.so.1].
    #[arg(long = "nvml-lib", value_name = "PATH")]
    pub nvml_lib: Option<PathBuf>,
    /// Never write to a GPU (also `SLICESIM_HIL_READ_ONLY=1`): `apply --yes` and `restore --yes`
    /// are refused before NVML is loaded, and every NVML write call is refused inside the
    /// harness too.
    #[arg(long = "read-only")]
    pub read_only: bool,
}

/// The lock option of a subcommand that takes the harness lock (also accepted before it).
#[derive(Args, Debug, Default)]
pub struct LockOpt {
    /// Lock file that keeps two harness runs apart [default: $TMPDIR/slicesim-hil.lock].
    #[arg(long = "lock", value_name = "PATH")]
    pub lock: Option<PathBuf>,
}

impl HilArgs {
    /// The options given after the subcommand, folded into those before it (after wins).
    fn merged(mut self) -> Self {
        let (nvml, lock) = match &mut self.cmd {
            HilCmd::Inventory { nvml, .. }
            | HilCmd::Plan { nvml, .. }
            | HilCmd::Guard { nvml, .. } => (Some(std::mem::take(nvml)), None),
            HilCmd::Apply { nvml, lock, .. }
            | HilCmd::Restore { nvml, lock, .. }
            | HilCmd::Measure { nvml, lock, .. } => {
                (Some(std::mem::take(nvml)), Some(std::mem::take(lock)))
            }
            _ => (None, None),
        };
        if let Some(n) = nvml {
            self.nvml_lib = n.nvml_lib.or(self.nvml_lib);
            self.read_only |= n.read_only;
        }
        if let Some(l) = lock {
            self.lock = l.lock.or(self.lock);
        }
        self
    }
}

#[derive(Subcommand, Debug)]
pub enum HilCmd {
    /// GPUs, MIG mode, instances, profiles and placements as NVML reports them, checked against
    /// the built-in catalog.
    #[command(after_help = crate::cli::examples::HIL_INVENTORY)]
    Inventory {
        /// Only this GPU (NVML index).
        #[arg(long)]
        gpu: Option<u32>,
        /// Also write the inventory as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        #[command(flatten)]
        nvml: NvmlOpts,
    },
    /// The operations that would turn the GPUs' state into a pool's layout (changes nothing).
    #[command(after_help = crate::cli::examples::HIL_PLAN)]
    Plan {
        #[command(flatten)]
        target: PoolTarget,
        #[command(flatten)]
        nvml: NvmlOpts,
    },
    /// Apply a pool's layout: dry run unless --yes; saves the prior state first, rolls back on
    /// any failure or Ctrl-C.
    #[command(after_help = crate::cli::examples::HIL_APPLY)]
    Apply {
        #[command(flatten)]
        target: PoolTarget,
        #[command(flatten)]
        change: Change,
        /// Where to save the prior state.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_PATH)]
        state: PathBuf,
        #[command(flatten)]
        nvml: NvmlOpts,
        #[command(flatten)]
        lock: LockOpt,
    },
    /// Put back the state saved by apply: dry run unless --yes.
    #[command(after_help = crate::cli::examples::HIL_RESTORE)]
    Restore {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_PATH)]
        state: PathBuf,
        #[command(flatten)]
        change: Change,
        #[command(flatten)]
        nvml: NvmlOpts,
        #[command(flatten)]
        lock: LockOpt,
    },
    /// Run an experiment's probes while sampling NVML; write the measurement file.
    #[command(after_help = crate::cli::examples::HIL_MEASURE)]
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
        #[command(flatten)]
        nvml: NvmlOpts,
        #[command(flatten)]
        lock: LockOpt,
    },
    /// The model's predictions next to measurements; exit 2 if a point is outside the tolerance.
    #[command(after_help = crate::cli::examples::HIL_COMPARE)]
    Compare {
        #[arg(required = true)]
        measurements: Vec<PathBuf>,
        /// Scenario whose model parameters (and includes) to use [default: the built-in one].
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Largest relative error that passes.
        #[arg(long, default_value_t = 0.05, value_parser = parse_tolerance)]
        tolerance: f64,
        /// Also write the comparison as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// What speed points are measured against: `datasheet` (the reference model's published
        /// FP32 FLOP/s and bytes/s) or a measurement FILE from the reference GPU (same probe).
        #[arg(long, value_name = "datasheet|FILE")]
        reference: Option<String>,
    },
    /// Fit overhead, MIG efficiency, per-model speed and context memory; write a file scenarios
    /// can include.
    #[command(after_help = crate::cli::examples::HIL_CALIBRATE)]
    Calibrate {
        #[arg(required = true)]
        measurements: Vec<PathBuf>,
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Scenario whose parameters are the starting point [default: the built-in one].
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Tolerance for the before/after report.
        #[arg(long, default_value_t = 0.05, value_parser = parse_tolerance)]
        tolerance: f64,
    },
    /// Read-only checks for a lab GPU: is whole-GPU time-slicing possible (MIG off and not
    /// pending, compute mode DEFAULT, no MPS, no processes), and has anything changed since an
    /// earlier `--json` state (run it before and after a measurement).
    #[command(after_help = crate::cli::examples::HIL_GUARD)]
    Guard {
        /// The GPU (NVML index).
        #[arg(long, default_value_t = 0)]
        gpu: u32,
        /// Refuse (exit 4) unless whole-GPU time-slicing can be measured.
        #[arg(long)]
        timeslice_ready: bool,
        /// Fail (exit 1) if the GPU differs from this earlier `--json` state.
        #[arg(long, value_name = "FILE")]
        same_as: Option<PathBuf>,
        /// Write the state read (MIG, instances, processes, compute mode, MPS, clocks) as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        #[command(flatten)]
        nvml: NvmlOpts,
    },
    /// The built-in GPU probe (CUDA through cudarc): prints one throughput line.
    #[command(after_help = crate::cli::examples::HIL_PROBE)]
    Probe(ProbeArgs),
    /// Build the fake NVML library into a directory, for trying the harness without a GPU.
    #[command(after_help = crate::cli::examples::HIL_FAKE_NVML)]
    FakeNvml {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// GPUs of the fake node; `:mig` starts one with MIG mode on.
        #[arg(long, default_value = "A100-80GB,H100-80GB")]
        gpus: String,
    },
}

/// A scenario pool whose layout to put on this host's GPUs.
#[derive(Args, Debug)]
pub struct PoolTarget {
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
    /// Allow writing MIG mode: turning it on or off, or cancelling someone else's pending
    /// change. The driver may RESET THE GPU to make a mode change take effect (on bare metal it
    /// does so at once when nothing uses the GPU): only for GPUs you may reset. apply stops after
    /// a mode change; a rollback never writes MIG mode.
    #[arg(long)]
    pub allow_mode_change: bool,
    /// Reconfigure although other processes hold the GPU, or on what looks like a Kubernetes
    /// node (kubelet directory, KUBERNETES_SERVICE_HOST).
    #[arg(long)]
    pub force: bool,
}

/// Parameters of the built-in probe.
#[derive(Args, Clone, Debug, PartialEq)]
pub struct ProbeArgs {
    /// Duty cycle: fraction of wall time in kernels when alone, (0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub u: f64,
    /// SM fill: fraction of the whole GPU's SMs the kernel occupies, (0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub d: f64,
    /// Measured time in seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Warm-up in seconds (not counted).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Kernel time alone on the whole GPU in ms (sets the idle time); default: measured in the
    /// warm-up.
    #[arg(long)]
    pub kernel_ms: Option<f64>,
    /// SMs of the whole GPU with MIG off; default: the device's SM count.
    #[arg(long)]
    pub gpu_sms: Option<u32>,
    /// Loop count per thread per kernel (two multiply-adds each).
    #[arg(long, default_value_t = 1 << 20)]
    pub iters: u32,
    /// Calibrate --iters in the warm-up so that a kernel alone takes about this long (ms).
    #[arg(long)]
    pub kernel_ms_target: Option<f64>,
    /// fma: compute-bound kernel, FLOP/s; stream: device-to-device copy, bytes/s.
    #[arg(long, value_enum, default_value_t = ProbeWork::Fma)]
    pub kind: ProbeWork,
    /// Idle time between kernels when u < 1: fixed, or exponential with the same mean.
    #[arg(long, value_enum, default_value_t = ProbeIdle::Fixed)]
    pub idle: ProbeIdle,
    /// Common window (unix ms): wait for --start-at, warm up, count kernels completing before
    /// --stop-at, keep running uncounted for 0.5 s more.
    #[arg(long, requires = "stop_at")]
    pub start_at: Option<u64>,
    #[arg(long, requires = "start_at")]
    pub stop_at: Option<u64>,
    /// Memory probe: allocate this many MiB, hold them --hold seconds, report alloc_ok=1|0.
    #[arg(long)]
    pub mem_mib: Option<u64>,
    #[arg(long, default_value_t = 2.0)]
    pub hold: f64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeWork {
    Fma,
    Stream,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeIdle {
    Fixed,
    Exp,
}

pub fn run(args: HilArgs) -> ExitCode {
    let args = args.merged();
    if args.read_only {
        slicesim::hil::guard::set_read_only();
    }
    match refuse_writes(&args).and_then(|()| dispatch(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(e.exit as u8)
        }
    }
}

/// Prints the harness's progress as it comes: steps to stdout, warnings to stderr.
struct Print;

impl Progress for Print {
    fn step(&mut self, line: &str) {
        outln!("{line}");
    }
    fn warn(&mut self, line: &str) {
        errln!("{line}");
    }
}

/// Installs the Ctrl-C handler, its notices going to stderr.
/// A relative error: a finite number >= 0 (NaN would fail every point, infinity pass any).
fn parse_tolerance(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a relative error >= 0 (e.g. 0.05)")),
    }
}

fn install_ctrlc() {
    if let Err(e) = slicesim::hil::safety::install_ctrlc(|line| errln!("{line}")) {
        errln!("warning: cannot install the Ctrl-C handler: {e}");
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
    let problems = slicesim::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir);
    for p in problems.iter().filter(|p| p.severity == Severity::Error) {
        errln!("{}: {p}", loaded.source);
    }
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(HilError::error(format!(
            "{}: invalid scenario (see above)",
            loaded.source
        )));
    }
    Ok(loaded)
}

fn command_line() -> String {
    std::env::args().skip(1).collect::<Vec<_>>().join(" ")
}

/// In read-only mode, refuses the commands that can only write before anything loads NVML.
fn refuse_writes(args: &HilArgs) -> Result<()> {
    if !slicesim::hil::guard::read_only() {
        return Ok(());
    }
    let cmd = match &args.cmd {
        HilCmd::Apply { change, .. } if change.yes => "apply --yes",
        HilCmd::Restore { change, .. } if change.yes => "restore --yes",
        _ => return Ok(()),
    };
    Err(HilError::refused(format!(
        "read-only mode (--read-only or {}=1): `{cmd}` would change the GPU; refused before \
         loading NVML (without --yes it only prints the plan)",
        slicesim::hil::guard::ENV
    )))
}

fn dispatch(args: HilArgs) -> Result<()> {
    match &args.cmd {
        HilCmd::Inventory { gpu, json, .. } => layout::inventory(&args, *gpu, json.as_deref()),
        HilCmd::Plan { target, .. } => layout::plan(&args, target),
        HilCmd::Apply {
            target,
            change,
            state,
            ..
        } => layout::apply(&args, target, change, state),
        HilCmd::Restore {
            state: path,
            change,
            ..
        } => layout::restore(&args, path, change),
        HilCmd::Measure {
            experiment: path,
            out,
            probe_cmd,
            force,
            ..
        } => measure::measure(&args, path, out.as_deref(), probe_cmd.as_deref(), *force),
        HilCmd::Compare {
            measurements: files,
            scenario: sc,
            tolerance,
            json,
            reference,
        } => measure::compare(
            files,
            sc.as_deref(),
            *tolerance,
            json.as_deref(),
            reference.as_deref(),
        ),
        HilCmd::Calibrate {
            measurements: files,
            out,
            scenario: sc,
            tolerance,
        } => measure::calibrate(files, out, sc.as_deref(), *tolerance),
        HilCmd::Guard {
            gpu,
            timeslice_ready,
            same_as,
            json,
            ..
        } => guard::guard(
            &args,
            *gpu,
            *timeslice_ready,
            same_as.as_deref(),
            json.as_deref(),
        ),
        HilCmd::Probe(p) => measure::probe(p),
        HilCmd::FakeNvml { out, gpus } => measure::fake_nvml(out, gpus),
    }
}

fn load_measurements(paths: &[PathBuf]) -> Result<Vec<(String, Measurements)>> {
    paths
        .iter()
        .map(|p| Ok((p.display().to_string(), measurements::load(p)?)))
        .collect()
}
