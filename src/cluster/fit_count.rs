//! Whether a pod fits on a node, answered by counting open devices instead of picking them.
//!
//! Preemption asks "would it fit if these pods were gone?" many times per node (once per
//! tentative victim), and only the yes or no matters. Every fit in `place` takes devices one at
//! a time from those still open (replicas below the GPU's count, idle GPUs, free MIG instances
//! of the profile, GPUs with enough milli and memory left) and fails only when none is left, so
//! it succeeds exactly when at least `n` are open. Counting gives that answer without building
//! the device list.

use super::place::GpuStates;
use super::{MILLI, MigInstance, Pool, PoolKind};
use crate::cluster::Need;

/// Whether `place::fit_on` finds devices for `need` on `node` of pool `p` in the state `s`.
pub(super) fn fits_on<S: GpuStates>(s: &S, p: &Pool, node: u32, need: &Need) -> bool {
    let gpus = p.node_gpus(node);
    let free_instances = |kind: usize, instances: &[MigInstance]| -> usize {
        gpus.clone()
            .map(|g| {
                instances
                    .iter()
                    .enumerate()
                    .filter(|(i, inst)| inst.kind == kind && s.instance_free(g, *i))
                    .count()
            })
            .sum()
    };
    match (need, &p.kind) {
        (Need::Whole { gpus: n }, _) => {
            gpus.clone().filter(|&g| s.used(g) == 0).count() >= *n as usize
        }
        (Need::Replicas { n }, PoolKind::TimeSlicing { replicas, .. })
        | (Need::Replicas { n }, PoolKind::Mps { replicas }) => {
            let open: u64 = gpus
                .clone()
                .map(|g| u64::from(replicas.saturating_sub(s.used(g))))
                .sum();
            open >= u64::from(*n)
        }
        (Need::Instances { kind, n }, PoolKind::Mig { instances, .. }) => {
            free_instances(*kind, instances) >= *n as usize
        }
        (
            Need::Milli {
                milli,
                gpus: n,
                mem,
            },
            PoolKind::Fractional,
        ) => {
            let cap = p.model.memory_gib;
            gpus.clone()
                .filter(|&g| MILLI - s.used(g) >= *milli && s.mem_used(g) + mem <= cap + 1e-9)
                .count()
                >= *n as usize
        }
        _ => false,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::catalog::{Catalog, GpuModel};
    use crate::cluster::place::fit_on;
    use crate::cluster::{Cluster, Holding, MigInstance, PoolDef};
    use crate::domain::{MigStrategy, ReplicaAllocation};
    use proptest::prelude::*;

    fn model() -> GpuModel {
        Catalog::builtin()
            .get("A100-80GB")
            .expect("catalog GPU")
            .clone()
    }

    fn inst(kind: usize, replicas: u32, group: u16) -> MigInstance {
        MigInstance {
            profile: format!("p{kind}"),
            start: 0,
            compute_slices: 1,
            mem_slices: 1,
            sm_fraction: 0.25,
            mem_gib: 10.0,
            kind,
            replicas,
            group,
        }
    }

    /// One pool of every kind, 3 nodes x 2 GPUs each (MIG: plain, and time-sliced with one
    /// physical instance shared by 2 replicas).
    pub(in crate::cluster) fn cluster() -> Cluster {
        let ts = |allocation| PoolKind::TimeSlicing {
            replicas: 3,
            allocation,
            rename_by_default: false,
            fail_requests_greater_than_one: false,
        };
        let mig = |instances: Vec<MigInstance>| PoolKind::Mig {
            strategy: MigStrategy::Mixed,
            instances,
            profiles: vec!["p0".into(), "p1".into()],
        };
        let kinds = [
            ts(ReplicaAllocation::Distributed),
            ts(ReplicaAllocation::Packed),
            PoolKind::Mps { replicas: 4 },
            PoolKind::Exclusive,
            PoolKind::Fractional,
            mig(vec![inst(0, 1, 0), inst(1, 1, 1), inst(1, 1, 2)]),
            mig(vec![inst(0, 2, 0), inst(0, 2, 0), inst(1, 1, 2)]),
        ];
        let mut c = Cluster::default();
        for (i, kind) in kinds.into_iter().enumerate() {
            c.add_pool(PoolDef {
                name: format!("p{i}"),
                model: model(),
                price: 1.0,
                labels: Default::default(),
                spec_labels: Default::default(),
                taints: Vec::new(),
                kind,
                node_count: 3,
                gpus_per_node: 2,
                present: 3,
                host: Default::default(),
            });
        }
        c
    }

    /// Needs worth asking of pool `pool` (some of them of the wrong kind: never fit).
    pub(in crate::cluster) fn needs(pool: u32) -> Vec<Need> {
        let milli = |milli, gpus, mem| Need::Milli { milli, gpus, mem };
        match pool {
            0..=2 => vec![Need::Replicas { n: 1 }, Need::Replicas { n: 4 }],
            3 => vec![Need::Whole { gpus: 1 }, Need::Whole { gpus: 2 }],
            4 => vec![milli(250, 1, 8.0), milli(600, 2, 30.0), milli(100, 1, 75.0)],
            _ => vec![
                Need::Instances { kind: 0, n: 1 },
                Need::Instances { kind: 1, n: 2 },
                Need::Whole { gpus: 1 },
            ],
        }
    }

    proptest! {
        /// After random placements and releases, on every node and for every need: counting
        /// agrees with picking, on the cluster itself and on what-if views where some of the
        /// node's pods are gone (compared with a copy of the cluster that released them).
        #[test]
        fn fits_on_agrees_with_fit_on(
            steps in prop::collection::vec((0u32..7, 0u32..3, 0usize..3, any::<bool>(), 1u8..40), 1..50),
            gone_mask in any::<u64>(),
        ) {
            let mut c = cluster();
            let mut held: Vec<(u32, u32, u32, Vec<Holding>, f64)> = Vec::new();
            for (job, (pool, node, need, release, mem)) in steps.into_iter().enumerate() {
                if release && !held.is_empty() {
                    let (j, _, _, h, m) = held.remove(job % held.len());
                    c.release(j, &h, m);
                    continue;
                }
                let ns = needs(pool);
                let need = &ns[need % ns.len()];
                if let Some(h) = c.fit_on_node(pool, node, need) {
                    let m = f64::from(mem);
                    c.commit(job as u32, &h, m);
                    held.push((job as u32, pool, node, h, m));
                }
            }
            for pool in 0..7u32 {
                let p = &c.pools[pool as usize];
                for node in 0..3u32 {
                    let mine: Vec<usize> = (0..held.len())
                        .filter(|&i| held[i].1 == pool && held[i].2 == node)
                        .collect();
                    let gone: Vec<usize> = mine
                        .iter()
                        .copied()
                        .filter(|&i| gone_mask & (1 << (i % 64)) != 0)
                        .collect();
                    let mut after = c.clone();
                    for &i in &gone {
                        after.release(held[i].0, &held[i].3, held[i].4);
                    }
                    let gone_list: Vec<(&[Holding], f64)> =
                        gone.iter().map(|&i| (held[i].3.as_slice(), held[i].4)).collect();
                    for need in needs(pool) {
                        prop_assert_eq!(
                            fits_on(&c, p, node, &need),
                            fit_on(&c, p, node, &need).is_some(),
                            "pool {} node {} need {:?}", pool, node, need
                        );
                        prop_assert_eq!(
                            c.fits_without(pool, node, &need, &gone_list),
                            after.fit_on_node(pool, node, &need).is_some(),
                            "pool {} node {} need {:?} without {:?}", pool, node, need, gone
                        );
                    }
                }
            }
        }
    }
}
