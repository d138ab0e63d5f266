//! Kubernetes manifests (multi-document YAML, or `kind: List`): PriorityClass → priority
//! classes, ResourceQuota → namespace quotas on GPU resources, Namespace → namespaces. Other
//! kinds, and quota entries on resources the simulator does not model, are reported.

use super::Input;
use super::device_plugin::METADATA_IGNORED;
use super::tree::{Fields, Messages, Node, Src, parse_yaml_multi_in};
use crate::domain::PreemptionPolicy;
use crate::scenario::schema::{NamespaceSpec, PriorityClassSpec};
use std::collections::BTreeMap;

mod quota;

pub use quota::quota_key;
use quota::read_quota;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifests {
    pub priority_classes: Vec<PriorityClassSpec>,
    /// In order of first appearance.
    pub namespaces: Vec<NamespaceSpec>,
}

impl Manifests {
    fn namespace(&mut self, name: &str) -> &mut NamespaceSpec {
        if let Some(i) = self.namespaces.iter().position(|n| n.name == name) {
            return &mut self.namespaces[i];
        }
        self.namespaces.push(NamespaceSpec {
            name: name.to_string(),
            quota: BTreeMap::new(),
        });
        self.namespaces.last_mut().expect("just pushed")
    }
}

/// Reads every manifest file. Problems go to `msgs`; `None` after an error.
pub fn parse(inputs: &[Input], msgs: &mut Messages) -> Option<Manifests> {
    let errors_before = msgs.errors.len();
    let mut out = Manifests::default();
    let mut quota_seen: BTreeMap<String, String> = BTreeMap::new();
    for input in inputs {
        let src = Src::new(&input.name);
        let docs = match parse_yaml_multi_in(&input.text, &input.name) {
            Ok(d) => d,
            Err(e) => {
                msgs.errors
                    .push(format!("{}: not valid YAML: {e}", input.name));
                continue;
            }
        };
        if docs.is_empty() {
            msgs.warnings.push(format!("{}: no documents", input.name));
        }
        let mut ignored = BTreeMap::new();
        for (i, doc) in docs.iter().enumerate() {
            let mut cx = Cx {
                src: &src,
                msgs,
                out: &mut out,
                quota_seen: &mut quota_seen,
                ignored: &mut ignored,
            };
            read_object(doc, &format!("[doc {}]", i + 1), &mut cx);
        }
        if !ignored.is_empty() {
            let list: Vec<String> = ignored
                .iter()
                .map(|(p, n)| {
                    if *n > 1 {
                        format!("{p} ({n} objects)")
                    } else {
                        p.clone()
                    }
                })
                .collect();
            msgs.warnings.push(format!(
                "{}: ignored (no effect on the simulation): {}",
                input.name,
                list.join(", ")
            ));
        }
    }
    let defaults: Vec<&str> = out
        .priority_classes
        .iter()
        .filter(|p| p.global_default)
        .map(|p| p.name.as_str())
        .collect();
    if defaults.len() > 1 {
        msgs.errors.push(format!(
            "more than one PriorityClass has globalDefault: true ({})",
            defaults.join(", ")
        ));
    }
    (msgs.errors.len() == errors_before).then_some(out)
}

/// What reading one file needs.
struct Cx<'a> {
    src: &'a Src,
    msgs: &'a mut Messages,
    out: &'a mut Manifests,
    /// (namespace, first quota's file:line) to report a namespace with several quotas.
    quota_seen: &'a mut BTreeMap<String, String>,
    /// Ignored fields as `Kind.path`, with how many objects had them.
    ignored: &'a mut BTreeMap<String, usize>,
}

impl Cx<'_> {
    /// Reports the unknown fields of `f` and counts its ignored ones under `kind`.
    fn finish(&mut self, f: Fields, base: &str, kind: &str) {
        let (unknown, ignored) = f.leftovers();
        for (p, line) in unknown {
            self.msgs
                .warn(self.src, line, &p, "unknown field, not imported");
        }
        for p in ignored {
            let rel = p.strip_prefix(base).unwrap_or(&p).trim_start_matches('.');
            *self.ignored.entry(format!("{kind}.{rel}")).or_insert(0) += 1;
        }
    }
}

