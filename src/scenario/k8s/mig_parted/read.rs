//! Reading a mig-parted config: a bare file (`version: v1`, `mig-configs`), a ConfigMap that
//! holds one under a `data` key (the GPU operator's `default-mig-parted-config` uses
//! `config.yaml`), or a multi-document manifest (mig-manager's example: a DaemonSet, RBAC
//! objects and ConfigMaps) in which exactly one document is either of those.

use super::{Devices, MigConfig, MigEntry, MigPartedFile};
use crate::catalog::parse_pci_id;
use crate::scenario::k8s::Input;
use crate::scenario::k8s::device_plugin::place_embedded;
use crate::scenario::k8s::tree::{
    Fields, Messages, Node, Src, join, parse_yaml, parse_yaml_multi_in,
};

/// Where the configs were found in the file.
enum Found<'a> {
    /// A bare config document.
    Bare(&'a Node),
    /// A config embedded as text under `data.<key>` of a ConfigMap named `name`.
    Embedded {
        key: String,
        name: String,
        value: &'a Node,
    },
}

/// Reads a mig-parted config file. Problems go to `msgs`; `None` after an error.
pub fn parse(input: &Input, msgs: &mut Messages) -> Option<MigPartedFile> {
    let docs = match parse_yaml_multi_in(&input.text, &input.name) {
        Ok(d) => d,
        Err(e) => {
            msgs.errors
                .push(format!("{}: not valid YAML: {e}", input.name));
            return None;
        }
    };
    let mut found: Vec<Found> = Vec::new();
    for d in &docs {
        if d.get("mig-configs").is_some() {
            found.push(Found::Bare(d));
        } else if d.get("kind").and_then(Node::as_str) == Some("ConfigMap") {
            let name = d
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                .unwrap_or("(unnamed)");
            for (key, value) in d.get("data").and_then(Node::as_map).unwrap_or(&[]) {
                let holds = value
                    .as_str()
                    .and_then(|t| parse_yaml(t).ok())
                    .is_some_and(|n| n.get("mig-configs").is_some());
                if holds {
                    found.push(Found::Embedded {
                        key: key.clone(),
                        name: name.to_string(),
                        value,
                    });
                }
            }
        }
    }
    let src = Src::new(&input.name);
    let errors_before = msgs.errors.len();
    let configs = match found.as_slice() {
        // One document that is not a config: read it as one, for the messages that say why.
        [] if docs.len() <= 1 => read_doc(docs.first().unwrap_or(&Node::null()), &src, msgs),
        [] => {
            msgs.errors.push(format!(
                "{}: none of the {} documents is a mig-parted config (version: v1 with mig-configs) or a ConfigMap holding one under data",
                input.name,
                docs.len()
            ));
            Vec::new()
        }
        [Found::Bare(d)] => read_doc(d, &src, msgs),
        [Found::Embedded { key, value, .. }] => {
            let path = format!("data.{key}");
            let text = value.as_str().unwrap_or_default();
            let mut doc = parse_yaml(text).unwrap_or_else(|_| Node::null());
            place_embedded(&mut doc, value.line, &input.text);
            let sub = Src {
                file: input.name.clone(),
                prefix: path,
            };
            read_doc(&doc, &sub, msgs)
        }
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|f| match f {
                    Found::Bare(d) => src.loc(d.line),
                    Found::Embedded { key, name, value } => {
                        format!("ConfigMap {name} data.{key} ({})", src.loc(value.line))
                    }
                })
                .collect();
            msgs.errors.push(format!(
                "{}: {} mig-parted configs found ({}); give a file with one",
                input.name,
                many.len(),
                names.join(", ")
            ));
            Vec::new()
        }
    };
    (msgs.errors.len() == errors_before).then(|| MigPartedFile {
        file: input.name.clone(),
        configs,
    })
}

/// The configs of one mig-parted document; the entries' paths carry `src`'s prefix.
fn read_doc(root: &Node, src: &Src, msgs: &mut Messages) -> Vec<MigConfig> {
    let Some(mut top) = Fields::new(root, "", src, msgs) else {
        return Vec::new();
    };
    match top.take("version") {
        Some(v) if v.as_str() == Some("v1") => {}
        Some(v) => msgs.error(
            src,
            v.line,
            "version",
            format!("unsupported version {} (expected v1)", v.show()),
        ),
        None => msgs.error(src, root.line, "version", "missing (expected version: v1)"),
    }
    let mut configs = Vec::new();
    match top.take("mig-configs") {
        None => msgs.error(
            src,
            root.line,
            "mig-configs",
            "missing: a mig-parted file needs mig-configs",
        ),
        Some(mc) => match mc.as_map() {
            None => msgs.error(
                src,
                mc.line,
                "mig-configs",
                format!("expected a mapping of config names, found {}", mc.kind()),
            ),
            Some(named) => {
                for (name, list) in named {
                    let path = format!("mig-configs.{name}");
                    let Some(items) = list.as_seq() else {
                        msgs.error(
                            src,
                            list.line,
                            &path,
                            format!("expected a list of entries, found {}", list.kind()),
                        );
                        continue;
                    };
                    let entries = items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, e)| read_entry(e, &format!("{path}[{i}]"), src, msgs))
                        .collect();
                    configs.push(MigConfig {
                        name: name.clone(),
                        line: list.line,
                        entries,
                    });
                }
            }
        },
    }
    top.finish(src, msgs);
    configs
}

