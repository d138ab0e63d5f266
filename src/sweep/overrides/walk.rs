//! Finds what a dotted path names in a scenario's value tree, and sets it.
//!
//! Rules, applied step by step from the root:
//! - at a mapping, the next key is the longest run of plain parts that, joined with dots, is an
//!   existing key (so `quota.requests.nvidia.com/gpu` finds the key `requests.nvidia.com/gpu`);
//!   if none is, and only plain parts remain, all of them joined are a new key (a field the
//!   file left out, or a new label or quota entry);
//! - at a list, `[N]` is the item at index N, and a name is the item whose identifying field
//!   (`name`, else `class` as in `workload.mix`, else `key` as in taints) equals the longest run
//!   of plain parts that matches one; a name that matches several items is refused;
//! - a field that is not set (null) can be given a whole value, or one key of a mapping.

use super::grammar::{DottedPath, Step, flow, key_step};
use crate::scenario::locate::{FieldPath, Seg};
use serde_json::{Map, Value};

/// The fields that identify a list's items, in the order tried.
const ID_FIELDS: [&str; 3] = ["name", "class", "key"];

/// What a path names in a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Where it is, in keys and indices (`pools[1].nodes`), as validation reports paths.
    pub field: FieldPath,
    /// The path written with names for list items: the normal form of the path.
    pub shown: DottedPath,
    /// The value there now; `None` when the last key is new.
    pub current: Option<Value>,
}

/// Resolves `path` against `root`; the error names the point where it failed and lists what
/// exists there.
pub fn resolve(root: &Value, path: &DottedPath) -> Result<Target, String> {
    let steps = &path.0;
    let mut node = root;
    let mut field = FieldPath::root();
    let mut shown: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let at = DottedPath(shown.clone()).to_string();
        let (seg, step, used) = match node {
            Value::Object(map) => match in_map(map, &steps[i..]) {
                Some((k, used)) => (Seg::Key(k.clone()), key_step(&k), used),
                None => return new_key(map, steps, i, field, shown, &at),
            },
            Value::Array(items) => in_list(items, &steps[i..], &at, &shown)?,
            Value::Null if as_new_key(&steps[i..]).is_some() => {
                return new_key(&Map::new(), steps, i, field, shown, &at);
            }
            Value::Null => {
                return Err(format!(
                    "{}: is not set; give it a whole value first (--set {}=...)",
                    at, at
                ));
            }
            scalar => {
                return Err(format!(
                    "{}: is a value ({}), not a mapping or a list; it has no `{}`",
                    at,
                    flow(scalar),
                    steps[i]
                ));
            }
        };
        node = match &seg {
            Seg::Key(k) => &node[k.as_str()],
            Seg::Index(ix) => &node[*ix],
        };
        field.0.push(seg);
        shown.push(step);
        i += used;
    }
    Ok(Target {
        field,
        shown: DottedPath(shown),
        current: Some(node.clone()),
    })
}

/// The existing key that the steps start with (longest first), and how many steps it used.
fn in_map(map: &Map<String, Value>, steps: &[Step]) -> Option<(String, usize)> {
    match &steps[0] {
        Step::Quoted(k) => map.contains_key(k).then(|| (k.clone(), 1)),
        Step::Index(_) => None,
        Step::Part(_) => {
            let run = plain_run(steps);
            (1..=run.len())
                .rev()
                .map(|n| (run[..n].join("."), n))
                .find(|(k, _)| map.contains_key(k))
        }
    }
}

/// The leading plain parts of `steps`.
fn plain_run(steps: &[Step]) -> Vec<&str> {
    steps
        .iter()
        .map_while(|s| match s {
            Step::Part(p) => Some(p.as_str()),
            _ => None,
        })
        .collect()
}

/// The steps as one new key: a single quoted part, or plain parts joined with dots.
fn as_new_key(rest: &[Step]) -> Option<String> {
    match rest {
        [Step::Quoted(k)] => Some(k.clone()),
        _ if plain_run(rest).len() == rest.len() => Some(plain_run(rest).join(".")),
        _ => None,
    }
}

/// The rest of the path as a new key of `map`, if it can be one; otherwise the error listing
/// the keys that exist.
fn new_key(
    map: &Map<String, Value>,
    steps: &[Step],
    i: usize,
    mut field: FieldPath,
    mut shown: Vec<Step>,
    at: &str,
) -> Result<Target, String> {
    let rest = &steps[i..];
    let Some(key) = as_new_key(rest) else {
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        let there = if at.is_empty() { "the scenario" } else { at };
        if let Step::Index(ix) = rest[0] {
            return Err(format!(
                "{there}: is a mapping, not a list, so `[{ix}]` names nothing; keys are: {}",
                list(&keys)
            ));
        }
        return Err(format!(
            "{}: no key `{}` in {there}; keys are: {}",
            join_at(at, &rest[0]),
            rest[0],
            list(&keys)
        ));
    };
    shown.push(key_step(&key));
    field.0.push(Seg::Key(key));
    Ok(Target {
        field,
        shown: DottedPath(shown),
        current: None,
    })
}