fn read_object(doc: &Node, path: &str, cx: &mut Cx) {
    let Some(mut f) = Fields::new(doc, path, cx.src, cx.msgs) else {
        return;
    };
    let kind = f.take("kind").and_then(Node::as_str).unwrap_or("");
    f.take("apiVersion");
    match kind {
        "List" => {
            f.take("metadata");
            match f.take("items").map(|i| (i, i.as_seq())) {
                Some((_, Some(items))) => {
                    for (i, item) in items.iter().enumerate() {
                        read_object(item, &format!("{path}.items[{i}]"), cx);
                    }
                }
                Some((i, None)) => cx.msgs.error(
                    cx.src,
                    i.line,
                    &f.path_of("items"),
                    format!("expected a list, found {}", i.kind()),
                ),
                None => {}
            }
        }
        "PriorityClass" => read_priority_class(&mut f, doc, path, cx),
        "ResourceQuota" => read_quota(&mut f, doc, path, cx),
        "Namespace" => {
            let (name, _) = read_metadata(&mut f, path, "Namespace", cx);
            match name {
                Some(n) => {
                    cx.out.namespace(&n);
                }
                None => cx
                    .msgs
                    .error(cx.src, doc.line, &f.path_of("metadata.name"), "missing"),
            }
            f.ignore(&["spec", "status"]);
        }
        "" => {
            cx.msgs
                .warn(cx.src, doc.line, path, "no kind; document not imported");
            return;
        }
        other => {
            let name = doc
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                .unwrap_or("?");
            cx.msgs.warn(cx.src, doc.line, path, format!("kind {other} ({name}) is not imported (only PriorityClass, ResourceQuota and Namespace are)"));
            return;
        }
    }
    cx.finish(f, path, kind);
}

/// metadata.name and metadata.namespace (with its line); the rest is ignored.
fn read_metadata(
    f: &mut Fields,
    base: &str,
    kind: &str,
    cx: &mut Cx,
) -> (Option<String>, Option<(String, u64)>) {
    let Some(meta) = f.take("metadata") else {
        return (None, None);
    };
    let Some(mut m) = Fields::new(meta, &f.path_of("metadata"), cx.src, cx.msgs) else {
        return (None, None);
    };
    let name = m.take("name").and_then(Node::as_str).map(str::to_string);
    let ns = m
        .take("namespace")
        .and_then(|n| n.as_str().map(|s| (s.to_string(), n.line)));
    m.ignore(METADATA_IGNORED);
    cx.finish(m, base, kind);
    (name, ns)
}

fn read_priority_class(f: &mut Fields, doc: &Node, base: &str, cx: &mut Cx) {
    let (name, ns) = read_metadata(f, base, "PriorityClass", cx);
    let (src, msgs) = (cx.src, &mut *cx.msgs);
    if let Some((ns, line)) = ns {
        msgs.warn(
            src,
            line,
            &f.path_of("metadata.namespace"),
            format!("PriorityClass is cluster-scoped; namespace {ns} ignored"),
        );
    }
    let Some(name) = name else {
        msgs.error(src, doc.line, &f.path_of("metadata.name"), "missing");
        return;
    };
    let Some(value) = pc_value(f, doc.line, &name, src, msgs) else {
        return;
    };
    let Some(preemption_policy) = pc_preemption_policy(f, src, msgs) else {
        return;
    };
    let Some(global_default) = pc_global_default(f, src, msgs) else {
        return;
    };
    f.ignore(&["description"]);
    if cx.out.priority_classes.iter().any(|p| p.name == name) {
        msgs.error(
            src,
            doc.line,
            f.path_of("metadata.name").as_str(),
            format!("PriorityClass {name} is defined twice"),
        );
        return;
    }
    cx.out.priority_classes.push(PriorityClassSpec {
        name,
        value,
        preemption_policy,
        global_default,
    });
}

/// `value`: required, a 32-bit integer; None once the error is reported.
fn pc_value(f: &mut Fields, line: u64, name: &str, src: &Src, msgs: &mut Messages) -> Option<i32> {
    let Some(v) = f.take("value") else {
        msgs.error(
            src,
            line,
            &f.path_of("value"),
            format!("PriorityClass {name} has no value"),
        );
        return None;
    };
    let value = v.as_i64().and_then(|i| i32::try_from(i).ok());
    if value.is_none() {
        msgs.error(
            src,
            v.line,
            &f.path_of("value"),
            format!("{} is not a 32-bit integer", v.show()),
        );
    }
    value
}

/// `preemptionPolicy`, PreemptLowerPriority by default; None once the error is reported.
fn pc_preemption_policy(
    f: &mut Fields,
    src: &Src,
    msgs: &mut Messages,
) -> Option<PreemptionPolicy> {
    let Some(p) = f.take("preemptionPolicy") else {
        return Some(PreemptionPolicy::PreemptLowerPriority);
    };
    match p.as_str() {
        Some("PreemptLowerPriority") => Some(PreemptionPolicy::PreemptLowerPriority),
        Some("Never") => Some(PreemptionPolicy::Never),
        _ => {
            msgs.error(
                src,
                p.line,
                &f.path_of("preemptionPolicy"),
                format!("{} is not PreemptLowerPriority or Never", p.show()),
            );
            None
        }
    }
}

/// `globalDefault`, false by default; None once the error is reported.
fn pc_global_default(f: &mut Fields, src: &Src, msgs: &mut Messages) -> Option<bool> {
    let Some(g) = f.take("globalDefault") else {
        return Some(false);
    };
    let b = g.as_bool();
    if b.is_none() {
        msgs.error(
            src,
            g.line,
            &f.path_of("globalDefault"),
            format!("expected true or false, found {}", g.show()),
        );
    }
    b
}

#[cfg(test)]
mod tests;
