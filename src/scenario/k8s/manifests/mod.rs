//! Kubernetes manifests (multi-document YAML, or `kind: List`): PriorityClass → priority
//! classes, ResourceQuota → namespace quotas on GPU resources, Namespace → namespaces. Other
//! kinds, and quota entries on resources the simulator does not model, are reported.

use super::Input;
use super::device_plugin::METADATA_IGNORED;
use super::tree::{Fields, Messages, Node, Src, parse_yaml_multi};
use crate::domain::PreemptionPolicy;
use crate::scenario::schema::{NamespaceSpec, PriorityClassSpec};
use std::collections::BTreeMap;

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
        let docs = match parse_yaml_multi(&input.text) {
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
    let value = match f.take("value") {
        None => {
            msgs.error(
                src,
                doc.line,
                &f.path_of("value"),
                format!("PriorityClass {name} has no value"),
            );
            return;
        }
        Some(v) => match v.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => i,
            None => {
                msgs.error(
                    src,
                    v.line,
                    &f.path_of("value"),
                    format!("{} is not a 32-bit integer", v.show()),
                );
                return;
            }
        },
    };
    let preemption_policy = match f.take("preemptionPolicy") {
        None => PreemptionPolicy::PreemptLowerPriority,
        Some(p) => match p.as_str() {
            Some("PreemptLowerPriority") => PreemptionPolicy::PreemptLowerPriority,
            Some("Never") => PreemptionPolicy::Never,
            _ => {
                msgs.error(
                    src,
                    p.line,
                    &f.path_of("preemptionPolicy"),
                    format!("{} is not PreemptLowerPriority or Never", p.show()),
                );
                return;
            }
        },
    };
    let global_default = match f.take("globalDefault") {
        None => false,
        Some(g) => match g.as_bool() {
            Some(b) => b,
            None => {
                msgs.error(
                    src,
                    g.line,
                    &f.path_of("globalDefault"),
                    format!("expected true or false, found {}", g.show()),
                );
                return;
            }
        },
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

/// The scenario's quota key for a ResourceQuota `spec.hard` key, or why it is not imported.
pub fn quota_key(key: &str) -> Result<String, String> {
    let gpu = |r: &str| {
        r == "nvidia.com/gpu" || r == "nvidia.com/gpu.shared" || r.starts_with("nvidia.com/mig-")
    };
    if let Some(r) = key.strip_prefix("requests.") {
        if gpu(r) {
            return Ok(key.to_string());
        }
    } else if gpu(key) {
        return Ok(format!("requests.{key}"));
    } else if let Some(r) = key.strip_prefix("limits.")
        && gpu(r)
    {
        return Err(format!(
            "{key}: Kubernetes quotas extended resources by requests only; use requests.{r}"
        ));
    }
    if key.contains("nvidia.com/") {
        Err(format!(
            "{key}: not a GPU resource the simulator knows (nvidia.com/gpu, nvidia.com/gpu.shared, nvidia.com/mig-<profile>)"
        ))
    } else {
        Err(key.to_string())
    }
}

fn read_quota(f: &mut Fields, doc: &Node, base: &str, cx: &mut Cx) {
    let (name, ns) = read_metadata(f, base, "ResourceQuota", cx);
    let src = cx.src;
    let name = name.unwrap_or_else(|| "?".into());
    let ns = match ns {
        Some((ns, _)) => ns,
        None => {
            cx.msgs.warn(src, doc.line, &f.path_of("metadata.namespace"), format!("ResourceQuota {name} has no namespace; taken as default (kubectl applies it to the current namespace)"));
            "default".to_string()
        }
    };
    f.ignore(&["status"]);
    let Some(spec) = f.take("spec") else {
        cx.msgs.warn(
            src,
            doc.line,
            &f.path_of("spec"),
            format!("ResourceQuota {name} has no spec; nothing imported"),
        );
        return;
    };
    let spath = f.path_of("spec");
    let Some(mut s) = Fields::new(spec, &spath, src, cx.msgs) else {
        return;
    };
    for key in ["scopes", "scopeSelector"] {
        if let Some(v) = s.take(key) {
            cx.msgs.warn(src, v.line, &s.path_of(key), format!("quota scopes are not supported; ResourceQuota {name} is imported as if it applied to every pod of namespace {ns}"));
        }
    }
    let mut hard = BTreeMap::new();
    let mut ignored = Vec::new();
    if let Some(h) = s.take("hard") {
        match h.as_map() {
            None => cx.msgs.error(
                src,
                h.line,
                &s.path_of("hard"),
                format!(
                    "expected a mapping of resources to quantities, found {}",
                    h.kind()
                ),
            ),
            Some(entries) => {
                for (k, v) in entries {
                    let vpath = format!("{}.{k}", s.path_of("hard"));
                    match quota_key(k) {
                        Ok(key) => match v.as_count().and_then(|n| u32::try_from(n).ok()) {
                            Some(n) => {
                                hard.insert(key, n);
                            }
                            None => cx.msgs.error(
                                src,
                                v.line,
                                &vpath,
                                format!("{} is not a whole number of devices", v.show()),
                            ),
                        },
                        Err(why) if why == *k => ignored.push(k.clone()),
                        Err(why) => cx.msgs.warn(src, v.line, &vpath, format!("ignored: {why}")),
                    }
                }
            }
        }
    }
    cx.finish(s, base, "ResourceQuota");
    if !ignored.is_empty() {
        cx.msgs.warn(
            src,
            spec.line,
            &format!("{spath}.hard"),
            format!(
                "ResourceQuota {ns}/{name}: not modelled by the simulator, ignored: {}",
                ignored.join(", ")
            ),
        );
    }
    let here = src.loc(doc.line);
    if let Some(first) = cx.quota_seen.get(&ns) {
        cx.msgs.warn(src, doc.line, f.path_of("metadata").as_str(), format!("namespace {ns} has another ResourceQuota ({first}); Kubernetes enforces both, so the smaller limit per resource is kept"));
    } else {
        cx.quota_seen.insert(ns.clone(), here);
    }
    let target = &mut cx.out.namespace(&ns).quota;
    for (k, v) in hard {
        target
            .entry(k)
            .and_modify(|old| *old = (*old).min(v))
            .or_insert(v);
    }
}

#[cfg(test)]
mod tests;
