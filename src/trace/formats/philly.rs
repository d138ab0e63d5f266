//! Importer for the Microsoft Philly job trace as prepared by the Pollux (OSDI'21) artifact:
//! `timestamp, duration, num_gpus, gpu_time, cluster`, one job per row, rows not in time order.
//!
//! The mapping is documented in `docs/TRACE.md` (section "Philly"). The file is read whole and
//! sorted by submit time (stable, so equal times keep file order) before jobs are yielded.

use super::philly_gang::Gangs;
use crate::domain::RequestSpec;
use crate::trace::clock::{Origin, midnight_before, parse_datetime_ms};
use crate::trace::error::TraceError;
use crate::trace::format::TraceFormat;
use crate::trace::job::TraceJob;
use crate::trace::report::{Entry, ImportReport, RunStatus};
use crate::trace::rows::CsvRows;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// Philly mapping options (`map.philly`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PhillyMap {
    /// Namespace of a job = this prefix + its virtual cluster id.
    pub namespace_prefix: String,
    /// Time 0 of the run: midnight before the first submission (keeps hours of the day), or
    /// the first submission.
    pub origin: Origin,
    /// Work = duration × this (e.g. below 1 when the reference GPU is faster than Philly's).
    pub duration_scale: f64,
    /// GPUs of one pod of a wide job: a job asking for more becomes a gang of
    /// ceil(num_gpus / pod_gpus) pods of ceil(num_gpus / pods) GPUs each (docs/TRACE.md).
    /// Left out when serialized at its default, so a scenario's hash does not change with it.
    #[serde(skip_serializing_if = "is_default_pod_gpus")]
    pub pod_gpus: u32,
}

/// A Philly node's GPUs: the default pod size of a wide job.
const DEFAULT_POD_GPUS: u32 = 8;

fn is_default_pod_gpus(n: &u32) -> bool {
    *n == DEFAULT_POD_GPUS
}

impl Default for PhillyMap {
    fn default() -> Self {
        PhillyMap {
            namespace_prefix: "vc-".into(),
            origin: Origin::Midnight,
            duration_scale: 1.0,
            pod_gpus: DEFAULT_POD_GPUS,
        }
    }
}

impl PhillyMap {
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !(self.duration_scale.is_finite() && self.duration_scale > 0.0) {
            out.push((
                "duration_scale".into(),
                format!("{} is not a number > 0", self.duration_scale),
            ));
        }
        if self.pod_gpus == 0 {
            out.push(("pod_gpus".into(), "0 is not a number of GPUs >= 1".into()));
        }
        out
    }
}

const COLUMNS: [&str; 4] = ["timestamp", "duration", "num_gpus", "cluster"];

/// Reads a Philly CSV file.
pub fn import(
    path: &Path,
    opts: &PhillyMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let rows = CsvRows::open(path, &expected())?;
    import_rows(rows, opts, class, strict)
}

/// Reads Philly CSV text from any source (`source` names it in messages).
pub fn import_reader<R: Read>(
    reader: R,
    source: &str,
    opts: &PhillyMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    import_rows(
        CsvRows::from_reader(reader, source, &expected())?,
        opts,
        class,
        strict,
    )
}

fn expected() -> String {
    format!("the Philly format has {}", TraceFormat::Philly.columns())
}

