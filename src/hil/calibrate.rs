//! `calibrate`: fits the model's parameters to measurements and writes a YAML fragment that a
//! scenario includes (`include: [calibration.yaml]`).
//!
//! - Context-switch overhead, from `u = 1` points only. A time-slicing point with `n` identical
//!   probes of `u = 1` keeps the GPU busy all the time, so each probe gets `(1 - o(n)) / n` of it
//!   and its relative speed is `r = (1 - o(n)) / n`: the point gives `o(n) = 1 - n r`. Points
//!   with `u < 1` are not used, even where `n u >= 1`: their losses include queueing (kernels
//!   waiting behind each other while the GPU idles in between), which is not context-switch
//!   overhead; `compare` reports them as a check of the water-filling model instead. `o(n) = min(o_max, a (n - 1))` is
//!   fitted by least squares: the line through the origin over all points, or a line over the
//!   smaller `n` and a constant cap over the larger `n` (every split that is consistent), or the
//!   cap alone from the smallest measured `n` on (`a = cap / (n_min - 1)`: the loss an H200 showed,
//!   a flat 8.4 to 9.2 % for n = 2..8, hil/measurements/h200-2026-12-04), taking the smallest
//!   squared error (the plain line when it fits as well). `overhead_max` is written only when a
//!   cap was fitted.
//! - Memory per CUDA context (`context_mem_gib`): the least-squares slope of NVML's memory used
//!   at most against `n` over the time-slicing points of one file (one GPU), averaged over the
//!   files. Each probe's own buffers count in the slope (about 1 MiB for the built-in probe).
//!   Files whose NVML reported no memory in use (the fake library) give no slope.
//! - MIG efficiency `e`: least squares through the origin of measured on predicted-with-`e = 1`,
//!   `e = sum(m p) / sum(p^2)`.
//! - Per-model speed: `gpu_speed(M) = mean(T_M / T_ref) x gpu_speed(ref)` over the (probe, u, d)
//!   combinations measured on both.
//!
//! Parameters without data are left out of the file, so the scenario's values stay in force.

use super::compare::{Model, Observation, compare, observations};
use super::measurements::Measurements;
use super::{HilError, Result};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    pub overhead_per_context: Option<f64>,
    pub overhead_max: Option<f64>,
    pub mig_efficiency: Option<f64>,
    pub gpu_speed: BTreeMap<String, f64>,
    pub context_mem_gib: Option<f64>,
    /// Points used per parameter.
    pub overhead_points: usize,
    pub context_points: usize,
    pub mig_points: usize,
    pub speed_points: usize,
    pub notes: Vec<String>,
}

/// `(n, o(n))` estimates from time-slicing points with `u = 1` and `n >= 2`.
pub fn overhead_estimates(obs: &[Observation]) -> Vec<(f64, f64)> {
    obs.iter()
        .filter(|o| o.kind == "time_slicing" && o.u >= 1.0 - 1e-9)
        .filter_map(|o| {
            let n = f64::from(o.n?);
            (n >= 2.0).then_some((n, 1.0 - n * o.measured))
        })
        .collect()
}

/// Time-slicing points with `u < 1` and `n >= 2`: not fitted, they check water-filling.
pub fn below_saturation_points(obs: &[Observation]) -> usize {
    obs.iter()
        .filter(|o| o.kind == "time_slicing" && o.u < 1.0 - 1e-9 && o.n.is_some_and(|n| n >= 2))
        .count()
}

/// Fits `o(n) = min(cap, a (n - 1))` to `(n, o)` points. Returns `(a, Some(cap))` when a cap fits
/// better than the plain line, else `(a, None)`.
pub fn fit_overhead(points: &[(f64, f64)]) -> Option<(f64, Option<f64>)> {
    if points.is_empty() {
        return None;
    }
    let line = |pts: &[&(f64, f64)]| -> f64 {
        let sxy: f64 = pts.iter().map(|(n, o)| (n - 1.0) * o).sum();
        let sxx: f64 = pts.iter().map(|(n, _)| (n - 1.0) * (n - 1.0)).sum();
        if sxx > 0.0 { sxy / sxx } else { 0.0 }
    };
    let all: Vec<&(f64, f64)> = points.iter().collect();
    let a0 = line(&all);
    let sse0: f64 = points
        .iter()
        .map(|(n, o)| (o - a0 * (n - 1.0)).powi(2))
        .sum();
    let mut best = (sse0, a0, None);
    let mut ns: Vec<f64> = points.iter().map(|p| p.0).collect();
    ns.sort_by(f64::total_cmp);
    ns.dedup();
    for k in 1..ns.len() {
        let lin: Vec<&(f64, f64)> = points.iter().filter(|p| p.0 <= ns[k - 1]).collect();
        let cap: Vec<&(f64, f64)> = points.iter().filter(|p| p.0 > ns[k - 1]).collect();
        let a = line(&lin);
        let c = cap.iter().map(|p| p.1).sum::<f64>() / cap.len() as f64;
        let eps = 1e-9;
        if a * (ns[k - 1] - 1.0) > c + eps || c > a * (ns[k] - 1.0) + eps {
            continue; // the cap would not start between these two n
        }
        let sse: f64 = lin
            .iter()
            .map(|(n, o)| (o - a * (n - 1.0)).powi(2))
            .sum::<f64>()
            + cap.iter().map(|(_, o)| (o - c).powi(2)).sum::<f64>();
        if sse < best.0 - 1e-12 {
            best = (sse, a, Some(c));
        }
    }
    // The cap alone: every measured n already at it. Needs n_min >= 2 to put a slope under it.
    if ns[0] >= 2.0 {
        let c = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
        let sse: f64 = points.iter().map(|(_, o)| (o - c).powi(2)).sum();
        if c > 0.0 && sse < best.0 - 1e-12 {
            best = (sse, c / (ns[0] - 1.0), Some(c));
        }
    }
    let clamp = |x: f64| x.clamp(0.0, 0.99);
    Some((clamp(best.1), best.2.map(clamp)))
}

