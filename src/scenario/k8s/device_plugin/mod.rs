//! NVIDIA device-plugin configuration: a ConfigMap whose `data` holds named configs as YAML
//! strings, or one bare config file (`version: v1`).
//!
//! Read: `flags.migStrategy` (none | single | mixed), `sharing.timeSlicing` (`renameByDefault`,
//! `failRequestsGreaterThanOne`, `resources[{name: nvidia.com/gpu | nvidia.com/mig-<profile>,
//! replicas}]`) and
//! `sharing.mps` (`resources[{name: nvidia.com/gpu, replicas}]`, 2 to 48). Reported as
//! unsupported: renamed resources, per-device
//! subsets and custom resource naming (`resources`).

use super::Input;
use super::tree::{Fields, Messages, Node, Src, parse_yaml, parse_yaml_in};
use config::read_config;

mod config;
mod mps;

/// `flags.migStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigStrategyFlag {
    None,
    Single,
    Mixed,
}

impl MigStrategyFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            MigStrategyFlag::None => "none",
            MigStrategyFlag::Single => "single",
            MigStrategyFlag::Mixed => "mixed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(MigStrategyFlag::None),
            "single" => Some(MigStrategyFlag::Single),
            "mixed" => Some(MigStrategyFlag::Mixed),
            _ => None,
        }
    }
}

/// Time-slicing of whole GPUs (`nvidia.com/gpu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSlicing {
    pub replicas: u32,
    pub rename_by_default: bool,
    pub fail_requests_greater_than_one: bool,
}

/// One named device-plugin config, reduced to what the simulator uses.
#[derive(Clone, Debug, PartialEq)]
pub struct DevicePluginConfig {
    /// The ConfigMap key, or `(file)` for a bare config file.
    pub name: String,
    pub mig_strategy: Option<MigStrategyFlag>,
    pub time_slicing: Option<TimeSlicing>,
    /// `sharing.mps`: the replicas of `nvidia.com/gpu` (an MPS pool), when set and valid.
    pub mps: Option<u32>,
    /// MIG profiles given time-slicing replicas (`nvidia.com/mig-<profile>` entries of
    /// `sharing.timeSlicing.resources`): (profile, replicas).
    pub mig_time_slicing: Vec<(String, u32)>,
}

impl DevicePluginConfig {
    /// What the config means for the GPUs of a node that selects it: the resources advertised,
    /// their replicas and the sharing, in one sentence (`import --device-plugin FILE` alone).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.time_slicing {
            Some(ts) => {
                let resource = if ts.rename_by_default {
                    "nvidia.com/gpu.shared"
                } else {
                    "nvidia.com/gpu"
                };
                parts.push(format!(
                    "time-slicing: each GPU advertised as {} x {resource} (pools get sharing: {{kind: time_slicing, replicas: {}}}){}",
                    ts.replicas,
                    ts.replicas,
                    if ts.fail_requests_greater_than_one {
                        "; requests for more than one replica fail"
                    } else {
                        ""
                    }
                ));
            }
            None if self.mps.is_some() => parts.push(format!(
                "MPS: each GPU advertised as {r} x nvidia.com/gpu, each client limited to 1/{r} of the SMs and of the memory (pools get sharing: {{kind: mps, replicas: {r}}})",
                r = self.mps.unwrap_or(0)
            )),
            None => parts
                .push("no sharing: each GPU advertised once as nvidia.com/gpu (exclusive)".into()),
        }
        match self.mig_strategy {
            Some(MigStrategyFlag::None) | None => {
                parts.push("MIG strategy none (MIG GPUs are not advertised)".into())
            }
            Some(MigStrategyFlag::Single) => parts.push(
                "MIG strategy single: MIG instances advertised as nvidia.com/gpu (all of one profile)".into(),
            ),
            Some(MigStrategyFlag::Mixed) => parts.push(
                "MIG strategy mixed: each profile advertised as nvidia.com/mig-<profile>".into(),
            ),
        }
        if !self.mig_time_slicing.is_empty() {
            let each: Vec<String> = self
                .mig_time_slicing
                .iter()
                .map(|(p, r)| format!("{p} x {r}"))
                .collect();
            parts.push(format!(
                "time-slicing of MIG instances: {} (MIG pools get replicas: {{profile: N}})",
                each.join(", ")
            ));
        }
        parts.join("; ")
    }
}

/// Every config of the file and the one nodes without a `nvidia.com/device-plugin.config` label
/// get.
#[derive(Clone, Debug, PartialEq)]
pub struct DevicePluginConfigs {
    pub file: String,
    pub configs: Vec<DevicePluginConfig>,
    pub default: Option<String>,
    /// True for a ConfigMap, false for a bare config file.
    pub config_map: bool,
}

impl DevicePluginConfigs {
    pub fn get(&self, name: &str) -> Option<&DevicePluginConfig> {
        self.configs.iter().find(|c| c.name == name)
    }
    pub fn default_config(&self) -> Option<&DevicePluginConfig> {
        self.default.as_deref().and_then(|d| self.get(d))
    }
    pub fn names(&self) -> Vec<&str> {
        self.configs.iter().map(|c| c.name.as_str()).collect()
    }
}

/// The name a bare config file's single config gets.
pub const BARE_CONFIG: &str = "(file)";

