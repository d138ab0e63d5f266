//! MIG calls that nvml-wrapper's safe API lacks, made through the raw bindings (`nvml.lib()`):
//! GPU-instance and compute-instance create (with explicit placement), destroy and list, and the
//! possible placements of a profile.
//!
//! Placements are read with `nvmlDeviceGetGpuInstancePossiblePlacements_v2` directly: the safe
//! `Device::possible_placements` of nvml-wrapper 0.13 returns an empty list on success (it
//! never sets the vector's length). Symbols are fetched with `nvml_sym`, so a library that lacks
//! one gives an error, not a panic.

use nvml_wrapper::Device;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::{NvmlError, nvml_sym, nvml_try};
use nvml_wrapper_sys::bindings::{
    NVML_COMPUTE_INSTANCE_PROFILE_COUNT, NVML_GPU_INSTANCE_PROFILE_COUNT, nvmlComputeInstance_t,
    nvmlComputeInstanceInfo_t, nvmlComputeInstancePlacement_t, nvmlComputeInstanceProfileInfo_t,
    nvmlDevice_t, nvmlGpuInstance_t, nvmlGpuInstanceInfo_t, nvmlGpuInstancePlacement_t,
    nvmlGpuInstanceProfileInfo_v2_t,
};
use serde::{Deserialize, Serialize};
use std::ffi::CStr;
use std::mem;
use std::ptr;

type R<T> = Result<T, NvmlError>;

/// A GPU-instance profile as NVML reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GiProfile {
    /// Profile index (`NVML_GPU_INSTANCE_PROFILE_*`), what `profile_info` takes.
    pub index: u32,
    /// Profile id (19, 15, 14, 9, 5, 0, ...), what create and placements take.
    pub id: u32,
    /// Name such as `1g.10gb` when the driver reports names (profile info v2).
    pub name: Option<String>,
    pub compute_slices: u32,
    pub max_count: u32,
    pub sms: u32,
    pub memory_mib: u64,
    /// Possible placements as (start, size) in memory slices.
    pub placements: Vec<(u32, u32)>,
}

/// A compute instance inside a GPU instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiState {
    pub id: u32,
    pub profile_id: u32,
    /// Compute-slice placement inside its GPU instance.
    pub start: u32,
    pub size: u32,
}

/// A GPU instance with its compute instances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiState {
    pub id: u32,
    pub profile_id: u32,
    /// Memory-slice placement.
    pub start: u32,
    pub size: u32,
    pub cis: Vec<CiState>,
}

/// A MIG device (one compute instance) as CUDA sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigDevice {
    pub uuid: String,
    pub gi_id: u32,
    pub ci_id: u32,
    pub memory_total_mib: u64,
}

fn handle(dev: &Device) -> nvmlDevice_t {
    // SAFETY: the handle is only passed back to NVML while `dev` (and its Nvml) is alive.
    unsafe { dev.handle() }
}

/// Every GPU-instance profile the device offers, with placements. Empty with MIG off (NVML
/// answers NOT_SUPPORTED there).
pub fn gi_profiles(nvml: &Nvml, dev: &Device) -> R<Vec<GiProfile>> {
    let mut out = Vec::new();
    for index in 0..NVML_GPU_INSTANCE_PROFILE_COUNT {
        let info = match dev.profile_info(index) {
            Ok(i) => i,
            Err(NvmlError::NotSupported | NvmlError::InvalidArg) => continue,
            Err(e) => return Err(e),
        };
        out.push(GiProfile {
            index,
            id: info.id,
            name: profile_name(nvml, dev, index),
            compute_slices: info.slice_count,
            max_count: info.instance_count,
            sms: info.multiprocessor_count,
            memory_mib: info.memory_size_mb,
            placements: placements(nvml, dev, info.id)?,
        });
    }
    Ok(out)
}

/// The profile name from `nvmlDeviceGetGpuInstanceProfileInfoV` ("MIG 1g.10gb" -> "1g.10gb");
/// `None` on drivers without it.
fn profile_name(nvml: &Nvml, dev: &Device, index: u32) -> Option<String> {
    let sym = nvml_sym(nvml.lib().nvmlDeviceGetGpuInstanceProfileInfoV.as_ref()).ok()?;
    // SAFETY: a zeroed plain C struct with its version set, as NVML expects.
    unsafe {
        let mut info: nvmlGpuInstanceProfileInfo_v2_t = mem::zeroed();
        info.version = (mem::size_of::<nvmlGpuInstanceProfileInfo_v2_t>() | (2 << 24)) as u32;
        nvml_try(sym(handle(dev), index, &mut info)).ok()?;
        let name = CStr::from_ptr(info.name.as_ptr()).to_string_lossy();
        let name = name.trim().trim_start_matches("MIG ").trim();
        (!name.is_empty()).then(|| name.to_string())
    }
}

