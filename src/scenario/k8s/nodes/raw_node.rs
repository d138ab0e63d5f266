//! Step: one node document → a [`RawNode`] (name, labels, taints, cordon, GPU resources).

use super::read::Tally;
use crate::domain::{Taint, TaintEffect};
use crate::scenario::host::{Cpu, Memory};
use crate::scenario::k8s::tree::{Fields, Messages, Node, Src};
use std::collections::BTreeMap;

/// A node as read from the file.
pub(super) struct RawNode {
    pub(super) name: String,
    pub(super) line: u64,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
    pub(super) unschedulable: bool,
    /// nvidia.com/* resources only.
    pub(super) allocatable: Option<BTreeMap<String, u64>>,
    pub(super) capacity: Option<BTreeMap<String, u64>>,
    /// `cpu` (millicores) and `memory` (bytes) of `allocatable`, else of `capacity`.
    pub(super) host: HostAmounts,
}

/// CPU millicores and memory bytes a node lists (`None`: not listed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct HostAmounts {
    pub(super) cpu_milli: Option<u64>,
    pub(super) mem_bytes: Option<u64>,
}

impl RawNode {
    pub(super) fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k).map(String::as_str)
    }
    /// A GPU resource from allocatable, else capacity.
    pub(super) fn resource(&self, k: &str) -> Option<u64> {
        self.allocatable
            .as_ref()
            .and_then(|a| a.get(k))
            .or_else(|| self.capacity.as_ref().and_then(|c| c.get(k)))
            .copied()
    }
    /// The advertised GPU resources (allocatable, else capacity).
    pub(super) fn advertised(&self) -> Option<&BTreeMap<String, u64>> {
        self.allocatable.as_ref().or(self.capacity.as_ref())
    }
    pub(super) fn mig_resources(&self) -> Vec<(String, u64)> {
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

/// Reads node documents: where messages go and what the nodes had that is not imported.
pub(super) struct NodeReader<'a> {
    pub(super) src: &'a Src,
    pub(super) msgs: &'a mut Messages,
    pub(super) tally: Tally,
}

