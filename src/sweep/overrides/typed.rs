//! The typed scenario from an edited value tree, read the way a scenario file is read.
//!
//! The tree is written out as YAML (in flow style: JSON, which YAML reads) and read back by the
//! same YAML library as a file. Where an override's value still stands as it was put, its text
//! is written as given, so it is read exactly as the same text in the file would be (`y` for a
//! label, `"3"` for a count, `123` for a name), not as the untyped tree holds it (`true`, ...).
//! A value that does not fit is reported at the override that put it there.

use super::Applied;
use super::grammar::one_line;
use super::walk::named;
use crate::scenario::Scenario;
use crate::scenario::locate::{FieldPath, Seg};
use serde_json::Value;
use serde_path_to_error::Segment;

/// The scenario that `tree` describes; the error names the override at fault.
pub fn scenario(tree: &Value, applied: &[Applied]) -> Result<Scenario, String> {
    let yaml = emit(tree, applied);
    let mut at = None;
    let read = serde_saphyr::with_deserializer_from_str(&yaml, |de| {
        serde_path_to_error::deserialize::<_, Scenario>(de).map_err(|e| {
            at = Some(field_of(e.path()));
            e.into_inner()
        })
    });
    read.map_err(|e| {
        let msg = one_line(&e.without_snippet().to_string());
        blame(tree, applied, &at.unwrap_or_default(), &msg)
    })
}

/// The tree as one line of YAML flow, with the text of each override that no later one touched.
fn emit(tree: &Value, applied: &[Applied]) -> String {
    let splices: Vec<(&FieldPath, &str)> = applied
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let raw = a.given.raw.as_deref()?;
            let touched = applied[i + 1..]
                .iter()
                .any(|b| is_prefix(&a.field, &b.field) || is_prefix(&b.field, &a.field));
            (!touched).then_some((&a.field, raw))
        })
        .collect();
    let mut out = String::new();
    write(tree, &mut FieldPath::root(), &splices, &mut out);
    out
}

fn write(v: &Value, at: &mut FieldPath, splices: &[(&FieldPath, &str)], out: &mut String) {
    if let Some((_, raw)) = splices.iter().find(|(f, _)| **f == *at) {
        out.push_str(raw);
        return;
    }
    match v {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, x)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                at.0.push(Seg::Key(k.clone()));
                write(x, at, splices, out);
                at.0.pop();
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                at.0.push(Seg::Index(i));
                write(x, at, splices, out);
                at.0.pop();
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A deserializer's error path as a field path (enum variants and unknown steps dropped).
fn field_of(path: &serde_path_to_error::Path) -> FieldPath {
    FieldPath(
        path.iter()
            .filter_map(|s| match s {
                Segment::Seq { index } => Some(Seg::Index(*index)),
                Segment::Map { key } => Some(Seg::Key(key.clone())),
                _ => None,
            })
            .collect(),
    )
}

fn is_prefix(a: &FieldPath, b: &FieldPath) -> bool {
    a.0.len() <= b.0.len() && a.0 == b.0[..a.0.len()]
}

/// The message for an error at `at`: from the last override on that path (at it, inside it,
/// or around it), or, if none is, from all of them together.
fn blame(tree: &Value, applied: &[Applied], at: &FieldPath, msg: &str) -> String {
    let place = named(tree, at).to_string();
    let place = if place.is_empty() {
        "the scenario".to_string()
    } else {
        place
    };
    let Some(a) = applied
        .iter()
        .rev()
        .find(|a| is_prefix(&a.field, at) || is_prefix(at, &a.field))
    else {
        let all: Vec<String> = applied
            .iter()
            .map(|a| format!("--set {}", a.given))
            .collect();
        return format!("with {}: {place}: {msg}", all.join(" "));
    };
    if a.previous.is_none()
        && msg.contains("unknown field")
        && let Some(m) = no_such_field(tree, a)
    {
        return format!("--set {}: {m}", a.given);
    }
    format!("--set {}: {place}: {msg}", a.given)
}

/// "classes.training.fallbak_after: no field `fallbak_after`; fields are: ..." for an override
/// that added a key where the scenario has a fixed set of fields.
fn no_such_field(tree: &Value, a: &Applied) -> Option<String> {
    let (last, parent) = a.field.0.split_last()?;
    let Seg::Key(key) = last else { return None };
    let parent = FieldPath(parent.to_vec());
    let mut node = tree;
    for seg in &parent.0 {
        node = match seg {
            Seg::Key(k) => node.get(k)?,
            Seg::Index(i) => node.get(*i)?,
        };
    }
    let fields: Vec<&str> = node
        .as_object()?
        .keys()
        .map(String::as_str)
        .filter(|k| k != key)
        .collect();
    Some(format!(
        "{}: no field `{key}`; fields are: {}",
        a.path,
        fields.join(", ")
    ))
}
