//! A sweep file's axes and points: each axis's values (a list, a range, named alternatives),
//! then the points, the cartesian product in grid order (last axis fastest) or the file's list,
//! with deterministic ids `p000`, `p001`, ... and a label from the axis values.

use super::file::{AxisSpec, Mode, RangeSpec, SweepFile};
use super::output::{RUN_COLUMNS, SUMMARY_COLUMNS};
use super::overrides::{DottedPath, Override};
use crate::units::parse_duration;
use serde::Serialize;
use serde_json::Value;

/// At most this many points in one sweep (a typo such as `to: 100000` is refused).
pub const MAX_POINTS: usize = 100_000;

/// Whether `name` is a column the outputs use themselves (an axis may not take it).
fn reserved(name: &str) -> bool {
    name == "point" || RUN_COLUMNS.contains(&name) || SUMMARY_COLUMNS.contains(&name)
}

/// The reserved column names, for the error message.
fn reserved_list() -> String {
    let mut all = vec!["point"];
    all.extend(RUN_COLUMNS);
    all.extend(SUMMARY_COLUMNS);
    all.join(", ")
}

/// One value of an axis: how it is shown (the alternative's name, or the value in flow
/// style) and the value put at the axis's path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AxisValue {
    pub label: String,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Axis {
    pub name: String,
    /// `None` for an axis of override bundles (each value a list of `PATH=VALUE`).
    pub path: Option<String>,
    /// Empty for an axis of a list-mode sweep that gives its values in the points only.
    pub values: Vec<AxisValue>,
    /// Whether the values are named alternatives (points then name them).
    pub named: bool,
}

/// One point: an id, a label and one value per axis (in axis order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub id: String,
    pub label: String,
    pub values: Vec<AxisValue>,
}

impl Point {
    /// The overrides that make this point from the base: one per path axis, a bundle's
    /// overrides in their order.
    pub fn overrides(&self, axes: &[Axis]) -> Result<Vec<Override>, String> {
        let mut out = Vec::new();
        for (a, v) in axes.iter().zip(&self.values) {
            match &a.path {
                Some(p) => out.push(Override::new(DottedPath::parse(p)?, v.value.clone())),
                None => out.extend(bundle(&v.value)?),
            }
        }
        Ok(out)
    }
}

/// The overrides of a bundle alternative: a list of `PATH=VALUE` texts.
fn bundle(v: &Value) -> Result<Vec<Override>, String> {
    let items = v.as_array().ok_or_else(|| {
        format!(
            "`{}`: an axis without `path` takes lists of overrides (`[PATH=VALUE, ...]`)",
            label_of(v)
        )
    })?;
    items
        .iter()
        .map(|i| match i {
            Value::String(s) => Override::parse(s),
            other => Err(format!("`{}` is not PATH=VALUE", label_of(other))),
        })
        .collect()
}

/// The value in flow style, as `--set` would take it (a string as itself).
pub fn label_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// Every axis of the file with its values; errors name the axis.
pub fn axes(file: &SweepFile) -> Result<Vec<Axis>, String> {
    let mut out: Vec<Axis> = Vec::new();
    for (i, spec) in file.axes.iter().enumerate() {
        let name = spec.name.clone().or_else(|| spec.path.clone());
        let name = name.ok_or_else(|| {
            format!("axes[{i}]: give a `path` (or, for an axis of override lists, a `name`)")
        })?;
        let at = format!("axes[{i}] ({name})");
        if let Some(path) = &spec.path {
            DottedPath::parse(path).map_err(|e| format!("{at}: path {e}"))?;
        } else if spec.named.is_none() {
            return Err(format!(
                "{at}: no `path`: only `named` alternatives, each a list of overrides, can do without one"
            ));
        }
        if name.is_empty() || reserved(&name) {
            return Err(format!(
                "{at}: `{name}` cannot name an axis (reserved: {})",
                reserved_list()
            ));
        }
        if out.iter().any(|a| a.name == name) {
            return Err(format!(
                "{at}: a second axis named `{name}` (give one a `name:`)"
            ));
        }
        let values = values_of(spec, file.mode).map_err(|e| format!("{at}: {e}"))?;
        if spec.path.is_none() {
            for v in &values {
                bundle(&v.value).map_err(|e| format!("{at}: `{}`: {e}", v.label))?;
            }
        }
        out.push(Axis {
            name,
            path: spec.path.clone(),
            values,
            named: spec.named.is_some(),
        });
    }
    if out.is_empty() {
        return Err("axes: none given (give at least one axis with a path and values)".into());
    }
    Ok(out)
}

