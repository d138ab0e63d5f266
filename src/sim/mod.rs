//! The simulation: the event loop tying the engine, cluster, scheduler and performance model.
//!
//! State is grouped by concern, each group with the methods for its own transitions:
//! `jobs::JobTable` (job slots), `shapes::Shapes` (request shapes, typical shapes),
//! `admission::Admission` (quotas, hold queues, pending queues), `ledger::Ledger` (every
//! counter, cost, sample and record) and `arrivals::Arrivals` (the trace). The transitions of
//! the model are split by concern: `admit` (arrivals, quotas, queues), `fit` (where a shape can
//! go), `place` (scheduling passes, fallback, starting a job), `preempt` (PostFilter) with
//! `preempt_memo` (each node's last answer to it) and `nominate` (the room held for a
//! preemptor), `lifecycle` (speeds, finishing, failing, evicting), `ops` (timed drains,
//! reconfigurations, resizes) with `rolling` (drains a few nodes at a time, PodDisruptionBudgets),
//! `rolling_reconf` (reconfigurations a few nodes at a time)
//! and `op_cost` (what each operation cost), and `end` (the horizon). One `Event` enum, one
//! dispatch `match` in `run`.

mod admission;
mod admit;
mod arrivals;
mod end;
mod fit;
mod gang;
mod gang_preempt;
mod gpu_series;
mod host;
pub mod job;
mod jobs;
mod latency;
mod ledger;
mod lifecycle;
mod mig_ts;
mod names;
mod nominate;
mod nominations;
mod op_cost;
mod ops;
mod place;
mod preempt;
mod preempt_memo;
mod preempt_pods;
pub mod progress;
mod rolling;
mod rolling_reconf;
mod shapes;
pub mod speed;

use crate::cluster::Cluster;
use crate::engine::EventQueue;
use crate::engine::rng::stream;
use crate::metrics::gpu_series::{ClassWaits, GpuSample, InstanceSample};
use crate::metrics::{ClassSample, ClassStats, GroupStats, JobRecord, JobState, PoolStats, Sample};
use crate::sched::quota::Quotas;
use crate::sched::{PlacementPolicy, policy};
use crate::trace::TraceJob;
use crate::units::{SimTime, ms_to_hours};
use crate::world::World;
use admission::Admission;
use arrivals::Arrivals;
use job::{Job, Phase};
use jobs::JobTable;
use ledger::Ledger;
use preempt_memo::PreemptMemo;
use shapes::Shapes;
use speed::SpeedScratch;
use std::collections::BTreeMap;

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
    /// Rolling drain `id`: its batch is back, or refused evictions are due again.
    Rollout { id: u32, stamp: u64 },
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
    /// What it cost (evictions, lost work, unavailable GPU-hours, waits in its window).
    pub cost: OpCost,
}

pub use op_cost::{OpBatch, OpCost};

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
    /// Per GPU and per MIG instance at every bucket; empty unless `Simulation::gpu_series`.
    pub gpu_samples: Vec<GpuSample>,
    pub instance_samples: Vec<InstanceSample>,
    /// Every class's waits so far at every bucket; empty unless `Simulation::gpu_series`.
    pub class_waits: Vec<ClassWaits>,
    /// Jobs per final state.
    pub states: BTreeMap<JobState, u64>,
    /// Events popped from the queue (stale ones included).
    pub events: u64,
    pub end: SimTime,
    /// USD charged to jobs, per pool.
    pub job_cost: Vec<f64>,
    /// The pools' sharing at the end (reconfigurations change it).
    pub final_kinds: Vec<crate::cluster::PoolKind>,
    /// Request latencies of services with a request stream, per (class, pool).
    pub latency: BTreeMap<(u32, u32), crate::metrics::latency::LatencyHist>,
    /// Gang jobs counted apart (also counted with every job).
    pub gangs: crate::metrics::gangs::GangStats,
}

