//! Step: time-slicing replicas of a MIG node's instances, from the device-plugin config
//! (`sharing.timeSlicing.resources` entries `nvidia.com/mig-<profile>` on the mixed strategy,
//! `nvidia.com/gpu` on the single strategy, whose devices are the instances), else from GPU
//! feature discovery's `nvidia.com/mig-<profile>.replicas` labels.

use super::per_node::PerNode;
use super::raw_node::RawNode;
use crate::domain::MigStrategy;
use crate::scenario::k8s::device_plugin::DevicePluginConfig;
use std::collections::{BTreeMap, BTreeSet};

/// Replicas per profile of the layout (`profiles`), only those above 1.
pub(super) fn instance_replicas(
    n: &RawNode,
    config: Option<&DevicePluginConfig>,
    strategy: MigStrategy,
    profiles: &BTreeSet<&str>,
    per: &mut PerNode,
) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    match (config, strategy) {
        (Some(c), MigStrategy::Mixed) => {
            for (p, r) in &c.mig_time_slicing {
                if profiles.contains(p.as_str()) && *r > 1 {
                    out.insert(p.clone(), *r);
                }
            }
        }
        (Some(c), MigStrategy::Single) => {
            if let Some(ts) = c.time_slicing
                && ts.replicas > 1
            {
                if ts.rename_by_default {
                    per.warn(n, format!("device-plugin config {} renames the time-sliced MIG devices to nvidia.com/gpu.shared, which is not supported; pods are assumed to request nvidia.com/gpu", c.name));
                }
                for p in profiles {
                    out.insert((*p).to_string(), ts.replicas);
                }
            }
        }
        (None, _) => {
            for p in profiles {
                let label = n
                    .label(&format!("nvidia.com/mig-{p}.replicas"))
                    .and_then(|v| v.parse::<u32>().ok());
                if let Some(r) = label.filter(|&r| r > 1) {
                    out.insert((*p).to_string(), r);
                }
            }
        }
    }
    out
}
