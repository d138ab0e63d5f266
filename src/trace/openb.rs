//! Raw readers for the Alibaba openb GPU-sharing trace (cluster-trace-gpu-v2023): the pod lists
//! (`openb_pod_list_*.csv`) and the node lists (`openb_node_list_*.csv`).
//!
//! These readers return the rows as they are in the file, with every field checked; they apply
//! none of the interpretation a simulator or an experiment needs (which pods are CPU-only, how
//! `gpu_milli` above 1000 is clamped, ...). Columns are found by their header names, so the
//! five-column `multigpu*` pod files (no `gpu_spec`, `qos`, times) read too. Columns the readers
//! do not know are ignored. Errors name the file, the 1-based line (the header is line 1) and the
//! column; a malformed row never panics.

use super::TraceError;
use std::fs::File;
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

const POD_COLUMNS: [&str; 11] = [
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
const POD_REQUIRED: usize = 5;

const NODE_COLUMNS: [&str; 5] = ["sn", "cpu_milli", "memory_mib", "gpu", "model"];
const NODE_REQUIRED: usize = 4;

/// Reads a whole pod list.
pub fn read_pods(path: &Path) -> Result<Vec<OpenbPod>, TraceError> {
    let (file, name) = open(path)?;
    read_pods_from(file, &name)
}

/// Reads a whole node list.
pub fn read_nodes(path: &Path) -> Result<Vec<OpenbNode>, TraceError> {
    let (file, name) = open(path)?;
    read_nodes_from(file, &name)
}

fn open(path: &Path) -> Result<(File, String), TraceError> {
    let name = path.display().to_string();
    match File::open(path) {
        Ok(f) => Ok((f, name)),
        Err(error) => Err(TraceError::Io {
            source_name: name,
            error,
        }),
    }
}

/// Reads a pod list from any byte source; `source_name` is used in error messages.
pub fn read_pods_from<R: Read>(reader: R, source_name: &str) -> Result<Vec<OpenbPod>, TraceError> {
    let mut t = Table::open(reader, source_name, &POD_COLUMNS, POD_REQUIRED)?;
    let mut pods = Vec::new();
    while let Some(line) = t.next_row()? {
        let row = Row { t: &t, line };
        pods.push(OpenbPod {
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
            line,
        });
    }
    Ok(pods)
}

/// Reads a node list from any byte source; `source_name` is used in error messages.
pub fn read_nodes_from<R: Read>(
    reader: R,
    source_name: &str,
) -> Result<Vec<OpenbNode>, TraceError> {
    let mut t = Table::open(reader, source_name, &NODE_COLUMNS, NODE_REQUIRED)?;
    let mut nodes = Vec::new();
    while let Some(line) = t.next_row()? {
        let row = Row { t: &t, line };
        let gpus: u32 = row.int(3)?;
        let model = row.opt_str(4).unwrap_or("").to_string();
        if gpus > 0 && model.is_empty() {
            return Err(row.err(
                4,
                format!("missing value: the node has {gpus} GPUs but no model"),
            ));
        }
        nodes.push(OpenbNode {
            name: row.text(0)?,
            cpu_milli: row.int(1)?,
            memory_mib: row.int(2)?,
            gpus,
            model,
            line,
        });
    }
    Ok(nodes)
}

/// A CSV file whose columns are found by header name.
struct Table<'c, R: Read> {
    csv: csv::Reader<R>,
    source: String,
    columns: &'c [&'static str],
    /// Position of each known column in the file's rows.
    index: Vec<Option<usize>>,
    width: usize,
    rec: csv::StringRecord,
}

