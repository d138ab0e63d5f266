//! The full terminal summary (`run --wide`); the default one is `brief.rs`.

use super::summary::{Summary, Waits};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

pub(super) fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub(super) fn secs(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(s) if s < 120.0 => format!("{s:.0}s"),
        Some(s) if s < 7200.0 => format!("{:.1}m", s / 60.0),
        Some(s) => format!("{:.1}h", s / 3600.0),
    }
}

/// Which wait percentile a cell shows.
#[derive(Clone, Copy)]
pub(super) enum P {
    P50,
    P95,
    P99,
}

/// A wait percentile: `≥12.5h` when it is only a lower bound (it falls among jobs that never
/// started, docs/MODEL.md), `-` when there were no jobs.
pub(super) fn wait(w: &Waits, p: P) -> String {
    let (v, censored) = match p {
        P::P50 => (w.p50_s, w.p50_censored),
        P::P95 => (w.p95_s, w.p95_censored),
        P::P99 => (w.p99_s, w.p99_censored),
    };
    if censored {
        format!("≥{}", secs(v))
    } else {
        secs(v)
    }
}

/// Dollars with cents.
pub(super) fn usd(x: f64) -> String {
    format!("{:.2}", cents(x))
}

/// `$total = $allocated allocated + $idle idle` in dollars and cents. Idle is total −
/// allocated taken from the rounded figures, so the line adds up to the cent.
pub(super) fn cost_split(total: f64, allocated: f64) -> String {
    format!(
        "${} = ${} allocated + ${} idle",
        usd(total),
        usd(allocated),
        usd(cents(total) - cents(allocated))
    )
}

/// `x` rounded to whole cents.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn render(s: &Summary) -> String {
    let mut out = header(s);
    out.push_str(&pool_table(s).to_string());
    out.push('\n');
    out.push_str(&class_table(s).to_string());
    out.push('\n');
    if let Some(mut t) = super::latency_table::latency_table(s) {
        t.load_preset(UTF8_FULL_CONDENSED);
        out.push_str(&t.to_string());
        out.push('\n');
    }
    footer(s, &mut out);
    out
}

/// Scenario, seed, horizon, policy and job counts.
pub(super) fn header(s: &Summary) -> String {
    let mut out = String::new();
    let j = &s.jobs;
    out.push_str(&format!(
        "scenario {}  seed {}  horizon {:.1} h  policy {}\n\
         jobs {}: {} completed, {} running, {} pending, {} failed, {} unschedulable, {} after horizon\n",
        s.scenario,
        s.seed,
        s.horizon_s / 3600.0,
        s.policy,
        j.total,
        j.completed,
        j.running,
        j.pending,
        j.failed,
        j.unschedulable,
        j.after_horizon
    ));
    out
}

/// One row per pool.
fn pool_table(s: &Summary) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "pool",
        "gpu",
        "sharing",
        "GPUs",
        "alloc",
        "busy",
        "SM act",
        "frag",
        "useful ref-GPU-h",
        "wait p50",
        "p95",
        "p99",
        "never started",
        "OOM",
        "cost $",
        "idle $",
    ]);
    for p in &s.pools {
        t.add_row(vec![
            p.name.clone(),
            p.gpu.clone(),
            p.sharing.clone(),
            p.gpus.to_string(),
            pct(p.allocation),
            pct(p.busy),
            pct(p.sm_activity),
            pct(p.fragmentation),
            format!("{:.0}", p.useful_ref_gpu_hours),
            wait(&p.wait, P::P50),
            wait(&p.wait, P::P95),
            wait(&p.wait, P::P99),
            p.wait.never_started.to_string(),
            p.oom_failures.to_string(),
            usd(p.cost_usd),
            usd(p.idle_cost_usd),
        ]);
    }
    t
}

/// One row per class.
fn class_table(s: &Summary) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "class",
        "kind",
        "prio",
        "jobs",
        "done",
        "wait p50",
        "p95",
        "p99",
        "never started",
        "queue",
        "OOM",
        "preempted",
        "evicted",
        "fallback",
        "cost $",
        "below target",
    ]);
    for c in &s.classes {
        t.add_row(vec![
            c.name.clone(),
            c.kind.clone(),
            c.priority.to_string(),
            c.jobs.total.to_string(),
            c.jobs.completed.to_string(),
            wait(&c.wait, P::P50),
            wait(&c.wait, P::P95),
            wait(&c.wait, P::P99),
            c.wait.never_started.to_string(),
            format!("{:.1}", c.queue_depth),
            c.oom_failures.to_string(),
            c.preemptions.to_string(),
            c.evictions.to_string(),
            c.fallbacks.to_string(),
            usd(c.cost_usd),
            c.below_speed_target.map(pct).unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

/// The cost line, then unschedulable reasons, namespace quotas and timed operations.
pub(super) fn footer(s: &Summary, out: &mut String) {
    let c = &s.cost;
    out.push_str(&format!(
        "cost {}; {:.0} useful reference GPU-hours",
        cost_split(c.total_usd, c.allocated_usd),
        c.useful_ref_gpu_hours
    ));
    if let Some(u) = c.usd_per_useful_ref_gpu_hour {
        out.push_str(&format!(" (${u:.2} per useful reference GPU-hour)"));
    }
    out.push('\n');
    if c.attribution != "held" {
        out.push_str(&format!(
            "allocated cost attributed by GPU time {} (prices.attribution)\n",
            c.attribution
        ));
    }
    for (why, n) in &s.unschedulable {
        out.push_str(&format!("unschedulable x{n}: {why}\n"));
    }
    if let Some(g) = &s.gangs {
        out.push_str(&g.line());
    }
    for ns in s.namespaces.iter().filter(|n| !n.quota.is_empty()) {
        let quota: Vec<String> = ns.quota.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!(
            "namespace {} quota {}: {} jobs blocked for {:.1} h in all ({} refusals)\n",
            ns.name,
            quota.join(","),
            ns.quota_blocked_jobs,
            ns.quota_blocked_hours,
            ns.quota_refusals
        ));
    }
    for op in &s.operations {
        out.push_str(&super::operations::line(op));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_line_shows_cents_and_adds_up() {
        // Regression (issue 15): $21.4 total of which $10.6 allocated read "$21 = $11 + $10".
        assert_eq!(
            cost_split(21.4, 10.6),
            "$21.40 = $10.60 allocated + $10.80 idle"
        );
        // Rounding each figure on its own would give 0.01 + 0.01 != 0.01 (0.005 + 0.005 =
        // 0.01): idle is taken from the rounded figures, 0.01 - 0.01 = 0.00.
        assert_eq!(
            cost_split(0.0104, 0.0051),
            "$0.01 = $0.01 allocated + $0.00 idle"
        );
    }

    #[test]
    fn a_censored_wait_reads_as_a_lower_bound() {
        let w = Waits {
            p50_s: Some(30.0),
            p95_s: Some(45_000.0),
            p99_s: None,
            p50_censored: false,
            p95_censored: true,
            p99_censored: false,
            started: 3,
            never_started: 2,
        };
        assert_eq!(wait(&w, P::P50), "30s");
        assert_eq!(wait(&w, P::P95), "≥12.5h");
        assert_eq!(wait(&w, P::P99), "-");
    }
}
