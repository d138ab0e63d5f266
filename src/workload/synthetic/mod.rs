//! The synthetic workload generator: Poisson arrivals (optionally with a daily cycle), a weighted
//! class mix and log-normal durations, drawn lazily from seeded named streams.
//!
//! `docs/TRACE.md` gives the equations. Each random choice has its own stream ("arrivals",
//! "class-mix", "durations") so that, for example, turning on the daily cycle changes when jobs
//! arrive but not which classes they are or how long they run.

use crate::domain::RequestSpec;
use crate::engine::rng::{StreamRng, stream};
use crate::limits::{MAX_JOBS, MAX_PODS, MAX_SPAN_MS, exceeds};
use crate::trace::TraceJob;
use crate::units::{Dur, MS_PER_HOUR, SimTime, secs_to_ms};
use rand::RngExt;
use rand_distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

/// A synthetic workload, as written under `workload: {kind: synthetic, ...}` in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyntheticSpec {
    /// Mean arrivals per hour, before diurnal shaping (the daily mean stays this value).
    pub rate_per_hour: f64,
    /// Arrival window; `None` = the caller's horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Dur>,
    /// Stop after this many jobs even if the window is not over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_jobs: Option<u64>,
    /// A daily cycle in the arrival rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diurnal: Option<Diurnal>,
    /// The workload classes and their shares of arrivals.
    pub mix: Vec<MixEntry>,
}

/// A cosine daily cycle: the rate swings by `amplitude` (a fraction of the mean) and peaks at
/// `peak_hour`. Simulated time 0 is taken as 00:00.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Diurnal {
    /// 0 = flat, 1 = the rate falls to zero at the trough. In `0..=1`.
    pub amplitude: f64,
    /// Hour of day of the highest rate, in `[0, 24)`.
    pub peak_hour: f64,
}

/// One class in the mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// Workload class name (must exist in the scenario).
    pub class: String,
    /// Relative share of arrivals (weights need not sum to 1).
    pub weight: f64,
    /// How long each job of this entry runs (its `duration` in the job record).
    pub duration: LogNormal,
    /// GPU memory need in GiB, overriding the class default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_gib: Option<f64>,
    /// Resource request, overriding the class default (fitted profiles set it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestSpec>,
    /// Namespace, overriding the class default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Priority class, overriding the class default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<String>,
    /// GPU models the jobs may run on (empty = any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_models: Vec<String>,
    /// Gang jobs: this many pods of `request` each, scheduled all or nothing (docs/MODEL.md,
    /// "Gang jobs"). Absent = one pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<u32>,
}

/// A log-normal distribution given by its median: `ln X ~ N(ln median, sigma²)`, optionally
/// clamped. Median and sigma are what people can read off a histogram of past run times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogNormal {
    pub median: Dur,
    /// Standard deviation of `ln X`; 0 gives every job the median.
    pub sigma: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Dur>,
}

