//! Plan operations in words (what `plan` prints and `apply` reports).

use super::super::inventory::{GpuSnapshot, profile_name};
use super::super::raw::GiProfile;
use super::Op;

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
