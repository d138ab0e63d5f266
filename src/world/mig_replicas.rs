//! The `replicas` map of a MIG pool (time-sliced MIG instances): every key a profile of the
//! layout, every value at least 1, and the replicas of one GPU's instances together within
//! [`MAX_MIG_REPLICAS`].

use crate::limits::exceeds;
use crate::scenario::locate::FieldPath;
use crate::scenario::validate::Checker;
use std::collections::BTreeMap;

/// The most MIG devices (instances × their replicas) one GPU may advertise: the simulator
/// keeps them in a 128-bit set per GPU.
pub const MAX_MIG_REPLICAS: u64 = 128;

/// Reports each problem of `replicas` at `path`; false if there is one.
pub(super) fn check(
    ck: &mut Checker,
    layout: &[String],
    replicas: &BTreeMap<String, u32>,
    path: &FieldPath,
) -> bool {
    let mut ok = true;
    for (profile, &r) in replicas {
        if !layout.contains(profile) {
            ck.error(
                &path.key(profile),
                format!("{profile} is not in the layout ({})", layout.join(", ")),
            );
            ok = false;
        } else if r == 0 {
            ck.error(&path.key(profile), "must be at least 1");
            ok = false;
        }
    }
    let total: u64 = layout
        .iter()
        .map(|l| u64::from(replicas.get(l).copied().unwrap_or(1).max(1)))
        .sum();
    if ok && total > MAX_MIG_REPLICAS {
        ck.error(
            path,
            exceeds(
                "replicas of one GPU's MIG instances",
                total,
                MAX_MIG_REPLICAS,
            ),
        );
        ok = false;
    }
    ok
}
