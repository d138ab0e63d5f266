//! The operations of a plan: which instances to keep, destroy and create, and a MIG mode
//! switch.

use super::super::inventory::GpuSnapshot;
use super::super::raw::{CiState, GiState};
use super::{GpuTarget, Op, TargetCi, TargetGi};

/// True when GPU instance `gi` already is what `t` asks for (profile, placement and compute
/// instances).
pub(super) fn satisfies(gi: &GiState, t: &TargetGi) -> bool {
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

/// Destroys every instance not marked in `keep`, compute instances first.
pub(super) fn destroy_unkept(gpu: &GpuSnapshot, keep: &[bool], ops: &mut Vec<Op>) {
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
pub(super) fn mode_change(
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
pub(super) fn layout_ops(gpu: &GpuSnapshot, target: &GpuTarget, ops: &mut Vec<Op>) {
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
pub(super) fn ci_ops(gi: &GiState, t: &TargetGi, ops: &mut Vec<Op>) {
    let same = |h: &CiState, w: &TargetCi| {
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