/// Possible placements of a profile id, through the raw v2 call (see the module docs).
pub fn placements(nvml: &Nvml, dev: &Device, profile_id: u32) -> R<Vec<(u32, u32)>> {
    let sym = nvml_sym(
        nvml.lib()
            .nvmlDeviceGetGpuInstancePossiblePlacements_v2
            .as_ref(),
    )?;
    // SAFETY: first call asks for the count; the second gets a buffer of that many entries.
    unsafe {
        let mut count: u32 = 0;
        nvml_try(sym(handle(dev), profile_id, ptr::null_mut(), &mut count))?;
        let mut buf: Vec<nvmlGpuInstancePlacement_t> = vec![mem::zeroed(); count as usize];
        nvml_try(sym(handle(dev), profile_id, buf.as_mut_ptr(), &mut count))?;
        buf.truncate(count as usize);
        Ok(buf.iter().map(|p| (p.start, p.size)).collect())
    }
}

fn gi_info(nvml: &Nvml, gi: nvmlGpuInstance_t) -> R<nvmlGpuInstanceInfo_t> {
    let sym = nvml_sym(nvml.lib().nvmlGpuInstanceGetInfo.as_ref())?;
    // SAFETY: `gi` came from NVML; the info struct is plain data.
    unsafe {
        let mut info: nvmlGpuInstanceInfo_t = mem::zeroed();
        nvml_try(sym(gi, &mut info))?;
        Ok(info)
    }
}

fn gi_handles(nvml: &Nvml, dev: &Device, profile_id: u32) -> R<Vec<nvmlGpuInstance_t>> {
    let sym = nvml_sym(nvml.lib().nvmlDeviceGetGpuInstances.as_ref())?;
    // SAFETY: the buffer holds more entries than any profile's instance count (at most 7).
    unsafe {
        let mut buf: Vec<nvmlGpuInstance_t> = vec![ptr::null_mut(); 16];
        let mut count: u32 = buf.len() as u32;
        nvml_try(sym(handle(dev), profile_id, buf.as_mut_ptr(), &mut count))?;
        buf.truncate(count as usize);
        Ok(buf)
    }
}

fn gi_by_id(nvml: &Nvml, dev: &Device, id: u32) -> R<nvmlGpuInstance_t> {
    let sym = nvml_sym(nvml.lib().nvmlDeviceGetGpuInstanceById.as_ref())?;
    // SAFETY: out-pointer to a handle.
    unsafe {
        let mut gi: nvmlGpuInstance_t = ptr::null_mut();
        nvml_try(sym(handle(dev), id, &mut gi))?;
        Ok(gi)
    }
}

