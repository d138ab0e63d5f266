//! Probe workloads: the throughput line every probe prints, and starting, watching and stopping
//! probe processes (the built-in CUDA probe, `slicesim hil probe`, or a user's `--probe-cmd`).
//!
//! A probe prints, on standard output, a line
//!
//! ```text
//! SLICESIM_PROBE throughput=<number> [unit=<word>] [kernel_ms=<number>] [duty=<number>] [synthetic=1]
//! ```
//!
//! The harness reads the last such line. `throughput` is work per second in any unit that stays
//! the same across runs of the same probe (the model is checked on ratios of throughputs).
//! `kernel_ms` is the median kernel time, `duty` the fraction of wall time in kernels, and
//! `synthetic=1` marks a probe that emulates rather than measures (such results are labelled
//! synthetic everywhere).

use super::safety::interrupted;
use super::{HilError, Result};
use serde::{Deserialize, Serialize};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Prefix of the throughput line.
pub const LINE_PREFIX: &str = "SLICESIM_PROBE";

/// A parsed throughput line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeLine {
    pub throughput: f64,
    pub unit: String,
    pub kernel_ms: Option<f64>,
    pub duty: Option<f64>,
    pub synthetic: bool,
}

impl ProbeLine {
    pub fn render(&self) -> String {
        let mut s = format!(
            "{LINE_PREFIX} throughput={:.6} unit={}",
            self.throughput, self.unit
        );
        if let Some(k) = self.kernel_ms {
            s.push_str(&format!(" kernel_ms={k:.4}"));
        }
        if let Some(d) = self.duty {
            s.push_str(&format!(" duty={d:.4}"));
        }
        if self.synthetic {
            s.push_str(" synthetic=1");
        }
        s
    }
}

/// The last throughput line in a probe's output, or why there is none.
pub fn parse_output(stdout: &str) -> std::result::Result<ProbeLine, String> {
    let line = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.split_whitespace().next() == Some(LINE_PREFIX))
        .ok_or_else(|| format!("no `{LINE_PREFIX} throughput=...` line in the probe's output"))?;
    let mut out = ProbeLine {
        throughput: f64::NAN,
        unit: "units/s".into(),
        kernel_ms: None,
        duty: None,
        synthetic: false,
    };
    for field in line.split_whitespace().skip(1) {
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| format!("`{field}` in `{line}` is not key=value"))?;
        let num = || {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| format!("{k}={v} in `{line}` is not a non-negative number"))
        };
        match k {
            "throughput" => out.throughput = num()?,
            "unit" => out.unit = v.to_string(),
            "kernel_ms" => out.kernel_ms = Some(num()?),
            "duty" => out.duty = Some(num()?),
            "synthetic" => out.synthetic = v == "1" || v == "true",
            _ => {} // unknown keys are allowed, for forward compatibility
        }
    }
    if out.throughput.is_nan() {
        return Err(format!("`{line}` has no throughput="));
    }
    Ok(out)
}

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
            ProbeKind::Builtin => "builtin".into(),
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
        .env(
            "SLICESIM_PROBE_KERNEL_MS",
            p.kernel_ms.map(|k| k.to_string()).unwrap_or_default(),
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
                line,
                error,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
