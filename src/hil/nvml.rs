//! NVML access: load the library (once per process for the CLI), find devices, describe them.
//!
//! nvml-wrapper loads NVML with libloading at run time, so a host without a driver fails at
//! [`open`] with a [`HilError`] of kind [`Exit::NoDevice`] ("no NVML on this host"), never with
//! a panic. The library path comes from `--nvml-lib`, else `$SLICESIM_NVML_LIB`, else the
//! driver's `libnvidia-ml.so.1` (then `libnvidia-ml.so`).

use super::{Exit, HilError, Result};
use crate::catalog::{Catalog, GpuModel};
use nvml_wrapper::Device;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Environment variable naming the NVML library to load (the fake one in tests).
pub const LIB_ENV: &str = "SLICESIM_NVML_LIB";
/// Names tried when no library is given: the driver installs the first; `.so` comes with
/// development packages.
pub const DEFAULT_LIBS: [&str; 2] = ["libnvidia-ml.so.1", "libnvidia-ml.so"];

/// Loads and initialises NVML from `lib`, or from [`LIB_ENV`] / [`DEFAULT_LIBS`].
pub fn open(lib: Option<&Path>) -> Result<Nvml> {
    let env = std::env::var_os(LIB_ENV).filter(|v| !v.is_empty());
    let chosen: Option<PathBuf> = lib.map(Path::to_path_buf).or(env.map(PathBuf::from));
    match chosen {
        Some(path) => init(path.as_os_str()),
        None => {
            let mut last = None;
            for name in DEFAULT_LIBS {
                match init(OsStr::new(name)) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.exit == Exit::NoDevice => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            Err(last.expect("DEFAULT_LIBS is not empty"))
        }
    }
}

fn init(path: &OsStr) -> Result<Nvml> {
    let shown = Path::new(path).display();
    Nvml::builder().lib_path(path).init().map_err(|e| match e {
        NvmlError::LibloadingError(err) => HilError::new(
            Exit::NoDevice,
            format!(
                "no NVML on this host: cannot load {shown} ({err}); install the NVIDIA driver, \
                 or pass --nvml-lib PATH (or set {LIB_ENV})"
            ),
        ),
        NvmlError::DriverNotLoaded => HilError::new(
            Exit::NoDevice,
            format!("no NVML on this host: {shown} loaded but the NVIDIA driver is not running"),
        ),
        NvmlError::FailedToLoadSymbol(s) => HilError::new(
            Exit::NoDevice,
            format!("no NVML on this host: {shown} is not an NVML library ({s})"),
        ),
        NvmlError::NoPermission => HilError::new(
            Exit::NoDevice,
            format!("NVML at {shown}: no permission to talk to the driver"),
        ),
        other => HilError::new(
            Exit::NoDevice,
            format!("NVML at {shown} failed to initialise: {other}"),
        ),
    })
}

static GLOBAL: OnceLock<Nvml> = OnceLock::new();

/// The process-wide NVML handle, initialised on first use (initialising NVML is costly, so the
/// CLI does it once). Library code takes `&Nvml` so that tests can load their own copies.
pub fn global(lib: Option<&Path>) -> Result<&'static Nvml> {
    if let Some(n) = GLOBAL.get() {
        return Ok(n);
    }
    let n = open(lib)?;
    Ok(GLOBAL.get_or_init(|| n))
}

/// Maps an NVML error to a harness error that says what was being done.
pub fn nv(what: impl std::fmt::Display, e: NvmlError) -> HilError {
    HilError::error(format!("{what}: {}", describe(&e)))
}

/// NVML's name for an error (`IN_USE`, `RESET_REQUIRED`, ...) with what it means.
pub fn describe(e: &NvmlError) -> String {
    let (name, hint) = match e {
        NvmlError::Uninitialized => ("UNINITIALIZED", String::new()),
        NvmlError::InvalidArg => ("INVALID_ARGUMENT", String::new()),
        NvmlError::NotSupported => ("NOT_SUPPORTED", String::new()),
        NvmlError::NoPermission => ("NO_PERMISSION", "run as root".into()),
        NvmlError::NotFound => ("NOT_FOUND", String::new()),
        NvmlError::DriverNotLoaded => ("DRIVER_NOT_LOADED", String::new()),
        NvmlError::Timeout => ("TIMEOUT", String::new()),
        NvmlError::GpuLost => ("GPU_IS_LOST", "the GPU fell off the bus".into()),
        NvmlError::ResetRequired => ("RESET_REQUIRED", "the GPU needs a reset".into()),
        NvmlError::InUse => (
            "IN_USE",
            "the GPU or instance is busy: stop the processes on it".into(),
        ),
        NvmlError::Unknown => ("UNKNOWN", "an internal driver error".into()),
        // Codes newer than nvml-wrapper's error enum.
        NvmlError::UnexpectedVariant(23) => (
            "INSUFFICIENT_RESOURCES",
            "the placement overlaps or the profile is at its maximum".into(),
        ),
        NvmlError::UnexpectedVariant(25) => ("ARGUMENT_VERSION_MISMATCH", String::new()),
        NvmlError::UnexpectedVariant(29) => ("INVALID_STATE", "is MIG mode on?".into()),
        NvmlError::UnexpectedVariant(super::guard::REFUSED_CODE) => {
            return super::guard::refused_text();
        }
        other => return other.to_string(),
    };
    if hint.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({hint})")
    }
}

