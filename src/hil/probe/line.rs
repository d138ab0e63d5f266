//! The throughput line a probe prints (`SLICESIM_PROBE throughput=... key=value ...`): its fields,
//! rendering and parsing. The format is described in [`super`].

use serde::{Deserialize, Serialize};

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
    /// Kernels per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kps: Option<f64>,
    /// SMs of the device the probe ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<u32>,
    /// Loop count per thread per kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iters: Option<u32>,
    /// The window the probe counted kernels in (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_ms: Option<u64>,
    /// When the probe was ready to launch (CUDA context and module loaded), unix ms: after the
    /// window's start it missed part of the warm-up, after its counting start part of the count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_ms: Option<u64>,
    /// Memory probe: MiB asked for, whether the allocation succeeded, and when (ms after start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_mib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_ms: Option<f64>,
}

impl ProbeLine {
    /// A line with only a throughput and its unit.
    pub fn new(throughput: f64, unit: &str) -> ProbeLine {
        ProbeLine {
            throughput,
            unit: unit.into(),
            kernel_ms: None,
            duty: None,
            synthetic: false,
            kps: None,
            sms: None,
            iters: None,
            start_ms: None,
            stop_ms: None,
            ready_ms: None,
            mem_mib: None,
            alloc_ok: None,
            alloc_ms: None,
        }
    }

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
        if let Some(k) = self.kps {
            s.push_str(&format!(" kps={k:.4}"));
        }
        for (key, v) in [
            ("sms", self.sms.map(u64::from)),
            ("iters", self.iters.map(u64::from)),
            ("start_ms", self.start_ms),
            ("stop_ms", self.stop_ms),
            ("ready_ms", self.ready_ms),
            ("mem_mib", self.mem_mib),
            ("alloc_ok", self.alloc_ok.map(u64::from)),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(" {key}={v}"));
            }
        }
        if let Some(a) = self.alloc_ms {
            s.push_str(&format!(" alloc_ms={a:.1}"));
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
    let mut out = ProbeLine::new(f64::NAN, "units/s");
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
        let int = || {
            v.parse::<u64>()
                .map_err(|_| format!("{k}={v} in `{line}` is not a whole number"))
        };
        let small = || {
            int().and_then(|x| {
                u32::try_from(x).map_err(|_| format!("{k}={v} in `{line}` is too large"))
            })
        };
        match k {
            "throughput" => out.throughput = num()?,
            "unit" => out.unit = v.to_string(),
            "kernel_ms" => out.kernel_ms = Some(num()?),
            "duty" => out.duty = Some(num()?),
            "synthetic" => out.synthetic = v == "1" || v == "true",
            "kps" => out.kps = Some(num()?),
            "sms" => out.sms = Some(small()?),
            "iters" => out.iters = Some(small()?),
            "start_ms" => out.start_ms = Some(int()?),
            "stop_ms" => out.stop_ms = Some(int()?),
            "ready_ms" => out.ready_ms = Some(int()?),
            "mem_mib" => out.mem_mib = Some(int()?),
            "alloc_ok" => out.alloc_ok = Some(v == "1" || v == "true"),
            "alloc_ms" => out.alloc_ms = Some(num()?),
            _ => {} // unknown keys are allowed, for forward compatibility
        }
    }
    if out.throughput.is_nan() {
        return Err(format!("`{line}` has no throughput="));
    }
    Ok(out)
}
