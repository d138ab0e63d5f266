//! Step: the labels and taints a pool keeps. Labels that differ per node or only describe the
//! GPU stack would split every pool; taints set from node conditions describe the moment.

use super::per_node::PerNode;
use super::raw_node::RawNode;
use crate::domain::Taint;
use std::collections::BTreeMap;

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

/// The [`DROPPED_LABELS`] rule that drops `key`, as shown in messages (`prefix*`).
pub(super) fn dropped_rule(key: &str) -> Option<String> {
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

/// The node's labels without the dropped ones.
pub(super) fn kept_labels(n: &RawNode) -> BTreeMap<String, String> {
    n.labels
        .iter()
        .filter(|(k, _)| dropped_rule(k).is_none())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The node's taints without the transient ones (each reported), in a stable order.
pub(super) fn kept_taints(n: &RawNode, per: &mut PerNode) -> Vec<Taint> {
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
    taints
}