fn values_of(spec: &AxisSpec, mode: Mode) -> Result<Vec<AxisValue>, String> {
    let given = [
        spec.values.is_some(),
        spec.range.is_some(),
        spec.named.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 if mode == Mode::List => return Ok(Vec::new()),
        0 => return Err("no values: give `values: [...]`, `range: {from, to, step}` or `named: {NAME: VALUE, ...}`".into()),
        1 => {}
        _ => return Err("give one of `values`, `range` and `named`, not several".into()),
    }
    let vals: Vec<AxisValue> = if let Some(list) = &spec.values {
        list.iter()
            .map(|v| AxisValue {
                label: label_of(v),
                value: v.clone(),
            })
            .collect()
    } else if let Some(r) = &spec.range {
        range(r)?
    } else {
        let named = spec.named.as_ref().map(|n| n.0.clone()).unwrap_or_default();
        named
            .into_iter()
            .map(|(label, value)| AxisValue { label, value })
            .collect()
    };
    if vals.is_empty() {
        return Err("no values (the list is empty)".into());
    }
    for (i, v) in vals.iter().enumerate() {
        if let Some(j) = vals[..i].iter().position(|w| w.label == v.label) {
            return Err(format!(
                "value `{}` is given twice (items {j} and {i})",
                v.label
            ));
        }
    }
    Ok(vals)
}

/// The values of an inclusive range: integers when `from`, `to` and `step` are, durations when
/// they are written with units (`30m`), numbers otherwise. `step` defaults to 1 (1 s for
/// durations) and must be above 0; `to` below `from` is an error (an empty range).
pub fn range(r: &RangeSpec) -> Result<Vec<AxisValue>, String> {
    let durations = [Some(&r.from), Some(&r.to), r.step.as_ref()]
        .into_iter()
        .flatten()
        .any(Value::is_string);
    let num = |v: &Value, what: &str| -> Result<f64, String> {
        match v {
            Value::Number(n) if durations => Ok(n.as_f64().unwrap_or(f64::NAN) * 1000.0),
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("range {what}: {n}")),
            Value::String(s) => parse_duration(s)
                .map(|d| d.ms() as f64)
                .map_err(|e| format!("range {what}: {e}")),
            other => Err(format!(
                "range {what}: `{}` is not a number or a duration",
                label_of(other)
            )),
        }
    };
    let from = num(&r.from, "from")?;
    let to = num(&r.to, "to")?;
    let step = match &r.step {
        Some(s) => num(s, "step")?,
        None if durations => 1000.0,
        None => 1.0,
    };
    if !(from.is_finite() && to.is_finite() && step.is_finite()) {
        return Err("range: from, to and step must be finite".into());
    }
    if step <= 0.0 {
        return Err(format!(
            "range: step {} must be above 0",
            label_of(r.step.as_ref().unwrap_or(&Value::Null))
        ));
    }
    if to < from {
        return Err(format!(
            "range: empty, `to` ({}) is below `from` ({}): write the low value first",
            label_of(&r.to),
            label_of(&r.from)
        ));
    }
    let count = ((to - from) / step * (1.0 + 1e-12)).floor() + 1.0;
    if count > MAX_POINTS as f64 {
        return Err(format!("range: more than {MAX_POINTS} values"));
    }
    let ints = !durations
        && [Some(&r.from), Some(&r.to), r.step.as_ref()]
            .into_iter()
            .flatten()
            .all(|v| v.is_i64() || v.is_u64());
    Ok((0..count as u64)
        .map(|i| {
            let x = from + i as f64 * step;
            let value = if durations {
                Value::String(duration_text(x.round() as u64))
            } else if ints {
                Value::from(x as i64)
            } else {
                // Nine decimals: 0.1 + 2 * 0.1 is 0.30000000000000004 in binary.
                Value::from((x * 1e9).round() / 1e9)
            };
            AxisValue {
                label: label_of(&value),
                value,
            }
        })
        .collect())
}

