//! Workload classes: names, namespace and priority references, request shape, speeds, pools,
//! affinity, fallback and checkpoints.

use super::{Checker, Resolve, unit_interval};
use crate::domain::{AffinityOperator, JobKind, MigStrategy, RequestSpec, Sharing};
use crate::scenario::locate::FieldPath;
use crate::scenario::schema::{ClassSpec, Scenario};
use std::collections::{BTreeMap, BTreeSet};

/// Every class (whether it fits a pool only when every pool is usable); returns the names.
pub(super) fn check_classes<'a>(
    ck: &mut Checker,
    sc: &'a Scenario,
    r: &mut dyn Resolve,
    pool_names: &BTreeMap<&str, usize>,
    pool_ok: bool,
    ns_names: &BTreeSet<&str>,
    prio_names: &BTreeSet<&str>,
) -> BTreeSet<&'a str> {
    let root = FieldPath::root();
    let mut class_names = BTreeSet::new();
    for (i, c) in sc.classes.iter().enumerate() {
        let path = root.key("classes").index(i);
        if !class_names.insert(c.name.as_str()) {
            ck.error(&path.key("name"), format!("duplicate class {}", c.name));
        }
        check_class(ck, r, c, &path, pool_names, ns_names, prio_names);
        check_mig_single_first(ck, sc, c, &path);
        if pool_ok {
            r.class_fits(ck, c, &path, pool_names);
        }
    }
    if sc.classes.is_empty() {
        ck.error(
            &root.key("classes"),
            "a scenario needs at least one workload class",
        );
    }
    class_names
}

/// A `nvidia.com/gpu` class whose first pool (listed, or in file order when `pools` is empty)
/// is a MIG `single` pool, with other pools after it: MIG workloads never fall back, so its jobs
/// use only that pool and the others are never tried.
fn check_mig_single_first(ck: &mut Checker, sc: &Scenario, c: &ClassSpec, path: &FieldPath) {
    if !matches!(c.request, RequestSpec::Gpu { .. }) {
        return;
    }
    let listed: Vec<&str> = if c.pools.is_empty() {
        sc.pools.iter().map(|p| p.name.as_str()).collect()
    } else {
        c.pools.iter().map(String::as_str).collect()
    };
    let Some(first) = listed
        .first()
        .and_then(|n| sc.pools.iter().find(|p| p.name == *n))
    else {
        return;
    };
    let single = matches!(
        first.sharing,
        Sharing::Mig {
            strategy: MigStrategy::Single,
            ..
        }
    );
    if single && listed.len() > 1 {
        ck.warn(
            &path.key("pools"),
            format!(
                "class {} lists MIG single pool {} first and {} other pool(s) after it: MIG workloads never fall back, so its jobs use only {}",
                c.name,
                first.name,
                listed.len() - 1,
                first.name
            ),
        );
    }
}

/// One class, field by field in file order (messages come out in this order).
fn check_class(
    ck: &mut Checker,
    r: &mut dyn Resolve,
    c: &ClassSpec,
    path: &FieldPath,
    pools: &BTreeMap<&str, usize>,
    namespaces: &BTreeSet<&str>,
    priorities: &BTreeSet<&str>,
) {
    check_refs(ck, c, path, namespaces, priorities);
    check_sizes(ck, c, path);
    check_request(ck, r, c, path);
    check_speeds(ck, r, c, path);
    check_placement(ck, c, path, pools);
    check_lifetime(ck, c, path);
}

/// The namespace and priority class must be declared.
fn check_refs(
    ck: &mut Checker,
    c: &ClassSpec,
    path: &FieldPath,
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
}

/// `u`, `d` in (0, 1], `b` in [0, 1] and a non-negative `mem_gib`.
fn check_sizes(ck: &mut Checker, c: &ClassSpec, path: &FieldPath) {
    for (field, v) in [("u", c.u), ("d", c.d)] {
        if !unit_interval(v) {
            ck.error(&path.key(field), format!("{v} is not in (0, 1]"));
        }
    }
    if !(c.b.is_finite() && (0.0..=1.0).contains(&c.b)) {
        ck.error(&path.key("b"), format!("{} is not in [0, 1]", c.b));
    }
    if !(c.mem_gib.is_finite() && c.mem_gib >= 0.0) {
        ck.error(
            &path.key("mem_gib"),
            format!("{} must be a non-negative number", c.mem_gib),
        );
    }
}

/// The request: counts of at least 1 (`gpu` may be 0: a CPU-only pod), a milli share in 1..=1000, a known MIG profile.
fn check_request(ck: &mut Checker, r: &mut dyn Resolve, c: &ClassSpec, path: &FieldPath) {
    let rp = path.key("request");
    match &c.request {
        // `gpu` with count 0 is a pod without GPUs (CPU and memory only).
        RequestSpec::SharedGpu { count: 0 } => ck.error(&rp.key("count"), "must be at least 1"),
        RequestSpec::Mig { profile, count } => {
            if *count == 0 {
                ck.error(&rp.key("count"), "must be at least 1");
            }
            let name = profile.strip_prefix("mig-").unwrap_or(profile);
            r.mig_profile(ck, name, &rp.key("profile"));
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
}

/// Per-model speeds: known models, positive numbers.
fn check_speeds(ck: &mut Checker, r: &mut dyn Resolve, c: &ClassSpec, path: &FieldPath) {
    for (model, s) in &c.speed {
        r.gpu_model(ck, model, &path.key("speed").key(model));
        if !(s.is_finite() && *s > 0.0) {
            ck.error(
                &path.key("speed").key(model),
                format!("speed {s} must be positive"),
            );
        }
    }
}

/// Pools, node affinity, fallback and the MIG no-fallback warning.
fn check_placement(
    ck: &mut Checker,
    c: &ClassSpec,
    path: &FieldPath,
    pools: &BTreeMap<&str, usize>,
) {
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
}

/// Checkpoint interval and the services-only speed target.
fn check_lifetime(ck: &mut Checker, c: &ClassSpec, path: &FieldPath) {
    if let Some(pdb) = &c.pdb {
        if pdb.max_unavailable.is_some() == pdb.min_available.is_some() {
            ck.error(
                &path.key("pdb"),
                "expected exactly one of `max_unavailable` and `min_available`",
            );
        }
        let fields = [
            ("max_unavailable", &pdb.max_unavailable),
            ("min_available", &pdb.min_available),
        ];
        for (field, value) in fields {
            if let Some(Err(e)) = value.as_ref().map(|v| v.pods(0)) {
                ck.error(&path.key("pdb").key(field), e);
            }
        }
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
    if let Some(r) = &c.requests {
        let at = path.key("requests");
        if c.kind == JobKind::Batch {
            ck.error(&at, "only services receive requests");
        }
        for (key, v, max) in [
            ("rate", r.rate, 1e6),
            ("work_ms", r.work_ms, 3.6e6),
            ("slo_ms", r.slo_ms, 8.64e7),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= max) {
                ck.error(&at.key(key), format!("{v} is not in (0, {max}]"));
            }
        }
    }
}
