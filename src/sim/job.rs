//! A job while it is in the simulation: its resolved traits and where it stands.

use crate::cluster::{Cluster, Holding, NO_INSTANCE, PoolKind};
use crate::domain::LoadStep;
use crate::metrics::{JobRecord, JobState};
use crate::units::{SimTime, ms_to_secs};

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

#[derive(Clone, Debug)]
pub struct Job {
    pub id: u64,
    pub submit: SimTime,
    pub class: u32,
    pub shape: u32,
    pub namespace: String,
    pub priority: i32,
    /// Its priority class may preempt lower priorities.
    pub can_preempt: bool,
    /// ResourceQuota key and amount its request counts for.
    pub quota_key: String,
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
    pub mem: f64,
    /// Work between checkpoints, ms (0 = never).
    pub checkpoint: f64,
    pub phase: Phase,
    /// Stamp of the pending Finish event; others are stale.
    pub finish_gen: u64,
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
}

impl Job {
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
        if !self.placed_ever {
            return (String::new(), String::new());
        }
        let pool = &cluster.pools[self.pool as usize];
        let gpus: Vec<String> = self
            .holdings
            .iter()
            .map(|h| {
                let g = &cluster.gpus[h.gpu as usize];
                let local = h.gpu - pool.node_gpus(g.node).start;
                match &pool.kind {
                    PoolKind::Mig { instances, .. } if h.instance != NO_INSTANCE => {
                        let i = &instances[h.instance as usize];
                        format!("n{}/g{local}/{}@{}", g.node, i.profile, i.start)
                    }
                    PoolKind::TimeSlicing { .. } if h.units > 1 => {
                        format!("n{}/g{local}x{}", g.node, h.units)
                    }
                    PoolKind::Fractional => format!("n{}/g{local}/{}m", g.node, h.units),
                    _ => format!("n{}/g{local}", g.node),
                }
            })
            .collect();
        (pool.name.clone(), gpus.join(";"))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        class: &str,
        request: String,
        state: JobState,
        end: SimTime,
        cluster: &Cluster,
        reason: String,
    ) -> JobRecord {
        let (pool, gpus) = match &self.last_placement {
            Some(p) if !self.is_placed() => p.clone(),
            _ => self.placement_text(cluster),
        };
        let slowdown = (state == JobState::Completed && self.work > 0.0)
            .then(|| (end - self.submit) as f64 / self.work);
        JobRecord {
            id: self.id,
            class: class.to_string(),
            namespace: self.namespace.clone(),
            priority: self.priority,
            request,
            state,
            submit_s: ms_to_secs(self.submit),
            start_s: self.first_start.map(ms_to_secs),
            end_s: ms_to_secs(end),
            pool,
            gpus,
            wait_s: self.first_start.map(|s| ms_to_secs(s - self.submit)),
            slowdown,
            work_s: if self.batch {
                self.work * self.devices / 1000.0
            } else {
                self.work / 1000.0
            },
            useful_s: (self.delivered - self.lost) / 1000.0,
            lost_s: self.lost / 1000.0,
            failures: self.failures,
            ooms: self.ooms,
            preemptions: self.preemptions,
            evictions: self.evictions,
            cost_usd: self.cost,
            reason,
        }
    }
}
