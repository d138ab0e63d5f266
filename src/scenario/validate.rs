//! Checks a scenario and reports every problem with its field path and line.

use super::locate::{FieldPath, Locator};
use super::schema::{ClassSpec, PoolSpec, Scenario, TimedEvent, WorkloadSpec};
use crate::catalog::{Catalog, LayoutError, solve};
use crate::cluster::Cluster;
use crate::domain::{AffinityOperator, JobKind, MigStrategy, RequestSpec, Sharing};
use crate::sched::{PodSpec, fit_shape};
use crate::sim::setup::{
    DEFAULT_REFERENCE_GPU, canonical_prices, future_pools, pool_def, pool_kind,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

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

struct Checker<'a> {
    loc: Locator,
    out: Vec<Problem>,
    _text: &'a str,
}

impl Checker<'_> {
    fn push(&mut self, severity: Severity, path: &FieldPath, message: impl Into<String>) {
        self.out.push(Problem {
            severity,
            path: path.to_string(),
            line: self.loc.line(path),
            message: message.into(),
        });
    }
    fn error(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.push(Severity::Error, path, message);
    }
    fn warn(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.push(Severity::Warning, path, message);
    }
}

fn unit_interval(v: f64) -> bool {
    v > 0.0 && v <= 1.0
}

/// Every problem of `sc` (parsed from `text`); relative trace paths resolve against `base_dir`.
pub fn validate(sc: &Scenario, text: &str, base_dir: &Path) -> Vec<Problem> {
    let mut ck = Checker {
        loc: Locator::new(text),
        out: Vec::new(),
        _text: text,
    };
    let root = FieldPath::root();
    if sc.name.trim().is_empty() {
        ck.error(&root.key("name"), "must not be empty");
    }
    if sc.horizon.ms() == 0 {
        ck.error(&root.key("horizon"), "must be longer than 0");
    }

    // GPU models: built-in plus the scenario's own.
    let mut catalog = Catalog::builtin();
    for (i, m) in sc.gpu_models.iter().enumerate() {
        if let Err(e) = catalog.add(m.clone()) {
            ck.error(&root.key("gpu_models").index(i), e);
        }
    }
    let ref_name = sc.reference_gpu.as_deref().unwrap_or(DEFAULT_REFERENCE_GPU);
    if catalog.get(ref_name).is_none() {
        ck.error(
            &root.key("reference_gpu"),
            format!(
                "unknown GPU model {ref_name} (known: {})",
                catalog.names().join(", ")
            ),
        );
    }
    for (name, price) in &sc.prices.per_gpu_hour {
        let p = root.key("prices").key("per_gpu_hour").key(name);
        if catalog.get(name).is_none() {
            ck.error(&p, format!("unknown GPU model {name}"));
        }
        if !(price.is_finite() && *price >= 0.0) {
            ck.error(&p, format!("price {price} must be a non-negative number"));
        }
    }
    for (field, msg) in sc.model.perf().problems() {
        ck.error(&root.key("model").key(&field), msg);
    }
    for (name, s) in &sc.model.gpu_speed {
        let p = root.key("model").key("gpu_speed").key(name);
        if catalog.get(name).is_none() {
            ck.error(&p, format!("unknown GPU model {name}"));
        }
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

    // Priority classes and namespaces.
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
    let mut ns_names = BTreeSet::new();
    for (i, ns) in sc.namespaces.iter().enumerate() {
        let p = root.key("namespaces").index(i);
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

    // Pools.
    let mut cluster = Cluster::default();
    let mut pool_names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pool_ok = true;
    for (i, p) in sc.pools.iter().enumerate() {
        let path = root.key("pools").index(i);
        if pool_names.insert(p.name.as_str(), i).is_some() {
            ck.error(&path.key("name"), format!("duplicate pool {}", p.name));
        }
        pool_ok &= check_pool(&mut ck, &catalog, sc, p, &path, &mut cluster);
    }
    if sc.pools.is_empty() {
        ck.error(&root.key("pools"), "a scenario needs at least one pool");
    }

    // Classes.
    let mut class_names = BTreeSet::new();
    for (i, c) in sc.classes.iter().enumerate() {
        let path = root.key("classes").index(i);
        if !class_names.insert(c.name.as_str()) {
            ck.error(&path.key("name"), format!("duplicate class {}", c.name));
        }
        check_class(
            &mut ck,
            &catalog,
            sc,
            c,
            &path,
            &pool_names,
            &ns_names,
            &prio_names,
        );
        if pool_ok {
            check_class_fits(&mut ck, &cluster, sc, c, &path, &pool_names);
        }
    }
    if sc.classes.is_empty() {
        ck.error(
            &root.key("classes"),
            "a scenario needs at least one workload class",
        );
    }

    check_events(&mut ck, sc, &catalog, &pool_names);

    // Workload.
    let wl = root.key("workload");
    match &sc.workload {
        WorkloadSpec::Synthetic(spec) => {
            for (field, msg) in spec.problems() {
                ck.error(&wl.key(&field), msg);
            }
            // A typo in the rate can ask for billions of jobs: say so before a run that long.
            let span_h = spec.span.unwrap_or(sc.horizon).ms() as f64 / 3_600_000.0;
            let mut expected = spec.rate_per_hour * span_h;
            if let Some(m) = spec.max_jobs {
                expected = expected.min(m as f64);
            }
            if expected > 50_000_000.0 {
                ck.warn(
                    &wl.key("rate_per_hour"),
                    format!("about {expected:.0} jobs: a run takes roughly 4 s per million jobs"),
                );
            }
            for (i, m) in spec.mix.iter().enumerate() {
                if !class_names.contains(m.class.as_str()) {
                    ck.error(
                        &wl.key("mix").index(i).key("class"),
                        format!("unknown class {}", m.class),
                    );
                }
            }
        }
        WorkloadSpec::Trace(src) => {
            let path = base_dir.join(&src.path);
            if !path.is_file() {
                ck.error(
                    &wl.key("path"),
                    format!("trace file {} not found", path.display()),
                );
            }
            let map = wl.key("map");
            for (field, msg) in src.map.problems() {
                ck.error(&map.key(&field), msg);
            }
            // Names the importer gives jobs must exist (the native format names its own).
            if src.format != crate::trace::TraceFormat::Native {
                for c in src.map.classes_used(src.format) {
                    if !class_names.contains(c.as_str()) {
                        ck.error(
                            &map,
                            format!(
                                "{} jobs would be of class {c}, which the scenario does not \
                                 define (add it to classes, or set map.class)",
                                src.format
                            ),
                        );
                    }
                }
                let priorities: BTreeSet<&str> = sc
                    .priority_classes
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                for p in src.map.priority_classes_used(src.format) {
                    if !priorities.contains(p.as_str()) {
                        ck.error(
                            &map,
                            format!(
                                "{} jobs would be of priority class {p}, which the scenario \
                                 does not define (add it to priority_classes, or map it with \
                                 map.openb.qos_priority)",
                                src.format
                            ),
                        );
                    }
                }
            }
        }
    }
    ck.out
        .sort_by(|a, b| a.line.cmp(&b.line).then(a.severity.cmp(&b.severity)));
    ck.out
}

fn check_events(ck: &mut Checker, sc: &Scenario, catalog: &Catalog, pools: &BTreeMap<&str, usize>) {
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
                nodes, duration, ..
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
            }
            TimedEvent::Resize { nodes, .. } => {
                if *nodes == 0 {
                    ck.error(&path.key("nodes"), "a pool keeps at least one node");
                }
            }
            TimedEvent::Reconfigure { sharing, .. } => {
                let Some(model) = catalog.get(&pool.gpu) else {
                    continue;
                };
                match sharing {
                    Sharing::Mig { layout, .. } => {
                        if !model.mig_capable() {
                            ck.error(
                                &path.key("sharing"),
                                format!("{} is not MIG capable", model.name),
                            );
                        } else if layout.is_empty() {
                            ck.error(
                                &path.key("sharing").key("layout"),
                                "a MIG layout needs at least one instance",
                            );
                        } else if let Err(err) = pool_kind(model, sharing) {
                            ck.error(&path.key("sharing").key("layout"), err);
                        }
                    }
                    Sharing::TimeSlicing { replicas: 0, .. } => {
                        ck.error(&path.key("sharing").key("replicas"), "must be at least 1");
                    }
                    _ => {}
                }
            }
        }
    }
}

