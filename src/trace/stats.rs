//! `slicesim trace stats`: what is in a trace — job count, the mix of GPU requests, classes and
//! priorities, when jobs arrive, how long they run and how many GPU-hours they ask for.
//!
//! Statistics are taken over the imported jobs (after the format's mapping, docs/TRACE.md),
//! including rows the mapping leaves out of runs such as openb pods that never ran: those count
//! as jobs and requests, but not in run times or GPU-hours, which only use run times the trace
//! measured. Memory: two numbers per job (submit and run time), for percentiles.

use super::TraceError;
use super::azure_llm::{self, Request};
use super::import::{Entry, ImportMap, ImportReport, Opened, RunStatus, TraceFormat};
use crate::domain::RequestSpec;
use crate::metrics::percentile;
use crate::units::{MS_PER_HOUR, SimTime};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

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
        let (kind, gpus) = kind_of(j.request.as_ref());
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
            *s.devices.entry(r.count()).or_default() += 1;
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

/// `slicesim trace stats`: the statistics of `path` as text or JSON. Azure LLM logs get
/// request-level statistics (a log is one service's load, not a list of jobs).
pub fn command(
    path: &Path,
    format: Option<TraceFormat>,
    map: &ImportMap,
    strict: bool,
    json: bool,
) -> Result<String, String> {
    let format = match format {
        Some(f) => f,
        None => super::import::detect(path).map_err(|e| e.to_string())?,
    };
    let as_json = |v: &dyn erased::Json| v.json();
    if format == TraceFormat::AzureLlm {
        let s = of_requests(path, map, strict).map_err(|e| e.to_string())?;
        return Ok(if json { as_json(&s) } else { s.render() });
    }
    let opened = super::import::open(path, Some(format), map, strict).map_err(|e| e.to_string())?;
    let s = of_opened(opened).map_err(|e| e.to_string())?;
    Ok(if json { as_json(&s) } else { s.render() })
}

mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{e}"));
            s.push('\n');
            s
        }
    }
}

/// Request-level statistics of an Azure LLM log, and the service load it maps to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestStats {
    pub source: String,
    pub requests: u64,
    pub first: Option<String>,
    pub span_minutes: f64,
    pub requests_per_s: f64,
    pub context_tokens: TokenStats,
    pub generated_tokens: TokenStats,
    /// Duty cycle of one reference GPU per window before clamping (all replicas together).
    pub windows: u64,
    pub window_s: f64,
    pub u_mean: f64,
    pub u_p95: f64,
    pub u_max: f64,
    pub import: ImportReport,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TokenStats {
    pub total: u64,
    pub mean: f64,
    pub p50: Option<u64>,
    pub p99: Option<u64>,
    pub max: Option<u64>,
}

fn tokens(mut v: Vec<u64>) -> TokenStats {
    TokenStats {
        total: v.iter().sum(),
        mean: if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<u64>() as f64 / v.len() as f64
        },
        p50: percentile(&mut v, 50.0),
        p99: percentile(&mut v, 99.0),
        max: v.iter().max().copied(),
    }
}

/// Statistics of an Azure LLM request log.
pub fn of_requests(path: &Path, map: &ImportMap, strict: bool) -> Result<RequestStats, TraceError> {
    let (reqs, report) = azure_llm::read_requests(path, strict)?;
    if let Some(e) = super::import::unusable(&report, TraceFormat::AzureLlm) {
        return Err(e);
    }
    Ok(request_stats(&reqs, report, map))
}