/// The list item the steps start with: by index, or by its identifying field.
fn in_list(
    items: &[Value],
    steps: &[Step],
    at: &str,
    shown: &[Step],
) -> Result<(Seg, Step, usize), String> {
    if let Step::Index(ix) = steps[0] {
        if ix < items.len() {
            return Ok((Seg::Index(ix), item_step(items, ix), 1));
        }
        return Err(format!(
            "{at}[{ix}]: {at} has {} items (indices 0 to {})",
            items.len(),
            items.len().saturating_sub(1)
        ));
    }
    let Some(id) = id_field(items) else {
        return Err(format!(
            "{}: {at} is a list whose items have no names; address them by index, [0] to [{}]",
            join_at(at, &steps[0]),
            items.len().saturating_sub(1)
        ));
    };
    let names: Vec<&str> = items.iter().map(|v| v[id].as_str().unwrap_or("")).collect();
    let candidates: Vec<(String, usize)> = match &steps[0] {
        Step::Quoted(k) => vec![(k.clone(), 1)],
        _ => {
            let run = plain_run(steps);
            (1..=run.len())
                .rev()
                .map(|n| (run[..n].join("."), n))
                .collect()
        }
    };
    let Some((name, used)) = candidates
        .into_iter()
        .find(|(n, _)| names.contains(&n.as_str()))
    else {
        let what = item_word(shown);
        let how = if id == "name" {
            "named".to_string()
        } else {
            format!("with {id}")
        };
        return Err(format!(
            "{}: no {what} {how} `{}`; {at} has: {}",
            join_at(at, &steps[0]),
            steps[0],
            list(&names)
        ));
    };
    let hits: Vec<usize> = (0..names.len()).filter(|&k| names[k] == name).collect();
    if hits.len() > 1 {
        let ix: Vec<String> = hits.iter().map(|k| format!("[{k}]")).collect();
        return Err(format!(
            "{at}: {} items have {id} `{name}`; address one by index: {}",
            hits.len(),
            ix.join(", ")
        ));
    }
    Ok((Seg::Index(hits[0]), key_step(&name), used))
}

/// The field naming this list's items: the first of [`ID_FIELDS`] every item has as text.
fn id_field(items: &[Value]) -> Option<&'static str> {
    ID_FIELDS
        .into_iter()
        .find(|f| !items.is_empty() && items.iter().all(|v| v[*f].is_string()))
}

/// How item `ix` is written in the normal form: its name when the list has names.
fn item_step(items: &[Value], ix: usize) -> Step {
    let unique = |id: &str, name: &str| items.iter().filter(|v| v[id] == name).count() == 1;
    match id_field(items) {
        Some(id) if unique(id, items[ix][id].as_str().unwrap_or("")) => {
            key_step(items[ix][id].as_str().unwrap_or(""))
        }
        _ => Step::Index(ix),
    }
}

/// "pool" for `pools`, "class" for `classes`: the item of the list named last in `shown`.
fn item_word(shown: &[Step]) -> String {
    let list = match shown.last() {
        Some(Step::Part(p) | Step::Quoted(p)) => p.as_str(),
        _ => "",
    };
    match list {
        "pools" => "pool".into(),
        "classes" | "priority_classes" => list.trim_end_matches("es").replace('_', " "),
        "namespaces" | "taints" | "tolerations" | "gpu_models" => {
            list.trim_end_matches('s').replace('_', " ")
        }
        "mix" => "mix entry".into(),
        _ => "item".into(),
    }
}

fn join_at(at: &str, step: &Step) -> String {
    match (at.is_empty(), step) {
        (true, _) => step.to_string(),
        (false, Step::Index(_)) => format!("{at}{step}"),
        (false, _) => format!("{at}.{step}"),
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

/// Sets the value at `target`, found by [`resolve`] on this tree: a null on the way becomes a
/// mapping when a key is set inside it. A target from another tree is an error, not a panic.
pub fn set(root: &mut Value, target: &Target, value: Value) -> Result<(), String> {
    let mut node = root;
    for seg in &target.field.0 {
        if node.is_null() && matches!(seg, Seg::Key(_)) {
            *node = Value::Object(Map::new());
        }
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(map)) => map.entry(k.clone()).or_insert(Value::Null),
            (Seg::Index(ix), Value::Array(items)) if *ix < items.len() => &mut items[*ix],
            _ => return Err(format!("{}: not found in this scenario", target.field)),
        };
    }
    *node = value;
    Ok(())
}

/// `field` written with names for list items, as far as it exists in `root` (the rest as
/// keys and indices): how error locations are shown.
pub fn named(root: &Value, field: &FieldPath) -> DottedPath {
    let mut node = Some(root);
    let mut steps = Vec::new();
    for seg in &field.0 {
        match seg {
            Seg::Key(k) => {
                steps.push(key_step(k));
                node = node.and_then(|n| n.get(k));
            }
            Seg::Index(ix) => {
                steps.push(match node {
                    Some(Value::Array(items)) if *ix < items.len() => item_step(items, *ix),
                    _ => Step::Index(*ix),
                });
                node = node.and_then(|n| n.get(*ix));
            }
        }
    }
    DottedPath(steps)
}
