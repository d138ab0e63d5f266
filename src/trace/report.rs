//! What an import yields: jobs with how they ran in the traced cluster ([`Entry`]), and the
//! report of rows read, jobs made and rows that could not be used ([`ImportReport`]).

use super::error::{BadRow, TraceError};
use super::format::TraceFormat;
use super::job::TraceJob;
use serde::Serialize;

/// What an import did: rows read, jobs made, rows it could not use (with line numbers and
/// reasons) and notes on how the trace was mapped.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub source: String,
    pub format: String,
    /// Data rows read (blank lines not counted).
    pub rows: u64,
    /// Jobs the import yields.
    pub jobs: u64,
    /// The first [`ImportReport::KEPT`] bad rows.
    pub bad: Vec<BadRow>,
    /// All bad rows.
    pub bad_count: u64,
    /// How rows were mapped or why some were left out on purpose (not errors).
    pub notes: Vec<String>,
}

impl ImportReport {
    /// Bad rows kept with their text; the rest are counted.
    pub const KEPT: usize = 20;

    pub fn new(source: &str, format: TraceFormat) -> Self {
        ImportReport {
            source: source.to_string(),
            format: format.as_str().to_string(),
            ..Default::default()
        }
    }

    /// Records a bad row; under `strict` it is returned as an error instead.
    pub fn bad_row(
        &mut self,
        strict: bool,
        line: u64,
        column: Option<&str>,
        message: String,
    ) -> Result<(), TraceError> {
        self.add_bad(
            strict,
            BadRow {
                line,
                column: column.map(str::to_string),
                message,
            },
        )
    }

    /// Records `bad`; under `strict` it is returned as an error instead.
    pub fn add_bad(&mut self, strict: bool, mut bad: BadRow) -> Result<(), TraceError> {
        if strict {
            bad.message = format!("{} (--strict: any bad row is an error)", bad.message);
            return Err(bad.into_error(&self.source));
        }
        self.bad_count += 1;
        if self.bad.len() < Self::KEPT {
            self.bad.push(bad);
        }
        Ok(())
    }
}

/// Whether a trace row's job ran in the traced cluster, so statistics can tell measured run
/// times from stand-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Ran; its duration is what the trace measured.
    Ran,
    /// Still running when the trace ended: its duration is a lower bound.
    StillRunning,
    /// Never ran (e.g. deleted while pending): its duration is a stand-in.
    NeverRan,
    /// The trace has no times: submit and duration are stand-ins.
    Untimed,
}

impl RunStatus {
    /// The duration came from the trace (complete or cut at its end).
    pub fn has_run_time(self) -> bool {
        matches!(self, RunStatus::Ran | RunStatus::StillRunning)
    }
}

/// One imported job and how it ran in the traced cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub job: TraceJob,
    pub status: RunStatus,
}

/// Not one usable row: a file of another shape rather than a trace with a few bad rows.
pub(crate) fn unusable(report: &ImportReport, format: TraceFormat) -> Option<TraceError> {
    if report.rows == 0 || report.bad_count < report.rows {
        return None;
    }
    let first = report
        .bad
        .first()
        .map(|b| b.to_string())
        .unwrap_or_default();
    Some(TraceError::File {
        source_name: report.source.clone(),
        message: format!(
            "none of its {} rows could be used as {format} rows (the first: {first}); is it a \
             {format} trace? (its columns: {})",
            report.rows,
            format.columns()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_turns_a_bad_row_into_an_error() {
        let mut r = ImportReport::new("t.csv", TraceFormat::Philly);
        r.bad_row(false, 3, Some("duration"), "x is not a number".into())
            .unwrap();
        assert_eq!(r.bad_count, 1);
        let e = r
            .bad_row(true, 4, None, "found 2 fields".into())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.csv:4: found 2 fields (--strict: any bad row is an error)"
        );
        for i in 0..30 {
            r.bad_row(false, 10 + i, None, "bad".into()).unwrap();
        }
        assert_eq!((r.bad_count, r.bad.len()), (31, ImportReport::KEPT));
    }
}