/// `ms` in the largest unit that divides it: `90m`, `2h`, `45s`, `250ms`.
fn duration_text(ms: u64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms > 0 && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// The points of the file over `axes`: the grid (last axis fastest) or the listed points.
pub fn points(file: &SweepFile, axes: &[Axis]) -> Result<Vec<Point>, String> {
    let combos = match file.mode {
        Mode::Grid => {
            if file.points.is_some() {
                return Err("points: only with `mode: list` (a grid is made of the axes)".into());
            }
            grid(axes)?
        }
        Mode::List => listed(file, axes)?,
    };
    let width = combos.len().saturating_sub(1).to_string().len().max(3);
    Ok(combos
        .into_iter()
        .enumerate()
        .map(|(i, values)| Point {
            id: format!("p{i:0width$}"),
            label: axes
                .iter()
                .zip(&values)
                .map(|(a, v)| format!("{}={}", a.name, v.label))
                .collect::<Vec<_>>()
                .join(", "),
            values,
        })
        .collect())
}

fn grid(axes: &[Axis]) -> Result<Vec<Vec<AxisValue>>, String> {
    let mut total: usize = 1;
    for a in axes {
        total = total
            .checked_mul(a.values.len())
            .filter(|t| *t <= MAX_POINTS)
            .ok_or_else(|| format!("the grid has more than {MAX_POINTS} points"))?;
    }
    let mut out = Vec::with_capacity(total);
    for mut k in 0..total {
        // Mixed radix, last axis fastest.
        let mut combo = vec![None; axes.len()];
        for (j, a) in axes.iter().enumerate().rev() {
            combo[j] = Some(a.values[k % a.values.len()].clone());
            k /= a.values.len();
        }
        out.push(combo.into_iter().flatten().collect());
    }
    Ok(out)
}

fn listed(file: &SweepFile, axes: &[Axis]) -> Result<Vec<Vec<AxisValue>>, String> {
    let names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
    let list = file
        .points
        .as_ref()
        .filter(|p| !p.is_empty())
        .ok_or("mode: list needs `points:`, one map of axis -> value per point")?;
    if list.len() > MAX_POINTS {
        return Err(format!("points: more than {MAX_POINTS}"));
    }
    let mut out: Vec<Vec<AxisValue>> = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = format!("points[{i}]");
        if let Some(k) = p.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(format!("{at}: no axis `{k}` (axes: {})", names.join(", ")));
        }
        let mut combo = Vec::new();
        for a in axes {
            let v = p
                .get(&a.name)
                .ok_or_else(|| format!("{at}: no value for axis `{}`", a.name))?;
            combo.push(pick(a, v).map_err(|e| format!("{at}: axis `{}`: {e}", a.name))?);
        }
        if let Some(j) = out.iter().position(|c| *c == combo) {
            return Err(format!("{at}: the same point as points[{j}]"));
        }
        out.push(combo);
    }
    Ok(out)
}

/// A listed point's value for axis `a`: an alternative's name, one of the axis's values, or
/// (an axis without values) the value itself.
fn pick(a: &Axis, v: &Value) -> Result<AxisValue, String> {
    if a.values.is_empty() {
        return Ok(AxisValue {
            label: label_of(v),
            value: v.clone(),
        });
    }
    let label = label_of(v);
    // A name reads as YAML in a point (`y` is true there): match what the name would read as.
    let reads_as = |name: &str| serde_saphyr::from_str::<Value>(name).ok().as_ref() == Some(v);
    a.values
        .iter()
        .find(|x| x.label == label || (a.named && reads_as(&x.label)))
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = a.values.iter().map(|x| x.label.as_str()).collect();
            let what = if a.named { "alternative" } else { "value" };
            format!("no {what} `{label}` (the axis has {})", known.join(", "))
        })
}

#[cfg(test)]
#[path = "points_tests.rs"]
mod tests;
