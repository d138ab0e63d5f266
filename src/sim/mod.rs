//! The simulation: the event loop tying the engine, cluster, scheduler and performance model.
//!
//! The work is split by concern: `admit` (arrivals, quotas, queues), `place` (scheduling passes,
//! fallback, starting a job), `preempt` (PostFilter), `lifecycle` (speeds, finishing, failing,
//! evicting), `ops` (timed drains, reconfigurations, resizes) and `end` (the horizon).

mod admit;
mod end;
pub mod job;
mod lifecycle;
mod ops;
mod place;
mod preempt;
pub mod setup;
pub mod speed;

pub use setup::{Class, World};

use crate::cluster::{Cluster, TypicalNeed, typical_needs};
use crate::engine::EventQueue;
use crate::metrics::{ClassSample, ClassStats, GroupStats, JobRecord, JobState, PoolStats, Sample};
use crate::sched::quota::Quotas;
use crate::sched::{PendingQueues, PlacementPolicy, ShapeFit, policy};
use crate::trace::{RequestSpec, TraceJob};
use crate::units::{SimTime, ms_to_hours};
use job::{Job, Phase};
use speed::{GpuGauges, SpeedScratch};
use std::collections::{BTreeMap, BTreeSet};

/// Events of the GPU-sharing model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// The next trace job is due.
    Arrival,
    /// A job's work (or run time) is done, if `stamp` is still current.
    Finish { slot: u32, stamp: u64 },
    /// A service's load (duty cycle) moves to its next step.
    Load { slot: u32, stamp: u64 },
    /// A job that over-committed a time-sliced GPU's memory dies.
    Oom { slot: u32, stamp: u64 },
    /// A failed or evicted job's back-off is over: it is pending again.
    Retry { slot: u32, stamp: u64 },
    /// An evicted job's grace period is over: it leaves its devices.
    Terminated { slot: u32, stamp: u64 },
    /// A pod refused by its quota is created again (`reject` admission).
    AdmitRetry { slot: u32, stamp: u64 },
    /// A pending job has waited long enough for its next fallback pool.
    FallbackTick { slot: u32, stamp: u64 },
    /// Timed operation number `ix` of the scenario starts.
    Op { ix: u32 },
    /// Drained nodes `from..to` of `pool` come back.
    NodesUp { pool: u32, from: u32, to: u32 },
    /// Operation `ix` (a reconfiguration) has re-partitioned its pool.
    Reconfigured { ix: u32 },
    /// A resize down has finished: the pool keeps `nodes` nodes.
    Shrunk { pool: u32, nodes: u32 },
    /// Close a time-series bucket.
    Sample,
    /// The horizon.
    End,
}

/// Where jobs come from: a lazy stream in submit order.
pub type JobSource<'a> = Box<dyn Iterator<Item = Result<TraceJob, String>> + 'a>;
/// Where finished job records go (e.g. a CSV writer).
pub type RecordSink<'a> = &'a mut dyn FnMut(&JobRecord) -> Result<(), String>;

/// Per namespace: time jobs spent refused or held by the ResourceQuota.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespaceStats {
    pub quota_blocked_ms: f64,
    pub quota_blocked_jobs: u64,
    pub quota_refusals: u64,
    /// Highest usage seen, per quota resource.
    pub peak_used: BTreeMap<String, u32>,
}

/// A timed operation as it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct OpRecord {
    pub at: SimTime,
    pub kind: String,
    pub pool: String,
    pub detail: String,
    pub evicted: u64,
}

