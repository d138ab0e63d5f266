//! Probe workloads: the throughput line every probe prints, and starting, watching and stopping
//! probe processes (the built-in CUDA probe, `slicesim hil probe`, or a user's `--probe-cmd`).
//!
//! A probe prints, on standard output, a line
//!
//! ```text
//! SLICESIM_PROBE throughput=<number> [unit=<word>] [kernel_ms=<number>] [duty=<number>] [synthetic=1]
//!                [kps=<kernels/s>] [sms=<SMs>] [iters=<n>] [start_ms=<unix ms>] [stop_ms=<unix ms>]
//!                [ready_ms=<unix ms>]
//!                [mem_mib=<MiB>] [alloc_ok=0|1] [alloc_ms=<ms>]
//! ```
//!
//! The harness reads the last such line. `throughput` is work per second in any unit that stays
//! the same across runs of the same probe (the model is checked on ratios of throughputs; the
//! built-in probe reports `flop/s` or `byte/s`, absolute units a datasheet can be compared with).
//! `kernel_ms` is the median kernel time, `duty` the fraction of wall time in kernels, and
//! `synthetic=1` marks a probe that emulates rather than measures (such results are labelled
//! synthetic everywhere). `kps` is kernels per second, `sms` the SMs the probe saw, `iters` the
//! loop count it used (calibrated when a kernel length was asked for), `start_ms`/`stop_ms` the
//! window it counted in, `ready_ms` when it was ready to launch. A memory probe reports what it asked for (`mem_mib`), whether the
//! allocation succeeded (`alloc_ok`), and when it finished or failed (`alloc_ms` after start).

use super::safety::interrupted;
use super::{HilError, Result};
use serde::{Deserialize, Serialize};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod line;
pub use line::{LINE_PREFIX, ProbeLine, parse_output};

/// What the probe's kernel does: dependent multiply-adds (compute-bound, FLOP/s) or a
/// device-to-device copy (memory-bound, bytes/s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    #[default]
    Fma,
    Stream,
}

impl Work {
    pub fn name(self) -> &'static str {
        match self {
            Work::Fma => "fma",
            Work::Stream => "stream",
        }
    }
    /// The unit of the built-in probe's throughput for this work.
    pub fn unit(self) -> &'static str {
        match self {
            Work::Fma => "flop/s",
            Work::Stream => "byte/s",
        }
    }
    pub fn is_fma(&self) -> bool {
        *self == Work::Fma
    }
}

/// How the probe idles between kernels when `u < 1`: always the same time, or an exponential
/// time with that mean (random phases between probes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Idle {
    #[default]
    Fixed,
    Exp,
}

impl Idle {
    pub fn name(self) -> &'static str {
        match self {
            Idle::Fixed => "fixed",
            Idle::Exp => "exp",
        }
    }
    pub fn is_fixed(&self) -> bool {
        *self == Idle::Fixed
    }
}

/// Version of the built-in probe's kernels and line; part of its id, so that throughputs of
/// different kernels are never compared. 2: FLOP/s and bytes/s, start barrier, stream kind.
pub const BUILTIN_VERSION: u32 = 2;

/// Which probe to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeKind {
    /// `slicesim hil probe` (this executable).
    Builtin,
    /// A shell command (`sh -c`), given the parameters in `SLICESIM_PROBE_*` variables.
    Command { command: String },
}

impl ProbeKind {
    /// Identifies the probe, so only throughputs of the same probe are compared.
    pub fn id(&self) -> String {
        match self {
            ProbeKind::Builtin => format!("builtin/{BUILTIN_VERSION}"),
            ProbeKind::Command { command } => format!("command: {command}"),
        }
    }
}

