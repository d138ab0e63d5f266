//! The synthetic workload generator: Poisson arrivals (optionally with a daily cycle), a weighted
//! class mix and log-normal durations, drawn lazily from seeded named streams.
//!
//! `docs/TRACE.md` gives the equations. Each random choice has its own stream ("arrivals",
//! "class-mix", "durations") so that, for example, turning on the daily cycle changes when jobs
//! arrive but not which classes they are or how long they run.

use crate::domain::RequestSpec;

use super::TraceJob;
use crate::engine::rng::{StreamRng, stream};
use crate::units::{Dur, MS_PER_HOUR, SimTime, secs_to_ms};
use rand::RngExt;
use rand_distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

/// A synthetic workload, as written under `workload: {kind: synthetic, ...}` in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diurnal {
    /// 0 = flat, 1 = the rate falls to zero at the trough. In `0..=1`.
    pub amplitude: f64,
    /// Hour of day of the highest rate, in `[0, 24)`.
    pub peak_hour: f64,
}

/// One class in the mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// A log-normal distribution given by its median: `ln X ~ N(ln median, sigma²)`, optionally
/// clamped. Median and sigma are what people can read off a histogram of past run times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

    /// Everything wrong with the spec, as (field path such as `mix[2].weight`, message).
    /// Empty means [`SyntheticJobs`] will generate from it.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
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
        if self.mix.is_empty() {
            say(
                "mix".into(),
                "is empty; list at least one class with a weight".into(),
            );
        }
        let mut total = 0.0;
        for (i, e) in self.mix.iter().enumerate() {
            let at = |field: &str| format!("mix[{i}].{field}");
            if e.class.trim().is_empty() {
                say(at("class"), "is empty; name a workload class".into());
            }
            if e.weight.is_finite() && e.weight >= 0.0 {
                total += e.weight;
            } else {
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
                Some(RequestSpec::Milli { milli, count })
                    if !(1..=1000).contains(milli) || *count == 0 =>
                {
                    say(
                        at("request"),
                        format!("milli {milli} x {count}: needs milli in 1..=1000 and count >= 1"),
                    );
                }
                Some(RequestSpec::Mig { profile, count })
                    if profile.trim().is_empty() || *count == 0 =>
                {
                    say(
                        at("request"),
                        "a MIG request needs a profile and count >= 1".into(),
                    );
                }
                _ => {}
            }
        }
        if !self.mix.is_empty() && total <= 0.0 {
            say(
                "mix".into(),
                "the weights add up to 0; give at least one class a positive weight".into(),
            );
        }
        out
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
mod tests {
    use super::*;
    use crate::units::MS_PER_SEC;

    fn entry(class: &str, weight: f64, median_s: u64, sigma: f64) -> MixEntry {
        MixEntry {
            class: class.into(),
            weight,
            duration: LogNormal {
                median: Dur(median_s * MS_PER_SEC),
                sigma,
                min: None,
                max: None,
            },
            mem_gib: None,
            request: None,
            namespace: None,
            priority_class: None,
            gpu_models: Vec::new(),
        }
    }

    fn spec(rate_per_hour: f64, mix: Vec<MixEntry>) -> SyntheticSpec {
        SyntheticSpec {
            rate_per_hour,
            span: None,
            max_jobs: None,
            diurnal: None,
            mix,
        }
    }

    const HOUR: SimTime = MS_PER_HOUR;

