//! The comparison as a table (what `slicesim hil compare` prints).

use super::{Comparison, Observation};
use std::fmt::Write as _;

fn what(o: &Observation) -> String {
    let variant = if o.variant.is_empty() {
        String::new()
    } else {
        format!(" ({})", o.variant)
    };
    match o.kind {
        "time_slicing" => format!("time-slicing n={}{variant}", o.n.unwrap_or(0)),
        "reference_speed" => format!("speed {}", o.profile.as_deref().unwrap_or("?")),
        "mig" => format!(
            "mig {} f={:.3}",
            o.profile.as_deref().unwrap_or("?"),
            o.sm_fraction.unwrap_or(0.0)
        ),
        _ => "speed vs reference".into(),
    }
}

/// The comparison as a table.
pub fn render(c: &Comparison) -> String {
    let mut s = String::new();
    if c.synthetic {
        s.push_str(
            "NOTE: SYNTHETIC measurements (fake NVML library or emulated probe): this checks the \
             harness, not the model against real hardware\n",
        );
    }
    let w = c
        .rows
        .iter()
        .map(|r| what(&r.obs).chars().count())
        .fold(26, usize::max);
    let _ = writeln!(
        s,
        "{:<14} {:<w$} {:>5} {:>5} {:>9} {:>9} {:>8}  result",
        "GPU", "point", "u", "d", "measured", "model", "error"
    );
    for r in &c.rows {
        let _ = writeln!(
            s,
            "{:<14} {:<w$} {:>5} {:>5} {:>9.4} {:>9.4} {:>7.2}%  {}",
            r.obs.gpu_model,
            what(&r.obs),
            r.obs.u,
            r.obs.d,
            r.obs.measured,
            r.predicted,
            r.error * 100.0,
            if r.pass { "ok" } else { "FAIL" }
        );
    }
    for m in &c.memory {
        let list = |v: &[u32]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.iter()
                    .map(|i| format!("#{}", i + 1))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let _ = writeln!(
            s,
            "{:<14} memory n={} x {} MiB (catalog {:.0} MiB, NVML {} MiB, model context {:.0} MiB): \
             OOM model {} (dies after oom_after), observed {}{}; per-context overhead {}  {}",
            m.gpu_model,
            m.n,
            m.mem_mib.first().copied().unwrap_or(0),
            m.catalog_mib,
            m.nvml_total_mib,
            m.context_mib,
            list(&m.predicted_oom),
            list(&m.observed_oom),
            if m.failed.is_empty() {
                String::new()
            } else {
                format!(", no answer from {}", list(&m.failed))
            },
            m.ctx_overhead_mib.map_or(
                "unknown (an allocation failed, a probe failed, or NVML used less than was \
                 allocated)"
                    .into(),
                |x| format!("{x:.0} MiB")
            ),
            if m.pass { "ok" } else { "DIFFERS" }
        );
    }
    for k in &c.skipped {
        let _ = writeln!(s, "skipped: {k}");
    }
    let _ = writeln!(
        s,
        "{} point(s), {} outside ±{:.1} %{}; mean |error| {:.2} %, max |error| {:.2} %",
        c.rows.len() + c.memory.len(),
        c.failed(),
        c.tolerance * 100.0,
        if c.memory.is_empty() {
            ""
        } else {
            " or with other OOMs"
        },
        c.mean_abs_error() * 100.0,
        c.max_abs_error() * 100.0
    );
    s
}
