//! Step: GPUs per node, and the GPU resources a node of a shape advertises (checked against
//! what the node does advertise).

use super::per_node::PerNode;
use super::raw_node::RawNode;
use crate::domain::{MigStrategy, Sharing};
use std::collections::{BTreeMap, BTreeSet};

/// Physical GPUs per node: the `nvidia.com/gpu.count` label, else derived from the advertised
/// resources and the sharing mode.
pub(super) fn gpu_count(
    n: &RawNode,
    sharing: &Sharing,
    label: Option<u32>,
    per: &mut PerNode,
) -> Option<u32> {
    let r = |k: &str| n.resource(k);
    let div = |a: u64, b: u64| {
        (b > 0 && a.is_multiple_of(b)).then(|| u32::try_from(a / b).unwrap_or(u32::MAX))
    };
    match sharing {
        Sharing::Exclusive | Sharing::Fractional => {
            label.or_else(|| r("nvidia.com/gpu").map(|v| u32::try_from(v).unwrap_or(u32::MAX)))
        }
        Sharing::Mps { replicas } => {
            label.or_else(|| div(r("nvidia.com/gpu")?, u64::from(*replicas)))
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
            replicas,
        } => label.or_else(|| {
            let total: u64 = n.mig_resources().iter().map(|(_, v)| v).sum();
            div(total, devices_per_gpu(layout, replicas))
        }),
        Sharing::Mig {
            strategy: MigStrategy::Single,
            layout,
            replicas,
        } => {
            let per_gpu = devices_per_gpu(layout, replicas);
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
        Sharing::Mps { replicas } => {
            out.insert("nvidia.com/gpu".to_string(), g * u64::from(*replicas));
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
            replicas,
        } => {
            for p in layout {
                let r = u64::from(replicas.get(p).copied().unwrap_or(1).max(1));
                *out.entry(format!("nvidia.com/mig-{p}")).or_insert(0) += g * r;
            }
        }
        Sharing::Mig {
            strategy: MigStrategy::Single,
            layout,
            replicas,
        } => {
            let distinct: BTreeSet<&String> = layout.iter().collect();
            let n = if distinct.len() == 1 {
                g * devices_per_gpu(layout, replicas)
            } else {
                0
            };
            out.insert("nvidia.com/gpu".to_string(), n);
        }
    }
    out
}

/// Warns when the node advertises other GPU resources than its configuration gives.
pub(super) fn check_advertised(n: &RawNode, sharing: &Sharing, gpus: u32, per: &mut PerNode) {
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

/// MIG devices one GPU advertises: its instances, each once per time-slicing replica.
fn devices_per_gpu(layout: &[String], replicas: &std::collections::BTreeMap<String, u32>) -> u64 {
    layout
        .iter()
        .map(|p| u64::from(replicas.get(p).copied().unwrap_or(1).max(1)))
        .sum()
}
