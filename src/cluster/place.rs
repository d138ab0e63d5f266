//! Fitting a pod on a node, and committing or releasing what it holds.

use super::{Cluster, GpuState, Holding, MILLI, MigInstance, NO_INSTANCE, Pool, PoolKind, Tenant};
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

/// What fitting reads of a GPU: the live cluster, or a what-if view of one node.
pub(super) trait GpuStates {
    fn used(&self, g: u32) -> u32;
    fn mem_used(&self, g: u32) -> f64;
    fn instance_free(&self, g: u32, instance: usize) -> bool;
}

impl GpuStates for Cluster {
    #[inline]
    fn used(&self, g: u32) -> u32 {
        self.gpus[g as usize].used
    }
    #[inline]
    fn mem_used(&self, g: u32) -> f64 {
        self.gpus[g as usize].mem_used
    }
    #[inline]
    fn instance_free(&self, g: u32, instance: usize) -> bool {
        self.gpus[g as usize].instance_holder[instance].is_none()
    }
}

/// One node as it would be if some pods were gone: the counts `release` would leave, computed
/// the same way (same order, same float operations) without touching the cluster.
struct Without<'a> {
    cluster: &'a Cluster,
    first_gpu: u32,
    used: &'a mut [u32],
    mem_used: &'a mut [f64],
    /// Per GPU: MIG instances the gone pods held (bit per instance).
    freed: &'a mut [u128],
}

/// GPUs per node up to which a what-if keeps its counts on the stack.
const STACK_GPUS: usize = 16;

impl GpuStates for Without<'_> {
    #[inline]
    fn used(&self, g: u32) -> u32 {
        self.used[(g - self.first_gpu) as usize]
    }
    #[inline]
    fn mem_used(&self, g: u32) -> f64 {
        self.mem_used[(g - self.first_gpu) as usize]
    }
    #[inline]
    fn instance_free(&self, g: u32, instance: usize) -> bool {
        self.freed[(g - self.first_gpu) as usize] & (1u128 << instance) != 0
            || self.cluster.instance_free(g, instance)
    }
}

impl Cluster {
    /// Which devices of pool-local `node` the pod would get, or None if it does not fit.
    pub fn fit_on_node(&self, pool: u32, node: u32, need: &Need) -> Option<Vec<Holding>> {
        fit_on(self, &self.pools[pool as usize], node, need)
    }

    /// Would `need` fit on pool-local `node` if the pods holding `gone` (each: its holdings
    /// and the memory it committed them with) had been released, in that order? A what-if on
    /// counts: the cluster is not changed.
    pub fn fits_without(
        &self,
        pool: u32,
        node: u32,
        need: &Need,
        gone: &[(&[Holding], f64)],
    ) -> bool {
        self.fits_without_each(pool, node, need, gone.iter().copied())
    }

    /// [`fits_without`](Self::fits_without) with the gone pods as an iterator (no list to
    /// build); the answer is the same for the same pods in the same order.
    pub fn fits_without_each<'h>(
        &self,
        pool: u32,
        node: u32,
        need: &Need,
        gone: impl Iterator<Item = (&'h [Holding], f64)>,
    ) -> bool {
        let gpus = self.pools[pool as usize].node_gpus(node);
        let n = gpus.len();
        if n <= STACK_GPUS {
            let (mut used, mut mem_used, mut freed) =
                ([0; STACK_GPUS], [0.0; STACK_GPUS], [0; STACK_GPUS]);
            self.fits_without_in(
                pool,
                node,
                need,
                gone,
                &mut used[..n],
                &mut mem_used[..n],
                &mut freed[..n],
            )
        } else {
            let (mut used, mut mem_used, mut freed) = (vec![0; n], vec![0.0; n], vec![0; n]);
            self.fits_without_in(pool, node, need, gone, &mut used, &mut mem_used, &mut freed)
        }
    }

