//! Finds the line of a field in a YAML document, so validation messages can point at it.
//!
//! The typed scenario loses source positions, so the text is parsed a second time into the
//! generic tree (shared with `k8s`) whose every node remembers its line.

use super::k8s::tree::{Node, parse_yaml};
use std::fmt;

/// A step in a field path: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A field path such as `pools[2].sharing.layout`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(ix) => write!(f, "[{ix}]")?,
            }
        }
        Ok(())
    }
}

/// Line numbers of a parsed YAML document's fields.
pub struct Locator {
    root: Option<Node>,
}

impl Locator {
    /// Parses `text`; a document that does not parse simply locates nothing.
    pub fn new(text: &str) -> Self {
        Locator {
            root: parse_yaml(text).ok(),
        }
    }

    /// 1-based line of the deepest existing node along `path`.
    pub fn line(&self, path: &FieldPath) -> Option<u64> {
        let mut node = self.root.as_ref()?;
        for seg in &path.0 {
            let next = match seg {
                Seg::Key(k) => node.get(k),
                Seg::Index(i) => node.as_seq().and_then(|items| items.get(*i)),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        Some(node.line).filter(|&l| l > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_of_nested_fields() {
        let text = "name: x\npools:\n  - name: a\n    sharing:\n      kind: mig\n      layout: [3g.40gb]\n  - name: b\n";
        let loc = Locator::new(text);
        let p = FieldPath::root()
            .key("pools")
            .index(0)
            .key("sharing")
            .key("layout");
        assert_eq!(p.to_string(), "pools[0].sharing.layout");
        assert_eq!(loc.line(&p), Some(6));
        assert_eq!(loc.line(&FieldPath::root().key("pools").index(1)), Some(7));
        // A missing leaf falls back to its deepest existing parent.
        assert_eq!(
            loc.line(&FieldPath::root().key("pools").index(1).key("gpu")),
            Some(7)
        );
    }
}
