//! One device-plugin config (`version: v1`): `flags.migStrategy` and `sharing.timeSlicing`;
//! what the simulator does not model is reported.

use super::{DevicePluginConfig, MigStrategyFlag, TimeSlicing};
use crate::limits::{MAX_REPLICAS, exceeds};
use crate::scenario::k8s::tree::{Fields, Messages, Node, Src};

pub(super) fn read_config(
    doc: &Node,
    name: &str,
    src: &Src,
    msgs: &mut Messages,
) -> Option<DevicePluginConfig> {
    let mut top = Fields::new(doc, "", src, msgs)?;
    check_version(&mut top, doc, src, msgs)?;
    let mut cfg = DevicePluginConfig {
        name: name.to_string(),
        mig_strategy: None,
        time_slicing: None,
        mps: None,
        mig_time_slicing: Vec::new(),
    };
    if let Some(flags) = top.take("flags")
        && let Some(mut f) = Fields::new(flags, "flags", src, msgs)
    {
        cfg.mig_strategy = read_mig_strategy(&mut f, src, msgs);
        f.ignore(&[
            "failOnInitError",
            "nvidiaDriverRoot",
            "gdsEnabled",
            "mofedEnabled",
            "plugin",
            "gfd",
        ]);
        f.finish(src, msgs);
    }
    if let Some(r) = top.take("resources") {
        msgs.warn(
            src,
            r.line,
            "resources",
            "custom resource naming is not supported; the simulator assumes nvidia.com/gpu and nvidia.com/mig-<profile>",
        );
    }
    if let Some(sharing) = top.take("sharing")
        && let Some(mut s) = Fields::new(sharing, "sharing", src, msgs)
    {
        if let Some(ts) = s.take("timeSlicing") {
            cfg.time_slicing = read_time_slicing(ts, src, msgs, &mut cfg.mig_time_slicing);
        }
        if let Some(mps) = s.take("mps") {
            cfg.mps = super::mps::read_mps(mps, src, msgs);
        }
        s.finish(src, msgs);
    }
    top.finish(src, msgs);
    Some(cfg)
}

/// `version` must be `v1`; None once the error is reported.
fn check_version(top: &mut Fields, doc: &Node, src: &Src, msgs: &mut Messages) -> Option<()> {
    match top.take("version") {
        Some(v) if v.as_str() == Some("v1") => Some(()),
        Some(v) => {
            msgs.error(
                src,
                v.line,
                "version",
                format!("unsupported version {} (expected v1)", v.show()),
            );
            None
        }
        None => {
            msgs.error(src, doc.line, "version", "missing (expected version: v1)");
            None
        }
    }
}

/// `flags.migStrategy`, when present and valid.
fn read_mig_strategy(f: &mut Fields, src: &Src, msgs: &mut Messages) -> Option<MigStrategyFlag> {
    let s = f.take("migStrategy")?;
    let m = s.as_str().and_then(MigStrategyFlag::parse);
    if m.is_none() {
        msgs.error(
            src,
            s.line,
            "flags.migStrategy",
            format!("{} is not none, single or mixed", s.show()),
        );
    }
    m
}

/// `sharing.timeSlicing`: the replicas of `nvidia.com/gpu` and the two flags; None when no
/// usable `nvidia.com/gpu` entry is listed.
fn read_time_slicing(
    ts: &Node,
    src: &Src,
    msgs: &mut Messages,
    mig_time_slicing: &mut Vec<(String, u32)>,
) -> Option<TimeSlicing> {
    let base = "sharing.timeSlicing";
    let mut f = Fields::new(ts, base, src, msgs)?;
    let flag = |f: &mut Fields, key: &str, msgs: &mut Messages| match f.take(key) {
        None => false,
        Some(v) => v.as_bool().unwrap_or_else(|| {
            msgs.error(
                src,
                v.line,
                &f.path_of(key),
                format!("expected true or false, found {}", v.show()),
            );
            false
        }),
    };
    let rename_by_default = flag(&mut f, "renameByDefault", msgs);
    let fail_requests_greater_than_one = flag(&mut f, "failRequestsGreaterThanOne", msgs);
    let mut replicas = None;
    match f.take("resources") {
        None => msgs.warn(src, ts.line, base, "no resources: nothing is time-sliced"),
        Some(r) => match r.as_seq() {
            None => msgs.error(
                src,
                r.line,
                &f.path_of("resources"),
                format!("expected a list, found {}", r.kind()),
            ),
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{base}.resources[{i}]");
                    let at = Entry {
                        item,
                        path: &path,
                        rename_by_default,
                    };
                    read_resource(&at, &mut replicas, mig_time_slicing, src, msgs);
                }
            }
        },
    }
    f.finish(src, msgs);
    replicas.map(|replicas| TimeSlicing {
        replicas,
        rename_by_default,
        fail_requests_greater_than_one,
    })
}

