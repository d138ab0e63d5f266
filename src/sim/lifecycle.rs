//! A placed job's life: speeds when co-tenants change, progress, finishing, failing, eviction.

use super::job::Phase;
use super::speed::{advance, recompute_gpu};
use super::{Event, Simulation};
use crate::metrics::JobState;
use crate::units::SimTime;

impl Simulation<'_> {
    /// Recomputes speeds on `gpus` and reschedules completions of jobs whose speed changed.
    /// `fresh` is a job just placed (its completion must be scheduled even if its speed is 0).
    pub(super) fn refresh_gpus(&mut self, gpus: &[u32], now: SimTime, fresh: Option<u32>) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        for &g in gpus {
            let new = recompute_gpu(
                &self.cluster,
                g,
                &mut self.jobs,
                &self.world.perf,
                self.world.mig_share,
                &mut self.scratch,
                |slot| touched.push(slot),
            );
            let pool = self.cluster.gpus[g as usize].pool as usize;
            let old = std::mem::replace(&mut self.gauges[g as usize], new);
            let ps = &mut self.pools[pool];
            ps.advance(now);
            ps.alloc_now += new.alloc - old.alloc;
            ps.busy_now += new.busy - old.busy;
            ps.sm_now += new.sm - old.sm;
        }
        touched.sort_unstable();
        touched.dedup();
        for &slot in &touched {
            let (new_speed, old_speed) = {
                let job = self.live(slot).expect("live");
                let new = job.rates.iter().copied().fold(f64::INFINITY, f64::min);
                (new, job.speed)
            };
            if new_speed == old_speed && fresh != Some(slot) {
                continue;
            }
            self.progress(slot, now);
            let stamp = self.next_stamp();
            let job = self.job(slot);
            job.speed = new_speed;
            if job.batch {
                job.finish_gen = stamp;
                let left = (job.work - job.done).max(0.0);
                if new_speed > 0.0 {
                    // The tolerance keeps float noise (300000.00000000006) from adding a ms.
                    let at = now + (left / new_speed - 1e-6).ceil().max(0.0) as SimTime;
                    self.q.schedule(at, Event::Finish { slot, stamp });
                }
            }
        }
        self.touched = touched;
    }

    /// Applies the job's due load steps (its new duty cycle), re-rates its GPUs if it is
    /// placed, and schedules the next step.
    pub(super) fn on_load_step(&mut self, slot: u32, now: SimTime) {
        let (next_at, stamp) = {
            let job = self.job(slot);
            let submit = job.submit;
            // Every step already due applies now (at admission, the steps at offset 0).
            while let Some(step) = job.load.get(job.load_next)
                && submit + step.at <= now
            {
                job.u = step.u;
                job.load_next += 1;
            }
            (
                job.load.get(job.load_next).map(|s| submit + s.at),
                job.load_gen,
            )
        };
        if let Some(at) = next_at {
            self.q.schedule(at, Event::Load { slot, stamp });
        }
        let job = self.live(slot).expect("live");
        if job.is_placed() {
            let gpus: Vec<u32> = job.holdings.iter().map(|h| h.gpu).collect();
            self.refresh_gpus(&gpus, now, None);
        }
    }

    /// Brings a placed job's progress and its pool/class accumulators up to `now`.
    pub(super) fn progress(&mut self, slot: u32, now: SimTime) {
        let (pool, class, delivered, below, svc) = {
            let job = self.jobs[slot as usize].as_mut().expect("live");
            let dt = now.saturating_sub(job.last) as f64;
            let placed = matches!(job.phase, Phase::Running | Phase::Terminating);
            let target = self.world.classes[job.class as usize].speed_target;
            let below = match target {
                Some(t) if !job.batch && placed && job.speed < t => dt,
                _ => 0.0,
            };
            let svc = if !job.batch && placed { dt } else { 0.0 };
            let delivered = advance(job, now);
            (job.pool, job.class, delivered, below, svc)
        };
        self.pools[pool as usize].useful_ms += delivered;
        let cs = &mut self.classes[class as usize];
        cs.useful_ms += delivered;
        cs.below_target_ms += below;
        cs.service_run_ms += svc;
    }

    /// Takes a placed job off its GPUs, charging its cost; shapes that can use the pool are
    /// tried again.
    pub(super) fn unplace(&mut self, slot: u32, now: SimTime) {
        self.progress(slot, now);
        let (pool, class, priority, holdings, mem, cost) = {
            let job = self.job(slot);
            let cost = job.cost_rate * (now - job.attempt_start) as f64;
            job.cost += cost;
            job.speed = 0.0;
            (
                job.pool,
                job.class,
                job.priority,
                std::mem::take(&mut job.holdings),
                job.mem,
                cost,
            )
        };
        self.job_cost[pool as usize] += cost;
        let cs = &mut self.classes[class as usize];
        cs.cost += cost;
        cs.set_running(now, -1);
        self.cluster.release(slot, &holdings, mem);
        let prios = &mut self.pool_prios[pool as usize];
        if let Some(n) = prios.get_mut(&priority) {
            *n -= 1;
            if *n == 0 {
                prios.remove(&priority);
            }
        }
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.running_now -= 1;
        let gpus: Vec<u32> = holdings.iter().map(|h| h.gpu).collect();
        // Kept for the job's record (where it last ran).
        self.job(slot).holdings = holdings;
        self.refresh_gpus(&gpus, now, None);
        self.pool_changed(pool);
    }

    /// Capacity of `pool` changed: every shape that can use it is tried again.
    pub(super) fn pool_changed(&mut self, pool: u32) {
        for i in 0..self.shapes_by_pool[pool as usize].len() {
            let s = self.shapes_by_pool[pool as usize][i];
            self.pending.mark_dirty(s);
        }
    }

    pub(super) fn on_finish(&mut self, slot: u32, now: SimTime) -> Result<(), String> {
        self.unplace(slot, now);
        let job = self.job(slot);
        job.done = job.work;
        let pool = job.pool;
        self.pools[pool as usize].completed += 1;
        self.retire(slot, JobState::Completed, now, String::new())
    }

    /// Work since the last checkpoint is lost (batch jobs); returns reference GPU-ms lost.
    fn lose_work(&mut self, slot: u32) -> f64 {
        let (pool, class, lost) = {
            let job = self.job(slot);
            if !job.batch {
                return 0.0;
            }
            let saved = if job.checkpoint > 0.0 {
                (job.done / job.checkpoint).floor() * job.checkpoint
            } else {
                0.0
            };
            let lost = (job.done - saved) * job.devices;
            job.done = saved;
            job.lost += lost;
            (job.pool, job.class, lost)
        };
        let ps = &mut self.pools[pool as usize];
        ps.useful_ms -= lost;
        ps.lost_ms += lost;
        let cs = &mut self.classes[class as usize];
        cs.useful_ms -= lost;
        cs.lost_ms += lost;
        lost
    }

    pub(super) fn on_fail(&mut self, slot: u32, now: SimTime, why: &str) -> Result<(), String> {
        self.unplace(slot, now);
        self.lose_work(slot);
        let limit = self.world.params.backoff_limit;
        let (pool, class, failures) = {
            let job = self.job(slot);
            job.failures += 1;
            job.ooms += 1;
            (job.pool, job.class, job.failures)
        };
        self.pools[pool as usize].ooms += 1;
        let cs = &mut self.classes[class as usize];
        cs.ooms += 1;
        cs.failures += 1;
        if failures > limit {
            let why = format!("{why}; gave up after {failures} failures");
            return self.retire(slot, JobState::Failed, now, why);
        }
        let p = &self.world.params;
        let backoff = p
            .restart_backoff
            .ms()
            .saturating_mul(1u64 << (failures - 1).min(30))
            .min(p.restart_backoff_max.ms());
        self.backoff(slot, now + backoff);
        Ok(())
    }

    /// Puts a job aside until `until`, when it becomes pending again. Where it ran is written
    /// down now: a reconfiguration before its record would change what its devices mean.
    fn backoff(&mut self, slot: u32, until: SimTime) {
        let text = self
            .live(slot)
            .expect("live")
            .placement_text(&self.cluster);
        self.job(slot).last_placement = Some(text);
        let stamp = self.next_stamp();
        let job = self.job(slot);
        job.phase = Phase::Backoff;
        job.attempt_gen = stamp;
        self.q.schedule(until, Event::Retry { slot, stamp });
    }

    /// Starts a graceful eviction: the pod keeps its devices (and runs) for the grace period.
    /// Returns false if the job was not running.
    pub(super) fn evict(&mut self, slot: u32, now: SimTime, preempted: bool) -> bool {
        let Some(job) = self.live(slot) else {
            return false;
        };
        if job.phase != Phase::Running {
            return false;
        }
        let (pool, class) = (job.pool, job.class);
        let grace = self.world.params.termination_grace.ms();
        let stamp = {
            let job = self.job(slot);
            job.phase = Phase::Terminating;
            job.preempted_now = preempted;
            if preempted {
                job.preemptions += 1;
            } else {
                job.evictions += 1;
            }
            job.attempt_gen
        };
        let (ps, cs) = (
            &mut self.pools[pool as usize],
            &mut self.classes[class as usize],
        );
        if preempted {
            ps.preemptions += 1;
            cs.preemptions += 1;
        } else {
            ps.evictions += 1;
            cs.evictions += 1;
        }
        self.q
            .schedule(now + grace, Event::Terminated { slot, stamp });
        true
    }

    /// The grace period is over: the pod is gone; the job restarts after `restart_delay`.
    pub(super) fn on_terminated(&mut self, slot: u32, now: SimTime) {
        self.unplace(slot, now);
        let lost = self.lose_work(slot);
        let (class, preempted) = {
            let j = self.live(slot).expect("live");
            (j.class, j.preempted_now)
        };
        if preempted {
            self.classes[class as usize].preemption_lost_ms += lost;
        }
        let delay = self.world.params.restart_delay.ms();
        self.backoff(slot, now + delay);
    }

    /// Writes the job's record, returns its quota and frees its slot.
    pub(super) fn retire(
        &mut self,
        slot: u32,
        state: JobState,
        now: SimTime,
        reason: String,
    ) -> Result<(), String> {
        // The record is built in place; moving the (large) job out first costs more than it.
        let job = self.live(slot).expect("live");
        let shape = &self.shapes[job.shape as usize];
        let class = &self.world.classes[shape.class as usize];
        let rec = job.record(
            &class.name,
            shape.request.to_string(),
            state,
            now,
            &self.cluster,
            reason.clone(),
        );
        let class_ix = job.class;
        let quota = (job.admitted && state != JobState::Running && state != JobState::Pending)
            .then(|| (job.namespace.clone(), job.quota_key.clone(), job.quota_n));
        self.jobs[slot as usize] = None;
        self.free_slots.push(slot);
        if let Some((ns, key, n)) = quota {
            self.release_quota(&ns, &key, n, now);
        }
        let cs = &mut self.classes[class_ix as usize];
        cs.count(state);
        if state == JobState::Unschedulable {
            *cs.unschedulable.entry(reason).or_default() += 1;
        }
        *self.states.entry(state).or_default() += 1;
        self.emit(&rec)
    }
}
