//! `compare`: the performance model's predictions next to measurements.
//!
//! Everything is compared as a ratio of throughputs of the same probe at the same `u` and `d`,
//! so the probe's unit cancels:
//!
//! - time-slicing, `n` probes on one GPU: measured `T(n) / T(1)` against the model's per-context
//!   speed `x / s` for `n` identical contexts (water-filling after the overhead `o(n)`);
//! - MIG: a probe's throughput in an instance over the one-probe throughput on the whole GPU of
//!   the same model (from any of the files), against `e / ((1-u) + u max(1, d/f))`;
//! - speed: the one-probe throughput on model M over that on the scenario's reference model,
//!   against `gpu_speed(M) / gpu_speed(reference)`.
//!
//! - speed against a reference (`--reference datasheet|FILE`, [`reference`]): a speed point's
//!   absolute throughput over the reference GPU's, against the same speed ratio;
//! - memory ([`memory`]): which probes of a memory point failed to allocate, against the
//!   simulator's OOM rule, and the memory each context costs.
//!
//! Points are only ratios of points with the same kernel variant (kind, kernel length target,
//! idle distribution). The error of a point is `(measured - predicted) / predicted`; a point
//! passes when its absolute error is at most the tolerance, a memory row when both OOM sets are
//! the same.

use super::measurements::{Measurements, Point};
use super::{Exit, HilError, Result};
use crate::perf::{PerfParams, SharedContext, shared_gpu};
use crate::scenario::Scenario;
use crate::world::{DEFAULT_REFERENCE_GPU, reference_name, scenario_catalog};
pub use memory::MemoryRow;
pub use reference::Reference;
use serde::Serialize;

pub mod memory;
pub mod reference;
mod render;
pub use render::render;

/// One measured ratio, before any prediction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observation {
    /// `time_slicing`, `mig` or `speed`.
    pub kind: &'static str,
    pub gpu_model: String,
    pub u: f64,
    pub d: f64,
    /// Concurrent probes (time-slicing).
    pub n: Option<u32>,
    /// MIG profile and SM fraction.
    pub profile: Option<String>,
    pub sm_fraction: Option<f64>,
    pub measured: f64,
    /// File the point came from.
    pub source: String,
    /// Kernel variant of a time-slicing point (kernel length target, idle); empty: default.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// The reference model of a `reference_speed` observation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A compared point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub obs: Observation,
    pub predicted: f64,
    pub error: f64,
    pub pass: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub tolerance: f64,
    pub rows: Vec<Row>,
    /// Memory points against the OOM rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub memory: Vec<MemoryRow>,
    /// Points that could not be compared, and why.
    pub skipped: Vec<String>,
    pub synthetic: bool,
}

impl Comparison {
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|r| !r.pass).count()
            + self.memory.iter().filter(|r| !r.pass).count()
    }
    pub fn mean_abs_error(&self) -> f64 {
        if self.rows.is_empty() {
            return 0.0;
        }
        self.rows.iter().map(|r| r.error.abs()).sum::<f64>() / self.rows.len() as f64
    }
    pub fn max_abs_error(&self) -> f64 {
        self.rows.iter().map(|r| r.error.abs()).fold(0.0, f64::max)
    }
}

/// (model, probe id, u bits, d bits, kernel variant).
type Key = (String, String, u64, u64, String);

/// Mean one-probe throughput on the whole GPU per (model, probe, u, d): key, (sum, count).
struct Baselines(Vec<(Key, (f64, usize))>);

fn key(model: &str, probe: &str, u: f64, d: f64, variant: &str) -> Key {
    (
        model.to_string(),
        probe.to_string(),
        u.to_bits(),
        d.to_bits(),
        variant.to_string(),
    )
}

impl Baselines {
    fn of(files: &[(String, Measurements)]) -> Self {
        let mut b: Vec<(Key, (f64, usize))> = Vec::new();
        for (_, m) in files {
            for p in m
                .points
                .iter()
                .filter(|p| p.kind == "time_slicing" && p.n == 1)
            {
                let Some(t) = p.mean_throughput() else {
                    continue;
                };
                let k = key(
                    &m.gpu.catalog_model,
                    &probe_unit(m, p),
                    p.u,
                    p.d,
                    &p.variant(),
                );
                match b.iter_mut().find(|(kk, _)| *kk == k) {
                    Some((_, (sum, n))) => {
                        *sum += t;
                        *n += 1;
                    }
                    None => b.push((k, (t, 1))),
                }
            }
        }
        Baselines(b)
    }
    fn get(&self, model: &str, probe: &str, u: f64, d: f64, variant: &str) -> Option<f64> {
        let k = key(model, probe, u, d, variant);
        self.0
            .iter()
            .find(|(kk, _)| *kk == k)
            .map(|(_, (s, n))| s / *n as f64)
            .filter(|t| *t > 0.0)
    }
}