    /// `fits_without` with room for the node's counts.
    #[allow(clippy::too_many_arguments)]
    fn fits_without_in<'h>(
        &self,
        pool: u32,
        node: u32,
        need: &Need,
        gone: impl Iterator<Item = (&'h [Holding], f64)>,
        used: &mut [u32],
        mem_used: &mut [f64],
        freed: &mut [u128],
    ) -> bool {
        let p = &self.pools[pool as usize];
        let gpus = p.node_gpus(node);
        let states = &self.gpus[gpus.start as usize..gpus.end as usize];
        for (i, s) in states.iter().enumerate() {
            used[i] = s.used;
            mem_used[i] = s.mem_used;
        }
        let view = Without {
            cluster: self,
            first_gpu: gpus.start,
            used,
            mem_used,
            freed,
        };
        for (holdings, mem) in gone {
            for h in holdings.iter().filter(|h| gpus.contains(&h.gpu)) {
                let i = (h.gpu - gpus.start) as usize;
                // As `release` does it, so the what-if compares the very same numbers.
                view.used[i] -= h.units;
                view.mem_used[i] = mem_released(
                    view.mem_used[i],
                    mem_of(&p.kind, h, mem, self.context_mem_gib),
                );
                if h.instance != NO_INSTANCE {
                    view.freed[i] |= 1u128 << h.instance;
                }
            }
        }
        super::fit_count::fits_on(&view, p, node, need)
    }
}

/// Which devices of `node` of pool `p` the pod would get in the state `s`.
pub(super) fn fit_on<S: GpuStates>(
    s: &S,
    p: &Pool,
    node: u32,
    need: &Need,
) -> Option<Vec<Holding>> {
    let gpus = p.node_gpus(node);
    match (need, &p.kind) {
        (Need::Whole { gpus: n }, _) => fit_whole(s, gpus, *n),
        (
            Need::Replicas { n },
            PoolKind::TimeSlicing {
                replicas,
                allocation,
                ..
            },
        ) => fit_replicas(s, gpus, *n, *replicas, allocation),
        (Need::Replicas { n }, PoolKind::Mps { replicas }) => {
            fit_replicas(s, gpus, *n, *replicas, &ReplicaAllocation::Distributed)
        }
        (Need::Instances { kind, n }, PoolKind::Mig { instances, .. })
            if instances.iter().any(|i| i.replicas > 1) =>
        {
            fit_sliced_instances(s, gpus, *kind, *n, instances)
        }
        (Need::Instances { kind, n }, PoolKind::Mig { instances, .. }) => {
            fit_instances(s, gpus, *kind, *n, instances)
        }
        (
            Need::Milli {
                milli,
                gpus: n,
                mem,
            },
            PoolKind::Fractional,
        ) => fit_milli(s, gpus, *milli, *n, *mem, p.model.memory_gib),
        _ => None,
    }
}

