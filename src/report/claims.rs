//! The seed strategy's claims next to simulated figures (the "Seed claims" section of
//! `report.html`). Each claim gets the figure this run gives, the formula it was computed
//! with and a verdict against the claim's stated range. Two claims compare with an exclusive
//! baseline: the same scenario, seed and arrivals with every pool's sharing switched to
//! exclusive (see `run::exclusive_baseline`).

use super::summary::{PoolSummary, Summary};
use serde::Serialize;

/// The claimed typical utilization range of time-slicing.
pub const TS_UTIL_RANGE: (f64, f64) = (0.80, 0.90);
/// "3x utilization improvement": holds from this ratio up (3x within 10 %).
pub const IMPROVEMENT_MIN: f64 = 2.7;
/// "~33 % of dedicated": the cost ratio range read as "about a third".
pub const COST_RATIO_RANGE: (f64, f64) = (0.25, 0.41);
/// "Predictable latency": at most this share of service time below the speed target.
pub const MISS_MAX: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    NotReached,
    /// Better than claimed (above a range of utilization, below a cost range).
    Exceeded,
    /// The run has nothing the claim is about (no time-sliced pool, no baseline, ...).
    NotApplicable,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::NotReached => "not reached",
            Verdict::Exceeded => "exceeded (better than claimed)",
            Verdict::NotApplicable => "not applicable",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    pub id: &'static str,
    /// The claim as the seed strategy words it.
    pub claim: &'static str,
    /// The simulated figure (a share, a ratio), when the run has one.
    pub value: Option<f64>,
    /// How the figure is shown ("12.3 %", "2.10x").
    pub shown: String,
    pub verdict: Verdict,
    /// The formula, with this run's numbers in it.
    pub formula: String,
    /// Rows of (what, this run, exclusive baseline) that the figure was computed from.
    pub inputs: Vec<(String, String, String)>,
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// GPU-time-weighted busy fraction of `pools`, and their GPU-hours.
fn busy_of<'a>(pools: impl Iterator<Item = &'a PoolSummary>, horizon_s: f64) -> (f64, f64) {
    let (mut busy_h, mut gpu_h) = (0.0, 0.0);
    for p in pools {
        let h = p.gpus_avg * horizon_s / 3600.0;
        busy_h += p.busy * h;
        gpu_h += h;
    }
    (if gpu_h > 0.0 { busy_h / gpu_h } else { 0.0 }, gpu_h)
}

fn is_time_sliced(p: &PoolSummary) -> bool {
    p.sharing.starts_with("time_slicing")
}

fn is_mig(p: &PoolSummary) -> bool {
    p.sharing.starts_with("mig")
}

/// All four claims; `baseline` is the exclusive run (None: not run).
pub fn claims(s: &Summary, baseline: Option<&Summary>) -> Vec<Claim> {
    vec![
        ts_utilization(s, baseline),
        improvement(s, baseline),
        cost_per_workload(s, baseline),
        mig_latency(s, baseline),
    ]
}

fn ts_utilization(s: &Summary, baseline: Option<&Summary>) -> Claim {
    let ts: Vec<&PoolSummary> = s.pools.iter().filter(|p| is_time_sliced(p)).collect();
    let claim = "Time-slicing: 80-90 % typical GPU utilization";
    if ts.is_empty() {
        return not_applicable("ts-utilization", claim, "the run has no time-sliced pool");
    }
    let (busy, gpu_h) = busy_of(ts.iter().copied(), s.horizon_s);
    let (lo, hi) = TS_UTIL_RANGE;
    let verdict = if busy < lo {
        Verdict::NotReached
    } else if busy > hi {
        Verdict::Exceeded
    } else {
        Verdict::Holds
    };
    let names: Vec<&str> = ts.iter().map(|p| p.name.as_str()).collect();
    Claim {
        id: "ts-utilization",
        claim,
        value: Some(busy),
        shown: pct(busy),
        verdict,
        formula: format!(
            "utilization = sum over time-sliced pools ({}) of busy x GPU-hours / their GPU-hours ({gpu_h:.1}); holds within {:.0}-{:.0} %",
            names.join(", "),
            lo * 100.0,
            hi * 100.0
        ),
        inputs: ts
            .iter()
            .map(|p| {
                let base = baseline
                    .and_then(|b| b.pools.iter().find(|x| x.name == p.name))
                    .map_or(String::new(), |x| pct(x.busy));
                (format!("{} busy", p.name), pct(p.busy), base)
            })
            .collect(),
    }
}

