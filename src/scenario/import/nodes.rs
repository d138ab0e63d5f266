//! `kubectl get nodes -o json` (or `-o yaml`) → pools.
//!
//! Each GPU node is reduced to a shape: catalog model (from `nvidia.com/gpu.product`), GPUs per
//! node, sharing mode, taints and the labels worth keeping. Nodes of the same shape form a pool.
//! The sharing mode comes from, in order: the node's MIG config (`nvidia.com/mig.config`, looked
//! up in the mig-parted file, else read from names such as `all-1g.10gb`, else inferred from the
//! MIG resources the node advertises); the device-plugin config the node selects
//! (`nvidia.com/device-plugin.config`, else the default config); GPU feature discovery labels
//! (`nvidia.com/gpu.replicas`); else exclusive.

use super::Input;
use super::device_plugin::{DevicePluginConfig, DevicePluginConfigs, MigStrategyFlag};
use super::mig_parted::{MigPartedFile, MigSetting};
use super::tree::{Fields, Messages, Node, Src, parse_json, parse_yaml};
use crate::catalog::{Catalog, GpuModel, solve};
use crate::domain::{MigStrategy, ReplicaAllocation, Sharing, Taint, TaintEffect};
use crate::scenario::schema::PoolSpec;
use std::collections::{BTreeMap, BTreeSet};

/// A pool made from nodes, with the names of those nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedPool {
    pub spec: PoolSpec,
    pub nodes: Vec<String>,
}

/// Which named configs the nodes used (to report the unused ones).
#[derive(Clone, Debug, Default)]
pub struct Used {
    pub mig_configs: BTreeSet<String>,
    pub device_plugin_configs: BTreeSet<String>,
}

/// What a `nvidia.com/gpu.product` value maps to.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductMatch {
    /// Catalog model name.
    pub model: String,
    /// The MIG profile of a single-strategy product (`A100-SXM4-80GB-MIG-3g.40gb`).
    pub mig_profile: Option<String>,
    /// Set when the match is approximate.
    pub note: Option<String>,
}

/// Maps a GPU feature discovery product name (`NVIDIA-A100-SXM4-80GB`, `NVIDIA-H100-80GB-HBM3`,
/// `A100-SXM4-80GB-MIG-1g.10gb`, `Tesla-T4-SHARED`) to a catalog model. `memory_mib` is the
/// `nvidia.com/gpu.memory` label, used when the name does not give the memory size.
pub fn map_product(
    product: &str,
    memory_mib: Option<u64>,
    catalog: &Catalog,
) -> Option<ProductMatch> {
    let p = product.trim();
    let p = p.strip_suffix("-SHARED").unwrap_or(p);
    let (base, mig_profile) = match p.split_once("-MIG-") {
        Some((b, prof)) => (b, Some(prof.to_string())),
        None => (p, None),
    };
    let bare = base
        .strip_prefix("NVIDIA-")
        .or_else(|| base.strip_prefix("nvidia-"))
        .unwrap_or(base);
    let found = |model: &str, note: Option<String>| {
        catalog.get(model).map(|m| ProductMatch {
            model: m.name.clone(),
            mig_profile: mig_profile.clone(),
            note,
        })
    };
    if let Some(m) = catalog.get(bare).or_else(|| catalog.get(base)) {
        return found(&m.name.clone(), None);
    }
    let upper = bare.to_ascii_uppercase();
    let tokens: Vec<&str> = upper.split(['-', '_', ' ']).collect();
    let has = |t: &str| tokens.contains(&t);
    if has("H200") {
        return found("H200-141GB", None);
    }
    if has("H100") {
        if has("NVL") {
            return found("H100-NVL-94GB", None);
        }
        if has("PCIE") {
            return found("H100-PCIe-80GB", None);
        }
        let note = (!(has("SXM") || has("SXM5") || has("HBM3")))
            .then(|| format!("{product}: taken as the SXM H100 (H100-80GB)"));
        return found("H100-80GB", note);
    }
    if has("A100") {
        let gb80 = has("80GB") || (!has("40GB") && memory_mib.is_some_and(|m| m > 60_000));
        let gb40 = has("40GB") || (!has("80GB") && memory_mib.is_some_and(|m| m <= 60_000));
        if gb80 {
            return found("A100-80GB", None);
        }
        if gb40 {
            let note = has("PCIE").then(|| {
                format!(
                    "{product}: the PCIe A100 40GB is taken as A100-SXM4-40GB (same MIG profiles)"
                )
            });
            return found("A100-SXM4-40GB", note);
        }
    }
    None
}

/// Labels that are noise for a simulation or differ per node (and would split every pool).
/// Each rule is (pattern, is a prefix).
const DROPPED_LABELS: &[(&str, bool)] = &[
    ("kubernetes.io/hostname", false),
    ("beta.kubernetes.io/", true),
    ("feature.node.kubernetes.io/", true),
    ("nvidia.com/gfd.", true),
    ("nvidia.com/cuda.", true),
    ("nvidia.com/gpu.compute.", true),
    ("nvidia.com/gpu.deploy.", true),
    ("nvidia.com/gpu.present", false),
    ("nvidia.com/mig.config.state", false),
    ("nvidia.com/mig-", true),
];