/// Totals of a finished run.
#[derive(Debug)]
pub struct RunResult {
    pub pools: Vec<PoolStats>,
    pub classes: Vec<ClassStats>,
    pub namespaces: BTreeMap<String, NamespaceStats>,
    pub by_namespace: BTreeMap<String, GroupStats>,
    pub by_priority: BTreeMap<i32, GroupStats>,
    pub ops: Vec<OpRecord>,
    pub samples: Vec<Sample>,
    pub class_samples: Vec<ClassSample>,
    /// Jobs per final state.
    pub states: BTreeMap<JobState, u64>,
    /// Events popped from the queue (stale ones included).
    pub events: u64,
    pub end: SimTime,
    /// USD charged to jobs, per pool.
    pub job_cost: Vec<f64>,
    /// The pools' sharing at the end (reconfigurations change it).
    pub final_kinds: Vec<crate::cluster::PoolKind>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ShapeKey {
    class: u32,
    request: RequestSpec,
    mem_mib: u64,
    priority: i32,
    can_preempt: bool,
    /// GPU models the job allows (lower case, sorted); empty = any.
    models: Vec<String>,
}

struct Shape {
    class: u32,
    request: RequestSpec,
    mem: f64,
    /// GPU models the job allows (as the first job named them); empty = any.
    models: Vec<String>,
    fit: ShapeFit,
    /// Fits nowhere now, but will after a scheduled reconfiguration.
    fits_after_reconfiguration: bool,
}

pub struct Simulation<'a> {
    pub world: World,
    /// The live cluster (the world's as built, then changed by operations and placements).
    cluster: Cluster,
    q: EventQueue<Event>,
    jobs: Vec<Option<Job>>,
    free_slots: Vec<u32>,
    pending: PendingQueues,
    shapes: Vec<Shape>,
    shape_ix: BTreeMap<ShapeKey, u32>,
    shapes_by_pool: Vec<Vec<u32>>,
    /// Jobs admitted per shape, and each pool's typical shapes built from them (fragmentation
    /// and FGD; rebuilt when stale).
    shape_jobs: Vec<u64>,
    typical: Vec<Vec<TypicalNeed>>,
    typical_stale: Vec<bool>,
    gauges: Vec<GpuGauges>,
    pools: Vec<PoolStats>,
    classes: Vec<ClassStats>,
    /// Running jobs per priority, per pool: lets preemption skip pools with no lower priority.
    pool_prios: Vec<BTreeMap<i32, u32>>,
    quotas: Quotas,
    /// Kueue-like hold queues per namespace (`queue` admission), in queue order.
    quota_queues: BTreeMap<String, BTreeSet<crate::sched::QueueKey>>,
    namespaces: BTreeMap<String, NamespaceStats>,
    /// Final records aggregated per namespace and per priority value.
    by_namespace: BTreeMap<String, GroupStats>,
    by_priority: BTreeMap<i32, GroupStats>,
    ops: Vec<OpRecord>,
    /// Per pool: the node count the latest resize asked for.
    resize_target: Vec<u32>,
    samples: Vec<Sample>,
    class_samples: Vec<ClassSample>,
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
    next_stamp: u64,
    /// Check cluster invariants after every event (tests).
    pub check_invariants: bool,
}

impl<'a> Simulation<'a> {
    pub fn new(world: World, source: JobSource<'a>, sink: RecordSink<'a>) -> Self {
        let npools = world.cluster.pools.len();
        let ngpus = world.cluster.gpus.len();
        let nclasses = world.classes.len();
        let policy = policy(world.policy);
        let quotas = Quotas::new(world.quotas.clone());
        let resize_target = world.cluster.pools.iter().map(|p| p.present).collect();
        let mut pools = vec![PoolStats::default(); npools];
        for (ps, p) in pools.iter_mut().zip(&world.cluster.pools) {
            ps.gpus_now = p.gpu_count();
        }
        Simulation {
            cluster: world.cluster.clone(),
            world,
            q: EventQueue::new(),
            jobs: Vec::new(),
            free_slots: Vec::new(),
            pending: PendingQueues::default(),
            shapes: Vec::new(),
            shape_ix: BTreeMap::new(),
            shapes_by_pool: vec![Vec::new(); npools],
            shape_jobs: Vec::new(),
            typical: vec![Vec::new(); npools],
            typical_stale: vec![false; npools],
            gauges: vec![GpuGauges::default(); ngpus],
            pools,
            classes: vec![ClassStats::default(); nclasses],
            pool_prios: vec![BTreeMap::new(); npools],
            quotas,
            quota_queues: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            by_namespace: BTreeMap::new(),
            by_priority: BTreeMap::new(),
            ops: Vec::new(),
            resize_target,
            samples: Vec::new(),
            class_samples: Vec::new(),
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
            next_stamp: 0,
            check_invariants: false,
        }
    }

