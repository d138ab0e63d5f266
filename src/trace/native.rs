//! The native CSV trace format: a header row naming the columns, then one job per row in submit
//! order. `docs/TRACE.md` describes it for users; this module reads it lazily (one row in memory
//! at a time, so a trace of any length streams) and writes it so that it reads back unchanged.

use super::rows::{LineTracker, error_line, record_line};
use super::{TraceError, TraceJob};
use crate::domain::{LoadStep, RequestSpec};
use crate::units::SimTime;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

/// Every column of the native format, in the order [`write_native`] writes them.
pub const COLUMNS: [&str; 15] = [
    "id",
    "submit",
    "class",
    "namespace",
    "priority_class",
    "gpus",
    "gpu_milli",
    "mig_profile",
    "mem_gib",
    "duration",
    "u",
    "d",
    "checkpoint",
    "gpu_models",
    "load",
];

// Indices into COLUMNS.
const ID: usize = 0;
const SUBMIT: usize = 1;
const CLASS: usize = 2;
const NAMESPACE: usize = 3;
const PRIORITY_CLASS: usize = 4;
const GPUS: usize = 5;
const GPU_MILLI: usize = 6;
const MIG_PROFILE: usize = 7;
const MEM_GIB: usize = 8;
const DURATION: usize = 9;
const U: usize = 10;
const D: usize = 11;
const CHECKPOINT: usize = 12;
const GPU_MODELS: usize = 13;
const LOAD: usize = 14;

/// Columns a row cannot do without; the rest inherit from the workload class when absent.
const REQUIRED: [usize; 4] = [ID, SUBMIT, CLASS, DURATION];

/// Where each known column sits in the file's rows.
#[derive(Clone, Debug)]
struct Layout {
    index: [Option<usize>; COLUMNS.len()],
    width: usize,
}

/// A row-level problem before it is given its file and line: (column, message).
type RowError = (Option<&'static str>, String);

impl Layout {
    /// Reads the header row. Collects every problem (unknown, repeated and missing columns) into
    /// one message so a user fixes the header in one pass.
    fn from_header(header: &csv::StringRecord) -> Result<Layout, String> {
        let mut index = [None; COLUMNS.len()];
        let mut unknown = Vec::new();
        let mut repeated = Vec::new();
        for (pos, raw) in header.iter().enumerate() {
            // A UTF-8 byte-order mark (written by some spreadsheet exports) is not part of the name.
            let name = if pos == 0 {
                raw.trim_start_matches('\u{feff}').trim()
            } else {
                raw.trim()
            };
            match COLUMNS.iter().position(|c| *c == name) {
                None if name.is_empty() => unknown.push(format!(
                    "with no name (field {}; is there a stray comma?)",
                    pos + 1
                )),
                Some(k) if index[k].is_some() => repeated.push(format!("`{name}`")),
                Some(k) => index[k] = Some(pos),
                None => {
                    let hint = COLUMNS
                        .iter()
                        .find(|c| c.eq_ignore_ascii_case(name))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    unknown.push(format!("`{name}`{hint}"));
                }
            }
        }
        let missing: Vec<String> = REQUIRED
            .iter()
            .filter(|&&k| index[k].is_none())
            .map(|&k| format!("`{}`", COLUMNS[k]))
            .collect();
        let mut problems = Vec::new();
        if !unknown.is_empty() {
            problems.push(format!(
                "unknown column{} {} (the native format has: {})",
                plural(unknown.len()),
                unknown.join(", "),
                COLUMNS.join(", ")
            ));
        }
        if !repeated.is_empty() {
            problems.push(format!(
                "column{} {} appear{} more than once",
                plural(repeated.len()),
                repeated.join(", "),
                if repeated.len() == 1 { "s" } else { "" }
            ));
        }
        if !missing.is_empty() {
            problems.push(format!(
                "missing required column{} {}",
                plural(missing.len()),
                missing.join(", ")
            ));
        }
        if problems.is_empty() {
            Ok(Layout {
                index,
                width: header.len(),
            })
        } else {
            Err(problems.join("; "))
        }
    }

    /// The (trimmed) text of `col` in `rec`; empty when the file has no such column.
    fn get<'r>(&self, rec: &'r csv::StringRecord, col: usize) -> &'r str {
        // Trimmed here rather than by the CSV reader, which would re-check every record.
        self.index[col]
            .and_then(|i| rec.get(i))
            .unwrap_or("")
            .trim()
    }

    /// Turns one data row into a job, checking every field.
    fn parse(&self, rec: &csv::StringRecord) -> Result<TraceJob, RowError> {
        let field = |col: usize| -> Option<&str> {
            let v = self.get(rec, col);
            (!v.is_empty()).then_some(v)
        };
        let required = |col: usize, what: &str| -> Result<&str, RowError> {
            field(col).ok_or_else(|| {
                (
                    Some(COLUMNS[col]),
                    format!("missing value (expected {what})"),
                )
            })
        };

        let id = parse_int::<u64>(ID, required(ID, "a whole-number job id")?)?;
        let submit = parse_secs(SUBMIT, required(SUBMIT, "the submit time in seconds")?)?;
        let class = required(CLASS, "a workload class name")?.to_string();
        let duration = parse_secs(DURATION, required(DURATION, "seconds > 0")?)?;
        if duration == 0 {
            let v = self.get(rec, DURATION);
            return Err(err(
                DURATION,
                format!("{v} is not > 0 seconds (the smallest is 0.001)"),
            ));
        }
        let namespace = field(NAMESPACE).map(str::to_string);
        let priority_class = field(PRIORITY_CLASS).map(str::to_string);
        let gpus = field(GPUS).map(|v| parse_int::<u32>(GPUS, v)).transpose()?;
        let gpu_milli = field(GPU_MILLI)
            .map(|v| {
                let m = parse_int::<u32>(GPU_MILLI, v)?;
                if (1..=1000).contains(&m) {
                    Ok(m)
                } else {
                    Err(err(
                        GPU_MILLI,
                        format!(
                            "{v} is not in 1..=1000 (leave it empty for whole GPUs, or set \
                             gpus = 0 for a CPU-only job)"
                        ),
                    ))
                }
            })
            .transpose()?;
        let mig_profile = field(MIG_PROFILE);
        let mem_gib = field(MEM_GIB)
            .map(|v| {
                let x = parse_float(MEM_GIB, v)?;
                if x >= 0.0 {
                    Ok(x)
                } else {
                    Err(err(MEM_GIB, format!("{v} is not >= 0 GiB")))
                }
            })
            .transpose()?;
        let fraction = |col: usize| -> Result<Option<f64>, RowError> {
            field(col)
                .map(|v| {
                    let x = parse_float(col, v)?;
                    if x > 0.0 && x <= 1.0 {
                        Ok(x)
                    } else {
                        Err(err(col, format!("{v} is not in (0, 1]")))
                    }
                })
                .transpose()
        };
        let u = fraction(U)?;
        let d = fraction(D)?;
        let checkpoint = field(CHECKPOINT)
            .map(|v| parse_secs(CHECKPOINT, v))
            .transpose()?;

        let gpu_models = field(GPU_MODELS).map_or_else(Vec::new, split_models);
        let load = field(LOAD)
            .map(|v| parse_load(v).map_err(|m| err(LOAD, m)))
            .transpose()?
            .unwrap_or_default();

        let request = derive_request(gpus, gpu_milli, mig_profile)?;
        Ok(TraceJob {
            id,
            submit,
            class,
            namespace,
            priority_class,
            request,
            mem_gib,
            duration,
            u,
            d,
            checkpoint,
            gpu_models,
            load,
        })
    }
}

