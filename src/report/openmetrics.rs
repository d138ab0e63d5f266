//! The run's time series in the OpenMetrics text format under DCGM exporter names
//! (`run --openmetrics FILE`; docs/OUTPUTS.md, "OpenMetrics"), for
//! `promtool tsdb create-blocks-from openmetrics` and an existing DCGM Grafana dashboard.
//!
//! Written by hand rather than with a crate: the maintained encoders (`prometheus-client`,
//! `prometheus`) encode a live registry's current values and cannot put many timestamped
//! points of one series into the text, which is all a backfill file is. The grammar used is
//! small (TYPE / UNIT / HELP lines, `name{labels} value timestamp`, `# EOF`) and
//! `tests/openmetrics.rs` checks it with a strict parser and with promtool when present.

use crate::metrics::gpu_series::Holder;
use crate::sim::RunResult;
use crate::units::SimTime;
use crate::world::World;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The start date when none is given: the simulated time 0 is this instant.
pub const DEFAULT_START: &str = "2026-01-01T00:00:00Z";

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Gauge,
    Counter,
    Summary,
}

/// A point: timestamp (Unix ms) and value; a summary's value is (count, sum).
#[derive(Clone, Copy)]
enum Value {
    One(f64),
    CountSum(u64, f64),
}

struct Family {
    name: &'static str,
    kind: Kind,
    unit: Option<&'static str>,
    help: &'static str,
    /// Label set (rendered) -> points in time order.
    series: BTreeMap<String, Vec<(i64, Value)>>,
}

impl Family {
    fn new(name: &'static str, kind: Kind, unit: Option<&'static str>, help: &'static str) -> Self {
        Family {
            name,
            kind,
            unit,
            help,
            series: BTreeMap::new(),
        }
    }

    fn push(&mut self, labels: &str, ts: i64, v: Value) {
        self.series
            .entry(labels.to_string())
            .or_default()
            .push((ts, v));
    }

    fn render(&self, out: &mut String) {
        let kind = match self.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Summary => "summary",
        };
        let _ = writeln!(out, "# TYPE {} {kind}", self.name);
        if let Some(u) = self.unit {
            let _ = writeln!(out, "# UNIT {} {u}", self.name);
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        for (labels, points) in &self.series {
            for &(ts, v) in points {
                let ts = timestamp(ts);
                match v {
                    Value::One(x) => {
                        let suffix = if self.kind == Kind::Counter {
                            "_total"
                        } else {
                            ""
                        };
                        let _ = writeln!(out, "{}{suffix}{labels} {} {ts}", self.name, num(x));
                    }
                    Value::CountSum(c, s) => {
                        let _ = writeln!(out, "{}_count{labels} {c} {ts}", self.name);
                        let _ = writeln!(out, "{}_sum{labels} {} {ts}", self.name, num(s));
                    }
                }
            }
        }
    }
}

/// Seconds since the epoch with millisecond precision.
fn timestamp(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    format!("{sign}{}.{:03}", a / 1000, a % 1000)
}

/// A finite number as OpenMetrics reads it (Rust prints no exponent; -0 becomes 0).
fn num(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x}") }
}

