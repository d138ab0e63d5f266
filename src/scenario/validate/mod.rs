//! Checks of a scenario that need only the file: fields, ranges, names and references between
//! its sections. Checks that need the scenario resolved (GPU models, MIG layouts, the cluster)
//! belong to the world (`world::check`), which passes them in as a [`Resolve`]: `validate` calls
//! each where its messages belong, so problems keep one order whichever layer finds them.

mod classes;
mod rolling_reconf;
mod sizes;
mod workload;

use super::locate::{FieldPath, Locator};
use super::schema::{ClassSpec, PoolSpec, Scenario, TimedEvent};
use crate::domain::Sharing;
use classes::check_classes;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use workload::check_workload;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub path: String,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(l) => write!(f, "line {l}: {sev}: {}: {}", self.path, self.message),
            None => write!(f, "{sev}: {}: {}", self.path, self.message),
        }
    }
}

/// Collects problems, each located at its field's line.
pub struct Checker {
    loc: Locator,
    out: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, severity: Severity, path: &FieldPath, message: impl Into<String>) {
        self.out.push(Problem {
            severity,
            path: path.to_string(),
            line: self.loc.line(path),
            message: message.into(),
        });
    }
    pub fn error(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.push(Severity::Error, path, message);
    }
    pub fn warn(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.push(Severity::Warning, path, message);
    }
}

/// The checks that need the scenario resolved into GPU models, pools and a cluster. The world
/// implements them (`world::check`); `validate` calls each at the point where its messages
/// belong.
pub trait Resolve {
    /// `gpu_models` that cannot join the catalog, and an unknown `reference_gpu`.
    fn models(&mut self, ck: &mut Checker);
    /// `name` at `path` must be a known GPU model.
    fn gpu_model(&mut self, ck: &mut Checker, name: &str, path: &FieldPath);
    /// The pool's GPU model must be known (and should have a price); false if it is not.
    fn pool_model(&mut self, ck: &mut Checker, p: &PoolSpec, path: &FieldPath) -> bool;
    /// The pool's sharing on its GPU model (MIG capability and layout); when that and the file's
    /// own checks (`ok`) pass, the pool joins the cluster. False if the pool is unusable.
    fn pool_sharing(&mut self, ck: &mut Checker, p: &PoolSpec, path: &FieldPath, ok: bool) -> bool;
    /// Some GPU model must have the MIG profile `name`.
    fn mig_profile(&mut self, ck: &mut Checker, name: &str, path: &FieldPath);
    /// The class must fit some pool of the cluster, now or after a scheduled reconfiguration.
    fn class_fits(
        &mut self,
        ck: &mut Checker,
        c: &ClassSpec,
        path: &FieldPath,
        pools: &BTreeMap<&str, usize>,
    );
    /// A reconfiguration of `pool` to `sharing` must be possible on its GPU model.
    fn reconfigure(
        &mut self,
        ck: &mut Checker,
        pool: &PoolSpec,
        sharing: &Sharing,
        path: &FieldPath,
    );
}

fn unit_interval(v: f64) -> bool {
    v > 0.0 && v <= 1.0
}

/// Every problem of `sc` (parsed from `text`), in line order; relative trace paths resolve
/// against `base_dir`; `resolved` adds the checks that need the resolved scenario.
pub fn validate(
    sc: &Scenario,
    text: &str,
    base_dir: &Path,
    resolved: &mut dyn Resolve,
) -> Vec<Problem> {
    let mut ck = Checker {
        loc: Locator::new(text),
        out: Vec::new(),
    };
    let r = resolved;
    check_run(&mut ck, sc);
    r.models(&mut ck);
    check_prices(&mut ck, sc, r);
    check_model(&mut ck, sc, r);
    check_report(&mut ck, sc);
    let prio_names = check_priority_classes(&mut ck, sc);
    let ns_names = check_namespaces(&mut ck, sc);
    // Sizes first: nothing is built for a cluster over the limits.
    let sized = sizes::check_cluster_size(&mut ck, sc);
    let (pool_names, pool_ok) = check_pools(&mut ck, sc, r, sized);
    let class_names = check_classes(&mut ck, sc, r, &pool_names, pool_ok, &ns_names, &prio_names);
    check_events(&mut ck, sc, r, &pool_names);
    rolling_reconf::check_windows(&mut ck, sc, &pool_names);
    check_workload(&mut ck, sc, base_dir, &class_names);
    ck.out
        .sort_by(|a, b| a.line.cmp(&b.line).then(a.severity.cmp(&b.severity)));
    ck.out
}

