//! `slicesim trace fit`: a workload profile fitted to a trace, and synthetic generation from it.
//!
//! A profile is a synthetic workload spec (the `workload: {kind: synthetic, ...}` of a scenario,
//! see `docs/TRACE.md`) whose numbers come from a trace:
//! - `rate_per_hour`: jobs / hours between the first and the last arrival (or of the busiest
//!   window holding a given share of arrivals, `--busiest 0.98`); `span`: that length;
//! - `diurnal`: the first harmonic of the arrivals per hour of day (omitted under one day of
//!   data or below 5 % amplitude);
//! - `mix`: one entry per distinct (class, namespace, priority class, request, allowed GPU
//!   models, memory) with its share of jobs as weight and a log-normal run time: median = the
//!   group's median, sigma = the standard deviation of ln(run time), clamped to the group's
//!   observed min and max. Groups of fewer than [`MIN_GROUP`] jobs take the sigma and clamps of
//!   their whole class (a small sample says little about spread).
//!
//! Generating from the profile with a scale factor multiplies the rate only: the same classes,
//! requests, run times and daily cycle with `factor` times the jobs ("what if load doubles").

use super::synthetic::{Diurnal, LogNormal, MixEntry, SyntheticJobs, SyntheticSpec};
use crate::domain::RequestSpec;
use crate::trace::{NativeWriter, TraceError, TraceJob};
use crate::units::{Dur, MS_PER_HOUR, SimTime};
use std::collections::BTreeMap;
use std::path::Path;

/// Groups smaller than this borrow their class's spread.
pub const MIN_GROUP: usize = 30;
/// Daily cycles weaker than this are left out of the profile.
pub const MIN_AMPLITUDE: f64 = 0.05;

/// The jobs of one mix entry: what they share.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    class: String,
    namespace: Option<String>,
    priority_class: Option<String>,
    request: Option<RequestSpec>,
    gpu_models: Vec<String>,
    /// `mem_gib` bits (an exact key for an f64).
    mem_bits: Option<u64>,
    /// Pods of a gang (None: one pod).
    pods: Option<u32>,
}

/// A fitted profile and what the fit noticed.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub spec: SyntheticSpec,
    /// Jobs the fit used (inside the window).
    pub jobs: u64,
    /// Jobs outside the window, left out.
    pub left_out: u64,
    pub notes: Vec<String>,
}

