//! Mapping of the Alibaba openb (cluster-trace-gpu-v2023) pod lists onto slicesim jobs.

use super::TraceError;
use super::import::{Entry, ImportMap, ImportReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What to do with pods that never ran (no `scheduled_time`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeverRan {
    /// Leave them out of runs and conversions (they are still counted by `trace stats`).
    #[default]
    Skip,
    /// Replay them, running for as long as they existed (deletion − creation).
    Lifetime,
}

/// openb mapping options (`map.openb`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenbMap {
    pub never_ran: NeverRan,
    /// Class per kind of request (`cpu`, `fractional`, `whole`, `multi`).
    pub classes: BTreeMap<String, String>,
    /// Priority class per `qos` value.
    pub qos_priority: BTreeMap<String, String>,
}

impl OpenbMap {
    pub fn problems(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    pub fn priority_classes(&self) -> Vec<String> {
        Vec::new()
    }
}

pub fn import(
    path: &Path,
    _map: &ImportMap,
    _strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    Err(TraceError::File {
        source_name: path.display().to_string(),
        message: "the openb importer is not written yet".into(),
    })
}