fn check_run(ck: &mut Checker, sc: &Scenario) {
    let root = FieldPath::root();
    if sc.name.trim().is_empty() {
        ck.error(&root.key("name"), "must not be empty");
    }
    if sc.horizon.ms() == 0 {
        ck.error(&root.key("horizon"), "must be longer than 0");
    }
    sizes::check_horizon(ck, sc);
}

fn check_prices(ck: &mut Checker, sc: &Scenario, r: &mut dyn Resolve) {
    for (name, price) in &sc.prices.per_gpu_hour {
        let p = FieldPath::root()
            .key("prices")
            .key("per_gpu_hour")
            .key(name);
        r.gpu_model(ck, name, &p);
        if !(price.is_finite() && *price >= 0.0) {
            ck.error(&p, format!("price {price} must be a non-negative number"));
        }
    }
}

fn check_model(ck: &mut Checker, sc: &Scenario, r: &mut dyn Resolve) {
    let root = FieldPath::root();
    for (field, msg) in sc.model.perf().problems() {
        ck.error(&root.key("model").key(&field), msg);
    }
    let ctx = sc.model.context_mem_gib;
    if !(ctx.is_finite() && ctx >= 0.0) {
        ck.error(
            &root.key("model").key("context_mem_gib"),
            format!("{ctx} must be a non-negative number of GiB"),
        );
    }
    for (name, s) in &sc.model.gpu_speed {
        let p = root.key("model").key("gpu_speed").key(name);
        r.gpu_model(ck, name, &p);
        if !(s.is_finite() && *s > 0.0) {
            ck.error(&p, format!("speed {s} must be positive"));
        }
    }
    for (field, d) in [
        ("restart_backoff", sc.model.restart_backoff),
        ("quota_backoff", sc.model.quota_backoff),
        ("quota_backoff_max", sc.model.quota_backoff_max),
    ] {
        if d.ms() < 1000 {
            ck.error(&root.key("model").key(field), "must be at least 1s");
        }
    }
}

fn check_report(ck: &mut Checker, sc: &Scenario) {
    let root = FieldPath::root();
    if sc.report.interval.ms() < 1000 {
        ck.error(&root.key("report").key("interval"), "must be at least 1s");
    } else {
        // Every bucket is a row per pool and per class kept until the end of the run.
        const MAX_BUCKETS: u64 = 1_000_000;
        let buckets = sc.horizon.ms() / sc.report.interval.ms();
        if buckets > MAX_BUCKETS {
            ck.error(
                &root.key("report").key("interval"),
                format!(
                    "{} buckets of {} over a horizon of {} is more than {MAX_BUCKETS}; use a longer interval",
                    buckets, sc.report.interval, sc.horizon
                ),
            );
        }
    }
}

/// Duplicate names and more than one default; returns the names.
fn check_priority_classes<'a>(ck: &mut Checker, sc: &'a Scenario) -> BTreeSet<&'a str> {
    let root = FieldPath::root();
    let mut prio_names = BTreeSet::new();
    for (i, pc) in sc.priority_classes.iter().enumerate() {
        if !prio_names.insert(pc.name.as_str()) {
            ck.error(
                &root.key("priority_classes").index(i).key("name"),
                format!("duplicate priority class {}", pc.name),
            );
        }
    }
    if sc
        .priority_classes
        .iter()
        .filter(|p| p.global_default)
        .count()
        > 1
    {
        ck.error(
            &root.key("priority_classes"),
            "more than one priority class is global_default",
        );
    }
    prio_names
}

/// Duplicate names and unknown quota resources; returns the names.
fn check_namespaces<'a>(ck: &mut Checker, sc: &'a Scenario) -> BTreeSet<&'a str> {
    let mut ns_names = BTreeSet::new();
    for (i, ns) in sc.namespaces.iter().enumerate() {
        let p = FieldPath::root().key("namespaces").index(i);
        if !ns_names.insert(ns.name.as_str()) {
            ck.error(&p.key("name"), format!("duplicate namespace {}", ns.name));
        }
        for key in ns.quota.keys() {
            let known = key == "requests.nvidia.com/gpu"
                || key == "requests.nvidia.com/gpu.shared"
                || key.starts_with("requests.nvidia.com/mig-");
            if !known {
                ck.error(&p.key("quota").key(key), format!("unknown quota resource {key} (expected requests.nvidia.com/gpu, requests.nvidia.com/gpu.shared or requests.nvidia.com/mig-<profile>)"));
            }
        }
    }
    ns_names
}

