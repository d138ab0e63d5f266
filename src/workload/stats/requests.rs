//! Request-level statistics of an Azure LLM request log, and the service load it maps to.

use crate::metrics::percentile;
use crate::trace::formats::azure_llm::{self, Request};
use crate::trace::import::ImportMap;
use crate::trace::report::unusable;
use crate::trace::{ImportReport, TraceError, TraceFormat};
use serde::Serialize;
use std::path::Path;

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
    // Wide sum: a few absurd token counts (18446744073709551615) do not overflow.
    let sum: u128 = v.iter().map(|&t| u128::from(t)).sum();
    TokenStats {
        total: u64::try_from(sum).unwrap_or(u64::MAX),
        mean: if v.is_empty() {
            0.0
        } else {
            sum as f64 / v.len() as f64
        },
        p50: percentile(&mut v, 50.0),
        p99: percentile(&mut v, 99.0),
        max: v.iter().max().copied(),
    }
}

/// Statistics of an Azure LLM request log.
pub fn of_requests(path: &Path, map: &ImportMap, strict: bool) -> Result<RequestStats, TraceError> {
    let (reqs, report) = azure_llm::read_requests(path, strict)?;
    if let Some(e) = unusable(&report, TraceFormat::AzureLlm) {
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
    let demand = azure_llm::window_demand(reqs, &map.azure_llm);
    // Percentile over every window: the empty ones (duty cycle 0) come first in order.
    let mut busy: Vec<f64> = demand.busy.iter().map(|&(_, d)| d).collect();
    busy.sort_by(f64::total_cmp);
    let empty = demand.windows - busy.len() as u64;
    let p95 = if demand.windows == 0 {
        0.0
    } else {
        let rank = ((0.95 * demand.windows as f64).ceil() as u64).max(1);
        rank.checked_sub(empty + 1)
            .map_or(0.0, |i| busy[i as usize])
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
        windows: demand.windows,
        window_s: map.azure_llm.window.secs(),
        u_mean: if demand.windows == 0 {
            0.0
        } else {
            demand.total() / demand.windows as f64
        },
        u_p95: p95,
        u_max: demand.peak(),
        import: report,
    }
}

/// `ms` since 1970 on the trace's clock as `YYYY-MM-DD HH:MM:SS`.
pub(super) fn clock_text(ms: i64) -> String {
    crate::trace::clock::format_datetime_ms(ms)
}