fn dropped_rule(key: &str) -> Option<String> {
    DROPPED_LABELS.iter().find_map(|&(pat, prefix)| {
        let hit = if prefix {
            key.starts_with(pat)
        } else {
            key == pat
        };
        hit.then(|| {
            if prefix {
                format!("{pat}*")
            } else {
                pat.to_string()
            }
        })
    })
}

/// Taints the node controller sets from node conditions; they describe the moment, not the pool.
fn transient_taint(key: &str) -> bool {
    key.starts_with("node.kubernetes.io/")
        || key == "ToBeDeletedByClusterAutoscaler"
        || key == "DeletionCandidateOfClusterAutoscaler"
}

/// A node as read from the file.
struct RawNode {
    name: String,
    line: u64,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
    unschedulable: bool,
    /// nvidia.com/* resources only.
    allocatable: Option<BTreeMap<String, u64>>,
    capacity: Option<BTreeMap<String, u64>>,
}

impl RawNode {
    fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k).map(String::as_str)
    }
    /// A GPU resource from allocatable, else capacity.
    fn resource(&self, k: &str) -> Option<u64> {
        self.allocatable
            .as_ref()
            .and_then(|a| a.get(k))
            .or_else(|| self.capacity.as_ref().and_then(|c| c.get(k)))
            .copied()
    }
    /// The advertised GPU resources (allocatable, else capacity).
    fn advertised(&self) -> Option<&BTreeMap<String, u64>> {
        self.allocatable.as_ref().or(self.capacity.as_ref())
    }
    fn mig_resources(&self) -> Vec<(String, u64)> {
        self.advertised()
            .map(|a| {
                a.iter()
                    .filter_map(|(k, &v)| {
                        k.strip_prefix("nvidia.com/mig-")
                            .filter(|_| v > 0)
                            .map(|p| (p.to_string(), v))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Collects per-node messages so that one message shared by many nodes is printed once.
#[derive(Default)]
struct PerNode {
    /// (message, [(node, line)]) in first-seen order.
    warnings: Vec<(String, Vec<(String, u64)>)>,
    errors: Vec<(String, Vec<(String, u64)>)>,
}

impl PerNode {
    fn add(list: &mut Vec<(String, Vec<(String, u64)>)>, node: &RawNode, msg: String) {
        match list.iter_mut().find(|(m, _)| *m == msg) {
            Some((_, nodes)) => nodes.push((node.name.clone(), node.line)),
            None => list.push((msg, vec![(node.name.clone(), node.line)])),
        }
    }
    fn warn(&mut self, node: &RawNode, msg: impl Into<String>) {
        Self::add(&mut self.warnings, node, msg.into());
    }
    fn error(&mut self, node: &RawNode, msg: impl Into<String>) {
        Self::add(&mut self.errors, node, msg.into());
    }
    fn flush(self, src: &Src, msgs: &mut Messages) {
        let fmt = |(msg, nodes): (String, Vec<(String, u64)>)| {
            let names: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
            let what = if names.len() == 1 { "node" } else { "nodes" };
            format!(
                "{}: {what} {}: {msg}",
                src.loc(nodes[0].1),
                names.join(", ")
            )
        };
        msgs.warnings.extend(self.warnings.into_iter().map(fmt));
        msgs.errors.extend(self.errors.into_iter().map(fmt));
    }
}

/// Reads the nodes file and groups its GPU nodes into pools.
pub fn import(
    input: &Input,
    dp: Option<&DevicePluginConfigs>,
    mig: Option<&MigPartedFile>,
    catalog: &Catalog,
    used: &mut Used,
    msgs: &mut Messages,
) -> Vec<ImportedPool> {
    let src = Src::new(&input.name);
    let json = input.text.trim_start().starts_with('{');
    let parsed = if json {
        parse_json(&input.text)
    } else {
        parse_yaml(&input.text)
    };
    let root = match parsed {
        Ok(n) => n,
        Err(e) => {
            let what = if json { "JSON" } else { "YAML" };
            msgs.errors
                .push(format!("{}: not valid {what}: {e}", input.name));
            return Vec::new();
        }
    };
    let items: Vec<(&Node, String)> = match root.get("kind").and_then(Node::as_str) {
        Some("Node") => vec![(&root, String::new())],
        Some("List" | "NodeList") => match root.get("items").and_then(Node::as_seq) {
            Some(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (n, format!("items[{i}]")))
                .collect(),
            None => {
                msgs.error(&src, root.line, "items", "expected a list of nodes");
                return Vec::new();
            }
        },
        other => {
            msgs.error(
                &src,
                root.line,
                "kind",
                format!(
                    "expected a List of nodes (kubectl get nodes -o json) or a Node, found {}",
                    other.map_or("no kind".to_string(), |k| format!("kind {k}"))
                ),
            );
            return Vec::new();
        }
    };
    if let Some(mut top) = Fields::new(&root, "", &src, msgs)
        && !items.first().is_some_and(|(_, p)| p.is_empty())
    {
        top.take("kind");
        top.take("items");
        top.ignore(&["apiVersion", "metadata"]);
        let (unknown, _) = top.leftovers();
        for (p, line) in unknown {
            msgs.warn(&src, line, &p, "unknown field, not imported");
        }
    }

    // Read every node; aggregate unknown and ignored fields over nodes.
    let mut unknown: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    let mut ignored: BTreeSet<String> = BTreeSet::new();
    let mut other_resources: BTreeSet<String> = BTreeSet::new();
    let mut nodes = Vec::new();
    let mut per = PerNode::default();
    for (item, path) in &items {
        if let Some(n) = read_node(
            item,
            path,
            &src,
            msgs,
            &mut unknown,
            &mut ignored,
            &mut other_resources,
        ) {
            nodes.push(n);
        }
    }
    for (p, (count, line)) in &unknown {
        let on = if *count == 1 {
            String::new()
        } else {
            format!(" (on {count} nodes)")
        };
        msgs.warn(&src, *line, p, format!("unknown field, not imported{on}"));
    }
    if !ignored.is_empty() {
        msgs.warnings.push(format!(
            "{}: ignored (no effect on the simulation): {}",
            input.name,
            ignored.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !other_resources.is_empty() {
        msgs.warnings.push(format!(
            "{}: node resources not modelled by the simulator (pools have no CPU or memory), ignored: {}",
            input.name,
            other_resources.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }

    // Shapes and pools.
    let mut no_gpu = Vec::new();
    let mut unknown_products: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dropped: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pools: Vec<(Shape, Vec<String>)> = Vec::new();
    for n in &nodes {
        let Some(product) = n.label("nvidia.com/gpu.product") else {
            let advertises = n.advertised().is_some_and(|a| a.values().any(|&v| v > 0));
            if advertises {
                per.warn(n, "advertises NVIDIA resources but has no nvidia.com/gpu.product label (is GPU feature discovery running?); not imported");
            } else {
                no_gpu.push(n.name.clone());
            }
            continue;
        };
        let mem = n
            .label("nvidia.com/gpu.memory")
            .and_then(|m| m.parse().ok());
        let Some(pm) = map_product(product, mem, catalog) else {
            unknown_products
                .entry(product.to_string())
                .or_default()
                .push(n.name.clone());
            continue;
        };
        if let Some(note) = &pm.note {
            per.warn(n, note.clone());
        }
        let model = catalog.get(&pm.model).expect("mapped to a catalog model");
        if let Some(shape) = node_shape(n, model, &pm, dp, mig, used, &mut per) {
            for k in n.labels.keys() {
                if let Some(rule) = dropped_rule(k) {
                    dropped.entry(rule).or_default().insert(n.name.clone());
                }
            }
            if n.unschedulable {
                per.warn(
                    n,
                    "cordoned (spec.unschedulable); imported as a schedulable node",
                );
            }
            match pools.iter_mut().find(|(s, _)| *s == shape) {
                Some((_, names)) => names.push(n.name.clone()),
                None => pools.push((shape, vec![n.name.clone()])),
            }
        }
    }
    per.flush(&src, msgs);
    if !no_gpu.is_empty() {
        msgs.warnings.push(format!(
            "{}: {} node(s) without GPUs not imported: {}",
            input.name,
            no_gpu.len(),
            no_gpu.join(", ")
        ));
    }
    for (product, names) in &unknown_products {
        msgs.warnings.push(format!(
            "{}: GPU product {product} is not in the catalog (known: {}); node(s) {} not imported. Add the model under gpu_models and a pool for it by hand",
            input.name,
            catalog.names().join(", "),
            names.join(", ")
        ));
    }
    if !dropped.is_empty() {
        let parts: Vec<String> = dropped
            .iter()
            .map(|(rule, ns)| {
                format!(
                    "{rule} ({} node{})",
                    ns.len(),
                    if ns.len() == 1 { "" } else { "s" }
                )
            })
            .collect();
        msgs.warnings.push(format!(
            "{}: node labels dropped as noise or per-node values: {}",
            input.name,
            parts.join(", ")
        ));
    }
    let out = name_pools(pools);
    report_label_only_splits(&out, &input.name, msgs);
    out
}

#[allow(clippy::too_many_arguments)]
fn read_node(
    item: &Node,
    path: &str,
    src: &Src,
    msgs: &mut Messages,
    unknown: &mut BTreeMap<String, (usize, u64)>,
    ignored: &mut BTreeSet<String>,
    other_resources: &mut BTreeSet<String>,
) -> Option<RawNode> {
    let mut f = Fields::new(item, path, src, msgs)?;
    let generic = |p: &str| {
        // items[3].spec.x → items[*].spec.x, so that fields aggregate over nodes.
        match p.strip_prefix("items[").and_then(|r| r.split_once(']')) {
            Some((_, rest)) => format!("items[*]{rest}"),
            None => p.to_string(),
        }
    };
    let mut collect = |fields: Fields, unknown: &mut BTreeMap<String, (usize, u64)>| {
        let (u, i) = fields.leftovers();
        for (p, line) in u {
            let e = unknown.entry(generic(&p)).or_insert((0, line));
            e.0 += 1;
        }
        ignored.extend(i.iter().map(|p| generic(p)));
    };
    match f.take("kind").and_then(Node::as_str) {
        Some("Node") | None => {}
        Some(k) => {
            msgs.warn(
                src,
                item.line,
                path,
                format!("kind {k} is not a Node; skipped"),
            );
            return None;
        }
    }
    f.take("apiVersion");
    let mut name = String::new();
    let mut labels = BTreeMap::new();
    if let Some(meta) = f.take("metadata")
        && let Some(mut m) = Fields::new(meta, &f.path_of("metadata"), src, msgs)
    {
        name = m
            .take("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(l) = m.take("labels") {
            if l.as_map().is_none() {
                msgs.error(
                    src,
                    l.line,
                    &m.path_of("labels"),
                    format!("expected a mapping, found {}", l.kind()),
                );
            }
            for (k, v) in l.as_map().unwrap_or_default() {
                let v = v.as_str().map_or_else(|| v.show(), str::to_string);
                labels.insert(k.clone(), v);
            }
        }
        m.ignore(&[
            "annotations",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
            "ownerReferences",
            "finalizers",
            "deletionTimestamp",
        ]);
        collect(m, unknown);
    }
    if name.is_empty() {
        msgs.error(
            src,
            item.line,
            &f.path_of("metadata.name"),
            "a node needs a name",
        );
        return None;
    }
    let mut taints = Vec::new();
    let mut unschedulable = false;
    if let Some(spec) = f.take("spec")
        && let Some(mut s) = Fields::new(spec, &f.path_of("spec"), src, msgs)
    {
        unschedulable = s
            .take("unschedulable")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        if let Some(ts) = s.take("taints") {
            if ts.as_seq().is_none() {
                msgs.error(
                    src,
                    ts.line,
                    &s.path_of("taints"),
                    format!("expected a list, found {}", ts.kind()),
                );
            }
            for (i, t) in ts.as_seq().unwrap_or_default().iter().enumerate() {
                let tp = format!("{}[{i}]", s.path_of("taints"));
                let key = t.get("key").and_then(Node::as_str);
                let effect = t.get("effect").and_then(Node::as_str);
                let effect = match effect {
                    Some("NoSchedule") => TaintEffect::NoSchedule,
                    Some("PreferNoSchedule") => TaintEffect::PreferNoSchedule,
                    Some("NoExecute") => TaintEffect::NoExecute,
                    _ => {
                        msgs.error(src, t.line, &tp, format!("node {name}: taint effect {} is not NoSchedule, PreferNoSchedule or NoExecute", t.get("effect").map_or("(missing)".into(), Node::show)));
                        continue;
                    }
                };
                let Some(key) = key else {
                    msgs.error(
                        src,
                        t.line,
                        &tp,
                        format!("node {name}: taint without a key"),
                    );
                    continue;
                };
                if let Some(mut tf) = Fields::new(t, &tp, src, msgs) {
                    tf.take("key");
                    tf.take("value");
                    tf.take("effect");
                    tf.ignore(&["timeAdded"]);
                    collect(tf, unknown);
                }
                taints.push(Taint {
                    key: key.to_string(),
                    value: t.get("value").and_then(Node::as_str).map(str::to_string),
                    effect,
                });
            }
        }
        s.ignore(&[
            "podCIDR",
            "podCIDRs",
            "providerID",
            "externalID",
            "configSource",
        ]);
        collect(s, unknown);
    }
    let mut allocatable = None;
    let mut capacity = None;
    if let Some(status) = f.take("status")
        && let Some(mut s) = Fields::new(status, &f.path_of("status"), src, msgs)
    {
        let mut res = |n: Option<&Node>, path: String| {
            n.map(|n| {
                let mut gpu = BTreeMap::new();
                if n.as_map().is_none() {
                    msgs.error(
                        src,
                        n.line,
                        &path,
                        format!("expected a mapping of resources, found {}", n.kind()),
                    );
                }
                for (k, v) in n.as_map().unwrap_or_default() {
                    if k.starts_with("nvidia.com/") {
                        match v.as_count() {
                            Some(c) => {
                                gpu.insert(k.clone(), c);
                            }
                            None => msgs.warn(
                                src,
                                v.line,
                                &format!("{path}.{k}"),
                                format!("node {name}: {} is not a whole number; ignored", v.show()),
                            ),
                        }
                    } else {
                        other_resources.insert(k.clone());
                    }
                }
                gpu
            })
        };
        allocatable = res(s.take("allocatable"), s.path_of("allocatable"));
        capacity = res(s.take("capacity"), s.path_of("capacity"));
        s.ignore(&[
            "addresses",
            "conditions",
            "daemonEndpoints",
            "images",
            "nodeInfo",
            "phase",
            "volumesAttached",
            "volumesInUse",
            "config",
            "runtimeHandlers",
            "features",
        ]);
        collect(s, unknown);
    }
    collect(f, unknown);
    Some(RawNode {
        name,
        line: item.line,
        labels,
        taints,
        unschedulable,
        allocatable,
        capacity,
    })
}

/// What makes nodes interchangeable.
#[derive(Clone, Debug, PartialEq)]
struct Shape {
    model: String,
    gpus: u32,
    sharing: Sharing,
    /// For the pool name: `exclusive`, `ts4`, the MIG config name, ...
    tag: String,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
}

/// The most instances of `profile` that fit one GPU (7 for a 1g, 2 for a 3g).
fn max_fit(model: &GpuModel, profile: &str) -> Vec<String> {
    let Some(p) = model.profile(profile) else {
        return Vec::new();
    };
    let name = p.name.clone();
    for n in (1..=usize::from(p.max_count)).rev() {
        let layout = vec![name.clone(); n];
        let names: Vec<&str> = layout.iter().map(String::as_str).collect();
        if solve(model, &names).is_ok() {
            return layout;
        }
    }
    Vec::new()
}

/// Settings named like NVIDIA's stock mig-parted configs: `all-disabled`, `all-enabled`,
/// `all-<profile>` (every GPU full of that profile).
fn stock_config(name: &str, model: &GpuModel) -> Option<MigSetting> {
    match name {
        "all-disabled" => Some(MigSetting::Disabled),
        "all-enabled" => Some(MigSetting::Layout(Vec::new())),
        _ => {
            let p = name.strip_prefix("all-")?;
            model.profile(p)?;
            Some(MigSetting::Layout(max_fit(model, p)))
        }
    }
}

/// A mixed-strategy layout from the advertised `nvidia.com/mig-<profile>` counts.
fn infer_mixed(
    n: &RawNode,
    model: &GpuModel,
    gpus: Option<u32>,
    per: &mut PerNode,
) -> Option<Vec<String>> {
    let res = n.mig_resources();
    let g = u64::from(gpus?);
    if res.is_empty() || g == 0 {
        return None;
    }
    let mut layout = Vec::new();
    for (p, count) in &res {
        let Some(prof) = model.profile(p) else {
            per.warn(
                n,
                format!(
                    "advertises nvidia.com/mig-{p}, which {} does not have; ignored",
                    model.name
                ),
            );
            continue;
        };
        if !count.is_multiple_of(g) {
            per.warn(n, format!("advertises {count} x nvidia.com/mig-{p} on {g} GPUs, not the same on every GPU; {} per GPU assumed", count / g));
        }
        layout.extend(std::iter::repeat_n(prof.name.clone(), (count / g) as usize));
    }
    Some(layout)
}

fn parse_strategy(s: &str) -> Option<MigStrategyFlag> {
    MigStrategyFlag::parse(s)
}

#[allow(clippy::too_many_arguments)]
fn node_shape(
    n: &RawNode,
    model: &GpuModel,
    pm: &ProductMatch,
    dp: Option<&DevicePluginConfigs>,
    mig: Option<&MigPartedFile>,
    used: &mut Used,
    per: &mut PerNode,
) -> Option<Shape> {
    let label_count: Option<u32> = n.label("nvidia.com/gpu.count").and_then(|c| c.parse().ok());

    // The device-plugin config this node runs with.
    let dp_label = n.label("nvidia.com/device-plugin.config");
    let config: Option<&DevicePluginConfig> = match (dp, dp_label) {
        (Some(dp), Some(l)) => {
            match dp.get(l) {
                Some(c) => Some(c),
                None if !dp.config_map => {
                    per.warn(n, format!("selects device-plugin config {l}, but {} is a single config; it is used", dp.file));
                    dp.configs.first()
                }
                None => {
                    per.error(n, format!("nvidia.com/device-plugin.config={l}, but {} has no config {l} (configs: {})", dp.file, dp.names().join(", ")));
                    return None;
                }
            }
        }
        (Some(dp), None) => {
            if dp.default_config().is_none() {
                per.warn(n, format!("no nvidia.com/device-plugin.config label and {} names no default config (give --device-plugin-default); the plugin's defaults (no sharing) are assumed", dp.file));
            }
            dp.default_config()
        }
        (None, Some(l)) => {
            per.warn(n, format!("selects device-plugin config {l}, but no device-plugin file was given; sharing is inferred from node labels"));
            None
        }
        (None, None) => None,
    };
    if let Some(c) = config {
        used.device_plugin_configs.insert(c.name.clone());
    }

    // MIG.
    let mig_label = n.label("nvidia.com/mig.config");
    let mut mig_layout: Option<Vec<String>> = None;
    let mut tag = String::new();
    if let Some(state) = n.label("nvidia.com/mig.config.state")
        && state != "success"
    {
        per.warn(n, format!("nvidia.com/mig.config.state={state}: the MIG config may not be applied yet; the configured layout is imported"));
    }
    if let Some(name) = mig_label {
        used.mig_configs.insert(name.to_string());
        let hint = label_count.unwrap_or(8);
        let setting = match mig.and_then(|m| m.get(name)) {
            Some(cfg) => {
                let mut notes = Vec::new();
                let r = cfg.resolve(model, hint, &mut notes);
                for note in notes {
                    per.warn(n, note);
                }
                match r {
                    Ok(s) => s,
                    Err(e) => {
                        per.error(
                            n,
                            format!("nvidia.com/mig.config={name} on {}: {e}", model.name),
                        );
                        return None;
                    }
                }
            }
            None => {
                let why = match mig {
                    Some(m) => format!("not in {}", m.file),
                    None => "no mig-parted file was given".to_string(),
                };
                if let Some(s) = stock_config(name, model) {
                    if mig.is_some() {
                        per.warn(
                            n,
                            format!("nvidia.com/mig.config={name} is {why}; read from its name"),
                        );
                    }
                    s
                } else if let Some(l) = infer_mixed(n, model, label_count, per) {
                    per.warn(n, format!("nvidia.com/mig.config={name}: {why}; the layout is inferred from the advertised MIG resources"));
                    MigSetting::Layout(l)
                } else {
                    per.error(n, format!("nvidia.com/mig.config={name}: {why}, and the name does not say the layout (give --mig-parted)"));
                    return None;
                }
            }
        };
        if let MigSetting::Layout(l) = setting {
            mig_layout = Some(l);
            tag = name.to_string();
        }
    } else if let Some(l) = infer_mixed(n, model, label_count, per) {
        per.warn(n, "no nvidia.com/mig.config label; the MIG layout is inferred from the advertised nvidia.com/mig-* resources");
        mig_layout = Some(l);
        tag = "mig".into();
    } else if let Some(p) = &pm.mig_profile {
        let full = max_fit(model, p);
        let advertised = n.resource("nvidia.com/gpu").unwrap_or(0) as usize;
        let per_gpu = match label_count {
            Some(c)
                if c > 0
                    && advertised.is_multiple_of(c as usize)
                    && (1..full.len()).contains(&(advertised / c as usize)) =>
            {
                advertised / c as usize
            }
            _ => full.len(),
        };
        if full.is_empty() {
            per.error(
                n,
                format!(
                    "product says MIG profile {p}, which {} does not have",
                    model.name
                ),
            );
            return None;
        }
        per.warn(n, format!("no nvidia.com/mig.config label; single-strategy product name: {per_gpu} x {p} per GPU assumed"));
        mig_layout = Some(vec![
            model.profile(p).map_or(p.clone(), |x| x.name.clone());
            per_gpu
        ]);
        tag = format!("all-{p}");
    }

    let sharing = if let Some(layout) = mig_layout {
        if layout.is_empty() {
            per.warn(
                n,
                "MIG is enabled with no instances, so the node advertises no GPUs; not imported",
            );
            return None;
        }
        let names: Vec<&str> = layout.iter().map(String::as_str).collect();
        if let Err(e) = solve(model, &names) {
            per.error(n, format!("MIG layout on {}: {e}", model.name));
            return None;
        }
        let strategy = mig_strategy(n, pm, config, per);
        if let Some(c) = config
            && (c.time_slicing.is_some() || !c.mig_time_slicing.is_empty())
        {
            per.warn(n, format!("device-plugin config {} time-slices, which is not supported on MIG nodes; the MIG instances are imported unshared", c.name));
        }
        let distinct: BTreeSet<&str> = names.iter().copied().collect();
        if strategy == MigStrategy::Single && distinct.len() > 1 {
            per.warn(n, format!("single MIG strategy with mixed profiles ({}): the device plugin advertises 0 GPUs on this node", distinct.into_iter().collect::<Vec<_>>().join(", ")));
        }
        Sharing::Mig { strategy, layout }
    } else {
        plain_sharing(n, config, label_count, per)
    };

    let gpus = match gpu_count(n, &sharing, label_count, per) {
        Some(g) if g > 0 => g,
        _ => {
            per.warn(n, "the number of GPUs is unknown (no nvidia.com/gpu.count label and no advertised GPU resources); not imported");
            return None;
        }
    };
    check_advertised(n, &sharing, gpus, per);
    if tag.is_empty() {
        tag = match &sharing {
            Sharing::TimeSlicing { replicas, .. } => format!("ts{replicas}"),
            Sharing::Mig { .. } => "mig".into(),
            _ => "exclusive".into(),
        };
    }
    let labels = n
        .labels
        .iter()
        .filter(|(k, _)| dropped_rule(k).is_none())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut taints = Vec::new();
    for t in &n.taints {
        if transient_taint(&t.key) {
            per.warn(n, format!("taint {}:{:?} is set by a controller for the node's current state; not imported", t.key, t.effect));
        } else {
            taints.push(t.clone());
        }
    }
    taints.sort_by(|a, b| {
        (&a.key, &a.value, format!("{:?}", a.effect)).cmp(&(
            &b.key,
            &b.value,
            format!("{:?}", b.effect),
        ))
    });
    Some(Shape {
        model: model.name.clone(),
        gpus,
        sharing,
        tag,
        labels,
        taints,
    })
}

/// The MIG strategy: GPU feature discovery's `nvidia.com/mig.strategy` label (what the running
/// plugin uses), else the device-plugin config's `flags.migStrategy`, else what the advertised
/// resources show, else mixed.
fn mig_strategy(
    n: &RawNode,
    pm: &ProductMatch,
    config: Option<&DevicePluginConfig>,
    per: &mut PerNode,
) -> MigStrategy {
    let label = n.label("nvidia.com/mig.strategy").and_then(parse_strategy);
    let cfg = config.and_then(|c| c.mig_strategy);
    let shape = if !n.mig_resources().is_empty() {
        Some(MigStrategyFlag::Mixed)
    } else if pm.mig_profile.is_some() {
        Some(MigStrategyFlag::Single)
    } else {
        None
    };
    if let (Some(l), Some(c)) = (label, cfg)
        && l != c
    {
        per.warn(n, format!("nvidia.com/mig.strategy={} but device-plugin config {} says migStrategy {}; the label is used", l.as_str(), config.map_or("", |c| c.name.as_str()), c.as_str()));
    }
    let chosen = label
        .filter(|s| *s != MigStrategyFlag::None)
        .or(cfg.filter(|s| *s != MigStrategyFlag::None))
        .or(shape);
    if label.or(cfg) == Some(MigStrategyFlag::None) && chosen.is_none() {
        per.warn(n, "MIG is enabled but the MIG strategy is none: the device plugin advertises no MIG instances; imported as mixed");
    }
    match chosen {
        Some(MigStrategyFlag::Single) => MigStrategy::Single,
        Some(_) => MigStrategy::Mixed,
        None => {
            if label.or(cfg).is_none() {
                per.warn(n, "MIG strategy unknown (no nvidia.com/mig.strategy label, no flags.migStrategy); mixed assumed");
            }
            MigStrategy::Mixed
        }
    }
}

/// Sharing of a node without MIG: the device-plugin config, else GPU feature discovery labels.
fn plain_sharing(
    n: &RawNode,
    config: Option<&DevicePluginConfig>,
    label_count: Option<u32>,
    per: &mut PerNode,
) -> Sharing {
    let label_replicas: Option<u32> = n
        .label("nvidia.com/gpu.replicas")
        .and_then(|r| r.parse().ok());
    let label_strategy = n.label("nvidia.com/gpu.sharing-strategy");
    if let Some(c) = config {
        if c.mps {
            per.warn(n, format!("device-plugin config {} uses MPS, which is not supported; imported as exclusive", c.name));
        }
        if c.time_slicing.is_none() && !c.mps && label_replicas.is_some_and(|r| r > 1) {
            per.warn(n, format!("nvidia.com/gpu.replicas={} but device-plugin config {} does not time-slice; the config is used", label_replicas.unwrap_or(0), c.name));
        }
        return match c.time_slicing {
            Some(ts) => {
                if let Some(r) = label_replicas
                    && r != ts.replicas
                {
                    per.warn(n, format!("nvidia.com/gpu.replicas={r} but device-plugin config {} gives {} replicas; the config is used", c.name, ts.replicas));
                }
                Sharing::TimeSlicing {
                    replicas: ts.replicas,
                    rename_by_default: ts.rename_by_default,
                    fail_requests_greater_than_one: ts.fail_requests_greater_than_one,
                    allocation: ReplicaAllocation::default(),
                }
            }
            None => Sharing::Exclusive,
        };
    }
    if label_strategy == Some("mps") {
        per.warn(
            n,
            "nvidia.com/gpu.sharing-strategy=mps: MPS is not supported; imported as exclusive",
        );
        return Sharing::Exclusive;
    }
    let shared = n.resource("nvidia.com/gpu.shared");
    let replicas = label_replicas.filter(|&r| r > 1).or_else(|| {
        let (s, g) = (shared?, u64::from(label_count?));
        (g > 0 && s.is_multiple_of(g) && s / g > 1).then(|| (s / g) as u32)
    });
    match replicas {
        Some(r) => {
            per.warn(n, format!("time-slicing ({r} replicas) inferred from node labels and resources; failRequestsGreaterThanOne is unknown and taken as false (give --device-plugin for the exact settings)"));
            Sharing::TimeSlicing {
                replicas: r,
                rename_by_default: shared.is_some_and(|s| s > 0),
                fail_requests_greater_than_one: false,
                allocation: ReplicaAllocation::default(),
            }
        }
        None => Sharing::Exclusive,
    }
}

/// Physical GPUs per node: the `nvidia.com/gpu.count` label, else derived from the advertised
/// resources and the sharing mode.
fn gpu_count(n: &RawNode, sharing: &Sharing, label: Option<u32>, per: &mut PerNode) -> Option<u32> {
    let r = |k: &str| n.resource(k);
    let div = |a: u64, b: u64| (b > 0 && a.is_multiple_of(b)).then(|| (a / b) as u32);
    match sharing {
        Sharing::Exclusive | Sharing::Fractional => {
            label.or_else(|| r("nvidia.com/gpu").map(|v| v as u32))
        }
        Sharing::TimeSlicing {
            replicas,
            rename_by_default,
            ..
        } => label.or_else(|| {
            let k = if *rename_by_default {
                "nvidia.com/gpu.shared"
            } else {
                "nvidia.com/gpu"
            };
            div(r(k)?, u64::from(*replicas))
        }),
        Sharing::Mig {
            strategy: MigStrategy::Mixed,
            layout,
        } => label.or_else(|| {
            let total: u64 = n.mig_resources().iter().map(|(_, v)| v).sum();
            div(total, layout.len() as u64)
        }),
        Sharing::Mig {
            strategy: MigStrategy::Single,
            layout,
        } => {
            let per_gpu = layout.len() as u64;
            match (label, r("nvidia.com/gpu")) {
                (Some(c), Some(a)) if u64::from(c) * per_gpu == a => Some(c),
                (Some(c), Some(a)) if u64::from(c) == a && per_gpu > 1 => {
                    let g = div(a, per_gpu);
                    if g.is_some() {
                        per.warn(n, "nvidia.com/gpu.count counts MIG devices (single strategy); GPUs derived from the layout");
                    }
                    g.or(Some(c))
                }
                (Some(c), _) => Some(c),
                (None, Some(a)) => div(a, per_gpu),
                (None, None) => None,
            }
        }
    }
}

/// The resources a node of this shape advertises.
pub fn expected_resources(sharing: &Sharing, gpus: u32) -> BTreeMap<String, u64> {
    let g = u64::from(gpus);
    let mut out = BTreeMap::new();
    match sharing {
        Sharing::Exclusive | Sharing::Fractional => {
            out.insert("nvidia.com/gpu".to_string(), g);
        }
        Sharing::TimeSlicing {
            replicas,
            rename_by_default,
            ..
        } => {
            let k = if *rename_by_default {
                "nvidia.com/gpu.shared"
            } else {
                "nvidia.com/gpu"
            };
            out.insert(k.to_string(), g * u64::from(*replicas));
        }
        Sharing::Mig {
            strategy: MigStrategy::Mixed,
            layout,
        } => {
            for p in layout {
                *out.entry(format!("nvidia.com/mig-{p}")).or_insert(0) += g;
            }
        }
        Sharing::Mig {
            strategy: MigStrategy::Single,
            layout,
        } => {
            let distinct: BTreeSet<&String> = layout.iter().collect();
            let n = if distinct.len() == 1 {
                g * layout.len() as u64
            } else {
                0
            };
            out.insert("nvidia.com/gpu".to_string(), n);
        }
    }
    out
}

/// Warns when the node advertises other GPU resources than its configuration gives.
fn check_advertised(n: &RawNode, sharing: &Sharing, gpus: u32, per: &mut PerNode) {
    let Some(alloc) = n.allocatable.as_ref() else {
        return;
    };
    let want = expected_resources(sharing, gpus);
    let keys: BTreeSet<&String> = want.keys().chain(alloc.keys()).collect();
    let mut diffs = Vec::new();
    for k in keys {
        let (w, a) = (
            want.get(k).copied().unwrap_or(0),
            alloc.get(k).copied().unwrap_or(0),
        );
        if w != a {
            diffs.push(format!("{k}: {a} (expected {w})"));
        }
    }
    if !diffs.is_empty() {
        per.warn(n, format!("allocatable differs from what the configuration gives ({}): unhealthy GPUs or a configuration not applied yet? The configuration is imported", diffs.join(", ")));
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn name_pools(shapes: Vec<(Shape, Vec<String>)>) -> Vec<ImportedPool> {
    let mut out: Vec<ImportedPool> = Vec::new();
    for (shape, nodes) in shapes {
        let base = format!("{}-{}", slug(&shape.model), slug(&shape.tag));
        let mut name = base.clone();
        let mut k = 2;
        while out.iter().any(|p| p.spec.name == name) {
            name = format!("{base}-{k}");
            k += 1;
        }
        out.push(ImportedPool {
            spec: PoolSpec {
                name,
                gpu: shape.model,
                nodes: nodes.len() as u32,
                gpus_per_node: shape.gpus,
                labels: shape.labels,
                taints: shape.taints,
                sharing: shape.sharing,
            },
            nodes,
        });
    }
    out
}

/// Pools that differ only in labels: worth knowing, as they could be merged by hand.
fn report_label_only_splits(pools: &[ImportedPool], file: &str, msgs: &mut Messages) {
    for (i, a) in pools.iter().enumerate() {
        for b in &pools[i + 1..] {
            let (x, y) = (&a.spec, &b.spec);
            if x.gpu == y.gpu
                && x.gpus_per_node == y.gpus_per_node
                && x.sharing == y.sharing
                && x.taints == y.taints
            {
                let keys: BTreeSet<&String> = x
                    .labels
                    .iter()
                    .chain(&y.labels)
                    .filter(|(k, v)| x.labels.get(*k) != Some(*v) || y.labels.get(*k) != Some(*v))
                    .map(|(k, _)| k)
                    .collect();
                msgs.warnings.push(format!(
                    "{file}: pools {} and {} differ only in node labels ({}); merge them by hand if those labels do not matter to your workloads",
                    x.name,
                    y.name,
                    keys.into_iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests;
