//! Arrivals: reading the trace, admission against namespace quotas, the pending queues.

use super::job::{Job, Phase};
use super::ledger::{Exit, job_record};
use super::{Event, Simulation};
use crate::domain::QuotaAdmission;
use crate::metrics::JobState;
use crate::sched::QueueKey;
use crate::sched::quota::Admission as Verdict;
use crate::trace::TraceJob;
use crate::units::SimTime;
use crate::world::{Class, World};

impl Simulation<'_> {
    /// Reads the next trace job and schedules its arrival (or accounts for everything at or
    /// after the horizon).
    pub(super) fn pull_next(&mut self) -> Result<(), String> {
        let Some(tj) = self.arrivals.read()? else {
            return Ok(());
        };
        if tj.submit >= self.world.horizon {
            self.record_after_horizon(tj)?;
            while let Some(tj) = self.arrivals.read_rest()? {
                self.record_after_horizon(tj)?;
            }
        } else {
            self.q.schedule(tj.submit, Event::Arrival);
            self.arrivals.set_next(tj);
        }
        Ok(())
    }

    /// A job submitted at or after the horizon is only recorded (as any job, through its
    /// `Job`, so its record reads like the others).
    fn record_after_horizon(&mut self, mut tj: TraceJob) -> Result<(), String> {
        let (class_ix, c) = class_of(&self.world, &tj)?;
        let priority = priority_of(&self.world, &tj, c)?;
        let request = tj.request.clone().unwrap_or_else(|| c.request.clone());
        let submit = tj.submit;
        let job = Job::new(
            &mut tj,
            (class_ix, c),
            priority,
            &request,
            submit,
            &mut self.names,
        );
        let exit = Exit {
            state: JobState::AfterHorizon,
            at: submit,
            reason: "submitted at or after the horizon".into(),
        };
        let rec = job_record(&job, c, &request, &self.cluster, exit);
        self.ledger.job_left(class_ix, &rec, None)
    }

    pub(super) fn on_arrival(&mut self, now: SimTime) -> Result<(), String> {
        let Some(tj) = self.arrivals.take_next() else {
            return Ok(());
        };
        self.admit(tj, now)?;
        self.pull_next()
    }

    fn admit(&mut self, mut tj: TraceJob, now: SimTime) -> Result<(), String> {
        let gpu_models = std::mem::take(&mut tj.gpu_models);
        let (class_ix, c) = class_of(&self.world, &tj)?;
        let (priority, can_preempt) = priority_of(&self.world, &tj, c)?;
        let request = tj.request.clone().unwrap_or_else(|| c.request.clone());
        let mut job = Job::new(
            &mut tj,
            (class_ix, c),
            (priority, can_preempt),
            &request,
            now,
            &mut self.names,
        );
        let shape = self.shape_for(&job, &request, gpu_models);
        job.shape = shape;
        self.shapes.job_admitted(shape);
        let slot = self.jobs.insert(job);
        if !self.job(slot).load.is_empty() {
            let stamp = self.next_stamp();
            self.job(slot).load_gen = stamp;
            self.on_load_step(slot, now);
        }
        let s = self.shapes.get(shape);
        if let Some(reason) = s.fit.unschedulable_reason()
            && !s.fits_after_reconfiguration
        {
            return self.retire(slot, JobState::Unschedulable, now, reason);
        }
        self.try_admit(slot, now)
    }

    /// Asks the namespace's ResourceQuota; admitted jobs join the pending queue.
    pub(super) fn try_admit(&mut self, slot: u32, now: SimTime) -> Result<(), String> {
        let (ns, key, n) = {
            let j = self.live(slot).expect("live");
            (j.namespace.clone(), j.quota_key.clone(), j.quota_n)
        };
        match self.admission.ask(&ns, &key, n) {
            Verdict::Admitted => {
                let usage = self.admission.limited_usage(&ns, &key);
                let since = {
                    let j = self.job(slot);
                    j.admitted = true;
                    j.quota_blocked_since.take()
                };
                let blocked_ms = since.map(|t| (now - t) as f64);
                self.ledger.quota_admitted(&ns, &key, usage, blocked_ms);
                self.enqueue(slot, now);
                Ok(())
            }
            Verdict::Never { hard } => {
                let why = format!("requests {n} {key} but namespace {ns} has a quota of {hard}");
                self.retire(slot, JobState::Unschedulable, now, why)
            }
            Verdict::Blocked => {
                self.quota_blocked(slot, &ns, now);
                Ok(())
            }
        }
    }

    /// The quota refused the job: it is retried after a back-off (`reject`) or held until its
    /// namespace's usage drops (`queue`).
    fn quota_blocked(&mut self, slot: u32, ns: &str, now: SimTime) {
        let (first, refusals, key, held) = {
            let j = self.job(slot);
            let first = j.quota_blocked_since.is_none();
            j.quota_blocked_since.get_or_insert(now);
            j.quota_refusals += 1;
            let key = QueueKey::new(j.priority, j.submit, j.id, slot);
            let held = (j.namespace.clone(), j.quota_key.clone(), j.quota_n);
            (first, j.quota_refusals, key, held)
        };
        self.ledger.quota_refused(ns, first);
        match self.world.quota_admission {
            QuotaAdmission::Reject => {
                // The Job controller re-creates the pod after an exponential back-off.
                let p = &self.world.params;
                // At least 1 s, so a zero setting cannot retry forever at one instant.
                let delay = p
                    .quota_backoff
                    .ms()
                    .saturating_mul(1u64 << (refusals - 1).min(30))
                    .min(p.quota_backoff_max.ms())
                    .max(1000);
                let stamp = self.next_stamp();
                self.job(slot).attempt_gen = stamp;
                self.q
                    .schedule(now + delay, Event::AdmitRetry { slot, stamp });
            }
            QuotaAdmission::Queue => {
                let (ns, quota_key, n) = held;
                self.admission.hold(ns, quota_key, n, key);
            }
        }
    }

    /// A job of namespace `ns` left for good: return its quota and admit held jobs that fit.
    pub(super) fn release_quota(&mut self, ns: &str, key: &str, n: u32, now: SimTime) {
        self.admission.release(ns, key, n);
        if self.world.quota_admission != QuotaAdmission::Queue {
            return;
        }
        // Best-effort FIFO: every held job that fits now is admitted, in queue order. Only
        // jobs held for this key can fit now (`Admission::held`).
        while let Some((k, _)) = self.admission.take_fitting(ns, key) {
            self.job(k.slot).quota_refusals = 0;
            // Cannot be refused now; the Result only carries sink errors from retire.
            let _ = self.try_admit(k.slot, now);
        }
    }

    pub(super) fn enqueue(&mut self, slot: u32, now: SimTime) {
        let stamp = self.next_stamp();
        let job = self.job(slot);
        job.phase = Phase::Pending;
        job.last = now;
        job.pending_since = now;
        job.pending_stamp = stamp;
        let (shape, class, key) = (
            job.shape,
            job.class,
            QueueKey::new(job.priority, job.submit, job.id, slot),
        );
        let home = self.shapes.home_pool(shape);
        self.job(slot).home = home;
        self.admission.pending.push(shape, key);
        self.ledger.job_queued(class, home, now);
        self.schedule_fallback_tick(slot, now);
        // Joining a blocked shape means failing the same filter as its head: like any pod that
        // fails to schedule, it may preempt for itself right away.
        if self.admission.pending.is_blocked(shape) {
            let allowed = self.allowed_pools(slot, now);
            self.try_preempt(slot, allowed, now);
        }
    }

    pub(super) fn dequeued(&mut self, slot: u32, now: SimTime) {
        let (home, class) = {
            let j = self.job(slot);
            (j.home.take(), j.class)
        };
        self.ledger.job_dequeued(class, home, now);
    }
}

/// A trace job's workload class, by index.
pub(super) fn class_of<'w>(world: &'w World, tj: &TraceJob) -> Result<(u32, &'w Class), String> {
    let ix = *world
        .class_ix
        .get(&tj.class)
        .ok_or_else(|| format!("job {}: unknown workload class `{}`", tj.id, tj.class))?;
    Ok((ix, &world.classes[ix as usize]))
}

/// A trace job's priority value and whether it may preempt.
pub(super) fn priority_of(world: &World, tj: &TraceJob, c: &Class) -> Result<(i32, bool), String> {
    match &tj.priority_class {
        None => Ok((c.priority, c.can_preempt)),
        Some(p) => world
            .priorities
            .get(p)
            .copied()
            .ok_or_else(|| format!("job {}: unknown priority class `{p}`", tj.id)),
    }
}