/// Log-normal fit of run times in ms: (median, sigma, min, max).
fn lognormal(durations: &mut [SimTime]) -> (SimTime, f64, SimTime, SimTime) {
    durations.sort_unstable();
    let n = durations.len();
    // Nearest-rank median, as everywhere else in slicesim.
    let median = durations[n.div_ceil(2) - 1].max(1);
    let logs: Vec<f64> = durations.iter().map(|&d| (d.max(1) as f64).ln()).collect();
    let mean = logs.iter().sum::<f64>() / n as f64;
    let sigma = if n > 1 {
        (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    (median, sigma, durations[0].max(1), durations[n - 1].max(1))
}

fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Fits a profile to `jobs` (in submit order or not). `busiest`: fit only the shortest window
/// holding this share of the arrivals (in (0, 1]); `None` = all of them.
pub fn fit(jobs: &[TraceJob], busiest: Option<f64>) -> Result<Fitted, String> {
    if let Some(b) = busiest
        && !(b > 0.0 && b <= 1.0)
    {
        return Err(format!("--busiest {b} is not a share in (0, 1]"));
    }
    if jobs.is_empty() {
        return Err("the trace has no jobs to fit".into());
    }
    let n = jobs.len();
    let kept = busiest_window(jobs, busiest);
    let k = kept.len();
    let (t0, t1) = (jobs[kept[0]].submit, jobs[kept[k - 1]].submit);
    // A window of one instant (all jobs at once) is taken as one hour.
    let span_ms = (t1 - t0).max(1000);
    let mut notes = Vec::new();
    let span_hours = span_ms as f64 / MS_PER_HOUR as f64;
    if t1 == t0 {
        notes.push(
            "every job arrives at the same instant: the rate is per second of a 1 s span".into(),
        );
    }
    let rate = k as f64 / span_hours;
    let diurnal = fit_diurnal(jobs, &kept, span_ms, &mut notes);
    let mix = fit_mix(jobs, &kept, &mut notes);
    let spec = SyntheticSpec {
        rate_per_hour: round_to(rate, 6),
        span: Some(Dur(span_ms.div_ceil(1000) * 1000)),
        max_jobs: None,
        diurnal,
        mix,
    };
    Ok(Fitted {
        spec,
        jobs: k as u64,
        left_out: (n - k) as u64,
        notes,
    })
}

/// Indices of the jobs in the shortest submit window holding the `busiest` share of them (all
/// when `None`), in submit order; the earliest such window on ties.
fn busiest_window(jobs: &[TraceJob], busiest: Option<f64>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| (jobs[i].submit, i));
    let n = order.len();
    let k = ((busiest.unwrap_or(1.0) * n as f64).ceil() as usize).clamp(1, n);
    let (mut best, mut at) = (SimTime::MAX, 0);
    for i in 0..=n - k {
        let w = jobs[order[i + k - 1]].submit - jobs[order[i]].submit;
        if w < best {
            best = w;
            at = i;
        }
    }
    order[at..at + k].to_vec()
}

/// The first harmonic of arrivals per hour of day, or None (with a note) under a day of data
/// or below [`MIN_AMPLITUDE`].
fn fit_diurnal(
    jobs: &[TraceJob],
    kept: &[usize],
    span_ms: SimTime,
    notes: &mut Vec<String>,
) -> Option<Diurnal> {
    let mut by_hour = [0u64; 24];
    for &i in kept {
        by_hour[((jobs[i].submit / MS_PER_HOUR) % 24) as usize] += 1;
    }
    if span_ms < 24 * MS_PER_HOUR {
        notes.push("less than a day of arrivals: no daily cycle fitted".into());
        return None;
    }
    let (mut a, mut b) = (0.0, 0.0);
    for (h, &c) in by_hour.iter().enumerate() {
        let theta = std::f64::consts::TAU * (h as f64 + 0.5) / 24.0;
        a += c as f64 * theta.cos();
        b += c as f64 * theta.sin();
    }
    let amplitude = (2.0 * a.hypot(b) / kept.len() as f64).min(1.0);
    let peak = (b.atan2(a) / std::f64::consts::TAU * 24.0).rem_euclid(24.0);
    if amplitude < MIN_AMPLITUDE {
        notes.push(format!(
            "daily cycle amplitude {amplitude:.3} is below {MIN_AMPLITUDE}: left out"
        ));
        return None;
    }
    Some(Diurnal {
        amplitude: round_to(amplitude, 3),
        peak_hour: round_to(peak, 2) % 24.0,
    })
}

/// One mix entry per [`GroupKey`], largest groups first; small groups take their class's
/// spread and range (noted).
fn fit_mix(jobs: &[TraceJob], kept: &[usize], notes: &mut Vec<String>) -> Vec<MixEntry> {
    let mut groups: BTreeMap<GroupKey, Vec<SimTime>> = BTreeMap::new();
    let mut by_class: BTreeMap<String, Vec<SimTime>> = BTreeMap::new();
    for &i in kept {
        let j = &jobs[i];
        let key = GroupKey {
            class: j.class.clone(),
            namespace: j.namespace.clone(),
            priority_class: j.priority_class.clone(),
            request: j.request.clone(),
            gpu_models: j.gpu_models.clone(),
            mem_bits: j.mem_gib.map(f64::to_bits),
            pods: j.pods,
        };
        groups.entry(key).or_default().push(j.duration);
        by_class
            .entry(j.class.clone())
            .or_default()
            .push(j.duration);
    }
    let class_fit: BTreeMap<String, (SimTime, f64, SimTime, SimTime)> = by_class
        .into_iter()
        .map(|(c, mut d)| (c, lognormal(&mut d)))
        .collect();
    let mut small = 0;
    let mut mix: Vec<(usize, MixEntry)> = groups
        .into_iter()
        .map(|(key, mut d)| {
            let count = d.len();
            let (median, mut sigma, mut min, mut max) = lognormal(&mut d);
            if count < MIN_GROUP {
                small += 1;
                let c = class_fit[&key.class];
                (sigma, min, max) = (c.1, c.2, c.3);
            }
            (count, mix_entry(key, count, median, sigma, min, max))
        })
        .collect();
    // Largest groups first; ties keep key order (the sort is stable).
    mix.sort_by_key(|e| std::cmp::Reverse(e.0));
    if small > 0 {
        notes.push(format!(
            "{small} of {} mix entries have fewer than {MIN_GROUP} jobs: they use their class's \
             run-time spread and range",
            mix.len()
        ));
    }
    mix.into_iter().map(|(_, e)| e).collect()
}

/// A group's mix entry: its job count as weight, a log-normal run time clamped to [min, max]
/// (widened to include the median).
fn mix_entry(
    key: GroupKey,
    count: usize,
    median: SimTime,
    sigma: f64,
    min: SimTime,
    max: SimTime,
) -> MixEntry {
    MixEntry {
        class: key.class,
        weight: count as f64,
        duration: LogNormal {
            median: Dur(median),
            sigma: round_to(sigma, 4),
            min: Some(Dur(min.min(median))),
            max: Some(Dur(max.max(median))),
        },
        mem_gib: key.mem_bits.map(f64::from_bits),
        request: key.request,
        namespace: key.namespace,
        priority_class: key.priority_class,
        gpu_models: key.gpu_models,
        pods: key.pods,
    }
}

/// Fits a profile to the jobs an opened trace replays (see [`fit`]). A request log (Azure LLM)
/// is one service's load, not a population of jobs: it is refused with an explanation.
pub fn fit_opened(
    opened: crate::trace::import::Opened,
    busiest: Option<f64>,
) -> Result<Fitted, String> {
    if opened.format == crate::trace::TraceFormat::AzureLlm {
        return Err(format!(
            "{}: an azure-llm request log is the load of one service, not a list of jobs to fit; \
             replay it (slicesim run --trace) or look at it with slicesim trace stats",
            opened.report.source
        ));
    }
    let jobs: Vec<TraceJob> = opened
        .into_jobs()
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    fit(&jobs, busiest)
}

/// The profile as YAML with a commented header saying where it came from.
pub fn profile_yaml(f: &Fitted, source: &str) -> Result<String, String> {
    let body = serde_saphyr::to_string(&f.spec).map_err(|e| e.to_string())?;
    let mut head = format!(
        "# Workload profile fitted by `slicesim trace fit` to {source}\n# {} jobs{}; \
         use it with `slicesim run SCENARIO --profile THIS_FILE [--scale X]`,\n# or paste it \
         under `workload: {{kind: synthetic, ...}}` in a scenario.\n",
        f.jobs,
        if f.left_out > 0 {
            format!(" ({} outside the busiest window left out)", f.left_out)
        } else {
            String::new()
        }
    );
    for n in &f.notes {
        head.push_str(&format!("# note: {n}\n"));
    }
    Ok(head + &body)
}

/// Writes the jobs of `spec` (scaled by `scale`) with `seed` to `out` as a native CSV trace;
/// returns the number of jobs. `span` overrides the profile's span.
pub fn generate(
    spec: &SyntheticSpec,
    scale: f64,
    seed: u64,
    span: Option<Dur>,
    out: &Path,
) -> Result<u64, String> {
    let mut spec = spec.scaled(scale)?;
    if let Some(s) = span {
        spec.span = Some(s);
    }
    let Some(span) = spec.span else {
        return Err("the profile has no span: give --span (e.g. --span 7d)".into());
    };
    if let Some(msg) = spec.size_problem(span) {
        return Err(msg);
    }
    let file = crate::outfile::AtomicFile::create(out)?;
    let mut w = NativeWriter::new(file).map_err(|e| e.to_string())?;
    for job in SyntheticJobs::new(&spec, seed, span.ms()) {
        w.write(&job).map_err(|e: TraceError| e.to_string())?;
    }
    let n = w.written();
    w.into_inner().map_err(|e| e.to_string())?.commit()?;
    Ok(n)
}

#[cfg(test)]
mod tests;
