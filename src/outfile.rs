//! Output files written atomically: every file slicesim writes (run outputs, imports, generated
//! and fitted traces, experiment results, HIL files) goes to a temporary file in the target's
//! folder, is flushed to disk (fsync) and then renamed over the target, so a reader sees the old
//! file or the complete new one, never a part.
//!
//! - A target that exists and is not a regular file (a directory, a device such as `/dev/full`,
//!   a FIFO, a socket) is refused with a message naming it; nothing is written.
//! - A symbolic link is written through: the file it points to is replaced (in that file's
//!   folder) and the link stays a link.
//! - A temporary file is removed when writing fails or the writer is dropped uncommitted, and
//!   by [`remove_temporaries`], which the command line calls on SIGINT and SIGTERM.
//!
//! A leaf module (std only): every layer may use it.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files and freshly created (still empty) folders not yet published: what
/// [`remove_temporaries`] removes.
static LIVE: Mutex<Live> = Mutex::new(Live {
    files: Vec::new(),
    dirs: Vec::new(),
});

struct Live {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

/// Makes temporary names unique within the process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn live() -> std::sync::MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary file not yet published, and the folders made for them that are still
/// empty. For a signal handler: the process exits next.
pub fn remove_temporaries() {
    let mut l = live();
    for f in l.files.drain(..) {
        let _ = std::fs::remove_file(f);
    }
    for d in l.dirs.drain(..).rev() {
        let _ = std::fs::remove_dir(d);
    }
}

/// Remembers a folder this process created for its outputs: removed by [`remove_temporaries`]
/// while still empty, until [`forget_dir`].
pub fn track_dir(dir: &Path) {
    live().dirs.push(dir.to_path_buf());
}

/// The folder is published (or already removed): [`remove_temporaries`] leaves it alone.
pub fn forget_dir(dir: &Path) {
    live().dirs.retain(|d| d != dir);
}

/// The file to replace when writing `path`: `path` itself, or the file a symbolic link at
/// `path` points to. Err when it exists and is not a regular file, or names no file.
pub fn check_target(path: &Path) -> Result<PathBuf, String> {
    if path.file_name().is_none() {
        return Err(format!("{}: not a file name", path.display()));
    }
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(real) => real,
            // A dangling link: its target does not exist yet; write it there.
            Err(_) => resolve_dangling(path)?,
        },
        _ => path.to_path_buf(),
    };
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() => Err(format!(
            "{}: not a regular file ({}); give the path of a file to write",
            path.display(),
            kind(&m)
        )),
        _ => Ok(target),
    }
}

/// What a non-regular file is, in words.
fn kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The path a dangling symbolic link points to (relative links from the link's folder).
fn resolve_dangling(path: &Path) -> Result<PathBuf, String> {
    let to = std::fs::read_link(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(match path.parent() {
        Some(dir) if to.is_relative() => dir.join(to),
        _ => to,
    })
}

/// A new temporary file beside `target` (same folder, so the rename is atomic), registered for
/// [`remove_temporaries`].
pub fn stage(target: &Path) -> Result<(PathBuf, File), String> {
    let name = target
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", target.display()))?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut l = live();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| format!("{}: cannot write: {e}", target.display()))?;
    l.files.push(tmp.clone());
    Ok((tmp, file))
}

/// Flushes the staged `tmp` to disk and renames it over `target`.
pub fn publish(tmp: &Path, target: &Path) -> Result<(), String> {
    let fail = |e: io::Error| format!("{}: cannot write: {e}", target.display());
    let result = File::open(tmp)
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(tmp, target));
    if result.is_err() {
        discard(tmp);
    } else {
        forget(tmp);
        // Best effort: the rename itself reaches the disk with the folder.
        if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
    }
    result.map_err(fail)
}

/// Publishes staged files together, `(tmp, target)` in order: every one flushed to disk, then
/// each renamed over its target, then each folder synced once (not once per file, as
/// [`publish`] would). A file that cannot be synced publishes none; a failed rename leaves the
/// files before it published and removes the rest. Each target is still replaced whole.
pub fn publish_all(staged: &[(PathBuf, PathBuf)]) -> Result<(), String> {
    let fail = |target: &Path, e: io::Error| format!("{}: cannot write: {e}", target.display());
    let discard_from = |i: usize| staged[i..].iter().for_each(|(tmp, _)| discard(tmp));
    for (tmp, target) in staged {
        if let Err(e) = File::open(tmp).and_then(|f| f.sync_all()) {
            discard_from(0);
            return Err(fail(target, e));
        }
    }
    let mut dirs: Vec<&Path> = Vec::new();
    for (i, (tmp, target)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, target) {
            discard_from(i);
            return Err(fail(target, e));
        }
        forget(tmp);
        if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty())
            && !dirs.contains(&dir)
        {
            dirs.push(dir);
        }
    }
    // Best effort, as in `publish`: the renames reach the disk with their folders.
    for dir in dirs {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Removes the staged `tmp` (writing failed or was abandoned).
pub fn discard(tmp: &Path) {
    let _ = std::fs::remove_file(tmp);
    forget(tmp);
}

fn forget(tmp: &Path) {
    live().files.retain(|f| f != tmp);
}

/// One output file: write to it, then [`AtomicFile::commit`]. Dropped uncommitted (an error
/// happened), it leaves the target as it was.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    w: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Checks `path` ([`check_target`]) and stages its temporary file.
    pub fn create(path: &Path) -> Result<AtomicFile, String> {
        let target = check_target(path)?;
        let (tmp, file) = stage(&target)?;
        Ok(AtomicFile {
            target,
            tmp,
            w: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<(), String> {
        let w = self.w.take().expect("committed once");
        if let Err(e) = w.into_inner().map_err(|e| e.into_error()) {
            discard(&self.tmp);
            return Err(format!("{}: cannot write: {e}", self.target.display()));
        }
        publish(&self.tmp, &self.target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            discard(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    f.commit()
}

#[cfg(test)]
mod tests;
