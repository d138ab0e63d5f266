//! Reading CSV rows with their true line numbers: the plumbing every trace reader shares.

use super::error::{BadRow, TraceError};
use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Passes bytes through to the CSV parser while noting where lines end, so that rows get true
/// line numbers. (The csv crate's own line count is off after CRLF line ends and skipped blank
/// lines.) Only newlines the parser has buffered but not yet passed are kept: memory stays
/// bounded by its buffer, not the file.
pub(crate) struct LineTracker<R> {
    inner: R,
    /// Bytes passed through so far.
    offset: u64,
    /// Offset just after the latest byte that is neither `\r` nor `\n`.
    content_end: u64,
    /// Each newline not yet accounted for: its offset, and `content_end` when it was seen.
    pub(crate) newlines: VecDeque<(u64, u64)>,
    /// 1-based line number of the first byte after the newlines already popped.
    line: u64,
}

impl<R> LineTracker<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineTracker {
            inner,
            offset: 0,
            content_end: 0,
            newlines: VecDeque::new(),
            line: 1,
        }
    }

    /// The line of the record the parser reports at byte `start` (the position right after
    /// the previous record). The parser silently skips empty lines (`\r` only counts as empty)
    /// and reports the position before them, so those are stepped over here.
    fn line_at(&mut self, start: u64) -> u64 {
        while let Some(&(nl, _)) = self.newlines.front()
            && nl < start
        {
            self.newlines.pop_front();
            self.line += 1;
        }
        let mut start = start;
        while let Some(&(nl, content_end)) = self.newlines.front()
            && content_end <= start
        {
            self.newlines.pop_front();
            self.line += 1;
            start = nl + 1;
        }
        self.line
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            match b {
                b'\n' => self.newlines.push_back((self.offset, self.content_end)),
                b'\r' => {}
                _ => self.content_end = self.offset + 1,
            }
            self.offset += 1;
        }
        Ok(n)
    }
}

pub(crate) fn record_line<R: Read>(
    csv: &mut csv::Reader<LineTracker<R>>,
    rec: &csv::StringRecord,
) -> u64 {
    let start = rec.position().map_or(0, |p| p.byte());
    csv.get_mut().line_at(start)
}

pub(crate) fn error_line<R: Read>(csv: &mut csv::Reader<LineTracker<R>>, e: &csv::Error) -> u64 {
    let start = e.position().map_or(0, |p| p.byte());
    csv.get_mut().line_at(start)
}

/// A CSV file read row by row with true line numbers: the header is read on opening, blank
/// lines are skipped, and a row that is not valid UTF-8 is a [`BadRow`] (the rows after it
/// can still be read). Only I/O failures end the file.
pub(crate) struct CsvRows<R: Read> {
    csv: csv::Reader<LineTracker<R>>,
    source: String,
    /// Column names as written (trimmed, without a byte-order mark).
    pub header: Vec<String>,
    record: csv::StringRecord,
}

impl CsvRows<File> {
    pub fn open(path: &Path, expected: &str) -> Result<Self, TraceError> {
        let source = path.display().to_string();
        let file = File::open(path).map_err(|error| TraceError::Io {
            source_name: source.clone(),
            error,
        })?;
        CsvRows::from_reader(file, &source, expected)
    }
}

impl<R: Read> CsvRows<R> {
    /// Reads the header. An empty file (no header) is an error that says what was expected:
    /// `expected` names the format's columns.
    pub fn from_reader(reader: R, source: &str, expected: &str) -> Result<Self, TraceError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(LineTracker::new(reader));
        let mut header = csv::StringRecord::new();
        let file_error = |message: String| TraceError::File {
            source_name: source.to_string(),
            message,
        };
        match csv.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(file_error(format!(
                    "the file is empty; expected a header row ({expected})"
                )));
            }
            Err(e) => {
                let line = error_line(&mut csv, &e);
                return Err(match e.into_kind() {
                    csv::ErrorKind::Io(error) => TraceError::Io {
                        source_name: source.to_string(),
                        error,
                    },
                    _ => TraceError::At {
                        source_name: source.to_string(),
                        line,
                        column: None,
                        message: "the header row is not valid UTF-8 text".to_string(),
                    },
                });
            }
        }
        let header = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if i == 0 {
                    h.trim_start_matches('\u{feff}').trim().to_string()
                } else {
                    h.trim().to_string()
                }
            })
            .collect();
        Ok(CsvRows {
            csv,
            source: source.to_string(),
            header,
            record: csv::StringRecord::new(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The next data row and its line, a problem with one row, or an I/O error (fatal).
    #[allow(clippy::type_complexity)]
    pub fn next_row(
        &mut self,
    ) -> Option<Result<Result<(u64, &csv::StringRecord), BadRow>, TraceError>> {
        loop {
            match self.csv.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = record_line(&mut self.csv, &self.record);
                    if self.record.len() == 1 && self.record[0].is_empty() {
                        continue;
                    }
                    return Some(Ok(Ok((line, &self.record))));
                }
                Err(e) => {
                    let line = error_line(&mut self.csv, &e);
                    return Some(match e.into_kind() {
                        csv::ErrorKind::Io(error) => Err(TraceError::Io {
                            source_name: self.source.clone(),
                            error,
                        }),
                        csv::ErrorKind::Utf8 { err, .. } => Ok(Err(BadRow {
                            line,
                            column: self.header.get(err.field()).cloned(),
                            message: "is not valid UTF-8 text".to_string(),
                        })),
                        other => Ok(Err(BadRow {
                            line,
                            column: None,
                            message: format!("{other:?}"),
                        })),
                    });
                }
            }
        }
    }

    /// Where each of `wanted` sits in the header (names compare ignoring case), or an error
    /// naming the missing ones and the columns the format has.
    pub fn locate(&self, wanted: &[&str], format: &str) -> Result<Vec<usize>, TraceError> {
        let find = |name: &str| {
            self.header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
        };
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| find(w).is_none())
            .map(|w| format!("`{w}`"))
            .collect();
        if !missing.is_empty() {
            return Err(TraceError::At {
                source_name: self.source.clone(),
                line: 1,
                column: None,
                message: format!(
                    "missing column{} {} for the {format} format (its columns: {}; this file \
                     has: {})",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    wanted.join(", "),
                    self.header.join(", ")
                ),
            });
        }
        Ok(wanted.iter().map(|w| find(w).expect("checked")).collect())
    }
}
