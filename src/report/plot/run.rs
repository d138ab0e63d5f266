//! The plots of one run, built from its summary and the run's series: what each shows, with
//! which units. Pure data in, [`Plot`]s out (rendering is the caller's choice: SVG or PNG).

use super::bars::{Bars, Row};
use super::cdf::{Cdf, CdfSeries};
use super::heatmap::Heatmap;
use super::lines::{Lines, Series};
use super::{Chart, MAX_POINTS, Plot};
use crate::metrics::Sample;
use crate::report::Summary;
use crate::report::figures::priority_names;
use crate::sim::RunResult;
use crate::world::World;
use std::collections::BTreeMap;

/// Clusters up to this many GPUs keep per-GPU series (the run sets `Simulation::gpu_series`)
/// for the per-GPU heatmap and the MIG occupancy plot; larger ones leave those plots out, as
/// the series grow with GPUs x buckets.
pub const GPU_SERIES_MAX: u32 = 1024;

/// At most this many per-GPU rows (GPUs x report buckets) are kept for those plots. A row
/// costs about 170 bytes with its MIG instances' rows (`bench-100k`, 1,000 GPUs, a week of
/// 5-minute buckets: 2 million rows, 362 MB peak), so this bounds them near 360 MB: 1,024
/// GPUs over a week of 5-minute buckets, or 85 days of the default hourly ones. A week of
/// 1-minute buckets on 1,000 GPUs kept 10 million rows, 1.75 GB, for a heatmap of 48 x 48
/// cells.
pub const GPU_SERIES_MAX_ROWS: u64 = 1 << 21;

/// Why the run's per-GPU plots are left out unless it keeps per-GPU series for another reason
/// (the OpenMetrics export): None when they are drawn.
pub fn gpu_series_left_out(world: &World) -> Option<String> {
    let gpus: u32 = world.pools.iter().map(|p| p.gpu_count()).sum();
    let buckets = world.horizon.div_ceil(world.report_interval.max(1));
    if gpus > GPU_SERIES_MAX {
        return Some(format!("the cluster has more than {GPU_SERIES_MAX} GPUs"));
    }
    let rows = u64::from(gpus).saturating_mul(buckets);
    (rows > GPU_SERIES_MAX_ROWS).then(|| {
        format!(
            "{gpus} GPUs over {buckets} report buckets make {rows} per-GPU rows, more than \
             {GPU_SERIES_MAX_ROWS} (a longer report.interval keeps them)"
        )
    })
}

/// Rows and columns of the per-GPU heatmap at most (GPUs and buckets are averaged in groups).
pub const HEATMAP_CELLS: usize = 48;

/// Every plot of a run, in the order the report shows them.
pub fn plots(world: &World, r: &RunResult, s: &Summary) -> Vec<Plot> {
    let mut out = vec![
        pool_plot(
            r,
            "allocation",
            "allocated share of GPUs",
            |x| x.allocation,
            "Share of each pool's GPUs allocated to jobs (a time-sliced replica or MIG instance counts by the share it holds), per report bucket.",
        ),
        pool_plot(
            r,
            "busy",
            "GPU busy (nvidia-smi utilization)",
            |x| x.busy,
            "Share of time some kernel runs on each pool's GPUs (what nvidia-smi and DCGM GPU_UTIL show), per report bucket.",
        ),
        pool_plot(
            r,
            "sm-activity",
            "SM activity (DCGM SM_ACTIVE)",
            |x| x.sm_activity,
            "Share of the SMs busy, averaged over the pool's GPUs (what DCGM's SM_ACTIVE shows), per report bucket.",
        ),
        queue_plot(world, r, s),
        cdf_plot(
            "wait-cdf-priority",
            "Wait before first start, per priority class",
            priority_cdfs(world, r, s),
        ),
        cdf_plot(
            "wait-cdf-class",
            "Wait before first start, per workload class",
            class_cdfs(r, s),
        ),
    ];
    out.extend(cost_plots(s));
    out.push(pool_plot(r, "fragmentation", "fragmented share of free capacity", |x| x.fragmentation,
        "Share of each pool's free capacity that its typical requests cannot use (stranded), at the end of each report bucket."));
    if let Some(p) = mig_plot(r) {
        out.push(p);
    }
    if let Some(p) = gpu_heatmap(world, r) {
        out.push(p);
    }
    out
}