/// Compute-instance profiles of a GPU instance: (profile id, compute slices).
fn ci_profiles(nvml: &Nvml, gi: nvmlGpuInstance_t) -> R<Vec<(u32, u32)>> {
    let sym = nvml_sym(
        nvml.lib()
            .nvmlGpuInstanceGetComputeInstanceProfileInfo
            .as_ref(),
    )?;
    let mut out = Vec::new();
    for index in 0..NVML_COMPUTE_INSTANCE_PROFILE_COUNT {
        // SAFETY: plain out-struct; engine profile 0 is the shared one.
        let r = unsafe {
            let mut info: nvmlComputeInstanceProfileInfo_t = mem::zeroed();
            nvml_try(sym(gi, index, 0, &mut info)).map(|()| (info.id, info.sliceCount))
        };
        match r {
            Ok(p) => out.push(p),
            Err(NvmlError::NotSupported | NvmlError::InvalidArg) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn cis_of(nvml: &Nvml, gi: nvmlGpuInstance_t) -> R<Vec<(nvmlComputeInstance_t, CiState)>> {
    let list = nvml_sym(nvml.lib().nvmlGpuInstanceGetComputeInstances.as_ref())?;
    let info_sym = nvml_sym(nvml.lib().nvmlComputeInstanceGetInfo_v2.as_ref())?;
    let mut out = Vec::new();
    for (pid, _) in ci_profiles(nvml, gi)? {
        // SAFETY: buffer larger than the at most 7 compute instances of a GPU instance.
        let handles = unsafe {
            let mut buf: Vec<nvmlComputeInstance_t> = vec![ptr::null_mut(); 16];
            let mut count = buf.len() as u32;
            nvml_try(list(gi, pid, buf.as_mut_ptr(), &mut count))?;
            buf.truncate(count as usize);
            buf
        };
        for ci in handles {
            // SAFETY: `ci` came from NVML.
            let info = unsafe {
                let mut info: nvmlComputeInstanceInfo_t = mem::zeroed();
                nvml_try(info_sym(ci, &mut info))?;
                info
            };
            out.push((
                ci,
                CiState {
                    id: info.id,
                    profile_id: info.profileId,
                    start: info.placement.start,
                    size: info.placement.size,
                },
            ));
        }
    }
    out.sort_by_key(|(_, c)| (c.start, c.id));
    Ok(out)
}

/// All GPU instances of the profiles `profile_ids`, with their compute instances, by start.
pub fn list(nvml: &Nvml, dev: &Device, profile_ids: &[u32]) -> R<Vec<GiState>> {
    let mut out = Vec::new();
    for &pid in profile_ids {
        for gi in gi_handles(nvml, dev, pid)? {
            let info = gi_info(nvml, gi)?;
            out.push(GiState {
                id: info.id,
                profile_id: info.profileId,
                start: info.placement.start,
                size: info.placement.size,
                cis: cis_of(nvml, gi)?.into_iter().map(|(_, c)| c).collect(),
            });
        }
    }
    out.sort_by_key(|g| (g.start, g.id));
    Ok(out)
}

/// Creates a GPU instance of `profile_id` at memory slices `[start, start + size)`.
pub fn create_gi(nvml: &Nvml, dev: &Device, profile_id: u32, start: u32, size: u32) -> R<u32> {
    let sym = nvml_sym(nvml.lib().nvmlDeviceCreateGpuInstanceWithPlacement.as_ref())?;
    let placement = nvmlGpuInstancePlacement_t { start, size };
    // SAFETY: placement is read by NVML; the handle is written.
    let gi = unsafe {
        let mut gi: nvmlGpuInstance_t = ptr::null_mut();
        nvml_try(sym(handle(dev), profile_id, &placement, &mut gi))?;
        gi
    };
    Ok(gi_info(nvml, gi)?.id)
}

/// Destroys GPU instance `id` (its compute instances must be gone).
pub fn destroy_gi(nvml: &Nvml, dev: &Device, id: u32) -> R<()> {
    let gi = gi_by_id(nvml, dev, id)?;
    let sym = nvml_sym(nvml.lib().nvmlGpuInstanceDestroy.as_ref())?;
    // SAFETY: `gi` came from NVML for this device.
    unsafe { nvml_try(sym(gi)) }
}

/// The compute-instance profile id with `slices` compute slices in GPU instance `gi_id`.
pub fn ci_profile_for(nvml: &Nvml, dev: &Device, gi_id: u32, slices: u32) -> R<Option<u32>> {
    let gi = gi_by_id(nvml, dev, gi_id)?;
    Ok(ci_profiles(nvml, gi)?
        .into_iter()
        .find(|&(_, s)| s == slices)
        .map(|(id, _)| id))
}

/// Creates a compute instance of `profile_id` at compute slices `[start, start + size)` of GPU
/// instance `gi_id`; returns its id.
pub fn create_ci(
    nvml: &Nvml,
    dev: &Device,
    gi_id: u32,
    profile_id: u32,
    start: u32,
    size: u32,
) -> R<u32> {
    let gi = gi_by_id(nvml, dev, gi_id)?;
    let sym = nvml_sym(
        nvml.lib()
            .nvmlGpuInstanceCreateComputeInstanceWithPlacement
            .as_ref(),
    )?;
    let info_sym = nvml_sym(nvml.lib().nvmlComputeInstanceGetInfo_v2.as_ref())?;
    let placement = nvmlComputeInstancePlacement_t { start, size };
    // SAFETY: as for create_gi.
    unsafe {
        let mut ci: nvmlComputeInstance_t = ptr::null_mut();
        nvml_try(sym(gi, profile_id, &placement, &mut ci))?;
        let mut info: nvmlComputeInstanceInfo_t = mem::zeroed();
        nvml_try(info_sym(ci, &mut info))?;
        Ok(info.id)
    }
}

/// Destroys compute instance `ci_id` of GPU instance `gi_id`.
pub fn destroy_ci(nvml: &Nvml, dev: &Device, gi_id: u32, ci_id: u32) -> R<()> {
    let gi = gi_by_id(nvml, dev, gi_id)?;
    let sym = nvml_sym(nvml.lib().nvmlComputeInstanceDestroy.as_ref())?;
    let Some((ci, _)) = cis_of(nvml, gi)?.into_iter().find(|(_, c)| c.id == ci_id) else {
        return Err(NvmlError::NotFound);
    };
    // SAFETY: `ci` came from NVML.
    unsafe { nvml_try(sym(ci)) }
}

/// The MIG devices (one per compute instance) of a GPU, as CUDA enumerates them.
pub fn mig_devices(nvml: &Nvml, dev: &Device) -> R<Vec<MigDevice>> {
    let gi_sym = nvml_sym(nvml.lib().nvmlDeviceGetGpuInstanceId.as_ref())?;
    let ci_sym = nvml_sym(nvml.lib().nvmlDeviceGetComputeInstanceId.as_ref())?;
    let max = dev.mig_device_count()?;
    let mut out = Vec::new();
    for i in 0..max {
        let mig = match dev.mig_device_by_index(i) {
            Ok(m) => m,
            Err(NvmlError::NotFound | NvmlError::InvalidArg) => continue,
            Err(e) => return Err(e),
        };
        // SAFETY: out-pointers to plain integers.
        let (gi_id, ci_id) = unsafe {
            let (mut g, mut c) = (0u32, 0u32);
            nvml_try(gi_sym(mig.handle(), &mut g))?;
            nvml_try(ci_sym(mig.handle(), &mut c))?;
            (g, c)
        };
        out.push(MigDevice {
            uuid: mig.uuid()?,
            gi_id,
            ci_id,
            memory_total_mib: mig.memory_info().map(|m| m.total >> 20).unwrap_or(0),
        });
    }
    Ok(out)
}
