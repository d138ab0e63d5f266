//! The per-GPU and per-MIG-instance rows of a bucket (only when `Simulation::gpu_series`).

use super::Simulation;
use crate::cluster::PoolKind;
use crate::metrics::gpu_series::{GpuSample, Holder, InstanceSample};
use crate::perf;
use crate::units::SimTime;

impl Simulation<'_> {
    /// One row per present GPU and per MIG instance of it, for the bucket ending at `now`.
    pub(super) fn sample_gpus(&mut self, now: SimTime) {
        if !self.ledger.gpu_series_due(now) {
            return;
        }
        for g in 0..self.cluster.gpus.len() as u32 {
            // Integrals advance for every GPU, so a node that comes back starts afresh.
            let (busy, sm_activity) = self.ledger.close_gpu(g, now);
            let gs = &self.cluster.gpus[g as usize];
            let pool = &self.cluster.pools[gs.pool as usize];
            if gs.node >= pool.present {
                continue;
            }
            let holder = |slot: u32| {
                let j = self.jobs.get(slot).expect("a holder is a live job");
                Holder {
                    namespace: j.namespace.clone(),
                    job: j.id,
                }
            };
            let capacity = pool.model.memory_gib;
            let (fb_used_gib, holder_of_gpu) = match &pool.kind {
                PoolKind::Mig { instances, .. } => {
                    let mut used = 0.0;
                    for (i, inst) in instances.iter().enumerate() {
                        let slot = gs.instance_holder.get(i).copied().flatten();
                        let (busy, sm, mem) = match slot.and_then(|s| self.jobs.get(s)) {
                            Some(j) => {
                                let f = inst.sm_fraction;
                                let b = perf::mig_busy_bw(j.u, j.d, f, j.b, inst.mem_fraction());
                                (b, b * perf::mig_sm_fill(j.d, f), j.mem.min(inst.mem_gib))
                            }
                            None => (0.0, 0.0, 0.0),
                        };
                        used += mem;
                        self.ledger.instance_sampled(InstanceSample {
                            t_end: now,
                            gpu: g,
                            instance: i as u16,
                            profile: self.names.get(&inst.profile),
                            fb_total_gib: inst.mem_gib,
                            busy,
                            sm_activity: sm,
                            fb_used_gib: mem,
                            holder: slot.map(holder),
                        });
                    }
                    (used, None)
                }
                _ => {
                    let single = match gs.tenants.as_slice() {
                        [t] => Some(holder(t.job)),
                        _ => None,
                    };
                    (gs.mem_used, single)
                }
            };
            self.ledger.gpu_sampled(GpuSample {
                t_end: now,
                gpu: g,
                busy,
                sm_activity,
                fb_used_gib: fb_used_gib.min(capacity),
                holder: holder_of_gpu,
            });
        }
        self.ledger.class_waits_sampled(now);
    }
}
