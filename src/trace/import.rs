//! What every importer shares: the formats, the mapping options a scenario or `--map` file
//! gives, the report of rows that could not be used, and one entry point that opens a trace of
//! any format as a stream of jobs in submit order.
//!
//! The native format streams straight from the file. The public formats are converted in
//! memory (Philly and openb rows are not in submit order, and an Azure LLM request log becomes
//! one job per service), which is fine for traces of up to a few million rows; the simulator
//! still pulls the resulting jobs one at a time.

use super::azure_llm::{self, AzureLlmMap};
use super::import_openb::{self, OpenbMap};
use super::philly::{self, PhillyMap};
use super::{NativeReader, TraceError, TraceJob};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The trace formats slicesim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceFormat {
    /// slicesim's own CSV (docs/TRACE.md).
    #[default]
    Native,
    /// Alibaba cluster-trace-gpu-v2023 pod lists.
    Openb,
    /// Microsoft Philly jobs as prepared by the Pollux artifact.
    Philly,
    /// Azure LLM inference request logs (2023).
    AzureLlm,
}

impl TraceFormat {
    pub const ALL: [TraceFormat; 4] = [
        TraceFormat::Native,
        TraceFormat::Openb,
        TraceFormat::Philly,
        TraceFormat::AzureLlm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TraceFormat::Native => "native",
            TraceFormat::Openb => "openb",
            TraceFormat::Philly => "philly",
            TraceFormat::AzureLlm => "azure-llm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The columns that identify the format (shown in messages).
    pub fn columns(self) -> &'static str {
        match self {
            TraceFormat::Native => "id, submit, class, duration, ... (docs/TRACE.md)",
            TraceFormat::Openb => {
                "name, cpu_milli, memory_mib, num_gpu, gpu_milli[, gpu_spec, qos, pod_phase, \
                 creation_time, deletion_time, scheduled_time]"
            }
            TraceFormat::Philly => "timestamp, duration, num_gpus, gpu_time, cluster",
            TraceFormat::AzureLlm => "TIMESTAMP, ContextTokens, GeneratedTokens",
        }
    }

    /// The class imported jobs get when the mapping names none.
    pub fn default_class(self) -> &'static str {
        match self {
            TraceFormat::Native => "",
            TraceFormat::Openb => "openb",
            TraceFormat::Philly => "philly",
            TraceFormat::AzureLlm => "llm",
        }
    }
}

impl std::fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a public trace maps onto slicesim's jobs. Written under `workload.map` in a scenario or
/// in a YAML file given to `--map`; every field has a documented default (docs/TRACE.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportMap {
    /// Workload class of every imported job; default: `openb`, `philly` or `llm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    pub openb: OpenbMap,
    pub philly: PhillyMap,
    pub azure_llm: AzureLlmMap,
}

impl ImportMap {
    /// The class for jobs of `format` (the mapping's, else the format's default).
    pub fn class_for(&self, format: TraceFormat) -> String {
        self.class
            .clone()
            .unwrap_or_else(|| format.default_class().to_string())
    }

    /// Every problem with the mapping as (field path, message); empty = usable.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(c) = &self.class
            && c.trim().is_empty()
        {
            out.push(("class".into(), "is empty; name a workload class".into()));
        }
        for (f, m) in self.openb.problems() {
            out.push((format!("openb.{f}"), m));
        }
        for (f, m) in self.philly.problems() {
            out.push((format!("philly.{f}"), m));
        }
        for (f, m) in self.azure_llm.problems() {
            out.push((format!("azure_llm.{f}"), m));
        }
        out
    }

    /// Workload classes the imported jobs of `format` may name (for scenario checks).
    pub fn classes_used(&self, format: TraceFormat) -> Vec<String> {
        let mut v = vec![self.class_for(format)];
        if format == TraceFormat::Openb {
            v.extend(self.openb.classes.values().cloned());
        }
        v.sort();
        v.dedup();
        v.retain(|c| !c.is_empty());
        v
    }

    /// Priority classes the imported jobs of `format` may name (for scenario checks).
    pub fn priority_classes_used(&self, format: TraceFormat) -> Vec<String> {
        match format {
            TraceFormat::Openb => self.openb.priority_classes(),
            _ => Vec::new(),
        }
    }

    /// Reads a mapping from a YAML file (`--map`).
    pub fn load(path: &Path) -> Result<ImportMap, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let map: ImportMap =
            serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let problems = map.problems();
        if problems.is_empty() {
            Ok(map)
        } else {
            let list: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            Err(format!("{}: {}", path.display(), list.join("; ")))
        }
    }
}

/// Where imported times start: at the first record, or at midnight before it (which keeps
/// the trace's hours of the day, since simulated time 0 is taken as 00:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    First,
    Midnight,
}