/// Driver, NVML and CUDA driver versions and the host name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct System {
    pub host: String,
    pub driver_version: String,
    pub nvml_version: String,
    pub cuda_driver_version: Option<i32>,
    /// True when the driver version marks the fake NVML library (tests and demos).
    pub fake: bool,
}

pub fn system(nvml: &Nvml) -> Result<System> {
    let driver_version = nvml
        .sys_driver_version()
        .map_err(|e| nv("driver version", e))?;
    Ok(System {
        host: host_name(),
        fake: driver_version.contains("fake"),
        driver_version,
        nvml_version: nvml.sys_nvml_version().unwrap_or_default(),
        cuda_driver_version: nvml.sys_cuda_driver_version().ok(),
    })
}

pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Device `index`, with a message listing how many there are when it does not exist.
pub fn device(nvml: &Nvml, index: u32) -> Result<Device<'_>> {
    let count = nvml.device_count().map_err(|e| nv("device count", e))?;
    if index >= count {
        return Err(HilError::error(format!(
            "no GPU with index {index}: NVML reports {count} GPU(s)"
        )));
    }
    nvml.device_by_index(index)
        .map_err(|e| nv(format!("GPU {index}"), e))
}

/// Indices of the GPUs to act on: `only`, or all of them.
pub fn indices(nvml: &Nvml, only: Option<u32>) -> Result<Vec<u32>> {
    let count = nvml.device_count().map_err(|e| nv("device count", e))?;
    match only {
        Some(i) if i < count => Ok(vec![i]),
        Some(i) => Err(HilError::error(format!(
            "no GPU with index {i}: NVML reports {count} GPU(s)"
        ))),
        None => Ok((0..count).collect()),
    }
}

/// The built-in catalog model of a GPU: by its exact NVML product name (`NVIDIA H100 80GB
/// HBM3` -> `H100-80GB`), else by its PCI device ID (`0x233010DE`, NVML's `pci_device_id`).
/// Names are matched whole (`NVIDIA GH200 480GB` is not an H200); see
/// [`crate::catalog::products`].
pub fn catalog_model<'c>(
    catalog: &'c Catalog,
    product: &str,
    pci_device_id: Option<u32>,
) -> Option<&'c GpuModel> {
    crate::catalog::model_for_product(product, catalog)
        .and_then(|m| catalog.get(&m.model))
        .or_else(|| {
            let id = pci_device_id?;
            let device = crate::catalog::parse_pci_id(&format!("{id:08x}"))?;
            catalog.get(crate::catalog::model_for_pci(device)?)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_names_map_to_catalog_models() {
        let c = Catalog::builtin();
        let m = |p: &str, pci: Option<u32>| catalog_model(&c, p, pci).map(|m| m.name.clone());
        let some = |s: &str| Some(s.to_string());
        assert_eq!(m("NVIDIA A100-SXM4-80GB", None), some("A100-80GB"));
        assert_eq!(m("NVIDIA A100-PCIE-40GB", None), some("A100-SXM4-40GB"));
        assert_eq!(m("NVIDIA H100 80GB HBM3", None), some("H100-80GB"));
        assert_eq!(m("NVIDIA H100 PCIe", None), some("H100-PCIe-80GB"));
        assert_eq!(m("NVIDIA H100 NVL", None), some("H100-NVL-94GB"));
        assert_eq!(m("NVIDIA H200", None), some("H200-141GB"));
        assert_eq!(m("NVIDIA H200 NVL", None), some("H200-NVL-141GB"));
        assert_eq!(m("Tesla T4", None), some("T4-16GB"));
        // GH200 contains "H200" but is another product (M15, issue 15): exact names only.
        assert_eq!(m("NVIDIA GH200 480GB", None), some("GH200-480GB"));
        assert_eq!(m("NVIDIA GH200 144G HBM3e", None), None);
        // An unknown name is identified by its PCI device ID (0x20B2 = A100 SXM4 80GB).
        assert_eq!(
            m("NVIDIA A100 renamed", Some(0x20B2_10DE)),
            some("A100-80GB")
        );
        assert_eq!(m("NVIDIA A100 renamed", Some(0x31C2_10DE)), None);
        assert_eq!(m("NVIDIA A100 renamed", None), None);
    }

    #[test]
    fn missing_library_is_a_clean_no_nvml_error() {
        let e = open(Some(Path::new("/nonexistent/libnvidia-ml.so.1"))).unwrap_err();
        assert_eq!(e.exit, Exit::NoDevice);
        assert!(e.message.starts_with("no NVML on this host"), "{e}");
    }
}
