//! What NVML reports about each GPU (MIG mode, instances, profiles, placements, processes),
//! checked against the built-in catalog. This is how the catalog's assumed tables (A100-80GB,
//! H200) get confirmed or corrected on first contact with hardware.

use super::nvml::{System, catalog_model, device, nv, system};
use super::raw::{self, GiProfile, GiState, MigDevice};
use super::{HilError, Result};
use crate::catalog::Catalog;
use nvml_wrapper::Nvml;
use nvml_wrapper::enums::device::UsedGpuMemory;
use serde::{Deserialize, Serialize};

/// A process holding a GPU (a CUDA context).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    pub used_mib: u64,
    pub gi_id: Option<u32>,
    pub ci_id: Option<u32>,
}

/// The reconfigurable state of one GPU: what the state file saves and restore re-creates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuSnapshot {
    pub index: u32,
    pub uuid: String,
    pub name: String,
    /// Built-in catalog model this product maps to, if any.
    pub catalog_model: Option<String>,
    /// NVML's PCI device ID (`0x<device><vendor>`, e.g. 0x20B210DE), when readable: names the
    /// model when the product name is not in the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pci_device_id: Option<u32>,
    pub memory_total_mib: u64,
    pub mig_current: bool,
    pub mig_pending: bool,
    /// GPU instances with their compute instances (empty with MIG off).
    pub instances: Vec<GiState>,
    pub processes: Vec<Process>,
    /// What could not be read without root (placements, GPU instances): the snapshot is
    /// partial, good for an inventory, never for a change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// Everything inventory reports about one GPU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuInventory {
    pub gpu: GpuSnapshot,
    pub profiles: Vec<GiProfile>,
    pub mig_devices: Vec<MigDevice>,
    pub mismatches: Vec<Mismatch>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub system: System,
    pub gpus: Vec<GpuInventory>,
}

/// One difference between NVML and the built-in catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mismatch {
    /// Profile (`1g.10gb (id 19)`), or `GPU` for whole-GPU figures.
    pub what: String,
    pub field: String,
    pub nvml: String,
    pub catalog: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: NVML reports {}, catalog has {}",
            self.what, self.field, self.nvml, self.catalog
        )
    }
}

/// How a snapshot treats what it cannot read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading<'a> {
    /// Inventory, plan, measure: NOT_SUPPORTED from GetMigMode means a GPU without MIG;
    /// NO_PERMISSION on the root-only reads (placements, GPU instances) leaves them out and lists
    /// them in [`GpuSnapshot::unreadable`].
    Lenient,
    /// Before and after a change (apply, verify, rollback, restore): every error is an error,
    /// never "absent". The profiles in `expect` (seen before) must be reported again, and the
    /// driver's MIG device count must equal the compute instances listed.
    Strict { expect_profiles: &'a [u32] },
}

/// Reads one GPU's state and its MIG profiles (empty with MIG off), leniently.
pub fn snapshot(nvml: &Nvml, index: u32) -> Result<(GpuSnapshot, Vec<GiProfile>)> {
    snapshot_with(nvml, index, Reading::Lenient)
}

/// Reads one GPU's state strictly (see [`Reading::Strict`]).
pub fn snapshot_strict(
    nvml: &Nvml,
    index: u32,
    expect_profiles: &[u32],
) -> Result<(GpuSnapshot, Vec<GiProfile>)> {
    snapshot_with(nvml, index, Reading::Strict { expect_profiles })
}

/// Reads one GPU's state and its MIG profiles.
pub fn snapshot_with(
    nvml: &Nvml,
    index: u32,
    reading: Reading<'_>,
) -> Result<(GpuSnapshot, Vec<GiProfile>)> {
    use nvml_wrapper::error::NvmlError;
    let lenient = reading == Reading::Lenient;
    let dev = device(nvml, index)?;
    let at = |what: &str| format!("GPU {index}: {what}");
    let name = dev.name().map_err(|e| nv(at("name"), e))?;
    let uuid = dev.uuid().map_err(|e| nv(at("UUID"), e))?;
    let memory_total_mib = dev.memory_info().map_err(|e| nv(at("memory"), e))?.total >> 20;
    let (mig_current, mig_pending) = match dev.mig_mode() {
        Ok(m) => (m.current == 1, m.pending == 1),
        Err(NvmlError::NotSupported) if lenient => (false, false),
        Err(e) => return Err(nv(at("MIG mode"), e)),
    };
    let mut unreadable = Vec::new();
    let mut profiles = Vec::new();
    let mut instances = Vec::new();
    if mig_current {
        let (p, missing) =
            raw::gi_profiles(nvml, &dev, lenient).map_err(|e| nv(at("MIG profiles"), e))?;
        profiles = p;
        unreadable.extend(missing);
        let ids: Vec<u32> = profiles.iter().map(|p| p.id).collect();
        match raw::list(nvml, &dev, &ids) {
            Ok(list) => instances = list,
            Err(NvmlError::NoPermission) if lenient => {
                unreadable.push("GPU instances (NO_PERMISSION: not root)".into());
            }
            Err(e) => return Err(nv(at("GPU instances"), e)),
        }
        if let Reading::Strict { expect_profiles } = reading {
            strict_checks(nvml, &dev, index, expect_profiles, &ids, &instances)?;
        }
    }
    let processes = dev
        .running_compute_processes()
        .map_err(|e| nv(at("running processes"), e))?
        .into_iter()
        .map(|p| Process {
            pid: p.pid,
            used_mib: match p.used_gpu_memory {
                UsedGpuMemory::Used(b) => b >> 20,
                UsedGpuMemory::Unavailable => 0,
            },
            gi_id: p.gpu_instance_id,
            ci_id: p.compute_instance_id,
        })
        .collect();
    let catalog = Catalog::builtin();
    let pci_device_id = dev.pci_info().ok().map(|p| p.pci_device_id);
    let snap = GpuSnapshot {
        index,
        catalog_model: catalog_model(&catalog, &name, pci_device_id).map(|m| m.name.clone()),
        pci_device_id,
        uuid,
        name,
        memory_total_mib,
        mig_current,
        mig_pending,
        instances,
        processes,
        unreadable,
    };
    Ok((snap, profiles))
}

