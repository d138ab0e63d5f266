//! Text rendering of MIG layouts for the CLI (`slicesim mig layouts --gpu A100-80GB`).

use super::layout::{enumerate, is_maximal};
use super::{GpuModel, MIG_COMPUTE_SLICES, MIG_MEMORY_SLICES, Placement};
use std::fmt::Write;

/// Placements as `3g.40gb@4 2g.20gb@0 2g.20gb@2` (profile name @ start memory slice).
pub fn format_placements(model: &GpuModel, layout: &[Placement]) -> String {
    let parts: Vec<String> = layout
        .iter()
        .map(|pl| format!("{}@{}", profile_name(model, pl.profile), pl.start))
        .collect();
    parts.join(" ")
}

/// Memory-slice map such as `[2g 2g|2g 2g|3g 3g 3g 3g]`: one cell per memory slice naming the
/// instance that holds it (`--` when free), `|` between different instances.
pub fn slice_map(model: &GpuModel, layout: &[Placement]) -> String {
    let mut owner: [Option<usize>; MIG_MEMORY_SLICES as usize] = [None; MIG_MEMORY_SLICES as usize];
    for (i, pl) in layout.iter().enumerate() {
        let end = (usize::from(pl.start) + usize::from(pl.size)).min(owner.len());
        for cell in owner.iter_mut().take(end).skip(usize::from(pl.start)) {
            *cell = Some(i);
        }
    }
    let labels: Vec<&str> = owner
        .iter()
        .map(|o| o.map_or("--", |i| short_name(model, layout[i].profile)))
        .collect();
    let width = labels.iter().map(|l| l.len()).max().unwrap_or(2);
    let mut out = String::from("[");
    for (k, label) in labels.iter().enumerate() {
        if k > 0 {
            out.push(if owner[k] == owner[k - 1] { ' ' } else { '|' });
        }
        let _ = write!(out, "{label:<width$}");
    }
    out.push(']');
    out
}

fn profile_name(model: &GpuModel, index: usize) -> &str {
    model
        .mig_profiles
        .get(index)
        .map_or("?", |p| p.name.as_str())
}

fn short_name(model: &GpuModel, index: usize) -> &str {
    model
        .mig_profiles
        .get(index)
        .map_or("?", |p| p.short_name())
}

/// Lists every valid layout of base profiles, one per line with its slice map and usage, plus a
/// header and a footer with the counts ("37 layouts, 12 maximal"). With `maximal_only`, only
/// the maximal layouts are listed; without it, maximal ones are marked.
pub fn render_layouts(model: &GpuModel, maximal_only: bool) -> String {
    if !model.mig_capable() {
        return format!("{} is not MIG capable: it has no MIG layouts\n", model.name);
    }
    let layouts: Vec<(Vec<Placement>, bool)> = enumerate(model, false)
        .into_iter()
        .map(|l| {
            let maximal = is_maximal(model, &l);
            (l, maximal)
        })
        .collect();
    let maximal_count = layouts.iter().filter(|(_, m)| *m).count();
    let shown: Vec<&(Vec<Placement>, bool)> = layouts
        .iter()
        .filter(|(_, m)| *m || !maximal_only)
        .collect();

    let base: Vec<&str> = model
        .base_profiles()
        .into_iter()
        .map(|p| model.mig_profiles[p].name.as_str())
        .collect();
    let mut out = String::new();
    let which = if maximal_only {
        "Maximal MIG layouts"
    } else {
        "MIG layouts"
    };
    let _ = writeln!(
        out,
        "{which} of {} ({MIG_COMPUTE_SLICES} compute slices, {MIG_MEMORY_SLICES} memory slices; base profiles {})",
        model.name,
        base.join(", ")
    );
    let texts: Vec<String> = shown
        .iter()
        .map(|(l, _)| format_placements(model, l))
        .collect();
    let width = texts
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("profile@start".len());
    let _ = writeln!(out, "  {:<width$}  memory slices 0-7", "profile@start");
    for ((layout, maximal), text) in shown.iter().zip(&texts) {
        let compute: u32 = layout
            .iter()
            .filter_map(|pl| model.mig_profiles.get(pl.profile))
            .map(|p| u32::from(p.compute_slices))
            .sum();
        let memory: u32 = layout.iter().map(|pl| u32::from(pl.size)).sum();
        let mark = if *maximal && !maximal_only {
            "  maximal"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {text:<width$}  {}  ({compute}/{MIG_COMPUTE_SLICES} compute, {memory}/{MIG_MEMORY_SLICES} memory slices){mark}",
            slice_map(model, layout)
        );
    }
    let _ = writeln!(out, "{} layouts, {maximal_count} maximal", layouts.len());
    out
}
