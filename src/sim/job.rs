//! A job while it is in the simulation: its resolved traits and where it stands.

use super::names::Names;
use crate::cluster::{Cluster, Holding, NO_INSTANCE, PoolKind};
use crate::domain::{JobKind, LoadStep, RequestSpec};
use crate::perf::latency::Server;
use crate::trace::TraceJob;
use crate::units::SimTime;
use crate::world::Class;
use smallvec::SmallVec;
use std::sync::Arc;

/// A job's holdings: inline for the common one-holding job (no allocation, and in the job's
/// record, so re-rating reads no second place in memory).
pub type Holdings = SmallVec<[Holding; 1]>;
/// One value per holding (rates, shares), inline like [`Holdings`].
pub type PerHolding = SmallVec<[f64; 1]>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not yet admitted by its namespace's ResourceQuota.
    Admission,
    Pending,
    Running,
    /// Evicted (preemption, drain): still holds its devices for the grace period.
    Terminating,
    /// Failed or evicted, waiting out its restart back-off / delay.
    Backoff,
}

/// The conditions a service's requests have been served under since `since`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyState {
    pub server: Server,
    /// Request-rate multiplier: the job's duty cycle over its class's (load steps).
    pub load: f64,
    pub since: SimTime,
}

// The fields an event reads come first, in this order (`repr(C)`), so that re-rating a tenant
// touches the first two cache lines of its record (`align(64)`: a record starts on a line):
// s, u, d, first_start, holdings (line 0); rates, shares, b, phase, batch, class (line 1); then
// speed, progress and cost (line 2). The rest follows by alignment (8-byte fields, then 4,
// then 1), so `repr(C)` pads only to the line: 640 bytes. `first_start` is there for its
// niche: the job table's `Option<Job>` tells a free slot by the first field with the largest
// niche, and that check, made for every tenant, should not cost a cache line of its own.
// Holdings, rates and shares are inline for a one-holding job (no allocation per placement).
// Tried and dropped: `align(128)` (whole 128-byte pairs) made every record 768 bytes and was
// no faster.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub struct Job {
    /// Relative speed of this job on its current pool's GPUs.
    pub s: f64,
    pub u: f64,
    pub d: f64,
    pub first_start: Option<SimTime>,
    pub holdings: Holdings,
    /// Per-holding rate from the GPU it sits on.
    pub rates: PerHolding,
    /// Per holding: the share of its GPU it is charged for (held share, or under
    /// `attribution: received` the GPU time its contexts got there).
    pub shares: PerHolding,
    /// Memory-bandwidth fill alone (the class's `b`).
    pub b: f64,
    pub phase: Phase,
    pub batch: bool,
    pub class: u32,
    /// Current speed (work-ms per ms) and the time progress was last brought up to date.
    pub speed: f64,
    pub last: SimTime,
    /// Batch: work in reference-ms per device; service: run time in ms.
    pub work: f64,
    /// Progress toward completion (work for batch, wall time for services), ms.
    pub done: f64,
    /// Devices the job holds (GPUs, replicas, instances or milli shares); each does `work`.
    pub devices: f64,
    /// Integral of speed times devices while running: reference GPU-ms delivered, lost work
    /// included.
    pub delivered: f64,
    /// Stamp of the pending Finish event; others are stale.
    pub finish_gen: u64,
    /// USD per ms while placed.
    pub cost_rate: f64,
    /// USD per GPU-hour of the pool it runs in (for `attribution: received`).
    pub price: f64,
    pub pool: u32,
    pub shape: u32,
    /// What is queued for a batch job's completion (`engine::completion`).
    pub completion: crate::engine::completion::Completion,
    pub id: u64,
    pub submit: SimTime,
    pub namespace: Arc<str>,
    /// ResourceQuota key and amount its request counts for.
    pub quota_key: Arc<str>,
    /// When it was first refused by the quota (for quota-blocked time).
    pub quota_blocked_since: Option<SimTime>,
    /// Queued (pending) since; fallback waits count from here.
    pub pending_since: SimTime,
    /// Stamp of the current pending spell (fallback ticks carry it).
    pub pending_stamp: u64,
    /// A preemption made room for it: no further preemption until then.
    pub nominated_until: SimTime,
    pub mem: f64,
    /// Work between checkpoints, ms (0 = never).
    pub checkpoint: f64,
    /// Stamp of the current attempt (OOM, termination and retry events carry it).
    pub attempt_gen: u64,
    pub lost: f64,
    /// Cost is settled up to this time.
    pub cost_since: SimTime,
    pub cost: f64,
    pub attempt_start: SimTime,
    /// Where its last placement was (pool, devices), written when it left its devices: a later
    /// reconfiguration changes what the instance numbers mean.
    pub last_placement: Option<(String, String)>,
    /// Time-varying duty cycle (services following a request trace); empty = constant `u`.
    pub load: Vec<LoadStep>,
    /// Index of the next load step to apply.
    pub load_next: usize,
    /// Stamp of this job's pending load-step event (0 = none).
    pub load_gen: u64,
    /// Services with requests, while placed: how the GPU serves them now (latency model).
    pub lat: Option<LatencyState>,
    /// CPU and host memory the pod requests.
    pub host: crate::cluster::HostNeed,
    pub priority: i32,
    pub quota_n: u32,
    pub quota_refusals: u32,
    /// Pool whose queue depth counts this job while it is pending.
    pub home: Option<u32>,
    pub preemptions: u32,
    pub evictions: u32,
    pub failures: u32,
    pub ooms: u32,
    /// Pods of a gang (1: an ordinary job). Its holdings are every pod's devices, placed and
    /// evicted together (`sim::gang`).
    pub pods: u32,
    /// The pool-local node it holds CPU and host memory on while placed (pods with a
    /// request, and pods without GPUs).
    pub node: Option<u32>,
    /// Its priority class may preempt lower priorities.
    pub can_preempt: bool,
    /// Usage is charged to the namespace's quota.
    pub admitted: bool,
    /// The current termination is a preemption (not a drain).
    pub preempted_now: bool,
    pub placed_ever: bool,
}

