//! Preemption's reprieve trials on one node, one pod at a time.
//!
//! kube-scheduler's victim choice (`sched::preemption`) first takes every lower-priority pod
//! of a node as a victim, then asks, victim by victim, "does the preemptor still fit if this
//! one stays?". [`Cluster::fits_without`] answers such a question from scratch: it copies the
//! node's counts and releases every other victim again. Here the node's counts with the
//! current victims gone are kept between questions, and a question recomputes only the GPUs
//! the kept pod holds devices on.
//!
//! The numbers are the very ones `fits_without` computes: a GPU's counts depend only on the
//! holdings on that GPU, and a recomputed GPU starts from the cluster's counts and releases the
//! victims' holdings on it in the victims' order, each pod's holdings in its own order, with
//! the same operations (GPU memory is subtracted holding by holding and clamped at zero, so the
//! order matters for its last bits). The answers are therefore the same, bit for bit.
//! Replicas on a time-sliced or MPS node add up (see [`Replicas`]): there a trial is a
//! subtraction.

use super::fit_count::fits_on;
use super::place::{GpuStates, mem_of, mem_released};
use super::{Cluster, Holding, NO_INSTANCE, Need, PoolKind};
use std::ops::Range;

/// One holding of a tentative victim on the node.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// The pod (caller's index).
    pod: usize,
    units: u32,
    instance: u16,
    /// GPU memory the holding claims (as `release` subtracts it).
    mem: f64,
}

/// The node's counts with the tentative victims gone, and what is needed to recompute one GPU
/// (kept between nodes, so that trials do not allocate).
#[derive(Debug, Default)]
pub struct NodeTrials {
    first_gpu: u32,
    /// Per GPU of the node, with the tentative victims gone.
    used: Vec<u32>,
    mem_used: Vec<f64>,
    /// Per GPU: MIG instances the tentative victims hold (bit per instance).
    freed: Vec<u128>,
    /// The victims' holdings, GPU by GPU; on each GPU in the victims' order.
    entries: Vec<Entry>,
    /// Per GPU: its entries; GPU `i`'s are `entries[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    /// Per GPU: where its next entry goes, while laying them out.
    next: Vec<usize>,
    /// Per pod: whether it is a tentative victim.
    gone: Vec<bool>,
    /// Per pod: the node's GPUs it holds devices on (node-local, each once), in `pod_gpus`.
    gpus_of: Vec<Range<usize>>,
    pod_gpus: Vec<u32>,
    /// The counts a trial replaced: (GPU, used, memory, freed instances).
    saved: Vec<(usize, u32, f64, u128)>,
    /// Pod kept by the trial in progress.
    keeping: Option<usize>,
    /// Set when the need is counted in replicas that add up (see [`Replicas`]): the trials
    /// then count instead of recomputing GPUs.
    replicas: Option<Replicas>,
}

/// Replicas on a time-sliced or MPS node where no GPU has more replicas in use than it offers:
/// then every GPU's open replicas (`replicas - used`, as `fit_count` counts them, never below
/// zero) is the node's open count plus what each gone pod holds on it, and whether `n` fit is
/// a sum over the gone pods, exactly.
#[derive(Debug, Default)]
struct Replicas {
    /// Replicas the preemptor needs.
    n: u64,
    /// Open replicas with the tentative victims gone.
    open: u64,
    /// Per pod: the replicas it holds on the node.
    held: Vec<u64>,
}

impl Cluster {
    /// Starts trials for `need` on pool-local `node` of `pool`: pods `0..pods`, of which
    /// those in `victims` (in this order) are the tentative victims; `holdings(i)` is pod
    /// `i`'s holdings and the GPU memory it committed them with (as for `fits_without`).
    pub fn trials_begin<'h>(
        &self,
        t: &mut NodeTrials,
        (pool, node): (u32, u32),
        need: &Need,
        pods: usize,
        victims: &[usize],
        holdings: impl Fn(usize) -> (&'h [Holding], f64),
    ) {
        let p = &self.pools[pool as usize];
        let gpus = p.node_gpus(node);
        t.keeping = None;
        t.replicas = self.replicas_open(pool, node, need).map(|(n, open)| {
            let mut r = t.replicas.take().unwrap_or_default();
            r.held.clear();
            r.held.resize(pods, 0);
            (r.n, r.open) = (n, open);
            for &v in victims {
                r.held[v] = units_on(holdings(v).0, &gpus);
                r.open += r.held[v];
            }
            r
        });
        if t.replicas.is_some() {
            return;
        }
        let n = gpus.len();
        t.first_gpu = gpus.start;
        t.gone.clear();
        t.gone.resize(pods, false);
        t.gpus_of.clear();
        t.gpus_of.resize(pods, 0..0);
        t.pod_gpus.clear();
        t.saved.clear();
        // Count each GPU's holdings, then lay them out GPU by GPU in the victims' order.
        t.starts.clear();
        t.starts.resize(n + 1, 0);
        for &v in victims {
            t.gone[v] = true;
            let from = t.pod_gpus.len();
            for h in holdings(v).0.iter().filter(|h| gpus.contains(&h.gpu)) {
                let i = h.gpu - gpus.start;
                t.starts[i as usize + 1] += 1;
                if !t.pod_gpus[from..].contains(&i) {
                    t.pod_gpus.push(i);
                }
            }
            t.gpus_of[v] = from..t.pod_gpus.len();
        }
        for i in 0..n {
            t.starts[i + 1] += t.starts[i];
        }
        let blank = Entry {
            pod: 0,
            units: 0,
            instance: NO_INSTANCE,
            mem: 0.0,
        };
        t.entries.clear();
        t.entries.resize(t.starts[n], blank);
        t.next.clear();
        t.next.extend_from_slice(&t.starts[..n]);
        for &v in victims {
            let (held, mem) = holdings(v);
            for h in held.iter().filter(|h| gpus.contains(&h.gpu)) {
                let i = (h.gpu - gpus.start) as usize;
                t.entries[t.next[i]] = Entry {
                    pod: v,
                    units: h.units,
                    instance: h.instance,
                    mem: mem_of(&p.kind, h, mem, self.context_mem_gib),
                };
                t.next[i] += 1;
            }
        }
        t.used.clear();
        t.mem_used.clear();
        t.freed.clear();
        for i in 0..n {
            let (used, mem, freed) = self.gpu_without(t, i, None);
            t.used.push(used);
            t.mem_used.push(mem);
            t.freed.push(freed);
        }
    }

