//! mig-parted configuration (`version: v1`, `mig-configs`): per config name, which GPUs get MIG
//! and which instances.
//!
//! A pool has one layout for all its GPUs, so a config is resolved per node: the entries whose
//! `device-filter` admits the node's GPU model (by its PCI device IDs, see
//! [`crate::catalog::products`]) and whose `devices` cover the node's GPUs must agree; where
//! they differ, the first GPU's setting is used and the difference is reported as unsupported.
//! Layouts are checked with the catalog's solver for the node's GPU model.

use super::tree::{Messages, Src};
use crate::catalog::{Catalog, GpuModel, model_for_pci, pci_ids_of, pci_name, solve};
use std::collections::BTreeSet;

mod describe_all;
mod read;
pub use describe_all::describe_configs;
pub use read::parse;

/// Which GPUs of a node an entry applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Devices {
    All,
    List(Vec<u32>),
}

impl Devices {
    fn covers(&self, gpu: u32) -> bool {
        match self {
            Devices::All => true,
            Devices::List(l) => l.contains(&gpu),
        }
    }
}

/// One entry of a named config.
#[derive(Clone, Debug, PartialEq)]
pub struct MigEntry {
    pub devices: Devices,
    pub mig_enabled: bool,
    /// Profile names with their counts, in file order.
    pub mig_devices: Vec<(String, u32)>,
    /// `device-filter`: PCI device IDs (`0x20B2` of `0x20B210DE`); empty means every GPU.
    pub device_filter: Vec<u16>,
    pub line: u64,
    /// The entry's path in the file (`data.config.yaml.mig-configs.all-1g.10gb[0]` inside a
    /// ConfigMap).
    pub path: String,
}

impl MigEntry {
    /// True when the entry applies to GPUs of `model`: no filter, or a filter that names one
    /// of the model's PCI device IDs.
    pub fn admits(&self, model: &GpuModel) -> bool {
        self.device_filter.is_empty() || {
            let ids = pci_ids_of(&model.name);
            self.device_filter.iter().any(|d| ids.contains(d))
        }
    }

    /// The catalog models the entry's device filter names, and the products it names that
    /// the catalog lacks (`GB300 (0x31C2)`); both empty without a filter.
    pub fn filter_models(&self) -> (Vec<&'static str>, Vec<String>) {
        let mut models: Vec<&'static str> = Vec::new();
        let mut others = Vec::new();
        for &d in &self.device_filter {
            match model_for_pci(d) {
                Some(m) if !models.contains(&m) => models.push(m),
                Some(_) => {}
                None => others.push(format!(
                    "{} (0x{d:04X})",
                    pci_name(d).unwrap_or("unknown device")
                )),
            }
        }
        (models, others)
    }

