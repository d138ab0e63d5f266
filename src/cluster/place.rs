//! Fitting a pod on a node, and committing or releasing what it holds.

use super::{Cluster, GpuState, Holding, MILLI, MigInstance, NO_INSTANCE, PoolKind, Tenant};
use crate::domain::ReplicaAllocation;
use std::ops::Range;

/// What one pod needs from a given pool, resolved once per (request shape, pool).
#[derive(Clone, Debug, PartialEq)]
pub enum Need {
    /// Whole GPUs (exclusive pools).
    Whole { gpus: u32 },
    /// Time-sliced replicas.
    Replicas { n: u32 },
    /// MIG instances of the pool's profile number `kind`.
    Instances { kind: usize, n: u32 },
    /// `milli` of each of `gpus` distinct GPUs, each with `mem` GiB of memory free.
    Milli { milli: u32, gpus: u32, mem: f64 },
}

impl Need {
    /// Which free index of the pool this need draws on.
    pub fn index(&self) -> usize {
        match self {
            Need::Instances { kind, .. } => *kind,
            _ => 0,
        }
    }

    /// Free units a node must have at least (necessary, not always sufficient).
    pub fn units(&self) -> u32 {
        match self {
            Need::Whole { gpus } => *gpus,
            Need::Replicas { n } | Need::Instances { n, .. } => *n,
            Need::Milli { milli, gpus, .. } => milli * gpus,
        }
    }
}

impl Cluster {
    /// Which devices of pool-local `node` the pod would get, or None if it does not fit.
    pub fn fit_on_node(&self, pool: u32, node: u32, need: &Need) -> Option<Vec<Holding>> {
        let p = &self.pools[pool as usize];
        let gpus = p.node_gpus(node);
        match (need, &p.kind) {
            (Need::Whole { gpus: n }, _) => self.fit_whole(gpus, *n),
            (
                Need::Replicas { n },
                PoolKind::TimeSlicing {
                    replicas,
                    allocation,
                    ..
                },
            ) => self.fit_replicas(gpus, *n, *replicas, allocation),
            (Need::Instances { kind, n }, PoolKind::Mig { instances, .. }) => {
                self.fit_instances(gpus, *kind, *n, instances)
            }
            (
                Need::Milli {
                    milli,
                    gpus: n,
                    mem,
                },
                PoolKind::Fractional,
            ) => self.fit_milli(gpus, *milli, *n, *mem, p.model.memory_gib),
            _ => None,
        }
    }

    #[inline]
    fn state(&self, g: u32) -> &GpuState {
        &self.gpus[g as usize]
    }

    /// `n` idle GPUs, lowest first.
    #[inline]
    fn fit_whole(&self, gpus: Range<u32>, n: u32) -> Option<Vec<Holding>> {
        let picked: Vec<Holding> = gpus
            .filter(|&g| self.state(g).used == 0)
            .take(n as usize)
            .map(|g| Holding {
                gpu: g,
                units: 1,
                instance: NO_INSTANCE,
            })
            .collect();
        (picked.len() == n as usize).then_some(picked)
    }

    /// `n` replicas, one at a time, each on the GPU the allocation policy picks.
    #[inline]
    fn fit_replicas(
        &self,
        gpus: Range<u32>,
        n: u32,
        replicas: u32,
        allocation: &ReplicaAllocation,
    ) -> Option<Vec<Holding>> {
        let mut used: Vec<(u32, u32)> = gpus.map(|g| (g, self.state(g).used)).collect();
        let mut out: Vec<Holding> = Vec::new();
        for _ in 0..n {
            let open = used.iter_mut().filter(|(_, u)| *u < replicas);
            // Distributed: least-used GPU first; packed: most-used first. Ties: lower GPU.
            let pick = match allocation {
                ReplicaAllocation::Distributed => open.min_by_key(|(g, u)| (*u, *g)),
                ReplicaAllocation::Packed => open.min_by_key(|(g, u)| (std::cmp::Reverse(*u), *g)),
            }?;
            pick.1 += 1;
            match out.iter_mut().find(|h| h.gpu == pick.0) {
                Some(h) => h.units += 1,
                None => out.push(Holding {
                    gpu: pick.0,
                    units: 1,
                    instance: NO_INSTANCE,
                }),
            }
        }
        Some(out)
    }

    /// `n` free MIG instances of profile `kind`, in GPU then layout order.
    #[inline]
    fn fit_instances(
        &self,
        gpus: Range<u32>,
        kind: usize,
        n: u32,
        instances: &[MigInstance],
    ) -> Option<Vec<Holding>> {
        let mut out = Vec::new();
        for g in gpus {
            for (i, inst) in instances.iter().enumerate() {
                if out.len() == n as usize {
                    return Some(out);
                }
                if inst.kind == kind && self.state(g).instance_holder[i].is_none() {
                    out.push(Holding {
                        gpu: g,
                        units: 1,
                        instance: i as u16,
                    });
                }
            }
        }
        (out.len() == n as usize).then_some(out)
    }

