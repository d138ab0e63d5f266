//! Fragmentation of a pool's free capacity with respect to the requests that use it, the
//! measure of FGD (Weng et al., ATC'23) carried over to every sharing mode. `docs/MODEL.md`
//! ("Fragmentation") states it for users.
//!
//! A node's free capacity is split into *units*: a GPU (exclusive, time-slicing, fractional) or
//! a free MIG instance. Each unit's size is counted in GPU-equivalents, by the same share that
//! prices a holding (a whole GPU 1, a replica 1/replicas, milli/1000, a MIG instance
//! compute_slices/7 or mem_slices/8). With respect to one request shape c, a node's fragment is:
//!
//! - all of its free capacity, if c cannot be placed on the node;
//! - otherwise the free capacity of the units c cannot use: GPUs with less free milli or GPU
//!   memory than c asks (fractional), and free MIG instances of another profile than c's (MIG).
//!   Exclusive and time-sliced requests can use every unit with free capacity, so a node that
//!   fits them has no fragment.
//!
//! A node's fragmentation is the expectation over the pool's *typical* shapes: the request
//! shapes of the jobs that arrived so far for the pool, by count, most common first, up to 95 %
//! of the jobs (as FGD's typical-pod set). Free MIG instances of a profile nobody asks for are
//! thus always fragment: stranded capacity.

use super::share::mig_instance_share;
use super::{Cluster, Holding, MILLI, NO_INSTANCE, Need, PoolKind};
use crate::domain::MigShare;

/// Share of jobs (in %) the typical set must cover.
pub const TYPICAL_THRESHOLD_PCT: u64 = 95;

/// A request shape in a pool's typical workload, with its count.
#[derive(Clone, Debug, PartialEq)]
pub struct TypicalNeed {
    pub need: Need,
    pub weight: u64,
}

/// The typical set of `counts` (need, jobs): equal needs merged, most common first (ties keep
/// the given order), taken until they cover at least `threshold_pct` % of the jobs.
pub fn typical_needs(counts: &[(Need, u64)], threshold_pct: u64) -> Vec<TypicalNeed> {
    let mut merged: Vec<TypicalNeed> = Vec::new();
    for (need, w) in counts {
        if *w == 0 {
            continue;
        }
        match merged.iter_mut().find(|t| &t.need == need) {
            Some(t) => t.weight += w,
            None => merged.push(TypicalNeed {
                need: need.clone(),
                weight: *w,
            }),
        }
    }
    let total: u64 = merged.iter().map(|t| t.weight).sum();
    merged.sort_by_key(|t| std::cmp::Reverse(t.weight)); // stable
    let mut covered = 0;
    let mut out = Vec::new();
    for t in merged {
        if covered * 100 >= threshold_pct * total {
            break;
        }
        covered += t.weight;
        out.push(t);
    }
    out
}

/// One unit of a node's capacity: a GPU, or a MIG instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    /// Free units of the pool's kind on it (whole GPU 0/1, replicas, milli, or 0/1 instance).
    pub free: u32,
    /// Free GPU memory (fractional), GiB.
    pub mem_free: f64,
    /// MIG profile index of an instance; 0 otherwise.
    pub kind: usize,
    /// Free capacity in GPU-equivalents.
    pub share: f64,
}

/// Free and fragmented capacity, in GPU-equivalents.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Frag {
    pub free: f64,
    pub fragmented: f64,
}

impl Frag {
    /// Fragmented share of the free capacity (0 when nothing is free).
    pub fn ratio(&self) -> f64 {
        if self.free > 0.0 {
            self.fragmented / self.free
        } else {
            0.0
        }
    }
}

fn usable(u: &Unit, need: &Need, whole: u32) -> bool {
    match need {
        Need::Whole { .. } => u.free >= whole,
        Need::Replicas { .. } => u.free > 0,
        Need::Instances { kind, .. } => u.free > 0 && u.kind == *kind,
        Need::Milli { milli, mem, .. } => u.free >= *milli && u.mem_free + 1e-9 >= *mem,
    }
}

fn fits(units: &[Unit], need: &Need, whole: u32) -> bool {
    match need {
        Need::Replicas { n } => units.iter().map(|u| u.free).sum::<u32>() >= *n,
        Need::Whole { gpus: n } | Need::Instances { n, .. } | Need::Milli { gpus: n, .. } => {
            units.iter().filter(|u| usable(u, need, whole)).count() as u32 >= *n
        }
    }
}

/// Fragmented capacity of `units` (GPU-equivalents, `free` in all) with respect to one need.
pub(crate) fn need_fragment(units: &[Unit], need: &Need, whole: u32, free: f64) -> f64 {
    if fits(units, need, whole) {
        units
            .iter()
            .filter(|u| !usable(u, need, whole))
            .map(|u| u.share)
            .sum()
    } else {
        free
    }
}

