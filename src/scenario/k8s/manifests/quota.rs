//! ResourceQuota objects: the device limits of `spec.hard`, merged per namespace.

use super::Cx;
use super::read_metadata;
use crate::scenario::k8s::tree::{Fields, Node};
use std::collections::BTreeMap;

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

pub(super) fn read_quota(f: &mut Fields, doc: &Node, base: &str, cx: &mut Cx) {
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
    let (hard, ignored) = match s.take("hard") {
        Some(h) => read_hard(h, &s.path_of("hard"), cx),
        None => (BTreeMap::new(), Vec::new()),
    };
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
    merge_quota(cx, doc.line, &f.path_of("metadata"), &ns, hard);
}

/// `spec.hard` (at `hpath`): device counts by quota key, and the keys the simulator does not
/// model (reported together by the caller).
fn read_hard(h: &Node, hpath: &str, cx: &mut Cx) -> (BTreeMap<String, u32>, Vec<String>) {
    let src = cx.src;
    let mut hard = BTreeMap::new();
    let mut ignored = Vec::new();
    let Some(entries) = h.as_map() else {
        cx.msgs.error(
            src,
            h.line,
            hpath,
            format!(
                "expected a mapping of resources to quantities, found {}",
                h.kind()
            ),
        );
        return (hard, ignored);
    };
    for (k, v) in entries {
        let vpath = format!("{hpath}.{k}");
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
    (hard, ignored)
}

/// Adds a quota's limits to namespace `ns`; a second quota in the same namespace keeps the
/// smaller limit per resource (Kubernetes enforces both), with a warning at `meta_path`.
fn merge_quota(cx: &mut Cx, line: u64, meta_path: &str, ns: &str, hard: BTreeMap<String, u32>) {
    let src = cx.src;
    let here = src.loc(line);
    if let Some(first) = cx.quota_seen.get(ns) {
        cx.msgs.warn(src, line, meta_path, format!("namespace {ns} has another ResourceQuota ({first}); Kubernetes enforces both, so the smaller limit per resource is kept"));
    } else {
        cx.quota_seen.insert(ns.to_string(), here);
    }
    let target = &mut cx.out.namespace(ns).quota;
    for (k, v) in hard {
        target
            .entry(k)
            .and_modify(|old| *old = (*old).min(v))
            .or_insert(v);
    }
}
