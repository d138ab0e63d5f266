//! `slicesim trace stats`: what is in a trace — job count, the mix of GPU requests, classes and
//! priorities, when jobs arrive, how long they run and how many GPU-hours they ask for.
//!
//! Statistics are taken over the imported jobs (after the format's mapping, docs/TRACE.md),
//! including rows the mapping leaves out of runs such as openb pods that never ran: those count
//! as jobs and requests, but not in run times or GPU-hours, which only use run times the trace
//! measured. Memory: two numbers per job (submit and run time), for percentiles.

use crate::domain::RequestSpec;
use crate::metrics::percentile;
use crate::trace::import::{ImportMap, Opened};
use crate::trace::report::{Entry, RunStatus};
use crate::trace::{ImportReport, TraceError, TraceFormat};
use crate::units::{MS_PER_HOUR, SimTime};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

mod requests;

pub use requests::{RequestStats, TokenStats, of_requests};

/// Share of arrivals the "busiest window" holds.
pub const BUSY_SHARE: f64 = 0.98;

/// Jobs per kind of GPU request.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestMix {
    /// `gpus = 0`.
    pub cpu_only: u64,
    /// One whole GPU (or one time-sliced replica).
    pub one_gpu_whole: u64,
    /// A fraction of one GPU (milli < 1000).
    pub one_gpu_fraction: u64,
    /// More than one GPU (whole or fractional shares of several).
    pub multi_gpu: u64,
    /// MIG instances.
    pub mig: u64,
    /// No request in the trace: the class default.
    pub class_default: u64,
}

/// Percentiles of a set of durations, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_s: Option<f64>,
    pub p90_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub max_s: Option<f64>,
    pub mean_s: Option<f64>,
}

/// Arrival times.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Arrivals {
    pub first_s: Option<f64>,
    pub last_s: Option<f64>,
    pub span_days: f64,
    /// Mean arrivals per hour over the span.
    pub rate_per_hour: f64,
    /// The shortest window holding [`BUSY_SHARE`] of the arrivals: (start s, end s, days).
    pub busiest_window: Option<(f64, f64, f64)>,
    /// Arrivals per hour of the day, simulated time 0 taken as 00:00.
    pub by_hour_of_day: [u64; 24],
    /// Mean arrivals per hour for each hour of the day over the days the span touches.
    pub rate_by_hour_of_day: [f64; 24],
}

/// Everything `trace stats` reports about a job trace.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TraceStats {
    pub source: String,
    pub format: String,
    pub jobs: u64,
    /// Jobs by how they ran in the traced cluster (ran, still_running, never_ran, untimed).
    pub status: BTreeMap<String, u64>,
    pub requests: RequestMix,
    /// Jobs per number of devices requested.
    pub devices: BTreeMap<u32, u64>,
    /// Fractional requests per milli share.
    pub fractions: BTreeMap<u32, u64>,
    pub classes: BTreeMap<String, u64>,
    /// Jobs per priority class; `-` = the class default.
    pub priorities: BTreeMap<String, u64>,
    /// Jobs per namespace; `-` = the class default.
    pub namespaces: BTreeMap<String, u64>,
    /// Jobs per set of allowed GPU models (`|`-separated); `-` = any model.
    pub gpu_models: BTreeMap<String, u64>,
    pub arrivals: Arrivals,
    /// Run times the trace measured (jobs that ran, or still ran at its end).
    pub durations: Percentiles,
    /// GPU-hours asked for (devices × run time; fractions count their share), by request kind.
    pub gpu_hours: BTreeMap<String, f64>,
    pub gpu_hours_total: f64,
    /// Jobs whose duty cycle follows a load (services from request logs).
    pub services_with_load: u64,
    /// Rows the importer could not use, and its notes.
    pub import: ImportReport,
}

/// Accumulates statistics one job at a time.
#[derive(Default)]
pub struct StatsBuilder {
    s: TraceStats,
    submits: Vec<SimTime>,
    durations: Vec<SimTime>,
}

