//! Mapping of the Alibaba openb (cluster-trace-gpu-v2023) pod and node lists onto slicesim:
//! pods → [`TraceJob`]s, node lists → pools and custom GPU models. The mapping is documented in
//! `docs/TRACE.md` (section "openb").
//!
//! The rows are read by the shared openb reader (`src/trace/openb.rs`: [`openb::pod_rows`] /
//! [`openb::node_rows`], no mapping decisions); this module words its bad rows the way the other
//! trace importers do and reports each one with its line.

use super::import::{Entry, ImportMap, ImportReport, RunStatus, TraceFormat};
use super::openb::{self, BadRow, Problem};
use super::rows::CsvRows;
use super::{TraceError, TraceJob};
use crate::catalog::{Catalog, GpuModel};
use crate::domain::{RequestSpec, Sharing};
use crate::scenario::schema::PoolSpec;
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

/// Reports a row the openb reader could not read, in the wording of the other trace importers.
fn bad_row(report: &mut ImportReport, strict: bool, bad: BadRow) -> Result<(), TraceError> {
    let message = match bad.problem {
        Problem::Width { found, header } => {
            format!("found {found} fields but the header has {header}")
        }
        Problem::NotWhole {
            text,
            too_large: false,
        } => format!("`{text}` is not a whole number >= 0"),
        Problem::NotWhole {
            text,
            too_large: true,
        } => format!("{text} is too large"),
        p => p.message(),
    };
    report.bad_row(strict, bad.line, bad.column.as_deref(), message)
}

fn pods_expected() -> String {
    format!("an openb pod list has {}", TraceFormat::Openb.columns())
}

/// Reads an openb pod list (see the module docs for the mapping).
pub fn import(
    path: &Path,
    map: &ImportMap,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    import_rows(CsvRows::open(path, &pods_expected())?, map, strict)
}