/// `{k="v",...}` with `\`, `"` and newlines escaped; empty values are left out.
fn labels(pairs: &[(&str, &str)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

/// What DCGM's exporter says about a GPU: host, device index on it, UUID, model.
struct GpuLabels {
    pool: String,
    gpu: String,
    device: String,
    uuid: String,
    model: String,
    host: String,
    fb_total_mib: f64,
}

fn gpu_labels(world: &World) -> Vec<GpuLabels> {
    let cluster = world.cluster();
    cluster
        .gpus
        .iter()
        .enumerate()
        .map(|(g, gs)| {
            let p = &cluster.pools[gs.pool as usize];
            let index = (g as u32 - p.first_gpu) % p.gpus_per_node.max(1);
            GpuLabels {
                pool: p.name.clone(),
                gpu: index.to_string(),
                device: format!("nvidia{index}"),
                // UUID-shaped and stable: pool index and cluster-wide GPU index.
                uuid: format!("GPU-{:08x}-0000-4000-8000-{g:012x}", gs.pool),
                model: p.model.name.clone(),
                host: format!("{}-node-{}", p.name, gs.node),
                fb_total_mib: mib(p.model.memory_gib),
            }
        })
        .collect()
}

fn holder_pairs(h: &Option<Holder>) -> (String, String) {
    match h {
        Some(h) => (String::from(&*h.namespace), format!("job-{}", h.job)),
        None => (String::new(), String::new()),
    }
}

fn mib(gib: f64) -> f64 {
    (gib * 1024.0).round()
}

/// The OpenMetrics text of a run's series, simulated time 0 at `start_unix_ms`. The GPU and
/// MIG-instance families are empty unless the run kept per-GPU series
/// (`Simulation::gpu_series`).
pub fn render(world: &World, r: &RunResult, start_unix_ms: i64) -> String {
    let at = |t: SimTime| start_unix_ms + t as i64;
    let at_s = |s: f64| start_unix_ms + (s * 1000.0).round() as i64;
    let mut util = Family::new(
        "DCGM_FI_DEV_GPU_UTIL",
        Kind::Gauge,
        None,
        "Simulated: percent of the interval in which the GPU ran any kernel.",
    );
    let mut gr = Family::new(
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        Kind::Gauge,
        None,
        "Simulated: fraction of the interval the GPU (or MIG instance) had work resident.",
    );
    let mut sm = Family::new(
        "DCGM_FI_PROF_SM_ACTIVE",
        Kind::Gauge,
        None,
        "Simulated: mean fraction of SMs busy over the interval.",
    );
    let mut fb_used = Family::new(
        "DCGM_FI_DEV_FB_USED",
        Kind::Gauge,
        None,
        "Simulated: MiB of device memory the holders declared, at the interval end.",
    );
    let mut fb_free = Family::new(
        "DCGM_FI_DEV_FB_FREE",
        Kind::Gauge,
        None,
        "Simulated: MiB of device memory left, at the interval end.",
    );
    let gpus = gpu_labels(world);
    for s in &r.gpu_samples {
        let l = &gpus[s.gpu as usize];
        let (ns, pod) = holder_pairs(&s.holder);
        let set = labels(&[
            ("gpu", &l.gpu),
            ("UUID", &l.uuid),
            ("device", &l.device),
            ("modelName", &l.model),
            ("Hostname", &l.host),
            ("pool", &l.pool),
            ("namespace", &ns),
            ("pod", &pod),
        ]);
        let ts = at(s.t_end);
        let total = l.fb_total_mib;
        let used = mib(s.fb_used_gib).min(total);
        util.push(&set, ts, Value::One((s.busy * 100.0).round()));
        gr.push(&set, ts, Value::One(s.busy));
        sm.push(&set, ts, Value::One(s.sm_activity));
        fb_used.push(&set, ts, Value::One(used));
        fb_free.push(&set, ts, Value::One(total - used));
    }
    for s in &r.instance_samples {
        let l = &gpus[s.gpu as usize];
        let (ns, pod) = holder_pairs(&s.holder);
        let id = s.instance.to_string();
        let set = labels(&[
            ("gpu", &l.gpu),
            ("UUID", &l.uuid),
            ("device", &l.device),
            ("modelName", &l.model),
            ("Hostname", &l.host),
            ("GPU_I_PROFILE", &s.profile),
            ("GPU_I_ID", &id),
            ("pool", &l.pool),
            ("namespace", &ns),
            ("pod", &pod),
        ]);
        let ts = at(s.t_end);
        let total = mib(s.fb_total_gib);
        let used = mib(s.fb_used_gib).min(total);
        gr.push(&set, ts, Value::One(s.busy));
        sm.push(&set, ts, Value::One(s.sm_activity));
        fb_used.push(&set, ts, Value::One(used));
        fb_free.push(&set, ts, Value::One(total - used));
    }

    let mut gauges = [
        (
            "slicesim_pool_queue_depth",
            None,
            "Pending jobs whose home is the pool, time-averaged over the interval.",
        ),
        (
            "slicesim_pool_running_jobs",
            None,
            "Running jobs in the pool, time-averaged over the interval.",
        ),
        (
            "slicesim_pool_gpus",
            None,
            "GPUs present in the pool, time-averaged over the interval.",
        ),
        (
            "slicesim_pool_allocation_ratio",
            Some("ratio"),
            "Share of the pool's GPUs allocated to jobs, time-averaged.",
        ),
        (
            "slicesim_pool_busy_ratio",
            Some("ratio"),
            "Share of the pool's GPU time some kernel ran, time-averaged.",
        ),
        (
            "slicesim_pool_sm_active_ratio",
            Some("ratio"),
            "Share of the pool's SMs busy, time-averaged.",
        ),
        (
            "slicesim_pool_fragmentation_ratio",
            Some("ratio"),
            "Share of the free capacity stranded for the pool's typical requests, at the interval's end.",
        ),
    ]
    .map(|(n, u, h)| Family::new(n, Kind::Gauge, u, h));
    let mut cost = Family::new(
        "slicesim_pool_cost_usd",
        Kind::Counter,
        Some("usd"),
        "Cost of the pool's GPUs so far (GPU-hours present x price), USD.",
    );
    let cluster = world.cluster();
    let mut spent: BTreeMap<&str, f64> = BTreeMap::new();
    for s in &r.samples {
        let set = labels(&[("pool", &s.pool), ("sharing", &s.sharing)]);
        let ts = at_s(s.t_end_s);
        let values = [
            s.queue_depth,
            s.running_jobs,
            s.gpus,
            s.allocation,
            s.busy,
            s.sm_activity,
            s.fragmentation,
        ];
        for (f, v) in gauges.iter_mut().zip(values) {
            f.push(&set, ts, Value::One(v));
        }
        let price = cluster
            .pools
            .iter()
            .find(|p| p.name == s.pool)
            .map_or(0.0, |p| p.price);
        let total = spent.entry(&s.pool).or_default();
        *total += s.gpus * (s.t_end_s - s.t_start_s) / 3600.0 * price;
        // The pool label only: a reconfiguration changes `sharing`, a counter must go on.
        cost.push(&labels(&[("pool", &s.pool)]), ts, Value::One(*total));
    }

    let mut class_queue = Family::new(
        "slicesim_class_queue_depth",
        Kind::Gauge,
        None,
        "Pending jobs of the workload class, time-averaged over the interval.",
    );
    let mut class_running = Family::new(
        "slicesim_class_running_jobs",
        Kind::Gauge,
        None,
        "Running jobs of the workload class, time-averaged over the interval.",
    );
    for s in &r.class_samples {
        let set = labels(&[("class", &s.class)]);
        let ts = at_s(s.t_end_s);
        class_queue.push(&set, ts, Value::One(s.queue_depth));
        class_running.push(&set, ts, Value::One(s.running_jobs));
    }
    let mut waits = Family::new(
        "slicesim_class_wait_seconds",
        Kind::Summary,
        Some("seconds"),
        "Waits of the class's jobs from submission to first start: jobs started so far and the sum of their waits.",
    );
    for w in &r.class_waits {
        let name = world
            .classes
            .get(w.class as usize)
            .map_or("", |c| c.name.as_str());
        let set = labels(&[("class", name)]);
        let sum = w.wait_sum_ms as f64 / 1000.0;
        waits.push(&set, at(w.t_end), Value::CountSum(w.started, sum));
    }

    let mut out = String::new();
    for f in [&util, &gr, &sm, &fb_used, &fb_free] {
        f.render(&mut out);
    }
    for f in &gauges {
        f.render(&mut out);
    }
    for f in [&cost, &class_queue, &class_running, &waits] {
        f.render(&mut out);
    }
    out.push_str("# EOF\n");
    out
}