    #[test]
    fn same_seed_same_jobs_other_seed_other_jobs() {
        let mut s = spec(
            50.0,
            vec![entry("a", 1.0, 60, 1.0), entry("b", 2.0, 600, 0.5)],
        );
        s.diurnal = Some(Diurnal {
            amplitude: 0.5,
            peak_hour: 9.0,
        });
        let a: Vec<TraceJob> = SyntheticJobs::new(&s, 42, 48 * HOUR).collect();
        let b: Vec<TraceJob> = SyntheticJobs::new(&s, 42, 48 * HOUR).collect();
        let c: Vec<TraceJob> = SyntheticJobs::new(&s, 43, 48 * HOUR).collect();
        assert!(a.len() > 1000);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_daily_cycle_moves_arrivals_but_not_classes_or_durations() {
        let flat = SyntheticSpec {
            max_jobs: Some(500),
            ..spec(
                30.0,
                vec![entry("a", 1.0, 60, 1.0), entry("b", 1.0, 600, 1.0)],
            )
        };
        let cyclic = SyntheticSpec {
            diurnal: Some(Diurnal {
                amplitude: 0.9,
                peak_hour: 3.0,
            }),
            ..flat.clone()
        };
        let a: Vec<TraceJob> = SyntheticJobs::new(&flat, 77, SimTime::MAX).collect();
        let b: Vec<TraceJob> = SyntheticJobs::new(&cyclic, 77, SimTime::MAX).collect();
        let shape = |jobs: &[TraceJob]| -> Vec<(String, SimTime)> {
            jobs.iter().map(|j| (j.class.clone(), j.duration)).collect()
        };
        assert_eq!(shape(&a), shape(&b));
        assert_ne!(
            a.iter().map(|j| j.submit).collect::<Vec<_>>(),
            b.iter().map(|j| j.submit).collect::<Vec<_>>()
        );
    }

    /// The YAML example in docs/TRACE.md (without the scenario's `workload:`/`kind:` wrapper,
    /// which the scenario layer strips) must deserialise and pass its own checks.
    #[test]
    fn the_documented_example_is_a_valid_spec() {
        let doc = include_str!("../../docs/TRACE.md");
        let start = doc
            .find("```yaml\n")
            .expect("docs/TRACE.md has a yaml example")
            + 8;
        let len = doc[start..].find("```").unwrap();
        let body: String = doc[start..start + len]
            .lines()
            .filter(|l| !l.starts_with("workload:") && !l.trim_start().starts_with("kind:"))
            .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
            .collect();
        let s: SyntheticSpec = serde_saphyr::from_str(&body).unwrap();
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        assert_eq!(s.span, Some(Dur(7 * 24 * HOUR)));
        assert_eq!(s.mix[0].duration.max, Some(Dur(3 * 24 * HOUR)));
        assert_eq!(s.mix[1].duration.median, Dur(HOUR / 2));
    }

    #[test]
    fn jobs_are_ordered_numbered_and_carry_only_class_fields() {
        let mut e = entry("train", 1.0, 3600, 0.8);
        e.mem_gib = Some(24.0);
        let s = spec(100.0, vec![e]);
        let jobs: Vec<TraceJob> = SyntheticJobs::new(&s, 1, 10 * HOUR).collect();
        for (i, j) in jobs.iter().enumerate() {
            assert_eq!(j.id, i as u64);
            assert_eq!(j.class, "train");
            assert_eq!(j.mem_gib, Some(24.0));
            assert!(j.duration >= MS_PER_SEC);
            assert!(j.submit < 10 * HOUR);
            assert_eq!(
                (
                    &j.namespace,
                    &j.priority_class,
                    &j.request,
                    j.u,
                    j.d,
                    j.checkpoint
                ),
                (&None, &None, &None, None, None, None)
            );
        }
        assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
    }

    /// For a Poisson count with mean m the standard deviation is √m; 5 standard deviations
    /// leave a chance below 1e-6 that a correct generator fails (and the seed is fixed anyway).
    fn within_5_sigma_of_poisson(count: usize, mean: f64) -> bool {
        (count as f64 - mean).abs() <= 5.0 * mean.sqrt()
    }

    #[test]
    fn arrival_count_matches_rate_times_span() {
        // 60/h over 1000 h: mean 60 000 arrivals, σ = √60000 ≈ 245, tolerance ±1225.
        let s = spec(60.0, vec![entry("a", 1.0, 60, 0.0)]);
        for seed in [1, 2, 3] {
            let n = SyntheticJobs::new(&s, seed, 1000 * HOUR).count();
            assert!(within_5_sigma_of_poisson(n, 60_000.0), "seed {seed}: {n}");
        }
    }

    #[test]
    fn diurnal_keeps_the_daily_mean() {
        // The cosine integrates to 0 over whole days, so 10 days at 100/h still average 24 000
        // arrivals; σ ≈ 155, tolerance ±775.
        let mut s = spec(100.0, vec![entry("a", 1.0, 60, 0.0)]);
        s.diurnal = Some(Diurnal {
            amplitude: 0.8,
            peak_hour: 14.0,
        });
        let n = SyntheticJobs::new(&s, 5, 240 * HOUR).count();
        assert!(within_5_sigma_of_poisson(n, 24_000.0), "{n}");
    }

    #[test]
    fn diurnal_peak_window_gets_more_than_trough_window() {
        // Rate 100/h, A = 0.8, peak at 14:00, 30 days. Expected arrivals per day in a window
        // [a, b) are 100 · ∫ (1 + 0.8 cos(2π (t − 14) / 24)) dt
        //   = 100 · ((b − a) + 0.8 · 24/(2π) · [sin(2π (t − 14)/24)] from a to b).
        // Peak window [12, 16): sin(30°) − sin(−30°) = 1  → 100 · (4 + 0.8 · 3.8197) = 705.58/day.
        // Trough window [0, 4): sin(−150°) − sin(−210°) = −1 → 100 · (4 − 3.0558) = 94.42/day.
        // Over 30 days: 21 167.5 (σ ≈ 145.5) and 2 832.6 (σ ≈ 53.2).
        let mut s = spec(100.0, vec![entry("a", 1.0, 60, 0.0)]);
        s.diurnal = Some(Diurnal {
            amplitude: 0.8,
            peak_hour: 14.0,
        });
        let (mut peak, mut trough) = (0usize, 0usize);
        for j in SyntheticJobs::new(&s, 11, 30 * 24 * HOUR) {
            let hour = (j.submit % (24 * HOUR)) / HOUR;
            match hour {
                12..=15 => peak += 1,
                0..=3 => trough += 1,
                _ => {}
            }
        }
        let per_day = |sign: f64| 100.0 * (4.0 + sign * 0.8 * 24.0 / std::f64::consts::TAU);
        assert!((per_day(1.0) - 705.58).abs() < 0.01);
        assert!(
            within_5_sigma_of_poisson(peak, 30.0 * per_day(1.0)),
            "{peak}"
        );
        assert!(
            within_5_sigma_of_poisson(trough, 30.0 * per_day(-1.0)),
            "{trough}"
        );
        assert!(peak > 5 * trough);
    }

    #[test]
    fn class_frequencies_follow_weights() {
        // Weights 1:2:7 → p = 0.1, 0.2, 0.7. Over 20 000 jobs each count is binomial with
        // σ = √(n p (1 − p)): 42.4, 56.6, 64.8; allow 5σ.
        let s = SyntheticSpec {
            max_jobs: Some(20_000),
            ..spec(
                1000.0,
                vec![
                    entry("a", 1.0, 60, 0.0),
                    entry("b", 2.0, 60, 0.0),
                    entry("unused", 0.0, 60, 0.0),
                    entry("c", 7.0, 60, 0.0),
                ],
            )
        };
        let jobs: Vec<TraceJob> = SyntheticJobs::new(&s, 3, SimTime::MAX).collect();
        assert_eq!(jobs.len(), 20_000);
        for (class, p) in [("a", 0.1f64), ("b", 0.2), ("c", 0.7), ("unused", 0.0)] {
            let n = jobs.iter().filter(|j| j.class == class).count() as f64;
            let (mean, sd) = (20_000.0 * p, (20_000.0 * p * (1.0 - p)).sqrt());
            assert!((n - mean).abs() <= 5.0 * sd, "{class}: {n} vs {mean}");
        }
    }

    #[test]
    fn durations_are_log_normal_around_the_median() {
        // Median 600 s, σ = 1, n = 10 001. The sample median's standard error is
        // 1 / (2 f(m) √n) with the log-normal density at its median f(m) = 1 / (m σ √(2π)):
        // 600 · 2.5066 / (2 · 100) = 7.52 s, so 5 SE ≈ 37.6 s. The standard deviation of ln X
        // estimates σ with standard error σ / √(2n) = 0.0071; 5 SE ≈ 0.035.
        // The 1 s floor only bites below Φ((ln 1 − ln 600)/1) = Φ(−6.4) ≈ 1e-10: negligible.
        let s = SyntheticSpec {
            max_jobs: Some(10_001),
            ..spec(1000.0, vec![entry("a", 1.0, 600, 1.0)])
        };
        let mut secs: Vec<f64> = SyntheticJobs::new(&s, 9, SimTime::MAX)
            .map(|j| j.duration as f64 / 1000.0)
            .collect();
        secs.sort_by(f64::total_cmp);
        let median = secs[5_000];
        assert!((median - 600.0).abs() < 37.6, "{median}");
        let logs: Vec<f64> = secs.iter().map(|x| x.ln()).collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64;
        assert!((var.sqrt() - 1.0).abs() < 0.035, "{}", var.sqrt());
    }

    #[test]
    fn durations_are_clamped_to_min_max_and_one_second() {
        // With median 600 s, σ = 1 and min 300 s, P(X ≤ 300) = Φ(ln 0.5) = Φ(−0.6931) = 0.2441,
        // so about that share sits exactly at the floor; for n = 10 000, 5σ = 5 · √(p(1−p)/n)
        // = 0.0215. The same holds above max 1200 s (ln 2 above the median).
        let mut e = entry("a", 1.0, 600, 1.0);
        e.duration.min = Some(Dur(300_000));
        e.duration.max = Some(Dur(1_200_000));
        let s = SyntheticSpec {
            max_jobs: Some(10_000),
            ..spec(1000.0, vec![e])
        };
        let d: Vec<SimTime> = SyntheticJobs::new(&s, 4, SimTime::MAX)
            .map(|j| j.duration)
            .collect();
        assert!(d.iter().all(|&x| (300_000..=1_200_000).contains(&x)));
        for edge in [300_000, 1_200_000] {
            let share = d.iter().filter(|&&x| x == edge).count() as f64 / 1e4;
            assert!((share - 0.2441).abs() < 0.0215, "{edge}: {share}");
        }

        // A 10 ms median is lifted to the 1 s floor for every job (σ = 0).
        let tiny = SyntheticSpec {
            max_jobs: Some(5),
            ..spec(
                1000.0,
                vec![MixEntry {
                    duration: LogNormal {
                        median: Dur(10),
                        sigma: 0.0,
                        min: None,
                        max: None,
                    },
                    ..entry("a", 1.0, 1, 0.0)
                }],
            )
        };
        assert!(SyntheticJobs::new(&tiny, 0, SimTime::MAX).all(|j| j.duration == 1_000));
    }

    #[test]
    fn max_jobs_stops_first() {
        let s = SyntheticSpec {
            max_jobs: Some(5),
            ..spec(10_000.0, vec![entry("a", 1.0, 60, 0.0)])
        };
        let ids: Vec<u64> = SyntheticJobs::new(&s, 0, 10 * HOUR).map(|j| j.id).collect();
        assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn span_stops_first_and_overrides_the_default() {
        // 1000/h for 1 h: mean 1000 (σ ≈ 31.6, 5σ = 158); all strictly before 1 h.
        let s = SyntheticSpec {
            span: Some(Dur(HOUR)),
            max_jobs: Some(1_000_000),
            ..spec(1000.0, vec![entry("a", 1.0, 60, 0.0)])
        };
        let jobs: Vec<TraceJob> = SyntheticJobs::new(&s, 8, 100 * HOUR).collect();
        assert!(
            within_5_sigma_of_poisson(jobs.len(), 1000.0),
            "{}",
            jobs.len()
        );
        assert!(jobs.iter().all(|j| j.submit < HOUR));
        // Without `span`, the caller's horizon applies.
        let s = SyntheticSpec { span: None, ..s };
        let jobs = SyntheticJobs::new(&s, 8, 2 * HOUR).collect::<Vec<_>>();
        assert!(
            within_5_sigma_of_poisson(jobs.len(), 2000.0),
            "{}",
            jobs.len()
        );
        assert!(jobs.last().unwrap().submit >= HOUR);
    }

    #[test]
    fn generation_is_lazy() {
        // A million jobs an hour for a century: only the jobs taken are ever made.
        let s = spec(1e6, vec![entry("a", 1.0, 60, 1.0)]);
        let mut jobs = SyntheticJobs::new(&s, 0, 100 * 365 * 24 * HOUR);
        assert_eq!(jobs.size_hint(), (0, None));
        assert_eq!(jobs.by_ref().take(3).count(), 3);
        assert_eq!(jobs.next().map(|j| j.id), Some(3));
    }

    #[test]
    fn problems_name_the_field() {
        let mut bad = spec(
            -1.0,
            vec![entry("a", 0.0, 60, -0.5), entry("", 0.0, 0, f64::NAN)],
        );
        bad.diurnal = Some(Diurnal {
            amplitude: 1.5,
            peak_hour: 24.0,
        });
        bad.span = Some(Dur(0));
        bad.mix[0].mem_gib = Some(-2.0);
        bad.mix[1].duration.min = Some(Dur(10_000));
        bad.mix[1].duration.max = Some(Dur(5_000));
        let paths: Vec<String> = bad.problems().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "rate_per_hour",
                "span",
                "diurnal.amplitude",
                "diurnal.peak_hour",
                "mix[0].duration.sigma",
                "mix[0].mem_gib",
                "mix[1].class",
                "mix[1].duration.median",
                "mix[1].duration.sigma",
                "mix[1].duration.max",
                "mix",
            ]
        );
        let msgs = bad.problems();
        assert_eq!(
            msgs[0].1,
            "-1 is not a positive number of arrivals per hour"
        );
        assert_eq!(
            msgs[2].1,
            "1.5 is not in 0..=1 (a fraction of the mean rate)"
        );
        assert_eq!(msgs[4].1, "-0.5 is not a number >= 0");
        assert_eq!(
            msgs[10].1,
            "the weights add up to 0; give at least one class a positive weight"
        );

        let empty = spec(10.0, vec![]);
        assert_eq!(
            empty.problems(),
            vec![(
                "mix".to_string(),
                "is empty; list at least one class with a weight".to_string()
            )]
        );
        let negative_weight = spec(
            10.0,
            vec![entry("a", -1.0, 60, 0.0), entry("b", 1.0, 60, 0.0)],
        );
        assert_eq!(
            negative_weight.problems(),
            vec![(
                "mix[0].weight".to_string(),
                "-1 is not a number >= 0".to_string()
            )]
        );
        assert!(
            spec(10.0, vec![entry("a", 1.0, 60, 0.0)])
                .problems()
                .is_empty()
        );
    }

