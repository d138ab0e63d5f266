//! Every NVML call of the harness that changes a GPU, in one place (so that a read-only audit has
//! one file to read): MIG mode, GPU-instance and compute-instance create and destroy. Each checks
//! read-only mode ([`crate::hil::guard`]) before it calls NVML.

use super::super::guard::check_write;
use super::{R, cis_of, gi_by_id, gi_info, handle};
use nvml_wrapper::Device;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::{NvmlError, nvml_sym, nvml_try};
use nvml_wrapper_sys::bindings::{
    nvmlComputeInstance_t, nvmlComputeInstanceInfo_t, nvmlComputeInstancePlacement_t,
    nvmlGpuInstance_t, nvmlGpuInstancePlacement_t,
};
use std::mem;
use std::ptr;

/// Sets the pending MIG mode (a write: the driver may reset the GPU to activate it); returns
/// NVML's activation status.
pub fn set_mig_mode(dev: &Device, enable: bool) -> R<u32> {
    check_write("nvmlDeviceSetMigMode")?;
    dev.set_mig_mode(enable)
}

/// Creates a GPU instance of `profile_id` at memory slices `[start, start + size)`.
pub fn create_gi(nvml: &Nvml, dev: &Device, profile_id: u32, start: u32, size: u32) -> R<u32> {
    check_write("nvmlDeviceCreateGpuInstanceWithPlacement")?;
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
    check_write("nvmlGpuInstanceDestroy")?;
    let gi = gi_by_id(nvml, dev, id)?;
    let sym = nvml_sym(nvml.lib().nvmlGpuInstanceDestroy.as_ref())?;
    // SAFETY: `gi` came from NVML for this device.
    unsafe { nvml_try(sym(gi)) }
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
    check_write("nvmlGpuInstanceCreateComputeInstanceWithPlacement")?;
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
    check_write("nvmlComputeInstanceDestroy")?;
    let gi = gi_by_id(nvml, dev, gi_id)?;
    let sym = nvml_sym(nvml.lib().nvmlComputeInstanceDestroy.as_ref())?;
    let Some((ci, _)) = cis_of(nvml, gi)?.into_iter().find(|(_, c)| c.id == ci_id) else {
        return Err(NvmlError::NotFound);
    };
    // SAFETY: `ci` came from NVML.
    unsafe { nvml_try(sym(ci)) }
}
