//! Step: the file → the nodes it lists. Fields that are not used are reported once for all
//! nodes (`items[*].spec.x (on 12 nodes)`), not once per node.

use super::raw_node::{NodeReader, RawNode};
use crate::scenario::k8s::Input;
use crate::scenario::k8s::tree::{Fields, Messages, Node, Src, parse_json, parse_yaml_in};
use std::collections::{BTreeMap, BTreeSet};

/// Reads every node of the file; `None` (with an error) when the file is not a node list.
pub(super) fn read_nodes(input: &Input, src: &Src, msgs: &mut Messages) -> Option<Vec<RawNode>> {
    let root = parse(input, msgs)?;
    let items = list_items(&root, src, msgs)?;
    check_list_fields(&root, &items, src, msgs);
    let mut reader = NodeReader {
        src,
        msgs,
        tally: Tally::default(),
    };
    let mut nodes = Vec::new();
    for (item, path) in &items {
        if let Some(n) = reader.node(item, path) {
            nodes.push(n);
        }
    }
    let tally = reader.tally;
    tally.report(src, msgs);
    Some(nodes)
}

/// JSON when the text starts with `{`, else YAML.
fn parse(input: &Input, msgs: &mut Messages) -> Option<Node> {
    let json = input.text.trim_start().starts_with('{');
    let parsed = if json {
        parse_json(&input.text)
    } else {
        parse_yaml_in(&input.text, &input.name)
    };
    match parsed {
        Ok(n) => Some(n),
        Err(e) => {
            let what = if json { "JSON" } else { "YAML" };
            // Several YAML documents (a node per document): say what one file should hold.
            let hint = if !json && e.contains("multiple found") {
                "; give one document: a List of nodes (kubectl get nodes -o yaml) or one Node"
            } else {
                ""
            };
            msgs.errors
                .push(format!("{}: not valid {what}: {e}{hint}", input.name));
            None
        }
    }
}

/// The node documents with their paths: the `items` of a list, or the file itself for a
/// single Node (path empty).
fn list_items<'a>(
    root: &'a Node,
    src: &Src,
    msgs: &mut Messages,
) -> Option<Vec<(&'a Node, String)>> {
    match root.get("kind").and_then(Node::as_str) {
        Some("Node") => Some(vec![(root, String::new())]),
        Some("List" | "NodeList") => match root.get("items").and_then(Node::as_seq) {
            Some(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n, format!("items[{i}]")))
                    .collect(),
            ),
            None => {
                msgs.error(src, root.line, "items", "expected a list of nodes");
                None
            }
        },
        other => {
            msgs.error(
                src,
                root.line,
                "kind",
                format!(
                    "expected a List of nodes (kubectl get nodes -o json) or a Node, found {}",
                    other.map_or("no kind".to_string(), |k| format!("kind {k}"))
                ),
            );
            None
        }
    }
}

/// Unknown fields of the list itself (a single Node's fields are checked as the node's).
fn check_list_fields(root: &Node, items: &[(&Node, String)], src: &Src, msgs: &mut Messages) {
    if let Some(mut top) = Fields::new(root, "", src, msgs)
        && !items.first().is_some_and(|(_, p)| p.is_empty())
    {
        top.take("kind");
        top.take("items");
        top.ignore(&["apiVersion", "metadata"]);
        let (unknown, _) = top.leftovers();
        for (p, line) in unknown {
            msgs.warn(src, line, &p, "unknown field, not imported");
        }
    }
}

/// What the nodes had that is not imported, aggregated over nodes.
#[derive(Default)]
pub(super) struct Tally {
    /// Generic path (`items[*].x`) → (number of nodes, first line).
    unknown: BTreeMap<String, (usize, u64)>,
    /// Known fields without effect on the simulation, generic paths.
    ignored: BTreeSet<String>,
    /// Resources other than `nvidia.com/*` (CPU, memory, ...).
    pub(super) other_resources: BTreeSet<String>,
}

impl Tally {
    /// Records the fields of `fields` that were not taken.
    pub(super) fn collect(&mut self, fields: Fields) {
        let (u, i) = fields.leftovers();
        for (p, line) in u {
            let e = self.unknown.entry(generic(&p)).or_insert((0, line));
            e.0 += 1;
        }
        self.ignored.extend(i.iter().map(|p| generic(p)));
    }

    fn report(self, src: &Src, msgs: &mut Messages) {
        for (p, (count, line)) in &self.unknown {
            let on = if *count == 1 {
                String::new()
            } else {
                format!(" (on {count} nodes)")
            };
            msgs.warn(src, *line, p, format!("unknown field, not imported{on}"));
        }
        if !self.ignored.is_empty() {
            msgs.warnings.push(format!(
                "{}: ignored (no effect on the simulation): {}",
                src.file,
                self.ignored.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if !self.other_resources.is_empty() {
            msgs.warnings.push(format!(
                "{}: node resources not modelled by the simulator (only GPUs, cpu and memory are), ignored: {}",
                src.file,
                self.other_resources.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
}

/// items[3].spec.x → items[*].spec.x, so that fields aggregate over nodes.
fn generic(p: &str) -> String {
    match p.strip_prefix("items[").and_then(|r| r.split_once(']')) {
        Some((_, rest)) => format!("items[*]{rest}"),
        None => p.to_string(),
    }
}
