//! Step: the device-plugin config a node runs with, and the sharing of a node without MIG
//! (time-slicing, MPS or exclusive) from that config, else from GPU feature discovery labels.

use super::per_node::{PerNode, Skip};
use super::raw_node::RawNode;
use crate::domain::{ReplicaAllocation, Sharing};
use crate::scenario::k8s::device_plugin::{DevicePluginConfig, DevicePluginConfigs};

/// The config the node's `nvidia.com/device-plugin.config` label selects, else the file's
/// default; `None` without a device-plugin file (or default). A label naming a config the
/// ConfigMap lacks leaves the node out.
pub(super) fn plugin_config<'a>(
    n: &RawNode,
    dp: Option<&'a DevicePluginConfigs>,
    per: &mut PerNode,
) -> Result<Option<&'a DevicePluginConfig>, Skip> {
    let dp_label = n.label("nvidia.com/device-plugin.config");
    Ok(match (dp, dp_label) {
        (Some(dp), Some(l)) => {
            match dp.get(l) {
                Some(c) => Some(c),
                None if !dp.config_map => {
                    per.warn(n, format!("selects device-plugin config {l}, but {} is a single config; it is used", dp.file));
                    dp.configs.first()
                }
                None => {
                    per.error(n, format!("nvidia.com/device-plugin.config={l}, but {} has no config {l} (configs: {})", dp.file, dp.names().join(", ")));
                    return Err(Skip);
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
    })
}

/// Sharing of a node without MIG: the device-plugin config, else GPU feature discovery labels.
pub(super) fn plain_sharing(
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
        if let Some(replicas) = c.mps {
            if let Some(r) = label_replicas
                && r != replicas
            {
                per.warn(n, format!("nvidia.com/gpu.replicas={r} but device-plugin config {} gives {replicas} MPS replicas; the config is used", c.name));
            }
            return Sharing::Mps { replicas };
        }
        if c.time_slicing.is_none() && label_replicas.is_some_and(|r| r > 1) {
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
        return mps_from_labels(n, label_replicas, label_count, per);
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

/// `nvidia.com/gpu.sharing-strategy=mps`: the replicas from `nvidia.com/gpu.replicas`, else
/// from the advertised `nvidia.com/gpu` over the GPU count; exclusive when neither says.
fn mps_from_labels(
    n: &RawNode,
    label_replicas: Option<u32>,
    label_count: Option<u32>,
    per: &mut PerNode,
) -> Sharing {
    let replicas = label_replicas.filter(|&r| r > 1).or_else(|| {
        let (a, g) = (n.resource("nvidia.com/gpu")?, u64::from(label_count?));
        (g > 0 && a.is_multiple_of(g) && a / g > 1)
            .then(|| u32::try_from(a / g).unwrap_or(u32::MAX))
    });
    match replicas.map(|r| (r, crate::perf::mps::replicas_problem(r))) {
        Some((r, None)) => Sharing::Mps { replicas: r },
        Some((r, Some(why))) => {
            per.warn(n, format!("nvidia.com/gpu.sharing-strategy=mps with {r} replicas: {why}; imported as exclusive"));
            Sharing::Exclusive
        }
        None => {
            per.warn(n, "nvidia.com/gpu.sharing-strategy=mps but neither nvidia.com/gpu.replicas nor the advertised nvidia.com/gpu gives the replicas; imported as exclusive");
            Sharing::Exclusive
        }
    }
}