    #[test]
    fn a_spec_with_problems_generates_nothing() {
        for bad in [
            spec(-1.0, vec![entry("a", 1.0, 60, 0.0)]),
            spec(10.0, vec![]),
            spec(10.0, vec![entry("a", 0.0, 60, 0.0)]),
            spec(f64::NAN, vec![entry("a", 1.0, 60, 0.0)]),
        ] {
            assert_eq!(SyntheticJobs::new(&bad, 0, HOUR).count(), 0);
        }
    }

    #[test]
    fn deserialises_from_scenario_yaml() {
        let yaml = "
rate_per_hour: 12.5
span: 7d
diurnal: {amplitude: 0.6, peak_hour: 15}
mix:
  - class: training
    weight: 3
    duration: {median: 2h, sigma: 1.2, min: 10m, max: 2d}
    mem_gib: 40
  - class: inference
    weight: 1
    duration: {median: 900, sigma: 0.5}
";
        let s: SyntheticSpec = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(
            s,
            SyntheticSpec {
                rate_per_hour: 12.5,
                span: Some(Dur(7 * 24 * HOUR)),
                max_jobs: None,
                diurnal: Some(Diurnal {
                    amplitude: 0.6,
                    peak_hour: 15.0
                }),
                mix: vec![
                    MixEntry {
                        class: "training".into(),
                        weight: 3.0,
                        duration: LogNormal {
                            median: Dur(2 * HOUR),
                            sigma: 1.2,
                            min: Some(Dur(600_000)),
                            max: Some(Dur(2 * 24 * HOUR)),
                        },
                        mem_gib: Some(40.0),
                        request: None,
                        namespace: None,
                        priority_class: None,
                        gpu_models: Vec::new(),
                    },
                    entry("inference", 1.0, 900, 0.5),
                ],
            }
        );
        assert!(s.problems().is_empty());
        let typo = "rate_per_hour: 1\nmix: []\nmax_job: 3\n";
        let e = serde_saphyr::from_str::<SyntheticSpec>(typo)
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_job"), "{e}");
    }
}
