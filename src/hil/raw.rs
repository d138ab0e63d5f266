//! MIG calls that nvml-wrapper's safe API lacks, made through the raw bindings (`nvml.lib()`):
//! GPU-instance and compute-instance create (with explicit placement), destroy and list, and the
//! possible placements of a profile.
//!
//! Placements are read with `nvmlDeviceGetGpuInstancePossiblePlacements_v2` directly: the safe
//! `Device::possible_placements` of nvml-wrapper 0.13 returns an empty list on success (it
//! never sets the vector's length). Symbols are fetched with `nvml_sym`, so a library that lacks
//! one gives an error, not a panic.
//!
//! Profiles are enumerated from index 0 until NVML answers INVALID_ARGUMENT, as nvml.h
//! prescribes (at most [`PROFILE_CAP`]), not up to the bindings' fixed COUNT, so profiles newer
//! than the bindings are seen too. Every call here that changes a GPU checks read-only mode
//! ([`super::guard`]) first.

use nvml_wrapper::Device;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::{NvmlError, nvml_sym, nvml_try};
use nvml_wrapper_sys::bindings::{
    nvmlComputeInstance_t, nvmlComputeInstanceInfo_t, nvmlComputeInstanceProfileInfo_t,
    nvmlDevice_t, nvmlGpuInstance_t, nvmlGpuInstanceInfo_t, nvmlGpuInstancePlacement_t,
    nvmlGpuInstanceProfileInfo_v2_t,
};
use serde::{Deserialize, Serialize};
use std::ffi::CStr;
use std::mem;
use std::ptr;

type R<T> = Result<T, NvmlError>;

/// Highest profile index tried when NVML never answers INVALID_ARGUMENT.
pub const PROFILE_CAP: u32 = 64;