    /// [`Cluster::fits_without`]'s answer where replicas add up ([`Replicas`]), else None.
    pub fn replicas_fit_without<'h>(
        &self,
        pool: u32,
        node: u32,
        need: &Need,
        gone: impl Iterator<Item = &'h [Holding]>,
    ) -> Option<bool> {
        let (n, mut open) = self.replicas_open(pool, node, need)?;
        let gpus = self.pools[pool as usize].node_gpus(node);
        for held in gone {
            open += units_on(held, &gpus);
        }
        Some(open >= n)
    }

    /// For a need in replicas on a time-sliced or MPS node with no GPU over its replicas: the
    /// replicas needed and those open now ([`Replicas`]).
    fn replicas_open(&self, pool: u32, node: u32, need: &Need) -> Option<(u64, u64)> {
        let p = &self.pools[pool as usize];
        let (
            Need::Replicas { n },
            PoolKind::TimeSlicing { replicas, .. } | PoolKind::Mps { replicas },
        ) = (need, &p.kind)
        else {
            return None;
        };
        let mut open = 0u64;
        for g in p.node_gpus(node) {
            let used = self.gpus[g as usize].used;
            if used > *replicas {
                return None;
            }
            open += u64::from(replicas - used);
        }
        Some((u64::from(*n), open))
    }

    /// GPU `i` of the trials' node with the tentative victims but `keep` gone.
    fn gpu_without(&self, t: &NodeTrials, i: usize, keep: Option<usize>) -> (u32, f64, u128) {
        let s = &self.gpus[t.first_gpu as usize + i];
        let (mut used, mut mem, mut freed) = (s.used, s.mem_used, 0u128);
        for e in &t.entries[t.starts[i]..t.starts[i + 1]] {
            if !t.gone[e.pod] || Some(e.pod) == keep {
                continue;
            }
            // As `release` does it.
            used -= e.units;
            mem = mem_released(mem, e.mem);
            if e.instance != NO_INSTANCE {
                freed |= 1u128 << e.instance;
            }
        }
        (used, mem, freed)
    }

    /// Would `need` fit on the trials' node if tentative victim `keep` stayed? The node's
    /// counts are left as if it stayed until [`NodeTrials::settle`] says whether it does.
    pub fn trial_keeping(
        &self,
        t: &mut NodeTrials,
        (pool, node): (u32, u32),
        need: &Need,
        keep: usize,
    ) -> bool {
        debug_assert!(t.keeping.is_none());
        t.keeping = Some(keep);
        if let Some(r) = &t.replicas {
            return r.open - r.held[keep] >= r.n;
        }
        t.saved.clear();
        for k in t.gpus_of[keep].clone() {
            let i = t.pod_gpus[k] as usize;
            t.saved.push((i, t.used[i], t.mem_used[i], t.freed[i]));
            let (used, mem, freed) = self.gpu_without(t, i, Some(keep));
            (t.used[i], t.mem_used[i], t.freed[i]) = (used, mem, freed);
        }
        fits_on(
            &View { cluster: self, t },
            &self.pools[pool as usize],
            node,
            need,
        )
    }
}

impl NodeTrials {
    /// Ends the trial of [`Cluster::trial_keeping`]: `kept` says whether the pod stays (is
    /// no longer a tentative victim); if not, the node's counts go back.
    pub fn settle(&mut self, kept: bool) {
        let Some(keep) = self.keeping.take() else {
            return;
        };
        if let Some(r) = &mut self.replicas {
            if kept {
                r.open -= r.held[keep];
            }
            return;
        }
        if kept {
            self.gone[keep] = false;
        } else {
            for &(i, used, mem, freed) in &self.saved {
                (self.used[i], self.mem_used[i], self.freed[i]) = (used, mem, freed);
            }
        }
        self.saved.clear();
    }
}

