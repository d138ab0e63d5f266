//! Writer of native CSV traces that refuses jobs which would not read back equal.

use super::COLUMNS;
use super::reader::csv_error;
use super::values::{load_text, ms_to_secs_text};
use crate::domain::RequestSpec;
use crate::trace::error::TraceError;
use crate::trace::job::TraceJob;
use crate::units::SimTime;
use std::io::Write;

/// Checks that `job` can be written so that reading it back gives an equal job.
fn check_writable(job: &TraceJob) -> Result<(), TraceError> {
    check_names(job)?;
    check_request(job)?;
    check_numbers(job)?;
    check_models_and_load(job)
}

fn bad(job: &TraceJob, column: &'static str, message: String) -> TraceError {
    TraceError::InvalidJob {
        id: job.id,
        column,
        message,
    }
}

/// Readers trim fields and treat empty as absent, so names must be non-empty and unpadded.
fn name_ok(s: &str) -> bool {
    !s.is_empty() && s.trim() == s
}

/// Class, namespace and priority class.
fn check_names(job: &TraceJob) -> Result<(), TraceError> {
    if !name_ok(&job.class) {
        return Err(bad(
            job,
            "class",
            format!("{:?} is empty or has surrounding spaces", job.class),
        ));
    }
    for (column, value) in [
        ("namespace", &job.namespace),
        ("priority_class", &job.priority_class),
    ] {
        if let Some(s) = value
            && !name_ok(s)
        {
            return Err(bad(
                job,
                column,
                format!("{s:?} is empty or has surrounding spaces"),
            ));
        }
    }
    Ok(())
}

/// A MIG profile name and counts of at least 1; a milli share in 1..=1000.
fn check_request(job: &TraceJob) -> Result<(), TraceError> {
    match &job.request {
        Some(RequestSpec::Mig { profile, count }) => {
            if !name_ok(profile) {
                return Err(bad(
                    job,
                    "mig_profile",
                    format!("{profile:?} is empty or has surrounding spaces"),
                ));
            }
            if *count == 0 {
                return Err(bad(
                    job,
                    "gpus",
                    "a MIG request needs a count >= 1".to_string(),
                ));
            }
        }
        Some(RequestSpec::Milli { milli, count }) => {
            if !(1..=1000).contains(milli) {
                return Err(bad(job, "gpu_milli", format!("{milli} is not in 1..=1000")));
            }
            if *count == 0 {
                return Err(bad(
                    job,
                    "gpus",
                    "a milli request needs a count >= 1".to_string(),
                ));
            }
        }
        Some(RequestSpec::Gpu { .. }) | Some(RequestSpec::SharedGpu { .. }) | None => {}
    }
    check_pods(job)
}

/// A gang (`pods`) is written as `NxK` in `gpus`: it needs a request of at least 1 device and
/// 1..=MAX_PODS pods.
fn check_pods(job: &TraceJob) -> Result<(), TraceError> {
    let Some(n) = job.pods else {
        return Ok(());
    };
    let max = crate::limits::MAX_PODS;
    if !(1..=max).contains(&n) {
        return Err(bad(job, "gpus", format!("{n} pods is not in 1..={max}")));
    }
    match &job.request {
        Some(r) if r.count() >= 1 => Ok(()),
        _ => Err(bad(
            job,
            "gpus",
            format!("a gang of {n} pods needs a request of at least 1 GPU per pod"),
        )),
    }
}

/// Memory, `u`, `d` and the run time.
fn check_numbers(job: &TraceJob) -> Result<(), TraceError> {
    if let Some(m) = job.mem_gib
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(bad(job, "mem_gib", format!("{m} is not a number >= 0")));
    }
    for (column, value) in [("u", job.u), ("d", job.d)] {
        if let Some(x) = value
            && !(x > 0.0 && x <= 1.0)
        {
            return Err(bad(job, column, format!("{x} is not in (0, 1]")));
        }
    }
    if job.duration == 0 {
        return Err(bad(job, "duration", "0 ms is not > 0".to_string()));
    }
    Ok(())
}

/// GPU model names (joined with `|` in one column) and the load profile's steps.
fn check_models_and_load(job: &TraceJob) -> Result<(), TraceError> {
    for m in &job.gpu_models {
        if !name_ok(m) || m.contains('|') {
            return Err(bad(
                job,
                "gpu_models",
                format!("{m:?} is empty, has surrounding spaces or contains `|`"),
            ));
        }
    }
    for (i, step) in job.load.iter().enumerate() {
        if !(step.u > 0.0 && step.u <= 1.0) {
            return Err(bad(
                job,
                "load",
                format!("step {}: u {} is not in (0, 1]", i + 1, step.u),
            ));
        }
        if i > 0 && step.at <= job.load[i - 1].at {
            return Err(bad(
                job,
                "load",
                format!("step {}: offsets must increase", i + 1),
            ));
        }
    }
    Ok(())
}

