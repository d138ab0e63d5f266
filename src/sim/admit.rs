//! Arrivals: reading the trace, admission against namespace quotas, request shapes, queues.

use super::job::{Job, Phase};
use super::setup::future_pools;
use super::{Class, Event, Shape, ShapeKey, Simulation};
use crate::metrics::{JobRecord, JobState};
use crate::scenario::schema::{JobKind, QuotaAdmission};
use crate::sched::quota::Admission;
use crate::sched::{QueueKey, fit_shape};
use crate::trace::{RequestSpec, TraceJob};
use crate::units::SimTime;

impl Simulation<'_> {
    /// Reads the next trace job and schedules its arrival (or accounts for everything at or
    /// after the horizon).
    pub(super) fn pull_next(&mut self) -> Result<(), String> {
        match self.source.next() {
            None => self.next_job = None,
            Some(r) => {
                let tj = r?;
                if tj.submit < self.last_submit {
                    return Err(format!(
                        "job {}: submit time {} ms is before the previous job's {} ms; jobs must come in submit order",
                        tj.id, tj.submit, self.last_submit
                    ));
                }
                self.last_submit = tj.submit;
                if tj.submit >= self.world.horizon {
                    self.record_after_horizon(tj)?;
                    while let Some(r) = self.source.next() {
                        self.record_after_horizon(r?)?;
                    }
                    self.next_job = None;
                } else {
                    self.q.schedule(tj.submit, Event::Arrival);
                    self.next_job = Some(tj);
                }
            }
        }
        Ok(())
    }

    fn record_after_horizon(&mut self, tj: TraceJob) -> Result<(), String> {
        let (class, c) = self.class_of(&tj)?;
        let rec = JobRecord {
            id: tj.id,
            class: c.name.clone(),
            namespace: tj.namespace.clone().unwrap_or_else(|| c.namespace.clone()),
            priority: self.priority_of(&tj, c)?.0,
            request: tj.request.as_ref().unwrap_or(&c.request).to_string(),
            state: JobState::AfterHorizon,
            submit_s: tj.submit as f64 / 1000.0,
            start_s: None,
            end_s: tj.submit as f64 / 1000.0,
            pool: String::new(),
            gpus: String::new(),
            wait_s: None,
            slowdown: None,
            work_s: tj.duration as f64 / 1000.0,
            useful_s: 0.0,
            lost_s: 0.0,
            failures: 0,
            ooms: 0,
            preemptions: 0,
            evictions: 0,
            cost_usd: 0.0,
            reason: "submitted at or after the horizon".into(),
        };
        self.classes[class as usize].count(JobState::AfterHorizon);
        *self.states.entry(JobState::AfterHorizon).or_default() += 1;
        self.emit(&rec)
    }

    fn class_of(&self, tj: &TraceJob) -> Result<(u32, &Class), String> {
        let ix = *self
            .world
            .class_ix
            .get(&tj.class)
            .ok_or_else(|| format!("job {}: unknown workload class `{}`", tj.id, tj.class))?;
        Ok((ix, &self.world.classes[ix as usize]))
    }

    /// Priority value and whether it may preempt.
    fn priority_of(&self, tj: &TraceJob, c: &Class) -> Result<(i32, bool), String> {
        match &tj.priority_class {
            None => Ok((c.priority, c.can_preempt)),
            Some(p) => self
                .world
                .priorities
                .get(p)
                .copied()
                .ok_or_else(|| format!("job {}: unknown priority class `{p}`", tj.id)),
        }
    }

    pub(super) fn on_arrival(&mut self, now: SimTime) -> Result<(), String> {
        let Some(tj) = self.next_job.take() else {
            return Ok(());
        };
        self.admit(tj, now)?;
        self.pull_next()
    }

    fn admit(&mut self, mut tj: TraceJob, now: SimTime) -> Result<(), String> {
        let load = std::mem::take(&mut tj.load);
        let gpu_models = std::mem::take(&mut tj.gpu_models);
        let (class_ix, c) = self.class_of(&tj)?;
        let (priority, can_preempt) = self.priority_of(&tj, c)?;
        let request = tj.request.clone().unwrap_or_else(|| c.request.clone());
        let mem = tj.mem_gib.unwrap_or(c.mem_gib);
        let mut job = Job {
            id: tj.id,
            submit: tj.submit,
            class: class_ix,
            shape: 0,
            namespace: tj.namespace.clone().unwrap_or_else(|| c.namespace.clone()),
            priority,
            can_preempt,
            quota_key: request.quota_resource(),
            quota_n: request.count(),
            admitted: false,
            quota_blocked_since: None,
            quota_refusals: 0,
            pending_since: now,
            pending_stamp: 0,
            home: None,
            nominated_until: 0,
            preemptions: 0,
            evictions: 0,
            preempted_now: false,
            batch: c.kind == JobKind::Batch,
            work: tj.duration as f64,
            devices: f64::from(request.count().max(1)),
            u: tj.u.unwrap_or(c.u),
            d: tj.d.unwrap_or(c.d),
            mem,
            checkpoint: tj.checkpoint.unwrap_or(c.checkpoint) as f64,
            phase: Phase::Admission,
            finish_gen: 0,
            attempt_gen: 0,
            done: 0.0,
            delivered: 0.0,
            lost: 0.0,
            speed: 0.0,
            last: now,
            s: 1.0,
            pool: 0,
            holdings: Vec::new(),
            rates: Vec::new(),
            cost_rate: 0.0,
            cost: 0.0,
            first_start: None,
            attempt_start: now,
            failures: 0,
            ooms: 0,
            placed_ever: false,
            last_placement: None,
            load,
            load_next: 0,
            load_gen: 0,
        };
        let shape = self.shape_for(class_ix, &request, mem, priority, can_preempt, gpu_models);
        job.shape = shape;
        self.shape_jobs[shape as usize] += 1;
        for i in 0..self.shapes[shape as usize].fit.pools.len() {
            let p = self.shapes[shape as usize].fit.pools[i].pool;
            self.typical_stale[p as usize] = true;
        }
        let slot = self.alloc_slot(job);
        if !self.job(slot).load.is_empty() {
            let stamp = self.next_stamp();
            self.job(slot).load_gen = stamp;
            self.on_load_step(slot, now);
        }
        let s = &self.shapes[shape as usize];
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
        match self.quotas.admit(&ns, &key, n) {
            Admission::Admitted => {
                let used = self.quotas.used(&ns, &key);
                if self.quotas.limit(&ns, &key).is_some() {
                    let st = self.namespaces.entry(ns.clone()).or_default();
                    let peak = st.peak_used.entry(key).or_default();
                    *peak = (*peak).max(used);
                }
                let since = {
                    let j = self.job(slot);
                    j.admitted = true;
                    j.quota_blocked_since.take()
                };
                if let Some(t) = since {
                    let st = self.namespaces.entry(ns).or_default();
                    st.quota_blocked_ms += (now - t) as f64;
                }
                self.enqueue(slot, now);
                Ok(())
            }
            Admission::Never { hard } => {
                let why = format!("requests {n} {key} but namespace {ns} has a quota of {hard}");
                self.retire(slot, JobState::Unschedulable, now, why)
            }
            Admission::Blocked => {
                let (first, refusals, key) = {
                    let j = self.job(slot);
                    let first = j.quota_blocked_since.is_none();
                    j.quota_blocked_since.get_or_insert(now);
                    j.quota_refusals += 1;
                    (
                        first,
                        j.quota_refusals,
                        QueueKey::new(j.priority, j.submit, j.id, slot),
                    )
                };
                let st = self.namespaces.entry(ns.clone()).or_default();
                st.quota_refusals += 1;
                if first {
                    st.quota_blocked_jobs += 1;
                }
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
                        self.quota_queues.entry(ns).or_default().insert(key);
                    }
                }
                Ok(())
            }
        }
    }

    /// A job of namespace `ns` left for good: return its quota and admit held jobs that fit.
    pub(super) fn release_quota(&mut self, ns: &str, key: &str, n: u32, now: SimTime) {
        self.quotas.release(ns, key, n);
        if self.world.quota_admission != QuotaAdmission::Queue {
            return;
        }
        let Some(queue) = self.quota_queues.get(ns) else {
            return;
        };
        // Best-effort FIFO: every held job that fits now is admitted, in queue order.
        let held: Vec<QueueKey> = queue.iter().copied().collect();
        for k in held {
            let (jkey, jn) = {
                let j = self.live(k.slot).expect("held job is live");
                (j.quota_key.clone(), j.quota_n)
            };
            let limit = self.quotas.limit(ns, &jkey).unwrap_or(u32::MAX);
            if self.quotas.used(ns, &jkey) + jn <= limit {
                self.quota_queues.get_mut(ns).expect("queue").remove(&k);
                self.job(k.slot).quota_refusals = 0;
                // Cannot be refused now; the Result only carries sink errors from retire.
                let _ = self.try_admit(k.slot, now);
            }
        }
    }

    pub(super) fn alloc_slot(&mut self, job: Job) -> u32 {
        match self.free_slots.pop() {
            Some(s) => {
                self.jobs[s as usize] = Some(job);
                s
            }
            None => {
                self.jobs.push(Some(job));
                (self.jobs.len() - 1) as u32
            }
        }
    }

    /// Jobs of one shape are interchangeable for the scheduler: same class, request, memory
    /// and priority (so a blocked shape never hides a job that could preempt).
    fn shape_for(
        &mut self,
        class: u32,
        request: &RequestSpec,
        mem: f64,
        priority: i32,
        can_preempt: bool,
        gpu_models: Vec<String>,
    ) -> u32 {
        // Names as the job gave them (for messages), one per model ignoring case.
        let mut models = gpu_models;
        models.sort_by_key(|m| m.to_lowercase());
        models.dedup_by_key(|m| m.to_lowercase());
        let key = ShapeKey {
            class,
            request: request.clone(),
            mem_mib: (mem * 1024.0).round() as u64,
            priority,
            can_preempt,
            models: models.iter().map(|m| m.to_lowercase()).collect(),
        };
        if let Some(&s) = self.shape_ix.get(&key) {
            return s;
        }
        let fit = self.fit_of(class, request, mem, &models);
        let fits_after_reconfiguration =
            fit.pools.is_empty() && self.fits_later(class, request, mem, &models);
        let ix = self.shapes.len() as u32;
        for fp in &fit.pools {
            self.shapes_by_pool[fp.pool as usize].push(ix);
        }
        self.shape_jobs.push(0);
        self.shapes.push(Shape {
            class,
            request: request.clone(),
            mem,
            models,
            fit,
            fits_after_reconfiguration,
        });
        self.shape_ix.insert(key, ix);
        ix
    }

    /// Where a shape can go on the cluster as it is configured now.
    pub(super) fn fit_of(
        &self,
        class: u32,
        request: &RequestSpec,
        mem: f64,
        models: &[String],
    ) -> crate::sched::ShapeFit {
        let c = &self.world.classes[class as usize];
        restrict_models(
            fit_shape(&self.cluster.pools, &c.pools, &c.pod(request, mem)),
            &self.cluster.pools,
            models,
        )
    }

    /// Would the request fit once a scenario reconfiguration still to come has happened? Such a
    /// pod stays pending (Kubernetes keeps it) instead of being reported unschedulable.
    pub(super) fn fits_later(
        &self,
        class: u32,
        request: &RequestSpec,
        mem: f64,
        models: &[String],
    ) -> bool {
        let now = self.q.now();
        let c = &self.world.classes[class as usize];
        let pod = c.pod(request, mem);
        let upcoming: Vec<_> = self
            .world
            .events
            .iter()
            .filter(|e| e.at().ms() > now)
            .cloned()
            .collect();
        let ix = |name: &str| self.world.pool_ix.get(name).copied();
        future_pools(&self.cluster.pools, &upcoming, ix).any(|pools| {
            let fit = fit_shape(&pools, &c.pools, &pod);
            !restrict_models(fit, &pools, models).pools.is_empty()
        })
    }

    /// First pool a shape would use: where its queue depth is reported.
    pub(super) fn home_pool(&self, shape: u32) -> Option<u32> {
        self.shapes[shape as usize]
            .fit
            .pools
            .first()
            .map(|fp| fp.pool)
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
        let home = self.home_pool(shape);
        self.job(slot).home = home;
        self.pending.push(shape, key);
        self.classes[class as usize].set_pending(now, 1);
        if let Some(p) = home {
            let ps = &mut self.pools[p as usize];
            ps.advance(now);
            ps.pending_now += 1;
        }
        self.schedule_fallback_tick(slot, now);
        // Joining a blocked shape means failing the same filter as its head: like any pod that
        // fails to schedule, it may preempt for itself right away.
        if self.pending.is_blocked(shape) {
            let allowed = self.allowed_pools(slot, now);
            self.try_preempt(slot, allowed, now);
        }
    }

    pub(super) fn dequeued(&mut self, slot: u32, now: SimTime) {
        let (home, class) = {
            let j = self.job(slot);
            (j.home.take(), j.class)
        };
        self.classes[class as usize].set_pending(now, -1);
        if let Some(p) = home {
            let ps = &mut self.pools[p as usize];
            ps.advance(now);
            ps.pending_now -= 1;
        }
    }
}

/// A job that names GPU models may use only pools of those models (compared ignoring case;
/// empty allows any). Ranks stay those of the class's list.
fn restrict_models(
    mut fit: crate::sched::ShapeFit,
    pools: &[crate::cluster::Pool],
    models: &[String],
) -> crate::sched::ShapeFit {
    if models.is_empty() {
        return fit;
    }
    let allowed = |p: u32| {
        let name = &pools[p as usize].model.name;
        models.iter().any(|m| m.eq_ignore_ascii_case(name))
    };
    for fp in fit.pools.iter().filter(|fp| !allowed(fp.pool)) {
        let pool = &pools[fp.pool as usize];
        fit.rejected.push(format!(
            "pool {}: GPU model {} is not one the job allows ({})",
            pool.name,
            pool.model.name,
            models.join("|")
        ));
    }
    fit.pools.retain(|fp| allowed(fp.pool));
    fit
}
