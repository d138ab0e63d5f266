//! `slicesim sensitivity`: one parameter at a time, set low and high, and how far each key
//! figure moves (a tornado). The parameters are the model constants and every class's traits
//! (±`delta` of their value, kept in range), or explicit ranges; each setting is run like a
//! `size` probe (one run, or one per seed in parallel) and compared with the unchanged scenario.

use super::eval::{Figure, resolve};
use super::probe::{run_figures, with_value};
use crate::run::RunOptions;
use crate::scenario::Loaded;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The figures a sensitivity run reports unless told otherwise.
pub const DEFAULT_FIGURES: &[&str] = &[
    "cost.total_usd",
    "classes.*.wait.p95_s",
    "pools.*.busy",
    "classes.*.latency.p95_ms",
];

/// One parameter and the two settings it is run at (written as `--set` takes them).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Param {
    pub path: String,
    /// Its value in the scenario, for display (`None` for an explicit range on a field the
    /// defaults do not cover).
    pub base: Option<f64>,
    pub low: String,
    pub high: String,
}

/// How one figure moved when one parameter went low and high.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub figure: String,
    pub parameter: String,
    pub low: String,
    pub high: String,
    /// The figure in the unchanged scenario, at the low setting and at the high one (absent
    /// where the run has no such figure, e.g. a percentile without a sample).
    pub base_value: f64,
    pub at_low: Option<f64>,
    pub at_high: Option<f64>,
    /// Largest distance from the base value over the two settings, and that over |base|.
    pub swing: Option<f64>,
    pub relative_swing: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    pub params: Vec<Param>,
    /// Figure -> value in the unchanged scenario.
    pub base: BTreeMap<String, f64>,
    /// Per figure (in the order of the patterns), parameters by decreasing swing.
    pub rows: Vec<Row>,
}

/// Each model constant and each class's `u`, `d` and `mem_gib`, at (1 ± delta) × their value,
/// clipped to the field's range. Parameters whose value is 0 have no relative perturbation and
/// are left out (give them a range).
pub fn default_params(loaded: &Loaded, delta: f64) -> Vec<Param> {
    let sc = &loaded.scenario;
    let m = &sc.model;
    let mut out = Vec::new();
    let mut add = |path: String, v: f64, lo_cap: f64, hi_cap: f64, secs: bool| {
        if v == 0.0 {
            return;
        }
        let lo = (v * (1.0 - delta)).max(lo_cap);
        let hi = (v * (1.0 + delta)).min(hi_cap);
        let fmt = |x: f64| {
            if secs {
                format!("{}s", round(x))
            } else {
                format!("{}", round(x))
            }
        };
        out.push(Param {
            path,
            base: Some(v),
            low: fmt(lo),
            high: fmt(hi),
        });
    };
    add(
        "model.overhead_per_context".into(),
        m.overhead_per_context,
        0.0,
        0.99,
        false,
    );
    add(
        "model.overhead_max".into(),
        m.overhead_max,
        0.0,
        0.99,
        false,
    );
    add(
        "model.mig_efficiency".into(),
        m.mig_efficiency,
        1e-3,
        2.0,
        false,
    );
    add(
        "model.context_mem_gib".into(),
        m.context_mem_gib,
        0.0,
        f64::MAX,
        false,
    );
    // Durations are written in seconds with a unit (`37.5s`).
    for (name, d) in [
        ("oom_after", m.oom_after),
        ("restart_delay", m.restart_delay),
        ("termination_grace", m.termination_grace),
        ("reconfig_downtime", m.reconfig_downtime),
    ] {
        add(format!("model.{name}"), d.secs(), 0.0, f64::MAX, true);
    }
    for c in &sc.classes {
        let at = |f: &str| format!("classes.{}.{f}", c.name);
        add(at("u"), c.u, 1e-3, 1.0, false);
        add(at("d"), c.d, 1e-3, 1.0, false);
        add(at("mem_gib"), c.mem_gib, 0.0, f64::MAX, false);
    }
    out
}

