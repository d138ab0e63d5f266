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
    let request = super::super::gang::request_text(request, job.pods);
    job_record_with(job, class, request, cluster, exit)
}

/// [`job_record`] with its request's text already written (`RequestTexts`).
pub(in crate::sim) fn job_record_with(
    job: &Job,
    class: &Class,
    request: String,
    cluster: &Cluster,
    exit: Exit,
) -> JobRecord {
    let (pool, gpus) = match &job.last_placement {
        Some(p) if !job.is_placed() => p.clone(),
        _ => job.placement_text(cluster),
    };
    let text = Text {
        class: class.name.clone(),
        request,
        pool,
        gpus,
    };
    record_of(job, text, exit)
}

/// The record with its class, request, pool and GPUs left empty: for a run whose records are
/// only counted (the ledger reads none of those four), like the exclusive baseline's.
pub(in crate::sim) fn counted_record(job: &Job, exit: Exit) -> JobRecord {
    record_of(job, Text::default(), exit)
}

/// Each shape's request text (`gang::request_text`), written once per shape and pod count
/// rather than through the formatting machinery for every record.
#[derive(Default)]
pub(in crate::sim) struct RequestTexts {
    by_shape: Vec<Option<(u32, String)>>,
}

impl RequestTexts {
    /// The text of shape `shape`'s `request` for a job of `pods` pods.
    pub fn get(&mut self, shape: u32, request: &RequestSpec, pods: u32) -> String {
        let s = shape as usize;
        if self.by_shape.len() <= s {
            self.by_shape.resize(s + 1, None);
        }
        match &self.by_shape[s] {
            Some((p, text)) if *p == pods => text.clone(),
            _ => {
                let text = super::super::gang::request_text(request, pods);
                self.by_shape[s] = Some((pods, text.clone()));
                text
            }
        }
    }
}

/// The text fields of a record that only `jobs.csv` reads.
#[derive(Default)]
struct Text {
    class: String,
    request: String,
    pool: String,
    gpus: String,
}

fn record_of(job: &Job, text: Text, exit: Exit) -> JobRecord {
    let Exit { state, at, reason } = exit;
    let Text {
        class,
        request,
        pool,
        gpus,
    } = text;
    let slowdown = (state == JobState::Completed && job.work > 0.0)
        .then(|| (at - job.submit) as f64 / job.work);
    JobRecord {
        id: job.id,
        class,
        namespace: String::from(&*job.namespace),
        priority: job.priority,
        request,
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

    #[test]
    fn request_texts_as_written_each_time() {
        // A gang of 3 pods of gpu:2, then a single pod of the same shape, then the gang again.
        let mut texts = RequestTexts::default();
        let r = RequestSpec::Gpu { count: 2 };
        for (shape, pods, want) in [
            (4, 3, "3xgpu:2"),
            (4, 1, "gpu:2"),
            (4, 3, "3xgpu:2"),
            (0, 1, "gpu:2"),
        ] {
            assert_eq!(texts.get(shape, &r, pods), want);
            assert_eq!(want, crate::sim::gang::request_text(&r, pods));
        }
    }

    #[test]
    fn a_counted_record_is_the_full_one_without_its_text() {
        // The same job, placed nowhere, as both: only class, request, pool and GPUs differ.
        let mut job = batch_job(2, 50_000);
        job.first_start = Some(1_000);
        job.cost = 0.5;
        let c = class(JobKind::Batch, 2);
        let exit = |at| Exit {
            state: JobState::Completed,
            at,
            reason: "r".into(),
        };
        let full = job_record(&job, &c, &c.request, &Cluster::default(), exit(61_000));
        let counted = counted_record(&job, exit(61_000));
        assert!(!full.class.is_empty() && !full.request.is_empty());
        let blank = JobRecord {
            class: String::new(),
            request: String::new(),
            pool: String::new(),
            gpus: String::new(),
            ..full
        };
        assert_eq!(counted, blank);
    }
}
