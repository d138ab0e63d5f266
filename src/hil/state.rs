//! The state file `apply` writes before it changes anything (what `restore` puts back), and the
//! atomic file writes every harness output goes through (temporary file, fsync, rename), so an
//! interrupted run never leaves a truncated state or measurement file behind.

use super::inventory::GpuSnapshot;
use super::nvml::System;
use super::{HilError, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub const FORMAT: &str = "slicesim-hil-state/1";
/// Where `apply` saves the state before its first change (the original, never overwritten) and
/// `restore` reads it unless `--state` says otherwise.
pub const DEFAULT_PATH: &str = "hil-state/original.json";

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

/// Where `apply` saved the state before its change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    /// This run's prior state (timestamped file next to `original`).
    pub this_run: PathBuf,
    /// The original state (the `--state` path).
    pub original: PathBuf,
    /// True when `original` already held an earlier state and was left as it was.
    pub original_kept: bool,
}

/// Saves the state before a change without ever overwriting an earlier one: every save goes to a
/// new timestamped file `STEM-YYYYMMDDTHHMMSSZ[-N].EXT` next to `path`, and `path` itself (the
/// original, the state before the first harness change) is written only when it does not exist.
pub fn save_prior(path: &Path, state: &StateFile) -> Result<Saved> {
    let stamp: String = state
        .created
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut this_run = path.with_file_name(format!("{stem}-{stamp}{ext}"));
    let mut n = 2;
    while this_run.exists() {
        this_run = path.with_file_name(format!("{stem}-{stamp}-{n}{ext}"));
        n += 1;
    }
    save(&this_run, state)?;
    let original_kept = path.exists();
    if !original_kept {
        save(path, state)?;
    }
    Ok(Saved {
        this_run,
        original: path.to_path_buf(),
        original_kept,
    })
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

    fn file(created: &str) -> StateFile {
        let system = crate::hil::nvml::System {
            host: "h".into(),
            driver_version: "d".into(),
            nvml_version: "n".into(),
            cuda_driver_version: None,
            fake: true,
        };
        let mut f = StateFile::new("cmd".into(), system, Vec::new());
        f.created = created.into();
        f
    }

    #[test]
    fn the_original_state_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let orig = dir.path().join("hil-state/original.json");
        let first = save_prior(&orig, &file("2026-12-03T06:00:00Z")).unwrap();
        assert!(!first.original_kept);
        assert_eq!(
            first.this_run,
            dir.path().join("hil-state/original-20261203T060000Z.json")
        );
        // A second apply (same second, then later) keeps the original and adds files.
        let mut second = file("2026-12-03T06:00:00Z");
        second.command = "second".into();
        let s2 = save_prior(&orig, &second).unwrap();
        assert!(s2.original_kept);
        assert_eq!(
            s2.this_run,
            dir.path()
                .join("hil-state/original-20261203T060000Z-2.json")
        );
        assert_eq!(load(&orig).unwrap().command, "cmd");
        assert_eq!(load(&s2.this_run).unwrap().command, "second");
        assert_eq!(load(&first.this_run).unwrap().command, "cmd");
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
