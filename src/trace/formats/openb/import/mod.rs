//! Mapping of the Alibaba openb (cluster-trace-gpu-v2023) pod lists onto slicesim: pods →
//! [`TraceJob`]s. The mapping is documented in `docs/TRACE.md` (section "openb"). (Node lists
//! become scenario pools in `scenario::k8s::openb_nodes`.)
//!
//! The rows are read by the shared openb reader ([`lists::pod_rows`], no mapping decisions),
//! worded the way the other trace importers word their bad rows; each is reported with its line.

use super::lists::{self, Wording};
use crate::trace::error::TraceError;
use crate::trace::format::TraceFormat;
use crate::trace::job::{RequestSpec, TraceJob};
use crate::trace::report::{Entry, ImportReport, RunStatus};
use crate::trace::rows::CsvRows;
use crate::units::Dur;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// What to do with pods that never ran (no `scheduled_time`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeverRan {
    /// Leave them out of runs and conversions (`trace stats` still counts them).
    #[default]
    Skip,
    /// Replay them, running for as long as they existed (deletion − creation).
    Lifetime,
}

/// How a fractional share (`gpu_milli` < 1000) is requested.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FractionalAs {
    /// A milli share on fractional pools (`gpu_milli` of each of `num_gpu` GPUs).
    #[default]
    Milli,
    /// `nvidia.com/gpu: num_gpu`: a replica on time-sliced pools, a whole GPU on exclusive ones.
    Gpu,
}

/// The kinds of openb pods, for `classes`.
pub const POD_KINDS: [&str; 4] = ["cpu", "fractional", "whole", "multi"];

/// The `qos` values the trace uses.
pub const QOS_VALUES: [&str; 4] = ["LS", "BE", "Burstable", "Guaranteed"];

/// openb mapping options (`map.openb`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenbMap {
    pub never_ran: NeverRan,
    pub fractional_as: FractionalAs,
    /// Class per kind of pod (`cpu`, `fractional`, `whole`, `multi`); kinds not listed take
    /// `map.class` (default `openb`).
    pub classes: BTreeMap<String, String>,
    /// Priority class per `qos` value; values not listed keep their own name as the priority
    /// class, and an empty name means the class default.
    pub qos_priority: BTreeMap<String, String>,
    /// Files without time columns (the `multigpu*` variants): pod *i* is submitted at
    /// *i* × this ...
    pub untimed_interval: Dur,
    /// ... and runs this long.
    pub untimed_duration: Dur,
}

impl Default for OpenbMap {
    fn default() -> Self {
        OpenbMap {
            never_ran: NeverRan::Skip,
            fractional_as: FractionalAs::Milli,
            classes: BTreeMap::new(),
            qos_priority: BTreeMap::new(),
            untimed_interval: Dur(0),
            untimed_duration: Dur(365 * 86_400_000),
        }
    }
}

