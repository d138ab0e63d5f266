//! From a GPU's current state to a target state: the NVML operations, in the order `apply` runs
//! them. The target is a scenario pool's layout (placements from our solver, never the driver's
//! order) or a saved state (for `restore`). Instances already where the target wants them are
//! kept; everything else is destroyed first, then the missing instances are created with
//! explicit placements.

use super::inventory::{GpuSnapshot, effective_model, profile_name};
use super::raw::GiProfile;
use super::{HilError, Result};
use crate::catalog::{Catalog, solve};
use crate::domain::Sharing;
use crate::scenario::Scenario;
use serde::Serialize;

/// A compute instance to have inside a GPU instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetCi {
    /// Compute-instance profile id; `None` = the one spanning the whole GPU instance (looked up
    /// through NVML at apply time).
    pub profile_id: Option<u32>,
    /// Compute-slice placement inside the GPU instance.
    pub start: u32,
    pub size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetGi {
    pub profile_id: u32,
    pub name: String,
    pub start: u32,
    pub size: u32,
    pub cis: Vec<TargetCi>,
}

/// The state a GPU should end in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GpuTarget {
    pub mig: bool,
    pub instances: Vec<TargetGi>,
    /// Where it comes from, e.g. `pool a100-mig-inference` or `saved state`.
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Change MIG mode; `reset` = it switches the mode (the driver may reset the GPU to activate
    /// it); otherwise it cancels someone else's pending change (still a MIG-settings write).
    SetMigMode {
        enable: bool,
        reset: bool,
    },
    DestroyCi {
        gi: u32,
        ci: u32,
    },
    DestroyGi {
        gi: u32,
        profile_id: u32,
        start: u32,
        size: u32,
    },
    CreateGi {
        profile_id: u32,
        start: u32,
        size: u32,
    },
    /// In the GPU instance at memory slice `gi_start`.
    CreateCi {
        gi_start: u32,
        ci: TargetCi,
    },
}

/// The plan for one GPU.
#[derive(Clone, Debug, Serialize)]
pub struct GpuPlan {
    pub gpu: GpuSnapshot,
    pub profiles: Vec<GiProfile>,
    pub target: GpuTarget,
    pub ops: Vec<Op>,
    /// Things the user must know (reset needed, nothing for NVML to do, ...).
    pub notes: Vec<String>,
    /// MIG mode is waiting for a reset: nothing can be created until then.
    pub reset_pending: bool,
}

impl GpuPlan {
    /// True when an operation writes MIG mode (switching it, or cancelling a pending change):
    /// both need `--allow-mode-change`.
    pub fn changes_mode(&self) -> bool {
        self.ops.iter().any(|o| matches!(o, Op::SetMigMode { .. }))
    }

    /// True when the GPU has a MIG mode change pending that someone else made (pending differs
    /// from current) and the plan would cancel it.
    pub fn cancels_pending(&self) -> bool {
        self.ops
            .iter()
            .any(|o| matches!(o, Op::SetMigMode { reset: false, .. }))
    }
}