fn not_applicable(id: &'static str, claim: &'static str, why: &str) -> Claim {
    Claim {
        id,
        claim,
        value: None,
        shown: "-".into(),
        verdict: Verdict::NotApplicable,
        formula: why.into(),
        inputs: Vec::new(),
    }
}

fn improvement(s: &Summary, baseline: Option<&Summary>) -> Claim {
    let claim = "Time-slicing: 3x utilization improvement (3 replicas per GPU)";
    let Some(b) = baseline else {
        return not_applicable(
            "ts-improvement",
            claim,
            "the exclusive baseline was not run",
        );
    };
    let ts: Vec<&PoolSummary> = s.pools.iter().filter(|p| is_time_sliced(p)).collect();
    if ts.is_empty() {
        return not_applicable("ts-improvement", claim, "the run has no time-sliced pool");
    }
    let (shared, _) = busy_of(ts.iter().copied(), s.horizon_s);
    let (excl, _) = busy_of(
        b.pools
            .iter()
            .filter(|p| ts.iter().any(|t| t.name == p.name)),
        b.horizon_s,
    );
    if excl <= 0.0 {
        return not_applicable(
            "ts-improvement",
            claim,
            "the exclusive baseline kept these pools idle (ratio undefined)",
        );
    }
    let ratio = shared / excl;
    Claim {
        id: "ts-improvement",
        claim,
        value: Some(ratio),
        shown: format!("{ratio:.2}x"),
        verdict: if ratio >= IMPROVEMENT_MIN {
            Verdict::Holds
        } else {
            Verdict::NotReached
        },
        formula: format!(
            "improvement = busy of the time-sliced pools ({}) / busy of the same pools run exclusive ({}); holds from {IMPROVEMENT_MIN}x (3x within 10 %)",
            pct(shared),
            pct(excl)
        ),
        inputs: ts
            .iter()
            .map(|p| {
                let e = b.pools.iter().find(|x| x.name == p.name);
                (
                    format!("{} busy", p.name),
                    pct(p.busy),
                    e.map_or("-".into(), |e| pct(e.busy)),
                )
            })
            .collect(),
    }
}

/// Cost per completed job (USD), None without completions.
fn per_job(s: &Summary) -> Option<f64> {
    (s.jobs.completed > 0).then(|| s.cost.total_usd / s.jobs.completed as f64)
}

fn money(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("${v:.2}"))
}

