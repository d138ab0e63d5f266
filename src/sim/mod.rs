//! The simulation: the event loop tying the engine, cluster, scheduler and performance model.

pub mod job;
pub mod setup;
pub mod speed;

pub use setup::{Class, World};

use crate::cluster::{Holding, PoolKind};
use crate::engine::EventQueue;
use crate::metrics::{ClassStats, JobRecord, JobState, PoolStats, Sample};
use crate::scenario::schema::JobKind;
use crate::sched::{
    PendingQueues, PlacementPolicy, PodSpec, QueueKey, ShapeFit, fit_shape, policy,
};
use crate::trace::{RequestSpec, TraceJob};
use crate::units::{SimTime, ms_to_hours};
use job::{Job, Phase};
use speed::{GpuGauges, SpeedScratch, advance, holding_share, recompute_gpu};
use std::collections::BTreeMap;

/// Events of the GPU-sharing model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// The next trace job is due.
    Arrival,
    /// A job's work (or run time) is done, if `stamp` is still current.
    Finish { slot: u32, stamp: u64 },
    /// A job that over-committed a time-sliced GPU's memory dies.
    Oom { slot: u32, stamp: u64 },
    /// A failed job's back-off is over.
    Retry { slot: u32, stamp: u64 },
    /// A service's load (duty cycle) moves to its next step.
    Load { slot: u32, stamp: u64 },
    /// Close a time-series bucket.
    Sample,
    /// The horizon.
    End,
}

/// Where jobs come from: a lazy stream in submit order.
pub type JobSource<'a> = Box<dyn Iterator<Item = Result<TraceJob, String>> + 'a>;
/// Where finished job records go (e.g. a CSV writer).
pub type RecordSink<'a> = &'a mut dyn FnMut(&JobRecord) -> Result<(), String>;

/// Totals of a finished run.
#[derive(Debug)]
pub struct RunResult {
    pub pools: Vec<PoolStats>,
    pub classes: Vec<ClassStats>,
    pub samples: Vec<Sample>,
    /// Jobs per final state.
    pub states: BTreeMap<JobState, u64>,
    /// Events popped from the queue (stale ones included).
    pub events: u64,
    pub end: SimTime,
    /// USD charged to jobs, per pool.
    pub job_cost: Vec<f64>,
}

/// Jobs with equal keys fit exactly the same places: (class, request, memory in MiB, allowed
/// GPU models in lower case).
type ShapeKey = (u32, RequestSpec, u64, Vec<String>);

struct Shape {
    class: u32,
    request: RequestSpec,
    fit: ShapeFit,
}

pub struct Simulation<'a> {
    pub world: World,
    q: EventQueue<Event>,
    jobs: Vec<Option<Job>>,
    free_slots: Vec<u32>,
    pending: PendingQueues,
    shapes: Vec<Shape>,
    shape_ix: BTreeMap<ShapeKey, u32>,
    shapes_by_pool: Vec<Vec<u32>>,
    gauges: Vec<GpuGauges>,
    pools: Vec<PoolStats>,
    classes: Vec<ClassStats>,
    samples: Vec<Sample>,
    last_sample: SimTime,
    source: JobSource<'a>,
    sink: RecordSink<'a>,
    next_job: Option<TraceJob>,
    last_submit: SimTime,
    states: BTreeMap<JobState, u64>,
    job_cost: Vec<f64>,
    policy: Box<dyn PlacementPolicy>,
    scratch: SpeedScratch,
    touched: Vec<u32>,
    next_gen: u64,
    /// Check cluster invariants after every event (tests).
    pub check_invariants: bool,
}

impl<'a> Simulation<'a> {
    pub fn new(world: World, source: JobSource<'a>, sink: RecordSink<'a>) -> Self {
        let npools = world.cluster.pools.len();
        let ngpus = world.cluster.gpus.len();
        let nclasses = world.classes.len();
        let policy = policy(world.policy);
        Simulation {
            world,
            q: EventQueue::new(),
            jobs: Vec::new(),
            free_slots: Vec::new(),
            pending: PendingQueues::default(),
            shapes: Vec::new(),
            shape_ix: BTreeMap::new(),
            shapes_by_pool: vec![Vec::new(); npools],
            gauges: vec![GpuGauges::default(); ngpus],
            pools: vec![PoolStats::default(); npools],
            classes: vec![ClassStats::default(); nclasses],
            samples: Vec::new(),
            last_sample: 0,
            source,
            sink,
            next_job: None,
            last_submit: 0,
            states: BTreeMap::new(),
            job_cost: vec![0.0; npools],
            policy,
            scratch: SpeedScratch::default(),
            touched: Vec::new(),
            next_gen: 0,
            check_invariants: false,
        }
    }

