//! Streaming reader of native CSV traces.

use super::layout::Layout;
use super::values::ms_to_secs_text;
use super::{COLUMNS, SUBMIT};
use crate::trace::error::{BadRow, TraceError};
use crate::trace::job::TraceJob;
use crate::trace::rows::{LineTracker, error_line, record_line};
use crate::units::SimTime;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Reads a native CSV trace lazily, yielding one [`TraceJob`] per row.
///
/// Only the current row is held in memory. Iteration stops after the first error (the error is
/// yielded, then `None`), because later rows of a broken file would only repeat or mask it.
pub struct NativeReader<R: Read> {
    pub(super) csv: csv::Reader<LineTracker<R>>,
    source: String,
    layout: Layout,
    record: csv::StringRecord,
    /// Submit time and line of the previous row, to enforce submit order.
    previous: Option<(SimTime, u64)>,
    done: bool,
}

impl NativeReader<File> {
    /// Opens a trace file; errors name `path`.
    pub fn open(path: &Path) -> Result<NativeReader<File>, TraceError> {
        let source = path.display().to_string();
        let file = File::open(path).map_err(|error| TraceError::Io {
            source_name: source.clone(),
            error,
        })?;
        NativeReader::from_reader(file, &source)
    }
}

impl<R: Read> NativeReader<R> {
    /// Reads a trace from any byte source. `source_name` is used in error messages (a path, or
    /// something like `<stdin>`). The header is read here, so a file with a bad header fails
    /// before any job is produced.
    pub fn from_reader(reader: R, source_name: &str) -> Result<NativeReader<R>, TraceError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::new(reader));
        let source = source_name.to_string();
        let mut header = csv::StringRecord::new();
        match csv.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(TraceError::File {
                    source_name: source,
                    message: format!(
                        "the file is empty; expected a header row naming the columns (at least \
                         id, submit, class, duration; all columns: {})",
                        COLUMNS.join(", ")
                    ),
                });
            }
            Err(e) => {
                let line = error_line(&mut csv, &e);
                return Err(csv_error(&source, e, line, None));
            }
        }
        let line = record_line(&mut csv, &header);
        let layout = Layout::from_header(&header).map_err(|message| TraceError::At {
            source_name: source.clone(),
            line,
            column: None,
            message,
        })?;
        Ok(NativeReader {
            csv,
            source,
            layout,
            record: csv::StringRecord::new(),
            previous: None,
            done: false,
        })
    }

    /// The name used for this trace in error messages.
    pub fn source_name(&self) -> &str {
        &self.source
    }

    /// A bad row; the native reader stops at the first one.
    fn at(&self, line: u64, column: Option<&str>, message: String) -> TraceError {
        BadRow {
            line,
            column: column.map(str::to_string),
            message,
        }
        .into_error(&self.source)
    }

    fn next_job(&mut self) -> Option<Result<TraceJob, TraceError>> {
        loop {
            match self.csv.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    let line = error_line(&mut self.csv, &e);
                    return Some(Err(csv_error(&self.source, e, line, Some(&self.layout))));
                }
            }
            let line = record_line(&mut self.csv, &self.record);
            // A line of only spaces is a single empty field: treat it like a blank line.
            if self.record.len() == 1 && self.record[0].trim().is_empty() {
                continue;
            }
            if self.record.len() != self.layout.width {
                let message = format!(
                    "found {} fields but the header has {} (a value containing a comma must be \
                     in double quotes)",
                    self.record.len(),
                    self.layout.width
                );
                return Some(Err(self.at(line, None, message)));
            }
            let job = match self.layout.parse(&self.record) {
                Ok(job) => job,
                Err((column, message)) => return Some(Err(self.at(line, column, message))),
            };
            if let Some((prev, prev_line)) = self.previous
                && job.submit < prev
            {
                let message = format!(
                    "{} is earlier than {} on line {prev_line}; rows must be in submit order \
                     (sort the file by the submit column)",
                    self.layout.get(&self.record, SUBMIT),
                    ms_to_secs_text(prev),
                );
                return Some(Err(self.at(line, Some("submit"), message)));
            }
            self.previous = Some((job.submit, line));
            return Some(Ok(job));
        }
    }
}

impl<R: Read> Iterator for NativeReader<R> {
    type Item = Result<TraceJob, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_job();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl<R: Read> std::iter::FusedIterator for NativeReader<R> {}

/// Translates a csv-crate error into one that names the file, line and column.
pub(super) fn csv_error(
    source: &str,
    e: csv::Error,
    line: u64,
    layout: Option<&Layout>,
) -> TraceError {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(error) => TraceError::Io {
            source_name: source.to_string(),
            error,
        },
        csv::ErrorKind::Utf8 { err, .. } => {
            let column = layout.and_then(|l| {
                l.index
                    .iter()
                    .position(|i| *i == Some(err.field()))
                    .map(|k| COLUMNS[k].to_string())
            });
            let message = match &column {
                Some(_) => "is not valid UTF-8 (save the file as UTF-8)".to_string(),
                None => format!(
                    "field {} is not valid UTF-8 (save the file as UTF-8)",
                    err.field() + 1
                ),
            };
            TraceError::At {
                source_name: source.to_string(),
                line,
                column,
                message,
            }
        }
        // Not expected when reading into strings with `flexible`, but never lose the text.
        _ => TraceError::At {
            source_name: source.to_string(),
            line,
            column: None,
            message: text,
        },
    }
}