fn request_stats(reqs: &[Request], report: ImportReport, map: &ImportMap) -> RequestStats {
    let first = reqs.iter().map(|r| r.at).min();
    let last = reqs.iter().map(|r| r.at).max();
    let span_ms = match (first, last) {
        (Some(a), Some(b)) => (b - a) as f64,
        _ => 0.0,
    };
    let (_, demand) = azure_llm::window_demand(reqs, &map.azure_llm);
    let mut sorted = demand.clone();
    sorted.sort_by(f64::total_cmp);
    let p95 = if sorted.is_empty() {
        0.0
    } else {
        let rank = ((0.95 * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1]
    };
    RequestStats {
        source: report.source.clone(),
        requests: reqs.len() as u64,
        first: first.map(clock_text),
        span_minutes: span_ms / 60_000.0,
        requests_per_s: if span_ms > 0.0 {
            reqs.len() as f64 / (span_ms / 1000.0)
        } else {
            0.0
        },
        context_tokens: tokens(reqs.iter().map(|r| r.context).collect()),
        generated_tokens: tokens(reqs.iter().map(|r| r.generated).collect()),
        windows: demand.len() as u64,
        window_s: map.azure_llm.window.secs(),
        u_mean: if demand.is_empty() {
            0.0
        } else {
            demand.iter().sum::<f64>() / demand.len() as f64
        },
        u_p95: p95,
        u_max: sorted.last().copied().unwrap_or(0.0),
        import: report,
    }
}

/// `ms` since 1970 on the trace's clock as `YYYY-MM-DD HH:MM:SS`.
fn clock_text(ms: i64) -> String {
    let days = ms.div_euclid(super::clock::MS_PER_DAY);
    let rem = ms.rem_euclid(super::clock::MS_PER_DAY) / 1000;
    let (y, m, d) = super::clock::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn kind_label(kind: &str) -> &str {
    match kind {
        "one_gpu_whole" => "1 GPU whole",
        "one_gpu_fraction" => "1 GPU fraction",
        "multi_gpu" => "multi-GPU",
        "mig" => "MIG",
        other => other,
    }
}

fn human_secs(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{s:.0} s ({:.1} d)", s / 86_400.0)
    } else if s >= 3_600.0 {
        format!("{s:.0} s ({:.1} h)", s / 3_600.0)
    } else if s >= 60.0 {
        format!("{s:.0} s ({:.1} min)", s / 60.0)
    } else {
        format!("{s} s")
    }
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / of as f64)
    }
}

fn counts(m: &BTreeMap<String, u64>, limit: usize) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = v
        .iter()
        .take(limit)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if v.len() > limit {
        parts.push(format!("... ({} more)", v.len() - limit));
    }
    parts.join(", ")
}

