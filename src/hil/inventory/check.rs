//! NVML's figures against the built-in catalog model: the mismatches `inventory` lists, and the
//! model with the geometry NVML reports (what the layout solver places on).

use super::super::raw::GiProfile;
use super::Mismatch;
use crate::catalog::{GpuModel, MigProfile};

/// Relative difference above which memory figures count as a mismatch (drivers differ by a
/// few tenths of a percent to a few percent).
const MEMORY_TOLERANCE: f64 = 0.02;

/// Differences between NVML's figures and the catalog model. With no profiles (MIG off) only
/// the GPU's memory is checked.
pub fn check(model: &GpuModel, memory_mib: u64, profiles: &[GiProfile]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let gib = memory_mib as f64 / 1024.0;
    if (gib - model.memory_gib).abs() > model.memory_gib * MEMORY_TOLERANCE {
        out.push(Mismatch {
            what: "GPU".into(),
            field: "memory".into(),
            nvml: format!("{gib:.2} GiB"),
            catalog: format!("{:.2} GiB", model.memory_gib),
        });
    }
    if profiles.is_empty() {
        return out;
    }
    for cp in &model.mig_profiles {
        let what = format!("{} (id {})", cp.name, cp.id);
        let Some(np) = profiles.iter().find(|p| p.id == cp.id) else {
            out.push(Mismatch {
                what,
                field: "profile".into(),
                nvml: "absent".into(),
                catalog: "present".into(),
            });
            continue;
        };
        compare_profile(cp, np, &what, &mut out);
    }
    for np in profiles {
        if !model.mig_profiles.iter().any(|cp| cp.id == np.id) {
            out.push(Mismatch {
                what: format!("{} (id {})", np.name.as_deref().unwrap_or("?"), np.id),
                field: "profile".into(),
                nvml: "present".into(),
                catalog: "absent".into(),
            });
        }
    }
    out
}

fn compare_profile(cp: &MigProfile, np: &GiProfile, what: &str, out: &mut Vec<Mismatch>) {
    let mut push = |field: &str, nvml: String, catalog: String| {
        out.push(Mismatch {
            what: what.to_string(),
            field: field.into(),
            nvml,
            catalog,
        })
    };
    if let Some(name) = &np.name
        && name != &cp.name
    {
        push("name", name.clone(), cp.name.clone());
    }
    if np.compute_slices != u32::from(cp.compute_slices) {
        push(
            "compute slices",
            np.compute_slices.to_string(),
            cp.compute_slices.to_string(),
        );
    }
    if np.max_count != u32::from(cp.max_count) {
        push(
            "max count",
            np.max_count.to_string(),
            cp.max_count.to_string(),
        );
    }
    if np.sms != cp.sms {
        push("SMs", np.sms.to_string(), cp.sms.to_string());
    }
    let gib = np.memory_mib as f64 / 1024.0;
    if (gib - cp.mem_gib).abs() > cp.mem_gib * MEMORY_TOLERANCE {
        push(
            "memory",
            format!("{gib:.2} GiB"),
            format!("{:.2} GiB", cp.mem_gib),
        );
    }
    let mut starts: Vec<u32> = np.placements.iter().map(|p| p.0).collect();
    starts.sort_unstable();
    let cat_starts: Vec<u32> = cp.starts.iter().map(|&s| u32::from(s)).collect();
    if starts != cat_starts {
        push("placement starts", join(&starts), join(&cat_starts));
    }
    if let Some(&(_, size)) = np
        .placements
        .iter()
        .find(|p| p.1 != u32::from(cp.mem_slices))
    {
        push(
            "placement size",
            size.to_string(),
            cp.mem_slices.to_string(),
        );
    }
}

fn join(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// The catalog model with the geometry NVML reports (starts, sizes, counts, SMs, memory), so the
/// layout solver places instances where this GPU actually allows them.
pub fn effective_model(model: &GpuModel, profiles: &[GiProfile]) -> GpuModel {
    let mut m = model.clone();
    for cp in &mut m.mig_profiles {
        let Some(np) = profiles.iter().find(|p| p.id == cp.id) else {
            continue;
        };
        let mut starts: Vec<u8> = np.placements.iter().map(|p| p.0 as u8).collect();
        starts.sort_unstable();
        if let Some(&(_, size)) = np.placements.first() {
            cp.mem_slices = size as u8;
        }
        cp.starts = starts;
        cp.max_count = np.max_count as u8;
        cp.compute_slices = np.compute_slices as u8;
        cp.sms = np.sms;
        cp.mem_gib = np.memory_mib as f64 / 1024.0;
    }
    m
}
