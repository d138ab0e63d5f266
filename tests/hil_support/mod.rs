//! Helpers for the HIL integration tests: a fake GPU node (the fake NVML library in a temporary
//! directory with its state file) and running `slicesim hil ...` against it.
#![allow(dead_code)]

use slicesim::hil::fakelib::{FakeGpu, STATE_NAME, install};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tempfile::TempDir;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub const PROBE: &str = "sh hil/fake-probe/emulated-probe.sh";

pub struct Node {
    pub dir: TempDir,
    pub lib: PathBuf,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Node {
    pub fn new(gpus: &[FakeGpu], extra: &[&str]) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let lib = install(dir.path(), gpus, extra).unwrap();
        Node { dir, lib }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `slicesim hil --nvml-lib LIB --lock DIR/lock ARGS`, run from the repository root with a
    /// clean fake-library environment plus `env`.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_slicesim"));
        c.current_dir(repo())
            .arg("hil")
            .arg("--nvml-lib")
            .arg(&self.lib)
            .arg("--lock")
            .arg(self.path("lock"))
            .args(args);
        for v in [
            "FAKE_NVML_FAULTS",
            "FAKE_NVML_RESET",
            "FAKE_NVML_STATE",
            "FAKE_NVML_GPUS",
            "SLICESIM_NVML_LIB",
            "FAKE_NVML_FORBID_WRITES",
            "FAKE_NVML_NOT_ROOT",
            "SLICESIM_HIL_READ_ONLY",
            "KUBERNETES_SERVICE_HOST",
        ] {
            c.env_remove(v);
        }
        c.env("FAKE_PROBE_SLEEP", "0");
        // IN_USE retries without waiting; no Kubernetes signs outside the node directory.
        c.env("SLICESIM_HIL_RETRY_DELAY_MS", "0");
        c.env("SLICESIM_HIL_HOST_ROOT", self.dir.path());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// `slicesim hil measure EXPERIMENT --probe-cmd PROBE -o OUT` with the emulated probe.
    pub fn measure(&self, experiment: &str, out: &Path) -> Out {
        let out = path_str(out);
        self.run(
            &["measure", experiment, "--probe-cmd", PROBE, "-o", &out],
            &[],
        )
    }

    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let o = self.command(args, env).output().unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        self.command(args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn state(&self) -> String {
        std::fs::read_to_string(self.path(STATE_NAME)).unwrap()
    }

    /// Per GPU: `mig=C pending=P` and its instances as `profile@start[ci_profile@start,...]`,
    /// ignoring instance ids (which the driver assigns).
    pub fn layout(&self) -> BTreeMap<u32, String> {
        let state = self.state();
        let field = |line: &str, key: &str| -> Option<String> {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(&format!("{key}=")).map(str::to_string))
        };
        let gpu_of =
            |line: &str| -> u32 { line.split_whitespace().nth(1).unwrap().parse().unwrap() };
        let mut out = BTreeMap::new();
        for line in state.lines().filter(|l| l.starts_with("gpu ")) {
            let mut gis: Vec<String> = Vec::new();
            let g = gpu_of(line);
            for gi in state
                .lines()
                .filter(|l| l.starts_with("gi ") && gpu_of(l) == g)
            {
                let id = field(gi, "id").unwrap();
                let mut cis: Vec<String> = state
                    .lines()
                    .filter(|l| {
                        l.starts_with("ci ")
                            && gpu_of(l) == g
                            && field(l, "gi").as_deref() == Some(&id)
                    })
                    .map(|l| {
                        format!(
                            "{}@{}",
                            field(l, "profile").unwrap(),
                            field(l, "start").unwrap()
                        )
                    })
                    .collect();
                cis.sort();
                gis.push(format!(
                    "{}@{}[{}]",
                    field(gi, "profile").unwrap(),
                    field(gi, "start").unwrap(),
                    cis.join(",")
                ));
            }
            gis.sort();
            out.insert(
                g,
                format!(
                    "mig={} pending={} {}",
                    field(line, "mig").unwrap(),
                    field(line, "pending").unwrap(),
                    gis.join(" ")
                ),
            );
        }
        out
    }
}

pub fn scenario(name: &str) -> String {
    repo().join("scenarios").join(name).display().to_string()
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// `slicesim ARGS` in the repository root, without a fake node: exit code, stdout, stderr.
pub fn slicesim(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(repo())
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
