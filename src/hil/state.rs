//! The state file `apply` writes before it changes anything (what `restore` puts back), and the
//! atomic file writes every harness output goes through (temporary file, fsync, rename), so an
//! interrupted run never leaves a truncated state or measurement file behind.

use super::inventory::GpuSnapshot;
use super::nvml::System;
use super::{HilError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

pub const FORMAT: &str = "slicesim-hil-state/1";
/// Where `apply` saves and `restore` reads the prior state unless `--state` says otherwise.
pub const DEFAULT_PATH: &str = "hil-state/last-apply.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateFile {
    pub format: String,
    pub created_unix: u64,
    /// The same instant in UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created: String,
    /// What saved it, e.g. `apply scenarios/seed-strategy.yaml --pool a100-mig-inference`.
    pub command: String,
    pub system: System,
    /// Each GPU as it was before the change.
    pub gpus: Vec<GpuSnapshot>,
}

impl StateFile {
    pub fn new(command: String, system: System, gpus: Vec<GpuSnapshot>) -> Self {
        let (created_unix, created) = now();
        StateFile {
            format: FORMAT.into(),
            created_unix,
            created,
            command,
            system,
            gpus,
        }
    }
}

pub fn save(path: &Path, state: &StateFile) -> Result<()> {
    let json = serde_json::to_string_pretty(state).expect("state serializes");
    write_atomic(path, format!("{json}\n").as_bytes())
}

pub fn load(path: &Path) -> Result<StateFile> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        HilError::error(format!(
            "{}: cannot read the state file: {e} (apply writes it before changing a GPU)",
            path.display()
        ))
    })?;
    let state: StateFile = serde_json::from_str(&text)
        .map_err(|e| HilError::error(format!("{}: not a state file: {e}", path.display())))?;
    if state.format != FORMAT {
        return Err(HilError::error(format!(
            "{}: format `{}`, expected `{FORMAT}`",
            path.display(),
            state.format
        )));
    }
    Ok(state)
}

/// Writes `bytes` to `path` atomically (`crate::outfile`: a temporary file in the same
/// directory, fsynced and renamed over `path`), creating the directory first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            HilError::error(format!(
                "{}: cannot create its directory: {e}",
                path.display()
            ))
        })?;
    }
    crate::outfile::write(path, bytes).map_err(HilError::error)
}

/// Seconds since the epoch and the UTC date-time string.
pub fn now() -> (u64, String) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs, utc(secs))
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (proleptic Gregorian calendar).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = crate::trace::clock::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
