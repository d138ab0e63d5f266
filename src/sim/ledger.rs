//! The ledger: every counter, gauge, cost, sample and record of a run, one method per
//! transition. The simulation decides what happens; the ledger writes it down.

use super::job::{Job, Phase};
use super::shapes::Shapes;
use super::speed::{GpuGauges, advance};
use super::{Class, NamespaceStats, OpRecord, RecordSink, RunResult};
use crate::cluster::{Cluster, PoolKind};
use crate::metrics::{ClassSample, ClassStats, GroupStats, JobRecord, JobState, PoolStats, Sample};
use crate::scenario::schema::MigShare;
use crate::trace::RequestSpec;
use crate::units::{SimTime, ms_to_secs};
use std::collections::BTreeMap;

/// How a job leaves the run: its final state, when, and why (empty when self-evident).
pub(super) struct Exit {
    pub state: JobState,
    pub at: SimTime,
    pub reason: String,
}

/// A job just placed: what its pool and class count.
pub(super) struct Started {
    pub pool: u32,
    pub class: u32,
    pub priority: i32,
    /// Holds two or more replicas of one time-sliced GPU.
    pub colocated: bool,
    /// Set on the job's first start only.
    pub first: Option<FirstStart>,
}

pub(super) struct FirstStart {
    pub wait: SimTime,
    pub pool_name: String,
    /// Not the first listed pool that could ever take it.
    pub fallback: bool,
}

pub(super) struct Ledger<'a> {
    /// What each GPU adds to its pool's gauges now.
    gauges: Vec<GpuGauges>,
    pools: Vec<PoolStats>,
    classes: Vec<ClassStats>,
    /// Running jobs per priority, per pool: lets preemption skip pools with no lower priority.
    pool_prios: Vec<BTreeMap<i32, u32>>,
    namespaces: BTreeMap<String, NamespaceStats>,
    /// Final records aggregated per namespace and per priority value.
    by_namespace: BTreeMap<String, GroupStats>,
    by_priority: BTreeMap<i32, GroupStats>,
    /// Jobs per final state.
    states: BTreeMap<JobState, u64>,
    /// USD charged to jobs, per pool.
    job_cost: Vec<f64>,
    ops: Vec<OpRecord>,
    samples: Vec<Sample>,
    class_samples: Vec<ClassSample>,
    last_sample: SimTime,
    sink: RecordSink<'a>,
}

impl<'a> Ledger<'a> {
    /// `pool_gpus`: each pool's GPUs present at the start.
    pub fn new(pool_gpus: &[u32], classes: usize, gpus: usize, sink: RecordSink<'a>) -> Self {
        let pools = pool_gpus
            .iter()
            .map(|&g| {
                let mut ps = PoolStats::default();
                ps.gpus_now = g;
                ps
            })
            .collect();
        Ledger {
            gauges: vec![GpuGauges::default(); gpus],
            pools,
            classes: vec![ClassStats::default(); classes],
            pool_prios: vec![BTreeMap::new(); pool_gpus.len()],
            namespaces: BTreeMap::new(),
            by_namespace: BTreeMap::new(),
            by_priority: BTreeMap::new(),
            states: BTreeMap::new(),
            job_cost: vec![0.0; pool_gpus.len()],
            ops: Vec::new(),
            samples: Vec::new(),
            class_samples: Vec::new(),
            last_sample: 0,
            sink,
        }
    }

    pub fn last_sample(&self) -> SimTime {
        self.last_sample
    }

    /// Does `pool` run a job of priority below `priority` (something preemption could evict)?
    pub fn runs_below(&self, pool: u32, priority: i32) -> bool {
        let lowest = self.pool_prios[pool as usize].keys().next();
        lowest.is_some_and(|&l| l < priority)
    }

    /// A job joined the pending queue; `home` is the pool whose queue depth counts it.
    pub fn job_queued(&mut self, class: u32, home: Option<u32>, now: SimTime) {
        self.classes[class as usize].set_pending(now, 1);
        if let Some(p) = home {
            let ps = &mut self.pools[p as usize];
            ps.advance(now);
            ps.pending_now += 1;
        }
    }

    /// A job left the pending queue (placed, or still pending at the horizon).
    pub fn job_dequeued(&mut self, class: u32, home: Option<u32>, now: SimTime) {
        self.classes[class as usize].set_pending(now, -1);
        if let Some(p) = home {
            let ps = &mut self.pools[p as usize];
            ps.advance(now);
            ps.pending_now -= 1;
        }
    }

    pub fn job_started(&mut self, st: Started, now: SimTime) {
        *self.pool_prios[st.pool as usize]
            .entry(st.priority)
            .or_default() += 1;
        let ps = &mut self.pools[st.pool as usize];
        ps.advance(now);
        ps.running_now += 1;
        ps.started += 1;
        let cs = &mut self.classes[st.class as usize];
        cs.set_running(now, 1);
        if st.colocated {
            ps.colocated_replicas += 1;
            cs.colocated_replicas += 1;
        }
        if let Some(f) = st.first {
            ps.waits_ms.push(f.wait);
            cs.waits_ms.push(f.wait);
            *cs.ran_in.entry(f.pool_name).or_default() += 1;
            if f.fallback {
                cs.fallbacks += 1;
            }
        }
    }