/// Reads pod-list text from any source (`source` names it in messages).
pub fn import_reader<R: Read>(
    reader: R,
    source: &str,
    map: &ImportMap,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    import_rows(
        CsvRows::from_reader(reader, source, &pods_expected())?,
        map,
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
    map: &ImportMap,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let opts = &map.openb;
    let mut report = ImportReport::new(rows.source(), TraceFormat::Openb);
    // The columns after the five required ones come all together or not at all (the
    // `multigpu*` variants).
    let (required, optional) = openb::POD_COLUMNS.split_at(openb::POD_REQUIRED);
    rows.locate(required, "openb pod list")?;
    if optional
        .iter()
        .any(|c| rows.header.iter().any(|h| h.eq_ignore_ascii_case(c)))
    {
        rows.locate(&openb::POD_COLUMNS, "openb pod list")?;
    }
    let (pods, timed) = openb::pod_rows(rows)?;
    report.rows = pods.len() as u64;
    // The trace's end: its latest deletion time. Pods still running then were cut there.
    let end = pods
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .filter_map(|p| p.deletion_time)
        .max();
    let default_class = map.class_for(TraceFormat::Openb);
    let mut qos_unknown: BTreeMap<String, u64> = BTreeMap::new();
    let mut entries: Vec<(u64, Entry)> = Vec::new();
    let mut no_id = 0u64;
    for (ordinal, pod) in pods.into_iter().enumerate() {
        let pod = match pod {
            Ok(p) => p,
            Err(b) => {
                bad_row(&mut report, strict, b)?;
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

/// Pools and custom GPU models made from an openb node list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodePools {
    /// Models the list uses that the built-in catalog lacks (planning assumptions; see
    /// [`openb_model`]).
    pub gpu_models: Vec<GpuModel>,
    pub pools: Vec<PoolSpec>,
}

/// Catalog entries for the GPU models of the openb node lists. Memory and SMs are the
/// products' published figures; speed (relative to an A100-80GB) and price (USD per GPU-hour,
/// cloud on-demand) are rough planning assumptions to be replaced with your own. G2 and G3 are
/// undisclosed internal codes: their figures are placeholders.
pub fn openb_model(name: &str) -> Option<GpuModel> {
    let m = |memory_gib: f64, sms: u32, speed: f64, price: f64| GpuModel {
        name: name.to_string(),
        memory_gib,
        sms,
        mig_profiles: Vec::new(),
        speed,
        price_per_hour: price,
    };
    Some(match name {
        "T4" => m(16.0, 40, 0.2, 0.35),
        "P100" => m(16.0, 56, 0.25, 1.46),
        "V100M16" => m(16.0, 80, 0.5, 2.48),
        "V100M32" => m(32.0, 80, 0.5, 2.48),
        "A10" => m(24.0, 72, 0.35, 1.0),
        "G2" | "G3" => m(16.0, 80, 0.5, 1.0),
        _ => return None,
    })
}

/// Groups the GPU nodes of an openb node list into pools of identical nodes (one per GPU model
/// and GPUs per node), shared as `sharing`. Nodes without GPUs are left out (CPU-only pods are
/// not modeled). Models the catalog lacks get an entry from [`openb_model`]; unknown ones are
/// an error naming them.
pub fn pools_from_nodes(
    path: &Path,
    sharing: &Sharing,
    strict: bool,
) -> Result<(NodePools, ImportReport), TraceError> {
    let expected = "an openb node list has sn, cpu_milli, memory_mib, gpu, model";
    let rows = CsvRows::open(path, expected)?;
    let mut report = ImportReport::new(rows.source(), TraceFormat::Openb);
    report.format = "openb node list".into();
    rows.locate(&openb::NODE_COLUMNS, "openb node list")?;
    let nodes = openb::node_rows(rows)?;
    report.rows = nodes.len() as u64;
    let mut groups: BTreeMap<(String, u32), u32> = BTreeMap::new();
    let mut cpu_only = 0u64;
    for n in nodes {
        let n = match n {
            Ok(n) => n,
            // Including a node with GPUs but no model.
            Err(b) => {
                bad_row(&mut report, strict, b)?;
                continue;
            }
        };
        if n.gpus == 0 {
            cpu_only += 1;
            continue;
        }
        *groups.entry((n.model, n.gpus)).or_default() += 1;
    }
    if cpu_only > 0 {
        report.notes.push(format!(
            "{cpu_only} nodes without GPUs left out (CPU-only pods are not modeled)"
        ));
    }
    let catalog = Catalog::builtin();
    let mut gpu_models: Vec<GpuModel> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut pools = Vec::new();
    for ((model, gpus), nodes) in &groups {
        if catalog.get(model).is_none() && !gpu_models.iter().any(|m| &m.name == model) {
            match openb_model(model) {
                Some(m) => gpu_models.push(m),
                None => unknown.push(model.clone()),
            }
        }
        pools.push(PoolSpec {
            name: format!("{}-{gpus}g", model.to_lowercase()),
            gpu: model.clone(),
            nodes: *nodes,
            gpus_per_node: *gpus,
            labels: BTreeMap::new(),
            taints: Vec::new(),
            sharing: sharing.clone(),
        });
    }
    if !unknown.is_empty() {
        report.notes.push(format!(
            "GPU models {} are neither built in nor known openb models: add them to the \
             scenario's gpu_models",
            unknown.join(", ")
        ));
    }
    report.jobs = 0;
    Ok((NodePools { gpu_models, pools }, report))
}

/// The pools as a YAML fragment (`gpu_models:` and `pools:`) to paste into a scenario.
pub fn pools_yaml(p: &NodePools, source: &str) -> Result<String, String> {
    let gpus: u32 = p.pools.iter().map(|x| x.nodes * x.gpus_per_node).sum();
    let nodes: u32 = p.pools.iter().map(|x| x.nodes).sum();
    let head = format!(
        "# Pools from {source} by `slicesim trace pools`: {nodes} GPU nodes, {gpus} GPUs.\n# \
         Custom GPU models: memory and SMs are published figures; speed and price are planning\n# \
         assumptions (G2 and G3 are undisclosed internal codes: placeholders). Edit to taste.\n"
    );
    Ok(head + &serde_saphyr::to_string(p).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,\
                        creation_time,deletion_time,scheduled_time\n";

    fn run(text: &str, map: &ImportMap) -> (Vec<Entry>, ImportReport) {
        import_reader(text.as_bytes(), "o.csv", map, false).unwrap()
    }

    #[test]
    fn pods_map_to_jobs() {
        let text = format!(
            "{HEAD}openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0\n\
             openb-pod-0001,6000,12288,1,460,T4|V100M16|T4,BE,Succeeded,100,700,160\n\
             openb-pod-0002,4000,8192,0,0,,Burstable,Running,50,900,60\n\
             openb-pod-0003,64000,65536,8,1000,,Guaranteed,Failed,80,180,90\n\
             openb-pod-0004,6000,12288,1,1000,,BE,Pending,120,400,\n\
             openb-pod-0005,6000,12288,2,500,G2,LS,Running,130,12902960,140\n"
        );
        let (entries, report) = run(&text, &ImportMap::default());
        // Sorted by creation time: 0 (0 s), 2 (50), 3 (80), 1 (100), 4 (120), 5 (130).
        let ids: Vec<u64> = entries.iter().map(|e| e.job.id).collect();
        assert_eq!(ids, vec![0, 2, 3, 1, 4, 5]);
        let by_id = |id: u64| entries.iter().find(|e| e.job.id == id).unwrap();
        // Whole GPU, run 0 -> 12 537 496 s, LS.
        let j = &by_id(0).job;
        assert_eq!(j.request, Some(RequestSpec::Gpu { count: 1 }));
        assert_eq!((j.submit, j.duration), (0, 12_537_496_000));
        assert_eq!(j.priority_class.as_deref(), Some("LS"));
        assert_eq!(j.class, "openb");
        assert_eq!(by_id(0).status, RunStatus::Ran);
        // 460 milli of a T4 or V100M16 (duplicates dropped); created 100, ran 160 -> 700.
        let j = &by_id(1).job;
        assert_eq!(
            j.request,
            Some(RequestSpec::Milli {
                milli: 460,
                count: 1
            })
        );
        assert_eq!(j.gpu_models, vec!["T4", "V100M16"]);
        assert_eq!((j.submit, j.duration), (100_000, 540_000));
        // CPU-only.
        assert_eq!(by_id(2).job.request, Some(RequestSpec::Gpu { count: 0 }));
        // 8 whole GPUs, ran 90 -> 180 (failed, but it ran).
        assert_eq!(by_id(3).job.request, Some(RequestSpec::Gpu { count: 8 }));
        assert_eq!(by_id(3).job.duration, 90_000);
        // Never ran: lifetime 400 - 120 = 280 s, marked.
        assert_eq!(by_id(4).status, RunStatus::NeverRan);
        assert_eq!(by_id(4).job.duration, 280_000);
        // Deleted at the trace's end (its latest deletion, 12 902 960 s) while Running: cut.
        assert_eq!(by_id(5).status, RunStatus::StillRunning);
        assert_eq!(by_id(5).job.duration, (12_902_960 - 140) * 1000);
        assert_eq!(
            by_id(5).job.request,
            Some(RequestSpec::Milli {
                milli: 500,
                count: 2
            })
        );
        assert_eq!((report.rows, report.jobs, report.bad_count), (6, 5, 0));
        assert_eq!(
            report.notes,
            vec![
                "rows were not in creation-time order (1 rows earlier than the row above): \
                 sorted in memory",
                "1 pods never ran (no scheduled_time): left out of runs (counted by trace \
                 stats; set map.openb.never_ran: lifetime to replay them)",
                "1 pods were still running at the trace's end (12902960 s): their run time is \
                 cut there",
            ]
        );
    }

    #[test]
    fn the_mapping_is_configurable() {
        let text = format!(
            "{HEAD}p-1,1,1,1,250,,LS,Succeeded,0,10,0\np-2,1,1,1,1000,,BE,Succeeded,0,10,0\n\
             p-3,1,1,4,1000,,Burstable,Succeeded,0,10,0\np-4,1,1,0,0,,XL,Succeeded,0,10,0\n"
        );
        let map: ImportMap = serde_saphyr::from_str(
            "class: pods
openb:
  fractional_as: gpu
  classes: {fractional: notebook, multi: train}
  qos_priority: {LS: high, BE: low, Burstable: ''}
",
        )
        .unwrap();
        assert!(map.problems().is_empty());
        let (e, report) = run(&text, &map);
        let got: Vec<(&str, Option<&str>, Option<RequestSpec>)> = e
            .iter()
            .map(|e| {
                (
                    e.job.class.as_str(),
                    e.job.priority_class.as_deref(),
                    e.job.request.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "notebook",
                    Some("high"),
                    Some(RequestSpec::Gpu { count: 1 })
                ),
                ("pods", Some("low"), Some(RequestSpec::Gpu { count: 1 })),
                ("train", None, Some(RequestSpec::Gpu { count: 4 })),
                ("pods", Some("XL"), Some(RequestSpec::Gpu { count: 0 })),
            ]
        );
        assert!(
            report.notes[0].starts_with("1 pods have qos `XL`"),
            "{:?}",
            report.notes
        );
        assert_eq!(
            map.classes_used(TraceFormat::Openb),
            vec!["notebook", "pods", "train"]
        );
        assert_eq!(
            map.openb.priority_classes(),
            vec!["Guaranteed", "high", "low"]
        );
        let bad: ImportMap =
            serde_saphyr::from_str("openb: {classes: {gpu: x}, untimed_duration: 0}").unwrap();
        assert_eq!(
            bad.problems(),
            vec![
                (
                    "openb.classes.gpu".to_string(),
                    "unknown pod kind (the kinds are cpu, fractional, whole, multi)".to_string()
                ),
                (
                    "openb.untimed_duration".to_string(),
                    "must be longer than 0".to_string()
                )
            ]
        );
    }

    #[test]
    fn untimed_files_arrive_in_order() {
        let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0007,1,1,1,300\n\
                    openb-pod-0003,1,1,2,1000\nx,1,1,0,0\n";
        let mut map = ImportMap::default();
        map.openb.untimed_interval = Dur(10_000);
        let (e, report) = run(text, &map);
        let got: Vec<(u64, u64, u64, RunStatus)> = e
            .iter()
            .map(|e| (e.job.id, e.job.submit, e.job.duration, e.status))
            .collect();
        let year = 365 * 86_400_000;
        assert_eq!(
            got,
            vec![
                (7, 0, year, RunStatus::Untimed),
                (3, 10_000, year, RunStatus::Untimed),
                // No number in the name: its row number.
                (2, 20_000, year, RunStatus::Untimed),
            ]
        );
        assert_eq!(
            report.notes,
            vec![
                "the file has no time columns: pod i is submitted at i x 10s and runs 365d",
                "1 pod names do not end in a number: their ids are their row numbers",
            ]
        );
    }

    #[test]
    fn bad_rows_are_reported_with_lines() {
        let text = format!(
            "{HEAD}ok-1,1,1,1,300,,LS,Running,0,10,0\n\
             b-2,1,1,1,0,,LS,Running,0,10,0\n\
             b-3,1,1,1,1500,,LS,Running,0,10,0\n\
             b-4,1,1,x,300,,LS,Running,0,10,0\n\
             b-5,1,1,1,300,,LS,Running,,10,0\n\
             b-6,1,1,1,300,,LS,Running,5,10,2\n\
             b-7,1,1,1,300,,LS,Running,0,10,10\n\
             b-8,1,1,1,300,,LS,Running,0,-10,0\n\
             b-9,1,1,1,300\n"
        );
        let (e, report) = run(&text, &ImportMap::default());
        assert_eq!(e.len(), 1);
        let bad: Vec<String> = report.bad.iter().map(|b| b.to_string()).collect();
        assert_eq!(
            bad,
            vec![
                "line 3: column gpu_milli: 0 is not in 1..=1000 for a pod with 1 GPU",
                "line 4: column gpu_milli: 1500 is not in 1..=1000 for a pod with 1 GPU",
                "line 5: column num_gpu: `x` is not a whole number >= 0",
                "line 6: column creation_time: missing (every pod needs one)",
                "line 7: column scheduled_time: 2 is before creation_time 5",
                "line 8: column deletion_time: 10 is not after scheduled_time 10: the pod ran \
                 for no time",
                "line 9: column deletion_time: `-10` is not a whole number >= 0",
                "line 10: found 5 fields but the header has 11",
            ]
        );
        let e = import_reader(text.as_bytes(), "o.csv", &ImportMap::default(), true)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            "o.csv:3: column gpu_milli: 0 is not in 1..=1000 for a pod with 1 GPU (--strict: \
             any bad row is an error)"
        );
        // An empty file and a header from another format.
        let e = import_reader(&b""[..], "o.csv", &ImportMap::default(), false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("o.csv: the file is empty; expected a header row (an openb pod list has name, cpu_milli"), "{e}");
        let e = import_reader(&b"name,gpus\n"[..], "o.csv", &ImportMap::default(), false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("o.csv:1: missing columns `cpu_milli`, `memory_mib`, `num_gpu`, `gpu_milli` for the openb pod list format"), "{e}");
    }

    fn shared(rel: &str) -> Option<std::path::PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/traces/openb")
            .join(rel);
        if p.is_file() {
            Some(p)
        } else {
            eprintln!("skipped: {} not found (see README: traces)", p.display());
            None
        }
    }

    #[test]
    fn the_published_pod_lists_import_without_bad_rows() {
        let Some(default) = shared("openb_pod_list_default.csv") else {
            return;
        };
        let (e, report) = import(&default, &ImportMap::default(), true).unwrap();
        // SOURCES.md: 8,152 pods; 34 still running at the trace's end.
        assert_eq!(e.len(), 8_152);
        assert_eq!(
            e.iter()
                .filter(|e| e.status == RunStatus::StillRunning)
                .count(),
            34
        );
        // Pods that never ran are left out of runs by default.
        let never = e.iter().filter(|e| e.status == RunStatus::NeverRan).count() as u64;
        assert_eq!(report.jobs, 8_152 - never);
        // Every variant reads in strict mode, the 5-column ones without times.
        let dir = default.parent().unwrap();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("pod_list"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 24);
        for f in files {
            let (e, r) = import(&f, &ImportMap::default(), true).unwrap();
            assert_eq!(r.bad_count, 0);
            let untimed = f.to_string_lossy().contains("multigpu");
            assert_eq!(
                e.iter().all(|e| e.status == RunStatus::Untimed),
                untimed,
                "{}",
                f.display()
            );
        }
    }

    #[test]
    fn the_published_node_list_becomes_pools() {
        let Some(path) = shared("openb_node_list_gpu_node.csv") else {
            return;
        };
        let (p, report) = pools_from_nodes(&path, &Sharing::Fractional, true).unwrap();
        // SOURCES.md: 1,213 GPU nodes, 6,212 GPUs: G2 4,392, T4 842, G3 312, P100 265,
        // V100M32 204, V100M16 195, A10 2.
        let nodes: u32 = p.pools.iter().map(|x| x.nodes).sum();
        assert_eq!(nodes, 1_213);
        let mut by_model: BTreeMap<&str, u32> = BTreeMap::new();
        for x in &p.pools {
            *by_model.entry(x.gpu.as_str()).or_default() += x.nodes * x.gpus_per_node;
        }
        assert_eq!(
            by_model,
            BTreeMap::from([
                ("A10", 2),
                ("G2", 4_392),
                ("G3", 312),
                ("P100", 265),
                ("T4", 842),
                ("V100M16", 195),
                ("V100M32", 204),
            ])
        );
        assert_eq!(p.gpu_models.len(), 7);
        assert_eq!(report.bad_count, 0);
        let all = shared("openb_node_list_all_node.csv").unwrap();
        let (q, report) = pools_from_nodes(&all, &Sharing::Fractional, true).unwrap();
        assert_eq!(q, p);
        assert_eq!(
            report.notes,
            vec!["310 nodes without GPUs left out (CPU-only pods are not modeled)"]
        );
        // The YAML parses back as scenario fields.
        let yaml = pools_yaml(&p, "nodes.csv").unwrap();
        #[derive(Deserialize)]
        struct Fragment {
            gpu_models: Vec<GpuModel>,
            pools: Vec<PoolSpec>,
        }
        let f: Fragment = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!((f.gpu_models, f.pools), (p.gpu_models, p.pools));
    }
}