fn import_rows<R: Read>(
    mut rows: CsvRows<R>,
    opts: &PhillyMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let cols: [usize; 4] = rows
        .locate(&COLUMNS, "Philly")?
        .try_into()
        .expect("four columns");
    let cluster = cols[3];
    let width = rows.header.len();
    let class = class.to_string();
    let mut report = ImportReport::new(rows.source(), TraceFormat::Philly);
    // (absolute submit ms, job) in file order.
    let mut parsed: Vec<(i64, TraceJob)> = Vec::new();
    let mut no_cluster = 0u64;
    let mut gangs = Gangs::default();
    let mut ordinal = 0u64;
    while let Some(row) = rows.next_row() {
        let (line, rec) = match row? {
            Ok(r) => r,
            Err(p) => {
                report.rows += 1;
                report.add_bad(strict, p)?;
                continue;
            }
        };
        report.rows += 1;
        let id = ordinal;
        ordinal += 1;
        let (at, duration, count) = match parse_row(rec, cols, width, opts) {
            Ok(v) => v,
            Err((column, m)) => {
                report.bad_row(strict, line, column, m)?;
                continue;
            }
        };
        let namespace = if rec[cluster].is_empty() {
            no_cluster += 1;
            None
        } else {
            Some(format!("{}{}", opts.namespace_prefix, &rec[cluster]))
        };
        let mut job = TraceJob::new(id, 0, class.clone(), duration);
        job.namespace = namespace;
        let (pods, per_pod) = gangs.split(count, opts.pod_gpus);
        job.request = Some(RequestSpec::Gpu { count: per_pod });
        job.pods = pods;
        parsed.push((at, job));
    }
    if no_cluster > 0 {
        report.notes.push(format!(
            "{no_cluster} rows have no cluster: their jobs take the class's namespace"
        ));
    }
    gangs.note(opts.pod_gpus, &mut report);
    let entries = to_entries(parsed, opts.origin, &mut report);
    Ok((entries, report))
}

/// A row's submit time (absolute ms), duration (ms) and GPU count from the columns `cols`
/// (timestamp, duration, num_gpus, cluster), or the column at fault and why.
fn parse_row(
    rec: &csv::StringRecord,
    cols: [usize; 4],
    width: usize,
    opts: &PhillyMap,
) -> Result<(i64, u64, u32), (Option<&'static str>, String)> {
    let [ts, dur, gpus, _] = cols;
    if rec.len() != width {
        return Err((
            None,
            format!("found {} fields but the header has {width}", rec.len()),
        ));
    }
    let at = parse_datetime_ms(&rec[ts]).map_err(|m| (Some("timestamp"), m))?;
    let duration =
        parse_duration(&rec[dur], opts.duration_scale).map_err(|m| (Some("duration"), m))?;
    let count = rec[gpus].parse::<u32>().map_err(|_| {
        (
            Some("num_gpus"),
            format!("`{}` is not a whole number of GPUs", &rec[gpus]),
        )
    })?;
    Ok((at, duration, count))
}

/// Duration seconds × scale as ms; must come to at least 1 ms.
fn parse_duration(text: &str, scale: f64) -> Result<u64, String> {
    let secs: f64 = match text.parse::<f64>() {
        Ok(x) if x.is_finite() => x,
        _ => return Err(format!("`{text}` is not a number of seconds")),
    };
    if secs < 0.0 {
        return Err(format!("{text} is negative"));
    }
    let ms = (secs * scale * 1000.0).round();
    if ms < 1.0 {
        return Err(format!(
            "{text} s is not > 0 (a job must run at least 1 ms)"
        ));
    }
    if ms >= 1e18 {
        return Err(format!("{text} s is too long"));
    }
    Ok(ms as u64)
}

