//! Applies the performance model to one physical GPU: the rate of each holding on it and the
//! GPU's allocation, busy fraction and SM activity.

use super::job::Job;
use super::jobs::JobTable;
use crate::cluster::share::{holding_share, mig_compute_share};
use crate::cluster::{Cluster, MILLI, PoolKind};
use crate::domain::MigShare;
use crate::perf::mps::{MpsClient, MpsRate, mps_busy, mps_gpu};
use crate::perf::{self, ContextRate, PerfParams, SharedContext};
use crate::units::SimTime;

/// What one GPU contributes to its pool's gauges, in GPU units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GpuGauges {
    /// Share of the GPU that is allocated (priced share).
    pub alloc: f64,
    /// Fraction of time some kernel runs (what nvidia-smi shows).
    pub busy: f64,
    /// Fraction of SMs busy, time-averaged (DCGM SM_ACTIVE).
    pub sm: f64,
}

/// Scratch space reused across calls so the hot path does not allocate.
#[derive(Default)]
pub struct SpeedScratch {
    tenants: Vec<SharedContext>,
    rates: Vec<ContextRate>,
    mps_clients: Vec<MpsClient>,
    mps_rates: Vec<MpsRate>,
}

/// Computes each tenant's rate on GPU `g` (written into the jobs' `rates`) and the GPU's gauges.
/// `on_rate(job_slot)` is called for every tenant whose rate was set.
pub(super) fn recompute_gpu(
    cluster: &Cluster,
    g: u32,
    jobs: &mut JobTable,
    params: &PerfParams,
    mig_share: MigShare,
    scratch: &mut SpeedScratch,
    mut on_rate: impl FnMut(u32),
) -> GpuGauges {
    let gs = &cluster.gpus[g as usize];
    let pool = &cluster.pools[gs.pool as usize];
    let mut gauges = GpuGauges::default();
    // `share`: the part of this GPU the holding is charged for under `attribution: received`.
    let mut set_rate = |jobs: &mut JobTable, slot: u32, instance: u16, rate: f64, share: f64| {
        let job = jobs.get_mut(slot);
        for ((h, r), s) in job
            .holdings
            .iter()
            .zip(job.rates.iter_mut())
            .zip(job.shares.iter_mut())
        {
            if h.gpu == g && h.instance == instance {
                *r = rate;
                *s = share;
            }
        }
        on_rate(slot);
    };
    match &pool.kind {
        PoolKind::Mig { instances, .. } if instances.iter().any(|i| i.replicas > 1) => {
            gauges = super::mig_ts::sliced_mig_gpu(
                gs,
                instances,
                jobs,
                params,
                mig_share,
                &mut set_rate,
            );
        }
        PoolKind::Mig { instances, .. } => {
            for t in &gs.tenants {
                let job = jobs.get(t.job).expect("tenant is a live job");
                let inst = &instances[t.instance as usize];
                let f = inst.sm_fraction;
                let fm = inst.mem_fraction();
                let rate = params.mig_speed_bw(job.s, job.u, job.d, f, job.b, fm);
                let busy = perf::mig_busy_bw(job.u, job.d, f, job.b, fm);
                gauges.busy += mig_compute_share(inst) * busy;
                gauges.sm += f * busy * perf::mig_sm_fill(job.d, f);
                let held = holding_share(&pool.kind, 1, t.instance, mig_share);
                gauges.alloc += held;
                set_rate(jobs, t.job, t.instance, rate, held);
            }
        }
        PoolKind::Mps { replicas } => {
            // Every replica held is one MPS client (a pod holds one: requests for more fail).
            scratch.mps_clients.clear();
            for t in &gs.tenants {
                let job = jobs.get(t.job).expect("tenant is a live job");
                for _ in 0..t.units {
                    scratch.mps_clients.push(MpsClient {
                        s: job.s,
                        u: job.u,
                        d: job.d,
                        b: job.b,
                    });
                }
                gauges.alloc += holding_share(&pool.kind, t.units, t.instance, mig_share);
            }
            mps_gpu(*replicas, &scratch.mps_clients, &mut scratch.mps_rates);
            gauges.busy = mps_busy(scratch.mps_rates.iter().map(|r| r.kernel));
            gauges.sm = scratch.mps_rates.iter().map(|r| r.kernel * r.sm).sum();
            let mut k = 0;
            for t in &gs.tenants {
                let rate = scratch.mps_rates[k].speed;
                // A client holds its SM share outright: charged as held.
                let share = holding_share(&pool.kind, t.units, t.instance, mig_share);
                k += t.units as usize;
                set_rate(jobs, t.job, t.instance, rate, share);
            }
        }
        kind => {
            // Exclusive is the one-context case of time sharing (o(1) = 0, g = u, x = s).
            scratch.tenants.clear();
            for t in &gs.tenants {
                let job = jobs.get(t.job).expect("tenant is a live job");
                let (copies, cap) = match kind {
                    PoolKind::TimeSlicing { .. } => (t.units, 1.0),
                    PoolKind::Fractional => (1, f64::from(t.units) / f64::from(MILLI)),
                    _ => (1, 1.0),
                };
                for _ in 0..copies {
                    scratch.tenants.push(SharedContext {
                        s: job.s,
                        u: job.u,
                        d: job.d,
                        cap,
                    });
                }
                gauges.alloc += holding_share(kind, t.units, t.instance, mig_share);
            }
            perf::shared_gpu(params, &scratch.tenants, &mut scratch.rates);
            for (t, r) in scratch.tenants.iter().zip(&scratch.rates) {
                gauges.busy += r.share;
                gauges.sm += r.share * t.d.min(1.0);
            }
            let mut k = 0;
            for t in &gs.tenants {
                let copies = if matches!(kind, PoolKind::TimeSlicing { .. }) {
                    t.units
                } else {
                    1
                };
                let rate = scratch.rates[k].speed;
                // GPU time received: the contexts' shares; a whole GPU is held outright.
                let share = match kind {
                    PoolKind::TimeSlicing { .. } | PoolKind::Fractional => scratch.rates
                        [k..k + copies as usize]
                        .iter()
                        .map(|r| r.share)
                        .sum(),
                    _ => holding_share(kind, t.units, t.instance, mig_share),
                };
                k += copies as usize;
                set_rate(jobs, t.job, t.instance, rate, share);
            }
        }
    }
    gauges
}

/// Brings a job's progress up to `now` at its current speed. Returns the reference GPU-ms of
/// work delivered in the interval (speed x time x devices).
pub fn advance(job: &mut Job, now: SimTime) -> f64 {
    if now <= job.last {
        return 0.0;
    }
    let dt = (now - job.last) as f64;
    job.last = now;
    if !matches!(
        job.phase,
        super::job::Phase::Running | super::job::Phase::Terminating
    ) {
        return 0.0;
    }
    // A batch job's last interval ends on a rounded-up millisecond: count only the work that
    // was left, so a completed job has delivered exactly its work.
    let (progress, delivered) = if job.batch {
        let p = (job.speed * dt).min(job.work - job.done).max(0.0);
        (p, p * job.devices)
    } else {
        (dt, job.speed * dt * job.devices)
    };
    job.delivered += delivered;
    job.done = (job.done + progress).min(job.work);
    delivered
}
