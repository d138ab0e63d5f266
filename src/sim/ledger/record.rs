//! The job record: the one place a `JobRecord` is made.

use crate::cluster::Cluster;
use crate::domain::RequestSpec;
use crate::metrics::{JobRecord, JobState};
use crate::sim::job::Job;
use crate::units::{SimTime, ms_to_secs};
use crate::world::Class;

/// How a job leaves the run: its final state, when, and why (empty when self-evident).
pub(in crate::sim) struct Exit {
    pub state: JobState,
    pub at: SimTime,
    pub reason: String,
}

/// The record of a job leaving the run: the one place a `JobRecord` is made. `class` and
/// `request` are its resolved class and request; where it ran is read from `cluster` while it
/// is placed, else from where it last ran.
pub(in crate::sim) fn job_record(
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
        request: super::super::gang::request_text(request, job.pods),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobKind;
    use crate::sim::job::testing::{batch_job, class};

    #[test]
    fn batch_work_counts_every_device() {
        // 100_000 ms of work per device on 4 GPUs: 100 s x 4 = 400 reference GPU-seconds,
        // whatever the state (docs/OUTPUTS.md, work_s).
        let job = batch_job(4, 100_000);
        let c = class(JobKind::Batch, 4);
        for state in [JobState::AfterHorizon, JobState::Pending] {
            let exit = Exit {
                state,
                at: 0,
                reason: String::new(),
            };
            let rec = job_record(&job, &c, &c.request, &Cluster::default(), exit);
            assert_eq!(rec.work_s, 400.0, "{state:?}");
            assert_eq!((rec.pool.as_str(), rec.gpus.as_str()), ("", ""));
            assert_eq!((rec.start_s, rec.wait_s, rec.slowdown), (None, None, None));
        }
    }
}