fn kind_of(r: Option<&RequestSpec>) -> (&'static str, f64) {
    match r {
        None => ("class_default", 0.0),
        Some(RequestSpec::Gpu { count: 0 }) => ("cpu_only", 0.0),
        Some(RequestSpec::Gpu { count: 1 }) => ("one_gpu_whole", 1.0),
        Some(RequestSpec::Gpu { count }) => ("multi_gpu", f64::from(*count)),
        // A shared GPU (time-slicing with rename_by_default) is one replica per device.
        Some(RequestSpec::SharedGpu { count: 1 }) => ("one_gpu_whole", 1.0),
        Some(RequestSpec::SharedGpu { count }) => ("multi_gpu", f64::from(*count)),
        Some(RequestSpec::Milli { milli, count: 1 }) if *milli < 1000 => {
            ("one_gpu_fraction", f64::from(*milli) / 1000.0)
        }
        Some(RequestSpec::Milli { milli, count }) if *count == 1 => {
            ("one_gpu_whole", f64::from(*milli) / 1000.0)
        }
        Some(RequestSpec::Milli { milli, count }) => {
            ("multi_gpu", f64::from(*milli) / 1000.0 * f64::from(*count))
        }
        // A MIG instance counts as one device; its share of a GPU depends on the model.
        Some(RequestSpec::Mig { count, .. }) => ("mig", f64::from(*count)),
    }
}