impl Job {
    /// A job just read from the trace, its unset fields taken from its class `(index, class)`
    /// and its priority class `(value, may preempt)`; `request` is the resolved request. The
    /// job's load steps are taken out of `tj`.
    pub fn new(
        tj: &mut TraceJob,
        (class_ix, c): (u32, &Class),
        (priority, can_preempt): (i32, bool),
        request: &RequestSpec,
        now: SimTime,
        names: &mut Names,
    ) -> Job {
        Job {
            id: tj.id,
            submit: tj.submit,
            class: class_ix,
            shape: 0,
            namespace: names.get(tj.namespace.as_deref().unwrap_or(&c.namespace)),
            priority,
            can_preempt,
            quota_key: names.get(&request.quota_resource()),
            // Every pod of a gang counts against the quota.
            quota_n: request.count().saturating_mul(tj.pod_count()),
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
            // A pod without GPUs (CPU-only) delivers no GPU work; a gang, every pod's.
            devices: if request.count() == 0 {
                0.0
            } else {
                f64::from(request.count()) * f64::from(tj.pod_count())
            },
            u: tj.u.unwrap_or(c.u),
            d: tj.d.unwrap_or(c.d),
            b: c.b,
            mem: tj.mem_gib.unwrap_or(c.mem_gib),
            checkpoint: tj.checkpoint.unwrap_or(c.checkpoint) as f64,
            phase: Phase::Admission,
            finish_gen: 0,
            completion: Default::default(),
            attempt_gen: 0,
            done: 0.0,
            delivered: 0.0,
            lost: 0.0,
            speed: 0.0,
            last: now,
            s: 1.0,
            pool: 0,
            holdings: Holdings::new(),
            rates: PerHolding::new(),
            cost_rate: 0.0,
            shares: PerHolding::new(),
            price: 0.0,
            cost_since: now,
            cost: 0.0,
            first_start: None,
            attempt_start: now,
            failures: 0,
            ooms: 0,
            placed_ever: false,
            last_placement: None,
            load: std::mem::take(&mut tj.load),
            load_next: 0,
            load_gen: 0,
            lat: None,
            pods: tj.pod_count(),
            // Per pod; a gang's pods each ask for it (docs/MODEL.md, "Gang jobs").
            host: c.host_need(&tj.host),
            node: None,
        }
    }

    /// Progress speed: work for batch jobs, wall time for services.
    pub fn progress_rate(&self) -> f64 {
        if self.batch { self.speed } else { 1.0 }
    }

    /// Does it hold devices now?
    pub fn is_placed(&self) -> bool {
        matches!(self.phase, Phase::Running | Phase::Terminating)
    }

    /// Where its current placement is, for the record.
    pub fn placement_text(&self, cluster: &Cluster) -> (String, String) {
        let (mut pool, mut gpus) = (String::new(), String::new());
        self.placement_text_into(cluster, &mut pool, &mut gpus);
        (pool, gpus)
    }