impl TraceStats {
    /// The statistics as text for a terminal.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let n = self.jobs;
        o.push_str(&format!("trace    {} ({})\n", self.source, self.format));
        let st = |k: &str| self.status.get(k).copied().unwrap_or(0);
        o.push_str(&format!("jobs     {n}"));
        let mut parts = Vec::new();
        for (k, text) in [
            ("still_running", "still running at trace end (run time cut)"),
            ("never_ran", "never ran (no run time)"),
            ("untimed", "without times in the trace"),
        ] {
            if st(k) > 0 {
                parts.push(format!("{} {text}", st(k)));
            }
        }
        if !parts.is_empty() {
            o.push_str(&format!(" ({})", parts.join("; ")));
        }
        o.push('\n');
        let r = &self.requests;
        o.push_str("requests\n");
        for (label, v) in [
            ("CPU-only", r.cpu_only),
            ("1 GPU, whole", r.one_gpu_whole),
            ("1 GPU, fraction", r.one_gpu_fraction),
            ("multi-GPU", r.multi_gpu),
            ("MIG", r.mig),
            ("class default", r.class_default),
        ] {
            if v > 0 || label != "MIG" && label != "class default" {
                o.push_str(&format!("  {label:<16} {v:>9}  {:>7}\n", pct(v, n)));
            }
        }
        if !self.devices.is_empty() {
            let d: Vec<String> = self
                .devices
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            o.push_str(&format!("  devices per job  {}\n", d.join(", ")));
        }
        if !self.fractions.is_empty() {
            let f: BTreeMap<String, u64> = self
                .fractions
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect();
            o.push_str(&format!(
                "  commonest fractions (milli): {}\n",
                counts(&f, 6)
            ));
        }
        o.push_str(&format!("classes  {}\n", counts(&self.classes, 8)));
        o.push_str(&format!(
            "priority classes ('-' = class default)  {}\n",
            counts(&self.priorities, 8)
        ));
        o.push_str(&format!(
            "namespaces ('-' = class default)  {}\n",
            counts(&self.namespaces, 8)
        ));
        if self.gpu_models.len() > 1 || !self.gpu_models.contains_key("-") {
            o.push_str(&format!(
                "GPU models allowed ('-' = any)  {}\n",
                counts(&self.gpu_models, 6)
            ));
        }
        if self.services_with_load > 0 {
            o.push_str(&format!(
                "services with a time-varying load  {}\n",
                self.services_with_load
            ));
        }
        let a = &self.arrivals;
        if let (Some(f), Some(l)) = (a.first_s, a.last_s) {
            o.push_str(&format!(
                "arrivals first {f} s, last {l} s: span {:.1} days, {:.2} jobs/h on average\n",
                a.span_days, a.rate_per_hour
            ));
            if let Some((ws, we, wd)) = a.busiest_window {
                o.push_str(&format!(
                    "  {:.0} % of arrivals fall in {wd:.1} days ({ws} s to {we} s)\n",
                    BUSY_SHARE * 100.0
                ));
            }
            o.push_str("  by hour of day (time 0 = 00:00): hour, arrivals, share, mean per hour\n");
            let max = a.by_hour_of_day.iter().copied().max().unwrap_or(1).max(1);
            for h in 0..24 {
                let c = a.by_hour_of_day[h];
                let bar = "#".repeat((c * 40).div_ceil(max) as usize);
                o.push_str(&format!(
                    "  {h:02}  {c:>9}  {:>7}  {:>9.2}  {bar}\n",
                    pct(c, n),
                    a.rate_by_hour_of_day[h]
                ));
            }
        }
        let d = &self.durations;
        if d.count > 0 {
            let f = |v: Option<f64>| v.map(human_secs).unwrap_or_else(|| "-".into());
            o.push_str(&format!(
                "run time ({} jobs with a measured run time)\n  p50 {}\n  p90 {}\n  p99 {}\n  \
                 max {}\n  mean {}\n",
                d.count,
                f(d.p50_s),
                f(d.p90_s),
                f(d.p99_s),
                f(d.max_s),
                f(d.mean_s)
            ));
        }
        let parts: Vec<String> = self
            .gpu_hours
            .iter()
            .map(|(k, v)| format!("{} {v:.1}", kind_label(k)))
            .collect();
        o.push_str(&format!(
            "GPU-hours requested {:.1}{}\n",
            self.gpu_hours_total,
            if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join(", "))
            }
        ));
        if self.requests.mig > 0 {
            o.push_str("  (a MIG instance counts as one GPU)\n");
        }
        if self.import.bad_count > 0 || !self.import.notes.is_empty() {
            o.push_str("import\n");
            for line in self.import.render().lines().skip(1) {
                o.push_str(&format!("{line}\n"));
            }
        }
        o
    }
}