/// One `resources[i]` entry, where it is, and how pods name the shared resource.
struct Entry<'a> {
    item: &'a Node,
    path: &'a str,
    rename_by_default: bool,
}

/// One `resources[i]` entry: `nvidia.com/gpu` sets the replicas (once); MIG resources and
/// renaming are reported as not supported.
fn read_resource(
    at: &Entry,
    replicas: &mut Option<u32>,
    mig_time_slicing: &mut Vec<(String, u32)>,
    src: &Src,
    msgs: &mut Messages,
) {
    let (item, path, rename_by_default) = (at.item, at.path, at.rename_by_default);
    let Some(mut e) = Fields::new(item, path, src, msgs) else {
        return;
    };
    let name = e.take("name").and_then(Node::as_str).unwrap_or("");
    let count = read_replicas(&mut e, item, src, msgs);
    if let Some(v) = e.take("rename") {
        msgs.warn(src, v.line, &e.path_of("rename"), format!("renaming the shared resource (to {}) is not supported; pods are assumed to request {}", v.show(), if rename_by_default { "nvidia.com/gpu.shared" } else { "nvidia.com/gpu" }));
    }
    if let Some(v) = e.take("devices")
        && v.as_str() != Some("all")
    {
        msgs.warn(src, v.line, &e.path_of("devices"), "time-slicing a subset of a node's GPUs is not supported; all GPUs of the node are time-sliced");
    }
    match name {
        "nvidia.com/gpu" => {
            if replicas.is_some() {
                msgs.error(src, item.line, path, "nvidia.com/gpu is listed twice");
            }
            *replicas = replicas.or(count);
        }
        n if n.starts_with("nvidia.com/mig-") => {
            let profile = n.trim_start_matches("nvidia.com/mig-");
            if let Some(r) = count {
                mig_time_slicing.push((profile.to_string(), r));
            }
        }
        n => other_resource(n, item, &e, src, msgs),
    }
    e.finish(src, msgs);
}

/// A `resources[i]` name neither `sharing` reader takes: missing (an error) or not an NVIDIA
/// GPU resource (a warning; the entry is not imported).
pub(super) fn other_resource(name: &str, item: &Node, e: &Fields, src: &Src, msgs: &mut Messages) {
    let at = e.path_of("name");
    if name.is_empty() {
        msgs.error(src, item.line, &at, "missing resource name");
    } else {
        msgs.warn(
            src,
            item.line,
            &at,
            format!(
                "resource {name} is not an NVIDIA GPU resource the simulator knows; not imported"
            ),
        );
    }
}

/// `replicas`: a whole number >= 1; None once the error is reported.
pub(super) fn read_replicas(
    e: &mut Fields,
    item: &Node,
    src: &Src,
    msgs: &mut Messages,
) -> Option<u32> {
    match e.take("replicas") {
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 && n as u64 <= MAX_REPLICAS => Some(n as u32),
            Some(n) if n > 0 => {
                msgs.error(
                    src,
                    v.line,
                    &e.path_of("replicas"),
                    exceeds("replicas", n, MAX_REPLICAS),
                );
                None
            }
            _ => {
                msgs.error(
                    src,
                    v.line,
                    &e.path_of("replicas"),
                    format!("{} is not a whole number ≥ 1", v.show()),
                );
                None
            }
        },
        None => {
            msgs.error(src, item.line, &e.path_of("replicas"), "missing");
            None
        }
    }
}
