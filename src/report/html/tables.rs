//! The tables of `report.html`: pools, workload classes, priority classes, namespaces with
//! their quotas, unschedulable jobs and timed operations. Every figure cell is tied to
//! `summary.json` by its JSON pointer (`data-key`).

use super::{Fmt, Page, cell, fig, token};
use crate::report::Summary;

fn waits(key: &str, w: &crate::report::summary::Waits) -> [String; 3] {
    [
        fig(&format!("{key}/wait/p50_s"), Fmt::Hours, w.p50_s),
        fig(&format!("{key}/wait/p95_s"), Fmt::Hours, w.p95_s),
        fig(&format!("{key}/wait/p99_s"), Fmt::Hours, w.p99_s),
    ]
}

pub fn pools(page: &mut Page, s: &Summary) {
    page.section("pools", "Pools");
    let rows: Vec<Vec<String>> = s
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let k = format!("/pools/{i}");
            let mut r = vec![
                cell(&p.name),
                cell(&p.gpu),
                cell(&match &p.mig_layout {
                    Some(l) => format!("{} ({l})", p.sharing),
                    None => p.sharing.clone(),
                }),
                fig(&format!("{k}/gpus"), Fmt::Int, Some(f64::from(p.gpus))),
                fig(&format!("{k}/allocation"), Fmt::Pct, Some(p.allocation)),
                fig(&format!("{k}/busy"), Fmt::Pct, Some(p.busy)),
                fig(&format!("{k}/sm_activity"), Fmt::Pct, Some(p.sm_activity)),
                fig(
                    &format!("{k}/fragmentation"),
                    Fmt::Pct,
                    Some(p.fragmentation),
                ),
                fig(&format!("{k}/queue_depth"), Fmt::Num, Some(p.queue_depth)),
            ];
            r.extend(waits(&k, &p.wait));
            r.extend([
                fig(
                    &format!("{k}/preemptions"),
                    Fmt::Int,
                    Some(p.preemptions as f64),
                ),
                fig(
                    &format!("{k}/oom_failures"),
                    Fmt::Int,
                    Some(p.oom_failures as f64),
                ),
                fig(&format!("{k}/cost_usd"), Fmt::Usd, Some(p.cost_usd)),
                fig(
                    &format!("{k}/allocated_cost_usd"),
                    Fmt::Usd,
                    Some(p.allocated_cost_usd),
                ),
                fig(
                    &format!("{k}/idle_cost_usd"),
                    Fmt::Usd,
                    Some(p.idle_cost_usd),
                ),
            ]);
            r
        })
        .collect();
    page.table(
        "pools-table",
        &[
            "pool",
            "GPU",
            "sharing",
            "GPUs",
            "allocated",
            "busy",
            "SM active",
            "fragmented",
            "queue depth",
            "wait p50",
            "wait p95",
            "wait p99",
            "preemptions",
            "OOM",
            "cost",
            "allocated cost",
            "idle cost",
        ],
        &rows,
    );
}

pub fn classes(page: &mut Page, s: &Summary) {
    page.section("classes", "Workload classes");
    let rows: Vec<Vec<String>> = s
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let k = format!("/classes/{i}");
            let mut r = vec![
                cell(&c.name),
                cell(&c.kind),
                cell(&c.namespace),
                fig(
                    &format!("{k}/priority"),
                    Fmt::Int,
                    Some(f64::from(c.priority)),
                ),
            ];
            r.extend(job_counts(&k, &c.jobs));
            r.extend(waits(&k, &c.wait));
            r.extend([
                fig(&format!("{k}/queue_depth"), Fmt::Num, Some(c.queue_depth)),
                fig(
                    &format!("{k}/preemptions"),
                    Fmt::Int,
                    Some(c.preemptions as f64),
                ),
                fig(
                    &format!("{k}/fallbacks"),
                    Fmt::Int,
                    Some(c.fallbacks as f64),
                ),
                fig(
                    &format!("{k}/useful_ref_gpu_hours"),
                    Fmt::Num,
                    Some(c.useful_ref_gpu_hours),
                ),
                fig(&format!("{k}/cost_usd"), Fmt::Usd, Some(c.cost_usd)),
                fig(
                    &format!("{k}/cost_per_started_job_usd"),
                    Fmt::Usd,
                    c.cost_per_started_job_usd,
                ),
                fig(
                    &format!("{k}/below_speed_target"),
                    Fmt::Pct,
                    c.below_speed_target,
                ),
            ]);
            r
        })
        .collect();
    page.table(
        "classes-table",
        &[
            "class",
            "kind",
            "namespace",
            "priority",
            "jobs",
            "completed",
            "pending",
            "unschedulable",
            "wait p50",
            "wait p95",
            "wait p99",
            "queue depth",
            "preemptions",
            "fallbacks",
            "useful ref GPU-h",
            "cost",
            "cost per started job",
            "below speed target",
        ],
        &rows,
    );
}

/// Total, completed, pending and unschedulable jobs under JSON pointer `k` (`k/jobs/...`).
fn job_counts(k: &str, j: &crate::report::summary::JobCounts) -> [String; 4] {
    [
        ("total", j.total),
        ("completed", j.completed),
        ("pending", j.pending),
        ("unschedulable", j.unschedulable),
    ]
    .map(|(name, n)| fig(&format!("{k}/jobs/{name}"), Fmt::Int, Some(n as f64)))
}

fn group_cells(k: &str, g: &crate::report::summary::GroupSummary) -> Vec<String> {
    let mut r = job_counts(k, &g.jobs).to_vec();
    r.extend(waits(k, &g.wait));
    r.extend([
        fig(
            &format!("{k}/preemptions"),
            Fmt::Int,
            Some(g.preemptions as f64),
        ),
        fig(
            &format!("{k}/useful_ref_gpu_hours"),
            Fmt::Num,
            Some(g.useful_ref_gpu_hours),
        ),
        fig(&format!("{k}/cost_usd"), Fmt::Usd, Some(g.cost_usd)),
    ]);
    r
}

