//! A job while it is in the simulation: its resolved traits and where it stands.

use super::names::Names;
use crate::cluster::{Cluster, Holding, NO_INSTANCE, PoolKind};
use crate::domain::{JobKind, LoadStep, RequestSpec};
use crate::perf::latency::Server;
use crate::trace::TraceJob;
use crate::units::SimTime;
use crate::world::Class;
use std::sync::Arc;

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

#[derive(Clone, Debug)]
pub struct Job {
    pub id: u64,
    pub submit: SimTime,
    pub class: u32,
    pub shape: u32,
    pub namespace: Arc<str>,
    pub priority: i32,
    /// Its priority class may preempt lower priorities.
    pub can_preempt: bool,
    /// ResourceQuota key and amount its request counts for.
    pub quota_key: Arc<str>,
    pub quota_n: u32,
    /// Usage is charged to the namespace's quota.
    pub admitted: bool,
    /// When it was first refused by the quota (for quota-blocked time).
    pub quota_blocked_since: Option<SimTime>,
    pub quota_refusals: u32,
    /// Queued (pending) since; fallback waits count from here.
    pub pending_since: SimTime,
    /// Stamp of the current pending spell (fallback ticks carry it).
    pub pending_stamp: u64,
    /// Pool whose queue depth counts this job while it is pending.
    pub home: Option<u32>,
    /// A preemption made room for it: no further preemption until then.
    pub nominated_until: SimTime,
    pub preemptions: u32,
    pub evictions: u32,
    /// The current termination is a preemption (not a drain).
    pub preempted_now: bool,
    pub batch: bool,
    /// Batch: work in reference-ms per device; service: run time in ms.
    pub work: f64,
    /// Devices the job holds (GPUs, replicas, instances or milli shares); each does `work`.
    pub devices: f64,
    pub u: f64,
    pub d: f64,
    /// Memory-bandwidth fill alone (the class's `b`).
    pub b: f64,
    pub mem: f64,
    /// Work between checkpoints, ms (0 = never).
    pub checkpoint: f64,
    pub phase: Phase,
    /// Stamp of the pending Finish event; others are stale.
    pub finish_gen: u64,
    /// What is queued for a batch job's completion (`engine::completion`).
    pub completion: crate::engine::completion::Completion,
    /// Stamp of the current attempt (OOM, termination and retry events carry it).
    pub attempt_gen: u64,
    /// Progress toward completion (work for batch, wall time for services), ms.
    pub done: f64,
    /// Integral of speed times devices while running: reference GPU-ms delivered, lost work
    /// included.
    pub delivered: f64,
    pub lost: f64,
    /// Current speed (work-ms per ms) and the time progress was last brought up to date.
    pub speed: f64,
    pub last: SimTime,
    /// Relative speed of this job on its current pool's GPUs.
    pub s: f64,
    pub pool: u32,
    pub holdings: Vec<Holding>,
    /// Per-holding rate from the GPU it sits on.
    pub rates: Vec<f64>,
    /// Per holding: the share of its GPU it is charged for (held share, or under
    /// `attribution: received` the GPU time its contexts got there).
    pub shares: Vec<f64>,
    /// USD per GPU-hour of the pool it runs in (for `attribution: received`).
    pub price: f64,
    /// Cost is settled up to this time.
    pub cost_since: SimTime,
    /// USD per ms while placed.
    pub cost_rate: f64,
    pub cost: f64,
    pub first_start: Option<SimTime>,
    pub attempt_start: SimTime,
    pub failures: u32,
    pub ooms: u32,
    pub placed_ever: bool,
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
    /// Pods of a gang (1: an ordinary job). Its holdings are every pod's devices, placed and
    /// evicted together (`sim::gang`).
    pub pods: u32,
    /// CPU and host memory the pod requests.
    pub host: crate::cluster::HostNeed,
    /// The pool-local node it holds CPU and host memory on while placed (pods with a
    /// request, and pods without GPUs).
    pub node: Option<u32>,
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
            holdings: Vec::new(),
            rates: Vec::new(),
            cost_rate: 0.0,
            shares: Vec::new(),
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