/// `T4|V100M16` → `["T4", "V100M16"]`; empty pieces and spaces around names are dropped.
pub(crate) fn split_models(text: &str) -> Vec<String> {
    text.split('|')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads a load column: `offset:u` steps separated by `;`, offsets in seconds after submit,
/// strictly increasing, each `u` in (0, 1]. The error is the whole message.
pub(crate) fn parse_load(text: &str) -> Result<Vec<LoadStep>, String> {
    let mut steps: Vec<LoadStep> = Vec::new();
    for (i, piece) in text.split(';').enumerate() {
        let piece = piece.trim();
        let n = i + 1;
        let Some((at, u)) = piece.split_once(':') else {
            return Err(format!(
                "step {n} `{piece}` is not `seconds:u` (steps look like 0:0.4;60:0.55)"
            ));
        };
        let at = secs_text_to_ms(at.trim())
            .map_err(|why| format!("step {n}: offset {} {why}", at.trim()))?;
        let u = match u.trim().parse::<f64>() {
            Ok(x) if x > 0.0 && x <= 1.0 => x,
            _ => return Err(format!("step {n}: u `{}` is not in (0, 1]", u.trim())),
        };
        if let Some(prev) = steps.last()
            && at <= prev.at
        {
            return Err(format!(
                "step {n}: offset {} s is not after the previous step's {} s",
                ms_to_secs_text(at),
                ms_to_secs_text(prev.at)
            ));
        }
        steps.push(LoadStep { at, u });
    }
    Ok(steps)
}

/// The load column's text for `steps` (reads back to the same steps).
pub(crate) fn load_text(steps: &[LoadStep]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| format!("{}:{}", ms_to_secs_text(s.at), s.u))
        .collect();
    parts.join(";")
}

/// The request rules of the native format (see `docs/TRACE.md`): a MIG profile wins, then a
/// fractional share below 1000 milli, then whole GPUs; nothing at all inherits from the class.
fn derive_request(
    gpus: Option<u32>,
    gpu_milli: Option<u32>,
    mig_profile: Option<&str>,
) -> Result<Option<RequestSpec>, RowError> {
    // A count of 0 only makes sense as "no GPU at all", which a MIG or milli request contradicts.
    let device_count = |what: String| -> Result<u32, RowError> {
        match gpus {
            Some(0) => Err(err(
                GPUS,
                format!("0 with {what}: it needs at least 1 device (leave gpus empty for 1)"),
            )),
            Some(n) => Ok(n),
            None => Ok(1),
        }
    };
    match (mig_profile, gpu_milli) {
        (Some(profile), Some(m)) => Err(err(
            GPU_MILLI,
            format!(
                "{m} is set together with mig_profile {profile}; a job asks for one or the other"
            ),
        )),
        (Some(profile), None) => Ok(Some(RequestSpec::Mig {
            profile: profile.to_string(),
            count: device_count(format!("mig_profile {profile}"))?,
        })),
        (None, Some(milli)) if milli < 1000 => Ok(Some(RequestSpec::Milli {
            milli,
            count: device_count(format!("gpu_milli {milli}"))?,
        })),
        (None, Some(_)) => Ok(Some(RequestSpec::Gpu {
            count: device_count("gpu_milli 1000".to_string())?,
        })),
        (None, None) => Ok(gpus.map(|count| RequestSpec::Gpu { count })),
    }
}

fn err(col: usize, message: String) -> RowError {
    (Some(COLUMNS[col]), message)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn parse_int<T: std::str::FromStr + Bounded>(col: usize, v: &str) -> Result<T, RowError> {
    v.parse::<T>().map_err(|_| {
        err(
            col,
            format!("`{v}` is not a whole number in 0..={}", T::MAX_TEXT),
        )
    })
}

/// The largest value of an integer column type, for error messages.
trait Bounded {
    const MAX_TEXT: &'static str;
}
impl Bounded for u32 {
    const MAX_TEXT: &'static str = "4294967295";
}
impl Bounded for u64 {
    const MAX_TEXT: &'static str = "18446744073709551615";
}

fn parse_float(col: usize, v: &str) -> Result<f64, RowError> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(err(col, format!("`{v}` is not a number"))),
    }
}

