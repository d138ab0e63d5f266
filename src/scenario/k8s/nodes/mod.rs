//! `kubectl get nodes -o json` (or `-o yaml`) → pools.
//!
//! Each GPU node is reduced to a shape: catalog model (from `nvidia.com/gpu.product`), GPUs per
//! node, sharing mode, taints and the labels worth keeping. Nodes of the same shape form a pool.
//! The sharing mode comes from, in order: the node's MIG config (`nvidia.com/mig.config`, looked
//! up in the mig-parted file, else read from names such as `all-1g.10gb`, else inferred from the
//! MIG resources the node advertises); the device-plugin config the node selects
//! (`nvidia.com/device-plugin.config`, else the default config); GPU feature discovery labels
//! (`nvidia.com/gpu.replicas`); else exclusive.
//!
//! The steps, one file each:
//!
//! | step | file |
//! |---|---|
//! | read the file into nodes, reporting unused fields | `read.rs`, `raw_node.rs` |
//! | map the GPU product to a catalog model | `product.rs` |
//! | the device-plugin config a node runs, sharing without MIG | `sharing.rs` |
//! | the MIG layout and strategy | `mig.rs` |
//! | GPUs per node, advertised resources | `resources.rs` |
//! | labels and taints a pool keeps | `labels.rs` |
//! | a node reduced to its shape | `shape.rs` |
//! | nodes of one shape into a named pool, what was left out | `pools.rs` |
//! | one message for many nodes | `per_node.rs` |

mod labels;
mod mig;
mod mig_replicas;
mod per_node;
mod pools;
mod product;
mod raw_node;
mod read;
mod resources;
mod shape;
mod sharing;

pub use product::{ProductMatch, map_product};
pub use resources::expected_resources;

use super::Input;
use super::device_plugin::DevicePluginConfigs;
use super::mig_parted::MigPartedFile;
use super::tree::{Messages, Src};
use crate::catalog::Catalog;
use crate::scenario::schema::PoolSpec;
use pools::Grouping;
use std::collections::BTreeSet;

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

/// What node labels are looked up in: the configuration files and the GPU catalog.
#[derive(Clone, Copy)]
struct Lookup<'a> {
    dp: Option<&'a DevicePluginConfigs>,
    mig: Option<&'a MigPartedFile>,
    catalog: &'a Catalog,
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
    let Some(nodes) = read::read_nodes(input, &src, msgs) else {
        return Vec::new();
    };
    let lookup = Lookup { dp, mig, catalog };
    let mut grouping = Grouping::default();
    for n in &nodes {
        grouping.add(n, &lookup, used);
    }
    grouping.finish(&src, catalog, msgs)
}

#[cfg(test)]
mod tests;
