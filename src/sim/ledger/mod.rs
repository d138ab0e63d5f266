//! The ledger: every counter, gauge, cost, sample and record of a run, one method per
//! transition. The simulation decides what happens; the ledger writes it down. Job transitions
//! are here, quota accounting in `namespaces`, the pools' gauges, time series and operations
//! in `series`, the job record in `record`.

mod latency;
mod namespaces;
mod record;
mod series;

pub(super) use record::{Exit, RecordText, RequestTexts, blank_record, fill_record, job_record};

use super::job::{Job, Phase};
use super::speed::{GpuGauges, advance};
use super::{NamespaceStats, OpRecord, RecordSink, RunResult};
use crate::cluster::PoolKind;
use crate::metrics::gpu_series::{ClassWaits, GpuIntegrals, GpuSample, InstanceSample};
use crate::metrics::{ClassSample, ClassStats, GroupStats, JobRecord, JobState, PoolStats, Sample};
use crate::units::SimTime;
use std::collections::BTreeMap;

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
    /// Per-GPU integrals and rows, only when the run asks for per-GPU series.
    gpu_ints: Option<GpuIntegrals>,
    gpu_samples: Vec<GpuSample>,
    instance_samples: Vec<InstanceSample>,
    class_waits: Vec<ClassWaits>,
    /// End of the last bucket whose per-GPU rows were taken.
    gpu_closed_at: Option<SimTime>,
    /// Each node's fragments, kept between samples until the node changes.
    frag: crate::cluster::frag_cache::FragCache,
    /// Requests served by services that have a request stream.
    pub latency: latency::LatencyBook,
    sink: RecordSink<'a>,
}