    /// [`Job::placement_text`] appended to `pool_text` and `gpus` (a record's, reused).
    pub fn placement_text_into(
        &self,
        cluster: &Cluster,
        pool_text: &mut String,
        gpus: &mut String,
    ) {
        if !self.placed_ever {
            return;
        }
        let pool = &cluster.pools[self.pool as usize];
        pool_text.push_str(&pool.name);
        let mut num = itoa::Buffer::new();
        if self.holdings.is_empty()
            && let Some(n) = self.node
        {
            // A CPU-only pod: its node.
            gpus.push('n');
            gpus.push_str(num.format(n));
            return;
        }
        // Each holding's text, `;`-separated, written into one string (a record per job):
        // `n<node>/g<gpu>`, then `/<profile>@<start>` (a MIG instance), `x<units>` (time-sliced
        // replicas) or `/<units>m` (fractional). Numbers by itoa, not the formatting machinery
        // (a record per job).
        for (k, h) in self.holdings.iter().enumerate() {
            if k > 0 {
                gpus.push(';');
            }
            let g = &cluster.gpus[h.gpu as usize];
            let local = h.gpu - pool.node_gpus(g.node).start;
            gpus.push('n');
            gpus.push_str(num.format(g.node));
            gpus.push_str("/g");
            gpus.push_str(num.format(local));
            match &pool.kind {
                PoolKind::Mig { instances, .. } if h.instance != NO_INSTANCE => {
                    let i = &instances[h.instance as usize];
                    gpus.push('/');
                    gpus.push_str(&i.profile);
                    gpus.push('@');
                    gpus.push_str(num.format(i.start));
                }
                PoolKind::TimeSlicing { .. } if h.units > 1 => {
                    gpus.push('x');
                    gpus.push_str(num.format(h.units));
                }
                PoolKind::Fractional => {
                    gpus.push('/');
                    gpus.push_str(num.format(h.units));
                    gpus.push('m');
                }
                _ => {}
            }
        }
    }
}

/// Jobs and classes for unit tests.
#[cfg(test)]
pub(super) mod testing {
    use super::*;

    /// A class of `kind` asking for `gpus` whole GPUs, with no pools.
    pub fn class(kind: JobKind, gpus: u32) -> Class {
        Class {
            name: "train".into(),
            kind,
            namespace: "default".into(),
            priority: 0,
            can_preempt: false,
            request: RequestSpec::Gpu { count: gpus },
            u: 1.0,
            d: 1.0,
            b: 0.0,
            mem_gib: 10.0,
            speed: Default::default(),
            checkpoint: 0,
            pools: Vec::new(),
            fallback_after: None,
            node_selector: Default::default(),
            node_affinity: Vec::new(),
            tolerations: Vec::new(),
            speed_target: None,
            requests: None,
            pdb: None,
            host: Default::default(),
        }
    }

    /// Trace job `id` of class `train`, submitted at `submit` ms, `duration` ms long.
    pub fn trace_job(id: u64, submit: SimTime, duration: SimTime) -> TraceJob {
        TraceJob::new(id, submit, "train", duration)
    }

    /// A batch job of `duration` ms of work per device on `gpus` GPUs, submitted at 0.
    pub fn batch_job(gpus: u32, duration: SimTime) -> Job {
        let c = class(JobKind::Batch, gpus);
        let request = c.request.clone();
        Job::new(
            &mut trace_job(1, 0, duration),
            (0, &c),
            (0, false),
            &request,
            0,
            &mut Default::default(),
        )
    }
}

#[cfg(test)]
mod layout {
    use super::Job;
    use std::mem::{align_of, offset_of, size_of};

    /// The fields re-rating reads lie in the record's first two cache lines, and every record
    /// starts on a line (the size is a multiple of the alignment).
    #[test]
    fn hot_fields_in_first_pair() {
        assert_eq!(align_of::<Job>(), 64);
        assert_eq!(size_of::<Job>() % 64, 0);
        assert_eq!(size_of::<Option<Job>>(), size_of::<Job>());
        for end in [
            offset_of!(Job, s) + 8,
            offset_of!(Job, u) + 8,
            offset_of!(Job, d) + 8,
            offset_of!(Job, first_start) + size_of::<Option<u64>>(),
            offset_of!(Job, holdings) + size_of::<super::Holdings>(),
            offset_of!(Job, rates) + size_of::<super::PerHolding>(),
            offset_of!(Job, shares) + size_of::<super::PerHolding>(),
            offset_of!(Job, b) + 8,
            offset_of!(Job, phase) + 1,
            offset_of!(Job, batch) + 1,
            offset_of!(Job, class) + 4,
        ] {
            assert!(end <= 128, "a hot field ends at byte {end}");
        }
    }
}
