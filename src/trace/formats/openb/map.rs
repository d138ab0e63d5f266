//! The openb mapping options (`map.openb` in a scenario or a `--map` file).

use crate::limits::{MAX_TRACE_SPAN_MS, exceeds};
use crate::units::Dur;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to do with pods that never ran (no `scheduled_time`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NeverRan {
    /// Leave them out of runs and conversions (`trace stats` still counts them).
    #[default]
    Skip,
    /// Replay them, running for as long as they existed (deletion − creation).
    Lifetime,
}

/// How a fractional share (`gpu_milli` < 1000) is requested.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FractionalAs {
    /// A milli share on fractional pools (`gpu_milli` of each of `num_gpu` GPUs).
    #[default]
    Milli,
    /// `nvidia.com/gpu: num_gpu`: a replica on time-sliced pools, a whole GPU on exclusive ones.
    Gpu,
}

/// The kinds of openb pods, for `classes`.
pub const POD_KINDS: [&str; 4] = ["cpu", "fractional", "whole", "multi"];

/// The `qos` values the trace uses.
pub const QOS_VALUES: [&str; 4] = ["LS", "BE", "Burstable", "Guaranteed"];

/// openb mapping options (`map.openb`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OpenbMap {
    pub never_ran: NeverRan,
    pub fractional_as: FractionalAs,
    /// Class per kind of pod (`cpu`, `fractional`, `whole`, `multi`); kinds not listed take
    /// `map.class` (default `openb`).
    pub classes: BTreeMap<String, String>,
    /// Priority class per `qos` value; values not listed keep their own name as the priority
    /// class, and an empty name means the class default.
    pub qos_priority: BTreeMap<String, String>,
    /// Files without time columns (the `multigpu*` variants): pod *i* is submitted at
    /// *i* × this ...
    pub untimed_interval: Dur,
    /// ... and runs this long.
    pub untimed_duration: Dur,
}

impl Default for OpenbMap {
    fn default() -> Self {
        OpenbMap {
            never_ran: NeverRan::Skip,
            fractional_as: FractionalAs::Milli,
            classes: BTreeMap::new(),
            qos_priority: BTreeMap::new(),
            untimed_interval: Dur(0),
            untimed_duration: Dur(365 * 86_400_000),
        }
    }
}

impl OpenbMap {
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in &self.classes {
            if !POD_KINDS.contains(&k.as_str()) {
                out.push((
                    format!("classes.{k}"),
                    format!("unknown pod kind (the kinds are {})", POD_KINDS.join(", ")),
                ));
            } else if v.trim().is_empty() {
                out.push((format!("classes.{k}"), "is empty; name a class".into()));
            }
        }
        if self.untimed_duration.ms() == 0 {
            out.push(("untimed_duration".into(), "must be longer than 0".into()));
        }
        let limit = Dur(MAX_TRACE_SPAN_MS);
        for (field, d) in [
            ("untimed_interval", self.untimed_interval),
            ("untimed_duration", self.untimed_duration),
        ] {
            if d.ms() > MAX_TRACE_SPAN_MS {
                out.push((field.into(), exceeds(field, d, limit)));
            }
        }
        out
    }

    /// The priority class of pods with `qos` (None = the class default).
    pub fn priority_of(&self, qos: &str) -> Option<String> {
        let name = self
            .qos_priority
            .get(qos)
            .map_or(qos, String::as_str)
            .trim();
        (!name.is_empty()).then(|| name.to_string())
    }

    /// Priority classes pods of the documented `qos` values map to.
    pub fn priority_classes(&self) -> Vec<String> {
        let mut v: Vec<String> = QOS_VALUES
            .iter()
            .filter_map(|q| self.priority_of(q))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}