impl OpenbMap {
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in &self.classes {
            if !POD_KINDS.contains(&k.as_str()) {
                out.push((
                    format!("classes.{k}"),
                    format!("unknown pod kind (the kinds are {})", POD_KINDS.join(", ")),
                ));
            } else if v.trim().is_empty() {
                out.push((format!("classes.{k}"), "is empty; name a class".into()));
            }
        }
        if self.untimed_duration.ms() == 0 {
            out.push(("untimed_duration".into(), "must be longer than 0".into()));
        }
        out
    }

    /// The priority class of pods with `qos` (None = the class default).
    pub fn priority_of(&self, qos: &str) -> Option<String> {
        let name = self
            .qos_priority
            .get(qos)
            .map_or(qos, String::as_str)
            .trim();
        (!name.is_empty()).then(|| name.to_string())
    }

    /// Priority classes pods of the documented `qos` values map to.
    pub fn priority_classes(&self) -> Vec<String> {
        let mut v: Vec<String> = QOS_VALUES
            .iter()
            .filter_map(|q| self.priority_of(q))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

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
    let default_class = class.to_string();
    let mut qos_unknown: BTreeMap<String, u64> = BTreeMap::new();
    let mut entries: Vec<(u64, Entry)> = Vec::new();
    let mut no_id = 0u64;
    for (ordinal, pod) in pods.into_iter().enumerate() {
        let pod = match pod {
            Ok(p) => p,
            Err(b) => {
                report.add_bad(strict, b)?;
                continue;
            }
        };
        let line = pod.line;
        let mut bad =
            |column: &str, message: String| report.bad_row(strict, line, Some(column), message);
        // Request.
        let request = if pod.num_gpu == 0 {
            RequestSpec::Gpu { count: 0 }
        } else if pod.gpu_milli == 0 || pod.gpu_milli > 1000 {
            bad(
                "gpu_milli",
                format!(
                    "{} is not in 1..=1000 for a pod with {} GPU{}",
                    pod.gpu_milli,
                    pod.num_gpu,
                    if pod.num_gpu == 1 { "" } else { "s" }
                ),
            )?;
            continue;
        } else if pod.gpu_milli == 1000 || opts.fractional_as == FractionalAs::Gpu {
            RequestSpec::Gpu { count: pod.num_gpu }
        } else {
            RequestSpec::Milli {
                milli: pod.gpu_milli,
                count: pod.num_gpu,
            }
        };
        // Times.
        let (submit_s, duration_ms, status) = if !timed {
            (0, opts.untimed_duration.ms(), RunStatus::Untimed)
        } else {
            let Some(created) = pod.creation_time else {
                bad("creation_time", "missing (every pod needs one)".into())?;
                continue;
            };
            match pod.scheduled_time {
                Some(started) => {
                    if started < created {
                        bad(
                            "scheduled_time",
                            format!("{started} is before creation_time {created}"),
                        )?;
                        continue;
                    }
                    let (stop, status) = match pod.deletion_time {
                        Some(d)
                            if Some(d) == end && pod.pod_phase.as_deref() == Some("Running") =>
                        {
                            (d, RunStatus::StillRunning)
                        }
                        Some(d) => (d, RunStatus::Ran),
                        // Never deleted: running to the end of the trace.
                        None => (end.unwrap_or(started).max(started), RunStatus::StillRunning),
                    };
                    if stop <= started {
                        bad(
                            "deletion_time",
                            format!(
                                "{stop} is not after scheduled_time {started}: the pod ran for no time"
                            ),
                        )?;
                        continue;
                    }
                    (created, (stop - started) * 1000, status)
                }
                None => {
                    // Never ran: it existed from creation to deletion (at least 1 s).
                    let lifetime = pod
                        .deletion_time
                        .map_or(0, |d| d.saturating_sub(created))
                        .max(1);
                    (created, lifetime * 1000, RunStatus::NeverRan)
                }
            }
        };
        let id = id_of(&pod.name).unwrap_or_else(|| {
            no_id += 1;
            ordinal as u64
        });
        let kind = kind_of(pod.num_gpu, pod.gpu_milli);
        let class = opts
            .classes
            .get(kind)
            .cloned()
            .unwrap_or_else(|| default_class.clone());
        let mut job = TraceJob::new(id, submit_s * 1000, class, duration_ms);
        job.request = Some(request);
        if pod.num_gpu > 0 {
            job.gpu_models = pod.gpu_spec;
            job.gpu_models.sort();
            job.gpu_models.dedup();
        }
        if let Some(qos) = pod.qos {
            if !QOS_VALUES.contains(&qos.as_str()) && !opts.qos_priority.contains_key(&qos) {
                *qos_unknown.entry(qos.clone()).or_default() += 1;
            }
            job.priority_class = opts.priority_of(&qos);
        }
        entries.push((ordinal as u64, Entry { job, status }));
    }
    // Untimed pods arrive one after another in file order.
    if !timed {
        for (i, (_, e)) in entries.iter_mut().enumerate() {
            e.job.submit = i as u64 * opts.untimed_interval.ms();
        }
    }
    let out_of_order = entries
        .windows(2)
        .filter(|w| w[1].1.job.submit < w[0].1.job.submit)
        .count();
    entries.sort_by_key(|(ordinal, e)| (e.job.submit, *ordinal));
    let count = |s: RunStatus| entries.iter().filter(|(_, e)| e.status == s).count();
    let (never, still) = (count(RunStatus::NeverRan), count(RunStatus::StillRunning));
    if out_of_order > 0 {
        report.notes.push(format!(
            "rows were not in creation-time order ({out_of_order} rows earlier than the row \
             above): sorted in memory"
        ));
    }
    if !timed {
        report.notes.push(format!(
            "the file has no time columns: pod i is submitted at i x {} and runs {}",
            opts.untimed_interval, opts.untimed_duration
        ));
    }
    if never > 0 {
        report.notes.push(match opts.never_ran {
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
    if still > 0 {
        report.notes.push(format!(
            "{still} pods were still running at the trace's end ({} s): their run time is cut \
             there",
            end.unwrap_or(0)
        ));
    }
    if no_id > 0 {
        report.notes.push(format!(
            "{no_id} pod names do not end in a number: their ids are their row numbers"
        ));
    }
    for (q, n) in &qos_unknown {
        report.notes.push(format!(
            "{n} pods have qos `{q}`, which the trace documents no meaning for: priority class \
             `{q}` unless map.openb.qos_priority maps it"
        ));
    }
    report.jobs = (entries.len()
        - if opts.never_ran == NeverRan::Skip {
            never
        } else {
            0
        }) as u64;
    Ok((entries.into_iter().map(|(_, e)| e).collect(), report))
}

#[cfg(test)]
mod tests;
