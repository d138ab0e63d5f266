//! An output folder written whole or not at all: files go to a hidden sibling `.OUT.tmp-<pid>`
//! folder that replaces `OUT` on commit and is removed if the work fails. Hidden, so that a
//! shell glob such as `shards/*` never picks up what a killed shard left behind.

use std::path::{Path, PathBuf};

pub struct Staging {
    tmp: PathBuf,
    out: PathBuf,
    committed: bool,
}

impl Staging {
    /// Stages a new `out`. An existing `out` must be empty or hold `marker` (the output of an
    /// earlier sweep, shard or merge), so that a typo never replaces some other folder.
    pub fn new(out: &Path, marker: &str) -> Result<Self, String> {
        if out.exists() {
            let empty = std::fs::read_dir(out)
                .map_err(|e| format!("{}: {e}", out.display()))?
                .next()
                .is_none();
            if !empty && !out.join(marker).is_file() {
                return Err(format!(
                    "{}: exists and holds no {marker}: give another --out or remove it",
                    out.display()
                ));
            }
        }
        let name = out
            .file_name()
            .ok_or_else(|| format!("{}: not a folder name", out.display()))?;
        let tmp = out.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        }
        std::fs::create_dir_all(&tmp)
            .map_err(|e| format!("{}: cannot create: {e}", tmp.display()))?;
        Ok(Staging {
            tmp,
            out: out.to_path_buf(),
            committed: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the staged folder in place of `out` (an earlier one is removed).
    pub fn commit(mut self) -> Result<(), String> {
        let old = self
            .tmp
            .with_extension(format!("old-{}", std::process::id()));
        let had = self.out.exists();
        if had {
            std::fs::rename(&self.out, &old)
                .map_err(|e| format!("{}: cannot move aside: {e}", self.out.display()))?;
        }
        std::fs::rename(&self.tmp, &self.out)
            .map_err(|e| format!("{}: cannot rename: {e}", self.out.display()))?;
        self.committed = true;
        if had {
            std::fs::remove_dir_all(&old).map_err(|e| format!("{}: {e}", old.display()))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}
