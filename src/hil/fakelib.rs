//! The fake NVML library (`hil/fake-nvml/fake_nvml.c`): build it with the system C compiler and
//! lay it out in a directory with its state file, so that the harness (and nvml-wrapper under it)
//! can load it through `Nvml::builder().lib_path(..)` exactly as it loads the real driver.
//!
//! The C source is embedded in the binary, so `slicesim hil fake-nvml --out DIR` works on any
//! machine with `cc` (or `$CC`). The library keeps its state in `fake-nvml-state` next to itself
//! (or `$FAKE_NVML_STATE`); two copies in two directories are two independent fake GPU nodes,
//! which is how tests running in parallel stay apart.

use super::{HilError, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The fake library's C source.
pub const SOURCE: &str = include_str!("../../hil/fake-nvml/fake_nvml.c");
/// File name the library gets in a node directory (the name the real driver installs).
pub const LIB_NAME: &str = "libnvidia-ml.so.1";
/// State file the library reads and writes next to itself.
pub const STATE_NAME: &str = "fake-nvml-state";

/// Compiles the fake library into `out` (a file path) with `$CC` or `cc`.
pub fn compile(out: &Path) -> Result<()> {
    let dir = out
        .parent()
        .ok_or_else(|| HilError::error(format!("{}: no parent directory", out.display())))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| HilError::error(format!("{}: cannot create: {e}", dir.display())))?;
    let pid = std::process::id();
    let src = dir.join(format!(".fake_nvml.{pid}.c"));
    let tmp = dir.join(format!(".fake_nvml.{pid}.so"));
    std::fs::write(&src, SOURCE)
        .map_err(|e| HilError::error(format!("{}: cannot write: {e}", src.display())))?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let output = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O1", "-fvisibility=hidden", "-o"])
        .arg(&tmp)
        .arg(&src)
        .args(["-ldl", "-lpthread"])
        .output()
        .map_err(|e| HilError::error(format!("cannot run the C compiler `{cc}`: {e}")));
    let _ = std::fs::remove_file(&src);
    let output = output?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(HilError::error(format!(
            "`{cc}` failed to build the fake NVML library:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    std::fs::rename(&tmp, out)
        .map_err(|e| HilError::error(format!("{}: cannot write: {e}", out.display())))
}

/// A build of the fake library shared by everything in this process (built on first use in the
/// temporary directory, under a name that changes with the source).
pub fn cached() -> Result<PathBuf> {
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let hash = SOURCE.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            let path = std::env::temp_dir()
                .join(format!("slicesim-fake-nvml-{hash:016x}"))
                .join("libfake-nvml.so");
            if !path.exists() {
                compile(&path).map_err(|e| e.message)?;
            }
            Ok(path)
        })
        .clone()
        .map_err(HilError::error)
}

/// One GPU of a fake node: a model key (`A100-80GB`, `H100-80GB`, `H200-141GB`) and whether MIG
/// mode starts on.
#[derive(Clone, Debug)]
pub struct FakeGpu {
    pub model: &'static str,
    pub mig: bool,
}

impl FakeGpu {
    pub fn new(model: &'static str, mig: bool) -> Self {
        FakeGpu { model, mig }
    }
}

/// Puts a copy of the fake library into `dir` as [`LIB_NAME`] with a fresh state file holding
/// `gpus` and `extra` lines (processes, overrides, faults; see hil/fake-nvml/README.md).
/// Returns the library path to pass to `--nvml-lib` or [`super::nvml::open`].
pub fn install(dir: &Path, gpus: &[FakeGpu], extra: &[&str]) -> Result<PathBuf> {
    let lib = dir.join(LIB_NAME);
    std::fs::create_dir_all(dir)
        .map_err(|e| HilError::error(format!("{}: cannot create: {e}", dir.display())))?;
    std::fs::copy(cached()?, &lib)
        .map_err(|e| HilError::error(format!("{}: cannot copy: {e}", lib.display())))?;
    let mut state = String::from("driver 550.00-fake\n");
    for (i, g) in gpus.iter().enumerate() {
        let m = u8::from(g.mig);
        state.push_str(&format!("gpu {i} model={} mig={m} pending={m}\n", g.model));
    }
    for line in extra {
        state.push_str(line);
        state.push('\n');
    }
    std::fs::write(dir.join(STATE_NAME), state)
        .map_err(|e| HilError::error(format!("{}: cannot write: {e}", dir.display())))?;
    Ok(lib)
}

/// Parses `A100-80GB,H100-80GB:mig` into fake GPUs.
pub fn parse_gpus(spec: &str) -> Result<Vec<FakeGpu>> {
    const MODELS: [&str; 3] = ["A100-80GB", "H100-80GB", "H200-141GB"];
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|item| {
            let (name, mig) = match item.trim().split_once(':') {
                Some((n, "mig")) => (n, true),
                Some((_, other)) => {
                    return Err(HilError::error(format!(
                        "`{item}`: unknown option `{other}` (only `:mig`)"
                    )));
                }
                None => (item.trim(), false),
            };
            let model = MODELS
                .iter()
                .find(|m| m.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    HilError::error(format!(
                        "the fake library has no model `{name}` (known: {})",
                        MODELS.join(", ")
                    ))
                })?;
            Ok(FakeGpu::new(model, mig))
        })
        .collect()
}