/// Reads a device-plugin ConfigMap or bare config. `default` names the config for unlabelled
/// nodes (as the GPU operator's `devicePlugin.config.default`); without it, a config named
/// `default`, else the only config, is taken. Problems go to `msgs`; `None` after an error.
pub fn parse(
    input: &Input,
    default: Option<&str>,
    msgs: &mut Messages,
) -> Option<DevicePluginConfigs> {
    let src = Src::new(&input.name);
    let root = match parse_yaml_in(&input.text, &input.name) {
        Ok(n) => n,
        Err(e) => {
            msgs.errors
                .push(format!("{}: not valid YAML: {e}", input.name));
            return None;
        }
    };
    let errors_before = msgs.errors.len();
    let is_config_map = root.get("kind").and_then(Node::as_str) == Some("ConfigMap")
        || (root.get("data").is_some() && root.get("version").is_none());
    let mut configs = Vec::new();
    if is_config_map {
        configs = read_config_map(&root, input, &src, msgs)?;
    } else if let Some(c) = read_config(&root, BARE_CONFIG, &src, msgs) {
        configs.push(c);
    }
    if msgs.errors.len() > errors_before {
        return None;
    }
    let default = default_config(default, &configs, &input.name, msgs).ok()?;
    Some(DevicePluginConfigs {
        file: input.name.clone(),
        configs,
        default,
        config_map: is_config_map,
    })
}

/// The configs of a ConfigMap, one per `data` key; `None` when the file is not a mapping.
fn read_config_map(
    root: &Node,
    input: &Input,
    src: &Src,
    msgs: &mut Messages,
) -> Option<Vec<DevicePluginConfig>> {
    let mut configs = Vec::new();
    let mut top = Fields::new(root, "", src, msgs)?;
    if let Some(k) = top.take("kind")
        && k.as_str() != Some("ConfigMap")
    {
        msgs.error(
            src,
            k.line,
            "kind",
            format!("expected ConfigMap, found {}", k.show()),
        );
    }
    top.take("apiVersion");
    if let Some(meta) = top.take("metadata") {
        read_metadata(meta, src, msgs);
    }
    match top.take("data").map(|d| (d, d.as_map())) {
        Some((_, Some(entries))) => {
            configs = read_embedded(entries, input, src, msgs);
            if entries.is_empty() {
                msgs.error(src, root.line, "data", "the ConfigMap holds no config");
            }
        }
        Some((d, None)) => msgs.error(
            src,
            d.line,
            "data",
            format!(
                "expected a mapping of config names to configs, found {}",
                d.kind()
            ),
        ),
        None => msgs.error(
            src,
            root.line,
            "data",
            "a device-plugin ConfigMap needs data",
        ),
    }
    top.ignore(&["binaryData", "immutable"]);
    top.finish(src, msgs);
    Some(configs)
}

/// The configs embedded as strings under the ConfigMap's `data` keys, with the lines they have
/// in the outer file.
fn read_embedded(
    entries: &[(String, Node)],
    input: &Input,
    src: &Src,
    msgs: &mut Messages,
) -> Vec<DevicePluginConfig> {
    let mut configs = Vec::new();
    for (key, value) in entries {
        let path = format!("data.{key}");
        let Some(text) = value.as_str() else {
            msgs.error(
                src,
                value.line,
                &path,
                format!(
                    "expected a device-plugin config as a string, found {}",
                    value.kind()
                ),
            );
            continue;
        };
        let mut doc = match parse_yaml(text) {
            Ok(d) => d,
            Err(e) => {
                msgs.error(src, value.line, &path, format!("embedded config is not valid YAML (lines counted from the start of the text): {e}"));
                continue;
            }
        };
        place_embedded(&mut doc, value.line, &input.text);
        let sub = Src {
            file: input.name.clone(),
            prefix: path.clone(),
        };
        if let Some(c) = read_config(&doc, key, &sub, msgs) {
            configs.push(c);
        }
    }
    configs
}

/// The config unlabelled nodes get: the one named (an error if absent), else the only one, else
/// one named `default`.
fn default_config(
    default: Option<&str>,
    configs: &[DevicePluginConfig],
    file: &str,
    msgs: &mut Messages,
) -> Result<Option<String>, ()> {
    Ok(match default {
        Some(d) => {
            if !configs.iter().any(|c| c.name == d) {
                msgs.errors.push(format!(
                    "{}: the default device-plugin config {d} is not in the file (configs: {})",
                    file,
                    configs
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                return Err(());
            }
            Some(d.to_string())
        }
        None if configs.len() == 1 => Some(configs[0].name.clone()),
        None => configs
            .iter()
            .find(|c| c.name == "default")
            .map(|c| c.name.clone()),
    })
}

/// Gives an embedded document the lines it has in the outer file. `key_line` is the line of
/// its key: a block scalar (`key: |`) starts on the next line and keeps its line structure; a
/// quoted string is placed on the key's line as a whole.
pub fn place_embedded(doc: &mut Node, key_line: u64, outer: &str) {
    let block = key_line >= 1
        && outer.lines().nth((key_line - 1) as usize).is_some_and(|l| {
            let l = l.trim_end();
            let ind = l.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
            ind.ends_with('|') || ind.ends_with('>')
        });
    if block {
        doc.shift_lines(key_line);
    } else {
        set_lines(doc, key_line);
    }
}

fn set_lines(n: &mut Node, line: u64) {
    n.line = line;
    match &mut n.val {
        super::tree::Val::Seq(v) => v.iter_mut().for_each(|c| set_lines(c, line)),
        super::tree::Val::Map(v) => v.iter_mut().for_each(|(_, c)| set_lines(c, line)),
        _ => {}
    }
}

/// Kubernetes object metadata: only the name and namespace mean anything here.
fn read_metadata(meta: &Node, src: &Src, msgs: &mut Messages) {
    if let Some(mut m) = Fields::new(meta, "metadata", src, msgs) {
        m.take("name");
        m.take("namespace");
        m.ignore(METADATA_IGNORED);
        m.finish(src, msgs);
    }
}

/// Object metadata fields that carry no meaning for a simulation.
pub const METADATA_IGNORED: &[&str] = &[
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "ownerReferences",
    "finalizers",
];

#[cfg(test)]
mod tests;