fn wait_p95(s: &Summary) -> String {
    // The cluster-wide p95 is not kept; the highest class p95 bounds every class's.
    let worst = s
        .classes
        .iter()
        .filter_map(|c| c.wait.p95_s.map(|w| (w, c.name.as_str())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    worst.map_or("-".into(), |(w, n)| format!("{:.2} h ({n})", w / 3600.0))
}

fn cost_per_workload(s: &Summary, baseline: Option<&Summary>) -> Claim {
    let claim = "Cost per workload about 33 % of dedicated GPUs";
    let Some(b) = baseline else {
        return not_applicable(
            "cost-per-workload",
            claim,
            "the exclusive baseline was not run",
        );
    };
    let (Some(shared), Some(excl)) = (per_job(s), per_job(b)) else {
        return not_applicable(
            "cost-per-workload",
            claim,
            "a run completed no job (cost per job undefined)",
        );
    };
    let ratio = shared / excl;
    let (lo, hi) = COST_RATIO_RANGE;
    let verdict = if ratio < lo {
        Verdict::Exceeded
    } else if ratio > hi {
        Verdict::NotReached
    } else {
        Verdict::Holds
    };
    Claim {
        id: "cost-per-workload",
        claim,
        value: Some(ratio),
        shown: pct(ratio),
        verdict,
        formula: format!(
            "ratio = (total cost / completed jobs) shared ({}) / the same in the exclusive baseline ({}); holds within {:.0}-{:.0} %. Total cost includes idle GPUs, so the ratio does not depend on how cost is attributed to jobs (prices.attribution): a per-job cost by share held would be 1/replicas of a whole GPU by definition",
            money(Some(shared)),
            money(Some(excl)),
            lo * 100.0,
            hi * 100.0
        ),
        inputs: vec![
            (
                "total cost".into(),
                money(Some(s.cost.total_usd)),
                money(Some(b.cost.total_usd)),
            ),
            (
                "completed jobs".into(),
                s.jobs.completed.to_string(),
                b.jobs.completed.to_string(),
            ),
            (
                "jobs never started (pending at horizon + unschedulable)".into(),
                (s.jobs.pending + s.jobs.unschedulable).to_string(),
                (b.jobs.pending + b.jobs.unschedulable).to_string(),
            ),
            (
                "USD per useful reference GPU-hour".into(),
                money(s.cost.usd_per_useful_ref_gpu_hour),
                money(b.cost.usd_per_useful_ref_gpu_hour),
            ),
            ("highest class p95 wait".into(), wait_p95(s), wait_p95(b)),
        ],
    }
}

fn mig_latency(s: &Summary, baseline: Option<&Summary>) -> Claim {
    let claim = "MIG: predictable latency for inference (hardware isolation)";
    let mig: Vec<&str> = s
        .pools
        .iter()
        .filter(|p| is_mig(p))
        .map(|p| p.name.as_str())
        .collect();
    let services: Vec<_> = s
        .classes
        .iter()
        .filter(|c| c.below_speed_target.is_some())
        .filter(|c| c.ran_in.keys().any(|p| mig.contains(&p.as_str())))
        .collect();
    if services.is_empty() {
        return not_applicable(
            "mig-latency",
            claim,
            "no service with a speed target ran on a MIG pool",
        );
    }
    let worst = services
        .iter()
        .filter_map(|c| c.below_speed_target)
        .fold(0.0, f64::max);
    let base = |name: &str| {
        baseline
            .and_then(|b| b.classes.iter().find(|c| c.name == name))
            .and_then(|c| c.below_speed_target)
            .map_or("-".into(), pct)
    };
    Claim {
        id: "mig-latency",
        claim,
        value: Some(worst),
        shown: pct(worst),
        verdict: if worst <= MISS_MAX {
            Verdict::Holds
        } else {
            Verdict::NotReached
        },
        formula: format!(
            "figure = the highest, over services that ran on MIG pools, of time below the speed target / service run time; holds at {} or less. Where a service has a request stream, its p95 request latency and SLO misses are shown beside it (docs/MODEL.md, \"Service latency\"); the baseline serves the same requests on whole GPUs",
            pct(MISS_MAX)
        ),
        inputs: services
            .iter()
            .flat_map(|c| {
                let mut rows = vec![(
                    format!("{} below speed target", c.name),
                    c.below_speed_target.map_or("-".into(), pct),
                    base(&c.name),
                )];
                if let Some(l) = &c.latency {
                    let b = baseline
                        .and_then(|b| b.classes.iter().find(|x| x.name == c.name))
                        .and_then(|x| x.latency.as_ref());
                    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0} ms"));
                    rows.push((
                        format!("{} p95 request latency", c.name),
                        ms(l.p95_ms),
                        ms(b.and_then(|b| b.p95_ms)),
                    ));
                    rows.push((
                        format!("{} requests over the {} ms SLO", c.name, l.slo_ms),
                        l.slo_miss.map_or("-".into(), pct),
                        b.and_then(|b| b.slo_miss).map_or("-".into(), pct),
                    ));
                }
                rows
            })
            .collect(),
    }
}