/// The probe's id and the unit of a point's throughput: only points that agree on both are
/// ratios of each other (a file of the version-1 built-in probe in kernels/s never meets one in
/// FLOP/s).
fn probe_unit(m: &Measurements, p: &Point) -> String {
    let unit = p
        .probes
        .iter()
        .find_map(|x| x.line.as_ref().map(|l| l.unit.as_str()))
        .unwrap_or("");
    format!("{} [{unit}]", m.probe.id())
}

/// The measured ratios in `files` (name, contents), for reference model `reference`.
pub fn observations(
    files: &[(String, Measurements)],
    reference: &str,
) -> (Vec<Observation>, Vec<String>) {
    let base = Baselines::of(files);
    let mut obs = Vec::new();
    let mut skipped = Vec::new();
    for (name, m) in files {
        let model = &m.gpu.catalog_model;
        for p in m
            .points
            .iter()
            .filter(|p| p.kind == "time_slicing" || p.kind == "mig")
        {
            let Some(alone) = base.get(model, &probe_unit(m, p), p.u, p.d, &p.variant()) else {
                skipped.push(format!(
                    "{name}: {} u={} d={}{}: no one-probe whole-GPU baseline for {model} with this \
                     probe and kernel",
                    p.kind,
                    p.u,
                    p.d,
                    if p.variant().is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", p.variant())
                    }
                ));
                continue;
            };
            point_observations(name, model, p, alone, &mut obs, &mut skipped);
        }
    }
    speed_observations(&base, reference, &mut obs);
    (obs, skipped)
}

/// What one point says about sharing, relative to its one-probe baseline `alone`: a
/// time-slicing point of 2+ probes gives one observation, a MIG point one per instance.
fn point_observations(
    name: &str,
    model: &str,
    p: &Point,
    alone: f64,
    obs: &mut Vec<Observation>,
    skipped: &mut Vec<String>,
) {
    match p.kind.as_str() {
        "time_slicing" if p.n >= 2 => match p.mean_throughput() {
            Some(t) => obs.push(Observation {
                kind: "time_slicing",
                gpu_model: model.to_string(),
                u: p.u,
                d: p.d,
                n: Some(p.n),
                profile: None,
                sm_fraction: None,
                measured: t / alone,
                source: name.to_string(),
                variant: p.variant(),
                reference: None,
            }),
            None => skipped.push(format!(
                "{name}: time-slicing u={} d={} n={}: a probe failed",
                p.u, p.d, p.n
            )),
        },
        "mig" => {
            for pr in &p.probes {
                match &pr.line {
                    Some(l) => obs.push(Observation {
                        kind: "mig",
                        gpu_model: model.to_string(),
                        u: p.u,
                        d: p.d,
                        n: None,
                        profile: pr.mig_profile.clone(),
                        sm_fraction: Some(pr.sm_fraction),
                        measured: l.throughput / alone,
                        source: name.to_string(),
                        variant: p.variant(),
                        reference: None,
                    }),
                    None => skipped.push(format!(
                        "{name}: mig u={} d={} on {}: probe failed",
                        p.u, p.d, pr.device
                    )),
                }
            }
        }
        _ => {}
    }
}

/// Cross-model speed: every (model != reference, probe, u, d) baseline with a reference
/// baseline for the same probe, u and d.
fn speed_observations(base: &Baselines, reference: &str, obs: &mut Vec<Observation>) {
    for ((model, probe, u, d, variant), _) in &base.0 {
        if model.eq_ignore_ascii_case(reference) {
            continue;
        }
        let (u, d) = (f64::from_bits(*u), f64::from_bits(*d));
        if let (Some(t), Some(r)) = (
            base.get(model, probe, u, d, variant),
            base.get(reference, probe, u, d, variant),
        ) {
            obs.push(Observation {
                kind: "speed",
                gpu_model: model.clone(),
                u,
                d,
                n: None,
                profile: None,
                sm_fraction: None,
                measured: t / r,
                source: probe.clone(),
                variant: variant.clone(),
                reference: None,
            });
        }
    }
}

