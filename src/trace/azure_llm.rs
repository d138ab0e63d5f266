//! Importer for the Azure LLM inference traces (2023, Splitwise): one row per request,
//! `TIMESTAMP, ContextTokens, GeneratedTokens`.
//!
//! A request log is not a list of jobs: it is the load of a long-running inference service.
//! The importer turns it into one service job (or `replicas` jobs sharing the load) whose duty
//! cycle `u` follows the requests window by window. Each request costs
//! `ContextTokens / prefill_tokens_per_s + GeneratedTokens / decode_tokens_per_s`
//! seconds of a whole reference GPU, and a window's `u` is the cost of the requests that arrive
//! in it divided by the window's length (and by the replicas), clamped to [min_u, 1]. Under
//! time-slicing or MIG a service whose `u` exceeds the GPU time it gets runs slower than alone
//! and, with a `speed_target` on its class, is reported below target. See `docs/TRACE.md`.

use super::clock::{midnight_before, parse_datetime_ms};
use super::import::{Entry, ImportMap, ImportReport, Origin, RunStatus, TraceFormat};
use super::rows::CsvRows;
use super::{TraceError, TraceJob};
use crate::domain::LoadStep;
use crate::units::Dur;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// Azure LLM mapping options (`map.azure_llm`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AzureLlmMap {
    /// Width of the load steps.
    pub window: Dur,
    /// Prompt tokens one whole reference GPU processes per second (prefill), for the served
    /// model.
    pub prefill_tokens_per_s: f64,
    /// Generated tokens one whole reference GPU produces per second (decode, batched).
    pub decode_tokens_per_s: f64,
    /// Floor of the duty cycle (an idle service still holds its GPU and polls).
    pub min_u: f64,
    /// Service replicas the load is split evenly over (one job each).
    pub replicas: u32,
    /// Time 0 of the run: the first request, or midnight before it.
    pub origin: Origin,
}

impl Default for AzureLlmMap {
    fn default() -> Self {
        AzureLlmMap {
            window: Dur(60_000),
            prefill_tokens_per_s: 12_000.0,
            decode_tokens_per_s: 3_000.0,
            min_u: 0.01,
            replicas: 1,
            origin: Origin::First,
        }
    }
}

impl AzureLlmMap {
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.window.ms() < 1000 {
            out.push((
                "window".into(),
                format!("{} is shorter than 1s", self.window),
            ));
        }
        for (f, v) in [
            ("prefill_tokens_per_s", self.prefill_tokens_per_s),
            ("decode_tokens_per_s", self.decode_tokens_per_s),
        ] {
            if !(v.is_finite() && v > 0.0) {
                out.push((f.into(), format!("{v} is not a number > 0")));
            }
        }
        if !(self.min_u > 0.0 && self.min_u <= 1.0) {
            out.push(("min_u".into(), format!("{} is not in (0, 1]", self.min_u)));
        }
        if self.replicas == 0 {
            out.push(("replicas".into(), "must be at least 1".into()));
        }
        out
    }

    /// Seconds of a whole reference GPU one request needs.
    pub fn cost_s(&self, r: &Request) -> f64 {
        r.context as f64 / self.prefill_tokens_per_s + r.generated as f64 / self.decode_tokens_per_s
    }
}

/// One request of the log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Arrival, ms since 1970-01-01 on the trace's clock.
    pub at: i64,
    pub context: u64,
    pub generated: u64,
}

const COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

fn expected() -> String {
    format!(
        "the azure-llm format has {}",
        TraceFormat::AzureLlm.columns()
    )
}

/// Reads the requests of a file (bad rows skipped and reported, or an error under `strict`).
pub fn read_requests(
    path: &Path,
    strict: bool,
) -> Result<(Vec<Request>, ImportReport), TraceError> {
    read_rows(CsvRows::open(path, &expected())?, strict)
}