    /// `milli` of `n` distinct GPUs that each also have `mem` GiB free (of `cap`).
    #[inline]
    fn fit_milli(
        &self,
        gpus: Range<u32>,
        milli: u32,
        n: u32,
        mem: f64,
        cap: f64,
    ) -> Option<Vec<Holding>> {
        let mut open: Vec<(u32, u32)> = gpus
            .filter(|&g| {
                let s = self.state(g);
                MILLI - s.used >= milli && s.mem_used + mem <= cap + 1e-9
            })
            .map(|g| (MILLI - self.state(g).used, g))
            .collect();
        if open.len() < n as usize {
            return None;
        }
        // Best fit within the node: the GPUs with the least free milli that still fit.
        open.sort_unstable();
        Some(
            open[..n as usize]
                .iter()
                .map(|&(_, g)| Holding {
                    gpu: g,
                    units: milli,
                    instance: NO_INSTANCE,
                })
                .collect(),
        )
    }

    /// Records that job slot `job` holds `holdings`, each needing `mem` GiB on its GPU per unit
    /// of replica (time-slicing) or per holding (otherwise).
    pub fn commit(&mut self, job: u32, holdings: &[Holding], mem: f64) {
        for h in holdings {
            let g = &mut self.gpus[h.gpu as usize];
            g.used += h.units;
            g.mem_used += mem_of(&self.pools[g.pool as usize].kind, h, mem);
            if h.instance != NO_INSTANCE {
                g.instance_holder[h.instance as usize] = Some(job);
            }
            g.tenants.push(Tenant {
                job,
                units: h.units,
                instance: h.instance,
            });
        }
        self.refresh_index(holdings);
    }

    /// Undoes `commit`.
    pub fn release(&mut self, job: u32, holdings: &[Holding], mem: f64) {
        for h in holdings {
            let g = &mut self.gpus[h.gpu as usize];
            g.used -= h.units;
            g.mem_used = (g.mem_used - mem_of(&self.pools[g.pool as usize].kind, h, mem)).max(0.0);
            if h.instance != NO_INSTANCE {
                g.instance_holder[h.instance as usize] = None;
            }
            if let Some(pos) = g.tenants.iter().position(|t| t.job == job) {
                g.tenants.remove(pos);
            }
        }
        self.refresh_index(holdings);
    }

    /// Recomputes the free counts of the nodes touched by `holdings`.
    fn refresh_index(&mut self, holdings: &[Holding]) {
        let mut last: Option<(u32, u32)> = None;
        for h in holdings {
            let (pool, node) = {
                let g = &self.gpus[h.gpu as usize];
                (g.pool, g.node)
            };
            if last == Some((pool, node)) {
                continue;
            }
            last = Some((pool, node));
            self.refresh_node(pool, node);
        }
    }

    /// Recomputes one node's free counts; a node that is down or absent offers nothing.
    pub(crate) fn refresh_node(&mut self, pool: u32, node: u32) {
        let p = &self.pools[pool as usize];
        let up = p.schedulable(node);
        let gpus = p.node_gpus(node);
        let states = &self.gpus[gpus.start as usize..gpus.end as usize];
        let counts: Vec<u32> = (0..p.kind.index_count())
            .map(|k| {
                if up {
                    states.iter().map(|s| free_units(&p.kind, k, s)).sum()
                } else {
                    0
                }
            })
            .collect();
        let p = &mut self.pools[pool as usize];
        for (k, c) in counts.into_iter().enumerate() {
            p.free[k].set(node, c);
        }
    }
}

/// GPU memory a holding claims: time-slicing counts one copy per replica (each replica is a
/// process); MIG memory is carved out by the instance and not tracked here.
fn mem_of(kind: &PoolKind, h: &Holding, mem: f64) -> f64 {
    match kind {
        PoolKind::TimeSlicing { .. } => mem * f64::from(h.units),
        PoolKind::Mig { .. } => 0.0,
        PoolKind::Exclusive | PoolKind::Fractional => mem,
    }
}

fn free_units(kind: &PoolKind, k: usize, s: &GpuState) -> u32 {
    match kind {
        PoolKind::Mig { instances, .. } => instances
            .iter()
            .zip(&s.instance_holder)
            .filter(|(i, h)| i.kind == k && h.is_none())
            .count() as u32,
        other => other.units_per_gpu(k) - s.used,
    }
}