/// One run over one World. The state is grouped by concern; the event loop below is the only
/// place events are dispatched.
pub struct Simulation<'a> {
    pub world: World,
    /// The cluster as the run changes it (placements, drains, reconfigurations, resizes).
    pub cluster: Cluster,
    q: EventQueue<Event>,
    policy: Box<dyn PlacementPolicy>,
    jobs: JobTable,
    shapes: Shapes,
    admission: Admission,
    ledger: Ledger<'a>,
    arrivals: Arrivals<'a>,
    /// Per pool: the node count the latest resize asked for.
    resize_target: Vec<u32>,
    /// Scratch space of the speed model, and of the jobs whose rates it touched.
    scratch: SpeedScratch,
    touched: Vec<u32>,
    /// Scratch space for the placed jobs' slots at a report sample.
    placed_scratch: Vec<u32>,
    /// The GPUs a job just left, reused by `unplace` (one event in three or so).
    left_gpus: Vec<u32>,
    /// Failed preemption attempts and the nodes changed since.
    preempt_memo: PreemptMemo,
    /// Lists the preemption what-ifs reuse (`preempt::NodeScratch`).
    preempt_scratch: std::cell::Cell<preempt::NodeScratch>,
    /// Each timed operation's cost so far, and the rolling drains in progress.
    optrack: op_cost::OpTracker,
    rollouts: Vec<rolling::Rollout>,
    /// Preemptors waiting for their victims, and the node each is nominated to.
    nominations: nominations::Nominations<nominate::Nomination>,
    /// Gang jobs counted apart (`gang`).
    gangs: crate::metrics::gangs::GangStats,
    /// Namespaces and quota keys, one shared copy each (`names`).
    names: names::Names,
    /// Each shape's request text, for job records.
    request_texts: ledger::RequestTexts,
    /// The record `retire` writes each leaving job's into (its strings keep their memory).
    record: crate::metrics::JobRecord,
    next_stamp: u64,
    /// Check cluster invariants after every event (tests).
    pub check_invariants: bool,
    /// Keep per-GPU and per-MIG-instance series (`RunResult::gpu_samples`); off by default, as
    /// they grow with GPUs x buckets.
    pub gpu_series: bool,
    /// Told how far the run has got (a progress bar); none by default.
    pub progress: Option<progress::Progress>,
    /// Job records carry their class, request, pool and GPUs (on by default). Off for a run
    /// whose records are only counted, never written (the exclusive baseline): those four are
    /// left empty, which nothing the ledger sums reads.
    pub record_text: bool,
}

impl<'a> Simulation<'a> {
    pub fn new(world: World, source: JobSource<'a>, sink: RecordSink<'a>) -> Self {
        let cluster = world.cluster();
        let pool_gpus: Vec<u32> = cluster.pools.iter().map(|p| p.gpu_count()).collect();
        let ledger = Ledger::new(
            &pool_gpus,
            world.classes.len(),
            cluster.gpus.len(),
            world.seed,
            sink,
        );
        Simulation {
            q: EventQueue::new(),
            policy: policy(world.policy, stream(world.seed, "placement")),
            jobs: JobTable::default(),
            shapes: Shapes::new(cluster.pools.len()),
            admission: Admission::new(Quotas::new(world.quotas.clone())),
            ledger,
            arrivals: Arrivals::new(source),
            resize_target: cluster.pools.iter().map(|p| p.present).collect(),
            scratch: SpeedScratch::default(),
            touched: Vec::new(),
            placed_scratch: Vec::new(),
            left_gpus: Vec::new(),
            preempt_memo: PreemptMemo::new(cluster.pools.len(), true),
            preempt_scratch: Default::default(),
            optrack: op_cost::OpTracker::default(),
            rollouts: Vec::new(),
            nominations: Default::default(),
            gangs: Default::default(),
            names: Default::default(),
            request_texts: Default::default(),
            record: ledger::blank_record(),
            next_stamp: 0,
            check_invariants: false,
            gpu_series: false,
            progress: None,
            record_text: true,
            cluster,
            world,
        }
    }

    /// Tells the progress callback, if any, how far the run has got at `now`.
    fn report_progress(&self, now: SimTime, horizon: SimTime) {
        if let Some(p) = &self.progress {
            p.report(self.world.seed, now as f64 / horizon.max(1) as f64);
        }
    }

    /// Whether failed preemption attempts are remembered (the default). Off, every attempt
    /// examines every node: the reference the equivalence tests compare with.
    pub fn remember_failed_preemptions(&mut self, on: bool) {
        self.preempt_memo.set_enabled(on);
    }

