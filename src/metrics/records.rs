//! One row per job, as written to `jobs.csv`.

use serde::Serialize;

/// How a job ended (or stood when the run stopped). Every job gets exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Finished its work (batch) or its run time (service).
    Completed,
    /// Gave up after more failures than the back-off limit.
    Failed,
    /// Can never run on this cluster (see `reason`).
    Unschedulable,
    /// Still running at the horizon.
    Running,
    /// Waiting (queued or in restart back-off) at the horizon.
    Pending,
    /// Submitted at or after the horizon: never entered the simulation.
    AfterHorizon,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Completed,
        JobState::Failed,
        JobState::Unschedulable,
        JobState::Running,
        JobState::Pending,
        JobState::AfterHorizon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Unschedulable => "unschedulable",
            JobState::Running => "running",
            JobState::Pending => "pending",
            JobState::AfterHorizon => "after_horizon",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobRecord {
    pub id: u64,
    pub class: String,
    pub namespace: String,
    pub priority: i32,
    pub request: String,
    pub state: JobState,
    pub submit_s: f64,
    /// First start, empty if it never started.
    pub start_s: Option<f64>,
    /// When it reached its final state (the horizon for running/pending).
    pub end_s: f64,
    /// Pool of its last placement.
    pub pool: String,
    /// GPUs of its last placement, `node/gpu` within the pool, `;`-separated.
    pub gpus: String,
    pub wait_s: Option<f64>,
    /// (end - submit) / work alone on one reference GPU per device; completed jobs only.
    pub slowdown: Option<f64>,
    /// Batch: requested work in reference GPU-seconds (per-device work x devices).
    /// Services: requested run time in seconds.
    pub work_s: f64,
    /// Work delivered that counted (reference GPU-seconds).
    pub useful_s: f64,
    /// Work lost to failures since the last checkpoint.
    pub lost_s: f64,
    pub failures: u32,
    pub ooms: u32,
    /// Times it was preempted, and evicted by drains or reconfigurations.
    pub preemptions: u32,
    pub evictions: u32,
    pub cost_usd: f64,
    pub reason: String,
}

impl JobRecord {
    /// Overwrites this record with `r`, reusing its strings' buffers (where `clone` allocates
    /// each anew): the jobs.csv writer thread's batches are refilled this way.
    pub fn copy_from(&mut self, r: &JobRecord) {
        // Destructured, so that a new field cannot be forgotten here.
        let JobRecord {
            id,
            class,
            namespace,
            priority,
            request,
            state,
            submit_s,
            start_s,
            end_s,
            pool,
            gpus,
            wait_s,
            slowdown,
            work_s,
            useful_s,
            lost_s,
            failures,
            ooms,
            preemptions,
            evictions,
            cost_usd,
            reason,
        } = r;
        self.id = *id;
        self.class.clone_from(class);
        self.namespace.clone_from(namespace);
        self.priority = *priority;
        self.request.clone_from(request);
        self.state = *state;
        self.submit_s = *submit_s;
        self.start_s = *start_s;
        self.end_s = *end_s;
        self.pool.clone_from(pool);
        self.gpus.clone_from(gpus);
        self.wait_s = *wait_s;
        self.slowdown = *slowdown;
        self.work_s = *work_s;
        self.useful_s = *useful_s;
        self.lost_s = *lost_s;
        self.failures = *failures;
        self.ooms = *ooms;
        self.preemptions = *preemptions;
        self.evictions = *evictions;
        self.cost_usd = *cost_usd;
        self.reason.clone_from(reason);
    }
}
