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
