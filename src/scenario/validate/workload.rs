//! The workload section: synthetic generator settings, or a trace file and its import map.

use super::Checker;
use crate::scenario::locate::FieldPath;
use crate::scenario::schema::{Scenario, TraceSource, WorkloadSpec};
use crate::workload::synthetic::SyntheticSpec;
use std::collections::BTreeSet;
use std::path::Path;

/// The synthetic generator's settings or the trace file and how its jobs map onto the classes.
pub(super) fn check_workload(
    ck: &mut Checker,
    sc: &Scenario,
    base_dir: &Path,
    class_names: &BTreeSet<&str>,
) {
    let root = FieldPath::root();
    let wl = root.key("workload");
    match &sc.workload {
        WorkloadSpec::Synthetic(spec) => check_synthetic(ck, sc, spec, &wl, class_names),
        WorkloadSpec::Trace(src) => check_trace(ck, sc, src, &wl, base_dir, class_names),
    }
}

/// The generator's own problems, a warning for runs of many millions of jobs, known classes.
fn check_synthetic(
    ck: &mut Checker,
    sc: &Scenario,
    spec: &SyntheticSpec,
    wl: &FieldPath,
    class_names: &BTreeSet<&str>,
) {
    for (field, msg) in spec.problems() {
        ck.error(&wl.key(&field), msg);
    }
    // A typo in the rate can ask for billions of jobs: refuse before generating any.
    if let Some(msg) = spec.size_problem(sc.horizon) {
        ck.error(&wl.key("rate_per_hour"), msg);
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

/// The trace file exists, its import map is valid, and the classes and priority classes the
/// importer would give jobs are defined.
fn check_trace(
    ck: &mut Checker,
    sc: &Scenario,
    src: &TraceSource,
    wl: &FieldPath,
    base_dir: &Path,
    class_names: &BTreeSet<&str>,
) {
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
        check_trace_names(ck, sc, src, &map, class_names);
    }
}

/// Classes and priority classes the importer gives jobs (per the map) must be defined.
fn check_trace_names(
    ck: &mut Checker,
    sc: &Scenario,
    src: &TraceSource,
    map: &FieldPath,
    class_names: &BTreeSet<&str>,
) {
    for c in src.map.classes_used(src.format) {
        if !class_names.contains(c.as_str()) {
            ck.error(
                map,
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
                map,
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
