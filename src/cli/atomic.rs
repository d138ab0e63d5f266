//! Writing a file whole or not at all: to a temporary name beside it, then renamed over it.

use std::path::Path;

/// Writes `bytes` to `path` through `.<name>.tmp-<pid>` in the same folder; on any error the
/// temporary file is removed and `path` is left as it was.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })
}
