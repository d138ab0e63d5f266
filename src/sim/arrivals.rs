//! Arrivals: the trace read lazily, one job ahead, checked to be in submit order.

use super::JobSource;
use crate::trace::TraceJob;
use crate::units::SimTime;

pub(super) struct Arrivals<'a> {
    source: JobSource<'a>,
    /// The job whose arrival is scheduled.
    next: Option<TraceJob>,
    last_submit: SimTime,
}

impl<'a> Arrivals<'a> {
    pub fn new(source: JobSource<'a>) -> Self {
        Arrivals {
            source,
            next: None,
            last_submit: 0,
        }
    }

    /// The trace's next job, if any; an error if it was submitted before the previous one.
    pub fn read(&mut self) -> Result<Option<TraceJob>, String> {
        let Some(r) = self.source.next() else {
            return Ok(None);
        };
        let tj = r?;
        if tj.submit < self.last_submit {
            return Err(format!(
                "job {}: submit time {} ms is before the previous job's {} ms; jobs must come in submit order",
                tj.id, tj.submit, self.last_submit
            ));
        }
        self.last_submit = tj.submit;
        Ok(Some(tj))
    }

    /// The trace's next job, unchecked: past the horizon, jobs are only recorded, so their
    /// order no longer matters.
    pub fn read_rest(&mut self) -> Result<Option<TraceJob>, String> {
        self.source.next().transpose()
    }

    /// `tj` arrives next (its arrival is scheduled).
    pub fn set_next(&mut self, tj: TraceJob) {
        self.next = Some(tj);
    }

    /// The job whose arrival is due.
    pub fn take_next(&mut self) -> Option<TraceJob> {
        self.next.take()
    }
}
