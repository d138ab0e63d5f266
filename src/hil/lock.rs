//! The lock file that keeps two harness runs from reconfiguring or loading the same node at
//! once. It is an advisory `flock` on a file (default `$TMPDIR/slicesim-hil.lock`, or
//! `--lock PATH`): the kernel drops it when the process dies, so a crashed run never leaves a
//! stale lock. The file's text says who holds it.

use super::state::utc;
use super::{HilError, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

/// Default lock path: one per machine (per temporary directory).
pub fn default_path() -> PathBuf {
    std::env::temp_dir().join("slicesim-hil.lock")
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Takes the lock for `what` (e.g. `apply scenarios/x.yaml --pool p`), or refuses naming the
/// holder.
pub fn acquire(path: &Path, what: &str) -> Result<Lock> {
    let err = |e: std::io::Error| {
        HilError::error(format!(
            "{}: cannot open the lock file: {e}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(HilError::refused(format!(
                "another harness run holds the lock {}{}; wait for it to finish",
                path.display(),
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({holder})")
                }
            )));
        }
        Err(TryLockError::Error(e)) => return Err(err(e)),
    }
    let (secs, _) = super::state::now();
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = writeln!(
        file,
        "pid {} since {}: slicesim hil {what}",
        std::process::id(),
        utc(secs)
    );
    Ok(Lock {
        file,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hil.lock");
        let first = acquire(&p, "apply a.yaml --pool p").unwrap();
        let e = acquire(&p, "measure e.yaml").unwrap_err();
        assert_eq!(e.exit, super::super::Exit::Refused);
        assert!(e.message.contains("apply a.yaml --pool p"), "{e}");
        drop(first);
        acquire(&p, "measure e.yaml").expect("free again after drop");
    }
}
