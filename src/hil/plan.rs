//! From a GPU's current state to a target state: the NVML operations, in the order `apply` runs
//! them. The target is a scenario pool's layout (placements from our solver, never the driver's
//! order) or a saved state (for `restore`). Instances already where the target wants them are
//! kept; everything else is destroyed first, then the missing instances are created with
//! explicit placements.

use super::inventory::{GpuSnapshot, effective_model, profile_name};
use super::raw::{GiProfile, GiState};
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

/// True when GPU instance `gi` already is what `t` asks for (profile, placement and compute
/// instances).
fn satisfies(gi: &GiState, t: &TargetGi) -> bool {
    if gi.profile_id != t.profile_id || gi.start != t.start || gi.cis.len() != t.cis.len() {
        return false;
    }
    let mut have: Vec<_> = gi.cis.iter().collect();
    have.sort_by_key(|c| c.start);
    let mut want: Vec<_> = t.cis.iter().collect();
    want.sort_by_key(|c| c.start);
    have.iter().zip(&want).all(|(h, w)| {
        h.start == w.start && h.size == w.size && w.profile_id.is_none_or(|id| id == h.profile_id)
    })
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

/// Destroys every instance not marked in `keep`, compute instances first.
fn destroy_unkept(gpu: &GpuSnapshot, keep: &[bool], ops: &mut Vec<Op>) {
    for (gi, &k) in gpu.instances.iter().zip(keep) {
        if k {
            continue;
        }
        for ci in &gi.cis {
            ops.push(Op::DestroyCi {
                gi: gi.id,
                ci: ci.id,
            });
        }
        ops.push(Op::DestroyGi {
            gi: gi.id,
            profile_id: gi.profile_id,
            start: gi.start,
            size: gi.size,
        });
    }
}

/// Switching MIG mode to `enable`: nothing else can happen before the GPU resets, so the plan
/// stops here. Returns whether only a reset is left to do.
fn mode_change(
    gpu: &GpuSnapshot,
    enable: bool,
    ops: &mut Vec<Op>,
    notes: &mut Vec<String>,
) -> bool {
    if enable {
        if gpu.mig_pending {
            notes.push(format!(
                "MIG mode is already pending on for GPU {}: reset the GPU (e.g. `nvidia-smi -r -i {}`, \
                 as root, with no processes on it; in a pass-through VM: reboot the VM) and run this \
                 again to create the instances",
                gpu.index, gpu.index
            ));
            return true;
        }
        ops.push(Op::SetMigMode {
            enable: true,
            reset: true,
        });
        notes.push(
            "turning MIG mode on: the driver may reset the GPU to activate it (on bare metal, at \
             once when nothing uses the GPU); otherwise it stays pending until a reset or reboot. \
             apply stops after the mode change: run it again to create the instances"
                .into(),
        );
        return false;
    }
    destroy_unkept(gpu, &vec![false; gpu.instances.len()], ops);
    if gpu.mig_pending {
        ops.push(Op::SetMigMode {
            enable: false,
            reset: true,
        });
        notes.push(
            "turning MIG mode off: the driver may reset the GPU to activate it (on bare metal, at \
             once when nothing uses the GPU); otherwise it stays pending until a reset or reboot"
                .into(),
        );
        false
    } else {
        notes.push(format!(
            "MIG mode is already pending off for GPU {}: reset the GPU to finish (in a \
             pass-through VM: reboot the VM)",
            gpu.index
        ));
        true
    }
}

/// Keeps instances that already match a target instance (each matched once), destroys the
/// others, then creates the missing ones with their compute instances. A GPU instance whose
/// profile and placement match but whose compute instances differ is kept: only its compute
/// instances are destroyed and created (compute-instance granularity: fewer risky operations
/// than re-creating the GPU instance).
fn layout_ops(gpu: &GpuSnapshot, target: &GpuTarget, ops: &mut Vec<Op>) {
    let mut keep = vec![false; gpu.instances.len()];
    let mut unmatched = Vec::new();
    for t in &target.instances {
        match gpu
            .instances
            .iter()
            .enumerate()
            .position(|(i, gi)| !keep[i] && satisfies(gi, t))
        {
            Some(i) => keep[i] = true,
            None => unmatched.push(t),
        }
    }
    let mut missing = Vec::new();
    let mut fix_cis = Vec::new();
    for t in unmatched {
        match gpu
            .instances
            .iter()
            .enumerate()
            .position(|(i, gi)| !keep[i] && gi.profile_id == t.profile_id && gi.start == t.start)
        {
            Some(i) => {
                keep[i] = true;
                fix_cis.push((&gpu.instances[i], t));
            }
            None => missing.push(t),
        }
    }
    destroy_unkept(gpu, &keep, ops);
    for (gi, t) in fix_cis {
        ci_ops(gi, t, ops);
    }
    for t in missing {
        ops.push(Op::CreateGi {
            profile_id: t.profile_id,
            start: t.start,
            size: t.size,
        });
        for ci in &t.cis {
            ops.push(Op::CreateCi {
                gi_start: t.start,
                ci: ci.clone(),
            });
        }
    }
}

/// Compute-instance operations that turn kept GPU instance `gi` into `t`: destroy the compute
/// instances `t` does not have, create the ones it lacks.
fn ci_ops(gi: &GiState, t: &TargetGi, ops: &mut Vec<Op>) {
    let same = |h: &super::raw::CiState, w: &TargetCi| {
        h.start == w.start && h.size == w.size && w.profile_id.is_none_or(|id| id == h.profile_id)
    };
    let mut used = vec![false; gi.cis.len()];
    let mut create = Vec::new();
    for w in &t.cis {
        match gi
            .cis
            .iter()
            .enumerate()
            .position(|(i, h)| !used[i] && same(h, w))
        {
            Some(i) => used[i] = true,
            None => create.push(w),
        }
    }
    for (h, _) in gi.cis.iter().zip(&used).filter(|(_, u)| !**u) {
        ops.push(Op::DestroyCi {
            gi: gi.id,
            ci: h.id,
        });
    }
    for w in create {
        ops.push(Op::CreateCi {
            gi_start: t.start,
            ci: w.clone(),
        });
    }
}

/// One operation in words.
pub fn describe(op: &Op, gpu: &GpuSnapshot, profiles: &[GiProfile]) -> String {
    let slices = |start: u32, size: u32| {
        if size <= 1 {
            format!("memory slice {start}")
        } else {
            format!("memory slices {start}-{}", start + size - 1)
        }
    };
    match op {
        Op::SetMigMode { enable, reset } => format!(
            "set MIG mode {}{}",
            if *enable { "on" } else { "off" },
            if *reset {
                " (the driver may reset the GPU to activate it)"
            } else {
                " (cancels someone else's pending change)"
            }
        ),
        Op::DestroyCi { gi, ci } => format!("destroy compute instance {ci} of GPU instance {gi}"),
        Op::DestroyGi {
            gi,
            profile_id,
            start,
            size,
        } => format!(
            "destroy GPU instance {gi} ({} at {})",
            profile_name(gpu, profiles, *profile_id),
            slices(*start, *size)
        ),
        Op::CreateGi {
            profile_id,
            start,
            size,
        } => format!(
            "create GPU instance {} at {} (placement start {start}, size {size})",
            profile_name(gpu, profiles, *profile_id),
            slices(*start, *size)
        ),
        Op::CreateCi { gi_start, ci } => format!(
            "create compute instance {} in the GPU instance at memory slice {gi_start} \
             (compute slices {}-{})",
            match ci.profile_id {
                Some(id) => format!("profile {id}"),
                None => "spanning it".into(),
            },
            ci.start,
            ci.start + ci.size.max(1) - 1
        ),
    }
}
