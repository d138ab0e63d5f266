//! `sharing.mps` of a device-plugin config (v0.15 and later): the replicas of `nvidia.com/gpu`
//! that become an MPS pool (`sharing: {kind: mps, replicas: N}`).

use super::config::{other_resource, read_replicas};
use crate::perf::mps::replicas_problem;
use crate::scenario::k8s::tree::{Fields, Messages, Node, Src};

/// `sharing.mps`: the replicas of `nvidia.com/gpu`; None when no usable entry is listed (each
/// problem reported with its line).
pub(super) fn read_mps(node: &Node, src: &Src, msgs: &mut Messages) -> Option<u32> {
    let base = "sharing.mps";
    let mut f = Fields::new(node, base, src, msgs)?;
    if let Some(v) = f.take("renameByDefault")
        && v.as_bool() == Some(true)
    {
        msgs.warn(src, v.line, &f.path_of("renameByDefault"), "renaming the MPS resource to nvidia.com/gpu.shared is not supported; pods are assumed to request nvidia.com/gpu");
    }
    // The device plugin sets it to true for MPS whatever the file says (v0.15.0 release notes),
    // which the pool does (a request for more than one replica never runs).
    let _ = f.take("failRequestsGreaterThanOne");
    let mut replicas = None;
    match f.take("resources") {
        None => msgs.warn(
            src,
            node.line,
            base,
            "no resources: nothing is shared with MPS",
        ),
        Some(r) => match r.as_seq() {
            None => msgs.error(
                src,
                r.line,
                &f.path_of("resources"),
                format!("expected a list, found {}", r.kind()),
            ),
            Some([]) => msgs.warn(
                src,
                node.line,
                base,
                "no resources: nothing is shared with MPS",
            ),
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{base}.resources[{i}]");
                    read_resource(item, &path, &mut replicas, src, msgs);
                }
            }
        },
    }
    f.finish(src, msgs);
    replicas
}

/// One `resources[i]` entry of `sharing.mps`.
fn read_resource(
    item: &Node,
    path: &str,
    replicas: &mut Option<u32>,
    src: &Src,
    msgs: &mut Messages,
) {
    let Some(mut e) = Fields::new(item, path, src, msgs) else {
        return;
    };
    let name = e.take("name").and_then(Node::as_str).unwrap_or("");
    let count = read_replicas(&mut e, item, src, msgs);
    if let Some(v) = e.take("rename") {
        msgs.warn(src, v.line, &e.path_of("rename"), format!("renaming the MPS resource (to {}) is not supported; pods are assumed to request nvidia.com/gpu", v.show()));
    }
    if let Some(v) = e.take("devices")
        && v.as_str() != Some("all")
    {
        msgs.warn(
            src,
            v.line,
            &e.path_of("devices"),
            "MPS on a subset of a node's GPUs is not supported; all GPUs of the node are shared",
        );
    }
    match name {
        "nvidia.com/gpu" => {
            if replicas.is_some() {
                msgs.error(src, item.line, path, "nvidia.com/gpu is listed twice");
            }
            let line = item.get("replicas").map_or(item.line, |v| v.line);
            let count = count.filter(|&n| match replicas_problem(n) {
                Some(why) => {
                    msgs.error(src, line, &e.path_of("replicas"), why);
                    false
                }
                None => true,
            });
            *replicas = replicas.or(count);
        }
        n if n.starts_with("nvidia.com/mig-") => msgs.warn(
            src,
            item.line,
            path,
            format!("MPS on MIG devices ({n}) is not supported by the device plugin; not imported"),
        ),
        n => other_resource(n, item, &e, src, msgs),
    }
    e.finish(src, msgs);
}