impl NodeReader<'_> {
    /// One node; `None` for a document that is not a Node or has no name.
    pub(super) fn node(&mut self, item: &Node, path: &str) -> Option<RawNode> {
        let mut f = Fields::new(item, path, self.src, self.msgs)?;
        match f.take("kind").and_then(Node::as_str) {
            Some("Node") | None => {}
            Some(k) => {
                self.msgs.warn(
                    self.src,
                    item.line,
                    path,
                    format!("kind {k} is not a Node; skipped"),
                );
                return None;
            }
        }
        f.take("apiVersion");
        let (name, labels) = match f.take("metadata") {
            Some(meta) => self.metadata(meta, &f.path_of("metadata")),
            None => Default::default(),
        };
        if name.is_empty() {
            self.msgs.error(
                self.src,
                item.line,
                &f.path_of("metadata.name"),
                "a node needs a name",
            );
            return None;
        }
        let (taints, unschedulable) = match f.take("spec") {
            Some(spec) => self.spec(spec, &f.path_of("spec"), &name),
            None => (Vec::new(), false),
        };
        let ((allocatable, a_host), (capacity, c_host)) = match f.take("status") {
            Some(status) => self.status(status, &f.path_of("status"), &name),
            None => Default::default(),
        };
        let host = HostAmounts {
            cpu_milli: a_host.cpu_milli.or(c_host.cpu_milli),
            mem_bytes: a_host.mem_bytes.or(c_host.mem_bytes),
        };
        self.tally.collect(f);
        Some(RawNode {
            name,
            line: item.line,
            labels,
            taints,
            unschedulable,
            allocatable,
            capacity,
            host,
        })
    }

    /// `metadata`: the name and the labels.
    fn metadata(&mut self, meta: &Node, path: &str) -> (String, BTreeMap<String, String>) {
        let Some(mut m) = Fields::new(meta, path, self.src, self.msgs) else {
            return Default::default();
        };
        let name = m
            .take("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string();
        let mut labels = BTreeMap::new();
        if let Some(l) = m.take("labels") {
            if l.as_map().is_none() {
                self.msgs.error(
                    self.src,
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
        self.tally.collect(m);
        (name, labels)
    }

    /// `spec`: the taints and whether the node is cordoned.
    fn spec(&mut self, spec: &Node, path: &str, name: &str) -> (Vec<Taint>, bool) {
        let Some(mut s) = Fields::new(spec, path, self.src, self.msgs) else {
            return (Vec::new(), false);
        };
        let unschedulable = s
            .take("unschedulable")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        let mut taints = Vec::new();
        if let Some(ts) = s.take("taints") {
            if ts.as_seq().is_none() {
                self.msgs.error(
                    self.src,
                    ts.line,
                    &s.path_of("taints"),
                    format!("expected a list, found {}", ts.kind()),
                );
            }
            for (i, t) in ts.as_seq().unwrap_or_default().iter().enumerate() {
                let tp = format!("{}[{i}]", s.path_of("taints"));
                taints.extend(self.taint(t, &tp, name));
            }
        }
        s.ignore(&[
            "podCIDR",
            "podCIDRs",
            "providerID",
            "externalID",
            "configSource",
        ]);
        self.tally.collect(s);
        (taints, unschedulable)
    }

    /// One taint; `None` (with an error) without a key or a known effect.
    fn taint(&mut self, t: &Node, tp: &str, name: &str) -> Option<Taint> {
        let key = t.get("key").and_then(Node::as_str);
        let effect = t.get("effect").and_then(Node::as_str);
        let effect = match effect {
            Some("NoSchedule") => TaintEffect::NoSchedule,
            Some("PreferNoSchedule") => TaintEffect::PreferNoSchedule,
            Some("NoExecute") => TaintEffect::NoExecute,
            _ => {
                self.msgs.error(self.src, t.line, tp, format!("node {name}: taint effect {} is not NoSchedule, PreferNoSchedule or NoExecute", t.get("effect").map_or("(missing)".into(), Node::show)));
                return None;
            }
        };
        let Some(key) = key else {
            self.msgs.error(
                self.src,
                t.line,
                tp,
                format!("node {name}: taint without a key"),
            );
            return None;
        };
        if let Some(mut tf) = Fields::new(t, tp, self.src, self.msgs) {
            tf.take("key");
            tf.take("value");
            tf.take("effect");
            tf.ignore(&["timeAdded"]);
            self.tally.collect(tf);
        }
        Some(Taint {
            key: key.to_string(),
            value: t.get("value").and_then(Node::as_str).map(str::to_string),
            effect,
        })
    }

    /// `status`: the GPU resources, allocatable and capacity.
    fn status(
        &mut self,
        status: &Node,
        path: &str,
        name: &str,
    ) -> (
        (Option<Resources>, HostAmounts),
        (Option<Resources>, HostAmounts),
    ) {
        let Some(mut s) = Fields::new(status, path, self.src, self.msgs) else {
            return Default::default();
        };
        let split = |r: Option<(Resources, HostAmounts)>| match r {
            Some((res, host)) => (Some(res), host),
            None => (None, HostAmounts::default()),
        };
        let allocatable = split(
            s.take("allocatable")
                .map(|n| self.resources(n, &s.path_of("allocatable"), name)),
        );
        let capacity = split(
            s.take("capacity")
                .map(|n| self.resources(n, &s.path_of("capacity"), name)),
        );
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
        self.tally.collect(s);
        (allocatable, capacity)
    }

    /// The `nvidia.com/*` counts of a resource mapping, and `cpu` and `memory`; other
    /// resources go to the tally.
    fn resources(&mut self, n: &Node, path: &str, name: &str) -> (Resources, HostAmounts) {
        let mut gpu = BTreeMap::new();
        let mut host = HostAmounts::default();
        if n.as_map().is_none() {
            self.msgs.error(
                self.src,
                n.line,
                path,
                format!("expected a mapping of resources, found {}", n.kind()),
            );
        }
        for (k, v) in n.as_map().unwrap_or_default() {
            if k.starts_with("nvidia.com/") {
                match v.as_count() {
                    Some(c) => {
                        gpu.insert(k.clone(), c);
                    }
                    None => self.msgs.warn(
                        self.src,
                        v.line,
                        &format!("{path}.{k}"),
                        format!("node {name}: {} is not a whole number; ignored", v.show()),
                    ),
                }
            } else if k == "cpu" || k == "memory" {
                let text = match (v.as_str(), v.as_i64()) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(i)) => i.to_string(),
                    _ => v.show(),
                };
                let parsed = if k == "cpu" {
                    Cpu::parse(&text).map(|c| host.cpu_milli = Some(c.0))
                } else {
                    Memory::parse(&text).map(|m| host.mem_bytes = Some(m.0))
                };
                if let Err(e) = parsed {
                    self.msgs.warn(
                        self.src,
                        v.line,
                        &format!("{path}.{k}"),
                        format!("node {name}: {e}; ignored"),
                    );
                }
            } else {
                self.tally.other_resources.insert(k.clone());
            }
        }
        (gpu, host)
    }
}

/// Resource name → count.
type Resources = BTreeMap<String, u64>;