    /// The profile names expanded by count (`{"1g.10gb": 2}` → `[1g.10gb, 1g.10gb]`).
    pub fn layout(&self) -> Vec<String> {
        self.mig_devices
            .iter()
            .flat_map(|(p, n)| std::iter::repeat_n(p.clone(), *n as usize))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MigConfig {
    pub name: String,
    pub line: u64,
    pub entries: Vec<MigEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MigPartedFile {
    pub file: String,
    pub configs: Vec<MigConfig>,
}

impl MigPartedFile {
    pub fn get(&self, name: &str) -> Option<&MigConfig> {
        self.configs.iter().find(|c| c.name == name)
    }
}

/// What a config does to every GPU of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MigSetting {
    Disabled,
    /// MIG on with these instances per GPU (possibly none).
    Layout(Vec<String>),
}

fn setting(e: &MigEntry) -> MigSetting {
    if e.mig_enabled {
        MigSetting::Layout(e.layout())
    } else {
        MigSetting::Disabled
    }
}

fn describe(s: &Option<MigSetting>) -> String {
    match s {
        None => "no entry".into(),
        Some(MigSetting::Disabled) => "MIG disabled".into(),
        Some(MigSetting::Layout(l)) if l.is_empty() => "MIG enabled, no instances".into(),
        Some(MigSetting::Layout(l)) => l.join(" + "),
    }
}

impl MigConfig {
    /// The setting every GPU of a node of `model` with `gpus` GPUs gets, its layout checked
    /// with the catalog's solver. Differences between GPUs are reported in `notes`; an invalid
    /// layout, or a config that covers none of the GPUs, is the error.
    pub fn resolve(
        &self,
        model: &GpuModel,
        gpus: u32,
        notes: &mut Vec<String>,
    ) -> Result<MigSetting, String> {
        // mig-parted applies an entry to a GPU when its device-filter (if any) names the
        // GPU's PCI device ID and its devices cover the GPU's index.
        let entries: Vec<&MigEntry> = self.entries.iter().filter(|e| e.admits(model)).collect();
        if entries.is_empty() && self.entries.iter().any(|e| !e.device_filter.is_empty()) {
            return Err(format!(
                "config {} has no entry whose device-filter admits {} (PCI device IDs {})",
                self.name,
                model.name,
                pci_ids_of(&model.name)
                    .iter()
                    .map(|d| format!("0x{d:04X}10DE"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let per_gpu: Vec<Option<MigSetting>> = (0..gpus.max(1))
            .map(|g| {
                entries
                    .iter()
                    .rev()
                    .find(|e| e.devices.covers(g))
                    .map(|e| setting(e))
            })
            .collect();
        if per_gpu.iter().all(Option::is_none) {
            return Err(format!(
                "config {} has no entry for the GPUs of a {} node",
                self.name, model.name
            ));
        }
        if per_gpu.iter().any(|s| *s != per_gpu[0]) {
            let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
            for (g, s) in per_gpu.iter().enumerate() {
                let d = describe(s);
                match groups.iter_mut().find(|(k, _)| *k == d) {
                    Some((_, v)) => v.push(g as u32),
                    None => groups.push((d, vec![g as u32])),
                }
            }
            let text: Vec<String> = groups
                .iter()
                .map(|(d, g)| format!("GPUs {} {d}", ranges(g)))
                .collect();
            notes.push(format!(
                "unsupported: config {} gives the GPUs of a node different settings ({}); a pool has one layout, so GPU 0's ({}) is used for all",
                self.name,
                text.join("; "),
                describe(&per_gpu[0])
            ));
        }
        let chosen = per_gpu[0].clone().unwrap_or(MigSetting::Disabled);
        if let MigSetting::Layout(l) = &chosen {
            let names: Vec<&str> = l.iter().map(String::as_str).collect();
            solve(model, &names).map_err(|e| format!("config {}: {e}", self.name))?;
        }
        Ok(chosen)
    }
}

/// `0-3, 6` from `[0, 1, 2, 3, 6]`.
fn ranges(v: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}-{}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// Layouts of configs no node uses are checked against the catalog models they can apply to:
/// those their `device-filter` names, or, without a filter, every model that has their
/// profiles. A layout that fits none of them is a warning, or an error when `strict` (no nodes
/// were given, so checking the file is the point). Entries whose filter names only products
/// the catalog lacks (GB300, RTX PRO 6000, ...) and configs whose profiles no model has are
/// listed in one warning each.
pub fn check_unused(
    file: &MigPartedFile,
    used: &BTreeSet<String>,
    catalog: &Catalog,
    strict: bool,
    msgs: &mut Messages,
) {
    let src = Src::new(&file.file);
    let mut unchecked = Vec::new();
    let mut other_products: BTreeSet<String> = BTreeSet::new();
    for c in file.configs.iter().filter(|c| !used.contains(&c.name)) {
        for e in c.entries.iter().filter(|e| e.mig_enabled) {
            let layout = e.layout();
            let names: Vec<&str> = layout.iter().map(String::as_str).collect();
            if names.is_empty() {
                continue;
            }
            let has_all = |m: &GpuModel| names.iter().all(|p| m.profile(p).is_some());
            let models: Vec<&GpuModel> = if e.device_filter.is_empty() {
                catalog
                    .models()
                    .iter()
                    .filter(|m| m.mig_capable() && has_all(m))
                    .collect()
            } else {
                let (known, others) = e.filter_models();
                other_products.extend(others);
                // A filtered model without MIG in the catalog (H20) is not checked.
                known
                    .iter()
                    .filter_map(|m| catalog.get(m))
                    .filter(|m| m.mig_capable())
                    .collect()
            };
            if models.is_empty() {
                if e.device_filter.is_empty() && !unchecked.contains(&c.name) {
                    unchecked.push(c.name.clone());
                }
                continue;
            }
            let problems: Vec<String> = models
                .iter()
                .filter_map(|m| match solve(m, &names) {
                    Ok(_) => None,
                    Err(err) => Some(err.to_string()),
                })
                .collect();
            // Without a filter, one model that takes the layout is enough; with one, every
            // model it names must.
            let bad = if e.device_filter.is_empty() {
                (problems.len() == models.len()).then(|| {
                    format!(
                        "invalid layout on every model that has these profiles: {}",
                        problems[0]
                    )
                })
            } else {
                problems
                    .first()
                    .map(|p| format!("invalid layout for a GPU its device-filter names: {p}"))
            };
            if let Some(msg) = bad {
                if strict {
                    msgs.error(&src, e.line, &e.path, msg);
                } else {
                    msgs.warn(
                        &src,
                        e.line,
                        &e.path,
                        format!("{msg} (no imported node uses config {})", c.name),
                    );
                }
            }
        }
    }
    if !unchecked.is_empty() {
        msgs.warnings.push(format!(
            "{}: configs not checked, no catalog model has their profiles: {}",
            file.file,
            unchecked.join(", ")
        ));
    }
    if !other_products.is_empty() {
        msgs.warnings.push(format!(
            "{}: entries for GPUs the catalog lacks not checked (by their device-filter): {}",
            file.file,
            other_products.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
}

#[cfg(test)]
mod tests;