/// Fragmented capacity of `units` (GPU-equivalents) averaged over the typical needs; `whole` is
/// the free count of a fully free GPU (1 for exclusive pools).
pub fn units_frag(units: &[Unit], typical: &[TypicalNeed], whole: u32) -> Frag {
    let free: f64 = units.iter().map(|u| u.share).sum();
    let total: u64 = typical.iter().map(|t| t.weight).sum();
    if total == 0 || free == 0.0 {
        return Frag {
            free,
            fragmented: 0.0,
        };
    }
    let mut acc = 0.0;
    for t in typical {
        acc += t.weight as f64 * need_fragment(units, &t.need, whole, free);
    }
    Frag {
        free,
        fragmented: acc / total as f64,
    }
}

impl Cluster {
    /// The units of pool-local `node`, as they would be after also placing `extra` (holdings of
    /// a job needing `mem` GiB per holding; empty for the node as it is).
    pub fn node_units(
        &self,
        pool: u32,
        node: u32,
        extra: &[Holding],
        mem: f64,
        mig_share: MigShare,
    ) -> Vec<Unit> {
        let mut out = Vec::new();
        self.node_units_into(pool, node, extra, mem, mig_share, &mut out);
        out
    }

    /// [`Cluster::node_units`] into `out` (cleared first), reusing its allocation: the
    /// fragmentation cache asks this of every changed node at every report sample.
    pub fn node_units_into(
        &self,
        pool: u32,
        node: u32,
        extra: &[Holding],
        mem: f64,
        mig_share: MigShare,
        out: &mut Vec<Unit>,
    ) {
        let p = &self.pools[pool as usize];
        out.clear();
        for g in p.node_gpus(node) {
            let s = &self.gpus[g as usize];
            match &p.kind {
                PoolKind::Mig { instances, .. } => {
                    for (i, inst) in instances.iter().enumerate() {
                        let taken = s.instance_holder[i].is_some()
                            || extra.iter().any(|h| h.gpu == g && h.instance == i as u16);
                        if !taken {
                            let share = mig_instance_share(inst, mig_share);
                            out.push(Unit {
                                free: 1,
                                mem_free: inst.mem_gib,
                                kind: inst.kind,
                                share,
                            });
                        }
                    }
                }
                kind => {
                    let per_gpu = kind.units_per_gpu(0);
                    let (mut used, mut mem_used) = (s.used, s.mem_used);
                    for h in extra.iter().filter(|h| h.gpu == g) {
                        debug_assert_eq!(h.instance, NO_INSTANCE);
                        used += h.units;
                        mem_used += match kind {
                            PoolKind::TimeSlicing { .. } => mem * f64::from(h.units),
                            _ => mem,
                        };
                    }
                    let free = per_gpu.saturating_sub(used);
                    let mem_free = match kind {
                        PoolKind::Fractional => (p.model.memory_gib - mem_used).max(0.0),
                        _ => p.model.memory_gib,
                    };
                    let share = match kind {
                        PoolKind::Fractional => f64::from(free) / f64::from(MILLI),
                        _ => f64::from(free) / f64::from(per_gpu),
                    };
                    out.push(Unit {
                        free,
                        mem_free,
                        kind: 0,
                        share,
                    });
                }
            }
        }
    }

    /// Free count of a fully free GPU in `pool` (what a whole-GPU request needs of one unit).
    pub fn whole_units(&self, pool: u32) -> u32 {
        match &self.pools[pool as usize].kind {
            PoolKind::Mig { .. } => 1,
            k => k.units_per_gpu(0),
        }
    }

    /// Fragmentation of pool-local `node` (optionally after placing `extra`).
    pub fn node_frag(
        &self,
        pool: u32,
        node: u32,
        typical: &[TypicalNeed],
        extra: &[Holding],
        mem: f64,
        mig_share: MigShare,
    ) -> Frag {
        let units = self.node_units(pool, node, extra, mem, mig_share);
        units_frag(&units, typical, self.whole_units(pool))
    }