impl SyntheticSpec {
    /// The same workload with `factor` times the arrivals: the rate (and `max_jobs`, rounded)
    /// scale, everything else — span, daily cycle, class mix, durations — stays. `factor`
    /// must be a positive number.
    pub fn scaled(&self, factor: f64) -> Result<SyntheticSpec, String> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(format!("scale {factor} is not a number > 0"));
        }
        Ok(SyntheticSpec {
            rate_per_hour: self.rate_per_hour * factor,
            max_jobs: self
                .max_jobs
                .map(|m| (m as f64 * factor).round().max(1.0) as u64),
            ..self.clone()
        })
    }

    /// Arrivals expected over the span (or `horizon` when the spec has none), capped by
    /// `max_jobs`.
    pub fn expected_jobs(&self, horizon: Dur) -> f64 {
        let span_h = self.span.unwrap_or(horizon).ms() as f64 / 3_600_000.0;
        let expected = self.rate_per_hour * span_h;
        match self.max_jobs {
            Some(m) => expected.min(m as f64),
            None => expected,
        }
    }

    /// A run of more than [`MAX_JOBS`] expected jobs, or a span beyond [`MAX_SPAN_MS`], as a
    /// message naming the value and the limit.
    pub fn size_problem(&self, horizon: Dur) -> Option<String> {
        // The horizon has its own limit (and message); a span of the spec's own is checked here.
        if let Some(span) = self.span
            && span.ms() > MAX_SPAN_MS
        {
            return Some(exceeds("the span", span, Dur(MAX_SPAN_MS)));
        }
        let span = self.span.unwrap_or(horizon);
        let jobs = self.expected_jobs(horizon);
        (jobs > MAX_JOBS as f64).then(|| {
            exceeds(
                &format!(
                    "the expected number of jobs (rate_per_hour {} x span {span})",
                    self.rate_per_hour
                ),
                format!("{jobs:.0}"),
                MAX_JOBS,
            )
        })
    }

    /// Everything wrong with the spec, as (field path such as `mix[2].weight`, message).
    /// Empty means [`SyntheticJobs`] will generate from it.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.arrival_problems(&mut out);
        if self.mix.is_empty() {
            out.push((
                "mix".into(),
                "is empty; list at least one class with a weight".into(),
            ));
        }
        let mut total = 0.0;
        for (i, e) in self.mix.iter().enumerate() {
            if e.weight.is_finite() && e.weight >= 0.0 {
                total += e.weight;
            }
            entry_problems(i, e, &mut out);
        }
        if !self.mix.is_empty() && total <= 0.0 {
            out.push((
                "mix".into(),
                "the weights add up to 0; give at least one class a positive weight".into(),
            ));
        }
        out
    }

    /// Rate, span and daily cycle.
    fn arrival_problems(&self, out: &mut Vec<(String, String)>) {
        let mut say = |path: String, msg: String| out.push((path, msg));
        if !(self.rate_per_hour.is_finite() && self.rate_per_hour > 0.0) {
            say(
                "rate_per_hour".into(),
                format!(
                    "{} is not a positive number of arrivals per hour",
                    self.rate_per_hour
                ),
            );
        }
        if self.span == Some(Dur(0)) {
            say("span".into(), "must be longer than 0".into());
        }
        if let Some(d) = &self.diurnal {
            if !(0.0..=1.0).contains(&d.amplitude) {
                say(
                    "diurnal.amplitude".into(),
                    format!(
                        "{} is not in 0..=1 (a fraction of the mean rate)",
                        d.amplitude
                    ),
                );
            }
            if !(0.0..24.0).contains(&d.peak_hour) {
                say(
                    "diurnal.peak_hour".into(),
                    format!("{} is not an hour of the day in [0, 24)", d.peak_hour),
                );
            }
        }
    }
}

/// One mix entry's fields, `mix[i].<field>` in the path.
fn entry_problems(i: usize, e: &MixEntry, out: &mut Vec<(String, String)>) {
    let mut say = |path: String, msg: String| out.push((path, msg));
    let at = |field: &str| format!("mix[{i}].{field}");
    if e.class.trim().is_empty() {
        say(at("class"), "is empty; name a workload class".into());
    }
    if !(e.weight.is_finite() && e.weight >= 0.0) {
        say(at("weight"), format!("{} is not a number >= 0", e.weight));
    }
    let dist = &e.duration;
    if dist.median == Dur(0) {
        say(at("duration.median"), "must be longer than 0".into());
    }
    if !(dist.sigma.is_finite() && dist.sigma >= 0.0) {
        say(
            at("duration.sigma"),
            format!("{} is not a number >= 0", dist.sigma),
        );
    }
    if let (Some(lo), Some(hi)) = (dist.min, dist.max)
        && lo > hi
    {
        say(
            at("duration.max"),
            format!("{hi} is shorter than duration.min {lo}"),
        );
    }
    if let Some(m) = e.mem_gib
        && !(m.is_finite() && m >= 0.0)
    {
        say(at("mem_gib"), format!("{m} is not a number of GiB >= 0"));
    }
    match &e.request {
        Some(RequestSpec::Milli { milli, count }) if !(1..=1000).contains(milli) || *count == 0 => {
            say(
                at("request"),
                format!("milli {milli} x {count}: needs milli in 1..=1000 and count >= 1"),
            );
        }
        Some(RequestSpec::Mig { profile, count }) if profile.trim().is_empty() || *count == 0 => {
            say(
                at("request"),
                "a MIG request needs a profile and count >= 1".into(),
            );
        }
        _ => {}
    }
    if let Some(n) = e.pods
        && !(1..=MAX_PODS).contains(&n)
    {
        say(
            at("pods"),
            format!("{n} is not a number of pods in 1..={MAX_PODS} (a gang's size)"),
        );
    }
}

/// The jobs of a [`SyntheticSpec`], generated one at a time in submit order.
///
/// Each job costs O(1) expected work and nothing is buffered, so a spec of millions of jobs
/// streams. The same spec and seed always give the same jobs.
pub struct SyntheticJobs {
    arrivals: StreamRng,
    class_mix: StreamRng,
    durations: StreamRng,
    mix: Vec<MixEntry>,
    /// `None` only when the spec has problems (then nothing is generated).
    chooser: Option<WeightedIndex<f64>>,
    /// λ_max of the thinning, per hour: rate · (1 + amplitude).
    rate_max: f64,
    diurnal: Option<Diurnal>,
    mean_rate: f64,
    /// Time of the latest candidate arrival, hours since start.
    t_hours: f64,
    span: SimTime,
    remaining: Option<u64>,
    next_id: u64,
}