fn parse_secs(col: usize, v: &str) -> Result<SimTime, RowError> {
    secs_text_to_ms(v).map_err(|why| err(col, format!("{v} {why}")))
}

/// Converts seconds written in the file to milliseconds.
///
/// Plain decimals ("12", "1.5", "0.001") are converted digit by digit, so every millisecond value
/// reads back exactly whatever its size (an `f64` would drift above 2^53 ms); more than three
/// decimals round half up. Other spellings that Rust parses as a number ("1e3") go through
/// `f64`. The error is the tail of a message that starts with the value.
pub(crate) fn secs_text_to_ms(text: &str) -> Result<SimTime, &'static str> {
    const TOO_LARGE: &str = "is too large (at most 18446744073709551.615 seconds)";
    let t = text.strip_prefix('+').unwrap_or(text);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let plain = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if plain {
        let mut secs: u64 = 0;
        for b in int.bytes() {
            secs = secs
                .checked_mul(10)
                .and_then(|s| s.checked_add(u64::from(b - b'0')))
                .ok_or(TOO_LARGE)?;
        }
        let digits = frac.as_bytes();
        let digit = |i: usize| digits.get(i).map_or(0, |b| u64::from(b - b'0'));
        let ms_part = digit(0) * 100 + digit(1) * 10 + digit(2) + u64::from(digit(3) >= 5);
        return secs
            .checked_mul(1000)
            .and_then(|ms| ms.checked_add(ms_part))
            .ok_or(TOO_LARGE);
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x < 0.0 => Err("is negative (expected seconds >= 0)"),
        Ok(x) if x.is_finite() => {
            let ms = (x * 1000.0).round();
            // 2^64 is exactly representable; anything at or above it does not fit.
            if ms >= 18_446_744_073_709_551_616.0 {
                Err(TOO_LARGE)
            } else {
                Ok(ms as SimTime)
            }
        }
        _ => Err("is not a number of seconds"),
    }
}

/// Milliseconds as seconds with at most three decimals and no trailing zeros: 1500 → "1.5".
/// Integer arithmetic, so no float noise ever reaches the file.
pub(crate) fn ms_to_secs_text(ms: SimTime) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        s.to_string()
    } else {
        let text = format!("{s}.{frac:03}");
        text.trim_end_matches('0').to_string()
    }
}

/// Reads a native CSV trace lazily, yielding one [`TraceJob`] per row.
///
/// Only the current row is held in memory. Iteration stops after the first error (the error is
/// yielded, then `None`), because later rows of a broken file would only repeat or mask it.
pub struct NativeReader<R: Read> {
    csv: csv::Reader<LineTracker<R>>,
    source: String,
    layout: Layout,
    record: csv::StringRecord,
    /// Submit time and line of the previous row, to enforce submit order.
    previous: Option<(SimTime, u64)>,
    done: bool,
}

impl NativeReader<File> {
    /// Opens a trace file; errors name `path`.
    pub fn open(path: &Path) -> Result<NativeReader<File>, TraceError> {
        let source = path.display().to_string();
        let file = File::open(path).map_err(|error| TraceError::Io {
            source_name: source.clone(),
            error,
        })?;
        NativeReader::from_reader(file, &source)
    }
}

impl<R: Read> NativeReader<R> {
    /// Reads a trace from any byte source. `source_name` is used in error messages (a path, or
    /// something like `<stdin>`). The header is read here, so a file with a bad header fails
    /// before any job is produced.
    pub fn from_reader(reader: R, source_name: &str) -> Result<NativeReader<R>, TraceError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::new(reader));
        let source = source_name.to_string();
        let mut header = csv::StringRecord::new();
        match csv.read_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(TraceError::File {
                    source_name: source,
                    message: format!(
                        "the file is empty; expected a header row naming the columns (at least \
                         id, submit, class, duration; all columns: {})",
                        COLUMNS.join(", ")
                    ),
                });
            }
            Err(e) => {
                let line = error_line(&mut csv, &e);
                return Err(csv_error(&source, e, line, None));
            }
        }
        let line = record_line(&mut csv, &header);
        let layout = Layout::from_header(&header).map_err(|message| TraceError::At {
            source_name: source.clone(),
            line,
            column: None,
            message,
        })?;
        Ok(NativeReader {
            csv,
            source,
            layout,
            record: csv::StringRecord::new(),
            previous: None,
            done: false,
        })
    }

    /// The name used for this trace in error messages.
    pub fn source_name(&self) -> &str {
        &self.source
    }

    fn at(&self, line: u64, column: Option<&str>, message: String) -> TraceError {
        TraceError::At {
            source_name: self.source.clone(),
            line,
            column: column.map(str::to_string),
            message,
        }
    }

    fn next_job(&mut self) -> Option<Result<TraceJob, TraceError>> {
        loop {
            match self.csv.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    let line = error_line(&mut self.csv, &e);
                    return Some(Err(csv_error(&self.source, e, line, Some(&self.layout))));
                }
            }
            let line = record_line(&mut self.csv, &self.record);
            // A line of only spaces is a single empty field: treat it like a blank line.
            if self.record.len() == 1 && self.record[0].trim().is_empty() {
                continue;
            }
            if self.record.len() != self.layout.width {
                let message = format!(
                    "found {} fields but the header has {} (a value containing a comma must be \
                     in double quotes)",
                    self.record.len(),
                    self.layout.width
                );
                return Some(Err(self.at(line, None, message)));
            }
            let job = match self.layout.parse(&self.record) {
                Ok(job) => job,
                Err((column, message)) => return Some(Err(self.at(line, column, message))),
            };
            if let Some((prev, prev_line)) = self.previous
                && job.submit < prev
            {
                let message = format!(
                    "{} is earlier than {} on line {prev_line}; rows must be in submit order \
                     (sort the file by the submit column)",
                    self.layout.get(&self.record, SUBMIT),
                    ms_to_secs_text(prev),
                );
                return Some(Err(self.at(line, Some("submit"), message)));
            }
            self.previous = Some((job.submit, line));
            return Some(Ok(job));
        }
    }
}