impl<'a> Ledger<'a> {
    /// `pool_gpus`: each pool's GPUs present at the start.
    pub fn new(
        pool_gpus: &[u32],
        classes: usize,
        gpus: usize,
        seed: u64,
        sink: RecordSink<'a>,
    ) -> Self {
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
            gpu_ints: None,
            gpu_samples: Vec::new(),
            instance_samples: Vec::new(),
            class_waits: Vec::new(),
            gpu_closed_at: None,
            frag: Default::default(),
            latency: latency::LatencyBook::new(seed),
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
        let cost = job.cost_rate * now.saturating_sub(job.cost_since) as f64;
        job.cost_since = job.cost_since.max(now);
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

    /// A job left the run with record `rec`: counted per class, state, namespace and priority,
    /// then written out. `censored`: a job that never started, its wait so far at the horizon
    /// (ms) and its first-choice pool, whose waits count it (none if no pool could ever take it).
    pub fn job_left(
        &mut self,
        class: u32,
        rec: &JobRecord,
        censored: Option<(SimTime, Option<u32>)>,
    ) -> Result<(), String> {
        let cs = &mut self.classes[class as usize];
        cs.count(rec.state);
        let censored_ms = censored.map(|(ms, _)| ms);
        if let Some((ms, home)) = censored {
            cs.waits_ms.push_censored(ms);
            if let Some(p) = home {
                self.pools[p as usize].waits_ms.push_censored(ms);
            }
        }
        let cs = &mut self.classes[class as usize];
        if rec.state == JobState::Unschedulable {
            *cs.unschedulable.entry(rec.reason.clone()).or_default() += 1;
        }
        *self.states.entry(rec.state).or_default() += 1;
        // Looked up first: the namespace is copied only the first time it is seen.
        match self.by_namespace.get_mut(rec.namespace.as_str()) {
            Some(g) => g.add(rec, censored_ms),
            None => {
                let mut g = GroupStats::default();
                g.add(rec, censored_ms);
                self.by_namespace.insert(rec.namespace.clone(), g);
            }
        }
        self.by_priority
            .entry(rec.priority)
            .or_default()
            .add(rec, censored_ms);
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
            gpu_samples: self.gpu_samples,
            instance_samples: self.instance_samples,
            class_waits: self.class_waits,
            states: self.states,
            events,
            end,
            job_cost: self.job_cost,
            final_kinds,
            latency: self.latency.into_hists(),
            gangs: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::JobRecord;
    use crate::sim::job::testing::batch_job;

    /// One pool of 8 GPUs, one class, 8 GPUs; records go nowhere.
    fn with_ledger(check: impl FnOnce(&mut Ledger)) {
        let mut sink = |_: &JobRecord| Ok(());
        let mut ledger = Ledger::new(&[8], 1, 8, 1, &mut sink);
        check(&mut ledger);
    }

    #[test]
    fn cost_is_settled_once_over_the_attempt() {
        with_ledger(|l| {
            // One whole GPU at 3.6 $/h: 3.6 / 3_600_000 ms = 1e-6 $/ms. The attempt started at
            // 1 s and stops at 61 s: 60_000 ms x 1e-6 = 0.06 $, charged to the job, its pool and
            // its class.
            let mut job = batch_job(1, 100_000);
            job.cost_rate = 3.6 / 3_600_000.0;
            job.attempt_start = 1_000;
            job.cost_since = 1_000;
            job.priority = 5;
            let started = Started {
                pool: 0,
                class: 0,
                priority: job.priority,
                colocated: false,
                first: None,
            };
            l.job_started(started, 1_000);
            assert_eq!(l.pools[0].running_now, 1);
            assert!(!l.runs_below(0, 5) && l.runs_below(0, 6));
            l.job_stopped(&mut job, 61_000);
            for (what, usd) in [
                ("job", job.cost),
                ("pool", l.job_cost[0]),
                ("class", l.classes[0].cost),
            ] {
                assert!((usd - 0.06).abs() < 1e-12, "{what}: {usd}");
            }
            assert_eq!(l.pools[0].running_now, 0);
            assert!(!l.runs_below(0, 6), "no running job left");
        });
    }

    #[test]
    fn work_delivered_then_lost_to_the_last_checkpoint() {
        with_ledger(|l| {
            // 2 GPUs at speed 0.5 for 10 s: 5_000 ms of work per device, 10_000 reference
            // GPU-ms delivered. Checkpoints every 2_000 ms: 4_000 are saved, so 1_000 per device
            // (2_000 GPU-ms) are lost and 8_000 stay useful.
            let mut job = batch_job(2, 100_000);
            job.phase = Phase::Running;
            job.speed = 0.5;
            job.checkpoint = 2_000.0;
            l.job_progressed(&mut job, None, 10_000);
            assert_eq!((job.done, job.delivered), (5_000.0, 10_000.0));
            assert_eq!(l.pools[0].useful_ms, 10_000.0);
            assert_eq!(l.work_lost(&mut job), 2_000.0);
            assert_eq!((job.done, job.lost), (4_000.0, 2_000.0));
            assert_eq!(
                (l.pools[0].useful_ms, l.pools[0].lost_ms),
                (8_000.0, 2_000.0)
            );
            assert_eq!(
                (l.classes[0].useful_ms, l.classes[0].lost_ms),
                (8_000.0, 2_000.0)
            );
        });
    }

    #[test]
    fn a_record_is_counted_once_everywhere_and_written_out() {
        let mut written = Vec::new();
        let mut sink = |r: &JobRecord| {
            written.push((r.id, r.state));
            Ok(())
        };
        let mut l = Ledger::new(&[8], 1, 8, 1, &mut sink);
        let job = batch_job(2, 100_000);
        let c = crate::sim::job::testing::class(crate::domain::JobKind::Batch, 2);
        let exit = Exit {
            state: JobState::Unschedulable,
            at: 0,
            reason: "no pools".into(),
        };
        let rec = job_record(
            &job,
            &c,
            &c.request,
            &crate::cluster::Cluster::default(),
            exit,
        );
        // Never started: its wait so far (5 s at the horizon) counts, censored, for its class,
        // namespace and priority; no pool could take it, so no pool counts it.
        l.job_left(0, &rec, Some((5_000, None))).unwrap();
        assert_eq!(l.states[&JobState::Unschedulable], 1);
        assert_eq!(l.classes[0].waits_ms.never_started(), 1);
        assert_eq!(l.by_priority[&0].waits_ms.never_started(), 1);
        assert_eq!(l.pools[0].waits_ms.never_started(), 0);
        assert_eq!(l.classes[0].unschedulable["no pools"], 1);
        assert_eq!(
            l.by_namespace["default"].states[&JobState::Unschedulable],
            1
        );
        assert_eq!(l.by_priority[&0].states[&JobState::Unschedulable], 1);
        drop(l);
        assert_eq!(written, [(1, JobState::Unschedulable)]);
    }
}