fn read_rows<R: Read>(
    mut rows: CsvRows<R>,
    strict: bool,
) -> Result<(Vec<Request>, ImportReport), TraceError> {
    let [ts, ctx, gen_col]: [usize; 3] = rows
        .locate(&COLUMNS, "azure-llm")?
        .try_into()
        .expect("three columns");
    let width = rows.header.len();
    let mut report = ImportReport::new(rows.source(), TraceFormat::AzureLlm);
    let mut out = Vec::new();
    while let Some(row) = rows.next_row() {
        report.rows += 1;
        let (line, rec) = match row? {
            Ok(r) => r,
            Err(p) => {
                report.bad_row(strict, p.line, p.column.as_deref(), p.message)?;
                continue;
            }
        };
        if rec.len() != width {
            report.bad_row(
                strict,
                line,
                None,
                format!("found {} fields but the header has {width}", rec.len()),
            )?;
            continue;
        }
        let at = match parse_datetime_ms(&rec[ts]) {
            Ok(t) => t,
            Err(m) => {
                report.bad_row(strict, line, Some(COLUMNS[0]), m)?;
                continue;
            }
        };
        let tokens = |i: usize| rec[i].parse::<u64>();
        let (context, generated) = match (tokens(ctx), tokens(gen_col)) {
            (Ok(c), Ok(g)) => (c, g),
            (c, _) => {
                let (col, v) = if c.is_err() {
                    (COLUMNS[1], &rec[ctx])
                } else {
                    (COLUMNS[2], &rec[gen_col])
                };
                report.bad_row(
                    strict,
                    line,
                    Some(col),
                    format!("`{v}` is not a whole number of tokens"),
                )?;
                continue;
            }
        };
        out.push(Request {
            at,
            context,
            generated,
        });
    }
    Ok((out, report))
}

/// Reads a request log and turns it into service jobs (see the module docs).
pub fn import(
    path: &Path,
    map: &ImportMap,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let (requests, report) = read_requests(path, strict)?;
    Ok(to_services(&requests, report, map))
}

/// Reads request-log text from any source (`source` names it in messages).
pub fn import_reader<R: Read>(
    reader: R,
    source: &str,
    map: &ImportMap,
    strict: bool,
) -> Result<(Vec<Entry>, ImportReport), TraceError> {
    let (requests, report) = read_rows(CsvRows::from_reader(reader, source, &expected())?, strict)?;
    Ok(to_services(&requests, report, map))
}

/// The reference-GPU duty cycle per window (before clamping and splitting over replicas), and
/// the ms of the first window's start on the trace's clock.
pub fn window_demand(requests: &[Request], opts: &AzureLlmMap) -> (i64, Vec<f64>) {
    let Some(first) = requests.iter().map(|r| r.at).min() else {
        return (0, Vec::new());
    };
    let last = requests.iter().map(|r| r.at).max().unwrap_or(first);
    let zero = match opts.origin {
        Origin::First => first,
        Origin::Midnight => midnight_before(first),
    };
    let w = opts.window.ms() as i64;
    // Windows are counted from time 0 of the run, so they line up with its clock.
    let start = zero + (first - zero) / w * w;
    let n = ((last - start) / w + 1) as usize;
    let mut cost = vec![0.0; n];
    for r in requests {
        cost[((r.at - start) / w) as usize] += opts.cost_s(r);
    }
    let secs = opts.window.secs();
    (start, cost.into_iter().map(|c| c / secs).collect())
}

