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
