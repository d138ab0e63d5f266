//! mig-parted configuration (`version: v1`, `mig-configs`): per config name, which GPUs get MIG
//! and which instances.
//!
//! A pool has one layout for all its GPUs, so a config is resolved per node: the entries that
//! cover the node's GPUs must agree; where they differ, the first GPU's setting is used and the
//! difference is reported as unsupported. Layouts are checked with the catalog's solver for the
//! node's GPU model.

use super::Input;
use super::tree::{Fields, Messages, Node, Src, parse_yaml};
use crate::catalog::{Catalog, GpuModel, solve};
use std::collections::BTreeSet;

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
    /// `device-filter` (PCI device ids); not evaluated, see [`MigConfig::resolve`].
    pub device_filter: Vec<String>,
    pub line: u64,
    pub path: String,
}

impl MigEntry {
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

/// Reads a mig-parted config file. Problems go to `msgs`; `None` after an error.
pub fn parse(input: &Input, msgs: &mut Messages) -> Option<MigPartedFile> {
    let src = Src::new(&input.name);
    let root = match parse_yaml(&input.text) {
        Ok(n) => n,
        Err(e) => {
            msgs.errors
                .push(format!("{}: not valid YAML: {e}", input.name));
            return None;
        }
    };
    let errors_before = msgs.errors.len();
    let mut top = Fields::new(&root, "", &src, msgs)?;
    match top.take("version") {
        Some(v) if v.as_str() == Some("v1") => {}
        Some(v) => msgs.error(
            &src,
            v.line,
            "version",
            format!("unsupported version {} (expected v1)", v.show()),
        ),
        None => msgs.error(&src, root.line, "version", "missing (expected version: v1)"),
    }
    let mut configs = Vec::new();
    match top.take("mig-configs") {
        None => msgs.error(
            &src,
            root.line,
            "mig-configs",
            "missing: a mig-parted file needs mig-configs",
        ),
        Some(mc) => match mc.as_map() {
            None => msgs.error(
                &src,
                mc.line,
                "mig-configs",
                format!("expected a mapping of config names, found {}", mc.kind()),
            ),
            Some(named) => {
                for (name, list) in named {
                    let path = format!("mig-configs.{name}");
                    let Some(items) = list.as_seq() else {
                        msgs.error(
                            &src,
                            list.line,
                            &path,
                            format!("expected a list of entries, found {}", list.kind()),
                        );
                        continue;
                    };
                    let entries = items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, e)| read_entry(e, &format!("{path}[{i}]"), &src, msgs))
                        .collect();
                    configs.push(MigConfig {
                        name: name.clone(),
                        line: list.line,
                        entries,
                    });
                }
            }
        },
    }
    top.finish(&src, msgs);
    (msgs.errors.len() == errors_before).then(|| MigPartedFile {
        file: input.name.clone(),
        configs,
    })
}

/// One entry of a config: which GPUs, MIG on or off, the instances; `None` after an error.
fn read_entry(node: &Node, path: &str, src: &Src, msgs: &mut Messages) -> Option<MigEntry> {
    let mut f = Fields::new(node, path, src, msgs)?;
    let devices = read_devices(&mut f, node, src, msgs)?;
    let mig_enabled = read_mig_enabled(&mut f, node, src, msgs)?;
    let mig_devices = read_mig_devices(&mut f, src, msgs)?;
    let device_filter = read_device_filter(&mut f, src, msgs)?;
    if !mig_enabled && mig_devices.iter().any(|(_, n)| *n > 0) {
        msgs.warn(
            src,
            node.line,
            path,
            "mig-devices given with mig-enabled: false; they are ignored",
        );
    }
    f.finish(src, msgs);
    Some(MigEntry {
        devices,
        mig_enabled,
        mig_devices,
        device_filter,
        line: node.line,
        path: path.to_string(),
    })
}

/// `devices`: `all` or a list of GPU indices (required).
fn read_devices(f: &mut Fields, node: &Node, src: &Src, msgs: &mut Messages) -> Option<Devices> {
    match f.take("devices") {
        None => {
            msgs.error(
                src,
                node.line,
                &f.path_of("devices"),
                "missing (all or a list of GPU indices)",
            );
            None
        }
        Some(d) if d.as_str() == Some("all") => Some(Devices::All),
        Some(d) => match d
            .as_seq()
            .map(|s| s.iter().map(Node::as_count).collect::<Option<Vec<_>>>())
        {
            Some(Some(l)) if l.iter().all(|&i| i <= u64::from(u32::MAX)) => {
                Some(Devices::List(l.into_iter().map(|i| i as u32).collect()))
            }
            _ => {
                msgs.error(
                    src,
                    d.line,
                    &f.path_of("devices"),
                    format!("expected all or a list of GPU indices, found {}", d.show()),
                );
                None
            }
        },
    }
}