/// What one probe instance is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeParams {
    pub u: f64,
    pub d: f64,
    /// Probes running at once in this point.
    pub n: u32,
    pub index: u32,
    pub seconds: f64,
    pub warmup: f64,
    /// GPU or MIG device UUID (`CUDA_VISIBLE_DEVICES`).
    pub device: String,
    /// Catalog model of the GPU.
    pub gpu_model: String,
    /// SMs of the whole GPU with MIG off.
    pub gpu_sms: u32,
    /// Instance SMs / whole-GPU SMs (1 on a whole GPU).
    pub sm_fraction: f64,
    /// MIG profile name when running in a MIG instance.
    pub mig_profile: Option<String>,
    /// Kernel time alone on the whole GPU (fixes the probe's idle time), if known.
    pub kernel_ms: Option<f64>,
    /// Kernel length to calibrate the loop count to (alone), ms.
    pub kernel_ms_target: Option<f64>,
    /// Loop count to use (from the one-probe point's calibration).
    pub iters: Option<u32>,
    pub idle: Idle,
    pub work: Work,
    /// Common window (unix ms): every probe waits for `start_at`, warms up, and counts the
    /// kernels that complete in `[start_at + warmup, stop_at]`.
    pub start_at_ms: Option<u64>,
    pub stop_at_ms: Option<u64>,
    /// Memory probe: allocate this many MiB, hold them `hold` seconds, report.
    pub mem_mib: Option<u64>,
    pub hold: Option<f64>,
    /// Memory of the whole GPU as NVML reports it.
    pub gpu_memory_mib: u64,
}

/// A running probe.
pub struct Running {
    pub params: ProbeParams,
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn drain(mut r: impl std::io::Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let mut buf = Vec::new();
        if r.read_to_end(&mut buf).is_ok() {
            s = String::from_utf8_lossy(&buf).into_owned();
        }
        s
    })
}

/// An optional value as an environment variable: empty when absent.
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Starts one probe.
pub fn start(kind: &ProbeKind, p: &ProbeParams) -> Result<Running> {
    let mut cmd = match kind {
        ProbeKind::Builtin => {
            let exe: PathBuf = std::env::current_exe()
                .map_err(|e| HilError::error(format!("cannot find this executable: {e}")))?;
            let mut c = Command::new(exe);
            c.args(["hil", "probe"])
                .arg(format!("--u={}", p.u))
                .arg(format!("--d={}", p.d))
                .arg(format!("--seconds={}", p.seconds))
                .arg(format!("--warmup={}", p.warmup))
                .arg(format!("--gpu-sms={}", p.gpu_sms));
            if let Some(k) = p.kernel_ms {
                c.arg(format!("--kernel-ms={k}"));
            }
            if let Some(k) = p.kernel_ms_target {
                c.arg(format!("--kernel-ms-target={k}"));
            }
            if let Some(i) = p.iters {
                c.arg(format!("--iters={i}"));
            }
            c.arg(format!("--kind={}", p.work.name()))
                .arg(format!("--idle={}", p.idle.name()));
            if let (Some(a), Some(b)) = (p.start_at_ms, p.stop_at_ms) {
                c.arg(format!("--start-at={a}"))
                    .arg(format!("--stop-at={b}"));
            }
            if let Some(m) = p.mem_mib {
                c.arg(format!("--mem-mib={m}"));
            }
            if let Some(h) = p.hold {
                c.arg(format!("--hold={h}"));
            }
            c
        }
        ProbeKind::Command { command } => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(command);
            c
        }
    };
    cmd.env("CUDA_VISIBLE_DEVICES", &p.device)
        .env("SLICESIM_PROBE_U", p.u.to_string())
        .env("SLICESIM_PROBE_D", p.d.to_string())
        .env("SLICESIM_PROBE_N", p.n.to_string())
        .env("SLICESIM_PROBE_INDEX", p.index.to_string())
        .env("SLICESIM_PROBE_SECONDS", p.seconds.to_string())
        .env("SLICESIM_PROBE_WARMUP", p.warmup.to_string())
        .env("SLICESIM_PROBE_DEVICE", &p.device)
        .env("SLICESIM_PROBE_GPU_MODEL", &p.gpu_model)
        .env("SLICESIM_PROBE_GPU_SMS", p.gpu_sms.to_string())
        .env("SLICESIM_PROBE_SM_FRACTION", p.sm_fraction.to_string())
        .env(
            "SLICESIM_PROBE_MIG_PROFILE",
            p.mig_profile.as_deref().unwrap_or(""),
        )
        .env("SLICESIM_PROBE_KERNEL_MS", opt(p.kernel_ms))
        .env("SLICESIM_PROBE_KERNEL_MS_TARGET", opt(p.kernel_ms_target))
        .env("SLICESIM_PROBE_ITERS", opt(p.iters))
        .env("SLICESIM_PROBE_KIND", p.work.name())
        .env("SLICESIM_PROBE_IDLE", p.idle.name())
        .env("SLICESIM_PROBE_START_AT", opt(p.start_at_ms))
        .env("SLICESIM_PROBE_STOP_AT", opt(p.stop_at_ms))
        .env("SLICESIM_PROBE_MEM_MIB", opt(p.mem_mib))
        .env("SLICESIM_PROBE_HOLD", opt(p.hold))
        .env(
            "SLICESIM_PROBE_GPU_MEMORY_MIB",
            p.gpu_memory_mib.to_string(),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: the harness decides when probes stop (Ctrl-C reaches only the
        // harness), and a kill reaches the probe's children too.
        .process_group(0);
    die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| HilError::error(format!("cannot start probe {}: {e}", kind.id())))?;
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    Ok(Running {
        params: p.clone(),
        child,
        stdout,
        stderr,
    })
}