fn to_services(
    requests: &[Request],
    mut report: ImportReport,
    map: &ImportMap,
) -> (Vec<Entry>, ImportReport) {
    let opts = &map.azure_llm;
    let (start, demand) = window_demand(requests, opts);
    if demand.is_empty() {
        report.notes.push("no requests: no service job".into());
        return (Vec::new(), report);
    }
    let first = requests.iter().map(|r| r.at).min().unwrap_or(start);
    let zero = match opts.origin {
        Origin::First => first,
        Origin::Midnight => midnight_before(first),
    };
    let replicas = opts.replicas.max(1);
    let per_replica: Vec<f64> = demand.iter().map(|d| d / f64::from(replicas)).collect();
    let clamped_high = per_replica.iter().filter(|&&u| u > 1.0).count();
    let w = opts.window.ms();
    let mut steps: Vec<LoadStep> = Vec::new();
    for (k, &u) in per_replica.iter().enumerate() {
        let u = u.clamp(opts.min_u, 1.0);
        if steps.last().is_none_or(|s| s.u != u) {
            steps.push(LoadStep {
                at: k as u64 * w,
                u,
            });
        }
    }
    let submit = (start - zero).max(0) as u64;
    let duration = demand.len() as u64 * w;
    let class = map.class_for(TraceFormat::AzureLlm);
    let entries: Vec<Entry> = (0..replicas)
        .map(|r| {
            let mut job = TraceJob::new(u64::from(r), submit, class.clone(), duration);
            job.load = steps.clone();
            Entry {
                job,
                status: RunStatus::Ran,
            }
        })
        .collect();
    let mean = per_replica.iter().sum::<f64>() / per_replica.len() as f64;
    let peak = per_replica.iter().copied().fold(0.0, f64::max);
    report.jobs = entries.len() as u64;
    report.notes.push(format!(
        "{} requests -> {replicas} service job{} of class {class}, {} windows of {} from {} s: \
         mean u {mean:.3}, peak u {peak:.3} per replica (prefill {} tokens/s, decode {} \
         tokens/s on the reference GPU)",
        requests.len(),
        if replicas == 1 { "" } else { "s" },
        demand.len(),
        opts.window,
        submit / 1000,
        opts.prefill_tokens_per_s,
        opts.decode_tokens_per_s,
    ));
    if clamped_high > 0 {
        report.notes.push(format!(
            "{clamped_high} windows need more than one reference GPU per replica and are \
             clamped to u = 1 (raise azure_llm.replicas to spread the load)"
        ));
    }
    (entries, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

    fn run(text: &str, map: &ImportMap) -> (Vec<Entry>, ImportReport) {
        import_reader(text.as_bytes(), "a.csv", map, false).unwrap()
    }

    #[test]
    fn requests_become_a_service_with_a_load_per_window() {
        // Prefill 12 000 tokens/s and decode 3 000 tokens/s; 60 s windows from the first request.
        // Window 0 [0, 60 s): 6 000 + 12 000 prompt tokens -> 1.5 s; 300 + 600 generated
        //   -> 0.3 s: u = 1.8 / 60 = 0.03.
        // Window 1: no requests -> min_u 0.01.
        // Window 2 [120, 180 s): 360 000 prompt tokens -> 30 s; 18 000 generated -> 6 s:
        //   u = 36 / 60 = 0.6.
        let text = format!(
            "{HEAD}2023-11-16 18:00:00.0000000,6000,300\n\
             2023-11-16 18:00:59.9990000,12000,600\n\
             2023-11-16 18:02:30.5000000,360000,18000\n"
        );
        let (entries, report) = run(&text, &ImportMap::default());
        assert_eq!(entries.len(), 1);
        let j = &entries[0].job;
        assert_eq!((j.id, j.submit, j.duration), (0, 0, 180_000));
        assert_eq!(j.class, "llm");
        let u: Vec<(u64, f64)> = j.load.iter().map(|s| (s.at, s.u)).collect();
        assert_eq!(u.len(), 3);
        let want = [(0, 0.03), (60_000, 0.01), (120_000, 0.6)];
        for ((at, u), (wat, wu)) in u.iter().zip(want) {
            assert_eq!(*at, wat);
            assert!((u - wu).abs() < 1e-12, "{u} vs {wu}");
        }
        assert_eq!((report.rows, report.jobs), (3, 1));
        assert!(report.notes[0].starts_with("3 requests -> 1 service job of class llm, 3 windows"));
    }

    #[test]
    fn replicas_split_the_load_and_overload_is_clamped_and_noted() {
        // One window with 1.44 M prompt tokens: 120 s of GPU in 60 s -> u = 2.0 in total.
        let text = format!("{HEAD}2023-11-16 18:00:00,1440000,0\n2023-11-16 18:00:30,0,0\n");
        let (entries, report) = run(&text, &ImportMap::default());
        assert_eq!(entries[0].job.load, vec![LoadStep { at: 0, u: 1.0 }]);
        assert!(report.notes[1].starts_with("1 windows need more than one reference GPU"));
        let mut map = ImportMap::default();
        map.azure_llm.replicas = 4;
        map.class = Some("chat".into());
        let (entries, report) = run(&text, &map);
        assert_eq!(entries.len(), 4);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.job.id, i as u64);
            assert_eq!(e.job.class, "chat");
            assert_eq!(e.job.load, vec![LoadStep { at: 0, u: 0.5 }]);
        }
        assert_eq!(report.notes.len(), 1);
    }

    #[test]
    fn midnight_origin_keeps_the_hour() {
        let mut map = ImportMap::default();
        map.azure_llm.origin = Origin::Midnight;
        map.azure_llm.window = Dur(600_000);
        let text = format!("{HEAD}2023-11-16 18:17:03.9799600,100,10\n");
        let (entries, _) = run(&text, &map);
        // Windows line up with the run's clock: 18:10 is the start of the first 10-minute one.
        assert_eq!(entries[0].job.submit, (18 * 3600 + 10 * 60) * 1000);
        assert_eq!(entries[0].job.duration, 600_000);
    }

    #[test]
    fn bad_rows_and_empty_files() {
        let text = format!(
            "{HEAD}2023-11-16 18:00:00,10,1\nyesterday,10,1\n2023-11-16 18:00:01,-4,1\n\
             2023-11-16 18:00:01,4,x\n2023-11-16 18:00:01,4\n"
        );
        let (entries, report) = run(&text, &ImportMap::default());
        assert_eq!(entries.len(), 1);
        let bad: Vec<String> = report.bad.iter().map(|b| b.to_string()).collect();
        assert_eq!(
            bad,
            vec![
                "line 3: column TIMESTAMP: `yesterday` is not a date and time like 2017-10-09 \
                 07:01:55 (or with a fraction of a second)",
                "line 4: column ContextTokens: `-4` is not a whole number of tokens",
                "line 5: column GeneratedTokens: `x` is not a whole number of tokens",
                "line 6: found 2 fields but the header has 3",
            ]
        );
        let (entries, report) = run(HEAD, &ImportMap::default());
        assert!(entries.is_empty());
        assert_eq!(report.notes, vec!["no requests: no service job"]);
        let e = import_reader(&b""[..], "a.csv", &ImportMap::default(), false)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            "a.csv: the file is empty; expected a header row (the azure-llm format has \
             TIMESTAMP, ContextTokens, GeneratedTokens)"
        );
    }

    #[test]
    fn the_published_traces_match_their_facts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/azure-llm-2023");
        if !dir.is_dir() {
            eprintln!("skipped: {} not found (see README: traces)", dir.display());
            return;
        }
        // SOURCES.md: code 8,819 requests in 57 min; conv 19,366 requests in 58 min.
        for (name, count, minutes) in [("code", 8_819, 57), ("conv", 19_366, 58)] {
            let path = dir.join(format!("AzureLLMInferenceTrace_{name}.csv"));
            let (requests, report) = read_requests(&path, true).unwrap();
            assert_eq!((requests.len(), report.bad_count), (count, 0), "{name}");
            let first = requests.iter().map(|r| r.at).min().unwrap();
            let last = requests.iter().map(|r| r.at).max().unwrap();
            assert_eq!((last - first) / 60_000, minutes, "{name}");
            let (entries, _) = import(&path, &ImportMap::default(), true).unwrap();
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].job.duration, (minutes as u64 + 1) * 60_000);
        }
    }
}