/// Every pool; returns the pool indices by name and whether every pool is usable.
fn check_pools<'a>(
    ck: &mut Checker,
    sc: &'a Scenario,
    r: &mut dyn Resolve,
    sized: bool,
) -> (BTreeMap<&'a str, usize>, bool) {
    let root = FieldPath::root();
    let mut pool_names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pool_ok = true;
    for (i, p) in sc.pools.iter().enumerate() {
        let path = root.key("pools").index(i);
        if pool_names.insert(p.name.as_str(), i).is_some() {
            ck.error(&path.key("name"), format!("duplicate pool {}", p.name));
        }
        let within = sizes::pool_within_limits(ck, sc, p, &path) && sized;
        pool_ok &= check_pool(ck, r, p, &path, within);
    }
    if sc.pools.is_empty() {
        ck.error(&root.key("pools"), "a scenario needs at least one pool");
    }
    (pool_names, pool_ok)
}

/// `within`: the pool's sizes are within the limits (otherwise it joins no cluster).
fn check_pool(
    ck: &mut Checker,
    r: &mut dyn Resolve,
    p: &PoolSpec,
    path: &FieldPath,
    within: bool,
) -> bool {
    let mut ok = within;
    if p.nodes == 0 {
        ck.error(&path.key("nodes"), "a pool needs at least one node");
        ok = false;
    }
    if p.gpus_per_node == 0 {
        ck.error(&path.key("gpus_per_node"), "must be at least 1");
        ok = false;
    }
    if !r.pool_model(ck, p, path) {
        return false;
    }
    if let Sharing::TimeSlicing { replicas: 0, .. } = &p.sharing {
        ck.error(&path.key("sharing").key("replicas"), "must be at least 1");
        ok = false;
    }
    if let Sharing::Mps { replicas } = &p.sharing
        && let Some(why) = crate::perf::mps::replicas_problem(*replicas)
    {
        ck.error(&path.key("sharing").key("replicas"), why);
        ok = false;
    }
    r.pool_sharing(ck, p, path, ok)
}

fn check_events(
    ck: &mut Checker,
    sc: &Scenario,
    r: &mut dyn Resolve,
    pools: &BTreeMap<&str, usize>,
) {
    for (i, e) in sc.events.iter().enumerate() {
        let path = FieldPath::root().key("events").index(i);
        let Some(&pi) = pools.get(e.pool()) else {
            ck.error(&path.key("pool"), format!("unknown pool {}", e.pool()));
            continue;
        };
        let pool = &sc.pools[pi];
        if e.at() >= sc.horizon {
            ck.warn(
                &path.key("at"),
                format!(
                    "at {} is not before the horizon {}: it never happens",
                    e.at(),
                    sc.horizon
                ),
            );
        }
        match e {
            TimedEvent::Drain {
                nodes,
                duration,
                max_unavailable,
                timeout,
                ..
            } => {
                if *nodes == 0 || *nodes > pool.nodes {
                    ck.error(
                        &path.key("nodes"),
                        format!("must be 1 to {} (the pool's nodes)", pool.nodes),
                    );
                }
                if duration.ms() == 0 {
                    ck.error(&path.key("duration"), "must be longer than 0");
                }
                if let Some(m) = max_unavailable
                    && let Err(e) = m.nodes(pool.nodes)
                {
                    ck.error(&path.key("max_unavailable"), e);
                }
                if timeout.is_some_and(|t| t.ms() == 0) {
                    ck.error(&path.key("timeout"), "must be longer than 0");
                }
            }
            TimedEvent::Resize { nodes, .. } => {
                if *nodes == 0 {
                    ck.error(&path.key("nodes"), "a pool keeps at least one node");
                }
                sizes::resize_within_limit(ck, e, &path);
            }
            TimedEvent::Reconfigure { sharing, .. } => {
                rolling_reconf::check_fields(ck, e, pool, &path);
                if sizes::replicas_within_limit(ck, sharing, &path.key("sharing")) {
                    r.reconfigure(ck, pool, sharing, &path);
                }
            }
        }
    }
}