impl<R: Read> Iterator for NativeReader<R> {
    type Item = Result<TraceJob, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_job();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl<R: Read> std::iter::FusedIterator for NativeReader<R> {}

/// Translates a csv-crate error into one that names the file, line and column.
fn csv_error(source: &str, e: csv::Error, line: u64, layout: Option<&Layout>) -> TraceError {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(error) => TraceError::Io {
            source_name: source.to_string(),
            error,
        },
        csv::ErrorKind::Utf8 { err, .. } => {
            let column = layout.and_then(|l| {
                l.index
                    .iter()
                    .position(|i| *i == Some(err.field()))
                    .map(|k| COLUMNS[k].to_string())
            });
            let message = match &column {
                Some(_) => "is not valid UTF-8 (save the file as UTF-8)".to_string(),
                None => format!(
                    "field {} is not valid UTF-8 (save the file as UTF-8)",
                    err.field() + 1
                ),
            };
            TraceError::At {
                source_name: source.to_string(),
                line,
                column,
                message,
            }
        }
        // Not expected when reading into strings with `flexible`, but never lose the text.
        _ => TraceError::At {
            source_name: source.to_string(),
            line,
            column: None,
            message: text,
        },
    }
}

/// Checks that `job` can be written so that reading it back gives an equal job.
fn check_writable(job: &TraceJob) -> Result<(), TraceError> {
    let bad = |column: &'static str, message: String| TraceError::InvalidJob {
        id: job.id,
        column,
        message,
    };
    // Readers trim fields and treat empty as absent, so names must be non-empty and unpadded.
    let name_ok = |s: &str| !s.is_empty() && s.trim() == s;
    if !name_ok(&job.class) {
        return Err(bad(
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
                column,
                format!("{s:?} is empty or has surrounding spaces"),
            ));
        }
    }
    match &job.request {
        Some(RequestSpec::Mig { profile, count }) => {
            if !name_ok(profile) {
                return Err(bad(
                    "mig_profile",
                    format!("{profile:?} is empty or has surrounding spaces"),
                ));
            }
            if *count == 0 {
                return Err(bad("gpus", "a MIG request needs a count >= 1".to_string()));
            }
        }
        Some(RequestSpec::Milli { milli, count }) => {
            if !(1..=1000).contains(milli) {
                return Err(bad("gpu_milli", format!("{milli} is not in 1..=1000")));
            }
            if *count == 0 {
                return Err(bad(
                    "gpus",
                    "a milli request needs a count >= 1".to_string(),
                ));
            }
        }
        Some(RequestSpec::Gpu { .. }) | Some(RequestSpec::SharedGpu { .. }) | None => {}
    }
    if let Some(m) = job.mem_gib
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(bad("mem_gib", format!("{m} is not a number >= 0")));
    }
    for (column, value) in [("u", job.u), ("d", job.d)] {
        if let Some(x) = value
            && !(x > 0.0 && x <= 1.0)
        {
            return Err(bad(column, format!("{x} is not in (0, 1]")));
        }
    }
    if job.duration == 0 {
        return Err(bad("duration", "0 ms is not > 0".to_string()));
    }
    for m in &job.gpu_models {
        if !name_ok(m) || m.contains('|') {
            return Err(bad(
                "gpu_models",
                format!("{m:?} is empty, has surrounding spaces or contains `|`"),
            ));
        }
    }
    for (i, step) in job.load.iter().enumerate() {
        if !(step.u > 0.0 && step.u <= 1.0) {
            return Err(bad(
                "load",
                format!("step {}: u {} is not in (0, 1]", i + 1, step.u),
            ));
        }
        if i > 0 && step.at <= job.load[i - 1].at {
            return Err(bad(
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
            opt(gpus.map(|g| g.to_string())),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all(text: &str) -> Result<Vec<TraceJob>, TraceError> {
        NativeReader::from_reader(text.as_bytes(), "traces/x.csv")?.collect()
    }

    fn read_err(text: &str) -> String {
        match read_all(text) {
            Ok(jobs) => panic!("expected an error, read {jobs:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn job(id: u64, submit: SimTime, class: &str, duration: SimTime) -> TraceJob {
        TraceJob::new(id, submit, class, duration)
    }

    #[test]
    fn reads_every_column() {
        let text = "\
id,submit,class,namespace,priority_class,gpus,gpu_milli,mig_profile,mem_gib,duration,u,d,checkpoint,gpu_models,load
7,1.5,train,ml,high,2,,,20.5,3600,0.9,0.75,600,T4| V100M16|,
8,2,infer,web,,,,3g.40gb,,0.25,,,0,,0:0.5;60.5:0.25;120:1
";
        let jobs = read_all(text).unwrap();
        let first = TraceJob {
            id: 7,
            submit: 1_500,
            class: "train".into(),
            namespace: Some("ml".into()),
            priority_class: Some("high".into()),
            request: Some(RequestSpec::Gpu { count: 2 }),
            mem_gib: Some(20.5),
            duration: 3_600_000,
            u: Some(0.9),
            d: Some(0.75),
            checkpoint: Some(600_000),
            gpu_models: vec!["T4".into(), "V100M16".into()],
            load: Vec::new(),
        };
        let second = TraceJob {
            id: 8,
            submit: 2_000,
            class: "infer".into(),
            namespace: Some("web".into()),
            priority_class: None,
            request: Some(RequestSpec::Mig {
                profile: "3g.40gb".into(),
                count: 1,
            }),
            mem_gib: None,
            duration: 250,
            u: None,
            d: None,
            checkpoint: Some(0),
            gpu_models: Vec::new(),
            load: vec![
                LoadStep { at: 0, u: 0.5 },
                LoadStep {
                    at: 60_500,
                    u: 0.25,
                },
                LoadStep {
                    at: 120_000,
                    u: 1.0,
                },
            ],
        };
        assert_eq!(jobs, vec![first, second]);
    }

    /// The example in docs/TRACE.md must stay a valid trace that means what the text says.
    #[test]
    fn the_documented_example_reads_as_described() {
        let doc = include_str!("../../docs/TRACE.md");
        let start = doc
            .find("```csv\n")
            .expect("docs/TRACE.md has a csv example")
            + 7;
        let len = doc[start..].find("```").unwrap();
        let jobs = read_all(&doc[start..start + len]).unwrap();
        let requests: Vec<Option<RequestSpec>> = jobs.iter().map(|j| j.request.clone()).collect();
        assert_eq!(
            requests,
            vec![
                Some(RequestSpec::Gpu { count: 4 }),
                Some(RequestSpec::Gpu { count: 1 }),
                Some(RequestSpec::Mig {
                    profile: "3g.40gb".into(),
                    count: 1
                }),
                Some(RequestSpec::Milli {
                    milli: 250,
                    count: 1
                }),
                Some(RequestSpec::Gpu { count: 0 }),
                Some(RequestSpec::Gpu { count: 1 }),
            ]
        );
        assert_eq!(jobs[3].gpu_models, vec!["T4", "V100M16"]);
        assert_eq!(
            jobs[5].load,
            vec![
                LoadStep { at: 0, u: 0.3 },
                LoadStep {
                    at: 900_000,
                    u: 0.75
                },
                LoadStep {
                    at: 1_800_000,
                    u: 0.4
                },
            ]
        );
        assert_eq!(jobs[0].duration, 2 * 3_600_000);
        assert_eq!(jobs[0].checkpoint, Some(30 * 60_000));
        assert_eq!(
            (jobs[1].priority_class.as_deref(), jobs[1].checkpoint),
            (None, None)
        );
        assert_eq!(jobs[4].submit, 95_250);
    }

    #[test]
    fn columns_in_any_order_spaces_trimmed_and_optional_columns_absent() {
        let text = "duration , class, id ,submit\n 60, a ,0, 0\n\n30,b,1,0.5\n";
        let jobs = read_all(text).unwrap();
        assert_eq!(jobs, vec![job(0, 0, "a", 60_000), job(1, 500, "b", 30_000)]);
    }

    #[test]
    fn byte_order_mark_and_crlf_are_accepted() {
        let text = "\u{feff}id,submit,class,duration\r\n3,4,c,5\r\n";
        assert_eq!(read_all(text).unwrap(), vec![job(3, 4_000, "c", 5_000)]);
    }

    #[test]
    fn header_only_gives_no_jobs() {
        assert_eq!(read_all("id,submit,class,duration\n").unwrap(), vec![]);
        assert_eq!(read_all("id,submit,class,duration").unwrap(), vec![]);
    }

    #[test]
    fn empty_file_is_a_clear_error() {
        let e = read_err("");
        assert!(
            e.starts_with("traces/x.csv: the file is empty; expected a header row"),
            "{e}"
        );
    }

    #[test]
    fn request_derivation_rules() {
        // (gpus, gpu_milli, mig_profile) -> expected request, each worked from the rules.
        let cases: [(&str, &str, &str, Option<RequestSpec>); 9] = [
            ("", "", "", None),
            ("4", "", "", Some(RequestSpec::Gpu { count: 4 })),
            ("0", "", "", Some(RequestSpec::Gpu { count: 0 })),
            (
                "",
                "250",
                "",
                Some(RequestSpec::Milli {
                    milli: 250,
                    count: 1,
                }),
            ),
            (
                "2",
                "500",
                "",
                Some(RequestSpec::Milli {
                    milli: 500,
                    count: 2,
                }),
            ),
            ("3", "1000", "", Some(RequestSpec::Gpu { count: 3 })),
            ("", "1000", "", Some(RequestSpec::Gpu { count: 1 })),
            (
                "",
                "",
                "1g.10gb",
                Some(RequestSpec::Mig {
                    profile: "1g.10gb".into(),
                    count: 1,
                }),
            ),
            (
                "2",
                "",
                "2g.20gb",
                Some(RequestSpec::Mig {
                    profile: "2g.20gb".into(),
                    count: 2,
                }),
            ),
        ];
        for (gpus, milli, mig, expected) in cases {
            let text = format!(
                "id,submit,class,duration,gpus,gpu_milli,mig_profile\n1,0,c,1,{gpus},{milli},{mig}\n"
            );
            let jobs = read_all(&text).unwrap();
            assert_eq!(
                jobs[0].request, expected,
                "gpus={gpus} milli={milli} mig={mig}"
            );
        }
    }

    #[test]
    fn row_errors_name_file_line_column_and_expectation() {
        let head = "id,submit,class,duration,u,d,mem_gib,gpus,gpu_milli,mig_profile,checkpoint\n";
        let ok = "1,0,c,10,,,,,,,\n";
        let cases = [
            (
                "2,1,c,10,1.7,,,,,,",
                "traces/x.csv:3: column u: 1.7 is not in (0, 1]",
            ),
            (
                "2,1,c,10,,0,,,,,",
                "traces/x.csv:3: column d: 0 is not in (0, 1]",
            ),
            (
                "2,1,c,10,x,,,,,,",
                "traces/x.csv:3: column u: `x` is not a number",
            ),
            (
                "2,1,c,10,,,-1,,,,",
                "traces/x.csv:3: column mem_gib: -1 is not >= 0 GiB",
            ),
            (
                "2,1,c,10,,,NaN,,,,",
                "traces/x.csv:3: column mem_gib: `NaN` is not a number",
            ),
            (
                "abc,1,c,10,,,,,,,",
                "traces/x.csv:3: column id: `abc` is not a whole number in 0..=18446744073709551615",
            ),
            (
                ",1,c,10,,,,,,,",
                "traces/x.csv:3: column id: missing value (expected a whole-number job id)",
            ),
            (
                "2,1,,10,,,,,,,",
                "traces/x.csv:3: column class: missing value (expected a workload class name)",
            ),
            (
                "2,-1,c,10,,,,,,,",
                "traces/x.csv:3: column submit: -1 is negative (expected seconds >= 0)",
            ),
            (
                "2,soon,c,10,,,,,,,",
                "traces/x.csv:3: column submit: soon is not a number of seconds",
            ),
            (
                "2,1,c,0,,,,,,,",
                "traces/x.csv:3: column duration: 0 is not > 0 seconds (the smallest is 0.001)",
            ),
            (
                "2,1,c,0.0004,,,,,,,",
                "traces/x.csv:3: column duration: 0.0004 is not > 0 seconds (the smallest is 0.001)",
            ),
            (
                "2,1,c,10,,,,-1,,,",
                "traces/x.csv:3: column gpus: `-1` is not a whole number in 0..=4294967295",
            ),
            (
                "2,1,c,10,,,,,0,,",
                "traces/x.csv:3: column gpu_milli: 0 is not in 1..=1000 (leave it empty for whole \
                 GPUs, or set gpus = 0 for a CPU-only job)",
            ),
            (
                "2,1,c,10,,,,,1500,,",
                "traces/x.csv:3: column gpu_milli: 1500 is not in 1..=1000 (leave it empty for \
                 whole GPUs, or set gpus = 0 for a CPU-only job)",
            ),
            (
                "2,1,c,10,,,,,500,3g.40gb,",
                "traces/x.csv:3: column gpu_milli: 500 is set together with mig_profile 3g.40gb; \
                 a job asks for one or the other",
            ),
            (
                "2,1,c,10,,,,0,,1g.10gb,",
                "traces/x.csv:3: column gpus: 0 with mig_profile 1g.10gb: it needs at least 1 \
                 device (leave gpus empty for 1)",
            ),
            (
                "2,1,c,10,,,,0,300,,",
                "traces/x.csv:3: column gpus: 0 with gpu_milli 300: it needs at least 1 device \
                 (leave gpus empty for 1)",
            ),
            (
                "2,1,c,10,,,,,,,-5",
                "traces/x.csv:3: column checkpoint: -5 is negative (expected seconds >= 0)",
            ),
            (
                "2,1,c,10,,",
                "traces/x.csv:3: found 6 fields but the header has 11 (a value containing a \
                 comma must be in double quotes)",
            ),
        ];
        for (row, expected) in cases {
            let text = format!("{head}{ok}{row}\n");
            assert_eq!(read_err(&text), expected);
        }
    }

    #[test]
    fn out_of_order_submit_is_an_error_with_both_lines() {
        let text = "id,submit,class,duration\n1,10,c,1\n2,12.5,c,1\n3,12,c,1\n";
        let mut reader = NativeReader::from_reader(text.as_bytes(), "t.csv").unwrap();
        assert_eq!(reader.next().unwrap().unwrap().id, 1);
        assert_eq!(reader.next().unwrap().unwrap().id, 2);
        let e = reader.next().unwrap().unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv:4: column submit: 12 is earlier than 12.5 on line 3; rows must be in submit \
             order (sort the file by the submit column)"
        );
        // Iteration stops after an error.
        assert!(reader.next().is_none());
    }

    #[test]
    fn equal_submit_times_are_in_order() {
        let text = "id,submit,class,duration\n1,5,c,1\n2,5,c,1\n";
        assert_eq!(read_all(text).unwrap().len(), 2);
    }

    #[test]
    fn bad_load_and_model_columns_are_named() {
        let head = "id,submit,class,duration,load\n";
        let cases = [
            (
                "1,0,c,1,0.5",
                "column load: step 1 `0.5` is not `seconds:u` (steps look like 0:0.4;60:0.55)",
            ),
            ("1,0,c,1,0:0", "column load: step 1: u `0` is not in (0, 1]"),
            (
                "1,0,c,1,0:1.5",
                "column load: step 1: u `1.5` is not in (0, 1]",
            ),
            (
                "1,0,c,1,0:0.5;x:0.2",
                "column load: step 2: offset x is not a number of seconds",
            ),
            (
                "1,0,c,1,10:0.5;10:0.2",
                "column load: step 2: offset 10 s is not after the previous step's 10 s",
            ),
        ];
        for (row, expected) in cases {
            assert_eq!(
                read_err(&format!("{head}{row}\n")),
                format!("traces/x.csv:2: {expected}")
            );
        }
        let e = write_native(
            Vec::new(),
            [TraceJob {
                gpu_models: vec!["T4|P100".into()],
                ..job(3, 0, "c", 1)
            }],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "cannot write job 3: column gpu_models: \"T4|P100\" is empty, has surrounding spaces \
             or contains `|`"
        );
    }

    #[test]
    fn header_problems_are_all_named() {
        let e = read_err("id,submit,Class,durration,u,u\n");
        assert_eq!(
            e,
            "traces/x.csv:1: unknown columns `Class` (did you mean `class`?), `durration` (the \
             native format has: id, submit, class, namespace, priority_class, gpus, gpu_milli, \
             mig_profile, mem_gib, duration, u, d, checkpoint, gpu_models, load); column `u` \
             appears more than once; missing required columns `class`, `duration`"
        );
    }

    #[test]
    fn a_trailing_comma_in_the_header_is_named() {
        assert_eq!(
            read_err("id,submit,class,duration,\n"),
            "traces/x.csv:1: unknown column with no name (field 5; is there a stray comma?) (the \
             native format has: id, submit, class, namespace, priority_class, gpus, gpu_milli, \
             mig_profile, mem_gib, duration, u, d, checkpoint, gpu_models, load)"
        );
    }

    #[test]
    fn line_numbers_count_blank_lines_and_quoted_newlines() {
        // Line 1 header, line 2 blank, lines 3-4 one row with a quoted newline, line 5 blank,
        // line 6 the bad row.
        let text = "id,submit,class,duration,namespace\n\n1,0,c,1,\"a\nb\"\n\n2,0,c,1,,\n";
        assert_eq!(
            read_err(text),
            "traces/x.csv:6: found 6 fields but the header has 5 (a value containing a comma \
             must be in double quotes)"
        );
    }

    #[test]
    fn line_numbers_are_right_with_crlf_line_ends() {
        let text = "id,submit,class,duration\r\n1,0,c,1\r\n\r\n2,0,\"c\r\nd\",1\r\n3,0,c,x\r\n";
        assert_eq!(
            read_err(text),
            "traces/x.csv:6: column duration: x is not a number of seconds"
        );
        let text = "\n\nid,submit,class\n";
        assert_eq!(
            read_err(text),
            "traces/x.csv:3: missing required column `duration`"
        );
    }

    #[test]
    fn invalid_utf8_names_the_column() {
        let mut bytes = b"id,submit,class,duration\n1,0,".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b",1\n");
        let e = NativeReader::from_reader(bytes.as_slice(), "t.csv")
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.csv:2: column class: is not valid UTF-8 (save the file as UTF-8)"
        );
    }

    #[test]
    fn open_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.csv");
        std::fs::write(&path, "id,submit,class,duration\n1,0,c,1.5\n2,1,c,2,\n").unwrap();
        let mut reader = NativeReader::open(&path).unwrap();
        assert_eq!(reader.source_name(), path.display().to_string());
        assert_eq!(reader.next().unwrap().unwrap(), job(1, 0, "c", 1_500));
        let e = reader.next().unwrap().unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:3: found 5 fields but the header has 4 (a value containing a comma must be \
                 in double quotes)",
                path.display()
            )
        );
        let missing = dir.path().join("nope.csv");
        let e = NativeReader::open(&missing).err().unwrap().to_string();
        assert!(e.starts_with(&format!("{}: ", missing.display())), "{e}");
    }

    /// An endless trace: proves rows are read on demand (collecting it would never finish).
    struct Endless {
        pending: Vec<u8>,
        next_id: u64,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                self.pending = format!("{},{},c,1\n", self.next_id, self.next_id).into_bytes();
                self.next_id += 1;
            }
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn reads_lazily() {
        let source = Endless {
            pending: b"id,submit,class,duration\n".to_vec(),
            next_id: 0,
        };
        let mut reader = NativeReader::from_reader(source, "endless").unwrap();
        let ids: Vec<u64> = reader
            .by_ref()
            .skip(99_997)
            .take(3)
            .map(|j| j.unwrap().id)
            .collect();
        assert_eq!(ids, vec![99_997, 99_998, 99_999]);
        // Line tracking keeps only newlines the parser has read ahead (its buffer is 8 KiB),
        // not one per row so far.
        assert!(reader.csv.get_ref().newlines.len() < 8 * 1024);
    }

    #[test]
    fn seconds_text_conversions() {
        assert_eq!(ms_to_secs_text(0), "0");
        assert_eq!(ms_to_secs_text(1), "0.001");
        assert_eq!(ms_to_secs_text(120), "0.12");
        assert_eq!(ms_to_secs_text(1_500), "1.5");
        assert_eq!(ms_to_secs_text(3_600_000), "3600");
        assert_eq!(ms_to_secs_text(u64::MAX), "18446744073709551.615");
        assert_eq!(secs_text_to_ms("1.5"), Ok(1_500));
        assert_eq!(secs_text_to_ms("+2"), Ok(2_000));
        assert_eq!(secs_text_to_ms(".25"), Ok(250));
        assert_eq!(secs_text_to_ms("7."), Ok(7_000));
        assert_eq!(secs_text_to_ms("0.0005"), Ok(1)); // half rounds up
        assert_eq!(secs_text_to_ms("0.00049"), Ok(0));
        assert_eq!(secs_text_to_ms("1e3"), Ok(1_000_000));
        assert_eq!(secs_text_to_ms("18446744073709551.615"), Ok(u64::MAX));
        assert!(secs_text_to_ms("18446744073709551.616").is_err());
        assert!(secs_text_to_ms("1e300").is_err());
        assert!(secs_text_to_ms("-0.5").is_err());
        assert!(secs_text_to_ms("inf").is_err());
        assert!(secs_text_to_ms(".").is_err());
        assert!(secs_text_to_ms("1.2.3").is_err());
    }

    #[test]
    fn writer_refuses_jobs_that_would_not_read_back() {
        let mut bad_u = job(4, 0, "c", 1);
        bad_u.u = Some(1.5);
        let e = write_native(Vec::new(), [bad_u]).unwrap_err().to_string();
        assert_eq!(e, "cannot write job 4: column u: 1.5 is not in (0, 1]");

        let e = write_native(Vec::new(), [job(1, 0, " c", 1)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "cannot write job 1: column class: \" c\" is empty or has surrounding spaces"
        );

        let e = write_native(Vec::new(), [job(1, 2_000, "c", 1), job(2, 1_000, "c", 1)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "cannot write job 2: column submit: 1 s is earlier than the previous job's 2 s; \
             jobs must be in submit order"
        );
    }

    #[test]
    fn writer_output_is_exact_text() {
        let mut j = job(5, 1_500, "train, big", 90_250);
        j.request = Some(RequestSpec::Milli {
            milli: 300,
            count: 2,
        });
        j.u = Some(0.1);
        let mut out = Vec::new();
        write_native(&mut out, [j]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,submit,class,namespace,priority_class,gpus,gpu_milli,mig_profile,mem_gib,\
             duration,u,d,checkpoint,gpu_models,load\n5,1.5,\"train, big\",,,2,300,,,90.25,0.1,,,,\n"
        );
    }

    #[test]
    fn milli_1000_writes_as_whole_gpus() {
        let mut j = job(1, 0, "c", 1_000);
        j.request = Some(RequestSpec::Milli {
            milli: 1000,
            count: 2,
        });
        let mut out = Vec::new();
        write_native(&mut out, [j]).unwrap();
        let back = read_all(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(back[0].request, Some(RequestSpec::Gpu { count: 2 }));
    }

    fn name() -> impl Strategy<Value = String> {
        // Includes commas, quotes and inner spaces, which the writer must quote.
        "[a-zA-Z0-9_.,\"-][a-zA-Z0-9_., \"-]{0,8}[a-zA-Z0-9_.,\"-]|[a-z]"
    }

    fn request() -> impl Strategy<Value = Option<RequestSpec>> {
        prop_oneof![
            Just(None),
            any::<u32>().prop_map(|count| Some(RequestSpec::Gpu { count })),
            (1u32..1000, 1u32..=u32::MAX)
                .prop_map(|(milli, count)| Some(RequestSpec::Milli { milli, count })),
            ("[1-7]g\\.[0-9]{1,3}gb", 1u32..=u32::MAX)
                .prop_map(|(profile, count)| Some(RequestSpec::Mig { profile, count })),
        ]
    }

    fn fraction() -> impl Strategy<Value = Option<f64>> {
        proptest::option::of(prop_oneof![
            Just(1.0),
            Just(f64::MIN_POSITIVE),
            (0.0..=1.0f64).prop_filter("u, d > 0", |x| *x > 0.0),
        ])
    }

    fn trace_job() -> impl Strategy<Value = TraceJob> {
        (
            (any::<u64>(), any::<u64>(), name()),
            (proptest::option::of(name()), proptest::option::of(name())),
            request(),
            proptest::option::of(prop_oneof![
                Just(0.0),
                Just(f64::MAX),
                0.0..1e6f64,
                (0.0..1.0f64).prop_map(|x| x * 1e-300),
            ]),
            1u64..=u64::MAX,
            (fraction(), fraction()),
            proptest::option::of(any::<u64>()),
            (proptest::collection::vec(name(), 0..3), load()),
        )
            .prop_map(
                |(
                    (id, submit, class),
                    (namespace, priority_class),
                    request,
                    mem_gib,
                    duration,
                    (u, d),
                    checkpoint,
                    (gpu_models, load),
                )| {
                    TraceJob {
                        id,
                        submit,
                        class,
                        namespace,
                        priority_class,
                        request,
                        mem_gib,
                        duration,
                        u,
                        d,
                        checkpoint,
                        gpu_models: gpu_models
                            .into_iter()
                            .filter(|m| !m.contains('|'))
                            .collect(),
                        load,
                    }
                },
            )
    }

    fn load() -> impl Strategy<Value = Vec<LoadStep>> {
        proptest::collection::vec((1u64..1_000_000_000, fraction()), 0..4).prop_map(|steps| {
            let mut at = 0;
            steps
                .into_iter()
                .map(|(gap, u)| {
                    at += gap;
                    LoadStep {
                        at,
                        u: u.unwrap_or(1.0),
                    }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn write_then_read_gives_equal_jobs(mut jobs in proptest::collection::vec(trace_job(), 0..20)) {
            jobs.sort_by_key(|j| j.submit);
            let mut out = Vec::new();
            write_native(&mut out, jobs.clone()).unwrap();
            let back: Vec<TraceJob> = NativeReader::from_reader(out.as_slice(), "mem")
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            prop_assert_eq!(back, jobs);
        }

        #[test]
        fn error_line_is_the_physical_line(
            rows in proptest::collection::vec((0usize..3, any::<bool>(), any::<bool>()), 0..30),
            bad_crlf in any::<bool>(),
        ) {
            // Good rows, each preceded by some empty lines, with LF or CRLF ends and sometimes a
            // quoted two-line class; then one bad row. Its line is counted here independently:
            // one plus the number of '\n' before it.
            let mut text = String::from("id,submit,class,duration\n");
            for (i, (blanks, crlf, two_line)) in rows.iter().enumerate() {
                let end = if *crlf { "\r\n" } else { "\n" };
                for _ in 0..*blanks {
                    text.push_str(end);
                }
                let class = if *two_line { format!("\"c{end}x\"") } else { "c".to_string() };
                text.push_str(&format!("{i},0,{class},1{end}"));
            }
            let expected_line = 1 + text.matches('\n').count();
            text.push_str(if bad_crlf { "99,0,c,-4\r\n" } else { "99,0,c,-4" });
            let e = NativeReader::from_reader(text.as_bytes(), "t.csv")
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap_err()
                .to_string();
            prop_assert_eq!(
                e,
                format!("t.csv:{expected_line}: column duration: -4 is negative (expected seconds >= 0)")
            );
        }

        #[test]
        fn malformed_input_never_panics(text in "[a-z0-9_.,\"\n -]{0,200}") {
            let with_header = format!("id,submit,class,duration,u,gpus,gpu_milli,mig_profile\n{text}");
            for input in [text.as_str(), with_header.as_str()] {
                if let Ok(reader) = NativeReader::from_reader(input.as_bytes(), "fuzz") {
                    for _ in reader {}
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut input = b"id,submit,class,duration\n".to_vec();
            input.extend_from_slice(&bytes);
            if let Ok(reader) = NativeReader::from_reader(input.as_slice(), "fuzz") {
                for _ in reader {}
            }
        }
    }
}
