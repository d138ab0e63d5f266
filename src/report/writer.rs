//! Atomic output folder: every file is staged beside its target (`crate::outfile`) and
//! renamed into place on `commit`; an uncommitted folder leaves earlier results as they were.

use super::summary::Summary;
use crate::metrics::latency::LatencyStats;
use crate::metrics::{ClassSample, Sample};
use crate::outfile;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct OutputDir {
    dir: PathBuf,
    /// (temporary file, target) of every file opened and not yet committed.
    staged: Vec<(PathBuf, PathBuf)>,
    /// The folder did not exist before: an uncommitted, empty folder is removed on drop.
    created: bool,
}

impl OutputDir {
    pub fn create(dir: &Path) -> Result<Self, String> {
        if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
            return Err(format!(
                "{}: not a directory; give a folder for the output files",
                dir.display()
            ));
        }
        let created = !dir.exists();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
        if created {
            outfile::track_dir(dir);
        }
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            created,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A buffered writer to `name` (staged until `commit`). Err when `name` exists in the
    /// folder and is not a regular file.
    pub fn open(&mut self, name: &str) -> Result<BufWriter<File>, String> {
        let target = outfile::check_target(&self.dir.join(name))?;
        let (tmp, f) = outfile::stage(&target)?;
        self.staged.push((tmp, target));
        Ok(BufWriter::with_capacity(1 << 20, f))
    }

    /// Syncs every staged file, renames each into place, then syncs the folder once.
    pub fn commit(mut self) -> Result<(), String> {
        let staged = std::mem::take(&mut self.staged);
        outfile::publish_all(&staged)?;
        outfile::forget_dir(&self.dir);
        self.created = false;
        Ok(())
    }
}

impl Drop for OutputDir {
    /// Staged files not committed (an error happened) are removed.
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            outfile::discard(tmp);
        }
        if self.created {
            // Only succeeds when empty: never removes anything but what this run made.
            let _ = std::fs::remove_dir(&self.dir);
            outfile::forget_dir(&self.dir);
        }
    }
}

pub use super::jobs_csv::JobsCsv;

fn write_csv<T: Serialize>(out: &mut OutputDir, name: &str, rows: &[T]) -> Result<(), String> {
    let mut w = csv::Writer::from_writer(out.open(name)?);
    for r in rows {
        w.serialize(r).map_err(|e| format!("{name}: {e}"))?;
    }
    w.flush().map_err(|e| format!("{name}: {e}"))
}

/// One row of `classes.csv` (a flat view of the class summary).
#[derive(Serialize)]
struct ClassRow<'a> {
    class: &'a str,
    kind: &'a str,
    namespace: &'a str,
    priority: i32,
    jobs: u64,
    completed: u64,
    failed: u64,
    unschedulable: u64,
    running: u64,
    pending: u64,
    after_horizon: u64,
    wait_p50_s: Option<f64>,
    wait_p95_s: Option<f64>,
    wait_p99_s: Option<f64>,
    /// The percentile is a lower bound (it falls among jobs that never started).
    wait_p50_censored: bool,
    wait_p95_censored: bool,
    wait_p99_censored: bool,
    /// Jobs that never started: their waits so far count as censored values.
    never_started: u64,
    queue_depth: f64,
    useful_ref_gpu_hours: f64,
    lost_ref_gpu_hours: f64,
    oom_failures: u64,
    cost_usd: f64,
    cost_per_started_job_usd: Option<f64>,
    below_speed_target: Option<f64>,
}

/// Writes `summary.json`, `pools.csv`, `classes.csv`, `classes_ts.csv`, and
/// `operations.csv` and `latency.csv` when there is something to put in them.
pub fn write_tables(
    out: &mut OutputDir,
    summary: &Summary,
    samples: &[Sample],
    class_samples: &[ClassSample],
) -> Result<(), String> {
    let mut f = out.open("summary.json")?;
    serde_json::to_writer_pretty(&mut f, summary).map_err(|e| format!("summary.json: {e}"))?;
    writeln!(f)
        .and_then(|_| f.flush())
        .map_err(|e| format!("summary.json: {e}"))?;
    write_csv(out, "pools.csv", samples)?;
    write_csv(out, "classes_ts.csv", class_samples)?;
    let rows: Vec<ClassRow> = summary
        .classes
        .iter()
        .map(|c| ClassRow {
            class: &c.name,
            kind: &c.kind,
            namespace: &c.namespace,
            priority: c.priority,
            jobs: c.jobs.total,
            completed: c.jobs.completed,
            failed: c.jobs.failed,
            unschedulable: c.jobs.unschedulable,
            running: c.jobs.running,
            pending: c.jobs.pending,
            after_horizon: c.jobs.after_horizon,
            wait_p50_s: c.wait.p50_s,
            wait_p95_s: c.wait.p95_s,
            wait_p99_s: c.wait.p99_s,
            wait_p50_censored: c.wait.p50_censored,
            wait_p95_censored: c.wait.p95_censored,
            wait_p99_censored: c.wait.p99_censored,
            never_started: c.wait.never_started,
            queue_depth: c.queue_depth,
            useful_ref_gpu_hours: c.useful_ref_gpu_hours,
            lost_ref_gpu_hours: c.lost_ref_gpu_hours,
            oom_failures: c.oom_failures,
            cost_usd: c.cost_usd,
            cost_per_started_job_usd: c.cost_per_started_job_usd,
            below_speed_target: c.below_speed_target,
        })
        .collect();
    write_csv(out, "classes.csv", &rows)?;
    if !summary.operations.is_empty() {
        let ops = super::operations::rows(&summary.operations);
        write_csv(out, "operations.csv", &ops)?;
    }
    let latency = latency_rows(summary);
    if latency.is_empty() {
        return Ok(());
    }
    write_csv(out, "latency.csv", &latency)
}

/// One row of `latency.csv`: a service class over all its pools (`pool` = `all`), then per pool.
#[derive(Serialize)]
struct LatencyRow<'a> {
    class: &'a str,
    pool: &'a str,
    requests: f64,
    mean_ms: Option<f64>,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    slo_ms: f64,
    slo_miss: Option<f64>,
    overloaded: Option<f64>,
}

impl<'a> LatencyRow<'a> {
    fn new(class: &'a str, pool: &'a str, l: &LatencyStats) -> Self {
        LatencyRow {
            class,
            pool,
            requests: l.requests,
            mean_ms: l.mean_ms,
            p50_ms: l.p50_ms,
            p95_ms: l.p95_ms,
            p99_ms: l.p99_ms,
            slo_ms: l.slo_ms,
            slo_miss: l.slo_miss,
            overloaded: l.overloaded,
        }
    }
}

fn latency_rows(summary: &Summary) -> Vec<LatencyRow<'_>> {
    let mut rows = Vec::new();
    for c in &summary.classes {
        let Some(all) = &c.latency else { continue };
        rows.push(LatencyRow::new(&c.name, "all", all));
        for (pool, stats) in &c.latency_by_pool {
            rows.push(LatencyRow::new(&c.name, pool, stats));
        }
    }
    rows
}