/// `mig-enabled` (required).
fn read_mig_enabled(f: &mut Fields, node: &Node, src: &Src, msgs: &mut Messages) -> Option<bool> {
    match f.take("mig-enabled") {
        Some(v) => match v.as_bool() {
            Some(b) => Some(b),
            None => {
                msgs.error(
                    src,
                    v.line,
                    &f.path_of("mig-enabled"),
                    format!("expected true or false, found {}", v.show()),
                );
                None
            }
        },
        None => {
            msgs.error(
                src,
                node.line,
                &f.path_of("mig-enabled"),
                "missing (true or false)",
            );
            None
        }
    }
}

/// `mig-devices`: profile → instances per GPU (none when absent).
fn read_mig_devices(f: &mut Fields, src: &Src, msgs: &mut Messages) -> Option<Vec<(String, u32)>> {
    let mut mig_devices = Vec::new();
    if let Some(md) = f.take("mig-devices") {
        let Some(map) = md.as_map() else {
            msgs.error(
                src,
                md.line,
                &f.path_of("mig-devices"),
                format!(
                    "expected a mapping of profile names to counts, found {}",
                    md.kind()
                ),
            );
            return None;
        };
        for (profile, count) in map {
            match count.as_i64() {
                Some(n) if (0..=64).contains(&n) => mig_devices.push((profile.clone(), n as u32)),
                _ => {
                    msgs.error(
                        src,
                        count.line,
                        &format!("{}.{profile}", f.path_of("mig-devices")),
                        format!("{} is not an instance count", count.show()),
                    );
                    return None;
                }
            }
        }
    }
    Some(mig_devices)
}

/// `device-filter`: one device id or a list of them (none when absent).
fn read_device_filter(f: &mut Fields, src: &Src, msgs: &mut Messages) -> Option<Vec<String>> {
    match f.take("device-filter") {
        None => Some(Vec::new()),
        Some(d) => match (d.as_str(), d.as_seq()) {
            (Some(s), _) => Some(vec![s.to_string()]),
            (_, Some(l)) => Some(
                l.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => {
                msgs.error(
                    src,
                    d.line,
                    &f.path_of("device-filter"),
                    format!("expected a device id or a list of them, found {}", d.show()),
                );
                None
            }
        },
    }
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
    /// with the catalog's solver. Differences between GPUs and the device filters (which name
    /// PCI device ids the catalog does not know) are reported in `notes`; an invalid layout, or
    /// a config that covers none of the GPUs, is the error.
    pub fn resolve(
        &self,
        model: &GpuModel,
        gpus: u32,
        notes: &mut Vec<String>,
    ) -> Result<MigSetting, String> {
        // Device filters: keep the entries whose profiles the model has (profile names carry
        // the memory size, so they tell most models apart).
        let filtered = self.entries.iter().any(|e| !e.device_filter.is_empty());
        let knows = |e: &MigEntry| {
            !e.mig_devices.is_empty()
                && e.mig_devices
                    .iter()
                    .all(|(p, _)| model.profile(p).is_some())
        };
        let mut entries: Vec<&MigEntry> = self
            .entries
            .iter()
            .filter(|e| e.device_filter.is_empty() || knows(e))
            .collect();
        if filtered {
            if entries.iter().all(|e| e.device_filter.is_empty()) {
                entries.extend(
                    self.entries
                        .iter()
                        .filter(|e| !e.device_filter.is_empty() && e.mig_devices.is_empty()),
                );
            }
            notes.push(format!(
                "device-filter (PCI device ids) is not evaluated; entries were chosen by the profile names {} has",
                model.name
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

/// Layouts of configs no node uses are checked against every catalog model that has their
/// profiles. A layout that fits none of them is a warning, or an error when `strict` (no nodes
/// were given, so checking the file is the point). Configs whose profiles no model has are
/// listed in one warning.
pub fn check_unused(
    file: &MigPartedFile,
    used: &BTreeSet<String>,
    catalog: &Catalog,
    strict: bool,
    msgs: &mut Messages,
) {
    let src = Src::new(&file.file);
    let mut unchecked = Vec::new();
    for c in file.configs.iter().filter(|c| !used.contains(&c.name)) {
        for e in c.entries.iter().filter(|e| e.mig_enabled) {
            let layout = e.layout();
            let names: Vec<&str> = layout.iter().map(String::as_str).collect();
            let models: Vec<&GpuModel> = catalog
                .models()
                .iter()
                .filter(|m| m.mig_capable() && names.iter().all(|p| m.profile(p).is_some()))
                .collect();
            if names.is_empty() {
                continue;
            }
            if models.is_empty() {
                if !unchecked.contains(&c.name) {
                    unchecked.push(c.name.clone());
                }
                continue;
            }
            if let Some(err) = models
                .iter()
                .map(|m| solve(m, &names).err())
                .collect::<Option<Vec<_>>>()
                .map(|errs| errs[0].to_string())
            {
                let msg = format!("invalid layout on every model that has these profiles: {err}");
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
}

#[cfg(test)]
mod tests;
