//! Other GPU clients on the host that NVML's process list does not show (M11 of the HIL review):
//! a Kubernetes node (the device plugin and GPU feature discovery would advertise stale resources
//! while MIG changes under them) and processes holding `/dev/nvidia*` without a compute context
//! (device plugin, DCGM, persistence daemon). Everything here only reads.

use super::{HilError, Progress, Result};
use std::path::{Path, PathBuf};

/// Environment variable naming the file-system root the checks look under (default `/`; tests
/// point it at a directory of their own).
pub const ROOT_ENV: &str = "SLICESIM_HIL_HOST_ROOT";

/// The root the checks look under.
pub fn root() -> PathBuf {
    std::env::var_os(ROOT_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Why this host looks like a Kubernetes node; empty when it does not.
pub fn k8s_signs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        out.push("KUBERNETES_SERVICE_HOST is set (running in a pod)".to_string());
    }
    for dir in ["var/lib/kubelet", "etc/kubernetes"] {
        if root.join(dir).exists() {
            out.push(format!("/{dir} exists"));
        }
    }
    out
}

/// A process with an NVIDIA device file open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub name: String,
    pub device: String,
}

/// Processes other than this one with `/dev/nvidia*` open, from `proc_dir` (`/proc`): the
/// read-only equivalent of `lsof /dev/nvidia*`. Processes that cannot be read are skipped.
pub fn device_holders(proc_dir: &Path) -> Vec<Holder> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        let device = fds.flatten().find_map(|fd| {
            let target = std::fs::read_link(fd.path()).ok()?;
            let t = target.to_string_lossy().into_owned();
            t.starts_with("/dev/nvidia").then_some(t)
        });
        if let Some(device) = device {
            let name = std::fs::read_to_string(e.path().join("comm"))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "?".into());
            out.push(Holder { pid, name, device });
        }
    }
    out.sort_by_key(|h| h.pid);
    out
}

/// Before a change: refuses on a Kubernetes node unless `force`, and lists the non-compute
/// holders of the NVIDIA devices (information only).
pub fn check(root: &Path, force: bool, progress: &mut dyn Progress) -> Result<()> {
    let holders = device_holders(&root.join("proc"));
    if !holders.is_empty() {
        let list: Vec<String> = holders
            .iter()
            .map(|h| format!("pid {} ({}, {})", h.pid, h.name, h.device))
            .collect();
        progress.warn(&format!(
            "note: processes holding NVIDIA device files (they may hold no compute context, e.g. \
             a device plugin, DCGM or nvidia-persistenced): {}",
            list.join(", ")
        ));
    }
    let signs = k8s_signs(root);
    if signs.is_empty() {
        return Ok(());
    }
    if force {
        progress.warn(&format!(
            "warning: --force: changing a GPU on what looks like a Kubernetes node ({})",
            signs.join("; ")
        ));
        return Ok(());
    }
    Err(HilError::refused(format!(
        "this host looks like a Kubernetes node ({}): the device plugin and GPU feature discovery \
         would advertise stale resources while MIG changes under them. Drain the node and stop \
         them first, then pass --force",
        signs.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_directory_refuses_unless_forced() {
        let root = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        // SAFETY of the env: the variable is only read, never set, by these tests.
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
            assert!(check(root.path(), false, &mut lines).is_ok());
        }
        std::fs::create_dir_all(root.path().join("var/lib/kubelet")).unwrap();
        let e = check(root.path(), false, &mut lines).unwrap_err();
        assert_eq!(e.exit, super::super::Exit::Refused);
        assert!(e.message.contains("/var/lib/kubelet exists"), "{e}");
        assert!(check(root.path(), true, &mut lines).is_ok());
        assert!(lines.iter().any(|l| l.contains("--force")), "{lines:?}");
    }

    #[test]
    fn device_holders_are_read_from_proc_fd_links() {
        let root = tempfile::tempdir().unwrap();
        let proc_dir = root.path().join("proc");
        for (pid, name, target) in [
            ("4242", "nv-hostengine", "/dev/nvidia0"),
            ("77", "bash", "/dev/pts/0"),
            ("901", "nvidia-device-p", "/dev/nvidiactl"),
        ] {
            let fd = proc_dir.join(pid).join("fd");
            std::fs::create_dir_all(&fd).unwrap();
            std::os::unix::fs::symlink(target, fd.join("3")).unwrap();
            std::fs::write(proc_dir.join(pid).join("comm"), format!("{name}\n")).unwrap();
        }
        std::fs::create_dir_all(proc_dir.join("self")).unwrap();
        let h = device_holders(&proc_dir);
        assert_eq!(
            h,
            vec![
                Holder {
                    pid: 901,
                    name: "nvidia-device-p".into(),
                    device: "/dev/nvidiactl".into()
                },
                Holder {
                    pid: 4242,
                    name: "nv-hostengine".into(),
                    device: "/dev/nvidia0".into()
                },
            ]
        );
        let mut lines = Vec::new();
        let _ = check(root.path(), true, &mut lines);
        assert!(
            lines[0].contains("pid 901 (nvidia-device-p, /dev/nvidiactl)"),
            "{lines:?}"
        );
    }
}