    fn next_stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    /// Runs to the horizon.
    pub fn run(mut self) -> Result<RunResult, String> {
        let horizon = self.world.horizon;
        self.q.schedule(horizon, Event::End);
        let interval = self.world.report_interval;
        if interval < horizon {
            self.q.schedule(interval, Event::Sample);
        }
        for ix in 0..self.world.events.len() {
            let at = self.world.events[ix].at().ms();
            if at < horizon {
                self.q.schedule(at, Event::Op { ix: ix as u32 });
            }
        }
        self.pull_next()?;
        while let Some((now, ev)) = self.q.pop() {
            match ev {
                Event::Arrival => self.on_arrival(now)?,
                Event::Finish { slot, stamp } => {
                    let due = self.live(slot).is_some_and(|j| {
                        j.finish_gen == stamp
                            && matches!(j.phase, Phase::Running | Phase::Terminating)
                    });
                    if due {
                        self.on_finish(slot, now)?;
                    }
                }
                Event::Oom { slot, stamp } => {
                    if self.current(slot, stamp, Phase::Running) {
                        self.on_fail(slot, now, "OOM: time-sliced GPU memory over-committed")?;
                    }
                }
                Event::Retry { slot, stamp } => {
                    if self.current(slot, stamp, Phase::Backoff) {
                        self.enqueue(slot, now);
                    }
                }
                Event::Terminated { slot, stamp } => {
                    if self.current(slot, stamp, Phase::Terminating) {
                        self.on_terminated(slot, now);
                    }
                }
                Event::AdmitRetry { slot, stamp } => {
                    if self.current(slot, stamp, Phase::Admission) {
                        self.try_admit(slot, now)?;
                    }
                }
                Event::FallbackTick { slot, stamp } => {
                    let due = self
                        .live(slot)
                        .is_some_and(|j| j.pending_stamp == stamp && j.phase == Phase::Pending);
                    if due {
                        let shape = self.live(slot).expect("live").shape;
                        self.pending.mark_dirty(shape);
                        self.schedule_fallback_tick(slot, now);
                    }
                }
                Event::Load { slot, stamp } => {
                    if self.live(slot).is_some_and(|j| j.load_gen == stamp) {
                        self.on_load_step(slot, now);
                    }
                }
                Event::Op { ix } => self.start_op(ix, now),
                Event::NodesUp { pool, from, to } => self.nodes_up(pool, from, to, now),
                Event::Reconfigured { ix } => self.finish_reconfigure(ix, now),
                Event::Shrunk { pool, nodes } => self.finish_shrink(pool, nodes, now),
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

    /// Is `slot` a live job in `phase` whose attempt stamp is `stamp`?
    fn current(&self, slot: u32, stamp: u64, phase: Phase) -> bool {
        self.live(slot)
            .is_some_and(|j| j.attempt_gen == stamp && j.phase == phase)
    }

    fn live(&self, slot: u32) -> Option<&Job> {
        self.jobs.get(slot as usize).and_then(Option::as_ref)
    }

    fn job(&mut self, slot: u32) -> &mut Job {
        self.jobs[slot as usize].as_mut().expect("live job slot")
    }

    /// Closes a time-series bucket. Placed jobs' progress is brought up to date first, so work
    /// lands in the bucket where it was done.
    fn close_bucket(&mut self, now: SimTime) {
        for slot in 0..self.jobs.len() as u32 {
            let placed = self
                .live(slot)
                .is_some_and(|j| matches!(j.phase, Phase::Running | Phase::Terminating));
            if placed {
                self.progress(slot, now);
            }
        }
        for i in 0..self.pools.len() {
            self.refresh_typical(i as u32);
            let cluster = &self.cluster;
            let p = &cluster.pools[i];
            let mut s = self.pools[i].sample(&p.name, &p.kind.describe(), self.last_sample, now);
            let f = cluster.pool_frag(i as u32, &self.typical[i], self.world.mig_share);
            s.fragmented_gpus = f.fragmented;
            s.fragmentation = f.ratio();
            self.samples.push(s);
        }
        for (i, cs) in self.classes.iter_mut().enumerate() {
            let c = &self.world.classes[i];
            let s = cs.sample(&c.name, c.speed_target.is_some(), self.last_sample, now);
            self.class_samples.push(s);
        }
        self.last_sample = now;
    }
}

impl Simulation<'_> {
    /// Every final record goes through here: aggregated per namespace and priority, then out.
    fn emit(&mut self, rec: &JobRecord) -> Result<(), String> {
        self.by_namespace
            .entry(rec.namespace.clone())
            .or_default()
            .add(rec);
        self.by_priority.entry(rec.priority).or_default().add(rec);
        (self.sink)(rec)
    }

    /// Rebuilds pool `pool`'s typical shapes if jobs arrived since the last build.
    fn refresh_typical(&mut self, pool: u32) {
        let p = pool as usize;
        if !self.typical_stale[p] {
            return;
        }
        let counts: Vec<(crate::cluster::Need, u64)> = self.shapes_by_pool[p]
            .iter()
            .filter_map(|&s| {
                let shape = &self.shapes[s as usize];
                let need = shape
                    .fit
                    .pools
                    .iter()
                    .find(|fp| fp.pool == pool)?
                    .need
                    .clone();
                Some((need, self.shape_jobs[s as usize]))
            })
            .collect();
        self.typical[p] = typical_needs(&counts, crate::cluster::frag::TYPICAL_THRESHOLD_PCT);
        self.typical_stale[p] = false;
    }
}

/// Hours of pool capacity over the run (GPU-hours) for a constant pool size.
pub fn pool_gpu_hours(gpus: u32, end: SimTime) -> f64 {
    f64::from(gpus) * ms_to_hours(end)
}