impl StatsBuilder {
    pub fn new(source: &str, format: TraceFormat) -> Self {
        StatsBuilder {
            s: TraceStats {
                source: source.to_string(),
                format: format.as_str().to_string(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub fn add(&mut self, e: &Entry) {
        let s = &mut self.s;
        let j = &e.job;
        s.jobs += 1;
        let status = match e.status {
            RunStatus::Ran => "ran",
            RunStatus::StillRunning => "still_running",
            RunStatus::NeverRan => "never_ran",
            RunStatus::Untimed => "untimed",
        };
        *s.status.entry(status.into()).or_default() += 1;
        // A gang counts as one job of all its pods' devices.
        let pods = j.pod_count();
        let (kind, gpus) = match kind_of(j.request.as_ref()) {
            (kind, gpus) if pods > 1 => (
                if kind == "mig" { kind } else { "multi_gpu" },
                gpus * f64::from(pods),
            ),
            other => other,
        };
        let m = &mut s.requests;
        *match kind {
            "class_default" => &mut m.class_default,
            "cpu_only" => &mut m.cpu_only,
            "one_gpu_whole" => &mut m.one_gpu_whole,
            "one_gpu_fraction" => &mut m.one_gpu_fraction,
            "multi_gpu" => &mut m.multi_gpu,
            _ => &mut m.mig,
        } += 1;
        if let Some(r) = &j.request {
            *s.devices.entry(r.count().saturating_mul(pods)).or_default() += 1;
            if let RequestSpec::Milli { milli, .. } = r
                && *milli < 1000
            {
                *s.fractions.entry(*milli).or_default() += 1;
            }
        }
        let name = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        *s.classes.entry(j.class.clone()).or_default() += 1;
        *s.priorities.entry(name(&j.priority_class)).or_default() += 1;
        *s.namespaces.entry(name(&j.namespace)).or_default() += 1;
        let models = if j.gpu_models.is_empty() {
            "-".to_string()
        } else {
            j.gpu_models.join("|")
        };
        *s.gpu_models.entry(models).or_default() += 1;
        if !j.load.is_empty() {
            s.services_with_load += 1;
        }
        self.submits.push(j.submit);
        if e.status.has_run_time() {
            self.durations.push(j.duration);
            let h = gpus * j.duration as f64 / MS_PER_HOUR as f64;
            if kind != "cpu_only" && kind != "class_default" {
                *s.gpu_hours.entry(kind.into()).or_default() += h;
                s.gpu_hours_total += h;
            }
        }
    }

    pub fn finish(mut self, import: ImportReport) -> TraceStats {
        self.s.import = import;
        self.s.arrivals = arrivals(&mut self.submits);
        self.s.durations = percentiles(&mut self.durations);
        self.s
    }
}

fn secs(ms: SimTime) -> f64 {
    ms as f64 / 1000.0
}

fn percentiles(v: &mut [SimTime]) -> Percentiles {
    let count = v.len() as u64;
    let mean = (!v.is_empty()).then(|| v.iter().map(|&d| d as f64).sum::<f64>() / v.len() as f64);
    Percentiles {
        count,
        p50_s: percentile(v, 50.0).map(secs),
        p90_s: percentile(v, 90.0).map(secs),
        p99_s: percentile(v, 99.0).map(secs),
        max_s: v.iter().max().copied().map(secs),
        mean_s: mean.map(|m| m / 1000.0),
    }
}

fn arrivals(submits: &mut [SimTime]) -> Arrivals {
    let mut a = Arrivals::default();
    if submits.is_empty() {
        return a;
    }
    submits.sort_unstable();
    let (first, last) = (submits[0], submits[submits.len() - 1]);
    a.first_s = Some(secs(first));
    a.last_s = Some(secs(last));
    let span_ms = last - first;
    a.span_days = span_ms as f64 / (24 * MS_PER_HOUR) as f64;
    a.rate_per_hour = submits.len() as f64 / (span_ms.max(1) as f64 / MS_PER_HOUR as f64);
    let k = ((BUSY_SHARE * submits.len() as f64).ceil() as usize).max(1);
    let (mut best, mut at) = (u64::MAX, 0);
    for i in 0..=submits.len() - k {
        let w = submits[i + k - 1] - submits[i];
        if w < best {
            best = w;
            at = i;
        }
    }
    a.busiest_window = Some((
        secs(submits[at]),
        secs(submits[at + k - 1]),
        best as f64 / (24 * MS_PER_HOUR) as f64,
    ));
    for &t in submits.iter() {
        a.by_hour_of_day[((t / MS_PER_HOUR) % 24) as usize] += 1;
    }
    // Each hour of the day occurs once per day the span touches.
    let day = 24 * MS_PER_HOUR;
    let days = (last / day - first / day + 1) as f64;
    for h in 0..24 {
        a.rate_by_hour_of_day[h] = a.by_hour_of_day[h] as f64 / days;
    }
    a
}

/// Statistics of every job of an opened trace.
pub fn of_opened(opened: Opened) -> Result<TraceStats, TraceError> {
    let mut b = StatsBuilder::new(&opened.report.source, opened.format);
    let mut report = opened.report;
    let mut n = 0;
    for e in opened.entries {
        b.add(&e?);
        n += 1;
    }
    if opened.format == TraceFormat::Native {
        report.rows = n;
        report.jobs = n;
    }
    Ok(b.finish(report))
}

/// What `slicesim trace stats` reports: job statistics, or for an Azure LLM log request-level
/// statistics (a log is one service's load, not a list of jobs). Serializes as the inner
/// statistics (`--json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Stats {
    Jobs(Box<TraceStats>),
    Requests(Box<RequestStats>),
}

/// The statistics of the trace at `path` (of `format`, or of the format its header shows).
pub fn of_file(
    path: &Path,
    format: Option<TraceFormat>,
    map: &ImportMap,
    strict: bool,
) -> Result<Stats, String> {
    let format = match format {
        Some(f) => f,
        None => crate::trace::format::detect(path).map_err(|e| e.to_string())?,
    };
    if format == TraceFormat::AzureLlm {
        let s = of_requests(path, map, strict).map_err(|e| e.to_string())?;
        return Ok(Stats::Requests(Box::new(s)));
    }
    let opened =
        crate::trace::import::open(path, Some(format), map, strict).map_err(|e| e.to_string())?;
    Ok(Stats::Jobs(Box::new(
        of_opened(opened).map_err(|e| e.to_string())?,
    )))
}

#[cfg(test)]
mod tests;