impl<'c, R: Read> Table<'c, R> {
    fn open(
        reader: R,
        source: &str,
        columns: &'c [&'static str],
        required: usize,
    ) -> Result<Self, TraceError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let mut header = csv::StringRecord::new();
        let file_err = |message: String| TraceError::File {
            source_name: source.to_string(),
            message,
        };
        match csv.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(file_err("empty file (expected a header row)".into())),
            Err(e) => return Err(csv_error(source, e, 1)),
        }
        let mut index = vec![None; columns.len()];
        for (pos, raw) in header.iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim();
            if let Some(k) = columns.iter().position(|c| *c == name) {
                if index[k].is_some() {
                    return Err(TraceError::At {
                        source_name: source.to_string(),
                        line: 1,
                        column: Some(name.to_string()),
                        message: "appears more than once in the header".into(),
                    });
                }
                index[k] = Some(pos);
            }
        }
        let missing: Vec<&str> = (0..required)
            .filter(|&k| index[k].is_none())
            .map(|k| columns[k])
            .collect();
        if !missing.is_empty() {
            return Err(TraceError::At {
                source_name: source.to_string(),
                line: 1,
                column: None,
                message: format!(
                    "missing column{} {} (expected a header with {})",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    columns[..required].join(",")
                ),
            });
        }
        Ok(Table {
            csv,
            source: source.to_string(),
            columns,
            index,
            width: header.len(),
            rec: csv::StringRecord::new(),
        })
    }

    /// Advances to the next data row; returns its line, or None at the end of the file.
    fn next_row(&mut self) -> Result<Option<u64>, TraceError> {
        loop {
            let before = self.csv.position().line();
            match self.csv.read_record(&mut self.rec) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => return Err(csv_error(&self.source, e, before)),
            }
            let line = self.rec.position().map_or(before, |p| p.line());
            // A blank line (a lone empty field) is skipped, like the csv crate does by default.
            if self.rec.len() == 1 && self.rec.get(0) == Some("") {
                continue;
            }
            if self.rec.len() != self.width {
                return Err(TraceError::At {
                    source_name: self.source.clone(),
                    line,
                    column: None,
                    message: format!(
                        "{} fields, but the header has {}",
                        self.rec.len(),
                        self.width
                    ),
                });
            }
            return Ok(Some(line));
        }
    }
}

/// The current row of a table.
struct Row<'t, 'c, R: Read> {
    t: &'t Table<'c, R>,
    line: u64,
}

impl<R: Read> Row<'_, '_, R> {
    fn err(&self, col: usize, message: String) -> TraceError {
        TraceError::At {
            source_name: self.t.source.clone(),
            line: self.line,
            column: Some(self.t.columns[col].to_string()),
            message,
        }
    }

    fn opt_str(&self, col: usize) -> Option<&str> {
        let v = self.t.index[col].and_then(|i| self.t.rec.get(i))?;
        (!v.is_empty() && !v.eq_ignore_ascii_case("nan")).then_some(v)
    }

    fn text(&self, col: usize) -> Result<String, TraceError> {
        self.opt_str(col)
            .map(str::to_string)
            .ok_or_else(|| self.err(col, "missing value".into()))
    }

    fn int<T: std::str::FromStr>(&self, col: usize) -> Result<T, TraceError> {
        match self.opt_str(col) {
            None => Err(self.err(col, "missing value (expected a whole number)".into())),
            Some(v) => parse_int(v).ok_or_else(|| {
                self.err(
                    col,
                    format!("`{v}` is not a whole number >= 0 (or is too large)"),
                )
            }),
        }
    }

    fn opt_int<T: std::str::FromStr>(&self, col: usize) -> Result<Option<T>, TraceError> {
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

fn csv_error(source: &str, e: csv::Error, fallback_line: u64) -> TraceError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    TraceError::At {
        source_name: source.to_string(),
        line,
        column: None,
        message: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
            _ => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
openb-pod-0009,12000,16384,1,460,V100M16|V100M32,LS,Running,4975773,12902960,
openb-pod-0010,4000,0,0,0,,BE,Pending,5,,
";

    #[test]
    fn reads_full_pod_rows() {
        let pods = read_pods_from(PODS.as_bytes(), "p.csv").unwrap();
        assert_eq!(pods.len(), 3);
        let p = &pods[1];
        assert_eq!(p.name, "openb-pod-0009");
        assert_eq!(
            (p.cpu_milli, p.memory_mib, p.num_gpu, p.gpu_milli),
            (12000, 16384, 1, 460)
        );
        assert_eq!(
            p.gpu_spec,
            vec!["V100M16".to_string(), "V100M32".to_string()]
        );
        assert_eq!(p.qos.as_deref(), Some("LS"));
        assert_eq!(p.pod_phase.as_deref(), Some("Running"));
        assert_eq!(p.creation_time, Some(4975773));
        assert_eq!(p.deletion_time, Some(12902960));
        assert_eq!(p.scheduled_time, None);
        assert_eq!(p.line, 3);
        assert!(pods[0].gpu_spec.is_empty());
        assert_eq!(pods[2].deletion_time, None);
        assert_eq!(pods[2].memory_mib, 0);
    }

    #[test]
    fn reads_five_column_pod_rows() {
        let text =
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,12000,16384,8,1000\n";
        let pods = read_pods_from(text.as_bytes(), "m.csv").unwrap();
        assert_eq!(pods[0].num_gpu, 8);
        assert_eq!(pods[0].qos, None);
        assert!(pods[0].gpu_spec.is_empty());
        assert_eq!(pods[0].creation_time, None);
    }

    #[test]
    fn reads_nodes() {
        let text = "sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0000,32000,262144,0,\nopenb-node-0001,96000,393216,8,G2\n";
        let nodes = read_nodes_from(text.as_bytes(), "n.csv").unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].model, "");
        assert_eq!(nodes[0].gpus, 0);
        assert_eq!(nodes[1].name, "openb-node-0001");
        assert_eq!(
            (nodes[1].cpu_milli, nodes[1].memory_mib, nodes[1].gpus),
            (96000, 393216, 8)
        );
        assert_eq!(nodes[1].model, "G2");
        assert_eq!(nodes[1].line, 3);
    }

