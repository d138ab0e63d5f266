//! Mapping of the Alibaba openb (cluster-trace-gpu-v2023) pod lists onto slicesim: pods →
//! [`TraceJob`]s. The mapping is documented in `docs/TRACE.md` (section "openb"). (Node lists
//! become scenario pools in `scenario::k8s::openb_nodes`.)
//!
//! The rows are read by the shared openb reader (`lists::pod_rows`, no mapping decisions),
//! worded the way the other trace importers word their bad rows; each is reported with its line.

use super::lists::{self, OpenbPod, Wording};
use super::map::{FractionalAs, NeverRan, OpenbMap, QOS_VALUES};
use crate::domain::{HostRequest, RequestSpec};
use crate::limits::{MAX_TRACE_SPAN_MS, exceeds};
use crate::trace::error::TraceError;
use crate::trace::format::TraceFormat;
use crate::trace::job::TraceJob;
use crate::trace::report::{Entry, ImportReport, RunStatus};
use crate::trace::rows::CsvRows;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

fn pods_expected() -> String {
    format!("an openb pod list has {}", TraceFormat::Openb.columns())
}

/// Reads an openb pod list (see the module docs for the mapping).
pub fn import(
    path: &Path,
    opts: &OpenbMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    import_rows(CsvRows::open(path, &pods_expected())?, opts, class, strict)
}

/// Reads pod-list text from any source (`source` names it in messages).
pub fn import_reader<R: Read>(
    reader: R,
    source: &str,
    opts: &OpenbMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    import_rows(
        CsvRows::from_reader(reader, source, &pods_expected())?,
        opts,
        class,
        strict,
    )
}