fn hours_mid(x: &Sample) -> f64 {
    (x.t_start_s + x.t_end_s) / 7200.0
}

/// One line per pool of `f` over the buckets of `pools.csv`, as a percentage.
fn pool_plot(r: &RunResult, id: &str, y_label: &str, f: fn(&Sample) -> f64, note: &str) -> Plot {
    let mut by_pool: Vec<Series> = Vec::new();
    for x in &r.samples {
        let i = match by_pool.iter().position(|s| s.name == x.pool) {
            Some(i) => i,
            None => {
                by_pool.push(Series {
                    name: x.pool.clone(),
                    points: Vec::new(),
                });
                by_pool.len() - 1
            }
        };
        by_pool[i].points.push((hours_mid(x), f(x)));
    }
    let title = format!("{} per pool", capitalise(y_label));
    Plot {
        id: id.into(),
        title,
        note: note.into(),
        chart: Chart::Lines(Lines::new(
            &format!("{y_label} (%)"),
            Some(1.0),
            true,
            by_pool,
        )),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The name a priority value goes by: its PriorityClass when exactly one has it.
fn priority_label(names: &BTreeMap<i32, String>, p: i32) -> String {
    match names.get(&p) {
        Some(n) => format!("{n} ({p})"),
        None => format!("priority {p}"),
    }
}

/// Pending jobs per priority value over time: the classes' queue depths summed by priority.
fn queue_plot(world: &World, r: &RunResult, s: &Summary) -> Plot {
    let names = priority_names(world);
    let prio_of: BTreeMap<&str, i32> = s
        .classes
        .iter()
        .map(|c| (c.name.as_str(), c.priority))
        .collect();
    // priority -> bucket end (ms) -> (bucket middle in hours, summed depth)
    let mut by: BTreeMap<i32, BTreeMap<i64, (f64, f64)>> = BTreeMap::new();
    for x in &r.class_samples {
        let Some(&p) = prio_of.get(x.class.as_str()) else {
            continue;
        };
        let key = (x.t_end_s * 1000.0).round() as i64;
        let e = by
            .entry(p)
            .or_default()
            .entry(key)
            .or_insert(((x.t_start_s + x.t_end_s) / 7200.0, 0.0));
        e.1 += x.queue_depth;
    }
    let series = by
        .iter()
        .rev()
        .map(|(p, pts)| Series {
            name: priority_label(&names, *p),
            points: pts.values().copied().collect(),
        })
        .collect();
    Plot {
        id: "queue-depth".into(),
        title: "Queue depth per priority class".into(),
        note: "Jobs pending (arrived, not running), time-averaged over each report bucket, summed over the classes of each priority value.".into(),
        chart: Chart::Lines(Lines::new("pending jobs", None, false, series)),
    }
}

fn cdf_plot(id: &str, title: &str, series: Vec<CdfSeries>) -> Plot {
    Plot {
        id: id.into(),
        title: title.into(),
        note: "Share of the jobs that arrived before the horizon which had started within a given wait. Jobs that never started (pending at the horizon or unschedulable) are censored: the curve stops below 100 % and a dashed stub marks their share.".into(),
        chart: Chart::Cdf(Cdf { series }),
    }
}

/// Never-started jobs of a group: pending at the horizon plus unschedulable.
fn censored(j: &crate::report::summary::JobCounts) -> u64 {
    j.pending + j.unschedulable
}

fn priority_cdfs(world: &World, r: &RunResult, s: &Summary) -> Vec<CdfSeries> {
    let names = priority_names(world);
    s.priorities
        .iter()
        .map(|p| {
            let waits = r
                .by_priority
                .get(&p.priority)
                .map(|g| g.waits_ms.sorted())
                .unwrap_or_default();
            CdfSeries::new(
                &priority_label(&names, p.priority),
                &waits,
                censored(&p.jobs.jobs),
                MAX_POINTS,
            )
        })
        .collect()
}

fn class_cdfs(r: &RunResult, s: &Summary) -> Vec<CdfSeries> {
    s.classes
        .iter()
        .zip(&r.classes)
        .map(|(c, st)| {
            CdfSeries::new(
                &c.name,
                &st.waits_ms.sorted(),
                censored(&c.jobs),
                MAX_POINTS,
            )
        })
        .collect()
}

/// The total cost split three ways: by pool (allocated and idle), by class and by namespace
/// (each with the idle cost as its own row, so every chart adds up to the run's total).
pub fn cost_plots(s: &Summary) -> Vec<Plot> {
    let parts = vec!["allocated to jobs".to_string(), "idle".to_string()];
    let idle_row = || Row {
        name: "idle (held by no job)".into(),
        values: vec![0.0, s.cost.idle_usd],
    };
    let bars = |rows: Vec<Row>| Bars {
        x_label: "cost over the run (USD)".into(),
        parts: parts.clone(),
        rows,
        unit_prefix: "$".into(),
    };
    let pools = s
        .pools
        .iter()
        .map(|p| Row {
            name: p.name.clone(),
            values: vec![p.allocated_cost_usd, p.idle_cost_usd],
        })
        .collect();
    let mut classes: Vec<Row> = s
        .classes
        .iter()
        .map(|c| Row {
            name: c.name.clone(),
            values: vec![c.cost_usd, 0.0],
        })
        .collect();
    classes.push(idle_row());
    let mut namespaces: Vec<Row> = s
        .namespaces
        .iter()
        .map(|n| Row {
            name: n.name.clone(),
            values: vec![n.jobs.cost_usd, 0.0],
        })
        .collect();
    namespaces.push(idle_row());
    let note = "GPU cost over the run: each job is charged the share it holds (a time-sliced replica, a MIG instance or a whole GPU); what no job held is idle. Every chart adds up to the run's total cost.";
    vec![
        Plot {
            id: "cost-pool".into(),
            title: "Cost by pool: allocated and idle".into(),
            note: note.into(),
            chart: Chart::Bars(bars(pools)),
        },
        Plot {
            id: "cost-class".into(),
            title: "Cost by workload class".into(),
            note: note.into(),
            chart: Chart::Bars(bars(classes)),
        },
        Plot {
            id: "cost-namespace".into(),
            title: "Cost by namespace".into(),
            note: note.into(),
            chart: Chart::Bars(bars(namespaces)),
        },
    ]
}

/// MIG instances held by a job, per profile, at the end of each bucket.
fn mig_plot(r: &RunResult) -> Option<Plot> {
    if r.instance_samples.is_empty() {
        return None;
    }
    // profile -> bucket end (ms) -> (held, present)
    let mut by: BTreeMap<&str, BTreeMap<u64, (u32, u32)>> = BTreeMap::new();
    for x in &r.instance_samples {
        let e = by
            .entry(&x.profile)
            .or_default()
            .entry(x.t_end)
            .or_default();
        e.1 += 1;
        if x.holder.is_some() {
            e.0 += 1;
        }
    }
    let series = by
        .iter()
        .map(|(p, pts)| {
            let present = pts.values().map(|v| v.1).max().unwrap_or(0);
            Series {
                name: format!("{p} (of {present})"),
                points: pts
                    .iter()
                    .map(|(t, (held, _))| (*t as f64 / 3_600_000.0, f64::from(*held)))
                    .collect(),
            }
        })
        .collect();
    Some(Plot {
        id: "mig-occupancy".into(),
        title: "MIG instances in use per profile".into(),
        note: "MIG instances held by a job at the end of each report bucket, per profile, over every MIG pool (the legend gives how many instances of the profile exist).".into(),
        chart: Chart::Lines(Lines::new("instances held by a job", None, false, series)),
    })
}

/// Per-GPU busy fraction over time; GPUs and buckets averaged in groups so the grid has at
/// most [`HEATMAP_CELLS`] rows and columns.
fn gpu_heatmap(world: &World, r: &RunResult) -> Option<Plot> {
    if r.gpu_samples.is_empty() {
        return None;
    }
    let gpus = r.gpu_samples.iter().map(|g| g.gpu).max()? as usize + 1;
    let mut times: Vec<u64> = r.gpu_samples.iter().map(|g| g.t_end).collect();
    times.sort_unstable();
    times.dedup();
    let col_of: BTreeMap<u64, usize> = times.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let rg = gpus.div_ceil(HEATMAP_CELLS);
    let cg = times.len().div_ceil(HEATMAP_CELLS);
    let rows = gpus.div_ceil(rg);
    let cols = times.len().div_ceil(cg);
    let mut sum = vec![vec![(0.0, 0u32); cols]; rows];
    for g in &r.gpu_samples {
        let cell = &mut sum[g.gpu as usize / rg][col_of[&g.t_end] / cg];
        cell.0 += g.busy;
        cell.1 += 1;
    }
    let values = sum
        .iter()
        .map(|row| {
            row.iter()
                .map(|(s, n)| (*n > 0).then(|| s / f64::from(*n)))
                .collect()
        })
        .collect();
    // Pool of each GPU index at the start (pools in scenario order).
    let mut pool_of = Vec::with_capacity(gpus);
    for p in &world.pools {
        for _ in 0..p.gpu_count() {
            pool_of.push(p.name.as_str());
        }
    }
    let row_label = |i: usize| {
        let (a, b) = (i * rg, ((i + 1) * rg).min(gpus) - 1);
        let pool = pool_of.get(a).copied().unwrap_or("");
        if a == b {
            format!("{pool} #{a}")
        } else {
            format!("{pool} #{a}-{b}")
        }
    };
    let columns = (0..cols)
        .map(|c| format!("{:.0}", times[c * cg] as f64 / 3_600_000.0))
        .collect();
    Some(Plot {
        id: "gpu-busy-heatmap".into(),
        title: "Busy fraction per GPU over time".into(),
        note: format!(
            "Each cell is the share of time some kernel ran on a GPU{} over {} report bucket(s); GPUs are numbered across pools in scenario order.",
            if rg > 1 {
                format!(" (averaged over groups of {rg} GPUs)")
            } else {
                String::new()
            },
            cg
        ),
        chart: Chart::Heatmap(Heatmap {
            x_label: "simulated time at the bucket's end (h)".into(),
            y_label: "GPU".into(),
            columns,
            rows: (0..rows).map(row_label).collect(),
            values,
            range: (0.0, 1.0),
            cell_text: false,
            percent: true,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in scenario (9 nodes of 8 GPUs, 72 GPUs, a 7-day horizon) at a report interval.
    fn built_in_every(interval_s: u64) -> World {
        let mut sc = crate::scenario::builtin().scenario;
        sc.report.interval = crate::units::Dur(interval_s * 1000);
        World::build(&sc).unwrap()
    }

    #[test]
    fn per_gpu_plots_are_left_out_past_the_row_budget() {
        // 604,800 s / 21 s = 28,800 buckets x 72 GPUs = 2,073,600 rows <= 2^21 = 2,097,152.
        assert_eq!(gpu_series_left_out(&built_in_every(21)), None);
        // 604,800 s / 20 s = 30,240 buckets x 72 GPUs = 2,177,280 rows > 2^21.
        assert_eq!(
            gpu_series_left_out(&built_in_every(20)).as_deref(),
            Some(
                "72 GPUs over 30240 report buckets make 2177280 per-GPU rows, more than 2097152 \
                 (a longer report.interval keeps them)"
            )
        );
        // The default hourly buckets keep them.
        assert_eq!(gpu_series_left_out(&built_in_every(3600)), None);
    }
}
