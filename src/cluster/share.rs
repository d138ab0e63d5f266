//! The share of a GPU a holding represents: what an allocation is priced by, what a pool's
//! allocation gauge adds up and what fragmentation counts as free. One rule, used by all three.

use super::{MILLI, MigInstance, PoolKind};
use crate::catalog::{MIG_COMPUTE_SLICES, MIG_MEMORY_SLICES};
use crate::domain::MigShare;

/// Fraction of its GPU's compute slices a MIG instance has.
pub fn mig_compute_share(inst: &MigInstance) -> f64 {
    f64::from(inst.compute_slices) / f64::from(MIG_COMPUTE_SLICES)
}

/// Share of its GPU a MIG instance represents: its compute slices out of 7, or its memory
/// slices out of 8, as the scenario's `prices.mig_share` says.
pub fn mig_instance_share(inst: &MigInstance, mig_share: MigShare) -> f64 {
    let whole = match mig_share {
        MigShare::Compute => mig_compute_share(inst),
        MigShare::Memory => f64::from(inst.mem_slices) / f64::from(MIG_MEMORY_SLICES),
    };
    // One replica of a time-sliced instance is that share of it.
    if inst.replicas > 1 {
        whole / f64::from(inst.replicas)
    } else {
        whole
    }
}

/// Share of a GPU one holding (`units` replicas, milli or devices, or MIG instance `instance`)
/// represents on a pool of `kind`.
pub fn holding_share(kind: &PoolKind, units: u32, instance: u16, mig_share: MigShare) -> f64 {
    match kind {
        PoolKind::Exclusive => f64::from(units),
        PoolKind::TimeSlicing { replicas, .. } | PoolKind::Mps { replicas } => {
            f64::from(units) / f64::from(*replicas)
        }
        PoolKind::Fractional => f64::from(units) / f64::from(MILLI),
        PoolKind::Mig { instances, .. } => {
            mig_instance_share(&instances[instance as usize], mig_share)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(compute_slices: u8, mem_slices: u8) -> MigInstance {
        MigInstance {
            profile: "test".into(),
            start: 0,
            compute_slices,
            mem_slices,
            sm_fraction: 0.0,
            mem_gib: 0.0,
            kind: 0,
            replicas: 1,
            group: 0,
        }
    }

    #[test]
    fn mig_shares_are_the_bare_fractions() {
        let i = instance(3, 4);
        assert_eq!(
            mig_instance_share(&i, MigShare::Compute).to_bits(),
            (3.0f64 / 7.0).to_bits()
        );
        assert_eq!(
            mig_instance_share(&i, MigShare::Memory).to_bits(),
            (4.0f64 / 8.0).to_bits()
        );
        let kind = PoolKind::Mig {
            strategy: crate::domain::MigStrategy::Mixed,
            instances: vec![instance(1, 1), i],
            profiles: vec!["test".into()],
        };
        assert_eq!(holding_share(&kind, 1, 1, MigShare::Compute), 3.0 / 7.0);
    }

    #[test]
    fn whole_replica_and_milli_shares() {
        assert_eq!(
            holding_share(&PoolKind::Exclusive, 2, 0, MigShare::Compute),
            2.0
        );
        assert_eq!(
            holding_share(&PoolKind::Fractional, 250, 0, MigShare::Compute),
            0.25
        );
    }
}