fn check_pool(
    ck: &mut Checker,
    catalog: &Catalog,
    sc: &Scenario,
    p: &PoolSpec,
    path: &FieldPath,
    cluster: &mut Cluster,
) -> bool {
    let mut ok = true;
    if p.nodes == 0 {
        ck.error(&path.key("nodes"), "a pool needs at least one node");
        ok = false;
    }
    if p.gpus_per_node == 0 {
        ck.error(&path.key("gpus_per_node"), "must be at least 1");
        ok = false;
    }
    let Some(model) = catalog.get(&p.gpu) else {
        ck.error(
            &path.key("gpu"),
            format!(
                "unknown GPU model {} (known: {}; add custom ones under gpu_models)",
                p.gpu,
                catalog.names().join(", ")
            ),
        );
        return false;
    };
    let prices = canonical_prices(sc, catalog);
    if catalog.price_is_placeholder(&model.name) && !prices.contains_key(&model.name) {
        ck.warn(&path.key("gpu"), format!("{} has no published per-GPU price; the default {} $/h is a placeholder (set prices.per_gpu_hour.{})", model.name, model.price_per_hour, model.name));
    }
    let sp = path.key("sharing");
    match &p.sharing {
        Sharing::TimeSlicing { replicas, .. } => {
            if *replicas == 0 {
                ck.error(&sp.key("replicas"), "must be at least 1");
                ok = false;
            }
        }
        Sharing::Mig { strategy, layout } => {
            if !model.mig_capable() {
                ck.error(&sp, format!("{} is not MIG capable", model.name));
                return false;
            }
            if layout.is_empty() {
                ck.error(
                    &sp.key("layout"),
                    "a MIG layout needs at least one instance",
                );
                return false;
            }
            let names: Vec<&str> = layout.iter().map(String::as_str).collect();
            if let Err(e) = solve(model, &names) {
                let at = match &e {
                    LayoutError::UnknownProfile { name, .. } => layout
                        .iter()
                        .position(|l| l == name)
                        .map_or(sp.key("layout"), |i| sp.key("layout").index(i)),
                    _ => sp.key("layout"),
                };
                ck.error(&at, e.to_string());
                return false;
            }
            let distinct: BTreeSet<&str> = names.iter().copied().collect();
            if *strategy == MigStrategy::Single && distinct.len() > 1 {
                ck.warn(&sp.key("strategy"), format!("single strategy with mixed profiles ({}): the device plugin advertises 0 GPUs on these nodes; use strategy: mixed", distinct.into_iter().collect::<Vec<_>>().join(", ")));
            }
        }
        Sharing::Exclusive | Sharing::Fractional => {}
    }
    if !ok {
        return false;
    }
    match pool_kind(model, &p.sharing) {
        Ok(kind) => {
            cluster.add_pool(pool_def(sc, p, model, kind, &prices));
            true
        }
        Err(e) => {
            ck.error(&sp, e);
            false
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_class(
    ck: &mut Checker,
    catalog: &Catalog,
    sc: &Scenario,
    c: &ClassSpec,
    path: &FieldPath,
    pools: &BTreeMap<&str, usize>,
    namespaces: &BTreeSet<&str>,
    priorities: &BTreeSet<&str>,
) {
    if !namespaces.is_empty() && !namespaces.contains(c.namespace.as_str()) {
        ck.error(
            &path.key("namespace"),
            format!(
                "unknown namespace {} (declare it under namespaces)",
                c.namespace
            ),
        );
    }
    if let Some(p) = &c.priority
        && !priorities.contains(p.as_str())
    {
        ck.error(&path.key("priority"), format!("unknown priority class {p}"));
    }
    for (field, v) in [("u", c.u), ("d", c.d)] {
        if !unit_interval(v) {
            ck.error(&path.key(field), format!("{v} is not in (0, 1]"));
        }
    }
    if !(c.mem_gib.is_finite() && c.mem_gib >= 0.0) {
        ck.error(
            &path.key("mem_gib"),
            format!("{} must be a non-negative number", c.mem_gib),
        );
    }
    let rp = path.key("request");
    match &c.request {
        RequestSpec::Gpu { count } | RequestSpec::SharedGpu { count } if *count == 0 => {
            ck.error(&rp.key("count"), "must be at least 1")
        }
        RequestSpec::Mig { profile, count } => {
            if *count == 0 {
                ck.error(&rp.key("count"), "must be at least 1");
            }
            let name = profile.strip_prefix("mig-").unwrap_or(profile);
            let in_some_model = catalog.models().iter().any(|m| m.profile(name).is_some());
            if !in_some_model {
                ck.error(
                    &rp.key("profile"),
                    format!("no GPU model has a MIG profile {name}"),
                );
            }
        }
        RequestSpec::Milli { milli, count } => {
            if *milli == 0 || *milli > 1000 {
                ck.error(&rp.key("milli"), format!("{milli} is not in 1..=1000"));
            }
            if *count == 0 {
                ck.error(&rp.key("count"), "must be at least 1");
            }
        }
        RequestSpec::Gpu { .. } | RequestSpec::SharedGpu { .. } => {}
    }
    for (model, s) in &c.speed {
        if catalog.get(model).is_none() {
            ck.error(
                &path.key("speed").key(model),
                format!("unknown GPU model {model}"),
            );
        }
        if !(s.is_finite() && *s > 0.0) {
            ck.error(
                &path.key("speed").key(model),
                format!("speed {s} must be positive"),
            );
        }
    }
    for (i, p) in c.pools.iter().enumerate() {
        if !pools.contains_key(p.as_str()) {
            ck.error(&path.key("pools").index(i), format!("unknown pool {p}"));
        }
    }
    for (i, r) in c.node_affinity.iter().enumerate() {
        let needs_values = matches!(r.operator, AffinityOperator::In | AffinityOperator::NotIn);
        let at = path.key("node_affinity").index(i).key("values");
        if needs_values && r.values.is_empty() {
            ck.error(&at, format!("{:?} needs at least one value", r.operator));
        }
        if !needs_values && !r.values.is_empty() {
            ck.error(&at, format!("{:?} takes no values", r.operator));
        }
    }
    if let Some(w) = c.fallback_after {
        let at = path.key("fallback_after");
        // No `pools` means every pool, in file order.
        let listed = if c.pools.is_empty() {
            pools.len()
        } else {
            c.pools.len()
        };
        if listed < 2 {
            ck.warn(&at, "has no effect: the class lists fewer than two pools");
        } else if w.ms() == 0 {
            ck.warn(
                &at,
                "0 allows every listed pool at once (the same as leaving it out)",
            );
        }
    }
    if matches!(c.request, RequestSpec::Mig { .. }) && c.pools.len() > 1 {
        ck.warn(
            &path.key("pools"),
            format!(
                "class {} asks for a MIG instance and lists {} pools: MIG workloads should not fall back to other pools (the profile is part of the application's sizing)",
                c.name,
                c.pools.len()
            ),
        );
    }
    if c.checkpoint.is_some_and(|d| d.ms() == 0) {
        ck.error(
            &path.key("checkpoint"),
            "must be longer than 0 (omit it for no checkpoints)",
        );
    }
    match (c.kind, c.speed_target) {
        (JobKind::Batch, Some(_)) => ck.error(
            &path.key("speed_target"),
            "only services have a speed target",
        ),
        (JobKind::Service, Some(t)) if !(t.is_finite() && t > 0.0) => {
            ck.error(&path.key("speed_target"), format!("{t} must be positive"))
        }
        _ => {}
    }
    let _ = sc;
}

/// A class that no pool can ever take is an error; pools it lists but cannot use are warnings.
fn check_class_fits(
    ck: &mut Checker,
    cluster: &Cluster,
    sc: &Scenario,
    c: &ClassSpec,
    path: &FieldPath,
    pools: &BTreeMap<&str, usize>,
) {
    let candidates: Vec<u32> = if c.pools.is_empty() {
        (0..cluster.pools.len() as u32).collect()
    } else {
        c.pools
            .iter()
            .filter_map(|p| pools.get(p.as_str()).map(|&i| i as u32))
            .collect()
    };
    let pod = PodSpec {
        request: &c.request,
        mem_gib: c.mem_gib,
        node_selector: &c.node_selector,
        node_affinity: &c.node_affinity,
        tolerations: &c.tolerations,
    };
    let fit = fit_shape(&cluster.pools, &candidates, &pod);
    let ix = |name: &str| pools.get(name).map(|&i| i as u32);
    let later = fit.pools.is_empty()
        && future_pools(&cluster.pools, &sc.events, ix)
            .any(|ps| !fit_shape(&ps, &candidates, &pod).pools.is_empty());
    if later {
        ck.warn(
            path,
            format!(
                "class {} fits no pool until a scheduled reconfiguration: its jobs wait until then",
                c.name
            ),
        );
    } else if let Some(reason) = fit.unschedulable_reason() {
        ck.error(
            path,
            format!("class {} can never be scheduled: {reason}", c.name),
        );
    } else if !c.pools.is_empty() {
        for why in &fit.rejected {
            ck.warn(
                &path.key("pools"),
                format!("class {} cannot use {why}", c.name),
            );
        }
    }
}