/// `n` idle GPUs, lowest first.
#[inline]
fn fit_whole<S: GpuStates>(s: &S, gpus: Range<u32>, n: u32) -> Option<Vec<Holding>> {
    let picked: Vec<Holding> = gpus
        .filter(|&g| s.used(g) == 0)
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
fn fit_replicas<S: GpuStates>(
    s: &S,
    gpus: Range<u32>,
    n: u32,
    replicas: u32,
    allocation: &ReplicaAllocation,
) -> Option<Vec<Holding>> {
    let mut used: Vec<(u32, u32)> = gpus.map(|g| (g, s.used(g))).collect();
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

/// `n` replicas of MIG instances of profile `kind` on a pool with time-sliced instances, one
/// at a time, each from the physical instance with the fewest replicas in use (the device
/// plugin's `distributed` policy); ties to the lower GPU, then layout order.
fn fit_sliced_instances<S: GpuStates>(
    s: &S,
    gpus: Range<u32>,
    kind: usize,
    n: u32,
    instances: &[MigInstance],
) -> Option<Vec<Holding>> {
    let mut out: Vec<Holding> = Vec::new();
    for _ in 0..n {
        let taken = |g: u32, i: usize| {
            !s.instance_free(g, i)
                || out
                    .iter()
                    .any(|h| h.gpu == g && usize::from(h.instance) == i)
        };
        let mut best: Option<(u32, u32, usize)> = None;
        for g in gpus.clone() {
            for (i, inst) in instances.iter().enumerate() {
                if inst.kind != kind || taken(g, i) {
                    continue;
                }
                let used = instances
                    .iter()
                    .enumerate()
                    .filter(|(k, o)| o.group == inst.group && taken(g, *k))
                    .count() as u32;
                if best.is_none_or(|b| (used, g, i) < b) {
                    best = Some((used, g, i));
                }
            }
        }
        let (_, g, i) = best?;
        out.push(Holding {
            gpu: g,
            units: 1,
            instance: i as u16,
        });
    }
    Some(out)
}

/// `n` free MIG instances of profile `kind`, in GPU then layout order.
#[inline]
fn fit_instances<S: GpuStates>(
    s: &S,
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
            if inst.kind == kind && s.instance_free(g, i) {
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
fn fit_milli<S: GpuStates>(
    s: &S,
    gpus: Range<u32>,
    milli: u32,
    n: u32,
    mem: f64,
    cap: f64,
) -> Option<Vec<Holding>> {
    let mut open: Vec<(u32, u32)> = gpus
        .filter(|&g| MILLI - s.used(g) >= milli && s.mem_used(g) + mem <= cap + 1e-9)
        .map(|g| (MILLI - s.used(g), g))
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

impl Cluster {
    /// Records that job slot `job` holds `holdings`, each needing `mem` GiB on its GPU per unit
    /// of replica (time-slicing) or per holding (otherwise).
    pub fn commit(&mut self, job: u32, holdings: &[Holding], mem: f64) {
        let ctx = self.context_mem_gib;
        for h in holdings {
            let g = &mut self.gpus[h.gpu as usize];
            g.used += h.units;
            g.mem_used += mem_of(&self.pools[g.pool as usize].kind, h, mem, ctx);
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
        let ctx = self.context_mem_gib;
        for h in holdings {
            let g = &mut self.gpus[h.gpu as usize];
            g.used -= h.units;
            g.mem_used = mem_released(
                g.mem_used,
                mem_of(&self.pools[g.pool as usize].kind, h, mem, ctx),
            );
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
        self.node_changes[(p.first_node + node) as usize] += 1;
        let up = p.schedulable(node);
        let gpus = p.node_gpus(node);
        for k in 0..p.kind.index_count() {
            let p = &self.pools[pool as usize];
            let states = &self.gpus[gpus.start as usize..gpus.end as usize];
            let c = if up {
                states.iter().map(|s| free_units(&p.kind, k, s)).sum()
            } else {
                0
            };
            self.pools[pool as usize].free[k].set(node, c);
        }
    }
}

/// A GPU's memory in use once a holding claiming `claim` GiB leaves, never below zero. The one
/// form of this subtraction: releasing and every what-if (`fits_without`, `what_if`) use it, so
/// they compute the very same bits.
#[inline]
pub(super) fn mem_released(mem_used: f64, claim: f64) -> f64 {
    (mem_used - claim).max(0.0)
}

/// GPU memory a holding claims: time-slicing counts one copy per replica (each replica is a
/// process), each with its CUDA context's `ctx` GiB; MIG memory is carved out by the instance
/// and not tracked here.
pub(super) fn mem_of(kind: &PoolKind, h: &Holding, mem: f64, ctx: f64) -> f64 {
    match kind {
        PoolKind::TimeSlicing { .. } => (mem + ctx) * f64::from(h.units),
        PoolKind::Mig { .. } => 0.0,
        PoolKind::Exclusive | PoolKind::Fractional | PoolKind::Mps { .. } => mem,
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
