//! Importer for the Azure LLM inference traces (2023, Splitwise): one row per request,
//! `TIMESTAMP, ContextTokens, GeneratedTokens`.
//!
//! A request log is not a list of jobs: it is the load of a long-running inference service.
//! The importer turns it into one service job (or `replicas` jobs sharing the load) whose duty
//! cycle `u` follows the requests window by window. Each request costs
//! `ContextTokens / prefill_tokens_per_s + GeneratedTokens / decode_tokens_per_s`
//! seconds of a whole reference GPU, and a window's `u` is the cost of the requests that arrive
//! in it divided by the window's length (and by the replicas), clamped to [min_u, 1]. Under
//! time-slicing or MIG a service whose `u` exceeds the GPU time it gets runs slower than alone
//! and, with a `speed_target` on its class, is reported below target. See `docs/TRACE.md`.

use crate::domain::LoadStep;
use crate::limits::{MAX_LOAD_STEPS, MAX_REPLICAS, MAX_TRACE_SPAN_MS, exceeds};
use crate::trace::clock::{Origin, midnight_before, parse_datetime_ms};
use crate::trace::error::TraceError;
use crate::trace::format::TraceFormat;
use crate::trace::job::TraceJob;
use crate::trace::report::{Entry, ImportReport, RunStatus};
use crate::trace::rows::CsvRows;
use crate::units::Dur;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// Azure LLM mapping options (`map.azure_llm`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AzureLlmMap {
    /// Width of the load steps.
    pub window: Dur,
    /// Prompt tokens one whole reference GPU processes per second (prefill), for the served
    /// model.
    pub prefill_tokens_per_s: f64,
    /// Generated tokens one whole reference GPU produces per second (decode, batched).
    pub decode_tokens_per_s: f64,
    /// Floor of the duty cycle (an idle service still holds its GPU and polls).
    pub min_u: f64,
    /// Service replicas the load is split evenly over (one job each).
    pub replicas: u32,
    /// Time 0 of the run: the first request, or midnight before it.
    pub origin: Origin,
}

impl Default for AzureLlmMap {
    fn default() -> Self {
        AzureLlmMap {
            window: Dur(60_000),
            prefill_tokens_per_s: 12_000.0,
            decode_tokens_per_s: 3_000.0,
            min_u: 0.01,
            replicas: 1,
            origin: Origin::First,
        }
    }
}

impl AzureLlmMap {
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.window.ms() < 1000 {
            out.push((
                "window".into(),
                format!("{} is shorter than 1s", self.window),
            ));
        } else if self.window.ms() > MAX_TRACE_SPAN_MS {
            out.push((
                "window".into(),
                exceeds("window", self.window, Dur(MAX_TRACE_SPAN_MS)),
            ));
        }
        for (f, v) in [
            ("prefill_tokens_per_s", self.prefill_tokens_per_s),
            ("decode_tokens_per_s", self.decode_tokens_per_s),
        ] {
            if !(v.is_finite() && v > 0.0) {
                out.push((f.into(), format!("{v} is not a number > 0")));
            }
        }
        if !(self.min_u > 0.0 && self.min_u <= 1.0) {
            out.push(("min_u".into(), format!("{} is not in (0, 1]", self.min_u)));
        }
        if self.replicas == 0 {
            out.push(("replicas".into(), "must be at least 1".into()));
        } else if u64::from(self.replicas) > MAX_REPLICAS {
            out.push((
                "replicas".into(),
                exceeds("replicas", self.replicas, MAX_REPLICAS),
            ));
        }
        out
    }

    /// Seconds of a whole reference GPU one request needs.
    pub fn cost_s(&self, r: &Request) -> f64 {
        r.context as f64 / self.prefill_tokens_per_s + r.generated as f64 / self.decode_tokens_per_s
    }
}

/// One request of the log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Arrival, ms since 1970-01-01 on the trace's clock.
    pub at: i64,
    pub context: u64,
    pub generated: u64,
}

const COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

fn expected() -> String {
    format!(
        "the azure-llm format has {}",
        TraceFormat::AzureLlm.columns()
    )
}

/// Reads the requests of a file (bad rows skipped and reported, or an error under `strict`).
pub fn read_requests(
    path: &Path,
    strict: bool,
) -> Result<(Vec<Request>, ImportReport), TraceError> {
    read_rows(CsvRows::open(path, &expected())?, strict)
}