/// One entry of a config: which GPUs, MIG on or off, the instances; `None` after an error.
fn read_entry(node: &Node, path: &str, src: &Src, msgs: &mut Messages) -> Option<MigEntry> {
    let mut f = Fields::new(node, path, src, msgs)?;
    let devices = read_devices(&mut f, node, src, msgs)?;
    let mig_enabled = read_mig_enabled(&mut f, node, src, msgs)?;
    let mig_devices = read_mig_devices(&mut f, src, msgs)?;
    let errors = msgs.errors.len();
    let device_filter = read_device_filter(&mut f, src, msgs).unwrap_or_default();
    if msgs.errors.len() > errors {
        return None;
    }
    if !mig_enabled && mig_devices.iter().any(|(_, n)| *n > 0) {
        msgs.warn(
            src,
            node.line,
            path,
            "mig-devices given with mig-enabled: false; they are ignored",
        );
    }
    f.finish(src, msgs);
    Some(MigEntry {
        devices,
        mig_enabled,
        mig_devices,
        device_filter,
        line: node.line,
        path: join(&src.prefix, path),
    })
}

/// `devices`: `all` or a list of GPU indices (required).
fn read_devices(f: &mut Fields, node: &Node, src: &Src, msgs: &mut Messages) -> Option<Devices> {
    match f.take("devices") {
        None => {
            msgs.error(
                src,
                node.line,
                &f.path_of("devices"),
                "missing (all or a list of GPU indices)",
            );
            None
        }
        Some(d) if d.as_str() == Some("all") => Some(Devices::All),
        Some(d) => match d
            .as_seq()
            .map(|s| s.iter().map(Node::as_count).collect::<Option<Vec<_>>>())
        {
            Some(Some(l)) if l.iter().all(|&i| i <= u64::from(u32::MAX)) => {
                Some(Devices::List(l.into_iter().map(|i| i as u32).collect()))
            }
            _ => {
                msgs.error(
                    src,
                    d.line,
                    &f.path_of("devices"),
                    format!("expected all or a list of GPU indices, found {}", d.show()),
                );
                None
            }
        },
    }
}

/// `mig-enabled` (required).
fn read_mig_enabled(f: &mut Fields, node: &Node, src: &Src, msgs: &mut Messages) -> Option<bool> {
    match f.take("mig-enabled") {
        Some(v) => match v.as_bool() {
            Some(b) => Some(b),
            None => {
                msgs.error(
                    src,
                    v.line,
                    &f.path_of("mig-enabled"),
                    format!("expected true or false, found {}", v.show()),
                );
                None
            }
        },
        None => {
            msgs.error(
                src,
                node.line,
                &f.path_of("mig-enabled"),
                "missing (true or false)",
            );
            None
        }
    }
}

/// `mig-devices`: profile → instances per GPU (none when absent).
fn read_mig_devices(f: &mut Fields, src: &Src, msgs: &mut Messages) -> Option<Vec<(String, u32)>> {
    let mut mig_devices = Vec::new();
    if let Some(md) = f.take("mig-devices") {
        let Some(map) = md.as_map() else {
            msgs.error(
                src,
                md.line,
                &f.path_of("mig-devices"),
                format!(
                    "expected a mapping of profile names to counts, found {}",
                    md.kind()
                ),
            );
            return None;
        };
        for (profile, count) in map {
            match count.as_i64() {
                Some(n) if (0..=64).contains(&n) => mig_devices.push((profile.clone(), n as u32)),
                _ => {
                    msgs.error(
                        src,
                        count.line,
                        &format!("{}.{profile}", f.path_of("mig-devices")),
                        format!("{} is not an instance count", count.show()),
                    );
                    return None;
                }
            }
        }
    }
    Some(mig_devices)
}

/// `device-filter`: one PCI device ID (`0x20B210DE`) or a list of them (none when absent).
fn read_device_filter(f: &mut Fields, src: &Src, msgs: &mut Messages) -> Option<Vec<u16>> {
    let d = f.take("device-filter")?;
    let path = f.path_of("device-filter");
    let items: Vec<&Node> = match (d.as_str(), d.as_seq()) {
        (Some(_), _) => vec![d],
        (_, Some(l)) => l.iter().collect(),
        _ => {
            msgs.error(
                src,
                d.line,
                &path,
                format!(
                    "expected a PCI device ID or a list of them, found {}",
                    d.show()
                ),
            );
            return None;
        }
    };
    let mut ids = Vec::new();
    for x in items {
        match x.as_str().and_then(parse_pci_id) {
            Some(id) => ids.push(id),
            None => {
                msgs.error(
                    src,
                    x.line,
                    &path,
                    format!(
                        "{} is not an NVIDIA PCI device ID (expected 0x<device><vendor> such as 0x20B210DE)",
                        x.show()
                    ),
                );
                return None;
            }
        }
    }
    Some(ids)
}
