//! Sampling a GPU through NVML at a set rate while probes run: utilization, memory, power and
//! clocks. A reading NVML cannot give (e.g. utilization with MIG on) is left empty, not zero.
//! On Hopper and newer GPUs, GPM metrics over a point's counting window (SM utilization and
//! occupancy: a second, independent estimate of the time lost to switching; review B9).

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::Clock;
use nvml_wrapper::enums::gpm::GpmMetricId;
use nvml_wrapper::gpm::gpm_metrics_get;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuReading {
    /// Milliseconds since the point started.
    pub t_ms: u64,
    pub gpu_util_pct: Option<u32>,
    pub mem_util_pct: Option<u32>,
    pub mem_used_mib: Option<u64>,
    pub power_w: Option<f64>,
    pub sm_clock_mhz: Option<u32>,
    pub mem_clock_mhz: Option<u32>,
}

/// Means (and the memory maximum) over a point's samples.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct SampleSummary {
    pub count: usize,
    pub gpu_util_pct_mean: Option<f64>,
    pub mem_util_pct_mean: Option<f64>,
    pub mem_used_mib_max: Option<u64>,
    pub power_w_mean: Option<f64>,
    pub sm_clock_mhz_mean: Option<f64>,
}

/// Takes one reading of GPU `index`.
pub fn sample(nvml: &Nvml, index: u32, t_ms: u64) -> GpuReading {
    let dev = nvml.device_by_index(index).ok();
    let util = dev.as_ref().and_then(|d| d.utilization_rates().ok());
    GpuReading {
        t_ms,
        gpu_util_pct: util.as_ref().map(|u| u.gpu),
        mem_util_pct: util.as_ref().map(|u| u.memory),
        mem_used_mib: dev
            .as_ref()
            .and_then(|d| d.memory_info().ok())
            .map(|m| m.used >> 20),
        power_w: dev
            .as_ref()
            .and_then(|d| d.power_usage().ok())
            .map(|mw| f64::from(mw) / 1000.0),
        sm_clock_mhz: dev.as_ref().and_then(|d| d.clock_info(Clock::SM).ok()),
        mem_clock_mhz: dev.as_ref().and_then(|d| d.clock_info(Clock::Memory).ok()),
    }
}

/// Samples GPU `index` every `1/hz` seconds until `stop` is set; runs on its own (scoped) thread.
pub fn run(nvml: &Nvml, index: u32, hz: f64, stop: &AtomicBool) -> Vec<GpuReading> {
    let period = Duration::from_secs_f64(1.0 / hz.clamp(0.1, 1000.0));
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut next = t0;
    while !stop.load(Ordering::SeqCst) {
        out.push(sample(nvml, index, t0.elapsed().as_millis() as u64));
        next += period;
        while Instant::now() < next && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5).min(period));
        }
    }
    out
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, s) = v.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| s / n as f64)
}

pub fn summarize(samples: &[GpuReading]) -> SampleSummary {
    SampleSummary {
        count: samples.len(),
        gpu_util_pct_mean: mean(samples.iter().filter_map(|s| s.gpu_util_pct.map(f64::from))),
        mem_util_pct_mean: mean(samples.iter().filter_map(|s| s.mem_util_pct.map(f64::from))),
        mem_used_mib_max: samples.iter().filter_map(|s| s.mem_used_mib).max(),
        power_w_mean: mean(samples.iter().filter_map(|s| s.power_w)),
        sm_clock_mhz_mean: mean(samples.iter().filter_map(|s| s.sm_clock_mhz.map(f64::from))),
    }
}

/// GPM metrics over a window (percent), where the GPU supports GPM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpmReading {
    pub sm_util_pct: Option<f64>,
    pub sm_occupancy_pct: Option<f64>,
}

/// GPM metrics of GPU `index` between `from` and `to` (waits for both); None when the GPU or the
/// library has no GPM, or `stop` is set before `to`. Only queries: GPM samples are read, never
/// configured.
pub fn gpm_window(
    nvml: &Nvml,
    index: u32,
    from: Instant,
    to: Instant,
    stop: &AtomicBool,
) -> Option<GpmReading> {
    let dev = nvml.device_by_index(index).ok()?;
    if !dev.gpm_support().ok()? {
        return None;
    }
    let wait = |until: Instant| {
        while Instant::now() < until {
            if stop.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5).min(until - Instant::now()));
        }
        true
    };
    if !wait(from) {
        return None;
    }
    let first = dev.gpm_sample().ok()?;
    if !wait(to) {
        return None;
    }
    let second = dev.gpm_sample().ok()?;
    let got = gpm_metrics_get(
        nvml,
        &first,
        &second,
        &[GpmMetricId::SmUtil, GpmMetricId::SmOccupancy],
    )
    .ok()?;
    let value = |i: usize| got.get(i).and_then(|r| r.as_ref().ok()).map(|r| r.value);
    Some(GpmReading {
        sm_util_pct: value(0),
        sm_occupancy_pct: value(1),
    })
}