fn read_rows<R: Read>(
    mut rows: CsvRows<R>,
    strict: bool,
) -> Result<(Vec<Request>, ImportReport), TraceError> {
    let [ts, ctx, gen_col]: [usize; 3] = rows
        .locate(&COLUMNS, "azure-llm")?
        .try_into()
        .expect("three columns");
    let width = rows.header.len();
    let mut report = ImportReport::new(rows.source(), TraceFormat::AzureLlm);
    let mut out = Vec::new();
    while let Some(row) = rows.next_row() {
        report.rows += 1;
        let (line, rec) = match row? {
            Ok(r) => r,
            Err(p) => {
                report.add_bad(strict, p)?;
                continue;
            }
        };
        if rec.len() != width {
            report.bad_row(
                strict,
                line,
                None,
                format!("found {} fields but the header has {width}", rec.len()),
            )?;
            continue;
        }
        let at = match parse_datetime_ms(&rec[ts]) {
            Ok(t) => t,
            Err(m) => {
                report.bad_row(strict, line, Some(COLUMNS[0]), m)?;
                continue;
            }
        };
        let tokens = |i: usize| rec[i].parse::<u64>();
        let (context, generated) = match (tokens(ctx), tokens(gen_col)) {
            (Ok(c), Ok(g)) => (c, g),
            (c, _) => {
                let (col, v) = if c.is_err() {
                    (COLUMNS[1], &rec[ctx])
                } else {
                    (COLUMNS[2], &rec[gen_col])
                };
                report.bad_row(
                    strict,
                    line,
                    Some(col),
                    format!("`{v}` is not a whole number of tokens"),
                )?;
                continue;
            }
        };
        out.push(Request {
            at,
            context,
            generated,
        });
    }
    check_span(&out, &report.source)?;
    Ok((out, report))
}

/// The requests span at most [`MAX_TRACE_SPAN_MS`] from the first to the last (one row dated
/// `9999-12-31` in a 2023 log is refused, naming both ends).
fn check_span(requests: &[Request], source: &str) -> Result<(), TraceError> {
    let (Some(first), Some(last)) = (
        requests.iter().min_by_key(|r| r.at),
        requests.iter().max_by_key(|r| r.at),
    ) else {
        return Ok(());
    };
    let span = last.at.abs_diff(first.at);
    if span <= MAX_TRACE_SPAN_MS {
        return Ok(());
    }
    let days = |ms: u64| format!("{} days", ms / 86_400_000);
    Err(TraceError::File {
        source_name: source.to_string(),
        message: format!(
            "{}; a mistyped TIMESTAMP? (first request {}, last {})",
            exceeds(
                "the time span of the requests",
                days(span),
                days(MAX_TRACE_SPAN_MS)
            ),
            crate::trace::clock::format_datetime_ms(first.at),
            crate::trace::clock::format_datetime_ms(last.at),
        ),
    })
}

/// Reads a request log and turns it into service jobs (see the module docs).
pub fn import(
    path: &Path,
    opts: &AzureLlmMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let (requests, report) = read_requests(path, strict)?;
    to_services(&requests, report, opts, class)
}

/// Reads request-log text from any source (`source` names it in messages).
pub fn import_reader<R: Read>(
    reader: R,
    source: &str,
    opts: &AzureLlmMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let (requests, report) = read_rows(CsvRows::from_reader(reader, source, &expected())?, strict)?;
    to_services(&requests, report, opts, class)
}

/// The reference-GPU duty cycle per window (before clamping and splitting over replicas),
/// kept sparse: memory follows the requests, never the time they span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowDemand {
    /// The ms of the first window's start on the trace's clock.
    pub start: i64,
    /// Windows from the first request's to the last request's, empty ones included.
    pub windows: u64,
    /// (window index, duty cycle) of every window with requests, in order; the others are 0.
    pub busy: Vec<(u64, f64)>,
}

impl WindowDemand {
    /// Sum of the duty cycles over all windows.
    pub fn total(&self) -> f64 {
        self.busy.iter().map(|&(_, d)| d).sum()
    }
    /// The largest duty cycle (0 without requests).
    pub fn peak(&self) -> f64 {
        self.busy.iter().map(|&(_, d)| d).fold(0.0, f64::max)
    }
}

/// Time 0 of the run for requests whose first one arrives at `first`.
fn origin_ms(opts: &AzureLlmMap, first: i64) -> i64 {
    match opts.origin {
        Origin::First => first,
        Origin::Midnight => midnight_before(first),
    }
}