    fn next_stamp(&mut self) -> u64 {
        self.next_gen += 1;
        self.next_gen
    }

    /// Runs to the horizon.
    pub fn run(mut self) -> Result<RunResult, String> {
        let horizon = self.world.horizon;
        self.q.schedule(horizon, Event::End);
        let interval = self.world.report_interval;
        if interval < horizon {
            self.q.schedule(interval, Event::Sample);
        }
        self.pull_next()?;
        while let Some((now, ev)) = self.q.pop() {
            match ev {
                Event::Arrival => self.on_arrival(now)?,
                Event::Finish { slot, stamp } => {
                    if self
                        .live(slot)
                        .is_some_and(|j| j.finish_gen == stamp && j.phase == Phase::Running)
                    {
                        self.on_finish(slot, now)?;
                    }
                }
                Event::Oom { slot, stamp } => {
                    if self
                        .live(slot)
                        .is_some_and(|j| j.attempt_gen == stamp && j.phase == Phase::Running)
                    {
                        self.on_fail(slot, now, "OOM: time-sliced GPU memory over-committed")?;
                    }
                }
                Event::Retry { slot, stamp } => {
                    if self
                        .live(slot)
                        .is_some_and(|j| j.attempt_gen == stamp && j.phase == Phase::Backoff)
                    {
                        self.enqueue(slot, now);
                    }
                }
                Event::Load { slot, stamp } => {
                    if self.live(slot).is_some_and(|j| j.load_gen == stamp) {
                        self.on_load_step(slot, now);
                    }
                }
                Event::Sample => {
                    self.close_bucket(now);
                    if now + interval < horizon {
                        self.q.schedule(now + interval, Event::Sample);
                    }
                }
                Event::End => break,
            }
            self.schedule_pass(now);
            if self.check_invariants {
                self.assert_invariants();
            }
        }
        self.finish_run(horizon)
    }

    fn live(&self, slot: u32) -> Option<&Job> {
        self.jobs.get(slot as usize).and_then(Option::as_ref)
    }

    fn job(&mut self, slot: u32) -> &mut Job {
        self.jobs[slot as usize].as_mut().expect("live job slot")
    }

    /// Reads the next trace job and schedules its arrival (or accounts for everything at or
    /// after the horizon).
    fn pull_next(&mut self) -> Result<(), String> {
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
        let (class, _) = self.class_of(&tj)?;
        let c = &self.world.classes[class as usize];
        let rec = JobRecord {
            id: tj.id,
            class: c.name.clone(),
            namespace: tj.namespace.clone().unwrap_or_else(|| c.namespace.clone()),
            priority: self.priority_of(&tj, c)?,
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
            cost_usd: 0.0,
            reason: "submitted at or after the horizon".into(),
        };
        self.classes[class as usize].count(JobState::AfterHorizon);
        *self.states.entry(JobState::AfterHorizon).or_default() += 1;
        (self.sink)(&rec)
    }

    fn class_of(&self, tj: &TraceJob) -> Result<(u32, &Class), String> {
        let ix = *self
            .world
            .class_ix
            .get(&tj.class)
            .ok_or_else(|| format!("job {}: unknown workload class `{}`", tj.id, tj.class))?;
        Ok((ix, &self.world.classes[ix as usize]))
    }

    fn priority_of(&self, tj: &TraceJob, c: &Class) -> Result<i32, String> {
        match &tj.priority_class {
            None => Ok(c.priority),
            Some(p) => self
                .world
                .priorities
                .get(p)
                .copied()
                .ok_or_else(|| format!("job {}: unknown priority class `{p}`", tj.id)),
        }
    }

