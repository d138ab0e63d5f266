//! Every numeric figure of a run's [`Summary`] as a flat list of `(path, value)`: the vocabulary
//! that replications (and later sweeps, `compare`, `check` and `size`) address figures by.
//!
//! A path joins the summary's field names with dots; a list item is named by its `name`
//! (pools, classes, namespaces), a priority item by its PriorityClass name (or its value when
//! no single class has it), anything else by its index: `pools.a100-timeslice.busy`,
//! `classes.training.wait.p95_s`, `priorities.production-inference.jobs.completed`,
//! `cost.total_usd`, `jobs.completed`. Within an object the fields come in name order, list
//! items in the summary's order. Absent values (`null`, e.g. a percentile without a sample)
//! are absent, never zero. A flag is a figure 1 (true) or 0 (false), e.g.
//! `classes.research.wait.p95_censored` (the p95 wait is only a lower bound). Text fields, the
//! seed and the provenance block are not figures.

use super::summary::Summary;
use crate::world::World;
use serde_json::Value;
use std::collections::BTreeMap;

/// Priority value -> the name its figures go by.
pub type PriorityNames = BTreeMap<i32, String>;

/// Fields that are settings or identities, not results.
const SKIP_TOP: &[&str] = &["provenance", "seed"];

/// Whether `path` is an entry of one of the summary's count maps (`unschedulable.<reason>`,
/// `classes.<name>.unschedulable.<reason>`, `classes.<name>.ran_in.<pool>`,
/// `namespaces.<name>.peak_used.<resource>`). Such maps only
/// list what happened, so a run without the entry counted zero of it: replications must average
/// it as 0 for that seed, not leave the seed out.
pub fn is_count_entry(path: &str) -> bool {
    path.starts_with("unschedulable.")
        || (path.starts_with("classes.")
            && (path.contains(".unschedulable.") || path.contains(".ran_in.")))
        || (path.starts_with("namespaces.") && path.contains(".peak_used."))
}

/// The PriorityClass name of each value held by exactly one class; values shared by several
/// classes (or by none) keep their number.
pub fn priority_names(world: &World) -> PriorityNames {
    let mut by_value: BTreeMap<i32, Vec<&String>> = BTreeMap::new();
    for (name, (value, _)) in &world.priorities {
        by_value.entry(*value).or_default().push(name);
    }
    by_value
        .into_iter()
        .filter(|(_, names)| names.len() == 1)
        .map(|(v, names)| (v, names[0].clone()))
        .collect()
}

/// The figures of `summary`, in a stable order (see the module documentation).
pub fn figures(summary: &Summary, priorities: &PriorityNames) -> Vec<(String, f64)> {
    let value = serde_json::to_value(summary).expect("a summary always serializes to JSON");
    figures_of_value(&value, priorities)
}

/// The figures of a run's `summary.json` as read back (the same flattening as [`figures`]).
/// Without the scenario's PriorityClasses, pass an empty `priorities`: priority items are then
/// named by their value (`priorities.1000.wait.p95_s`).
pub fn figures_of_value(value: &Value, priorities: &PriorityNames) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    if let Value::Object(top) = value {
        for (key, v) in top {
            if !SKIP_TOP.contains(&key.as_str()) {
                flatten(key, v, priorities, &mut out);
            }
        }
    }
    out
}

fn flatten(path: &str, v: &Value, priorities: &PriorityNames, out: &mut Vec<(String, f64)>) {
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.push((path.to_string(), x));
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{path}.{k}"), v, priorities, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let (name, key) = item_name(item, i, priorities);
                let prefix = format!("{path}.{name}");
                if let Value::Object(map) = item {
                    // The naming field is the item's identity, not a figure.
                    for (k, v) in map.iter().filter(|(k, _)| Some(k.as_str()) != key) {
                        flatten(&format!("{prefix}.{k}"), v, priorities, out);
                    }
                } else {
                    flatten(&prefix, item, priorities, out);
                }
            }
        }
        // A flag (`wait.p95_censored`) is a figure 1 or 0: with replications its mean is the
        // share of seeds where it was set.
        Value::Bool(b) => out.push((path.to_string(), if *b { 1.0 } else { 0.0 })),
        Value::Null | Value::String(_) => {}
    }
}

/// A list item's name and the field that gave it (left out of its figures).
fn item_name<'a>(
    item: &Value,
    index: usize,
    priorities: &PriorityNames,
) -> (String, Option<&'a str>) {
    if let Some(name) = item.get("name").and_then(Value::as_str) {
        return (name.to_string(), Some("name"));
    }
    if let Some(p) = item.get("priority").and_then(Value::as_i64) {
        let name = i32::try_from(p)
            .ok()
            .and_then(|p| priorities.get(&p).cloned())
            .unwrap_or_else(|| p.to_string());
        return (name, Some("priority"));
    }
    (index.to_string(), None)
}
