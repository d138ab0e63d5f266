//! Import of real cluster configuration into a scenario (`slicesim import`).
//!
//! | file | module | becomes |
//! |---|---|---|
//! | `kubectl get nodes -o json` | [`nodes`] | `pools` |
//! | NVIDIA device-plugin ConfigMap or config | [`device_plugin`] | pool sharing (time-slicing, MIG strategy) |
//! | mig-parted config | [`mig_parted`] | pool MIG layouts |
//! | PriorityClass / ResourceQuota / Namespace manifests | [`manifests`] | `priority_classes`, `namespaces` |
//! | openb node list (`openb_node_list_*.csv`; `slicesim trace pools`) | [`openb_nodes`] | `pools`, `gpu_models` |
//!
//! Files are read into a generic tree ([`tree`]) rather than strict types: every field that is
//! not used is reported with its path and line, never dropped silently. Messages read
//! `file:line: path: message`. Malformed files, configs a node selects but the file lacks, and
//! MIG layouts that cannot be placed are errors; the rest are warnings.

pub mod device_plugin;
pub mod manifests;
pub mod mig_parted;
pub mod nodes;
pub mod openb_nodes;
mod render;
mod skeleton;
pub mod tree;

// The module's API is import → fragment → render; the skeleton and the YAML writer are steps.
pub use render::render;
pub use skeleton::{PLACEHOLDER_NAMESPACE, placeholder_classes, skeleton};

use crate::catalog::Catalog;
use crate::scenario::schema::{NamespaceSpec, PoolSpec, PriorityClassSpec};
use device_plugin::DevicePluginConfigs;
use manifests::Manifests;
use mig_parted::MigPartedFile;
use serde::Serialize;
use std::fmt;
use std::path::Path;
use tree::Messages;

/// One input file: the name shown in messages and its text.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub text: String,
}

impl Input {
    pub fn read(path: &Path) -> Result<Input, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Ok(Input {
            name: path.display().to_string(),
            text,
        })
    }
}

/// The files to import; any may be absent.
#[derive(Clone, Debug, Default)]
pub struct ImportInputs {
    /// `kubectl get nodes -o json` (or `-o yaml`).
    pub nodes: Option<Input>,
    /// Device-plugin ConfigMap, or one bare config.
    pub device_plugin: Option<Input>,
    /// The ConfigMap key nodes without a `nvidia.com/device-plugin.config` label use (the GPU
    /// operator's `devicePlugin.config.default`). Default: a config named `default`, else the
    /// only config.
    pub device_plugin_default: Option<String>,
    /// mig-parted config.
    pub mig_parted: Option<Input>,
    /// Multi-document YAML files with PriorityClass, ResourceQuota and Namespace objects.
    pub manifests: Vec<Input>,
}

impl ImportInputs {
    fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = [&self.nodes, &self.device_plugin, &self.mig_parted]
            .into_iter()
            .flatten()
            .map(|i| i.name.as_str())
            .collect();
        v.extend(self.manifests.iter().map(|i| i.name.as_str()));
        v
    }
}

/// What the import found: the scenario sections it could fill.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScenarioFragment {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub priority_classes: Vec<PriorityClassSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<NamespaceSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<PoolSpec>,
    /// The node names of each pool, in pool order (written as comments).
    #[serde(skip)]
    pub pool_nodes: Vec<Vec<String>>,
}

/// Everything worth telling the user that did not stop a configuration import (a trace import
/// has its own `trace::ImportReport`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigImportReport {
    /// `file:line: path: message`, in the order found.
    pub warnings: Vec<String>,
    /// Without `--nodes`: each device-plugin config's name and what it means
    /// ([`device_plugin::DevicePluginConfig::describe`]), the default one marked.
    pub device_plugin_configs: Vec<(String, String)>,
    /// Without `--nodes`: each mig-parted config's name and what it gives the GPUs of every
    /// catalog model it applies to ([`mig_parted::describe_configs`]).
    pub mig_parted_configs: Vec<(String, String)>,
}

/// Why the import failed, with the warnings found before.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportError {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.errors.join("\n"))
    }
}

impl std::error::Error for ImportError {}