    fn on_arrival(&mut self, now: SimTime) -> Result<(), String> {
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
        let priority = self.priority_of(&tj, c)?;
        let request = tj.request.clone().unwrap_or_else(|| c.request.clone());
        let mem = tj.mem_gib.unwrap_or(c.mem_gib);
        let job = Job {
            id: tj.id,
            submit: tj.submit,
            class: class_ix,
            shape: 0,
            namespace: tj.namespace.clone().unwrap_or_else(|| c.namespace.clone()),
            priority,
            batch: c.kind == JobKind::Batch,
            work: tj.duration as f64,
            devices: f64::from(request.count().max(1)),
            u: tj.u.unwrap_or(c.u),
            d: tj.d.unwrap_or(c.d),
            mem,
            checkpoint: tj.checkpoint.unwrap_or(c.checkpoint) as f64,
            phase: Phase::Pending,
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
            load,
            load_next: 0,
            load_gen: 0,
        };
        let shape = self.shape_for(class_ix, &request, mem, gpu_models);
        let slot = self.alloc_slot(Job { shape, ..job });
        if !self.job(slot).load.is_empty() {
            let stamp = self.next_stamp();
            self.job(slot).load_gen = stamp;
            self.on_load_step(slot, now);
        }
        if let Some(reason) = self.shapes[shape as usize].fit.unschedulable_reason() {
            return self.retire(slot, JobState::Unschedulable, now, reason);
        }
        self.enqueue(slot, now);
        Ok(())
    }

    /// Applies the job's next load step (its new duty cycle), re-rates its GPUs if it is
    /// running, and schedules the step after.
    fn on_load_step(&mut self, slot: u32, now: SimTime) {
        let (submit, stamp) = {
            let job = self.job(slot);
            (job.submit, job.load_gen)
        };
        // Every step already due applies now (at admission, the steps at offset 0).
        let next_at = {
            let job = self.job(slot);
            while let Some(step) = job.load.get(job.load_next)
                && submit + step.at <= now
            {
                job.u = step.u;
                job.load_next += 1;
            }
            job.load.get(job.load_next).map(|s| submit + s.at)
        };
        if let Some(at) = next_at {
            self.q.schedule(at, Event::Load { slot, stamp });
        }
        let job = self.live(slot).expect("live");
        if job.phase == Phase::Running {
            let gpus: Vec<u32> = job.holdings.iter().map(|h| h.gpu).collect();
            self.refresh_gpus(&gpus, now, None);
        }
    }

