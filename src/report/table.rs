//! The full terminal summary (`run --wide`); the default one is `brief.rs`.

use super::summary::Summary;
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
            secs(p.wait.p50_s),
            secs(p.wait.p95_s),
            secs(p.wait.p99_s),
            p.oom_failures.to_string(),
            format!("{:.0}", p.cost_usd),
            format!("{:.0}", p.idle_cost_usd),
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
            secs(c.wait.p50_s),
            secs(c.wait.p95_s),
            secs(c.wait.p99_s),
            format!("{:.1}", c.queue_depth),
            c.oom_failures.to_string(),
            c.preemptions.to_string(),
            c.evictions.to_string(),
            c.fallbacks.to_string(),
            format!("{:.0}", c.cost_usd),
            c.below_speed_target.map(pct).unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

/// The cost line, then unschedulable reasons, namespace quotas and timed operations.
pub(super) fn footer(s: &Summary, out: &mut String) {
    let c = &s.cost;
    out.push_str(&format!(
        "cost ${:.0} = ${:.0} allocated + ${:.0} idle; {:.0} useful reference GPU-hours",
        c.total_usd, c.allocated_usd, c.idle_usd, c.useful_ref_gpu_hours
    ));
    if let Some(u) = c.usd_per_useful_ref_gpu_hour {
        out.push_str(&format!(" (${u:.2} per useful reference GPU-hour)"));
    }
    out.push('\n');
    for (why, n) in &s.unschedulable {
        out.push_str(&format!("unschedulable x{n}: {why}\n"));
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
        out.push_str(&format!(
            "at {:.1} h: {} {}: {} ({} jobs evicted)\n",
            op.at_s / 3600.0,
            op.kind,
            op.pool,
            op.detail,
            op.evicted_jobs
        ));
    }
}