/// The duty cycle per window of `requests` (see [`WindowDemand`]).
pub fn window_demand(requests: &[Request], opts: &AzureLlmMap) -> WindowDemand {
    let Some(first) = requests.iter().map(|r| r.at).min() else {
        return WindowDemand::default();
    };
    let last = requests.iter().map(|r| r.at).max().unwrap_or(first);
    let zero = origin_ms(opts, first);
    // Wide arithmetic: a window is at most MAX_TRACE_SPAN_MS, but a caller may skip problems().
    let w = i128::from(opts.window.ms().max(1));
    // Windows are counted from time 0 of the run, so they line up with its clock.
    let start = i128::from(zero) + (i128::from(first) - i128::from(zero)) / w * w;
    let index = |at: i64| ((i128::from(at) - start) / w) as u64;
    let mut cost: std::collections::BTreeMap<u64, f64> = std::collections::BTreeMap::new();
    for r in requests {
        *cost.entry(index(r.at)).or_default() += opts.cost_s(r);
    }
    let secs = opts.window.secs();
    WindowDemand {
        start: start as i64,
        windows: index(last) + 1,
        busy: cost.into_iter().map(|(k, c)| (k, c / secs)).collect(),
    }
}

/// The load steps of one replica: each busy window's share clamped to [min_u, 1], empty
/// windows at min_u, a step only where `u` changes.
fn load_steps(demand: &WindowDemand, opts: &AzureLlmMap, replicas: u32) -> Vec<LoadStep> {
    let w = opts.window.ms();
    let mut steps: Vec<LoadStep> = Vec::new();
    let mut push = |k: u64, u: f64| {
        if steps.last().is_none_or(|s| s.u != u) {
            steps.push(LoadStep {
                at: k.saturating_mul(w),
                u,
            });
        }
    };
    let mut next = 0;
    for &(k, d) in &demand.busy {
        if k > next {
            push(next, opts.min_u);
        }
        push(k, (d / f64::from(replicas)).clamp(opts.min_u, 1.0));
        next = k + 1;
    }
    steps
}

fn to_services(
    requests: &[Request],
    mut report: ImportReport,
    opts: &AzureLlmMap,
    class: &str,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let demand = window_demand(requests, opts);
    if demand.windows == 0 {
        report.notes.push("no requests: no service job".into());
        return Ok((Vec::new(), report));
    }
    let first = requests.iter().map(|r| r.at).min().unwrap_or(demand.start);
    let zero = origin_ms(opts, first);
    let replicas = opts.replicas.max(1);
    let steps = load_steps(&demand, opts, replicas);
    let all_steps = steps.len() as u64 * u64::from(replicas);
    if all_steps > MAX_LOAD_STEPS {
        return Err(TraceError::File {
            source_name: report.source.clone(),
            message: exceeds(
                "the load steps of the service jobs (steps x azure_llm.replicas)",
                format!("{} x {replicas} = {all_steps}", steps.len()),
                MAX_LOAD_STEPS,
            ),
        });
    }
    let per = f64::from(replicas);
    let clamped_high = demand.busy.iter().filter(|&&(_, d)| d / per > 1.0).count();
    let submit = (demand.start - zero).max(0) as u64;
    let duration = demand.windows.saturating_mul(opts.window.ms());
    let class = class.to_string();
    let entries: Vec<Entry> = (0..replicas)
        .map(|r| {
            let mut job = TraceJob::new(u64::from(r), submit, class.clone(), duration);
            job.load = steps.clone();
            Entry {
                job,
                status: RunStatus::Ran,
            }
        })
        .collect();
    let mean = demand.total() / per / demand.windows as f64;
    let peak = demand.peak() / per;
    report.jobs = entries.len() as u64;
    report.notes.push(format!(
        "{} requests -> {replicas} service job{} of class {class}, {} windows of {} from {} s: \
         mean u {mean:.3}, peak u {peak:.3} per replica (prefill {} tokens/s, decode {} \
         tokens/s on the reference GPU)",
        requests.len(),
        if replicas == 1 { "" } else { "s" },
        demand.windows,
        opts.window,
        submit / 1000,
        opts.prefill_tokens_per_s,
        opts.decode_tokens_per_s,
    ));
    if clamped_high > 0 {
        report.notes.push(format!(
            "{clamped_high} windows need more than one reference GPU per replica and are \
             clamped to u = 1 (raise azure_llm.replicas to spread the load)"
        ));
    }
    Ok((entries, report))
}

#[cfg(test)]
#[path = "azure_llm_tests.rs"]
mod tests;