    /// Brings a job's progress up to `now` and credits the work it delivered to its pool and
    /// class; `target` is its class's speed target.
    pub fn job_progressed(&mut self, job: &mut Job, target: Option<f64>, now: SimTime) {
        let dt = now.saturating_sub(job.last) as f64;
        let placed = matches!(job.phase, Phase::Running | Phase::Terminating);
        let below = match target {
            Some(t) if !job.batch && placed && job.speed < t => dt,
            _ => 0.0,
        };
        let svc = if !job.batch && placed { dt } else { 0.0 };
        let delivered = advance(job, now);
        self.pools[job.pool as usize].useful_ms += delivered;
        let cs = &mut self.classes[job.class as usize];
        cs.useful_ms += delivered;
        cs.below_target_ms += below;
        cs.service_run_ms += svc;
    }

    /// Charges a placed job for its current attempt up to `now`: the one place cost is settled.
    pub fn settle_cost(&mut self, job: &mut Job, now: SimTime) {
        let cost = job.cost_rate * (now - job.attempt_start) as f64;
        job.cost += cost;
        self.job_cost[job.pool as usize] += cost;
        self.classes[job.class as usize].cost += cost;
    }

    /// A job left its devices (finished, failed, evicted): its cost is settled.
    pub fn job_stopped(&mut self, job: &mut Job, now: SimTime) {
        self.settle_cost(job, now);
        self.classes[job.class as usize].set_running(now, -1);
        let prios = &mut self.pool_prios[job.pool as usize];
        if let Some(n) = prios.get_mut(&job.priority) {
            *n -= 1;
            if *n == 0 {
                prios.remove(&job.priority);
            }
        }
        let ps = &mut self.pools[job.pool as usize];
        ps.advance(now);
        ps.running_now -= 1;
    }

    /// A batch job lost the work since its last checkpoint; returns reference GPU-ms lost.
    pub fn work_lost(&mut self, job: &mut Job) -> f64 {
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
        let ps = &mut self.pools[job.pool as usize];
        ps.useful_ms -= lost;
        ps.lost_ms += lost;
        let cs = &mut self.classes[job.class as usize];
        cs.useful_ms -= lost;
        cs.lost_ms += lost;
        lost
    }

    /// Work a preempted job of `class` lost.
    pub fn preemption_lost(&mut self, class: u32, lost: f64) {
        self.classes[class as usize].preemption_lost_ms += lost;
    }

    /// A job died of OOM; returns its failures so far.
    pub fn job_oom(&mut self, job: &mut Job) -> u32 {
        job.failures += 1;
        job.ooms += 1;
        self.pools[job.pool as usize].ooms += 1;
        let cs = &mut self.classes[job.class as usize];
        cs.ooms += 1;
        cs.failures += 1;
        job.failures
    }

    /// A running job is being evicted: by a preemption, or by a drain or reconfiguration.
    pub fn job_evicted(&mut self, job: &mut Job, preempted: bool) {
        let ps = &mut self.pools[job.pool as usize];
        let cs = &mut self.classes[job.class as usize];
        if preempted {
            job.preemptions += 1;
            ps.preemptions += 1;
            cs.preemptions += 1;
        } else {
            job.evictions += 1;
            ps.evictions += 1;
            cs.evictions += 1;
        }
    }

    pub fn job_completed(&mut self, pool: u32) {
        self.pools[pool as usize].completed += 1;
    }

    /// GPU `g` of `pool` has new gauges (its tenants' rates changed).
    pub fn gpu_rerated(&mut self, g: u32, pool: u32, new: GpuGauges, now: SimTime) {
        let old = std::mem::replace(&mut self.gauges[g as usize], new);
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.alloc_now += new.alloc - old.alloc;
        ps.busy_now += new.busy - old.busy;
        ps.sm_now += new.sm - old.sm;
    }

    pub fn pool_resized(&mut self, pool: u32, gpus: u32, now: SimTime) {
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.gpus_now = gpus;
    }

    /// Namespace `ns`'s quota admitted a job: `usage` of `key` if the quota limits it (for the
    /// peak), and how long the job was held back, if it was.
    pub fn quota_admitted(
        &mut self,
        ns: String,
        key: String,
        usage: Option<u32>,
        blocked_ms: Option<f64>,
    ) {
        if let Some(used) = usage {
            let st = self.namespaces.entry(ns.clone()).or_default();
            let peak = st.peak_used.entry(key).or_default();
            *peak = (*peak).max(used);
        }
        if let Some(ms) = blocked_ms {
            self.quota_blocked(ns, ms);
        }
    }

