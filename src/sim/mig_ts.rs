//! Time-sliced MIG instances: the contexts sharing one instance share its memory with no
//! isolation, as on a time-sliced GPU (docs/MODEL.md, "Time-sliced MIG instances").

use super::Simulation;
use super::job::Job;
use super::jobs::JobTable;
use super::speed::GpuGauges;
use crate::cluster::share::{mig_compute_share, mig_instance_share};
use crate::cluster::{GpuState, Holding, MigInstance, NO_INSTANCE, PoolKind};
use crate::domain::MigShare;
use crate::perf::latency::Server;
use crate::perf::mig_ts::{InstanceContext, sliced_instance};
use crate::perf::{self, PerfParams};

/// Rates and gauges of one GPU of a MIG pool with time-sliced instances: the contexts of each
/// physical instance share its time (`perf::mig_ts`); instances do not affect each other.
pub(super) fn sliced_mig_gpu(
    gs: &GpuState,
    instances: &[MigInstance],
    jobs: &mut JobTable,
    params: &PerfParams,
    mig_share: MigShare,
    set_rate: &mut impl FnMut(&mut JobTable, u32, u16, f64, f64),
) -> GpuGauges {
    let mut gauges = GpuGauges::default();
    let group_of = |instance: u16| instances[usize::from(instance)].group;
    let mut groups: Vec<u16> = gs.tenants.iter().map(|t| group_of(t.instance)).collect();
    groups.sort_unstable();
    groups.dedup();
    let (mut contexts, mut rates) = (Vec::new(), Vec::new());
    for group in groups {
        let members: Vec<_> = gs
            .tenants
            .iter()
            .filter(|t| group_of(t.instance) == group)
            .copied()
            .collect();
        let inst = &instances[usize::from(group)];
        let (f, f_mem) = (inst.sm_fraction, inst.mem_fraction());
        contexts.clear();
        for t in &members {
            let job = jobs.get(t.job).expect("tenant is a live job");
            contexts.push(InstanceContext {
                s: job.s,
                u: job.u,
                d: job.d,
                b: job.b,
            });
        }
        sliced_instance(params, f, f_mem, &contexts, &mut rates);
        for ((t, c), r) in members.iter().zip(&contexts).zip(&rates) {
            gauges.busy += mig_compute_share(inst) * r.share;
            gauges.sm += f * r.share * perf::mig_sm_fill(c.d, f);
            let held = mig_instance_share(&instances[usize::from(t.instance)], mig_share);
            gauges.alloc += held;
            set_rate(jobs, t.job, t.instance, r.speed, held);
        }
    }
    gauges
}

impl Simulation<'_> {
    /// The latency server of a service in a time-sliced MIG instance: as on a time-sliced GPU
    /// (`Server::TimeSliced`), with the instance's contexts as the contexts and the instance's
    /// speed for a request; a neighbour has work at its turn with the probability of its
    /// kernels' share of the instance, or always when the throughput model slows it.
    pub(super) fn sliced_instance_server(
        &self,
        job: &Job,
        gpu: &GpuState,
        instances: &[MigInstance],
        instance: u16,
    ) -> Server {
        let perf = &self.world.perf;
        let inst = &instances[usize::from(instance)];
        let (f, f_mem) = (inst.sm_fraction, inst.mem_fraction());
        let busy_of = |j: &Job| {
            let alone = perf.mig_speed_bw(j.s, j.u, j.d, f, j.b, f_mem);
            let x = j.rates.iter().copied().fold(f64::INFINITY, f64::min);
            if x < alone * (1.0 - 1e-9) {
                1.0
            } else {
                perf::mig_busy_bw(j.u, j.d, f, j.b, f_mem)
            }
        };
        let (mut contexts, mut busy) = (0u32, 0.0);
        for t in gpu
            .tenants
            .iter()
            .filter(|t| instances[usize::from(t.instance)].group == inst.group)
        {
            contexts += 1;
            busy += self.live(t.job).map_or(1.0, busy_of);
        }
        let others = contexts.saturating_sub(1);
        let own = perf::mig_busy_bw(job.u, job.d, f, job.b, f_mem);
        Server::TimeSliced {
            speed: perf.mig_speed(job.s, 1.0, job.d, f) * (1.0 - perf.overhead(contexts as usize)),
            slice_ms: perf.timeslice_ms,
            others,
            busy: if others == 0 {
                0.0
            } else {
                ((busy - own) / f64::from(others)).clamp(0.0, 1.0)
            },
        }
    }

    /// Does a time-sliced MIG instance the newcomer was just placed in (its `holdings`) now
    /// hold more memory than it has? Each context claims `mem + context_mem_gib`, as a replica
    /// of a time-sliced GPU does; the newcomer is the one that dies.
    pub(super) fn instance_overcommitted(&self, pool: u32, holdings: &[Holding]) -> bool {
        let PoolKind::Mig { instances, .. } = &self.cluster.pools[pool as usize].kind else {
            return false;
        };
        let ctx = self.cluster.context_mem_gib;
        holdings.iter().any(|h| {
            let Some(inst) = instances.get(usize::from(h.instance)) else {
                return false;
            };
            if h.instance == NO_INSTANCE || inst.replicas <= 1 {
                return false;
            }
            let used: f64 = self.cluster.gpus[h.gpu as usize]
                .tenants
                .iter()
                .filter(|t| {
                    instances
                        .get(usize::from(t.instance))
                        .is_some_and(|i| i.group == inst.group)
                })
                .filter_map(|t| self.live(t.job))
                .map(|j| j.mem + ctx)
                .sum();
            used > inst.mem_gib + 1e-9
        })
    }
}