impl SyntheticJobs {
    /// Generates `spec` with the run's `seed`; arrivals stop at `spec.span`, or at
    /// `default_span` (the run's horizon) when the spec has none.
    ///
    /// A spec with [`problems`](SyntheticSpec::problems) generates no jobs: check them first
    /// (the scenario validator does) so the user sees why.
    pub fn new(spec: &SyntheticSpec, seed: u64, default_span: SimTime) -> Self {
        let chooser = if spec.problems().is_empty() {
            WeightedIndex::new(spec.mix.iter().map(|e| e.weight)).ok()
        } else {
            None
        };
        let amplitude = spec.diurnal.as_ref().map_or(0.0, |d| d.amplitude);
        SyntheticJobs {
            arrivals: stream(seed, "arrivals"),
            class_mix: stream(seed, "class-mix"),
            durations: stream(seed, "durations"),
            mix: spec.mix.clone(),
            chooser,
            rate_max: spec.rate_per_hour * (1.0 + amplitude),
            diurnal: spec.diurnal.clone(),
            mean_rate: spec.rate_per_hour,
            t_hours: 0.0,
            span: spec.span.map_or(default_span, Dur::ms),
            remaining: spec.max_jobs,
            next_id: 0,
        }
    }

    /// λ(t) per hour: rate · (1 + A · cos(2π (t_h − peak) / 24)).
    fn rate_at(&self, d: &Diurnal, t_hours: f64) -> f64 {
        let phase = (t_hours.rem_euclid(24.0) - d.peak_hour) / 24.0;
        self.mean_rate * (1.0 + d.amplitude * (std::f64::consts::TAU * phase).cos())
    }

    /// The next arrival time in ms, or `None` once it would fall at or after the span.
    /// Thinning: candidates come at rate λ_max and each is kept with probability λ(t)/λ_max,
    /// which yields a Poisson process of rate λ(t); on average at most 1 + A candidates per job.
    fn next_arrival(&mut self) -> Option<SimTime> {
        loop {
            let e: f64 = Exp1.sample(&mut self.arrivals);
            self.t_hours += e / self.rate_max;
            let ms = (self.t_hours * MS_PER_HOUR as f64).round();
            // Infinity (after an overflow) also ends the window.
            if ms.is_nan() || ms >= self.span as f64 {
                return None;
            }
            let submit = ms as SimTime;
            if submit >= self.span {
                return None;
            }
            match &self.diurnal {
                None => return Some(submit),
                Some(d) => {
                    let keep = self.rate_at(d, self.t_hours) / self.rate_max;
                    if self.arrivals.random::<f64>() < keep {
                        return Some(submit);
                    }
                }
            }
        }
    }
}

/// One log-normal draw in ms: median · e^(σ z), z ~ N(0, 1), clamped to [min, max] and to at
/// least 1 s. Always exactly one normal draw, so each job uses the stream the same way.
fn draw_duration(dist: &LogNormal, rng: &mut StreamRng) -> SimTime {
    let z: f64 = StandardNormal.sample(rng);
    let mut secs = dist.median.secs() * (dist.sigma * z).exp();
    if let Some(lo) = dist.min {
        secs = secs.max(lo.secs());
    }
    if let Some(hi) = dist.max {
        secs = secs.min(hi.secs());
    }
    secs_to_ms(secs.max(1.0))
}

impl Iterator for SyntheticJobs {
    type Item = TraceJob;

    fn next(&mut self) -> Option<TraceJob> {
        if self.chooser.is_none() || self.remaining == Some(0) {
            return None;
        }
        let Some(submit) = self.next_arrival() else {
            // Fused: nothing more once the window is over.
            self.chooser = None;
            return None;
        };
        let k = self.chooser.as_ref()?.sample(&mut self.class_mix);
        let entry = &self.mix[k];
        let duration = draw_duration(&entry.duration, &mut self.durations);
        if let Some(r) = &mut self.remaining {
            *r -= 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        Some(TraceJob {
            id,
            submit,
            class: entry.class.clone(),
            namespace: entry.namespace.clone(),
            priority_class: entry.priority_class.clone(),
            request: entry.request.clone(),
            mem_gib: entry.mem_gib,
            duration,
            u: None,
            d: None,
            checkpoint: None,
            gpu_models: entry.gpu_models.clone(),
            load: Vec::new(),
            pods: entry.pods,
            host: Default::default(),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match (self.chooser.is_some(), self.remaining) {
            (false, _) => (0, Some(0)),
            (true, Some(r)) => (0, usize::try_from(r).ok()),
            (true, None) => (0, None),
        }
    }
}

impl std::iter::FusedIterator for SyntheticJobs {}

#[cfg(test)]
mod tests;
