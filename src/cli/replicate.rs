//! `slicesim run --seeds ...`: the replications' key figures as `mean ± half-width` with the
//! replications each needs for the target half-width.

use super::figures::{KeySet, key_figures, seed_list, show, show_in};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use slicesim::sweep::replicate::Replication;

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
    let paths: Vec<&str> = rep.figures.iter().map(|f| f.path.as_str()).collect();
    let mut any_censored = false;
    for key in key_figures(&paths, KeySet::Replication) {
        let (label, unit) = (key.label, key.unit);
        let Some(f) = rep.figures.iter().find(|f| f.path == key.path) else {
            continue;
        };
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
        // A wait percentile that was a lower bound in some seed: so is the mean.
        let censored = slicesim::check::eval::is_lower_bound(&f.path, |p| {
            rep.figures.iter().find(|g| g.path == p).map(|g| g.mean)
        });
        any_censored |= censored;
        let value = if censored {
            format!("≥{value}")
        } else {
            value
        };
        let needed = f
            .replications_needed
            .map_or_else(|| "-".to_string(), |n| n.to_string());
        t.add_row(vec![label, value, f.n.to_string(), needed]);
    }
    let note = if any_censored {
        "≥: a wait percentile that falls among jobs that never started in at least one seed; \
         the mean is a lower bound (docs/MODEL.md)\n"
    } else {
        ""
    };
    format!(
        "scenario {}  {} replications (seeds {})\n{t}\n{note}",
        rep.scenario,
        rep.replications,
        seed_list(&rep.provenance.seeds)
    )
}