/// Makes the probe die (SIGKILL) when the harness dies, even by SIGKILL, so no orphan probe keeps
/// loading the GPU (`PR_SET_PDEATHSIG`; it survives the `exec` of the probe, and `sh -c` execs a
/// simple command). A harness that died between fork and prctl is caught by the parent check.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    let parent = std::process::id();
    // SAFETY: prctl, getppid and _exit are async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// Kills a probe and everything it started (its process group).
fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: plain syscall; the group id is the probe's pid (process_group(0)).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// How one probe ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    pub index: u32,
    pub device: String,
    pub mig_profile: Option<String>,
    pub sm_fraction: f64,
    /// Memory probe: MiB asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_mib: Option<u64>,
    pub line: Option<ProbeLine>,
    /// Why there is no line (exit status, timeout, Ctrl-C, unparsable output).
    pub error: Option<String>,
}

/// Waits for all probes until `deadline`, killing those still running then (or at Ctrl-C).
pub fn finish(probes: Vec<Running>, deadline: Instant) -> Vec<ProbeOutcome> {
    let mut probes: Vec<(Running, Option<String>)> =
        probes.into_iter().map(|r| (r, None)).collect();
    let mut status: Vec<Option<std::process::ExitStatus>> = vec![None; probes.len()];
    loop {
        for (i, (r, _)) in probes.iter_mut().enumerate() {
            if status[i].is_none() {
                status[i] = r.child.try_wait().ok().flatten();
            }
        }
        if status.iter().all(Option::is_some) {
            break;
        }
        let stop = if interrupted() {
            Some("stopped by Ctrl-C")
        } else if Instant::now() >= deadline {
            Some("timed out")
        } else {
            None
        };
        if let Some(why) = stop {
            for (i, (r, reason)) in probes.iter_mut().enumerate() {
                if status[i].is_none() {
                    kill_group(&mut r.child);
                    status[i] = r.child.wait().ok();
                    *reason = Some(why.to_string());
                }
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    probes
        .into_iter()
        .zip(status)
        .map(|((r, reason), st)| {
            let out = r.stdout.join().unwrap_or_default();
            let err = r.stderr.join().unwrap_or_default();
            let tail: String = {
                let lines: Vec<&str> = err.lines().rev().take(3).collect();
                lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
            };
            let (line, error) = match (reason, st) {
                (Some(why), _) => (None, Some(why)),
                (None, Some(s)) if !s.success() => (
                    None,
                    Some(format!(
                        "probe exited with {s}{}",
                        if tail.is_empty() {
                            String::new()
                        } else {
                            format!(": {tail}")
                        }
                    )),
                ),
                _ => match parse_output(&out) {
                    Ok(l) => (Some(l), None),
                    Err(e) => (None, Some(e)),
                },
            };
            ProbeOutcome {
                index: r.params.index,
                device: r.params.device.clone(),
                mig_profile: r.params.mig_profile.clone(),
                sm_fraction: r.params.sm_fraction,
                mem_mib: r.params.mem_mib,
                line,
                error,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