    fn alloc_slot(&mut self, job: Job) -> u32 {
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

    fn shape_for(
        &mut self,
        class: u32,
        request: &RequestSpec,
        mem: f64,
        gpu_models: Vec<String>,
    ) -> u32 {
        let mut models: Vec<String> = gpu_models.iter().map(|m| m.to_lowercase()).collect();
        models.sort_unstable();
        models.dedup();
        let key = (
            class,
            request.clone(),
            (mem * 1024.0).round() as u64,
            models,
        );
        if let Some(&s) = self.shape_ix.get(&key) {
            return s;
        }
        let c = &self.world.classes[class as usize];
        let pod = PodSpec {
            request,
            mem_gib: mem,
            node_selector: &c.node_selector,
            tolerations: &c.tolerations,
        };
        let pools = &self.world.cluster.pools;
        // A job that names GPU models may use only the class's pools of those models.
        let (candidates, wrong_model): (Vec<u32>, Vec<u32>) = c.pools.iter().partition(|&&p| {
            key.3.is_empty() || key.3.contains(&pools[p as usize].model.name.to_lowercase())
        });
        let mut fit = fit_shape(pools, &candidates, &pod);
        for p in wrong_model {
            let pool = &pools[p as usize];
            fit.rejected.push(format!(
                "pool {}: GPU model {} is not one the job allows ({})",
                pool.name,
                pool.model.name,
                gpu_models.join("|")
            ));
        }
        let ix = self.shapes.len() as u32;
        for (p, _) in &fit.pools {
            self.shapes_by_pool[*p as usize].push(ix);
        }
        self.shapes.push(Shape {
            class,
            request: request.clone(),
            fit,
        });
        self.shape_ix.insert(key, ix);
        ix
    }

    /// First pool a shape would use: where its queue depth is reported.
    fn home_pool(&self, shape: u32) -> Option<u32> {
        self.shapes[shape as usize]
            .fit
            .pools
            .first()
            .map(|(p, _)| *p)
    }

    fn enqueue(&mut self, slot: u32, now: SimTime) {
        let job = self.job(slot);
        job.phase = Phase::Pending;
        job.last = now;
        let (shape, class, key) = (
            job.shape,
            job.class,
            QueueKey::new(job.priority, job.submit, job.id, slot),
        );
        self.pending.push(shape, key);
        self.classes[class as usize].set_pending(now, 1);
        if let Some(p) = self.home_pool(shape) {
            let ps = &mut self.pools[p as usize];
            ps.advance(now);
            ps.pending_now += 1;
        }
    }

    fn dequeued(&mut self, slot: u32, now: SimTime) {
        let (shape, class) = {
            let j = self.job(slot);
            (j.shape, j.class)
        };
        self.classes[class as usize].set_pending(now, -1);
        if let Some(p) = self.home_pool(shape) {
            let ps = &mut self.pools[p as usize];
            ps.advance(now);
            ps.pending_now -= 1;
        }
    }

    /// Tries pending heads, highest priority first, until every dirty shape is placed or blocked.
    fn schedule_pass(&mut self, now: SimTime) {
        while let Some((shape, key)) = self.pending.next_dirty() {
            match self.find_place(shape) {
                Some((pool, holdings)) => {
                    self.pending.pop_head(shape);
                    self.dequeued(key.slot, now);
                    self.start(key.slot, pool, holdings, now);
                }
                None => self.pending.block(shape),
            }
        }
    }

    fn find_place(&self, shape: u32) -> Option<(u32, Vec<Holding>)> {
        let cluster = &self.world.cluster;
        for (pool, need) in &self.shapes[shape as usize].fit.pools {
            let free = &cluster.pools[*pool as usize].free[need.index()];
            let mut found = None;
            let picked = self.policy.pick(free, need.units(), &mut |node| {
                found = cluster.fit_on_node(*pool, node, need);
                found.is_some()
            });
            if picked.is_some() {
                return found.map(|h| (*pool, h));
            }
        }
        None
    }

    fn start(&mut self, slot: u32, pool: u32, holdings: Vec<Holding>, now: SimTime) {
        let w = &self.world;
        let kind = &w.cluster.pools[pool as usize].kind;
        let price = w.cluster.pools[pool as usize].price;
        let share: f64 = holdings
            .iter()
            .map(|h| holding_share(kind, h.units, h.instance, w.mig_share))
            .sum();
        let class = self.live(slot).expect("live").class;
        let s = w.speed(class, pool);
        let attempt_gen = self.next_stamp();
        let (mem, wait) = {
            let job = self.job(slot);
            job.phase = Phase::Running;
            job.pool = pool;
            job.s = s;
            job.rates = vec![0.0; holdings.len()];
            job.holdings = holdings.clone();
            job.placed_ever = true;
            job.cost_rate = share * price / 3_600_000.0;
            job.attempt_start = now;
            job.attempt_gen = attempt_gen;
            job.last = now;
            job.speed = 0.0;
            let wait = job.first_start.is_none().then(|| now - job.submit);
            job.first_start.get_or_insert(now);
            (job.mem, wait)
        };
        self.world.cluster.commit(slot, &holdings, mem);
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.running_now += 1;
        ps.started += 1;
        if let Some(w) = wait {
            ps.waits_ms.push(w);
            self.classes[class as usize].waits_ms.push(w);
            let name = self.world.cluster.pools[pool as usize].name.clone();
            *self.classes[class as usize].ran_in.entry(name).or_default() += 1;
        }
        // Time-slicing has no memory isolation: the newcomer that overflows a GPU dies of OOM.
        let p = &self.world.cluster.pools[pool as usize];
        if matches!(p.kind, PoolKind::TimeSlicing { .. })
            && holdings.iter().any(|h| {
                self.world.cluster.gpus[h.gpu as usize].mem_used > p.model.memory_gib + 1e-9
            })
        {
            self.q.schedule(
                now + self.world.params.oom_after.ms(),
                Event::Oom {
                    slot,
                    stamp: attempt_gen,
                },
            );
        }
        let service_end = {
            let job = self.live(slot).expect("live");
            (!job.batch).then(|| now + (job.work - job.done).ceil().max(0.0) as SimTime)
        };
        if let Some(t) = service_end {
            let stamp = self.next_stamp();
            self.job(slot).finish_gen = stamp;
            self.q.schedule(t, Event::Finish { slot, stamp });
        }
        let gpus: Vec<u32> = holdings.iter().map(|h| h.gpu).collect();
        self.refresh_gpus(&gpus, now, Some(slot));
    }

    /// Recomputes speeds on `gpus` and reschedules completions of jobs whose speed changed.
    /// `fresh` is a job just placed (its completion must be scheduled even if its speed is 0).
    fn refresh_gpus(&mut self, gpus: &[u32], now: SimTime, fresh: Option<u32>) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        for &g in gpus {
            let new = recompute_gpu(
                &self.world.cluster,
                g,
                &mut self.jobs,
                &self.world.perf,
                self.world.mig_share,
                &mut self.scratch,
                |slot| touched.push(slot),
            );
            let pool = self.world.cluster.gpus[g as usize].pool as usize;
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
            let new_speed = {
                let job = self.live(slot).expect("live");
                job.rates.iter().copied().fold(f64::INFINITY, f64::min)
            };
            let old_speed = self.live(slot).expect("live").speed;
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

    /// Brings a running job's progress and its pool/class accumulators up to `now`.
    fn progress(&mut self, slot: u32, now: SimTime) {
        let (pool, class, delivered, below) = {
            let job = self.jobs[slot as usize].as_mut().expect("live");
            let dt = now.saturating_sub(job.last) as f64;
            let target = self.world.classes[job.class as usize].speed_target;
            let below = match target {
                Some(t) if !job.batch && job.phase == Phase::Running && job.speed < t => dt,
                _ => 0.0,
            };
            let svc = if !job.batch && job.phase == Phase::Running {
                dt
            } else {
                0.0
            };
            let delivered = advance(job, now);
            (job.pool, job.class, delivered, (below, svc))
        };
        self.pools[pool as usize].useful_ms += delivered;
        let cs = &mut self.classes[class as usize];
        cs.useful_ms += delivered;
        cs.below_target_ms += below.0;
        cs.service_run_ms += below.1;
    }

    /// Takes a running job off its GPUs, charging its cost.
    fn unplace(&mut self, slot: u32, now: SimTime) {
        self.progress(slot, now);
        let (pool, holdings, mem, cost) = {
            let job = self.job(slot);
            let cost = job.cost_rate * (now - job.attempt_start) as f64;
            job.cost += cost;
            job.speed = 0.0;
            (job.pool, job.holdings.clone(), job.mem, cost)
        };
        self.job_cost[pool as usize] += cost;
        let class = self.live(slot).expect("live").class;
        self.classes[class as usize].cost += cost;
        self.world.cluster.release(slot, &holdings, mem);
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.running_now -= 1;
        let gpus: Vec<u32> = holdings.iter().map(|h| h.gpu).collect();
        self.refresh_gpus(&gpus, now, None);
        for i in 0..self.shapes_by_pool[pool as usize].len() {
            let s = self.shapes_by_pool[pool as usize][i];
            self.pending.mark_dirty(s);
        }
    }

    fn on_finish(&mut self, slot: u32, now: SimTime) -> Result<(), String> {
        self.unplace(slot, now);
        let job = self.job(slot);
        job.done = job.work;
        let pool = job.pool;
        self.pools[pool as usize].completed += 1;
        self.retire(slot, JobState::Completed, now, String::new())
    }

    fn on_fail(&mut self, slot: u32, now: SimTime, why: &str) -> Result<(), String> {
        self.unplace(slot, now);
        let limit = self.world.params.backoff_limit;
        let (pool, class, lost, failures) = {
            let job = self.job(slot);
            job.failures += 1;
            job.ooms += 1;
            let lost = if job.batch {
                let saved = if job.checkpoint > 0.0 {
                    (job.done / job.checkpoint).floor() * job.checkpoint
                } else {
                    0.0
                };
                let lost = (job.done - saved) * job.devices;
                job.done = saved;
                job.lost += lost;
                lost
            } else {
                0.0
            };
            (job.pool, job.class, lost, job.failures)
        };
        let ps = &mut self.pools[pool as usize];
        ps.ooms += 1;
        ps.useful_ms -= lost;
        ps.lost_ms += lost;
        let cs = &mut self.classes[class as usize];
        cs.ooms += 1;
        cs.failures += 1;
        cs.useful_ms -= lost;
        cs.lost_ms += lost;
        if failures > limit {
            return self.retire(
                slot,
                JobState::Failed,
                now,
                format!("{why}; gave up after {failures} failures"),
            );
        }
        let p = &self.world.params;
        let backoff = p
            .restart_backoff
            .ms()
            .saturating_mul(1u64 << (failures - 1).min(30))
            .min(p.restart_backoff_max.ms());
        let stamp = self.job(slot).attempt_gen;
        self.job(slot).phase = Phase::Backoff;
        self.q.schedule(now + backoff, Event::Retry { slot, stamp });
        Ok(())
    }

    /// Writes the job's record and frees its slot.
    fn retire(
        &mut self,
        slot: u32,
        state: JobState,
        now: SimTime,
        reason: String,
    ) -> Result<(), String> {
        let job = self.jobs[slot as usize].take().expect("live");
        self.free_slots.push(slot);
        let shape = &self.shapes[job.shape as usize];
        let class = &self.world.classes[shape.class as usize];
        let rec = job.record(
            &class.name,
            shape.request.to_string(),
            state,
            now,
            &self.world.cluster,
            reason.clone(),
        );
        let cs = &mut self.classes[job.class as usize];
        cs.count(state);
        if state == JobState::Unschedulable {
            *cs.unschedulable.entry(reason).or_default() += 1;
        }
        *self.states.entry(state).or_default() += 1;
        (self.sink)(&rec)
    }

    fn close_bucket(&mut self, now: SimTime) {
        for (i, ps) in self.pools.iter_mut().enumerate() {
            let p = &self.world.cluster.pools[i];
            let s = ps.sample(&p.name, p.gpu_count(), self.last_sample, now);
            self.samples.push(s);
        }
        self.last_sample = now;
    }

    fn finish_run(mut self, end: SimTime) -> Result<RunResult, String> {
        // Jobs still in the system, in job-id order so the records are deterministic.
        let mut live: Vec<(u64, u32)> = self
            .jobs
            .iter()
            .enumerate()
            .filter_map(|(s, j)| j.as_ref().map(|j| (j.id, s as u32)))
            .collect();
        live.sort_unstable();
        for (_, slot) in live {
            let phase = self.live(slot).expect("live").phase;
            if phase == Phase::Running {
                self.progress(slot, end);
                let (pool, class, cost) = {
                    let job = self.job(slot);
                    let cost = job.cost_rate * (end - job.attempt_start) as f64;
                    job.cost += cost;
                    (job.pool, job.class, cost)
                };
                self.job_cost[pool as usize] += cost;
                self.classes[class as usize].cost += cost;
                self.retire(slot, JobState::Running, end, String::new())?;
            } else {
                if phase == Phase::Pending {
                    self.dequeued(slot, end);
                }
                self.retire(slot, JobState::Pending, end, String::new())?;
            }
        }
        if self.last_sample < end {
            self.close_bucket(end);
        }
        for ps in &mut self.pools {
            ps.advance(end);
        }
        for cs in &mut self.classes {
            cs.set_pending(end, 0);
        }
        Ok(RunResult {
            pools: self.pools,
            classes: self.classes,
            samples: self.samples,
            states: self.states,
            events: self.q.popped(),
            end,
            job_cost: self.job_cost,
        })
    }

    /// Panics if a GPU holds more than its replicas, instances or milli (tests).
    fn assert_invariants(&self) {
        for (g, st) in self.world.cluster.gpus.iter().enumerate() {
            let kind = &self.world.cluster.pools[st.pool as usize].kind;
            let cap = match kind {
                PoolKind::Mig { instances, .. } => instances.len() as u32,
                k => k.units_per_gpu(0),
            };
            let held: u32 = st.tenants.iter().map(|t| t.units).sum();
            assert_eq!(held, st.used, "gpu {g}: tenants and used disagree");
            assert!(st.used <= cap, "gpu {g}: {} units used of {cap}", st.used);
        }
    }
}

/// Hours of pool capacity over the run (GPU-hours).
pub fn pool_gpu_hours(gpus: u32, end: SimTime) -> f64 {
    f64::from(gpus) * ms_to_hours(end)
}
