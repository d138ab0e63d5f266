//! What each named mig-parted config does to the GPUs of every catalog model, for
//! `slicesim import --mig-parted FILE` without nodes (the file alone says nothing about which
//! GPUs it will meet, so every MIG-capable model the config can apply to is shown).

use super::{MigConfig, MigPartedFile, MigSetting};
use crate::catalog::{Catalog, GpuModel};

/// A node size for resolving a config without nodes: mig-parted entries may name device
/// indices up to 7 (eight-GPU HGX boards), so every index an entry can name is covered.
const GPUS_PER_NODE: u32 = 8;

/// One line per config: its name and, per group of catalog models with the same result, what
/// every GPU of such a node gets (`A100-80GB, H100-80GB: 7 × 1g.10gb`).
pub fn describe_configs(file: &MigPartedFile, catalog: &Catalog) -> Vec<(String, String)> {
    file.configs
        .iter()
        .map(|c| (c.name.clone(), describe_config(c, catalog)))
        .collect()
}

fn describe_config(c: &MigConfig, catalog: &Catalog) -> String {
    // (result, models giving it), in catalog order of first appearance.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for m in catalog.models().iter().filter(|m| m.mig_capable()) {
        let Some(text) = on_model(c, m) else { continue };
        match groups.iter_mut().find(|(t, _)| *t == text) {
            Some((_, v)) => v.push(&m.name),
            None => groups.push((text, vec![&m.name])),
        }
    }
    let mut parts: Vec<String> = groups
        .iter()
        .map(|(t, models)| format!("{}: {t}", models.join(", ")))
        .collect();
    let others: Vec<String> = unique(c.entries.iter().flat_map(|e| e.filter_models().1));
    if !others.is_empty() {
        parts.push(format!(
            "entries for GPUs not in the catalog: {}",
            others.join(", ")
        ));
    }
    if groups.is_empty() {
        let profiles: Vec<&str> = unique(
            c.entries
                .iter()
                .filter(|e| e.device_filter.is_empty())
                .flat_map(|e| e.mig_devices.iter().map(|(p, _)| p.as_str())),
        );
        parts.insert(
            0,
            if profiles.is_empty() {
                "applies to no catalog model (its device-filters name none)".into()
            } else {
                format!(
                    "applies to no catalog model (none has {})",
                    profiles.join(", ")
                )
            },
        );
    }
    parts.join("; ")
}

/// What the config gives every GPU of a node of `model`; `None` when no entry applies to the
/// model (its device-filter names other GPUs, or the model lacks the entry's profiles).
fn on_model(c: &MigConfig, model: &GpuModel) -> Option<String> {
    let admitted: Vec<_> = c.entries.iter().filter(|e| e.admits(model)).collect();
    if admitted.is_empty() {
        return None;
    }
    // An unfiltered entry with profiles the model does not have was written for other GPUs.
    let foreign = admitted.iter().any(|e| {
        e.device_filter.is_empty()
            && e.mig_enabled
            && e.mig_devices
                .iter()
                .any(|(p, _)| model.profile(p).is_none())
    });
    if foreign {
        return None;
    }
    let mut notes = Vec::new();
    Some(match c.resolve(model, GPUS_PER_NODE, &mut notes) {
        Ok(MigSetting::Disabled) => "MIG disabled".into(),
        Ok(MigSetting::Layout(l)) if l.is_empty() => "MIG enabled, no instances".into(),
        Ok(MigSetting::Layout(l)) => {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for p in &l {
                match counts.iter_mut().find(|(q, _)| q == p) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((p, 1)),
                }
            }
            let text: Vec<String> = counts.iter().map(|(p, n)| format!("{n} × {p}")).collect();
            let differ = if notes.is_empty() {
                ""
            } else {
                " (GPUs differ; a pool takes GPU 0's)"
            };
            format!("{}{differ}", text.join(" + "))
        }
        Err(e) => format!("invalid ({e})"),
    })
}

/// The items in first-seen order, each once.
fn unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v = Vec::new();
    for x in items {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}