/// Least-squares slope of `y` on `x`; `None` with fewer than two distinct `x`.
fn slope(pts: &[(f64, f64)]) -> Option<f64> {
    let k = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// `context_mem_gib` from NVML's memory used at most in each file's time-slicing points (see the
/// module's doc): the mean of the files' slopes in GiB per context, and the points used.
pub fn fit_context_mem(files: &[(String, Measurements)]) -> (Option<f64>, usize) {
    let mut slopes = Vec::new();
    let mut used = 0;
    for (_, m) in files {
        let pts: Vec<(f64, f64)> = m
            .points
            .iter()
            .filter(|p| p.kind == "time_slicing" && p.n > 0)
            .filter_map(|p| {
                let mib = p.samples.mem_used_mib_max.filter(|&x| x > 0)?;
                Some((f64::from(p.n), mib as f64))
            })
            .collect();
        if let Some(b) = slope(&pts).filter(|&b| b > 0.0) {
            slopes.push(b / 1024.0);
            used += pts.len();
        }
    }
    if slopes.is_empty() {
        return (None, 0);
    }
    (Some(slopes.iter().sum::<f64>() / slopes.len() as f64), used)
}

/// Fits the parameters to the observations in `files`, starting from the scenario's model.
pub fn fit(files: &[(String, Measurements)], sc: &Scenario) -> Fit {
    let prior = Model::from_scenario(sc);
    let (obs, _) = observations(files, &prior.reference);
    let mut notes = Vec::new();
    let est = overhead_estimates(&obs);
    let below = below_saturation_points(&obs);
    if below > 0 {
        notes.push(format!(
            "{below} time-slicing point(s) with u < 1 not used for o(n) (queueing is not \
             switch overhead); `compare` shows them as a check of water-filling"
        ));
    }
    let (overhead_per_context, overhead_max) = match fit_overhead(&est) {
        Some((a, None)) => {
            // No cap in the data; keep the scenario's cap unless it would clip the fitted line
            // within the measured range.
            let n_max = est.iter().map(|p| p.0).fold(1.0, f64::max);
            let reach = a * (n_max - 1.0);
            if reach > sc.model.overhead_max {
                notes.push(format!(
                    "overhead_max raised to {} so that the fitted line is not capped up to n = {n_max} \
                     (a scenario's own overhead_max wins over an included file: remove it)",
                    num(reach)
                ));
                (Some(a), Some(reach.min(0.99)))
            } else {
                (Some(a), None)
            }
        }
        Some((a, cap)) => (Some(a), cap),
        None => {
            notes.push("overhead: no time-slicing point with u = 1 and n >= 2; not fitted".into());
            (None, None)
        }
    };
    let mig: Vec<(f64, f64)> = obs
        .iter()
        .filter(|o| o.kind == "mig")
        .filter_map(|o| {
            let p = crate::perf::mig_speed(1.0, o.u, o.d, o.sm_fraction?);
            Some((o.measured, p))
        })
        .collect();
    let mig_efficiency = if mig.is_empty() {
        notes.push("mig_efficiency: no MIG point with a whole-GPU baseline; not fitted".into());
        None
    } else {
        let num: f64 = mig.iter().map(|(m, p)| m * p).sum();
        let den: f64 = mig.iter().map(|(_, p)| p * p).sum();
        Some((num / den).clamp(0.01, 2.0))
    };
    let mut ratios: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.kind == "speed") {
        ratios
            .entry(o.gpu_model.clone())
            .or_default()
            .push(o.measured);
    }
    let ref_speed = prior.speed(&prior.reference).unwrap_or(1.0);
    let speed_points = ratios.values().map(Vec::len).sum();
    let gpu_speed = ratios
        .into_iter()
        .map(|(m, r)| (m, ref_speed * r.iter().sum::<f64>() / r.len() as f64))
        .collect::<BTreeMap<_, _>>();
    if gpu_speed.is_empty() {
        notes.push(format!(
            "gpu_speed: no model measured with the same probe, u and d as the reference {}; not fitted",
            prior.reference
        ));
    }
    let (context_mem_gib, context_points) = fit_context_mem(files);
    if context_mem_gib.is_none() {
        notes.push(
            "context_mem_gib: no time-slicing points with NVML memory in use at two or more n; \
             not fitted"
                .into(),
        );
    }
    Fit {
        overhead_per_context,
        overhead_max,
        mig_efficiency,
        gpu_speed,
        context_mem_gib,
        overhead_points: est.len(),
        context_points,
        mig_points: mig.len(),
        speed_points,
        notes,
    }
}