/// The pod's id: the number its name ends with (`openb-pod-0042` → 42).
fn id_of(name: &str) -> Option<u64> {
    let digits: &str = name.rsplit(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// The kind of a pod's request (see [`POD_KINDS`]).
fn kind_of(num_gpu: u32, milli: u32) -> &'static str {
    match (num_gpu, milli) {
        (0, _) => "cpu",
        (1, m) if m < 1000 => "fractional",
        (1, _) => "whole",
        _ => "multi",
    }
}

fn import_rows<R: Read>(
    rows: CsvRows<R>,
    opts: &OpenbMap,
    class: &str,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let mut report = ImportReport::new(rows.source(), TraceFormat::Openb);
    // The columns after the five required ones come all together or not at all (the
    // `multigpu*` variants).
    let (required, optional) = lists::POD_COLUMNS.split_at(lists::POD_REQUIRED);
    rows.locate(required, "openb pod list")?;
    if optional
        .iter()
        .any(|c| rows.header.iter().any(|h| h.eq_ignore_ascii_case(c)))
    {
        rows.locate(&lists::POD_COLUMNS, "openb pod list")?;
    }
    let (pods, timed) = lists::pod_rows(rows, Wording::Import)?;
    report.rows = pods.len() as u64;
    // The trace's end: its latest deletion time. Pods still running then were cut there.
    let end = pods
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .filter_map(|p| p.deletion_time)
        .max();
    let mut tally = Tally {
        timed,
        end,
        ..Tally::default()
    };
    let mut entries: Vec<(u64, Entry)> = Vec::new();
    for (ordinal, pod) in pods.into_iter().enumerate() {
        let pod = match pod {
            Ok(p) => p,
            Err(b) => {
                report.add_bad(strict, b)?;
                continue;
            }
        };
        let mapped = request_of(&pod, opts)
            .and_then(|request| Ok((request, times_of(&pod, timed, end, opts)?)));
        let (request, times) = match mapped {
            Ok(m) => m,
            Err((column, message)) => {
                report.bad_row(strict, pod.line, Some(column), message)?;
                continue;
            }
        };
        let entry = entry_of(pod, ordinal as u64, request, times, opts, class, &mut tally);
        entries.push((ordinal as u64, entry));
    }
    // Untimed pods arrive one after another in file order, within the trace span limit (wide
    // arithmetic: 10^6 pods x a huge interval does not wrap).
    if !timed {
        let last = u128::from(opts.untimed_interval.ms()) * entries.len().saturating_sub(1) as u128;
        if last > u128::from(MAX_TRACE_SPAN_MS) {
            return Err(TraceError::File {
                source_name: report.source.clone(),
                message: exceeds(
                    &format!(
                        "the last untimed pod's submit time ({} pods x untimed_interval {})",
                        entries.len(),
                        opts.untimed_interval
                    ),
                    crate::units::Dur(u64::try_from(last).unwrap_or(u64::MAX)),
                    crate::units::Dur(MAX_TRACE_SPAN_MS),
                ),
            });
        }
        for (i, (_, e)) in entries.iter_mut().enumerate() {
            e.job.submit = i as u64 * opts.untimed_interval.ms();
        }
    }
    tally.out_of_order = entries
        .windows(2)
        .filter(|w| w[1].1.job.submit < w[0].1.job.submit)
        .count();
    entries.sort_by_key(|(ordinal, e)| (e.job.submit, *ordinal));
    let count = |s: RunStatus| entries.iter().filter(|(_, e)| e.status == s).count();
    (tally.never, tally.still) = (count(RunStatus::NeverRan), count(RunStatus::StillRunning));
    report.notes.extend(notes(&tally, opts));
    report.jobs = (entries.len()
        - if opts.never_ran == NeverRan::Skip {
            tally.never
        } else {
            0
        }) as u64;
    Ok((entries.into_iter().map(|(_, e)| e).collect(), report))
}

/// A problem with one field of a pod: (column, message).
type FieldProblem = (&'static str, String);

/// What the import notes about the pods as a whole.
#[derive(Default)]
struct Tally {
    /// The file has time columns.
    timed: bool,
    /// The trace's end (latest deletion time, s).
    end: Option<u64>,
    out_of_order: usize,
    never: usize,
    still: usize,
    /// Pods whose name ends in no number.
    no_id: u64,
    /// Pods per `qos` value the trace documents no meaning for.
    qos_unknown: BTreeMap<String, u64>,
}

/// The pod's request.
fn request_of(pod: &OpenbPod, opts: &OpenbMap) -> Result<RequestSpec, FieldProblem> {
    Ok(if pod.num_gpu == 0 {
        RequestSpec::Gpu { count: 0 }
    } else if pod.gpu_milli == 0 || pod.gpu_milli > 1000 {
        return Err((
            "gpu_milli",
            format!(
                "{} is not in 1..=1000 for a pod with {} GPU{}",
                pod.gpu_milli,
                pod.num_gpu,
                if pod.num_gpu == 1 { "" } else { "s" }
            ),
        ));
    } else if pod.gpu_milli == 1000 || opts.fractional_as == FractionalAs::Gpu {
        RequestSpec::Gpu { count: pod.num_gpu }
    } else {
        RequestSpec::Milli {
            milli: pod.gpu_milli,
            count: pod.num_gpu,
        }
    })
}

/// The pod's submit time (s), duration (ms) and how it ran; `end` is the trace's end.
fn times_of(
    pod: &OpenbPod,
    timed: bool,
    end: Option<u64>,
    opts: &OpenbMap,
) -> Result<(u64, u64, RunStatus), FieldProblem> {
    if !timed {
        return Ok((0, opts.untimed_duration.ms(), RunStatus::Untimed));
    }
    let Some(created) = pod.creation_time else {
        return Err(("creation_time", "missing (every pod needs one)".into()));
    };
    // Seconds from the trace's start, at most the trace span limit (so s x 1000 never wraps).
    let limit_s = MAX_TRACE_SPAN_MS / 1000;
    for (column, t) in [
        ("creation_time", Some(created)),
        ("scheduled_time", pod.scheduled_time),
        ("deletion_time", pod.deletion_time),
    ] {
        if let Some(t) = t
            && t > limit_s
        {
            return Err((
                column,
                exceeds(column, format!("{t} s"), format!("{limit_s} s (20 years)")),
            ));
        }
    }
    match pod.scheduled_time {
        Some(started) => {
            if started < created {
                return Err((
                    "scheduled_time",
                    format!("{started} is before creation_time {created}"),
                ));
            }
            let (stop, status) = match pod.deletion_time {
                Some(d) if Some(d) == end && pod.pod_phase.as_deref() == Some("Running") => {
                    (d, RunStatus::StillRunning)
                }
                Some(d) => (d, RunStatus::Ran),
                // Never deleted: running to the end of the trace.
                None => (end.unwrap_or(started).max(started), RunStatus::StillRunning),
            };
            if stop <= started {
                return Err((
                    "deletion_time",
                    format!(
                        "{stop} is not after scheduled_time {started}: the pod ran for no time"
                    ),
                ));
            }
            Ok((created, (stop - started) * 1000, status))
        }
        None => {
            // Never ran: it existed from creation to deletion (at least 1 s).
            let lifetime = pod
                .deletion_time
                .map_or(0, |d| d.saturating_sub(created))
                .max(1);
            Ok((created, lifetime * 1000, RunStatus::NeverRan))
        }
    }
}

/// The job of a pod whose request and times are known (`times` as [`times_of`] gives them).
fn entry_of(
    pod: OpenbPod,
    ordinal: u64,
    request: RequestSpec,
    (submit_s, duration_ms, status): (u64, u64, RunStatus),
    opts: &OpenbMap,
    default_class: &str,
    tally: &mut Tally,
) -> Entry {
    let id = id_of(&pod.name).unwrap_or_else(|| {
        tally.no_id += 1;
        ordinal
    });
    let kind = kind_of(pod.num_gpu, pod.gpu_milli);
    let class = opts
        .classes
        .get(kind)
        .cloned()
        .unwrap_or_else(|| default_class.to_string());
    let mut job = TraceJob::new(id, submit_s * 1000, class, duration_ms);
    job.request = Some(request);
    // The pod's CPU and memory requests (cpu_milli, memory_mib).
    job.host = HostRequest {
        cpu_milli: Some(pod.cpu_milli),
        mem_bytes: Some(pod.memory_mib.saturating_mul(1 << 20)),
    };
    if pod.num_gpu > 0 {
        job.gpu_models = pod.gpu_spec;
        job.gpu_models.sort();
        job.gpu_models.dedup();
    }
    if let Some(qos) = pod.qos {
        if !QOS_VALUES.contains(&qos.as_str()) && !opts.qos_priority.contains_key(&qos) {
            *tally.qos_unknown.entry(qos.clone()).or_default() += 1;
        }
        job.priority_class = opts.priority_of(&qos);
    }
    Entry { job, status }
}

/// How the pods were mapped, for the report.
fn notes(t: &Tally, opts: &OpenbMap) -> Vec<String> {
    let mut notes = Vec::new();
    if t.out_of_order > 0 {
        notes.push(format!(
            "rows were not in creation-time order ({} rows earlier than the row above): sorted \
             in memory",
            t.out_of_order
        ));
    }
    if !t.timed {
        notes.push(format!(
            "the file has no time columns: pod i is submitted at i x {} and runs {}",
            opts.untimed_interval, opts.untimed_duration
        ));
    }
    if t.never > 0 {
        let never = t.never;
        notes.push(match opts.never_ran {
            NeverRan::Skip => format!(
                "{never} pods never ran (no scheduled_time): left out of runs (counted by trace \
                 stats; set map.openb.never_ran: lifetime to replay them)"
            ),
            NeverRan::Lifetime => format!(
                "{never} pods never ran (no scheduled_time): replayed for their lifetime \
                 (deletion - creation)"
            ),
        });
    }
    if t.still > 0 {
        notes.push(format!(
            "{} pods were still running at the trace's end ({} s): their run time is cut there",
            t.still,
            t.end.unwrap_or(0)
        ));
    }
    if t.no_id > 0 {
        notes.push(format!(
            "{} pod names do not end in a number: their ids are their row numbers",
            t.no_id
        ));
    }
    for (q, n) in &t.qos_unknown {
        notes.push(format!(
            "{n} pods have qos `{q}`, which the trace documents no meaning for: priority class \
             `{q}` unless map.openb.qos_priority maps it"
        ));
    }
    notes
}

#[cfg(test)]
mod tests;
