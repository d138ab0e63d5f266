//! Raw readers for the Alibaba openb GPU-sharing trace (cluster-trace-gpu-v2023): the pod lists
//! (`openb_pod_list_*.csv`) and the node lists (`openb_node_list_*.csv`).
//!
//! These readers return the rows as they are in the file, with every field checked; they apply
//! none of the interpretation a simulator or an experiment needs (which pods are CPU-only, how
//! `gpu_milli` above 1000 is clamped, ...). Columns are found by their header names (ignoring
//! case), so the five-column `multigpu*` pod files (no `gpu_spec`, `qos`, times) read too.
//! Columns the readers do not know are ignored. A malformed row never panics.
//!
//! There is one reader per kind of file, `pod_rows` and `node_rows`: every row, read or
//! with why it cannot be ([`BadRow`]), for callers that report each bad row (the openb
//! importer, `super::import`, and the node-list converter, `scenario::k8s::openb_nodes`).
//! [`read_pods`] and [`read_nodes`] are the fail-fast form (the FGD experiment): the first bad
//! row is the error, naming the file, the 1-based line (the header is line 1) and the column.

use crate::trace::error::{BadRow, TraceError};
use crate::trace::rows::CsvRows;
use std::io::Read;
use std::path::Path;

/// One row of an openb pod list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenbPod {
    pub name: String,
    pub cpu_milli: u64,
    pub memory_mib: u64,
    pub num_gpu: u32,
    /// Per-GPU share in milli-GPU (1000 = a whole GPU), as written.
    pub gpu_milli: u32,
    /// Allowed GPU models (the `|`-separated `gpu_spec`, empty pieces dropped); empty = any.
    pub gpu_spec: Vec<String>,
    pub qos: Option<String>,
    pub pod_phase: Option<String>,
    /// Seconds from the trace start.
    pub creation_time: Option<u64>,
    pub deletion_time: Option<u64>,
    pub scheduled_time: Option<u64>,
    /// 1-based line of the row in its file.
    pub line: u64,
}

/// One row of an openb node list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenbNode {
    /// The `sn` column (`openb-node-NNNN`).
    pub name: String,
    pub cpu_milli: u64,
    pub memory_mib: u64,
    /// The `gpu` column: GPUs on the node.
    pub gpus: u32,
    /// GPU model (P100, T4, V100M16, V100M32, G2, G3, A10); empty for CPU-only nodes.
    pub model: String,
    pub line: u64,
}

/// The columns of a pod list; the first [`POD_REQUIRED`] must be in the header.
pub(crate) const POD_COLUMNS: [&str; 11] = [
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];
pub(crate) const POD_REQUIRED: usize = 5;
/// Where the time columns start in [`POD_COLUMNS`].
const POD_TIMES: usize = 8;

/// The columns of a node list; the first [`NODE_REQUIRED`] must be in the header.
pub(crate) const NODE_COLUMNS: [&str; 5] = ["sn", "cpu_milli", "memory_mib", "gpu", "model"];
const NODE_REQUIRED: usize = 4;

/// How bad rows are worded: the fail-fast readers (the FGD experiment) and the importers
/// (worded like the other trace importers) say some problems differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wording {
    Reader,
    Import,
}

/// What is wrong with a row.
#[derive(Clone, Debug, PartialEq)]
enum Problem {
    /// The row has `found` fields; the header has `header`.
    Width { found: usize, header: usize },
    /// A required field is empty or `nan`; `number`: a whole number was expected.
    Missing { number: bool },
    /// `text` is not a whole number >= 0; `too_large`: it is one, but too large for the column.
    NotWhole { text: String, too_large: bool },
    /// A node with `gpus` GPUs and no model.
    NoModel { gpus: u32 },
}

impl Problem {
    fn message(&self, wording: Wording) -> String {
        match (self, wording) {
            (Problem::Width { found, header }, Wording::Import) => {
                format!("found {found} fields but the header has {header}")
            }
            (
                Problem::NotWhole {
                    text,
                    too_large: false,
                },
                Wording::Import,
            ) => format!("`{text}` is not a whole number >= 0"),
            (
                Problem::NotWhole {
                    text,
                    too_large: true,
                },
                Wording::Import,
            ) => format!("{text} is too large"),
            (p, _) => p.reader_message(),
        }
    }

