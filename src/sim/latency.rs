//! How the GPU serves a service instance's requests right now: the input of the latency model
//! (perf::latency), taken from the instance's first device and its co-tenants. Kept on a clock
//! of its own, so services with requests never change how any other figure is accumulated.

use super::Simulation;
use super::job::{LatencyState, Phase};
use crate::cluster::{MILLI, PoolKind};
use crate::perf::latency::Server;
use crate::perf::mps::{mps_server_speed, mps_sm_stretch};
use crate::units::SimTime;

impl Simulation<'_> {
    /// Records the requests served under the job's current conditions up to `now`.
    pub(super) fn latency_settle(&mut self, slot: u32, now: SimTime) {
        let job = self.jobs.get_mut(slot);
        let Some(st) = job.lat.as_mut() else { return };
        let Some(req) = &self.world.classes[job.class as usize].requests else {
            return;
        };
        let dt = now.saturating_sub(st.since) as f64;
        self.ledger
            .latency
            .served((job.class, job.pool), &st.server, req, st.load, dt);
        st.since = now;
    }

    /// After a re-rate of the job's GPUs: if how its requests are served changed, the stretch
    /// so far is recorded and a new one starts.
    pub(super) fn latency_update(&mut self, slot: u32, now: SimTime) {
        let Some(server) = self.latency_server(slot) else {
            return;
        };
        let job = self.live(slot).expect("live");
        let class = &self.world.classes[job.class as usize];
        // A request trace's load steps scale the duty cycle; the request rate follows.
        let load = if class.u > 0.0 { job.u / class.u } else { 1.0 };
        if job
            .lat
            .is_some_and(|st| st.server == server && st.load == load)
        {
            return;
        }
        self.latency_settle(slot, now);
        self.job(slot).lat = Some(LatencyState {
            server,
            load,
            since: now,
        });
    }

    /// The server of a placed service whose class has a request stream; None otherwise.
    pub(super) fn latency_server(&self, slot: u32) -> Option<Server> {
        let job = self.live(slot)?;
        self.world.classes[job.class as usize].requests?;
        if !matches!(job.phase, Phase::Running | Phase::Terminating) {
            return None;
        }
        let h = job.holdings.first()?;
        let gpu = &self.cluster.gpus[h.gpu as usize];
        let perf = &self.world.perf;
        Some(match &self.cluster.pools[gpu.pool as usize].kind {
            // A time-sliced MIG instance: round-robin slices among its contexts, each request
            // served at the instance's speed (the MIG equation with u = 1).
            PoolKind::Mig { instances, .. } if instances[h.instance as usize].replicas > 1 => {
                self.sliced_instance_server(job, gpu, instances, h.instance)
            }
            // A request's work is all kernel time: u = 1 in the MIG speed equation.
            PoolKind::Mig { instances, .. } => Server::Dedicated {
                speed: perf.mig_speed(
                    job.s,
                    1.0,
                    job.d,
                    instances[h.instance as usize].sm_fraction,
                ),
            },
            // Assumption: the share limit spreads the instance's kernels out evenly, a server
            // running at that fraction of the GPU.
            PoolKind::Fractional => Server::Dedicated {
                speed: job.s * (f64::from(h.units) / f64::from(MILLI)).min(1.0),
            },
            PoolKind::Exclusive => Server::Dedicated { speed: job.s },
            // Requests are all kernel time: the client's SM cap, and the bandwidth throttle
            // its rate has now (its rate over its SM-only rate).
            PoolKind::Mps { replicas } => {
                let sm_only = job.s / ((1.0 - job.u) + job.u * mps_sm_stretch(job.d, *replicas));
                let rate = job.rates.iter().copied().fold(f64::INFINITY, f64::min);
                let throttle = if sm_only > 0.0 && rate.is_finite() {
                    rate / sm_only
                } else {
                    1.0
                };
                Server::Dedicated {
                    speed: mps_server_speed(job.s, job.d, *replicas, throttle),
                }
            }
            PoolKind::TimeSlicing { .. } => {
                // Every replica held on the GPU is a context; the instance's requests use one,
                // the others (its own further replicas included) hold their turns with the
                // probability of their duty cycle, or always when the throughput model slows
                // them down (they get less GPU time than they demand, so they are backlogged).
                let (mut contexts, mut busy) = (0u32, 0.0);
                for t in &gpu.tenants {
                    // Rates, not `speed`: they are already new while speeds are being updated.
                    let u = self.live(t.job).map_or(1.0, |j| {
                        let x = j.rates.iter().copied().fold(f64::INFINITY, f64::min);
                        if x < j.s * (1.0 - 1e-9) {
                            1.0
                        } else {
                            j.u.min(1.0)
                        }
                    });
                    contexts += t.units;
                    busy += u * f64::from(t.units);
                }
                let others = contexts.saturating_sub(1);
                let own = job.u.min(1.0);
                Server::TimeSliced {
                    speed: job.s * (1.0 - perf.overhead(contexts as usize)),
                    slice_ms: perf.timeslice_ms,
                    others,
                    busy: if others == 0 {
                        0.0
                    } else {
                        ((busy - own) / f64::from(others)).clamp(0.0, 1.0)
                    },
                }
            }
        })
    }
}