/// `(index, value)` for each profile index from 0 until `query` answers INVALID_ARGUMENT (or
/// [`PROFILE_CAP`]); NOT_SUPPORTED means this GPU does not offer that index. Any other error is
/// returned.
pub fn enumerate<T>(mut query: impl FnMut(u32) -> R<T>) -> R<Vec<(u32, T)>> {
    let mut out = Vec::new();
    for index in 0..PROFILE_CAP {
        match query(index) {
            Ok(v) => out.push((index, v)),
            Err(NvmlError::NotSupported) => continue,
            Err(NvmlError::InvalidArg) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

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

/// Every GPU-instance profile the device offers, with placements, and what could not be read.
/// Placements need root (or the mig/monitor capability): with `lenient`, NO_PERMISSION leaves
/// them empty and says so in the second list; otherwise every error is returned.
pub fn gi_profiles(nvml: &Nvml, dev: &Device, lenient: bool) -> R<(Vec<GiProfile>, Vec<String>)> {
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    for (index, info) in enumerate(|i| dev.profile_info(i))? {
        let placements = match placements(nvml, dev, info.id) {
            Ok(p) => p,
            Err(NvmlError::NoPermission) if lenient => {
                if unreadable.is_empty() {
                    unreadable.push("profile placements (NO_PERMISSION: not root)".to_string());
                }
                Vec::new()
            }
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
            placements,
        });
    }
    Ok((out, unreadable))
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

/// A compute-instance profile of a GPU instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CiProfile {
    pub id: u32,
    pub slices: u32,
    pub sms: u32,
}

/// Compute-instance profiles of a GPU instance.
fn ci_profiles(nvml: &Nvml, gi: nvmlGpuInstance_t) -> R<Vec<CiProfile>> {
    let sym = nvml_sym(
        nvml.lib()
            .nvmlGpuInstanceGetComputeInstanceProfileInfo
            .as_ref(),
    )?;
    let found = enumerate(|index| {
        // SAFETY: plain out-struct; engine profile 0 is the shared one.
        unsafe {
            let mut info: nvmlComputeInstanceProfileInfo_t = mem::zeroed();
            nvml_try(sym(gi, index, 0, &mut info)).map(|()| CiProfile {
                id: info.id,
                slices: info.sliceCount,
                sms: info.multiprocessorCount,
            })
        }
    })?;
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

fn cis_of(nvml: &Nvml, gi: nvmlGpuInstance_t) -> R<Vec<(nvmlComputeInstance_t, CiState)>> {
    let list = nvml_sym(nvml.lib().nvmlGpuInstanceGetComputeInstances.as_ref())?;
    let info_sym = nvml_sym(nvml.lib().nvmlComputeInstanceGetInfo_v2.as_ref())?;
    let mut out = Vec::new();
    for CiProfile { id: pid, .. } in ci_profiles(nvml, gi)? {
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

/// The compute-instance profile id with `slices` compute slices in GPU instance `gi_id`.
pub fn ci_profile_for(nvml: &Nvml, dev: &Device, gi_id: u32, slices: u32) -> R<Option<u32>> {
    let gi = gi_by_id(nvml, dev, gi_id)?;
    Ok(ci_profiles(nvml, gi)?
        .into_iter()
        .find(|p| p.slices == slices)
        .map(|p| p.id))
}

/// SMs of compute-instance profile `ci_profile_id` in GPU instance `gi_id`.
pub fn ci_profile_sms(nvml: &Nvml, dev: &Device, gi_id: u32, ci_profile_id: u32) -> R<Option<u32>> {
    let gi = gi_by_id(nvml, dev, gi_id)?;
    Ok(ci_profiles(nvml, gi)?
        .into_iter()
        .find(|p| p.id == ci_profile_id)
        .map(|p| p.sms))
}

/// Ids of the GPU instances NVML answers for by id (0 to [`PROFILE_CAP`]), whatever their
/// profile: NOT_FOUND or INVALID_ARGUMENT mean no instance with that id; any other error is
/// returned. Verification checks them against the instances it listed by profile.
pub fn gi_ids(nvml: &Nvml, dev: &Device) -> R<Vec<u32>> {
    let mut out = Vec::new();
    for id in 0..PROFILE_CAP {
        match gi_by_id(nvml, dev, id) {
            Ok(_) => out.push(id),
            Err(NvmlError::NotFound | NvmlError::InvalidArg) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// How many MIG devices the driver has for this GPU: handles by index over the maximum count,
/// NOT_FOUND meaning no device at that index; any other error is returned. Verification checks
/// this against the compute instances it listed.
pub fn mig_device_count(dev: &Device) -> R<u32> {
    let mut n = 0;
    for i in 0..dev.mig_device_count()?.min(PROFILE_CAP) {
        match dev.mig_device_by_index(i) {
            Ok(_) => n += 1,
            Err(NvmlError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

mod write;
pub use write::{create_ci, create_gi, destroy_ci, destroy_gi, set_mig_mode};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_runs_until_invalid_argument_past_the_old_fixed_count() {
        // A driver offering indices 0-4 and 0x11 (past nvml-wrapper-sys's COUNT of 17 = 0x11,
        // so the old loop 0..17 never asked for it), NOT_SUPPORTED in between, and
        // INVALID_ARGUMENT from 0x12 (nvml.h API 13's count).
        let found = enumerate(|i| match i {
            0..=4 | 0x11 => Ok(i * 10),
            5..=0x10 => Err(NvmlError::NotSupported),
            _ => Err(NvmlError::InvalidArg),
        })
        .unwrap();
        let idx: Vec<u32> = found.iter().map(|p| p.0).collect();
        assert_eq!(idx, vec![0, 1, 2, 3, 4, 0x11]);
        assert_eq!(found[5].1, 170);
        // Other errors are errors, never "absent".
        let e = enumerate(|i| {
            if i < 2 {
                Ok(i)
            } else {
                Err(NvmlError::Unknown)
            }
        })
        .unwrap_err();
        assert!(matches!(e, NvmlError::Unknown));
        // A driver that never says INVALID_ARGUMENT stops at the cap.
        let mut calls = 0;
        enumerate(|_| -> R<()> {
            calls += 1;
            Err(NvmlError::NotSupported)
        })
        .unwrap();
        assert_eq!(calls, PROFILE_CAP);
    }
}
