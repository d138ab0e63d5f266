//! Step: a GPU node reduced to its shape, what makes nodes interchangeable.

use super::Lookup;
use super::Used;
use super::labels::{kept_labels, kept_taints};
use super::mig::{Layout, mig_layout, mig_sharing};
use super::per_node::{PerNode, Skip};
use super::product::ProductMatch;
use super::raw_node::RawNode;
use super::resources::{check_advertised, gpu_count};
use super::sharing::{plain_sharing, plugin_config};
use crate::catalog::GpuModel;
use crate::domain::{Sharing, Taint};
use crate::limits::{MAX_GPUS_PER_NODE, exceeds};
use std::collections::BTreeMap;

/// What makes nodes interchangeable.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Shape {
    pub(super) model: String,
    pub(super) gpus: u32,
    pub(super) sharing: Sharing,
    /// For the pool name: `exclusive`, `ts4`, the MIG config name, ...
    pub(super) tag: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
}

/// A GPU node on its way to a shape: the node, its catalog model and how its product matched.
pub(super) struct GpuNode<'a> {
    pub(super) n: &'a RawNode,
    pub(super) model: &'a GpuModel,
    pub(super) pm: &'a ProductMatch,
    /// The `nvidia.com/gpu.count` label.
    pub(super) label_count: Option<u32>,
}

/// The node's shape: its device-plugin config, MIG layout or other sharing, GPU count, and
/// the labels and taints a pool keeps. Records the configs it used.
pub(super) fn node_shape(
    g: &GpuNode,
    lookup: &Lookup,
    used: &mut Used,
    per: &mut PerNode,
) -> Result<Shape, Skip> {
    let n = g.n;
    // A corrupted count (`nvidia.com/gpu.count: "1000000000"`) is refused before anything is
    // built per GPU (a mig-parted config is resolved GPU by GPU).
    if let Some(c) = g.label_count
        && u64::from(c) > MAX_GPUS_PER_NODE
    {
        per.error(n, exceeds("nvidia.com/gpu.count", c, MAX_GPUS_PER_NODE));
        return Err(Skip);
    }
    let config = plugin_config(n, lookup.dp, per)?;
    if let Some(c) = config {
        used.device_plugin_configs.insert(c.name.clone());
    }
    let (sharing, tag) = match mig_layout(g, lookup.mig, used, per)? {
        Some(Layout { layout, tag }) => (mig_sharing(g, config, layout, per)?, tag),
        None => (plain_sharing(n, config, g.label_count, per), String::new()),
    };
    let gpus = match gpu_count(n, &sharing, g.label_count, per) {
        Some(g) if g > 0 => g,
        _ => {
            per.warn(n, "the number of GPUs is unknown (no nvidia.com/gpu.count label and no advertised GPU resources); not imported");
            return Err(Skip);
        }
    };
    // GPUs derived from huge advertised resources: refused likewise.
    if u64::from(gpus) > MAX_GPUS_PER_NODE {
        per.error(
            n,
            exceeds(
                "the node's GPUs (from its advertised resources)",
                gpus,
                MAX_GPUS_PER_NODE,
            ),
        );
        return Err(Skip);
    }
    check_advertised(n, &sharing, gpus, per);
    let tag = if tag.is_empty() {
        default_tag(&sharing)
    } else {
        tag
    };
    Ok(Shape {
        model: g.model.name.clone(),
        gpus,
        sharing,
        tag,
        labels: kept_labels(n),
        taints: kept_taints(n, per),
    })
}

/// The pool tag when no MIG config names it.
fn default_tag(sharing: &Sharing) -> String {
    match sharing {
        Sharing::TimeSlicing { replicas, .. } => format!("ts{replicas}"),
        Sharing::Mps { replicas } => format!("mps{replicas}"),
        Sharing::Mig { .. } => "mig".into(),
        _ => "exclusive".into(),
    }
}
