//! A pool's fragmentation at every report sample without re-examining every node.
//!
//! A node's fragment with respect to one request shape depends only on the node (its free
//! units), so it is kept per node and per shape and recomputed only for nodes whose free counts
//! changed since (`Cluster::node_changes`). The typical set's weights change as jobs arrive;
//! they only weigh the kept fragments, with the same float operations in the same order as
//! `Cluster::pool_frag`, so the result is the same to the last bit.

use super::frag::{Frag, TypicalNeed, Unit, need_fragment};
use super::{Cluster, Need};
use crate::domain::MigShare;

/// What is known of one node.
#[derive(Clone, Debug, Default)]
struct NodeEntry {
    /// `Cluster::node_changes` of the node when this was computed; None: never.
    seen: Option<u64>,
    /// Free capacity, GPU-equivalents.
    free: f64,
    /// Per need of the pool's list (`PoolCache::needs`): its fragment, if computed.
    fragment: Vec<Option<f64>>,
}

#[derive(Clone, Debug, Default)]
struct PoolCache {
    /// Every need a typical set asked about, in order of first appearance.
    needs: Vec<Need>,
    nodes: Vec<NodeEntry>,
    /// The layout generation and MIG share the entries were computed under.
    made_under: Option<(u64, MigShare)>,
}

/// Per pool: each node's free capacity and fragments, kept until the node changes.
#[derive(Clone, Debug, Default)]
pub struct FragCache {
    pools: Vec<PoolCache>,
    /// Scratch space for a node's units (one allocation for every node of every sample).
    units: Vec<Unit>,
}

impl FragCache {
    /// Fragmentation of a whole pool, as `Cluster::pool_frag` computes it.
    pub fn pool_frag(
        &mut self,
        cluster: &Cluster,
        pool: u32,
        typical: &[TypicalNeed],
        mig_share: MigShare,
    ) -> Frag {
        let p = &cluster.pools[pool as usize];
        if self.pools.len() <= pool as usize {
            self.pools
                .resize_with(pool as usize + 1, PoolCache::default);
        }
        let pc = &mut self.pools[pool as usize];
        let under = Some((cluster.layout_gen, mig_share));
        if pc.made_under != under || pc.nodes.len() != p.node_count as usize {
            pc.nodes = vec![NodeEntry::default(); p.node_count as usize];
            pc.made_under = under;
        }
        // Each typical need's place in the pool's list.
        let ixs: Vec<usize> = typical
            .iter()
            .map(|t| match pc.needs.iter().position(|n| *n == t.need) {
                Some(i) => i,
                None => {
                    pc.needs.push(t.need.clone());
                    pc.needs.len() - 1
                }
            })
            .collect();
        let total: u64 = typical.iter().map(|t| t.weight).sum();
        let whole = cluster.whole_units(pool);
        let mut f = Frag::default();
        for n in 0..p.node_count {
            let changes = cluster.node_changes[(p.first_node + n) as usize];
            let e = &mut pc.nodes[n as usize];
            let units = &mut self.units;
            // Whether `units` holds this node's units.
            let mut have_units = false;
            if e.seen != Some(changes) {
                cluster.node_units_into(pool, n, &[], 0.0, mig_share, units);
                e.free = units.iter().map(|u| u.share).sum();
                e.fragment.clear();
                e.seen = Some(changes);
                have_units = true;
            }
            // As `units_frag`: nothing fragmented without typical jobs or free capacity.
            let fragmented = if total == 0 || e.free == 0.0 {
                0.0
            } else {
                if e.fragment.len() < pc.needs.len() {
                    e.fragment.resize(pc.needs.len(), None);
                }
                let mut acc = 0.0;
                for (t, &i) in typical.iter().zip(&ixs) {
                    let x = match e.fragment[i] {
                        Some(x) => x,
                        None => {
                            if !have_units {
                                cluster.node_units_into(pool, n, &[], 0.0, mig_share, units);
                                have_units = true;
                            }
                            let x = need_fragment(units, &pc.needs[i], whole, e.free);
                            e.fragment[i] = Some(x);
                            x
                        }
                    };
                    acc += t.weight as f64 * x;
                }
                acc / total as f64
            };
            f.free += e.free;
            f.fragmented += fragmented;
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, GpuModel};
    use crate::cluster::{Holding, NO_INSTANCE, PoolDef, PoolKind};
    use crate::domain::ReplicaAllocation;
    use proptest::prelude::*;

    fn model() -> GpuModel {
        Catalog::builtin()
            .get("A100-80GB")
            .expect("catalog GPU")
            .clone()
    }

    /// A fractional pool of 6 nodes x 2 GPUs and a time-sliced pool of 4 nodes x 2 GPUs
    /// (3 replicas).
    fn cluster() -> Cluster {
        let mut c = Cluster::default();
        for (name, kind, nodes) in [
            ("frac", PoolKind::Fractional, 6),
            (
                "ts",
                PoolKind::TimeSlicing {
                    replicas: 3,
                    allocation: ReplicaAllocation::Distributed,
                    rename_by_default: false,
                    fail_requests_greater_than_one: false,
                },
                4,
            ),
        ] {
            c.add_pool(PoolDef {
                name: name.into(),
                model: model(),
                price: 1.0,
                labels: Default::default(),
                spec_labels: Default::default(),
                taints: Vec::new(),
                kind,
                node_count: nodes,
                gpus_per_node: 2,
                present: nodes,
                host: Default::default(),
            });
        }
        c
    }

    fn milli(m: u32, mem: f64) -> Need {
        Need::Milli {
            milli: m,
            gpus: 1,
            mem,
        }
    }

    proptest! {
        /// After any sequence of placements and releases, and typical sets that change
        /// between samples, the kept fragments give exactly what a fresh computation gives.
        #[test]
        fn agrees_with_a_full_computation(
            steps in prop::collection::vec(
                (0u32..2, 0u32..12, 1u32..1000, any::<bool>(), 0usize..4, 1u64..9),
                1..60,
            ),
        ) {
            let mut c = cluster();
            let mut cache = FragCache::default();
            let mut held: Vec<(u32, Vec<Holding>, f64)> = Vec::new();
            let needs = [milli(250, 8.0), milli(700, 30.0), Need::Replicas { n: 1 }, Need::Whole { gpus: 2 }];
            for (job, (pool, gpu, units, release, need, weight)) in steps.into_iter().enumerate() {
                if release && !held.is_empty() {
                    let (j, h, mem) = held.remove(gpu as usize % held.len());
                    c.release(j, &h, mem);
                } else {
                    let p = &c.pools[pool as usize];
                    let g = p.first_gpu + gpu % p.gpu_count();
                    let per_gpu = p.kind.units_per_gpu(0);
                    let free = per_gpu - c.gpus[g as usize].used;
                    if free > 0 {
                        let h = vec![Holding { gpu: g, units: 1 + units % free, instance: NO_INSTANCE }];
                        c.commit(job as u32, &h, 4.0);
                        held.push((job as u32, h, 4.0));
                    }
                }
                let typical = vec![
                    TypicalNeed { need: needs[need].clone(), weight },
                    TypicalNeed { need: needs[(need + 1) % 4].clone(), weight: 3 },
                ];
                for pool in 0..2 {
                    let want = c.pool_frag(pool, &typical, MigShare::Compute);
                    let got = cache.pool_frag(&c, pool, &typical, MigShare::Compute);
                    prop_assert_eq!(got.free.to_bits(), want.free.to_bits());
                    prop_assert_eq!(got.fragmented.to_bits(), want.fragmented.to_bits());
                }
            }
        }
    }
}