    fn err_text<T: std::fmt::Debug>(r: Result<T, TraceError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn malformed_rows_are_errors_with_line_and_column() {
        let bad_cpu = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,2,1,100\nb,-4,2,1,100\n";
        assert_eq!(
            err_text(read_pods_from(bad_cpu.as_bytes(), "p.csv")),
            "p.csv:3: column cpu_milli: `-4` is not a whole number >= 0 (or is too large)"
        );
        let short = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,2,1\n";
        assert_eq!(
            err_text(read_pods_from(short.as_bytes(), "p.csv")),
            "p.csv:2: 4 fields, but the header has 5"
        );
        let missing = "name,cpu_milli,num_gpu,gpu_milli\n";
        assert_eq!(
            err_text(read_pods_from(missing.as_bytes(), "p.csv")),
            "p.csv:1: missing column memory_mib (expected a header with name,cpu_milli,memory_mib,num_gpu,gpu_milli)"
        );
        let empty_gpu = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,2,,100\n";
        assert_eq!(
            err_text(read_pods_from(empty_gpu.as_bytes(), "p.csv")),
            "p.csv:2: column num_gpu: missing value (expected a whole number)"
        );
        let bad_time =
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time\na,1,2,1,100,soon\n";
        assert!(
            err_text(read_pods_from(bad_time.as_bytes(), "p.csv"))
                .starts_with("p.csv:2: column creation_time:")
        );
        let no_model = "sn,cpu_milli,memory_mib,gpu,model\nn,1,2,4,\n";
        assert_eq!(
            err_text(read_nodes_from(no_model.as_bytes(), "n.csv")),
            "n.csv:2: column model: missing value: the node has 4 GPUs but no model"
        );
        assert_eq!(
            err_text(read_nodes_from(&b""[..], "n.csv")),
            "n.csv: empty file (expected a header row)"
        );
        let bad_utf8: &[u8] = b"sn,cpu_milli,memory_mib,gpu,model\nn,1,2,4,\xff\n";
        assert!(err_text(read_nodes_from(bad_utf8, "n.csv")).starts_with("n.csv:2:"));
        let dup = "sn,sn,cpu_milli,memory_mib,gpu\n";
        assert_eq!(
            err_text(read_nodes_from(dup.as_bytes(), "n.csv")),
            "n.csv:1: column sn: appears more than once in the header"
        );
        assert!(matches!(
            read_pods(Path::new("/nonexistent/x.csv")),
            Err(TraceError::Io { .. })
        ));
    }

    #[test]
    fn integer_spellings() {
        assert_eq!(parse_int::<u64>("12000.0"), Some(12000));
        assert_eq!(parse_int::<u64>("12000.5"), None);
        assert_eq!(parse_int::<u64>("1e3"), None);
        assert_eq!(parse_int::<u32>("99999999999"), None);
        assert_eq!(parse_int::<u32>(".0"), None);
    }

    /// The real files, when the shared folder is present.
    #[test]
    fn reads_the_shared_openb_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/openb");
        if !dir.exists() {
            eprintln!("notice: {} absent; skipping", dir.display());
            return;
        }
        let nodes = read_nodes(&dir.join("openb_node_list_gpu_node.csv")).unwrap();
        assert_eq!(nodes.len(), 1213);
        assert_eq!(nodes.iter().map(|n| u64::from(n.gpus)).sum::<u64>(), 6212);
        let all = read_nodes(&dir.join("openb_node_list_all_node.csv")).unwrap();
        assert_eq!(all.iter().filter(|n| n.gpus == 0).count(), 310);
        let pods = read_pods(&dir.join("openb_pod_list_default.csv")).unwrap();
        assert_eq!(pods.len(), 8152);
        let multi = read_pods(&dir.join("openb_pod_list_multigpu50.csv")).unwrap();
        assert_eq!(multi.len(), 9061);
        assert!(multi.iter().all(|p| p.qos.is_none()));
    }
}
