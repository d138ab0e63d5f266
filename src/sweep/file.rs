//! The sweep file (docs/SWEEP.md): a base scenario, overrides for every point, axes over
//! scenario paths, grid or list mode, seeds and objectives. This file only reads the YAML;
//! `points` turns it into points.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// A scenario path, relative to the sweep file, or `builtin`.
    pub base: String,
    /// Overrides for every point, `PATH=VALUE` as `--set` takes them, applied in order.
    #[serde(default)]
    pub set: Vec<String>,
    pub axes: Vec<AxisSpec>,
    #[serde(default)]
    pub mode: Mode,
    /// `mode: list`: one map per point, axis name -> value (or alternative name).
    #[serde(default)]
    pub points: Option<Vec<BTreeMap<String, Value>>>,
    /// `1..5`, `1,4,7`, `7` or a list; default: the base scenario's seed.
    #[serde(default)]
    pub seeds: Option<Value>,
    /// Figure path (`*` matches any text) -> `min` or `max`.
    #[serde(default)]
    pub objectives: Option<BTreeMap<String, Goal>>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Grid,
    List,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    Min,
    Max,
}

/// One axis: a path and its values, given as a list, a range or named alternatives.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// A scenario path in the override grammar (`pools.h100-timeslice.nodes`). Without one,
    /// the axis needs a `name` and `named` alternatives that are each a list of overrides
    /// (`PATH=VALUE`, applied together; `[]` leaves the base as it is).
    #[serde(default)]
    pub path: Option<String>,
    /// The column name in the outputs; default: the path.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub values: Option<Vec<Value>>,
    #[serde(default)]
    pub range: Option<RangeSpec>,
    /// Alternative name -> value, in file order.
    #[serde(default)]
    pub named: Option<Named>,
}

/// `from`, `to` (inclusive) and `step`: integers, numbers or durations (`30m`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub from: Value,
    pub to: Value,
    #[serde(default)]
    pub step: Option<Value>,
}

/// Named alternatives in the order the file gives them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Named(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Named {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Named;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of alternative name -> value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Named, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    if out.iter().any(|(n, _)| *n == k) {
                        return Err(serde::de::Error::custom(format!(
                            "alternative `{k}` is given twice"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(Named(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a sweep file's text; `source` names it in errors (with line and column).
pub fn parse(text: &str, source: &str) -> Result<SweepFile, String> {
    serde_saphyr::from_str::<SweepFile>(text).map_err(|e| format!("{source}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_every_form() {
        let f = parse(
            "base: builtin
set: [pools.a100-timeslice.nodes=5]
axes:
  - {path: pools.h100-timeslice.nodes, values: [1, 2]}
  - {path: horizon, name: h, range: {from: 1d, to: 3d, step: 1d}}
  - path: pools.a100-mig-inference.sharing
    named:
      ts3: {kind: time_slicing, replicas: 3}
      mig: {kind: mig, strategy: mixed, layout: [3g.40gb]}
seeds: 1..3
objectives: {cost.total_usd: min, pools.x.busy: max}
",
            "s.yaml",
        )
        .unwrap();
        assert_eq!(f.base, "builtin");
        assert_eq!(f.mode, Mode::Grid);
        assert_eq!(f.axes.len(), 3);
        let named = f.axes[2].named.as_ref().unwrap();
        // File order, not name order: ts3 before mig.
        assert_eq!(named.0[0].0, "ts3");
        assert_eq!(named.0[1].1["kind"], "mig");
        assert_eq!(f.seeds, Some(Value::String("1..3".into())));
        let obj = f.objectives.unwrap();
        assert_eq!(obj["pools.x.busy"], Goal::Max);
    }

    #[test]
    fn unknown_fields_are_named_with_the_file() {
        let e = parse("base: builtin\naxes: []\nseed: 3\n", "s.yaml").unwrap_err();
        assert!(e.starts_with("s.yaml: "), "{e}");
        assert!(e.contains("seed"), "{e}");
        let e = parse("base: builtin\naxes: [{path: a, value: [1]}]\n", "s.yaml").unwrap_err();
        assert!(e.contains("value"), "{e}");
        let e = parse("base: builtin\naxes: []\nmode: random\n", "s.yaml").unwrap_err();
        assert!(e.contains("random"), "{e}");
        let e = parse(
            "base: builtin\naxes: [{path: a, named: {x: 1, x: 2}}]\n",
            "s.yaml",
        )
        .unwrap_err();
        assert!(e.contains("x"), "{e}");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(s in ".{0,200}") {
            let _ = parse(&s, "f.yaml");
        }

        #[test]
        fn never_panics_on_yaml_like_text(
            lines in prop::collection::vec(
                prop::sample::select(vec![
                    "base: builtin", "axes:", "  - path: a", "    values: [1, 2]",
                    "    range: {from: 1, to: x}", "    named: {a: 1}", "mode: list",
                    "points:", "  - {a: 1}", "seeds: 1..3", "objectives: {x: min}", "set: [a=1]",
                    "  - [", "{", "- - -", ": :", "    name: n",
                ]),
                0..12,
            )
        ) {
            let _ = parse(&lines.join("\n"), "f.yaml");
        }
    }
}