    /// The fail-fast readers' wording.
    fn reader_message(&self) -> String {
        match self {
            Problem::Width { found, header } => {
                format!("{found} fields, but the header has {header}")
            }
            Problem::Missing { number: false } => "missing value".into(),
            Problem::Missing { number: true } => "missing value (expected a whole number)".into(),
            Problem::NotWhole { text, .. } => {
                format!("`{text}` is not a whole number >= 0 (or is too large)")
            }
            Problem::NoModel { gpus } => {
                format!("missing value: the node has {gpus} GPUs but no model")
            }
        }
    }
}

/// Every row of a file, in file order: read, or why not.
pub(crate) type Rows<T> = Vec<Result<T, BadRow>>;

/// Every row of a pod list, and whether the file has time columns (the `multigpu*` variants
/// have none). Only a header without the required columns, or with a known column twice, or an
/// I/O failure, is an error.
pub(crate) fn pod_rows<R: Read>(
    rows: CsvRows<R>,
    wording: Wording,
) -> Result<(Rows<OpenbPod>, bool), TraceError> {
    let index = locate(&rows, &POD_COLUMNS, POD_REQUIRED)?;
    let timed = index[POD_TIMES..].iter().any(Option::is_some);
    let pods = each_row(rows, &index, &POD_COLUMNS, wording, |row| {
        Ok(OpenbPod {
            name: row.text(0)?,
            cpu_milli: row.int(1)?,
            memory_mib: row.int(2)?,
            num_gpu: row.int(3)?,
            gpu_milli: row.int(4)?,
            gpu_spec: row
                .opt_str(5)
                .map(|s| {
                    s.split('|')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            qos: row.opt_str(6).map(str::to_string),
            pod_phase: row.opt_str(7).map(str::to_string),
            creation_time: row.opt_int(8)?,
            deletion_time: row.opt_int(9)?,
            scheduled_time: row.opt_int(10)?,
            line: row.line,
        })
    })?;
    Ok((pods, timed))
}

/// Every row of a node list (a node with GPUs but no model is a bad row).
pub(crate) fn node_rows<R: Read>(
    rows: CsvRows<R>,
    wording: Wording,
) -> Result<Rows<OpenbNode>, TraceError> {
    let index = locate(&rows, &NODE_COLUMNS, NODE_REQUIRED)?;
    each_row(rows, &index, &NODE_COLUMNS, wording, |row| {
        let gpus: u32 = row.int(3)?;
        let model = row.opt_str(4).unwrap_or("").to_string();
        if gpus > 0 && model.is_empty() {
            return Err(row.bad(4, Problem::NoModel { gpus }));
        }
        Ok(OpenbNode {
            name: row.text(0)?,
            cpu_milli: row.int(1)?,
            memory_mib: row.int(2)?,
            gpus,
            model,
            line: row.line,
        })
    })
}

/// Reads a whole pod list.
pub fn read_pods(path: &Path) -> Result<Vec<OpenbPod>, TraceError> {
    fail_fast(CsvRows::open(path, ""), |rows| {
        Ok(pod_rows(rows, Wording::Reader)?.0)
    })
}

/// Reads a whole node list.
pub fn read_nodes(path: &Path) -> Result<Vec<OpenbNode>, TraceError> {
    fail_fast(CsvRows::open(path, ""), |rows| {
        node_rows(rows, Wording::Reader)
    })
}

/// Reads a pod list from any byte source; `source_name` is used in error messages.
pub fn read_pods_from<R: Read>(reader: R, source_name: &str) -> Result<Vec<OpenbPod>, TraceError> {
    fail_fast(CsvRows::from_reader(reader, source_name, ""), |rows| {
        Ok(pod_rows(rows, Wording::Reader)?.0)
    })
}

/// Reads a node list from any byte source; `source_name` is used in error messages.
pub fn read_nodes_from<R: Read>(
    reader: R,
    source_name: &str,
) -> Result<Vec<OpenbNode>, TraceError> {
    fail_fast(CsvRows::from_reader(reader, source_name, ""), |rows| {
        node_rows(rows, Wording::Reader)
    })
}

/// The rows, or the first bad one as the error.
fn fail_fast<R: Read, T>(
    rows: Result<CsvRows<R>, TraceError>,
    read: impl FnOnce(CsvRows<R>) -> Result<Rows<T>, TraceError>,
) -> Result<Vec<T>, TraceError> {
    let rows = rows.map_err(|e| match e {
        // The only file-level error opening the rows: no header.
        TraceError::File { source_name, .. } => TraceError::File {
            source_name,
            message: "empty file (expected a header row)".into(),
        },
        e => e,
    })?;
    let source = rows.source().to_string();
    read(rows)?
        .into_iter()
        .map(|row| row.map_err(|b| b.into_error(&source)))
        .collect()
}

/// Where each of `columns` sits in the header (names compare ignoring case), or an error for a
/// missing one of the first `required` or a column named twice.
fn locate<R: Read>(
    rows: &CsvRows<R>,
    columns: &[&'static str],
    required: usize,
) -> Result<Vec<Option<usize>>, TraceError> {
    let at = |column: Option<&str>, message: String| TraceError::At {
        source_name: rows.source().to_string(),
        line: 1,
        column: column.map(str::to_string),
        message,
    };
    let mut index = vec![None; columns.len()];
    for (pos, name) in rows.header.iter().enumerate() {
        if let Some(k) = columns.iter().position(|c| c.eq_ignore_ascii_case(name))
            && index[k].replace(pos).is_some()
        {
            return Err(at(
                Some(name),
                "appears more than once in the header".into(),
            ));
        }
    }
    let missing: Vec<&str> = (0..required)
        .filter(|&k| index[k].is_none())
        .map(|k| columns[k])
        .collect();
    if !missing.is_empty() {
        return Err(at(
            None,
            format!(
                "missing column{} {} (expected a header with {})",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                columns[..required].join(",")
            ),
        ));
    }
    Ok(index)
}

/// Reads every data row with `read`; rows that are not text or have the wrong number of fields
/// are bad rows without calling it.
fn each_row<R: Read, T>(
    mut rows: CsvRows<R>,
    index: &[Option<usize>],
    columns: &[&'static str],
    wording: Wording,
    read: impl Fn(&Fields) -> Result<T, BadRow>,
) -> Result<Rows<T>, TraceError> {
    let width = rows.header.len();
    let mut out = Vec::new();
    while let Some(row) = rows.next_row() {
        out.push(match row? {
            Err(b) => Err(b),
            Ok((line, rec)) if rec.len() != width => Err(BadRow {
                line,
                column: None,
                message: Problem::Width {
                    found: rec.len(),
                    header: width,
                }
                .message(wording),
            }),
            Ok((line, rec)) => read(&Fields {
                line,
                rec,
                index,
                columns,
                wording,
            }),
        });
    }
    Ok(out)
}

/// The fields of one data row.
struct Fields<'a> {
    line: u64,
    rec: &'a csv::StringRecord,
    index: &'a [Option<usize>],
    columns: &'a [&'static str],
    wording: Wording,
}

impl Fields<'_> {
    fn bad(&self, col: usize, problem: Problem) -> BadRow {
        BadRow {
            line: self.line,
            column: Some(self.columns[col].to_string()),
            message: problem.message(self.wording),
        }
    }

    /// The field; None where the column is absent or the field is empty or `nan`.
    fn opt_str(&self, col: usize) -> Option<&str> {
        let v = self.index[col].and_then(|i| self.rec.get(i))?;
        (!v.is_empty() && !v.eq_ignore_ascii_case("nan")).then_some(v)
    }

    fn text(&self, col: usize) -> Result<String, BadRow> {
        self.opt_str(col)
            .map(str::to_string)
            .ok_or_else(|| self.bad(col, Problem::Missing { number: false }))
    }

    fn int<T: std::str::FromStr>(&self, col: usize) -> Result<T, BadRow> {
        match self.opt_str(col) {
            None => Err(self.bad(col, Problem::Missing { number: true })),
            Some(v) => parse_int(v).ok_or_else(|| {
                self.bad(
                    col,
                    Problem::NotWhole {
                        text: v.to_string(),
                        too_large: parse_int::<u128>(v).is_some(),
                    },
                )
            }),
        }
    }

    fn opt_int<T: std::str::FromStr>(&self, col: usize) -> Result<Option<T>, BadRow> {
        match self.opt_str(col) {
            None => Ok(None),
            Some(_) => self.int(col).map(Some),
        }
    }
}

/// Whole numbers, also written as `12000.0` (as pandas writes integer columns with gaps).
fn parse_int<T: std::str::FromStr>(v: &str) -> Option<T> {
    let digits = match v.split_once('.') {
        Some((int, frac)) if !int.is_empty() && frac.bytes().all(|b| b == b'0') => int,
        Some(_) => return None,
        None => v,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests;
