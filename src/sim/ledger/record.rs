//! The job record: the one place a `JobRecord` is written (`fill_record`).

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

/// The record of a job leaving the run. `class` and `request` are its resolved class and
/// request; where it ran is read from `cluster` while it is placed, else from where it last ran.
pub(in crate::sim) fn job_record(
    job: &Job,
    class: &Class,
    request: &RequestSpec,
    cluster: &Cluster,
    exit: Exit,
) -> JobRecord {
    let request = super::super::gang::request_text(request, job.pods);
    let text = RecordText {
        class: &class.name,
        request: &request,
        cluster,
    };
    let mut rec = blank_record();
    fill_record(&mut rec, job, Some(text), exit);
    rec
}

/// A record with nothing in it yet (no allocation), for [`fill_record`] to fill.
pub(in crate::sim) fn blank_record() -> JobRecord {
    JobRecord {
        id: 0,
        class: String::new(),
        namespace: String::new(),
        priority: 0,
        request: String::new(),
        state: JobState::Pending,
        submit_s: 0.0,
        start_s: None,
        end_s: 0.0,
        pool: String::new(),
        gpus: String::new(),
        wait_s: None,
        slowdown: None,
        work_s: 0.0,
        useful_s: 0.0,
        lost_s: 0.0,
        failures: 0,
        ooms: 0,
        preemptions: 0,
        evictions: 0,
        cost_usd: 0.0,
        reason: String::new(),
    }
}

/// The text fields only `jobs.csv` reads: the class's name, the request's text, and the
/// cluster to read where the job ran from.
pub(in crate::sim) struct RecordText<'a> {
    pub class: &'a str,
    pub request: &'a str,
    pub cluster: &'a Cluster,
}

/// The one place a job's record is written: into `rec`, every field, reusing its strings'
/// memory (a run writes a record per job, and a simulation keeps one to write them in).
/// `text`: none for a record that is only counted (class, request, pool and GPUs empty).
pub(in crate::sim) fn fill_record(
    rec: &mut JobRecord,
    job: &Job,
    text: Option<RecordText>,
    exit: Exit,
) {
    let Exit { state, at, reason } = exit;
    for s in [
        &mut rec.class,
        &mut rec.namespace,
        &mut rec.request,
        &mut rec.pool,
        &mut rec.gpus,
    ] {
        s.clear();
    }
    if let Some(t) = text {
        rec.class.push_str(t.class);
        rec.request.push_str(t.request);
        match &job.last_placement {
            Some((pool, gpus)) if !job.is_placed() => {
                rec.pool.push_str(pool);
                rec.gpus.push_str(gpus);
            }
            _ => job.placement_text_into(t.cluster, &mut rec.pool, &mut rec.gpus),
        }
    }
    rec.namespace.push_str(&job.namespace);
    rec.id = job.id;
    rec.priority = job.priority;
    rec.state = state;
    rec.submit_s = ms_to_secs(job.submit);
    rec.start_s = job.first_start.map(ms_to_secs);
    rec.end_s = ms_to_secs(at);
    rec.wait_s = job.first_start.map(|s| ms_to_secs(s - job.submit));
    rec.slowdown = (state == JobState::Completed && job.work > 0.0)
        .then(|| (at - job.submit) as f64 / job.work);
    rec.work_s = if job.batch {
        job.work * job.devices / 1000.0
    } else {
        job.work / 1000.0
    };
    rec.useful_s = (job.delivered - job.lost) / 1000.0;
    rec.lost_s = job.lost / 1000.0;
    rec.failures = job.failures;
    rec.ooms = job.ooms;
    rec.preemptions = job.preemptions;
    rec.evictions = job.evictions;
    rec.cost_usd = job.cost;
    rec.reason = reason;
}

/// Each shape's request text (`gang::request_text`), written once per shape and pod count
/// rather than through the formatting machinery for every record.
#[derive(Default)]
pub(in crate::sim) struct RequestTexts {
    by_shape: Vec<Option<(u32, String)>>,
}

impl RequestTexts {
    /// The text of shape `shape`'s `request` for a job of `pods` pods.
    pub fn get(&mut self, shape: u32, request: &RequestSpec, pods: u32) -> &str {
        let s = shape as usize;
        if self.by_shape.len() <= s {
            self.by_shape.resize(s + 1, None);
        }
        let slot = &mut self.by_shape[s];
        if !matches!(slot, Some((p, _)) if *p == pods) {
            *slot = Some((pods, super::super::gang::request_text(request, pods)));
        }
        slot.as_ref().map_or("", |(_, text)| text.as_str())
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
    fn a_reused_record_is_the_same_as_a_new_one() {
        // A record filled over another job's (longer texts, a reason) equals one made afresh.
        let c = class(JobKind::Batch, 2);
        let (mut first, mut second) = (batch_job(2, 50_000), batch_job(1, 10_000));
        first.id = 7;
        first.namespace = "a-long-namespace".into();
        second.cost = 1.25;
        let exit = |reason: &str| Exit {
            state: JobState::Pending,
            at: 9_000,
            reason: reason.into(),
        };
        let cluster = Cluster::default();
        let text = || RecordText {
            class: &c.name,
            request: "gpu:1",
            cluster: &cluster,
        };
        let mut rec = blank_record();
        fill_record(
            &mut rec,
            &first,
            Some(text()),
            exit("held back, for a while"),
        );
        fill_record(&mut rec, &second, Some(text()), exit(""));
        let mut fresh = blank_record();
        fill_record(&mut fresh, &second, Some(text()), exit(""));
        assert_eq!(rec, fresh);
        assert_eq!(
            rec,
            job_record(
                &second,
                &c,
                &RequestSpec::Gpu { count: 1 },
                &cluster,
                exit("")
            )
        );
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
        let mut counted = blank_record();
        fill_record(&mut counted, &job, None, exit(61_000));
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
