//! The per-operation cost report: `summary.json` `operations`, `operations.csv` and the
//! terminal lines (docs/OUTPUTS.md, "Operations").

use crate::sim::{OpBatch, OpRecord};
use serde::Serialize;

/// One timed operation and what it cost.
#[derive(Clone, Debug, Serialize)]
pub struct OperationSummary {
    pub at_s: f64,
    pub kind: String,
    pub pool: String,
    pub detail: String,
    pub evicted_jobs: u64,
    /// End of its window (its last node back; clipped at the end of the run), and the
    /// window's length.
    pub end_s: f64,
    pub window_h: f64,
    /// The window closed before the end of the run.
    pub finished: bool,
    /// Evictions a PodDisruptionBudget refused at least once, and whether the drain gave up.
    pub refused_evictions: u64,
    pub timed_out: bool,
    /// Work its evictions threw away (since each pod's last checkpoint).
    pub lost_ref_gpu_hours: f64,
    /// GPUs of its nodes times the time they took no pods.
    pub unavailable_gpu_hours: f64,
    /// Jobs submitted in the window and their waits (lower bounds when `_censored`).
    pub jobs_submitted: u64,
    pub wait_p50_s: Option<f64>,
    pub wait_p95_s: Option<f64>,
    pub wait_p50_censored: bool,
    pub wait_p95_censored: bool,
    /// The batches of nodes it took down, in order.
    pub batches: Vec<BatchSummary>,
}

/// One batch of nodes of an operation.
#[derive(Clone, Debug, Serialize)]
pub struct BatchSummary {
    /// First and last node (inclusive).
    pub first_node: u32,
    pub last_node: u32,
    pub start_s: f64,
    /// When its last pod's eviction was accepted; None if never (timeout, end of run).
    pub evicted_s: Option<f64>,
    /// When its nodes took pods again; None if the run ended first.
    pub end_s: Option<f64>,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn batch(b: &OpBatch) -> BatchSummary {
    BatchSummary {
        first_node: b.from,
        last_node: b.to.saturating_sub(1),
        start_s: secs(b.start),
        evicted_s: b.evicted.map(secs),
        end_s: b.end.map(secs),
    }
}

/// The summary of one operation record.
pub fn operation(o: &OpRecord) -> OperationSummary {
    let c = &o.cost;
    // Untracked records (a failed reconfiguration's note) have an empty window at `at`.
    let (start, end) = if c.end >= c.start && c.end > 0 {
        (c.start, c.end)
    } else {
        (o.at, o.at)
    };
    OperationSummary {
        at_s: secs(o.at),
        kind: o.kind.clone(),
        pool: o.pool.clone(),
        detail: o.detail.clone(),
        evicted_jobs: o.evicted,
        end_s: secs(end),
        window_h: (end - start) as f64 / 3_600_000.0,
        finished: c.finished,
        refused_evictions: c.refused_evictions,
        timed_out: c.timed_out,
        lost_ref_gpu_hours: c.lost_ref_gpu_hours,
        unavailable_gpu_hours: c.unavailable_gpu_hours,
        jobs_submitted: c.jobs_submitted,
        wait_p50_s: c.wait_p50.map(|w| secs(w.ms)),
        wait_p95_s: c.wait_p95.map(|w| secs(w.ms)),
        wait_p50_censored: c.wait_p50.is_some_and(|w| w.censored),
        wait_p95_censored: c.wait_p95.is_some_and(|w| w.censored),
        batches: c.batches.iter().map(batch).collect(),
    }
}

/// One row of `operations.csv`: the summary without its batches (their count instead).
#[derive(Serialize)]
pub struct OperationRow<'a> {
    at_s: f64,
    kind: &'a str,
    pool: &'a str,
    end_s: f64,
    window_h: f64,
    finished: bool,
    batches: usize,
    evicted_jobs: u64,
    refused_evictions: u64,
    timed_out: bool,
    lost_ref_gpu_hours: f64,
    unavailable_gpu_hours: f64,
    jobs_submitted: u64,
    wait_p50_s: Option<f64>,
    wait_p95_s: Option<f64>,
    wait_p50_censored: bool,
    wait_p95_censored: bool,
    detail: &'a str,
}

pub fn rows(ops: &[OperationSummary]) -> Vec<OperationRow<'_>> {
    ops.iter()
        .map(|o| OperationRow {
            at_s: o.at_s,
            kind: &o.kind,
            pool: &o.pool,
            end_s: o.end_s,
            window_h: o.window_h,
            finished: o.finished,
            batches: o.batches.len(),
            evicted_jobs: o.evicted_jobs,
            refused_evictions: o.refused_evictions,
            timed_out: o.timed_out,
            lost_ref_gpu_hours: o.lost_ref_gpu_hours,
            unavailable_gpu_hours: o.unavailable_gpu_hours,
            jobs_submitted: o.jobs_submitted,
            wait_p50_s: o.wait_p50_s,
            wait_p95_s: o.wait_p95_s,
            wait_p50_censored: o.wait_p50_censored,
            wait_p95_censored: o.wait_p95_censored,
            detail: &o.detail,
        })
        .collect()
}

/// A wait for the terminal: hours, `>=` when a lower bound, `-` when no job was submitted.
fn wait_text(s: Option<f64>, censored: bool) -> String {
    match s {
        None => "-".into(),
        Some(s) => format!("{}{:.2} h", if censored { ">=" } else { "" }, s / 3600.0),
    }
}

/// The terminal line of one operation: what it did, then what it cost.
pub fn line(op: &OperationSummary) -> String {
    let mut out = format!(
        "at {:.1} h: {} {}: {} ({} jobs evicted)\n",
        op.at_s / 3600.0,
        op.kind,
        op.pool,
        op.detail,
        op.evicted_jobs
    );
    let mut cost = format!(
        "  cost: {:.2} h window{}, {:.1} GPU-h unavailable, {:.2} ref GPU-h lost, waits of {} jobs submitted meanwhile p50 {} p95 {}",
        op.window_h,
        if op.finished {
            ""
        } else {
            " (open at the end)"
        },
        op.unavailable_gpu_hours,
        op.lost_ref_gpu_hours,
        op.jobs_submitted,
        wait_text(op.wait_p50_s, op.wait_p50_censored),
        wait_text(op.wait_p95_s, op.wait_p95_censored),
    );
    if op.refused_evictions > 0 {
        cost.push_str(&format!(
            "; {} evictions refused by PodDisruptionBudgets",
            op.refused_evictions
        ));
    }
    if op.timed_out {
        cost.push_str("; gave up at its timeout");
    }
    out.push_str(&cost);
    out.push('\n');
    out
}