/// Writes `jobs` as a native CSV trace with every column in the header.
///
/// Reading the output back gives equal [`TraceJob`]s, with one deliberate exception: a
/// `Milli { milli: 1000, count }` request is a whole GPU and reads back as `Gpu { count }`.
/// Jobs that could not round-trip (empty names, `u` outside (0, 1], a zero duration, submit
/// times out of order, ...) are refused with [`TraceError::InvalidJob`] instead of producing a
/// file the reader would reject.
pub fn write_native<W: Write>(
    w: W,
    jobs: impl IntoIterator<Item = TraceJob>,
) -> Result<(), TraceError> {
    let mut writer = NativeWriter::new(w)?;
    for job in jobs {
        writer.write(&job)?;
    }
    writer.finish()
}

/// Writes a native CSV trace one job at a time (what [`write_native`] does for a whole list),
/// so that a converter or generator never holds more than one job.
pub struct NativeWriter<W: Write> {
    csv: csv::Writer<W>,
    previous: Option<SimTime>,
    written: u64,
}

fn output_error(e: csv::Error) -> TraceError {
    csv_error("trace output", e, 0, None)
}

impl<W: Write> NativeWriter<W> {
    /// Starts the file: writes the header row.
    pub fn new(w: W) -> Result<Self, TraceError> {
        let mut csv = csv::WriterBuilder::new().from_writer(w);
        csv.write_record(COLUMNS).map_err(output_error)?;
        Ok(NativeWriter {
            csv,
            previous: None,
            written: 0,
        })
    }

    /// Jobs written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends one job; refuses jobs that would not read back equal or are out of submit order.
    pub fn write(&mut self, job: &TraceJob) -> Result<(), TraceError> {
        check_writable(job)?;
        if let Some(prev) = self.previous
            && job.submit < prev
        {
            return Err(TraceError::InvalidJob {
                id: job.id,
                column: "submit",
                message: format!(
                    "{} s is earlier than the previous job's {} s; jobs must be in submit order",
                    ms_to_secs_text(job.submit),
                    ms_to_secs_text(prev)
                ),
            });
        }
        self.previous = Some(job.submit);
        let opt = |v: Option<String>| v.unwrap_or_default();
        let (gpus, milli, mig) = match &job.request {
            None => (None, None, None),
            Some(RequestSpec::Gpu { count }) => (Some(*count), None, None),
            Some(RequestSpec::SharedGpu { .. }) => {
                return Err(TraceError::InvalidJob {
                    id: job.id,
                    column: "gpus",
                    message: "nvidia.com/gpu.shared requests have no native-trace column; leave the request to the class".into(),
                });
            }
            Some(RequestSpec::Milli { milli, count }) => (Some(*count), Some(*milli), None),
            Some(RequestSpec::Mig { profile, count }) => {
                (Some(*count), None, Some(profile.clone()))
            }
        };
        let row: [String; COLUMNS.len()] = [
            job.id.to_string(),
            ms_to_secs_text(job.submit),
            job.class.clone(),
            opt(job.namespace.clone()),
            opt(job.priority_class.clone()),
            opt(gpus.map(|g| match job.pods {
                Some(n) => format!("{n}x{g}"),
                None => g.to_string(),
            })),
            opt(milli.map(|m| m.to_string())),
            opt(mig),
            // f64's Display is the shortest text that parses back to the same value.
            opt(job.mem_gib.map(|m| m.to_string())),
            ms_to_secs_text(job.duration),
            opt(job.u.map(|x| x.to_string())),
            opt(job.d.map(|x| x.to_string())),
            opt(job.checkpoint.map(ms_to_secs_text)),
            job.gpu_models.join("|"),
            load_text(&job.load),
        ];
        self.csv.write_record(&row).map_err(output_error)?;
        self.written += 1;
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<(), TraceError> {
        self.csv.flush().map_err(|error| TraceError::Io {
            source_name: "trace output".to_string(),
            error,
        })
    }

    /// Flushes the file and hands back the writer underneath (to commit an atomic file).
    pub fn into_inner(self) -> Result<W, TraceError> {
        self.csv.into_inner().map_err(|e| TraceError::Io {
            source_name: "trace output".to_string(),
            error: e.into_error(),
        })
    }
}