    /// Namespace `ns`'s quota refused a job (`first`: its first refusal).
    pub fn quota_refused(&mut self, ns: &str, first: bool) {
        let st = self.namespaces.entry(ns.to_string()).or_default();
        st.quota_refusals += 1;
        if first {
            st.quota_blocked_jobs += 1;
        }
    }

    /// A job of `ns` spent `ms` held back by its quota.
    pub fn quota_blocked(&mut self, ns: String, ms: f64) {
        self.namespaces.entry(ns).or_default().quota_blocked_ms += ms;
    }

    /// A timed operation happened: the one place an `OpRecord` is made.
    pub fn op(&mut self, at: SimTime, kind: &str, pool: String, detail: String, evicted: u64) {
        self.ops.push(OpRecord {
            at,
            kind: kind.to_string(),
            pool,
            detail,
            evicted,
        });
    }

    /// Closes a time-series bucket at `now`. Placed jobs' progress and the pools' typical
    /// shapes (for fragmentation) must be up to date.
    pub fn close_bucket(
        &mut self,
        cluster: &Cluster,
        classes: &[Class],
        shapes: &Shapes,
        mig_share: MigShare,
        now: SimTime,
    ) {
        for (i, ps) in self.pools.iter_mut().enumerate() {
            let p = &cluster.pools[i];
            let mut s = ps.sample(&p.name, &p.kind.describe(), self.last_sample, now);
            let f = cluster.pool_frag(i as u32, shapes.typical(i as u32), mig_share);
            s.fragmented_gpus = f.fragmented;
            s.fragmentation = f.ratio();
            self.samples.push(s);
        }
        for (cs, c) in self.classes.iter_mut().zip(classes) {
            let s = cs.sample(&c.name, c.speed_target.is_some(), self.last_sample, now);
            self.class_samples.push(s);
        }
        self.last_sample = now;
    }

    /// A job left the run with record `rec`: counted per class, state, namespace and priority,
    /// then written out.
    pub fn job_left(&mut self, class: u32, rec: &JobRecord) -> Result<(), String> {
        let cs = &mut self.classes[class as usize];
        cs.count(rec.state);
        if rec.state == JobState::Unschedulable {
            *cs.unschedulable.entry(rec.reason.clone()).or_default() += 1;
        }
        *self.states.entry(rec.state).or_default() += 1;
        self.by_namespace
            .entry(rec.namespace.clone())
            .or_default()
            .add(rec);
        self.by_priority.entry(rec.priority).or_default().add(rec);
        (self.sink)(rec)
    }

    /// The totals at the horizon `end` (the last bucket must be closed).
    pub fn into_result(
        mut self,
        end: SimTime,
        events: u64,
        final_kinds: Vec<PoolKind>,
    ) -> RunResult {
        for ps in &mut self.pools {
            ps.advance(end);
        }
        for cs in &mut self.classes {
            cs.set_pending(end, 0);
        }
        RunResult {
            pools: self.pools,
            classes: self.classes,
            namespaces: self.namespaces,
            by_namespace: self.by_namespace,
            by_priority: self.by_priority,
            ops: self.ops,
            samples: self.samples,
            class_samples: self.class_samples,
            states: self.states,
            events,
            end,
            job_cost: self.job_cost,
            final_kinds,
        }
    }
}

/// The record of a job leaving the run: the one place a `JobRecord` is made. `class` and
/// `request` are its resolved class and request; where it ran is read from `cluster` while it
/// is placed, else from where it last ran.
pub(super) fn job_record(
    job: &Job,
    class: &Class,
    request: &RequestSpec,
    cluster: &Cluster,
    exit: Exit,
) -> JobRecord {
    let Exit { state, at, reason } = exit;
    let (pool, gpus) = match &job.last_placement {
        Some(p) if !job.is_placed() => p.clone(),
        _ => job.placement_text(cluster),
    };
    let slowdown = (state == JobState::Completed && job.work > 0.0)
        .then(|| (at - job.submit) as f64 / job.work);
    JobRecord {
        id: job.id,
        class: class.name.clone(),
        namespace: job.namespace.clone(),
        priority: job.priority,
        request: request.to_string(),
        state,
        submit_s: ms_to_secs(job.submit),
        start_s: job.first_start.map(ms_to_secs),
        end_s: ms_to_secs(at),
        pool,
        gpus,
        wait_s: job.first_start.map(|s| ms_to_secs(s - job.submit)),
        slowdown,
        work_s: if job.batch {
            job.work * job.devices / 1000.0
        } else {
            job.work / 1000.0
        },
        useful_s: (job.delivered - job.lost) / 1000.0,
        lost_s: job.lost / 1000.0,
        failures: job.failures,
        ooms: job.ooms,
        preemptions: job.preemptions,
        evictions: job.evictions,
        cost_usd: job.cost,
        reason,
    }
}