/// The target for pool `pool` of the scenario on this GPU.
pub fn layout_target(
    sc: &Scenario,
    pool: &str,
    gpu: &GpuSnapshot,
    profiles: &[GiProfile],
) -> Result<GpuTarget> {
    let p = sc.pools.iter().find(|p| p.name == pool).ok_or_else(|| {
        let names: Vec<&str> = sc.pools.iter().map(|p| p.name.as_str()).collect();
        HilError::error(format!(
            "scenario {} has no pool `{pool}` (pools: {})",
            sc.name,
            names.join(", ")
        ))
    })?;
    let catalog = Catalog::builtin();
    let model = catalog.get(&p.gpu).ok_or_else(|| {
        HilError::refused(format!(
            "pool {pool} uses GPU model {}, which is not a built-in model NVML can match",
            p.gpu
        ))
    })?;
    if gpu.catalog_model.as_deref() != Some(model.name.as_str()) {
        return Err(HilError::refused(format!(
            "pool {pool} is for {} but GPU {} is {} ({})",
            model.name,
            gpu.index,
            gpu.name,
            gpu.catalog_model.as_deref().unwrap_or("no catalog model")
        )));
    }
    let source = format!("pool {pool} of scenario {}", sc.name);
    let layout = match &p.sharing {
        Sharing::Mig { layout, .. } => layout,
        _ => {
            return Ok(GpuTarget {
                mig: false,
                instances: Vec::new(),
                source,
            });
        }
    };
    let geometry = if profiles.is_empty() {
        model.clone()
    } else {
        effective_model(model, profiles)
    };
    let names: Vec<&str> = layout.iter().map(String::as_str).collect();
    let placed =
        solve(&geometry, &names).map_err(|e| HilError::error(format!("pool {pool}: {e}")))?;
    let mut instances: Vec<TargetGi> = placed
        .iter()
        .map(|pl| {
            let prof = &geometry.mig_profiles[pl.profile];
            let slices = u32::from(prof.compute_slices);
            TargetGi {
                profile_id: prof.id,
                name: prof.name.clone(),
                start: u32::from(pl.start),
                size: u32::from(pl.size),
                cis: vec![TargetCi {
                    profile_id: None,
                    start: 0,
                    size: slices,
                }],
            }
        })
        .collect();
    instances.sort_by_key(|g| g.start);
    Ok(GpuTarget {
        mig: true,
        instances,
        source,
    })
}

/// The target that puts a saved snapshot back: its CURRENT MIG mode and instances. A mode that
/// was only pending when the state was saved is not re-created (setting it may make the driver
/// activate it at once); [`saved_pending_note`] says so.
pub fn saved_target(saved: &GpuSnapshot, profiles: &[GiProfile]) -> GpuTarget {
    GpuTarget {
        mig: saved.mig_current,
        instances: saved
            .instances
            .iter()
            .map(|gi| TargetGi {
                profile_id: gi.profile_id,
                name: profile_name(saved, profiles, gi.profile_id),
                start: gi.start,
                size: gi.size,
                cis: gi
                    .cis
                    .iter()
                    .map(|c| TargetCi {
                        profile_id: Some(c.profile_id),
                        start: c.start,
                        size: c.size,
                    })
                    .collect(),
            })
            .collect(),
        source: "the saved state".into(),
    }
}

/// The note for a saved state whose MIG mode was pending a change, if it was.
pub fn saved_pending_note(saved: &GpuSnapshot) -> Option<String> {
    (saved.mig_pending != saved.mig_current).then(|| {
        format!(
            "the saved state of GPU {} had MIG mode {} with a change to {} pending (not yet \
             active); restore puts back the current mode {} and does not re-create the pending \
             change",
            saved.index,
            on_off(saved.mig_current),
            on_off(saved.mig_pending),
            on_off(saved.mig_current)
        )
    })
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// The operations from `gpu`'s state to `target`.
pub fn diff(gpu: &GpuSnapshot, profiles: &[GiProfile], target: GpuTarget) -> GpuPlan {
    let mut ops = Vec::new();
    let mut notes = Vec::new();
    let mut reset_pending = false;
    if target.mig != gpu.mig_current {
        reset_pending = mode_change(gpu, target.mig, &mut ops, &mut notes);
    } else {
        if gpu.mig_pending != gpu.mig_current {
            // A mode change is pending but the target wants the current mode: cancel it.
            ops.push(Op::SetMigMode {
                enable: gpu.mig_current,
                reset: false,
            });
        }
        if !target.mig && target.source.starts_with("pool") {
            notes.push(
                "nothing for NVML to do beyond MIG mode off: time-slicing replicas and exclusive \
                 use are device-plugin settings"
                    .into(),
            );
        }
        layout_ops(gpu, &target, &mut ops);
    }
    GpuPlan {
        gpu: gpu.clone(),
        profiles: profiles.to_vec(),
        target,
        ops,
        notes,
        reset_pending,
    }
}

mod describe;
mod ops;
pub use describe::describe;
use ops::{layout_ops, mode_change};
