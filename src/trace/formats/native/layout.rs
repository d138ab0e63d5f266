//! The native format's header layout and the checks that turn one row into a job.

use super::values::{parse_load, secs_text_to_ms, split_models};
use super::*;
use crate::domain::RequestSpec;
use crate::limits::MAX_PODS;
use crate::trace::job::TraceJob;
use crate::units::SimTime;

/// Where each known column sits in the file's rows.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    pub(super) index: [Option<usize>; COLUMNS.len()],
    pub(super) width: usize,
}

/// A row-level problem before it is given its file and line: (column, message).
pub(super) type RowError = (Option<&'static str>, String);

impl Layout {
    /// Reads the header row. Collects every problem (unknown, repeated and missing columns) into
    /// one message so a user fixes the header in one pass.
    pub(super) fn from_header(header: &csv::StringRecord) -> Result<Layout, String> {
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
    pub(super) fn get<'r>(&self, rec: &'r csv::StringRecord, col: usize) -> &'r str {
        // Trimmed here rather than by the CSV reader, which would re-check every record.
        self.index[col]
            .and_then(|i| rec.get(i))
            .unwrap_or("")
            .trim()
    }

    /// Turns one data row into a job, checking every field.
    pub(super) fn parse(&self, rec: &csv::StringRecord) -> Result<TraceJob, RowError> {
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
        let (pods, gpus) = match field(GPUS).map(parse_gpus).transpose()? {
            Some((pods, gpus)) => (pods, Some(gpus)),
            None => (None, None),
        };
        let gpu_milli = field(GPU_MILLI).map(parse_milli).transpose()?;
        let mig_profile = field(MIG_PROFILE);
        let mem_gib = field(MEM_GIB).map(parse_mem).transpose()?;
        let u = field(U).map(|v| parse_fraction(U, v)).transpose()?;
        let d = field(D).map(|v| parse_fraction(D, v)).transpose()?;
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
            pods,
            host: Default::default(),
        })
    }
}

/// `gpus`: a device count `k`, or `NxK` for a gang of N pods of K devices each (docs/TRACE.md).
fn parse_gpus(v: &str) -> Result<(Option<u32>, u32), RowError> {
    let Some((n, k)) = v.split_once(['x', 'X']) else {
        return Ok((None, parse_int::<u32>(GPUS, v)?));
    };
    let bad = |why: &str| {
        err(
            GPUS,
            format!("`{v}` {why} (expected a count like 8, or NxK: N pods of K GPUs, like 2x8)"),
        )
    };
    let pods = n
        .trim()
        .parse::<u32>()
        .map_err(|_| bad("has no whole number of pods before x"))?;
    let count = k
        .trim()
        .parse::<u32>()
        .map_err(|_| bad("has no whole number of GPUs per pod after x"))?;
    if !(1..=MAX_PODS).contains(&pods) {
        return Err(bad(&format!(
            "asks for {pods} pods; a gang has 1..={MAX_PODS}"
        )));
    }
    if count == 0 {
        return Err(bad(
            "asks for 0 GPUs per pod; a gang's pods need at least 1",
        ));
    }
    Ok((Some(pods), count))
}

/// `gpu_milli`: a share of one GPU in 1..=1000.
fn parse_milli(v: &str) -> Result<u32, RowError> {
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
}

/// `mem_gib`: GiB >= 0.
fn parse_mem(v: &str) -> Result<f64, RowError> {
    let x = parse_float(MEM_GIB, v)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err(err(MEM_GIB, format!("{v} is not >= 0 GiB")))
    }
}

/// `u` or `d` (column `col`): a fraction in (0, 1].
fn parse_fraction(col: usize, v: &str) -> Result<f64, RowError> {
    let x = parse_float(col, v)?;
    if x > 0.0 && x <= 1.0 {
        Ok(x)
    } else {
        Err(err(col, format!("{v} is not in (0, 1]")))
    }
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