/// Reads every given file and builds the scenario sections.
pub fn import(
    inputs: &ImportInputs,
) -> Result<(ScenarioFragment, ConfigImportReport), ImportError> {
    let mut msgs = Messages::default();
    let fail = |msgs: Messages| ImportError {
        errors: msgs.errors,
        warnings: msgs.warnings,
    };
    if inputs.names().is_empty() {
        msgs.errors.push("nothing to import: give at least one of --nodes, --device-plugin, --mig-parted, --manifests".into());
        return Err(fail(msgs));
    }
    if inputs.device_plugin.is_none() && inputs.device_plugin_default.is_some() {
        msgs.errors.push(
            "a default device-plugin config was named, but no device-plugin file was given".into(),
        );
    }
    let catalog = Catalog::builtin();
    let (dp, mig, man) = read_configs(inputs, &mut msgs);
    if !msgs.errors.is_empty() {
        // The nodes depend on the config files; reading them now would only add noise.
        return Err(fail(msgs));
    }
    let mut used = nodes::Used::default();
    let pools = match &inputs.nodes {
        Some(n) => {
            let pools = nodes::import(n, dp.as_ref(), mig.as_ref(), &catalog, &mut used, &mut msgs);
            if pools.is_empty() && msgs.errors.is_empty() {
                msgs.errors.push(format!(
                    "{}: no GPU node could be imported (see the warnings)",
                    n.name
                ));
            }
            pools
        }
        None => Vec::new(),
    };
    report_unused_configs(
        inputs,
        dp.as_ref(),
        mig.as_ref(),
        &used,
        &catalog,
        &mut msgs,
    );
    if !msgs.errors.is_empty() {
        return Err(fail(msgs));
    }
    let fragment = ScenarioFragment {
        priority_classes: man.priority_classes,
        namespaces: man.namespaces,
        pool_nodes: pools.iter().map(|p| p.nodes.clone()).collect(),
        pools: pools.into_iter().map(|p| p.spec).collect(),
    };
    Ok((
        fragment,
        ConfigImportReport {
            warnings: msgs.warnings,
            device_plugin_configs: match (&dp, &inputs.nodes) {
                (Some(dp), None) => dp
                    .configs
                    .iter()
                    .map(|c| {
                        let default = if dp.default.as_deref() == Some(c.name.as_str()) {
                            " (default: nodes without a nvidia.com/device-plugin.config label)"
                        } else {
                            ""
                        };
                        (format!("{}{default}", c.name), c.describe())
                    })
                    .collect(),
                _ => Vec::new(),
            },
            mig_parted_configs: match (&mig, &inputs.nodes) {
                (Some(m), None) => mig_parted::describe_configs(m, &catalog),
                _ => Vec::new(),
            },
        },
    ))
}

/// The files the nodes refer to: device-plugin configs, mig-parted configs, and the manifests.
fn read_configs(
    inputs: &ImportInputs,
    msgs: &mut Messages,
) -> (
    Option<DevicePluginConfigs>,
    Option<MigPartedFile>,
    Manifests,
) {
    let dp = inputs
        .device_plugin
        .as_ref()
        .and_then(|i| device_plugin::parse(i, inputs.device_plugin_default.as_deref(), msgs));
    let mig = inputs
        .mig_parted
        .as_ref()
        .and_then(|i| mig_parted::parse(i, msgs));
    let man = if inputs.manifests.is_empty() {
        Manifests::default()
    } else {
        manifests::parse(&inputs.manifests, msgs).unwrap_or_default()
    };
    (dp, mig, man)
}

/// Warns about the mig-parted and device-plugin configs no imported node uses.
fn report_unused_configs(
    inputs: &ImportInputs,
    dp: Option<&DevicePluginConfigs>,
    mig: Option<&MigPartedFile>,
    used: &nodes::Used,
    catalog: &Catalog,
    msgs: &mut Messages,
) {
    if let Some(m) = mig {
        mig_parted::check_unused(m, &used.mig_configs, catalog, inputs.nodes.is_none(), msgs);
    }
    if let (Some(dp), Some(_)) = (dp, &inputs.nodes) {
        let unused: Vec<&str> = dp
            .names()
            .into_iter()
            .filter(|n| !used.device_plugin_configs.contains(*n))
            .collect();
        if !unused.is_empty() {
            msgs.warnings.push(format!(
                "{}: device-plugin configs no imported node uses: {}",
                dp.file,
                unused.join(", ")
            ));
        }
    }
}