/// Devices (replicas) `held` holds on the GPUs `gpus` of one node.
fn units_on(held: &[Holding], gpus: &Range<u32>) -> u64 {
    let on_node = held.iter().filter(|h| gpus.contains(&h.gpu));
    on_node.map(|h| u64::from(h.units)).sum()
}

/// The trials' node as fitting reads it.
struct View<'a> {
    cluster: &'a Cluster,
    t: &'a NodeTrials,
}

impl GpuStates for View<'_> {
    #[inline]
    fn used(&self, g: u32) -> u32 {
        self.t.used[(g - self.t.first_gpu) as usize]
    }
    #[inline]
    fn mem_used(&self, g: u32) -> f64 {
        self.t.mem_used[(g - self.t.first_gpu) as usize]
    }
    #[inline]
    fn instance_free(&self, g: u32, instance: usize) -> bool {
        self.t.freed[(g - self.t.first_gpu) as usize] & (1u128 << instance) != 0
            || self.cluster.instance_free(g, instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::fit_count::tests::{cluster, needs};
    use proptest::prelude::*;

    proptest! {
        /// After random placements and releases, on a random node: random victims in a random
        /// order, then random trials, each kept or not at random. Every trial's answer is the
        /// from-scratch `fits_without`'s, and the counts it leaves are bit for bit those of a
        /// copy of the cluster that released the victims but the kept pod, in order.
        #[test]
        fn trials_agree_with_releasing(
            steps in prop::collection::vec((0u32..3, 0usize..3, any::<bool>(), 1u8..40), 1..60),
            pool in 0u32..7,
            victim_mask in any::<u64>(),
            order_seed in any::<u64>(),
            need in 0usize..3,
            trials in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..12),
        ) {
            let mut c = cluster();
            let mut held: Vec<(u32, u32, Vec<Holding>, f64)> = Vec::new();
            for (job, (node, need, release, mem)) in steps.into_iter().enumerate() {
                if release && !held.is_empty() {
                    let (j, _, h, m) = held.remove(job % held.len());
                    c.release(j, &h, m);
                    continue;
                }
                let ns = needs(pool);
                if let Some(h) = c.fit_on_node(pool, node, &ns[need % ns.len()]) {
                    // Memory with inexact binary fractions, so that the order of subtractions shows.
                    let m = f64::from(mem) / 3.0 + 0.1;
                    c.commit(job as u32, &h, m);
                    held.push((job as u32, node, h, m));
                }
            }
            let node = 1;
            let pods: Vec<usize> = (0..held.len()).filter(|&i| held[i].1 == node).collect();
            // Victims: some of the node's pods, in an order given by the seed.
            let mut victims: Vec<usize> = (0..pods.len())
                .filter(|&k| victim_mask & (1 << (k % 64)) != 0)
                .collect();
            victims.sort_by_key(|&k| (order_seed.rotate_left(k as u32 * 7) & 0xff, k));
            let holdings = |k: usize| (held[pods[k]].2.as_slice(), held[pods[k]].3);
            let ns = needs(pool);
            let need = &ns[need % ns.len()];
            let gone: Vec<(&[Holding], f64)> = victims.iter().map(|&k| holdings(k)).collect();
            if let Some(fits) = c.replicas_fit_without(pool, node, need, gone.iter().map(|g| g.0)) {
                prop_assert_eq!(fits, c.fits_without(pool, node, need, &gone));
            }
            let mut t = NodeTrials::default();
            c.trials_begin(&mut t, (pool, node), need, pods.len(), &victims, holdings);
            for (pick, keep_it) in trials {
                if victims.is_empty() {
                    break;
                }
                let keep = victims[pick.index(victims.len())];
                let without: Vec<usize> = victims.iter().copied().filter(|&v| v != keep).collect();
                let gone: Vec<(&[Holding], f64)> = without.iter().map(|&k| holdings(k)).collect();
                let want = c.fits_without(pool, node, need, &gone);
                prop_assert_eq!(c.trial_keeping(&mut t, (pool, node), need, keep), want);
                let mut after = c.clone();
                for &k in &without {
                    after.release(held[pods[k]].0, &held[pods[k]].2, held[pods[k]].3);
                }
                // Counting replicas keeps no GPU counts.
                let gpus = match t.replicas {
                    Some(_) => 0..0,
                    None => c.pools[pool as usize].node_gpus(node),
                };
                for (i, g) in gpus.enumerate() {
                    let s = &after.gpus[g as usize];
                    prop_assert_eq!(t.used[i], s.used);
                    prop_assert_eq!(t.mem_used[i].to_bits(), s.mem_used.to_bits());
                }
                t.settle(keep_it);
                if keep_it {
                    victims.retain(|&v| v != keep);
                }
            }
        }
    }
}
