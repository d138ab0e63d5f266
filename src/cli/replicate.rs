//! `slicesim run --seeds ...`: the replications' key figures as `mean ± half-width` with the
//! replications each needs for the target half-width.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use slicesim::sweep::replicate::{FigureStats, Replication};

/// How a figure's numbers are shown.
#[derive(Clone, Copy)]
enum Unit {
    Fraction,
    Seconds,
    Count,
    Usd,
}

fn show(x: f64, unit: Unit) -> String {
    show_in(x, unit, x)
}

/// `x` in the format `scale` would take: a mean and its half-width share one time unit.
fn show_in(x: f64, unit: Unit, scale: f64) -> String {
    match unit {
        Unit::Fraction => format!("{:.1}%", x * 100.0),
        Unit::Seconds if scale.abs() < 120.0 => format!("{x:.0}s"),
        Unit::Seconds if scale.abs() < 7200.0 => format!("{:.1}m", x / 60.0),
        Unit::Seconds => format!("{:.2}h", x / 3600.0),
        Unit::Count => format!("{x:.1}"),
        Unit::Usd => format!("${x:.0}"),
    }
}

/// The key figures: per pool allocation, busy and wait p95; per class wait p95 and completed
/// jobs; the total cost. Paths as in docs/OUTPUTS.md.
fn key_figures(rep: &Replication) -> Vec<(String, &FigureStats, Unit)> {
    let mut keys = Vec::new();
    let find = |path: &str| rep.figures.iter().find(|f| f.path == path);
    let mut pools: Vec<&str> = Vec::new();
    let mut classes: Vec<&str> = Vec::new();
    for f in &rep.figures {
        // Names may hold dots; the figure's last field is fixed, so strip it from the end.
        if let Some(name) = f
            .path
            .strip_prefix("pools.")
            .and_then(|r| r.strip_suffix(".busy"))
        {
            pools.push(name);
        }
        if let Some(name) = f
            .path
            .strip_prefix("classes.")
            .and_then(|r| r.strip_suffix(".queue_depth"))
        {
            classes.push(name);
        }
    }
    for p in pools {
        for (field, label, unit) in [
            ("allocation", "allocation", Unit::Fraction),
            ("busy", "busy", Unit::Fraction),
            ("wait.p95_s", "wait p95", Unit::Seconds),
        ] {
            if let Some(f) = find(&format!("pools.{p}.{field}")) {
                keys.push((format!("pool {p} {label}"), f, unit));
            }
        }
    }
    for c in classes {
        for (field, label, unit) in [
            ("wait.p95_s", "wait p95", Unit::Seconds),
            ("jobs.completed", "completed", Unit::Count),
        ] {
            if let Some(f) = find(&format!("classes.{c}.{field}")) {
                keys.push((format!("class {c} {label}"), f, unit));
            }
        }
    }
    if let Some(f) = find("cost.total_usd") {
        keys.push(("cost total".into(), f, Unit::Usd));
    }
    keys
}

pub fn render(rep: &Replication) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    // Rounded to 0.01 %: 0.1 * 100 is 10.000000000000002 in binary.
    let target = format!("needed ±{}%", (rep.half_width_target * 1e4).round() / 1e2);
    t.set_header(vec![
        "figure",
        "mean ± 95% half-width",
        "n",
        target.as_str(),
    ]);
    for (label, f, unit) in key_figures(rep) {
        let value = match f.half_width {
            Some(h) => {
                let scale = f.mean.abs().max(h);
                format!(
                    "{} ± {}",
                    show_in(f.mean, unit, scale),
                    show_in(h, unit, scale)
                )
            }
            None => show(f.mean, unit),
        };
        let needed = f
            .replications_needed
            .map_or_else(|| "-".to_string(), |n| n.to_string());
        t.add_row(vec![label, value, f.n.to_string(), needed]);
    }
    format!(
        "scenario {}  {} replications (seeds {})\n{t}\n",
        rep.scenario,
        rep.replications,
        seed_list(&rep.provenance.seeds)
    )
}

/// `1..10` for a run of consecutive seeds, else the list.
fn seed_list(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(a), Some(b)) if seeds.len() > 2 && b - a + 1 == seeds.len() as u64 => {
            format!("{a}..{b}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}
