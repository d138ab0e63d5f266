//! Scenario overrides: `PATH=VALUE`, e.g. `pools.h100-timeslice.nodes=3`, applied to a scenario
//! after its includes are merged (the grammar is in `grammar`, how a path finds its field in
//! `walk`; users read docs/SCENARIO.md, "Overrides").
//!
//! The scenario is turned into a value tree with every field present (so a field the file left
//! to its default can be set), the overrides edit the tree in order, and the typed scenario is
//! read back from it: the file's serde shape, and every check after it, apply unchanged.
//! Sweeps, size searches and `check` set their axes the same way, through [`apply_overrides`].

mod grammar;
mod typed;
mod walk;

pub use grammar::{DottedPath, Step};
pub use walk::{Target, resolve};

use crate::scenario::locate::FieldPath;
use crate::scenario::{Loaded, Problem, Scenario};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// One override: a dotted path and the value to put there.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: DottedPath,
    pub value: Value,
    /// The value's text as given, when it can stand in the scenario as written: the typed
    /// scenario then reads that text, as it would in the file (`y` for a label stays `y`,
    /// where the untyped `value` holds `true`).
    raw: Option<String>,
}

impl Override {
    pub fn new(path: DottedPath, value: Value) -> Self {
        Override {
            path,
            value,
            raw: None,
        }
    }

    /// Parses `PATH=VALUE` (see docs/SCENARIO.md, "Overrides"); the value is YAML.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, raw) = grammar::split(text)?;
        let path = DottedPath::parse(path)?;
        let value = grammar::parse_value(raw).map_err(|e| format!("`{text}`: {e}"))?;
        let raw = grammar::inline_ok(raw, &value).then(|| raw.trim().to_string());
        Ok(Override { path, value, raw })
    }

    /// The value as written (flow style): the text given when there is one.
    pub fn value_text(&self) -> String {
        self.raw
            .clone()
            .unwrap_or_else(|| grammar::flow(&self.value))
    }
}

impl FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Override::parse(s)
    }
}

/// `PATH=VALUE`, the value in YAML flow style.
impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.value_text())
    }
}

/// An override as applied: where it landed and what it replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// As given.
    pub given: Override,
    /// The field it set, in keys and indices (`pools[1].nodes`), as validation names fields.
    pub field: FieldPath,
    /// The same field written with names for list items: the normal form of the path.
    pub path: DottedPath,
    /// The value it replaced; `None` if it added a key.
    pub previous: Option<Value>,
}

impl Applied {
    /// The override in normal form, `PATH=VALUE` (names for list items, the value as given or
    /// in flow style): what a record of the run should keep.
    pub fn normalized(&self) -> String {
        format!("{}={}", self.path, self.given.value_text())
    }

    /// The value it replaced in flow style, or `(unset)` if it added a key.
    pub fn previous_text(&self) -> String {
        self.previous
            .as_ref()
            .map_or_else(|| "(unset)".to_string(), grammar::flow)
    }

    /// Whether a validation problem at `path` (as `Problem::path` writes it) is at or inside
    /// this override's field, so that its line in the file would be the wrong place to point.
    pub fn covers(&self, path: &str) -> bool {
        let mine = self.field.to_string();
        path == mine
            || path
                .strip_prefix(mine.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    }
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

/// `sc` with `overrides` applied in order (a later one sees what an earlier one set), and what
/// each did. Errors name the override, the point where its path failed and what exists there,
/// or the field whose value does not fit.
pub fn apply_overrides(
    sc: &Scenario,
    overrides: &[Override],
) -> Result<(Scenario, Vec<Applied>), String> {
    if overrides.is_empty() {
        return Ok((sc.clone(), Vec::new()));
    }
    let mut tree = serde_json::to_value(sc).map_err(|e| format!("scenario as a tree: {e}"))?;
    let mut applied = Vec::with_capacity(overrides.len());
    for o in overrides {
        let target = resolve(&tree, &o.path).map_err(|e| format!("--set {o}: {e}"))?;
        walk::set(&mut tree, &target, o.value.clone()).map_err(|e| format!("--set {o}: {e}"))?;
        applied.push(Applied {
            given: o.clone(),
            field: target.field,
            path: target.shown,
            previous: target.current,
        });
    }
    Ok((typed::scenario(&tree, &applied)?, applied))
}

/// Applies `overrides` to a loaded scenario; its text stays the file's, for line numbers of
/// the fields no override touched. Nothing changes when there are none.
pub fn apply_to_loaded(
    loaded: &mut Loaded,
    overrides: &[Override],
) -> Result<Vec<Applied>, String> {
    if overrides.is_empty() {
        return Ok(Vec::new());
    }
    let (sc, applied) = apply_overrides(&loaded.scenario, overrides)
        .map_err(|e| format!("{}: {e}", loaded.source))?;
    loaded.scenario = sc;
    Ok(applied)
}

/// The override a validation problem comes from, if any (the last one covering its field).
pub fn origin<'a>(problem: &Problem, applied: &'a [Applied]) -> Option<&'a Applied> {
    applied.iter().rev().find(|a| a.covers(&problem.path))
}

/// The value at `path` in `sc` (for reading the current value of an axis), with the target.
pub fn get(sc: &Scenario, path: &DottedPath) -> Result<Target, String> {
    let tree = serde_json::to_value(sc).map_err(|e| format!("scenario as a tree: {e}"))?;
    let t = resolve(&tree, path)?;
    match t.current {
        Some(_) => Ok(t),
        None => Err(format!("{path}: not set in this scenario")),
    }
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
