//! What an import yields: jobs with how they ran in the traced cluster ([`Entry`]), and the
//! report of rows read, jobs made and rows that could not be used ([`ImportReport`]).

use super::error::{BadRow, TraceError};
use super::format::TraceFormat;
use super::job::TraceJob;
use serde::Serialize;

/// What an import did: rows read, jobs made, rows it could not use (with line numbers and
/// reasons) and notes on how the trace was mapped.
/// Serialized with `used_rows` ([`ImportReport::used_rows`]) after `rows`.
#[derive(Clone, Debug, Default, PartialEq)]
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
    /// Bad rows counted per reason, most frequent first (ties in order of first appearance),
    /// each with its first [`ImportReport::EXAMPLES`] rows.
    pub bad_reasons: Vec<BadReason>,
    /// How rows were mapped or why some were left out on purpose (not errors).
    pub notes: Vec<String>,
}

/// One reason rows were bad: how many, and the first few.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BadReason {
    /// The column, when the reason is about one.
    pub column: Option<String>,
    /// The reason with each row's own value (the text between backticks) written `…`.
    pub reason: String,
    pub count: u64,
    /// The first rows with this reason.
    pub examples: Vec<BadRow>,
}

/// `message` with every backtick-quoted value replaced by `…`: rows that fail the same way
/// on different values share a reason.
fn reason_of(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    // Pairs of (quoted, after); an unmatched backtick keeps its text.
    let mut i = 0;
    while i < rest.len() {
        if i + 1 < rest.len() {
            out.push_str("`…`");
            out.push_str(rest[i + 1]);
        } else {
            out.push('`');
            out.push_str(rest[i]);
        }
        i += 2;
    }
    out
}

impl ImportReport {
    /// Bad rows kept with their text; the rest are counted.
    pub const KEPT: usize = 20;
    /// Example rows kept per reason.
    pub const EXAMPLES: usize = 3;
    /// Distinct reasons kept; the rows of any further reason count under the last one,
    /// "other reasons" (a file of all-different messages cannot grow the report without end).
    pub const REASONS: usize = 50;

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
        self.count_reason(&bad);
        if self.bad.len() < Self::KEPT {
            self.bad.push(bad);
        }
        Ok(())
    }

    fn count_reason(&mut self, bad: &BadRow) {
        let mut reason = reason_of(&bad.message);
        let mut column = bad.column.clone();
        let known = self
            .bad_reasons
            .iter()
            .position(|r| r.reason == reason && r.column == column);
        let i = match known {
            Some(i) => i,
            None if self.bad_reasons.len() + 1 < Self::REASONS => {
                self.bad_reasons.push(BadReason {
                    column,
                    reason,
                    ..Default::default()
                });
                self.bad_reasons.len() - 1
            }
            None => {
                (reason, column) = ("other reasons".to_string(), None);
                match self.bad_reasons.iter().position(|r| r.reason == reason) {
                    Some(i) => i,
                    None => {
                        self.bad_reasons.push(BadReason {
                            column,
                            reason,
                            ..Default::default()
                        });
                        self.bad_reasons.len() - 1
                    }
                }
            }
        };
        let r = &mut self.bad_reasons[i];
        r.count += 1;
        if r.examples.len() < Self::EXAMPLES {
            r.examples.push(bad.clone());
        }
        // Most frequent first; a stable sort keeps ties in order of first appearance.
        let mut j = i;
        while j > 0 && self.bad_reasons[j - 1].count < self.bad_reasons[j].count {
            self.bad_reasons.swap(j - 1, j);
            j -= 1;
        }
    }

    /// Rows used: read and not bad.
    pub fn used_rows(&self) -> u64 {
        self.rows.saturating_sub(self.bad_count)
    }
}

impl Serialize for ImportReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ImportReport", 9)?;
        st.serialize_field("source", &self.source)?;
        st.serialize_field("format", &self.format)?;
        st.serialize_field("rows", &self.rows)?;
        st.serialize_field("used_rows", &self.used_rows())?;
        st.serialize_field("jobs", &self.jobs)?;
        st.serialize_field("bad", &self.bad)?;
        st.serialize_field("bad_count", &self.bad_count)?;
        st.serialize_field("bad_reasons", &self.bad_reasons)?;
        st.serialize_field("notes", &self.notes)?;
        st.end()
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

    #[test]
    fn bad_rows_are_counted_per_reason_with_examples() {
        let mut r = ImportReport::new("t.csv", TraceFormat::Philly);
        // Five float times (values differ, reason the same), two short rows, one of another
        // column.
        for (i, v) in ["3973.0000000000005", "1.5", "2.25", "7.1", "8.9"]
            .iter()
            .enumerate()
        {
            r.bad_row(
                false,
                2 + i as u64,
                Some("duration"),
                format!("`{v}` is not a whole number"),
            )
            .unwrap();
        }
        r.bad_row(false, 8, None, "found 2 fields but the header has 3".into())
            .unwrap();
        r.bad_row(false, 9, None, "found 2 fields but the header has 3".into())
            .unwrap();
        r.bad_row(false, 10, Some("gpus"), "`x` is not a number".into())
            .unwrap();
        r.rows = 20;
        assert_eq!((r.rows, r.used_rows(), r.bad_count), (20, 12, 8));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["used_rows"], 12);
        assert_eq!(json["bad_reasons"][0]["count"], 5);
        assert_eq!(json["bad_reasons"][0]["examples"][0]["line"], 2);
        let got: Vec<(Option<&str>, &str, u64, usize)> = r
            .bad_reasons
            .iter()
            .map(|b| {
                (
                    b.column.as_deref(),
                    b.reason.as_str(),
                    b.count,
                    b.examples.len(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("duration"), "`…` is not a whole number", 5, 3),
                (None, "found 2 fields but the header has 3", 2, 2),
                (Some("gpus"), "`…` is not a number", 1, 1),
            ]
        );
        assert_eq!(r.bad_reasons[0].examples[0].line, 2);
        assert_eq!(r.bad_reasons[0].examples[2].line, 4);
    }

    #[test]
    fn reasons_beyond_the_cap_count_as_other_reasons() {
        let mut r = ImportReport::new("t.csv", TraceFormat::Philly);
        // 60 distinct reasons: 49 kept, the other 11 under "other reasons" (REASONS = 50).
        for i in 0..60u64 {
            r.bad_row(false, i + 2, None, format!("reason {i}"))
                .unwrap();
        }
        assert_eq!(r.bad_reasons.len(), ImportReport::REASONS);
        // The 11 pooled rows outnumber every single reason: listed first.
        assert_eq!(r.bad_reasons[0].reason, "other reasons");
        assert_eq!(r.bad_reasons[0].count, 11);
        assert_eq!(r.bad_reasons.iter().map(|b| b.count).sum::<u64>(), 60);
        assert_eq!(reason_of("a `x` b `y` c `z"), "a `…` b `…` c `z");
    }
}