impl RequestStats {
    pub fn render(&self) -> String {
        let t = |s: &TokenStats| {
            format!(
                "total {}, mean {:.1}, p50 {}, p99 {}, max {}",
                s.total,
                s.mean,
                s.p50.map_or("-".into(), |v| v.to_string()),
                s.p99.map_or("-".into(), |v| v.to_string()),
                s.max.map_or("-".into(), |v| v.to_string())
            )
        };
        let mut o = format!(
            "trace    {} (azure-llm: one row per request)\nrequests {}\nfirst    {}\nspan     \
             {:.1} min, {:.2} requests/s\ncontext tokens    {}\ngenerated tokens  {}\n",
            self.source,
            self.requests,
            self.first.as_deref().unwrap_or("-"),
            self.span_minutes,
            self.requests_per_s,
            t(&self.context_tokens),
            t(&self.generated_tokens),
        );
        o.push_str(&format!(
            "service load on one reference GPU ({} windows of {} s, before clamping to [min_u, \
             1] and splitting over replicas): mean u {:.3}, p95 {:.3}, max {:.3}\n",
            self.windows, self.window_s, self.u_mean, self.u_p95, self.u_max
        ));
        for line in self.import.render().lines().skip(1) {
            o.push_str(&format!("{line}\n"));
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceJob;

    fn entry(submit: SimTime, dur: SimTime, req: Option<RequestSpec>, status: RunStatus) -> Entry {
        let mut job = TraceJob::new(0, submit, "c", dur);
        job.request = req;
        Entry { job, status }
    }

    #[test]
    fn counts_mix_percentiles_and_gpu_hours_by_hand() {
        let h = MS_PER_HOUR;
        let mut b = StatsBuilder::new("t", TraceFormat::Native);
        // 5 jobs: CPU-only 1 h; whole GPU 2 h; 500 milli 4 h; 2 GPUs 1 h (still running);
        // 1 GPU never ran (its 10 h is a stand-in).
        b.add(&entry(
            0,
            h,
            Some(RequestSpec::Gpu { count: 0 }),
            RunStatus::Ran,
        ));
        b.add(&entry(
            h,
            2 * h,
            Some(RequestSpec::Gpu { count: 1 }),
            RunStatus::Ran,
        ));
        b.add(&entry(
            25 * h,
            4 * h,
            Some(RequestSpec::Milli {
                milli: 500,
                count: 1,
            }),
            RunStatus::Ran,
        ));
        b.add(&entry(
            26 * h,
            h,
            Some(RequestSpec::Gpu { count: 2 }),
            RunStatus::StillRunning,
        ));
        b.add(&entry(
            48 * h,
            10 * h,
            Some(RequestSpec::Gpu { count: 1 }),
            RunStatus::NeverRan,
        ));
        let s = b.finish(ImportReport::default());
        assert_eq!(s.jobs, 5);
        assert_eq!(
            s.requests,
            RequestMix {
                cpu_only: 1,
                one_gpu_whole: 2,
                one_gpu_fraction: 1,
                multi_gpu: 1,
                mig: 0,
                class_default: 0
            }
        );
        assert_eq!(s.fractions, BTreeMap::from([(500, 1)]));
        // Run times of the 4 jobs that ran: 1, 2, 4, 1 h -> sorted 1, 1, 2, 4 h;
        // nearest rank p50 = 2nd = 1 h, p90 = 4th = 4 h; mean 2 h.
        assert_eq!(s.durations.count, 4);
        assert_eq!(s.durations.p50_s, Some(3600.0));
        assert_eq!(s.durations.p90_s, Some(4.0 * 3600.0));
        assert_eq!(s.durations.mean_s, Some(2.0 * 3600.0));
        // GPU-hours: whole 2 (the never-ran job excluded), fraction 0.5 x 4 = 2, multi 2 x 1.
        assert_eq!(s.gpu_hours_total, 6.0);
        assert_eq!(s.gpu_hours["one_gpu_fraction"], 2.0);
        // Arrivals at 0, 1, 25, 26, 48 h: span 2 days; 98 % of 5 = 5 jobs -> the whole span.
        assert_eq!(s.arrivals.span_days, 2.0);
        assert_eq!(s.arrivals.busiest_window, Some((0.0, 48.0 * 3600.0, 2.0)));
        // Hours of day: 0 (x2: 0 h, 48 h), 1 (x2: 1 h, 25 h), 2 (26 h); 3 days touched.
        assert_eq!(&s.arrivals.by_hour_of_day[..3], &[2, 2, 1]);
        assert!((s.arrivals.rate_by_hour_of_day[0] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.status["never_ran"], 1);
        let text = s.render();
        assert!(text.contains("jobs     5 (1 still running at trace end (run time cut); 1 never ran (no run time))"), "{text}");
        assert!(
            text.contains("\n  1 GPU, fraction          1   20.0 %\n"),
            "{text}"
        );
    }

    #[test]
    fn the_published_openb_default_pod_list_matches_its_facts() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/traces/openb/openb_pod_list_default.csv");
        if !path.is_file() {
            eprintln!("skipped: {} not found (see README: traces)", path.display());
            return;
        }
        let opened = super::super::import::open(&path, None, &ImportMap::default(), true).unwrap();
        assert_eq!(opened.format, TraceFormat::Openb);
        let s = of_opened(opened).unwrap();
        // SOURCES.md and the issue: 8,152 pods, 1,088 CPU-only, 3,078 fractional; 85.7 %
        // 1-GPU, 13.3 % CPU-only, 0.9 % multi-GPU; 37.8 % fractional, commonest shares 810,
        // 470, 320, 650, 230; arrivals span 149 days, 98 % within 33; run time p50 616 s, p99
        // 115 ks; 34 pods still running at the end.
        assert_eq!(s.jobs, 8_152);
        assert_eq!(s.requests.cpu_only, 1_088);
        assert_eq!(s.requests.one_gpu_fraction, 3_078);
        assert_eq!(pct(s.devices[&1], s.jobs), "85.7 %");
        assert_eq!(pct(s.requests.cpu_only, s.jobs), "13.3 %");
        assert_eq!(pct(s.requests.multi_gpu, s.jobs), "0.9 %");
        assert_eq!(pct(s.requests.one_gpu_fraction, s.jobs), "37.8 %");
        let mut shares: Vec<(u64, u32)> = s.fractions.iter().map(|(m, n)| (*n, *m)).collect();
        shares.sort_by(|a, b| b.cmp(a));
        let top: Vec<u32> = shares.iter().take(5).map(|x| x.1).collect();
        assert_eq!(top, vec![810, 470, 320, 650, 230]);
        assert_eq!(s.arrivals.span_days.round(), 149.0);
        assert_eq!(s.arrivals.busiest_window.unwrap().2.round(), 33.0);
        assert_eq!(s.durations.p50_s, Some(616.0));
        assert_eq!((s.durations.p99_s.unwrap() / 1000.0).round(), 115.0);
        assert_eq!(s.status["still_running"], 34);
        assert_eq!(s.priorities["LS"] + s.priorities["BE"], 4_647 + 3_398);
    }

    #[test]
    fn civil_dates_print_back() {
        let ms = super::super::clock::parse_datetime_ms("2023-11-16 18:17:03.98").unwrap();
        assert_eq!(clock_text(ms), "2023-11-16 18:17:03");
        let ms = super::super::clock::parse_datetime_ms("1999-02-28 23:59:59").unwrap();
        assert_eq!(clock_text(ms), "1999-02-28 23:59:59");
    }

    #[test]
    fn the_published_philly_and_azure_traces_match_their_facts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces");
        if !dir.is_dir() {
            eprintln!("skipped: {} not found (see README: traces)", dir.display());
            return;
        }
        let map = ImportMap::default();
        let opened =
            super::super::import::open(&dir.join("philly/philly.csv"), None, &map, true).unwrap();
        let s = of_opened(opened).unwrap();
        // SOURCES.md: 82,247 jobs, 93.2 % single-GPU, 15 virtual clusters.
        assert_eq!(s.jobs, 82_247);
        assert_eq!(pct(s.devices[&1], s.jobs), "93.2 %");
        assert_eq!(s.namespaces.len(), 15);
        assert_eq!(s.devices.keys().max(), Some(&128));
        // 2017-09-04 10:30:41 to 2017-12-22 08:02:11.
        assert_eq!(s.arrivals.first_s, Some(10.0 * 3600.0 + 30.0 * 60.0 + 41.0));
        let r = of_requests(
            &dir.join("azure-llm-2023/AzureLLMInferenceTrace_conv.csv"),
            &map,
            true,
        )
        .unwrap();
        assert_eq!((r.requests, r.span_minutes as u64), (19_366, 58));
        assert_eq!(r.first.as_deref(), Some("2023-11-16 18:15:46"));
    }
}