/// A strict snapshot's cross-checks: profiles seen before are seen again, and the driver has as
/// many MIG devices as compute instances were listed (an instance of a profile NVML did not
/// report would otherwise be invisible).
fn strict_checks(
    nvml: &Nvml,
    dev: &nvml_wrapper::Device,
    index: u32,
    expect: &[u32],
    ids: &[u32],
    instances: &[GiState],
) -> Result<()> {
    let missing: Vec<String> = expect
        .iter()
        .filter(|id| !ids.contains(id))
        .map(u32::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(HilError::error(format!(
            "GPU {index}: MIG profile id(s) {} answered before and not now: cannot tell which \
             instances exist",
            missing.join(", ")
        )));
    }
    let seen = raw::gi_ids(nvml, dev).map_err(|e| nv(format!("GPU {index}: GPU instances"), e))?;
    let hidden: Vec<String> = seen
        .iter()
        .filter(|id| !instances.iter().any(|g| g.id == **id))
        .map(u32::to_string)
        .collect();
    if !hidden.is_empty() {
        return Err(HilError::error(format!(
            "GPU {index}: GPU instance(s) {} exist but were not listed under any profile NVML \
             reported: the state cannot be verified",
            hidden.join(", ")
        )));
    }
    let listed: usize = instances.iter().map(|g| g.cis.len()).sum();
    let devices =
        raw::mig_device_count(dev).map_err(|e| nv(format!("GPU {index}: MIG devices"), e))?;
    if devices as usize != listed {
        return Err(HilError::error(format!(
            "GPU {index}: the driver has {devices} MIG device(s) but {listed} compute instance(s) \
             were listed: some instances are invisible, so the state cannot be verified"
        )));
    }
    Ok(())
}

/// The full inventory of the GPUs `indices`.
pub fn inventory(nvml: &Nvml, indices: &[u32]) -> Result<Inventory> {
    let catalog = Catalog::builtin();
    let mut gpus = Vec::new();
    for &i in indices {
        let (gpu, profiles) = snapshot(nvml, i)?;
        let dev = device(nvml, i)?;
        let mig_devices = if gpu.mig_current {
            raw::mig_devices(nvml, &dev).map_err(|e| nv(format!("GPU {i}: MIG devices"), e))?
        } else {
            Vec::new()
        };
        let mismatches = match catalog_model(&catalog, &gpu.name, gpu.pci_device_id) {
            Some(m) => check(m, gpu.memory_total_mib, &profiles),
            None => vec![Mismatch {
                what: "GPU".into(),
                field: "model".into(),
                nvml: gpu.name.clone(),
                catalog: "no matching built-in model".into(),
            }],
        };
        gpus.push(GpuInventory {
            gpu,
            profiles,
            mig_devices,
            mismatches,
        });
    }
    Ok(Inventory {
        system: system(nvml)?,
        gpus,
    })
}

mod check;
pub use check::{check, effective_model};

/// Profile name of an instance: the catalog's, else NVML's, else `id N`.
pub fn profile_name(gpu: &GpuSnapshot, profiles: &[GiProfile], id: u32) -> String {
    let catalog = Catalog::builtin();
    gpu.catalog_model
        .as_deref()
        .and_then(|m| catalog.get(m))
        .and_then(|m| m.mig_profiles.iter().find(|p| p.id == id))
        .map(|p| p.name.clone())
        .or_else(|| {
            profiles
                .iter()
                .find(|p| p.id == id)
                .and_then(|p| p.name.clone())
        })
        .unwrap_or_else(|| format!("id {id}"))
}

/// One line per instance: `3g.40gb at memory slices 4-7 (GPU instance 1; compute instance 0)`.
pub fn describe_instances(gpu: &GpuSnapshot, profiles: &[GiProfile]) -> Vec<String> {
    gpu.instances
        .iter()
        .map(|gi| {
            let cis: Vec<String> = gi.cis.iter().map(|c| c.id.to_string()).collect();
            format!(
                "{} at memory slices {}-{} (GPU instance {}; compute instance{} {})",
                profile_name(gpu, profiles, gi.profile_id),
                gi.start,
                gi.start + gi.size.max(1) - 1,
                gi.id,
                if cis.len() == 1 { "" } else { "s" },
                if cis.is_empty() {
                    "none".to_string()
                } else {
                    cis.join(", ")
                }
            )
        })
        .collect()
}

/// Error for a GPU whose product is not in the catalog.
pub fn unknown_model(gpu: &GpuSnapshot) -> HilError {
    HilError::refused(format!(
        "GPU {} ({}) maps to no built-in catalog model",
        gpu.index, gpu.name
    ))
}