/// Six significant digits: readable overrides, and no float noise such as 0.30000000000000004.
fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(5 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// `PATH=LO..HI`: an explicit range (values as `--set` takes them, e.g. `1h..4h`).
pub fn parse_range(s: &str) -> Result<Param, String> {
    let (path, range) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: give PATH=LO..HI, e.g. model.oom_after=10s..2m"))?;
    let (lo, hi) = range
        .split_once("..")
        .ok_or_else(|| format!("`{s}`: give PATH=LO..HI, e.g. model.oom_after=10s..2m"))?;
    if path.trim().is_empty() || lo.trim().is_empty() || hi.trim().is_empty() {
        return Err(format!("`{s}`: PATH, LO and HI must not be empty"));
    }
    Ok(Param {
        path: path.trim().to_string(),
        base: None,
        low: lo.trim().to_string(),
        high: hi.trim().to_string(),
    })
}

/// Runs the unchanged scenario and every parameter low and high (each once, or once per seed)
/// and tabulates how the figures matching `patterns` move. Every setting is checked before
/// anything runs: an invalid one is an error naming it. `each` is called before every run of a
/// setting (for progress).
pub fn analyse(
    loaded: &Loaded,
    params: &[Param],
    patterns: &[String],
    opts: &RunOptions,
    seeds: &[u64],
    each: &(dyn Fn(&str) + Sync),
) -> Result<Sensitivity, String> {
    let mut settings = Vec::new();
    for p in params {
        for v in [&p.low, &p.high] {
            settings.push(with_value(loaded, &p.path, v, "--range")?);
        }
    }
    each("unchanged scenario");
    let base = run_figures(loaded, opts, seeds)?;
    let mut wanted: Vec<&Figure> = Vec::new();
    for pat in patterns {
        match resolve(pat, &base) {
            Ok(hits) => {
                for h in hits {
                    if !wanted.iter().any(|w| w.path == h.path) {
                        wanted.push(h);
                    }
                }
            }
            // A default pattern may match nothing (no services, no latency): skip it quietly;
            // one the user named must exist.
            Err(e) if !DEFAULT_FIGURES.contains(&pat.as_str()) => {
                return Err(format!("--figure {e}"));
            }
            Err(_) => {}
        }
    }
    let runs: Vec<Result<Vec<Figure>, String>> = settings
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let p = &params[i / 2];
            each(&format!(
                "{}={}",
                p.path,
                if i % 2 == 0 { &p.low } else { &p.high }
            ));
            run_figures(s, opts, seeds)
        })
        .collect();
    let runs = runs.into_iter().collect::<Result<Vec<_>, String>>()?;
    let value = |figs: &[Figure], path: &str| figs.iter().find(|f| f.path == path).map(|f| f.value);
    let mut rows = Vec::new();
    for f in &wanted {
        let mut per: Vec<Row> = params
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (lo, hi) = (
                    value(&runs[2 * k], &f.path),
                    value(&runs[2 * k + 1], &f.path),
                );
                let swing = match (lo, hi) {
                    (None, None) => None,
                    _ => Some(
                        [lo, hi]
                            .iter()
                            .flatten()
                            .map(|v| (v - f.value).abs())
                            .fold(0.0, f64::max),
                    ),
                };
                Row {
                    figure: f.path.clone(),
                    parameter: p.path.clone(),
                    low: p.low.clone(),
                    high: p.high.clone(),
                    base_value: f.value,
                    at_low: lo,
                    at_high: hi,
                    swing,
                    relative_swing: swing.filter(|_| f.value != 0.0).map(|s| s / f.value.abs()),
                }
            })
            .collect();
        // Largest swing first; ties (and absent swings, last) in parameter order.
        per.sort_by(|a, b| b.swing.unwrap_or(-1.0).total_cmp(&a.swing.unwrap_or(-1.0)));
        rows.extend(per);
    }
    Ok(Sensitivity {
        params: params.to_vec(),
        base: wanted.iter().map(|f| (f.path.clone(), f.value)).collect(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_bad_ones_say_what_is_expected() {
        let p = parse_range("model.oom_after=10s..2m").unwrap();
        assert_eq!(
            (p.path.as_str(), p.low.as_str(), p.high.as_str()),
            ("model.oom_after", "10s", "2m")
        );
        for bad in ["model.oom_after", "x=1", "=1..2", "x=..2", "x=1.."] {
            let e = parse_range(bad).unwrap_err();
            assert!(e.contains("PATH"), "{bad}: {e}");
        }
    }

    #[test]
    fn rounding_keeps_six_significant_digits() {
        assert_eq!(round(0.1 * 3.0), 0.3);
        assert_eq!(round(0.015), 0.015);
        assert_eq!(round(37.5), 37.5);
        assert_eq!(round(1234567.0), 1234570.0);
    }
}