    fn next_stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    /// Runs to the horizon.
    pub fn run(mut self) -> Result<RunResult, String> {
        let (horizon, interval) = (self.world.horizon, self.world.report_interval);
        if self.gpu_series {
            self.ledger.keep_gpu_series();
        }
        self.schedule_known_events();
        self.pull_next()?;
        while let Some((now, ev)) = self.q.pop() {
            match ev {
                Event::Arrival => self.on_arrival(now)?,
                Event::Finish { slot, stamp } => {
                    let due = self.live(slot).is_some_and(|j| {
                        j.finish_gen == stamp
                            && matches!(j.phase, Phase::Running | Phase::Terminating)
                    });
                    if due && self.finish_popped(slot, stamp) {
                        self.on_finish(slot, now)?;
                    }
                }
                Event::Oom { slot, stamp } => {
                    if self.jobs.current(slot, stamp, Phase::Running) {
                        self.on_fail(slot, now, "OOM: time-sliced GPU memory over-committed")?;
                    }
                }
                Event::Retry { slot, stamp } => {
                    if self.jobs.current(slot, stamp, Phase::Backoff) {
                        self.enqueue(slot, now);
                    }
                }
                Event::Terminated { slot, stamp } => {
                    if self.jobs.current(slot, stamp, Phase::Terminating) {
                        self.on_terminated(slot, now);
                    }
                }
                Event::AdmitRetry { slot, stamp } => {
                    if self.jobs.current(slot, stamp, Phase::Admission) {
                        self.try_admit(slot, now)?;
                    }
                }
                Event::FallbackTick { slot, stamp } => {
                    let due = self
                        .live(slot)
                        .is_some_and(|j| j.pending_stamp == stamp && j.phase == Phase::Pending);
                    if due {
                        let shape = self.live(slot).expect("live").shape;
                        self.admission.pending.mark_dirty(shape);
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
                Event::Rollout { id, stamp } => self.on_rollout(id, stamp, now),
                Event::Sample => {
                    self.close_bucket(now);
                    self.report_progress(now, horizon);
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
            if self.q.popped() & (progress::EVERY - 1) == 0 {
                self.report_progress(now, horizon);
            }
        }
        let (progress, seed) = (self.progress.take(), self.world.seed);
        let result = self.finish_run(horizon);
        if let Some(p) = progress {
            p.report(seed, 1.0);
        }
        result
    }

    /// Schedules what is known before the first job: the horizon, the first sample and the
    /// scenario's timed operations.
    fn schedule_known_events(&mut self) {
        let horizon = self.world.horizon;
        // First, so it pops before anything else due at the horizon: an entry pops if and only
        // if it is due before the horizon (`engine::completion` counts on it).
        debug_assert_eq!(self.q.popped() + self.q.len() as u64, 0);
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
    }

    fn live(&self, slot: u32) -> Option<&Job> {
        self.jobs.get(slot)
    }

    fn job(&mut self, slot: u32) -> &mut Job {
        self.jobs.get_mut(slot)
    }

    /// Closes a time-series bucket. Placed jobs' progress is brought up to date first, so work
    /// lands in the bucket where it was done.
    fn close_bucket(&mut self, now: SimTime) {
        // The placed jobs in slot order, as a test of every slot would find them.
        let mut placed = std::mem::take(&mut self.placed_scratch);
        self.jobs.placed_slots(&mut placed);
        for &slot in &placed {
            self.progress(slot, now);
        }
        self.placed_scratch = placed;
        for pool in 0..self.cluster.pools.len() as u32 {
            self.shapes.refresh_typical(pool);
        }
        // Before the ledger's bucket closes: the GPU rows are differenced from the same start.
        self.sample_gpus(now);
        let w = &self.world;
        (self.ledger).close_bucket(&self.cluster, &w.classes, &self.shapes, w.mig_share, now);
    }
}

/// Hours of pool capacity over the run (GPU-hours) for a constant pool size.
pub fn pool_gpu_hours(gpus: u32, end: SimTime) -> f64 {
    f64::from(gpus) * ms_to_hours(end)
}