/// Sorts by submit time (stable), sets submit relative to the origin, and notes the order.
fn to_entries(
    mut parsed: Vec<(i64, TraceJob)>,
    origin: Origin,
    report: &mut ImportReport,
) -> Vec<Entry> {
    let out_of_order = parsed.windows(2).filter(|w| w[1].0 < w[0].0).count();
    parsed.sort_by_key(|(t, _)| *t);
    let first = parsed.first().map_or(0, |(t, _)| *t);
    let zero = match origin {
        Origin::First => first,
        Origin::Midnight => midnight_before(first),
    };
    if out_of_order > 0 {
        report.notes.push(format!(
            "rows were not in submit order ({out_of_order} rows earlier than the row above): \
             sorted in memory"
        ));
    }
    if !parsed.is_empty() {
        report.notes.push(format!(
            "time 0 is {} (the first submission is at {} s)",
            match origin {
                Origin::First => "the first submission",
                Origin::Midnight => "midnight before the first submission",
            },
            (first - zero) / 1000
        ));
    }
    report.jobs = parsed.len() as u64;
    parsed
        .into_iter()
        .map(|(t, mut job)| {
            job.submit = (t - zero) as u64;
            Entry {
                job,
                status: RunStatus::Ran,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import_text(text: &str, strict: bool) -> Result<(Vec<Entry>, ImportReport), TraceError> {
        import_reader(
            text.as_bytes(),
            "p.csv",
            &PhillyMap::default(),
            "philly",
            strict,
        )
    }

    const HEAD: &str = "timestamp,duration,num_gpus,gpu_time,cluster\n";

    #[test]
    fn rows_map_to_jobs_sorted_by_submit() {
        // Three jobs out of order; time 0 is midnight of 2017-10-09.
        let text = format!(
            "{HEAD}2017-10-09 07:01:55,66.0,1,66.0,11cb48\n\
             2017-10-09 06:13:03,2951.5,4,11806.0,6214e9\n\
             2017-10-09 07:01:55,10,0,0,\n"
        );
        let (entries, report) = import_text(&text, false).unwrap();
        let jobs: Vec<&TraceJob> = entries.iter().map(|e| &e.job).collect();
        // Sorted: row 1 (06:13:03) first, then rows 0 and 2 (equal times keep file order).
        assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![1, 0, 2]);
        // 06:13:03 = 22 383 s after midnight; 07:01:55 = 25 315 s.
        assert_eq!(jobs[0].submit, 22_383_000);
        assert_eq!(jobs[1].submit, 25_315_000);
        assert_eq!(jobs[0].duration, 2_951_500);
        assert_eq!(jobs[0].request, Some(RequestSpec::Gpu { count: 4 }));
        assert_eq!(jobs[0].namespace.as_deref(), Some("vc-6214e9"));
        assert_eq!(jobs[0].class, "philly");
        // No GPUs: a CPU-only job; no cluster: the class's namespace.
        assert_eq!(jobs[2].request, Some(RequestSpec::Gpu { count: 0 }));
        assert_eq!(jobs[2].namespace, None);
        assert_eq!((report.rows, report.jobs, report.bad_count), (3, 3, 0));
        assert_eq!(
            report.notes,
            vec![
                "1 rows have no cluster: their jobs take the class's namespace",
                "rows were not in submit order (1 rows earlier than the row above): sorted in \
                 memory",
                "time 0 is midnight before the first submission (the first submission is at \
                 22383 s)",
            ]
        );
    }

    #[test]
    fn origin_first_and_options() {
        let map = PhillyMap {
            namespace_prefix: String::new(),
            origin: Origin::First,
            duration_scale: 0.5,
            ..PhillyMap::default()
        };
        let text =
            format!("{HEAD}2017-10-09 07:00:00,100,2,200,ab\n2017-10-09 07:00:10,1,1,1,cd\n");
        let (entries, _) = import_reader(text.as_bytes(), "p.csv", &map, "train", false).unwrap();
        let j: Vec<(u64, u64, &str, Option<&str>)> = entries
            .iter()
            .map(|e| {
                (
                    e.job.submit,
                    e.job.duration,
                    e.job.class.as_str(),
                    e.job.namespace.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            j,
            vec![
                (0, 50_000, "train", Some("ab")),
                (10_000, 500, "train", Some("cd"))
            ]
        );
    }

    #[test]
    fn bad_rows_are_skipped_with_line_and_reason() {
        let text = format!(
            "{HEAD}2017-10-09 07:01:55,66.0,1,66.0,a\n\
             \n\
             2017-10-09,66.0,1,66.0,a\n\
             2017-10-09 07:01:55,-3,1,66.0,a\n\
             2017-10-09 07:01:55,0.0001,1,66.0,a\n\
             2017-10-09 07:01:55,abc,1,66.0,a\n\
             2017-10-09 07:01:55,5,1.5,66.0,a\n\
             2017-10-09 07:01:55,5,1\n\
             2017-10-09 07:01:56,5,2,10,b\n"
        );
        let (entries, report) = import_text(&text, false).unwrap();
        assert_eq!(entries.len(), 2);
        // Ids are data-row ordinals, so skipped rows leave gaps.
        assert_eq!(
            entries.iter().map(|e| e.job.id).collect::<Vec<_>>(),
            vec![0, 7]
        );
        let bad: Vec<String> = report.bad.iter().map(|b| b.to_string()).collect();
        assert_eq!(
            bad,
            vec![
                "line 4: column timestamp: `2017-10-09` is not a date and time like 2017-10-09 \
                 07:01:55 (or with a fraction of a second)",
                "line 5: column duration: -3 is negative",
                "line 6: column duration: 0.0001 s is not > 0 (a job must run at least 1 ms)",
                "line 7: column duration: `abc` is not a number of seconds",
                "line 8: column num_gpus: `1.5` is not a whole number of GPUs",
                "line 9: found 3 fields but the header has 5",
            ]
        );
        assert_eq!((report.rows, report.jobs, report.bad_count), (8, 2, 6));
        let e = import_text(&text, true).err().unwrap().to_string();
        assert_eq!(
            e,
            "p.csv:4: column timestamp: `2017-10-09` is not a date and time like 2017-10-09 \
             07:01:55 (or with a fraction of a second) (--strict: any bad row is an error)"
        );
    }

    #[test]
    fn empty_files_and_wrong_headers_are_clear_errors() {
        let e = import_text("", false).err().unwrap().to_string();
        assert_eq!(
            e,
            "p.csv: the file is empty; expected a header row (the Philly format has timestamp, \
             duration, num_gpus, gpu_time, cluster)"
        );
        let (entries, report) = import_text(HEAD, false).unwrap();
        assert!(entries.is_empty());
        assert_eq!(report.jobs, 0);
        let e = import_text("time,duration,gpus\n1,2,3\n", false)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            "p.csv:1: missing columns `timestamp`, `num_gpus`, `cluster` for the Philly format \
             (its columns: timestamp, duration, num_gpus, cluster; this file has: time, \
             duration, gpus)"
        );
    }

    /// The shared copy of the trace (../shared/traces; absent in a fresh clone).
    #[test]
    fn the_published_trace_matches_its_facts() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/philly/philly.csv");
        if !path.is_file() {
            eprintln!("skipped: {} not found (see README: traces)", path.display());
            return;
        }
        let (entries, report) = import(&path, &PhillyMap::default(), "philly", true).unwrap();
        // SOURCES.md: 82,247 jobs, 15 virtual clusters, 93.2 % single-GPU, up to 128 GPUs.
        assert_eq!(entries.len(), 82_247);
        assert_eq!(report.bad_count, 0);
        let single = entries
            .iter()
            .filter(|e| e.job.request == Some(RequestSpec::Gpu { count: 1 }))
            .count();
        assert_eq!(format!("{:.1}", 100.0 * single as f64 / 82_247.0), "93.2");
        let mut ns: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.job.namespace.as_deref())
            .collect();
        ns.sort_unstable();
        ns.dedup();
        assert_eq!(ns.len(), 15);
        // The widest job: 128 GPUs, a gang of 16 pods of 8.
        let max = entries
            .iter()
            .map(|e| e.job.request.as_ref().unwrap().count() * e.job.pod_count())
            .max();
        assert_eq!(max, Some(128));
        // The 289 jobs of 12 to 128 GPUs (SOURCES.md) are gangs of pods of at most 8.
        let gangs: Vec<_> = entries.iter().filter(|e| e.job.pods.is_some()).collect();
        assert_eq!(gangs.len(), 289);
        assert!(
            gangs
                .iter()
                .all(|e| e.job.request.as_ref().unwrap().count() <= 8)
        );
        assert!(
            entries
                .windows(2)
                .all(|w| w[0].job.submit <= w[1].job.submit)
        );
    }
}