/// One row an importer could not use.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BadRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}: column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

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
        if strict {
            return Err(TraceError::At {
                source_name: self.source.clone(),
                line,
                column: column.map(str::to_string),
                message: format!("{message} (--strict: any bad row is an error)"),
            });
        }
        self.bad_count += 1;
        if self.bad.len() < Self::KEPT {
            self.bad.push(BadRow {
                line,
                column: column.map(str::to_string),
                message,
            });
        }
        Ok(())
    }

    /// The report as lines of text for a terminal.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{} ({}): {} rows, {} jobs, {} bad row{}\n",
            self.source,
            self.format,
            self.rows,
            self.jobs,
            self.bad_count,
            if self.bad_count == 1 { "" } else { "s" }
        );
        for b in &self.bad {
            s.push_str(&format!("  skipped {b}\n"));
        }
        if self.bad_count > self.bad.len() as u64 {
            s.push_str(&format!(
                "  ... and {} more bad rows\n",
                self.bad_count - self.bad.len() as u64
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        s
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

/// A job stream with its import report.
pub struct Opened {
    pub format: TraceFormat,
    /// Every row that made a job, in submit order (including jobs the mapping leaves out of
    /// runs, such as openb pods that never ran; see [`Opened::into_jobs`]).
    pub entries: Box<dyn Iterator<Item = Result<Entry, TraceError>>>,
    /// Complete for in-memory importers; for the native format (which streams and stops at
    /// its first bad row) only the source and format are set.
    pub report: ImportReport,
    /// Whether entries that never ran are replayed (openb `never_ran: lifetime`).
    keep_never_ran: bool,
}

impl Opened {
    /// The jobs a run or a conversion uses: entries that never ran are dropped unless the
    /// mapping keeps them.
    pub fn into_jobs(self) -> impl Iterator<Item = Result<TraceJob, TraceError>> {
        let keep = self.keep_never_ran;
        self.entries.filter_map(move |e| match e {
            Ok(e) if e.status == RunStatus::NeverRan && !keep => None,
            Ok(e) => Some(Ok(e.job)),
            Err(e) => Some(Err(e)),
        })
    }
}

/// Opens `path` as a trace of `format` (or of the format its header shows, when `None`).
/// Under `strict`, any bad row is an error; otherwise bad rows are skipped and listed in the
/// report.
pub fn open(
    path: &Path,
    format: Option<TraceFormat>,
    map: &ImportMap,
    strict: bool,
) -> Result<Opened, TraceError> {
    let format = match format {
        Some(f) => f,
        None => detect(path)?,
    };
    let source = path.display().to_string();
    let in_memory = |(entries, report): (Vec<Entry>, ImportReport)| {
        if let Some(e) = unusable(&report, format) {
            return Err(e);
        }
        Ok(Opened {
            format,
            entries: Box::new(entries.into_iter().map(Ok)),
            report,
            keep_never_ran: map.openb.never_ran == import_openb::NeverRan::Lifetime,
        })
    };
    Ok(match format {
        TraceFormat::Native => {
            let reader = NativeReader::open(path)?;
            Opened {
                format,
                entries: Box::new(reader.map(|r| {
                    r.map(|job| Entry {
                        job,
                        status: RunStatus::Ran,
                    })
                })),
                report: ImportReport::new(&source, format),
                keep_never_ran: true,
            }
        }
        TraceFormat::Philly => in_memory(philly::import(path, map, strict)?)?,
        TraceFormat::Openb => in_memory(import_openb::import(path, map, strict)?)?,
        TraceFormat::AzureLlm => in_memory(azure_llm::import(path, map, strict)?)?,
    })
}

/// Converts a trace of any format to the native format at `out` (through a temporary file in
/// the same folder, so a failed conversion leaves nothing behind). Returns the import report.
pub fn convert(
    input: &Path,
    format: Option<TraceFormat>,
    map: &ImportMap,
    strict: bool,
    out: &Path,
) -> Result<ImportReport, String> {
    let opened = open(input, format, map, strict).map_err(|e| e.to_string())?;
    let streaming = opened.format == TraceFormat::Native;
    let mut report = opened.report.clone();
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile_in(dir, out)?;
    let result = (|| -> Result<u64, String> {
        let file = std::fs::File::create(&tmp)
            .map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
        let mut w =
            super::NativeWriter::new(std::io::BufWriter::new(file)).map_err(|e| e.to_string())?;
        for job in opened.into_jobs() {
            w.write(&job.map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        }
        let n = w.written();
        w.finish().map_err(|e| e.to_string())?;
        Ok(n)
    })();
    match result {
        Ok(n) => {
            std::fs::rename(&tmp, out)
                .map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
            if streaming {
                report.rows = n;
            }
            report.jobs = n;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A path next to `out` for writing before the final rename.
fn tempfile_in(dir: &Path, out: &Path) -> Result<std::path::PathBuf, String> {
    let name = out
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", out.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    Ok(dir.join(tmp_name))
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

/// Tells a trace's format from its header row.
pub fn detect(path: &Path) -> Result<TraceFormat, TraceError> {
    use std::io::BufRead;
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| TraceError::Io {
        source_name: source.clone(),
        error,
    })?;
    let mut header = String::new();
    let mut reader = std::io::BufReader::new(file);
    loop {
        header.clear();
        let n = reader
            .read_line(&mut header)
            .map_err(|error| TraceError::Io {
                source_name: source.clone(),
                error,
            })?;
        if n == 0 {
            return Err(TraceError::File {
                source_name: source,
                message: "the file is empty; cannot tell its format (expected a header row)".into(),
            });
        }
        if !header.trim().is_empty() {
            break;
        }
    }
    detect_header(&header).map_err(|message| TraceError::File {
        source_name: source,
        message,
    })
}

/// The format a header line belongs to, or a message listing the known headers.
pub fn detect_header(header: &str) -> Result<TraceFormat, String> {
    let cols: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .trim()
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |names: &[&str]| names.iter().all(|n| cols.iter().any(|c| c == n));
    if has(&["id", "submit", "class", "duration"]) {
        Ok(TraceFormat::Native)
    } else if has(&["name", "num_gpu", "gpu_milli"]) {
        Ok(TraceFormat::Openb)
    } else if has(&["timestamp", "contexttokens", "generatedtokens"]) {
        Ok(TraceFormat::AzureLlm)
    } else if has(&["timestamp", "duration", "num_gpus"]) {
        Ok(TraceFormat::Philly)
    } else if has(&["sn", "gpu", "model"]) {
        Err(
            "this is an openb node list, not a job trace: turn it into pools with \
             `slicesim trace pools FILE`"
                .into(),
        )
    } else {
        let known: Vec<String> = TraceFormat::ALL
            .iter()
            .map(|f| format!("{f} ({})", f.columns()))
            .collect();
        let shown: String = header.trim().chars().take(120).collect();
        Err(format!(
            "cannot tell the trace format from the header `{shown}`; known formats: {}. Pass \
             the format explicitly (--format), or convert the trace to the native format",
            known.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_tell_the_format() {
        let cases = [
            ("id,submit,class,duration", TraceFormat::Native),
            ("\u{feff}duration, class ,id,submit,u", TraceFormat::Native),
            (
                "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,\
                 creation_time,deletion_time,scheduled_time",
                TraceFormat::Openb,
            ),
            (
                "name,cpu_milli,memory_mib,num_gpu,gpu_milli",
                TraceFormat::Openb,
            ),
            (
                "timestamp,duration,num_gpus,gpu_time,cluster",
                TraceFormat::Philly,
            ),
            (
                "TIMESTAMP,ContextTokens,GeneratedTokens\r\n",
                TraceFormat::AzureLlm,
            ),
        ];
        for (h, f) in cases {
            assert_eq!(detect_header(h), Ok(f), "{h}");
        }
        assert!(
            detect_header("sn,cpu_milli,memory_mib,gpu,model")
                .unwrap_err()
                .contains("openb node list")
        );
        let e = detect_header("job_id,user,submit_time,gpu_num").unwrap_err();
        assert!(
            e.starts_with(
                "cannot tell the trace format from the header `job_id,user,submit_time,gpu_num`"
            ),
            "{e}"
        );
        assert!(e.contains("philly (timestamp, duration"), "{e}");
    }

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
        assert!(r.render().contains("... and 11 more bad rows"));
    }

    /// The mapping example in docs/TRACE.md parses and is valid.
    #[test]
    fn the_documented_mapping_example_is_valid() {
        let doc = include_str!("../../docs/TRACE.md");
        let at = doc.find("**Mapping options**").expect("section");
        let start = doc[at..].find("```yaml\n").unwrap() + at + 8;
        let len = doc[start..].find("```").unwrap();
        let map: ImportMap = serde_saphyr::from_str(&doc[start..start + len]).unwrap();
        assert!(map.problems().is_empty(), "{:?}", map.problems());
        assert_eq!(map.class.as_deref(), Some("train"));
        // Every other value shown is the default.
        assert_eq!(map.philly, PhillyMap::default());
        assert_eq!(map.azure_llm, AzureLlmMap::default());
        assert_eq!(map.openb.never_ran, import_openb::NeverRan::Skip);
        assert_eq!(map.openb.priority_classes(), vec!["high", "low", "mid"]);
    }

    #[test]
    fn formats_parse_and_print() {
        for f in TraceFormat::ALL {
            assert_eq!(TraceFormat::parse(f.as_str()), Some(f));
        }
        assert_eq!(TraceFormat::parse("azure_llm"), None);
    }
}
