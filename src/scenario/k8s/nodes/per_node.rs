//! Messages about nodes, collected so that one message shared by many nodes is printed once
//! (`file:line: nodes a, b, c: message`).

use super::raw_node::RawNode;
use crate::scenario::k8s::tree::{Messages, Src};

/// A node left out of the pools; why is already recorded in [`PerNode`].
#[derive(Debug)]
pub(super) struct Skip;

/// Collects per-node messages so that one message shared by many nodes is printed once.
#[derive(Default)]
pub(super) struct PerNode {
    /// (message, [(node, line)]) in first-seen order.
    warnings: Vec<(String, Vec<(String, u64)>)>,
    errors: Vec<(String, Vec<(String, u64)>)>,
}

impl PerNode {
    fn add(list: &mut Vec<(String, Vec<(String, u64)>)>, node: &RawNode, msg: String) {
        match list.iter_mut().find(|(m, _)| *m == msg) {
            Some((_, nodes)) => nodes.push((node.name.clone(), node.line)),
            None => list.push((msg, vec![(node.name.clone(), node.line)])),
        }
    }
    pub(super) fn warn(&mut self, node: &RawNode, msg: impl Into<String>) {
        Self::add(&mut self.warnings, node, msg.into());
    }
    pub(super) fn error(&mut self, node: &RawNode, msg: impl Into<String>) {
        Self::add(&mut self.errors, node, msg.into());
    }
    /// Writes the messages, each with the nodes it concerns, at the first node's line.
    pub(super) fn flush(self, src: &Src, msgs: &mut Messages) {
        let fmt = |(msg, nodes): (String, Vec<(String, u64)>)| {
            let names: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
            let what = if names.len() == 1 { "node" } else { "nodes" };
            format!(
                "{}: {what} {}: {msg}",
                src.loc(nodes[0].1),
                names.join(", ")
            )
        };
        msgs.warnings.extend(self.warnings.into_iter().map(fmt));
        msgs.errors.extend(self.errors.into_iter().map(fmt));
    }
}