/// What the model predicts for an observation.
pub struct Model {
    pub perf: PerfParams,
    /// Whole-GPU speed per model name (scenario `gpu_speed`, else catalog).
    speeds: Vec<(String, f64)>,
    /// Catalog memory per model name, GiB.
    memory_gib: Vec<(String, f64)>,
    pub reference: String,
}

impl Model {
    pub fn from_scenario(sc: &Scenario) -> Model {
        // Models that cannot join the catalog are `validate`'s to report; compare what resolves.
        let (catalog, _) = scenario_catalog(sc);
        let speeds = catalog
            .models()
            .iter()
            .map(|m| (m.name.clone(), sc.model.gpu_speed_of(m)))
            .collect();
        let memory_gib = catalog
            .models()
            .iter()
            .map(|m| (m.name.clone(), m.memory_gib))
            .collect();
        let reference = catalog
            .get(reference_name(sc))
            .map_or(DEFAULT_REFERENCE_GPU.to_string(), |m| m.name.clone());
        Model {
            perf: sc.model.perf(),
            speeds,
            memory_gib,
            reference,
        }
    }

    pub fn speed(&self, model: &str) -> Option<f64> {
        self.speeds
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(model))
            .map(|(_, s)| *s)
    }

    pub fn predict(&self, o: &Observation) -> Option<f64> {
        match o.kind {
            "time_slicing" => {
                let n = o.n? as usize;
                let t = SharedContext {
                    s: 1.0,
                    u: o.u,
                    d: o.d,
                    cap: 1.0,
                };
                let mut out = Vec::new();
                shared_gpu(&self.perf, &vec![t; n], &mut out);
                Some(out.iter().map(|r| r.speed).sum::<f64>() / n as f64)
            }
            "mig" => Some(self.perf.mig_speed(1.0, o.u, o.d, o.sm_fraction?)),
            "speed" => Some(self.speed(&o.gpu_model)? / self.speed(&self.reference)?),
            "reference_speed" => Some(
                self.speed(&o.gpu_model)?
                    / self.speed(o.reference.as_deref().unwrap_or(&self.reference))?,
            ),
            _ => None,
        }
    }
}

/// Compares every observation in `files` with the model of `sc` (speed points without a
/// reference are skipped).
pub fn compare(files: &[(String, Measurements)], sc: &Scenario, tolerance: f64) -> Comparison {
    compare_with(files, sc, tolerance, &Reference::None)
}

/// Compares every observation in `files` with the model of `sc`, speed points against
/// `reference`.
pub fn compare_with(
    files: &[(String, Measurements)],
    sc: &Scenario,
    tolerance: f64,
    reference: &Reference,
) -> Comparison {
    let model = Model::from_scenario(sc);
    let (mut obs, mut skipped) = observations(files, &model.reference);
    let (ref_obs, ref_skipped) = reference::observations(files, reference, &model.reference);
    obs.extend(ref_obs);
    skipped.extend(ref_skipped);
    let capacity = |m: &str| {
        model
            .memory_gib
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(m))
            .map(|(_, g)| *g)
    };
    let (memory, mem_skipped) = memory::rows(files, &capacity, sc.model.context_mem_gib);
    skipped.extend(mem_skipped);
    let mut rows = Vec::new();
    for o in obs {
        match model.predict(&o) {
            Some(p) if p > 0.0 => {
                let error = (o.measured - p) / p;
                rows.push(Row {
                    pass: error.abs() <= tolerance,
                    obs: o,
                    predicted: p,
                    error,
                });
            }
            _ => skipped.push(format!(
                "{} {}: the model has no prediction",
                o.kind, o.gpu_model
            )),
        }
    }
    Comparison {
        tolerance,
        rows,
        memory,
        skipped,
        synthetic: files.iter().any(|(_, m)| m.synthetic),
    }
}

/// The exit status of a comparison: out of tolerance, or nothing to compare.
pub fn verdict(c: &Comparison) -> Result<()> {
    if c.rows.is_empty() && c.memory.is_empty() {
        return Err(HilError::error(
            "nothing to compare: no point has a one-probe baseline with the same probe, u and d",
        ));
    }
    if c.failed() > 0 {
        return Err(HilError::new(
            Exit::OutOfTolerance,
            format!(
                "{} of {} point(s) outside the tolerance of {:.1} %{}",
                c.failed(),
                c.rows.len() + c.memory.len(),
                c.tolerance * 100.0,
                if c.memory.is_empty() {
                    ""
                } else {
                    " or with other OOMs than the model's"
                }
            ),
        ));
    }
    Ok(())
}
