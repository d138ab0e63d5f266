//! Atomic output folder: every file goes to `NAME.tmp` first and is renamed on `commit`.

use super::summary::Summary;
use crate::metrics::{ClassSample, JobRecord, Sample};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct OutputDir {
    dir: PathBuf,
    staged: Vec<String>,
    /// The folder did not exist before: an uncommitted, empty folder is removed on drop.
    created: bool,
}

impl OutputDir {
    pub fn create(dir: &Path) -> Result<Self, String> {
        let created = !dir.exists();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            created,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn tmp(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.tmp"))
    }

    /// A buffered writer to `name` (staged until `commit`).
    pub fn open(&mut self, name: &str) -> Result<BufWriter<File>, String> {
        let p = self.tmp(name);
        let f = File::create(&p).map_err(|e| format!("{}: cannot create: {e}", p.display()))?;
        self.staged.push(name.to_string());
        Ok(BufWriter::with_capacity(1 << 20, f))
    }

    /// Renames every staged file into place.
    pub fn commit(mut self) -> Result<(), String> {
        for name in std::mem::take(&mut self.staged) {
            let (from, to) = (self.tmp(&name), self.dir.join(&name));
            std::fs::rename(&from, &to)
                .map_err(|e| format!("{}: cannot rename: {e}", to.display()))?;
        }
        self.created = false;
        Ok(())
    }
}

impl Drop for OutputDir {
    /// Staged files not committed (an error happened) are removed.
    fn drop(&mut self) {
        for name in &self.staged {
            let _ = std::fs::remove_file(self.tmp(name));
        }
        if self.created {
            // Only succeeds when empty: never removes anything but what this run made.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Streams job records as CSV rows.
pub struct JobsCsv<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> JobsCsv<W> {
    pub fn new(w: W) -> Self {
        JobsCsv {
            w: csv::Writer::from_writer(w),
        }
    }
    pub fn write(&mut self, r: &JobRecord) -> Result<(), String> {
        self.w.serialize(r).map_err(|e| format!("jobs.csv: {e}"))
    }
    pub fn finish(mut self) -> Result<(), String> {
        self.w.flush().map_err(|e| format!("jobs.csv: {e}"))
    }
}

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
    queue_depth: f64,
    useful_ref_gpu_hours: f64,
    lost_ref_gpu_hours: f64,
    oom_failures: u64,
    cost_usd: f64,
    cost_per_started_job_usd: Option<f64>,
    below_speed_target: Option<f64>,
}

/// Writes `summary.json`, `pools.csv`, `classes.csv` and `classes_ts.csv`.
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
            queue_depth: c.queue_depth,
            useful_ref_gpu_hours: c.useful_ref_gpu_hours,
            lost_ref_gpu_hours: c.lost_ref_gpu_hours,
            oom_failures: c.oom_failures,
            cost_usd: c.cost_usd,
            cost_per_started_job_usd: c.cost_per_started_job_usd,
            below_speed_target: c.below_speed_target,
        })
        .collect();
    write_csv(out, "classes.csv", &rows)
}