/// The scenario with the fitted parameters applied (to compare after calibration).
pub fn apply_fit(sc: &Scenario, f: &Fit) -> Scenario {
    let mut sc = sc.clone();
    if let Some(a) = f.overhead_per_context {
        sc.model.overhead_per_context = a;
    }
    if let Some(c) = f.overhead_max {
        sc.model.overhead_max = c;
    }
    if let Some(e) = f.mig_efficiency {
        sc.model.mig_efficiency = e;
    }
    for (m, s) in &f.gpu_speed {
        sc.model.gpu_speed.insert(m.clone(), *s);
    }
    if let Some(g) = f.context_mem_gib {
        sc.model.context_mem_gib = g;
    }
    sc
}

fn num(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0');
    let s = s.strip_suffix('.').unwrap_or(s);
    s.to_string()
}

/// The calibration file: a YAML fragment with only the fitted `model:` parameters.
pub fn render_yaml(f: &Fit, sources: &[(String, Measurements)], created: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# slicesim calibration, fitted by `slicesim hil calibrate` on {created} from:"
    );
    for (name, m) in sources {
        let _ = writeln!(s, "#   {name}: {}", m.provenance);
    }
    if sources.iter().any(|(_, m)| m.synthetic) {
        s.push_str("# SYNTHETIC INPUT: these values describe the test setup, not real hardware.\n");
    }
    let _ = writeln!(
        s,
        "# Points used: overhead {}, MIG {}, speed {}, context memory {}. Use it from a scenario:\n\
         #   include: [this file]",
        f.overhead_points, f.mig_points, f.speed_points, f.context_points
    );
    for n in &f.notes {
        let _ = writeln!(s, "# {n}");
    }
    s.push_str("model:\n");
    if let Some(a) = f.overhead_per_context {
        let _ = writeln!(s, "  overhead_per_context: {}", num(a));
    }
    if let Some(c) = f.overhead_max {
        let _ = writeln!(s, "  overhead_max: {}", num(c));
    }
    if let Some(e) = f.mig_efficiency {
        let _ = writeln!(s, "  mig_efficiency: {}", num(e));
    }
    if let Some(g) = f.context_mem_gib {
        let _ = writeln!(s, "  context_mem_gib: {}", num(g));
    }
    if !f.gpu_speed.is_empty() {
        s.push_str("  gpu_speed:\n");
        for (m, v) in &f.gpu_speed {
            let _ = writeln!(s, "    {m}: {}", num(*v));
        }
    }
    s
}

/// Fits, and reports the prediction error before and after.
pub fn calibrate(
    files: &[(String, Measurements)],
    sc: &Scenario,
    tolerance: f64,
) -> Result<(Fit, String)> {
    let f = fit(files, sc);
    if f.overhead_per_context.is_none()
        && f.mig_efficiency.is_none()
        && f.gpu_speed.is_empty()
        && f.context_mem_gib.is_none()
    {
        return Err(HilError::error(format!(
            "nothing to calibrate: {}",
            f.notes.join("; ")
        )));
    }
    let before = compare(files, sc, tolerance);
    let after = compare(files, &apply_fit(sc, &f), tolerance);
    let mut r = String::new();
    let show = |x: Option<f64>, was: f64| match x {
        Some(v) => format!("{} (was {})", num(v), num(was)),
        None => format!("{} (kept: no data)", num(was)),
    };
    let _ = writeln!(
        r,
        "overhead_per_context {}, overhead_max {}, mig_efficiency {}",
        show(f.overhead_per_context, sc.model.overhead_per_context),
        show(f.overhead_max, sc.model.overhead_max),
        show(f.mig_efficiency, sc.model.mig_efficiency),
    );
    for (m, v) in &f.gpu_speed {
        let _ = writeln!(r, "gpu_speed {m} {}", num(*v));
    }
    let _ = writeln!(
        r,
        "context_mem_gib {}",
        show(f.context_mem_gib, sc.model.context_mem_gib)
    );
    for (label, c) in [("before", &before), ("after", &after)] {
        let _ = writeln!(
            r,
            "prediction error {label}: {} point(s), mean |error| {:.2} %, max |error| {:.2} %, {} outside ±{:.1} %",
            c.rows.len(),
            c.mean_abs_error() * 100.0,
            c.max_abs_error() * 100.0,
            c.rows.iter().filter(|r| !r.pass).count(),
            tolerance * 100.0
        );
    }
    Ok((f, r))
}

#[cfg(test)]
#[path = "calibrate_tests.rs"]
mod tests;