const GROUP_HEAD: [&str; 10] = [
    "jobs",
    "completed",
    "pending",
    "unschedulable",
    "wait p50",
    "wait p95",
    "wait p99",
    "preemptions",
    "useful ref GPU-h",
    "cost",
];

pub fn priorities(page: &mut Page, s: &Summary) {
    page.section("priorities", "Priority classes");
    let rows: Vec<Vec<String>> = s
        .priorities
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let k = format!("/priorities/{i}");
            let mut r = vec![fig(
                &format!("{k}/priority"),
                Fmt::Int,
                Some(f64::from(p.priority)),
            )];
            r.extend(group_cells(&k, &p.jobs));
            r
        })
        .collect();
    let mut head = vec!["priority value"];
    head.extend(GROUP_HEAD);
    page.table("priorities-table", &head, &rows);
}

pub fn namespaces(page: &mut Page, s: &Summary) {
    page.section("namespaces", "Namespaces and quotas");
    let rows: Vec<Vec<String>> = s
        .namespaces
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let k = format!("/namespaces/{i}");
            let mut r = vec![cell(&n.name)];
            r.extend(group_cells(&k, &n.jobs));
            let quota: Vec<String> = n
                .quota
                .iter()
                .map(|(res, hard)| {
                    let peak = n.peak_used.get(res).copied().unwrap_or(0);
                    format!("{res}: {hard} (peak used {peak})")
                })
                .collect();
            r.push(cell(&if quota.is_empty() {
                "none".into()
            } else {
                quota.join("; ")
            }));
            r.extend([
                fig(
                    &format!("{k}/quota_blocked_jobs"),
                    Fmt::Int,
                    Some(n.quota_blocked_jobs as f64),
                ),
                fig(
                    &format!("{k}/quota_blocked_hours"),
                    Fmt::Num,
                    Some(n.quota_blocked_hours),
                ),
                fig(
                    &format!("{k}/quota_refusals"),
                    Fmt::Int,
                    Some(n.quota_refusals as f64),
                ),
            ]);
            r
        })
        .collect();
    let mut head = vec!["namespace"];
    head.extend(GROUP_HEAD);
    head.extend([
        "ResourceQuota (hard, peak used)",
        "jobs held by quota",
        "hours held by quota",
        "quota refusals",
    ]);
    page.table("namespaces-table", &head, &rows);
}

pub fn unschedulable(page: &mut Page, s: &Summary) {
    page.section("unschedulable", "Unschedulable jobs");
    if s.unschedulable.is_empty() {
        page.para("note", "No job was unschedulable.");
        return;
    }
    let rows: Vec<Vec<String>> = s
        .unschedulable
        .iter()
        .map(|(why, n)| {
            vec![
                cell(why),
                fig(
                    &format!("/unschedulable/{}", token(why)),
                    Fmt::Int,
                    Some(*n as f64),
                ),
            ]
        })
        .collect();
    page.table("unschedulable-table", &["reason", "jobs"], &rows);
    let per_class: Vec<Vec<String>> = s
        .classes
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.unschedulable.iter().map(move |(why, n)| {
                vec![
                    cell(&c.name),
                    cell(why),
                    fig(
                        &format!("/classes/{i}/unschedulable/{}", token(why)),
                        Fmt::Int,
                        Some(*n as f64),
                    ),
                ]
            })
        })
        .collect();
    page.table(
        "unschedulable-class-table",
        &["class", "reason", "jobs"],
        &per_class,
    );
}

pub fn operations(page: &mut Page, s: &Summary) {
    page.section("operations", "Timed operations");
    if s.operations.is_empty() {
        page.para(
            "note",
            "The scenario has no timed operation (drain, reconfigure, resize).",
        );
        return;
    }
    let rows: Vec<Vec<String>> = s
        .operations
        .iter()
        .enumerate()
        .map(|(i, o)| {
            vec![
                fig(&format!("/operations/{i}/at_s"), Fmt::Hours, Some(o.at_s)),
                cell(&o.kind),
                cell(&o.pool),
                cell(&o.detail),
                fig(
                    &format!("/operations/{i}/evicted_jobs"),
                    Fmt::Int,
                    Some(o.evicted_jobs as f64),
                ),
                fig(&format!("/operations/{i}/end_s"), Fmt::Hours, Some(o.end_s)),
                fig(
                    &format!("/operations/{i}/unavailable_gpu_hours"),
                    Fmt::Num,
                    Some(o.unavailable_gpu_hours),
                ),
                fig(
                    &format!("/operations/{i}/lost_ref_gpu_hours"),
                    Fmt::Num,
                    Some(o.lost_ref_gpu_hours),
                ),
                fig(
                    &format!("/operations/{i}/jobs_submitted"),
                    Fmt::Int,
                    Some(o.jobs_submitted as f64),
                ),
                fig(
                    &format!("/operations/{i}/wait_p50_s"),
                    Fmt::Hours,
                    o.wait_p50_s,
                ),
                fig(
                    &format!("/operations/{i}/wait_p95_s"),
                    Fmt::Hours,
                    o.wait_p95_s,
                ),
            ]
        })
        .collect();
    page.table(
        "operations-table",
        &[
            "at",
            "operation",
            "pool",
            "detail",
            "jobs evicted",
            "window ends",
            "GPU-h unavailable",
            "ref GPU-h lost",
            "jobs submitted in window",
            "their wait p50",
            "their wait p95",
        ],
        &rows,
    );
}