    /// Fragmentation of a whole pool: the sum over its nodes.
    pub fn pool_frag(&self, pool: u32, typical: &[TypicalNeed], mig_share: MigShare) -> Frag {
        let mut f = Frag::default();
        for n in 0..self.pools[pool as usize].node_count {
            let x = self.node_frag(pool, n, typical, &[], 0.0, mig_share);
            f.free += x.free;
            f.fragmented += x.fragmented;
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(free: u32, mem_free: f64, kind: usize, share: f64) -> Unit {
        Unit {
            free,
            mem_free,
            kind,
            share,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn fractional_units_by_hand() {
        // A 4-GPU fractional node, free milli 1000, 500, 200, 0 (shares 1, 0.5, 0.2, 0), 80 GiB
        // each except GPU 1 with 5 GiB free.
        let units = [
            unit(1000, 80.0, 0, 1.0),
            unit(500, 5.0, 0, 0.5),
            unit(200, 80.0, 0, 0.2),
            unit(0, 80.0, 0, 0.0),
        ];
        let milli = |m, gpus, mem| Need::Milli {
            milli: m,
            gpus,
            mem,
        };
        // 300 milli, 10 GiB, 1 GPU (weight 3): fits GPU 0 only (GPU 1 lacks memory, GPU 2 milli):
        // fragment = 0.5 + 0.2 = 0.7.
        // 1000 milli x 2 GPUs (weight 1): only one full GPU -> does not fit -> all 1.7.
        // F = (3·0.7 + 1·1.7)/4 = (2.1 + 1.7)/4 = 0.95 GPU.
        let typical = vec![
            TypicalNeed {
                need: milli(300, 1, 10.0),
                weight: 3,
            },
            TypicalNeed {
                need: milli(1000, 2, 1.0),
                weight: 1,
            },
        ];
        let f = units_frag(&units, &typical, 1000);
        assert!(close(f.free, 1.7));
        assert!(close(f.fragmented, 0.95), "{f:?}");
        assert!(close(f.ratio(), 0.95 / 1.7));
    }

    #[test]
    fn mig_units_by_hand() {
        // Free instances of one A100: a 3g (kind 0, 3/7) and a 1g (kind 1, 1/7).
        let units = [unit(1, 40.0, 0, 3.0 / 7.0), unit(1, 10.0, 1, 1.0 / 7.0)];
        let inst = |kind, n| Need::Instances { kind, n };
        // Typical: only 3g requests -> the free 1g is stranded: fragment 1/7 of a GPU.
        let only_3g = vec![TypicalNeed {
            need: inst(0, 1),
            weight: 5,
        }];
        assert!(close(units_frag(&units, &only_3g, 1).fragmented, 1.0 / 7.0));
        // 2 x 3g in one request does not fit -> all 4/7 is fragment.
        let two = vec![TypicalNeed {
            need: inst(0, 2),
            weight: 1,
        }];
        assert!(close(units_frag(&units, &two, 1).fragmented, 4.0 / 7.0));
        // Half 3g, half 1g: each sees the other's instance as fragment:
        // (1·1/7 + 1·3/7)/2 = 2/7.
        let mixed = vec![
            TypicalNeed {
                need: inst(0, 1),
                weight: 1,
            },
            TypicalNeed {
                need: inst(1, 1),
                weight: 1,
            },
        ];
        assert!(close(units_frag(&units, &mixed, 1).fragmented, 2.0 / 7.0));
    }

    #[test]
    fn whole_and_replica_units() {
        // Exclusive node with 3 of 4 GPUs busy: one free GPU.
        let excl = [
            unit(1, 80.0, 0, 1.0),
            unit(0, 80.0, 0, 0.0),
            unit(0, 80.0, 0, 0.0),
            unit(0, 80.0, 0, 0.0),
        ];
        let whole = |n| TypicalNeed {
            need: Need::Whole { gpus: n },
            weight: 1,
        };
        // 1-GPU requests fit: no fragment; 2-GPU requests do not: the free GPU is fragment.
        assert!(close(units_frag(&excl, &[whole(1)], 1).fragmented, 0.0));
        assert!(close(units_frag(&excl, &[whole(2)], 1).fragmented, 1.0));
        assert!(close(
            units_frag(&excl, &[whole(1), whole(2)], 1).fragmented,
            0.5
        ));
        // Time-sliced x4: free replicas 1 and 2 (shares 0.25, 0.5). 3 replicas fit across GPUs:
        // no fragment; 4 do not: all 0.75.
        let ts = [unit(1, 80.0, 0, 0.25), unit(2, 80.0, 0, 0.5)];
        let rep = |n| TypicalNeed {
            need: Need::Replicas { n },
            weight: 1,
        };
        assert!(close(units_frag(&ts, &[rep(3)], 4).fragmented, 0.0));
        assert!(close(units_frag(&ts, &[rep(4)], 4).fragmented, 0.75));
    }

    #[test]
    fn typical_set_merges_and_cuts() {
        let w = |g| Need::Whole { gpus: g };
        // 1-GPU: 60 + 30 (merged) = 90, 2-GPU: 6, 4-GPU: 4 -> 90 % < 95 %, 96 % >= 95 %.
        let t = typical_needs(&[(w(1), 60), (w(2), 6), (w(1), 30), (w(4), 4)], 95);
        assert_eq!(
            t,
            vec![
                TypicalNeed {
                    need: w(1),
                    weight: 90
                },
                TypicalNeed {
                    need: w(2),
                    weight: 6
                },
            ]
        );
        assert!(typical_needs(&[], 95).is_empty());
    }
}
