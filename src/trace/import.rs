//! The dispatcher: the mapping options a scenario or `--map` file gives (composed of each
//! format's own), and one entry point that opens a trace of any format as a stream of jobs in
//! submit order, or converts it to the native format.
//!
//! The native format streams straight from the file. The public formats are converted in
//! memory (Philly and openb rows are not in submit order, and an Azure LLM request log becomes
//! one job per service), which is fine for traces of up to a few million rows; the simulator
//! still pulls the resulting jobs one at a time.

use super::error::TraceError;
use super::format::{TraceFormat, detect};
use super::formats::azure_llm::{self, AzureLlmMap};
use super::formats::native::{NativeReader, NativeWriter};
use super::formats::openb::{self, NeverRan, OpenbMap};
use super::formats::philly::{self, PhillyMap};
use super::job::TraceJob;
use super::report::{Entry, ImportReport, RunStatus, unusable};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How a public trace maps onto slicesim's jobs. Written under `workload.map` in a scenario or
/// in a YAML file given to `--map`; every field has a documented default (docs/TRACE.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
        let map: ImportMap = serde_saphyr::from_str(&text).map_err(|e| {
            format!(
                "{}: {}",
                path.display(),
                crate::yaml::message_in(&e, &path.display().to_string())
            )
        })?;
        let problems = map.problems();
        if problems.is_empty() {
            Ok(map)
        } else {
            let list: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            Err(format!("{}: {}", path.display(), list.join("; ")))
        }
    }
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
    let class = map.class_for(format);
    let in_memory = |(entries, report): (Vec<Entry>, ImportReport)| {
        if let Some(e) = unusable(&report, format) {
            return Err(e);
        }
        Ok(Opened {
            format,
            entries: Box::new(entries.into_iter().map(Ok)),
            report,
            keep_never_ran: map.openb.never_ran == NeverRan::Lifetime,
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
        TraceFormat::Philly => in_memory(philly::import(path, &map.philly, &class, strict)?)?,
        TraceFormat::Openb => in_memory(openb::import::import(path, &map.openb, &class, strict)?)?,
        TraceFormat::AzureLlm => {
            in_memory(azure_llm::import(path, &map.azure_llm, &class, strict)?)?
        }
    })
}

/// Converts a trace of any format to the native format at `out`, atomically
/// (`crate::outfile`: a failed conversion leaves nothing behind). Returns the import report.
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
    let file = crate::outfile::AtomicFile::create(out)?;
    let mut w = NativeWriter::new(file).map_err(|e| e.to_string())?;
    for job in opened.into_jobs() {
        w.write(&job.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let n = w.written();
    w.into_inner().map_err(|e| e.to_string())?.commit()?;
    if streaming {
        report.rows = n;
    }
    report.jobs = n;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(map.openb.never_ran, NeverRan::Skip);
        assert_eq!(map.openb.priority_classes(), vec!["high", "low", "mid"]);
    }

    /// The scenario's `map:` composes the formats' own maps; its checks name the full path.
    #[test]
    fn the_map_composes_the_format_maps() {
        let map: ImportMap = serde_saphyr::from_str(
            "class: pods
openb:
  classes: {fractional: notebook, multi: train}
",
        )
        .unwrap();
        assert_eq!(
            map.classes_used(TraceFormat::Openb),
            vec!["notebook", "pods", "train"]
        );
        assert_eq!(map.classes_used(TraceFormat::Philly), vec!["pods"]);
        let bad: ImportMap =
            serde_saphyr::from_str("openb: {classes: {gpu: x}, untimed_duration: 0}").unwrap();
        let fields: Vec<String> = bad.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["openb.classes.gpu", "openb.untimed_duration"]);
    }
}
