//! A placed job's life: speeds when co-tenants change, progress, finishing, failing, eviction.

use super::gang::touch_nodes;
use super::job::Phase;
use super::ledger::{Exit, RecordText, blank_record, fill_record};
use super::speed::recompute_gpu;
use super::{Event, Simulation};
use crate::domain::CostAttribution;
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
            let pool = self.cluster.gpus[g as usize].pool;
            self.ledger.gpu_rerated(g, pool, new, now);
        }
        touched.sort_unstable();
        touched.dedup();
        if self.world.attribution == CostAttribution::Received {
            for &slot in &touched {
                self.recharge(slot, now);
            }
        }
        for &slot in &touched {
            let (new_speed, old_speed) = {
                let job = self.live(slot).expect("live");
                let new = job.rates.iter().copied().fold(f64::INFINITY, f64::min);
                (new, job.speed)
            };
            // A service's latency also changes with its co-tenants when its speed does not.
            self.latency_update(slot, now);
            if new_speed == old_speed && fresh != Some(slot) {
                continue;
            }
            self.progress(slot, now);
            let stamp = self.next_stamp();
            let end = self.world.horizon;
            let job = self.jobs.get_mut(slot);
            job.speed = new_speed;
            if job.batch {
                let left = (job.work - job.done).max(0.0);
                if new_speed > 0.0 {
                    // The tolerance keeps float noise (300000.00000000006) from adding a ms.
                    let at = now + (left / new_speed - 1e-6).ceil().max(0.0) as SimTime;
                    let finish = |stamp| Event::Finish { slot, stamp };
                    let current = job.finish_gen;
                    job.finish_gen =
                        (job.completion).reschedule(&mut self.q, current, stamp, at, end, finish);
                } else {
                    job.finish_gen = stamp;
                    job.completion.cancel(&mut self.q, end);
                }
            }
        }
        self.touched = touched;
    }

    /// `attribution: received`: settles the job's cost so far at its old rate and charges from
    /// now on for the GPU time its holdings get now.
    fn recharge(&mut self, slot: u32, now: SimTime) {
        let job = self.jobs.get_mut(slot);
        let rate = job.shares.iter().sum::<f64>() * job.price / 3_600_000.0;
        if rate != job.cost_rate {
            self.ledger.settle_cost(job, now);
            job.cost_rate = rate;
        }
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
        let job = self.jobs.get_mut(slot);
        let target = self.world.classes[job.class as usize].speed_target;
        self.ledger.job_progressed(job, target, now);
    }

    /// Takes a placed job off its GPUs, settling its cost; shapes that can use the pool are
    /// tried again.
    pub(super) fn unplace(&mut self, slot: u32, now: SimTime) {
        self.progress(slot, now);
        self.latency_settle(slot, now);
        let job = self.jobs.get_mut(slot);
        self.ledger.job_stopped(job, now);
        job.completion.cancel(&mut self.q, self.world.horizon);
        job.speed = 0.0;
        job.lat = None;
        let (pool, mem, holdings) = (job.pool, job.mem, std::mem::take(&mut job.holdings));
        self.cluster.release(slot, &holdings, mem);
        touch_nodes(&mut self.preempt_memo, &self.cluster, pool, slot, &holdings);
        self.free_host(slot, pool, &holdings);
        let mut gpus = std::mem::take(&mut self.left_gpus);
        gpus.clear();
        gpus.extend(holdings.iter().map(|h| h.gpu));
        // Kept for the job's record (where it last ran).
        self.job(slot).holdings = holdings;
        self.refresh_gpus(&gpus, now, None);
        self.left_gpus = gpus;
        self.pool_changed(pool);
    }

    /// Capacity of `pool` changed: every shape that can use it is tried again.
    pub(super) fn pool_changed(&mut self, pool: u32) {
        for &s in self.shapes.in_pool(pool) {
            self.admission.pending.mark_dirty(s);
        }
    }

    /// The completion entry of `slot`'s current generation `stamp` popped: whether the job
    /// completes now (false: its completion had moved later and is queued again).
    pub(super) fn finish_popped(&mut self, slot: u32, stamp: u64) -> bool {
        let job = self.jobs.get_mut(slot);
        (job.completion).popped(&mut self.q, stamp, |stamp| Event::Finish { slot, stamp })
    }

    pub(super) fn on_finish(&mut self, slot: u32, now: SimTime) -> Result<(), String> {
        self.unplace(slot, now);
        let job = self.job(slot);
        job.done = job.work;
        let pool = job.pool;
        self.ledger.job_completed(pool);
        self.retire(slot, JobState::Completed, now, String::new())
    }

    pub(super) fn on_fail(&mut self, slot: u32, now: SimTime, why: &str) -> Result<(), String> {
        self.unplace(slot, now);
        self.ledger.work_lost(self.jobs.get_mut(slot));
        let limit = self.world.params.backoff_limit;
        let failures = self.ledger.job_oom(self.jobs.get_mut(slot));
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
        let text = self.live(slot).expect("live").placement_text(&self.cluster);
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
        let Some(job) = self.jobs.get(slot) else {
            return false;
        };
        if job.phase != Phase::Running {
            return false;
        }
        let grace = self.world.params.termination_grace.ms();
        // No longer a possible victim: what preemption finds on its node changes.
        let pool = job.pool;
        touch_nodes(
            &mut self.preempt_memo,
            &self.cluster,
            pool,
            slot,
            &job.holdings,
        );
        if let (true, Some(node)) = (job.holdings.is_empty(), job.node) {
            // A pod without GPUs holds only CPU and memory on its node.
            self.preempt_memo.touched(pool, node);
        }
        let job = self.jobs.get_mut(slot);
        job.phase = Phase::Terminating;
        job.preempted_now = preempted;
        let stamp = job.attempt_gen;
        self.ledger.job_evicted(job, preempted);
        self.q
            .schedule(now + grace, Event::Terminated { slot, stamp });
        true
    }

    /// The grace period is over: the pod is gone; the job restarts after `restart_delay`.
    pub(super) fn on_terminated(&mut self, slot: u32, now: SimTime) {
        self.unplace(slot, now);
        let job = self.jobs.get_mut(slot);
        let lost = self.ledger.work_lost(job);
        self.optrack.terminated(slot, lost);
        if job.preempted_now {
            self.ledger.preemption_lost(job.class, lost);
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
        self.gang_left(slot, state);
        // The record is built in place; moving the (large) job out first costs more than it.
        // Written into the simulation's one record, whose strings keep their memory.
        let (shape_ix, pods) = self.live(slot).map(|j| (j.shape, j.pods)).expect("live");
        let shape = self.shapes.get(shape_ix);
        let class = &self.world.classes[shape.class as usize];
        let text = self.record_text.then(|| RecordText {
            class: &class.name,
            request: self.request_texts.get(shape_ix, &shape.request, pods),
            cluster: &self.cluster,
        });
        let job = self.jobs.get(slot).expect("live");
        let exit = Exit {
            state,
            at: now,
            reason,
        };
        let mut rec = std::mem::replace(&mut self.record, blank_record());
        fill_record(&mut rec, job, text, exit);
        let class_ix = job.class;
        // A job that never started waited at least until the horizon (right-censored).
        let censored = (job.first_start.is_none() && state != JobState::AfterHorizon).then(|| {
            let waited = self.world.horizon.saturating_sub(job.submit);
            (waited, self.shapes.home_pool(job.shape))
        });
        let submit = job.submit;
        let quota_back = job.admitted && state != JobState::Running && state != JobState::Pending;
        let quota = quota_back.then(|| (job.namespace.clone(), job.quota_key.clone(), job.quota_n));
        self.jobs.remove(slot);
        if let Some((waited, _)) = censored {
            self.optrack.waited(submit, waited, true);
        }
        if let Some((ns, key, n)) = quota {
            self.release_quota(&ns, &key, n, now);
        }
        let left = self.ledger.job_left(class_ix, &rec, censored);
        self.record = rec;
        left
    }
}
