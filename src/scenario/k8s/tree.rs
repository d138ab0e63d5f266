//! A generic YAML/JSON value tree whose every node remembers its line, and a field reader that
//! remembers which keys were used so that the rest can be reported.
//!
//! The import reads files written for other programs (Kubernetes, the NVIDIA device plugin,
//! mig-parted). Their schemas are large and evolve, so the files are not deserialised into
//! strict types: they are read into this tree, the fields the simulator understands are taken
//! one by one, and every key left over is reported with its path and line.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// A value with the 1-based line it starts on (0 when unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: u64,
    pub val: Val,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A null value without a line (what an empty document reads as).
    pub fn null() -> Node {
        Node {
            line: 0,
            val: Val::Null,
        }
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.val {
            Val::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.val {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match &self.val {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// A whole number ≥ 0, written as a number or as a Kubernetes quantity string (`"8"`,
    /// `"1k"`; `"500m"` is not whole).
    pub fn as_count(&self) -> Option<u64> {
        match &self.val {
            Val::Int(i) => u64::try_from(*i).ok(),
            Val::Str(s) => crate::units::parse_count_quantity(s).ok(),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match &self.val {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.val {
            Val::Seq(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.val {
            Val::Map(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.val, Val::Null)
    }
    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.val {
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a number",
            Val::Str(_) => "a string",
            Val::Seq(_) => "a list",
            Val::Map(_) => "a mapping",
        }
    }
    /// The value as short text, for messages.
    pub fn show(&self) -> String {
        match &self.val {
            Val::Null => "null".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Float(f) => f.to_string(),
            Val::Str(s) => format!("{s:?}"),
            Val::Seq(v) => format!("a list of {}", v.len()),
            Val::Map(_) => "a mapping".into(),
        }
    }
    /// Shifts every line by `by` (for a document embedded in a string of another file).
    pub fn shift_lines(&mut self, by: u64) {
        if self.line > 0 {
            self.line += by;
        }
        match &mut self.val {
            Val::Seq(v) => v.iter_mut().for_each(|n| n.shift_lines(by)),
            Val::Map(v) => v.iter_mut().for_each(|(_, n)| n.shift_lines(by)),
            _ => {}
        }
    }
}

fn from_spanned(s: Spanned<RawVal>) -> Node {
    let line = s.referenced.line();
    let val = match s.value {
        RawVal::Null => Val::Null,
        RawVal::Bool(b) => Val::Bool(b),
        RawVal::Int(i) => Val::Int(i),
        RawVal::Float(f) => Val::Float(f),
        RawVal::Str(s) => Val::Str(s),
        RawVal::Seq(v) => Val::Seq(v.into_iter().map(from_spanned).collect()),
        RawVal::Map(v) => Val::Map(v.into_iter().map(|(k, n)| (k, from_spanned(n))).collect()),
    };
    Node { line, val }
}

/// The deserialised form, before the spans are folded into [`Node`].
enum RawVal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawVal>>),
    Map(Vec<(String, Spanned<RawVal>)>),
}

impl<'de> Deserialize<'de> for RawVal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawVal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<RawVal, E> {
                Ok(RawVal::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<RawVal, E> {
                Ok(RawVal::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<RawVal, E> {
                Ok(i64::try_from(u).map_or(RawVal::Float(u as f64), RawVal::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<RawVal, E> {
                Ok(RawVal::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<RawVal, E> {
                Ok(RawVal::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<RawVal, E> {
                Ok(RawVal::Str(s))
            }
            fn visit_unit<E>(self) -> Result<RawVal, E> {
                Ok(RawVal::Null)
            }
            fn visit_none<E>(self) -> Result<RawVal, E> {
                Ok(RawVal::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawVal, D::Error> {
                RawVal::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<RawVal, A::Error> {
                let mut v = Vec::new();
                while let Some(n) = a.next_element::<Spanned<RawVal>>()? {
                    v.push(n);
                }
                Ok(RawVal::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<RawVal, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key::<Spanned<KeyText>>()? {
                    let mut n = a.next_value::<Spanned<RawVal>>()?;
                    // A value is located at its key: a nested block starts on the next line.
                    if k.referenced.line() > 0 {
                        n.referenced = k.referenced;
                    }
                    v.push((k.value.0, n));
                }
                Ok(RawVal::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A mapping key of any scalar type, kept as written (`y` stays `y`, not `true`).
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

/// Parses one YAML document. The error carries the line and column serde-saphyr reports.
pub fn parse_yaml(text: &str) -> Result<Node, String> {
    serde_saphyr::from_str::<Spanned<RawVal>>(text)
        .map(from_spanned)
        .map_err(|e| crate::yaml::message(&e))
}

/// Parses a multi-document YAML stream; empty documents are skipped.
pub fn parse_yaml_multi(text: &str) -> Result<Vec<Node>, String> {
    serde_saphyr::from_multiple::<Spanned<RawVal>>(text)
        .map(|docs| docs.into_iter().map(from_spanned).collect())
        .map_err(|e| crate::yaml::message(&e))
}

/// [`parse_yaml`] of a file: the error's snippet names `file` (not `<input>`).
pub fn parse_yaml_in(text: &str, file: &str) -> Result<Node, String> {
    serde_saphyr::from_str::<Spanned<RawVal>>(text)
        .map(from_spanned)
        .map_err(|e| crate::yaml::message_in(&e, file))
}

/// [`parse_yaml_multi`] of a file: the error's snippet names `file` (not `<input>`).
pub fn parse_yaml_multi_in(text: &str, file: &str) -> Result<Vec<Node>, String> {
    serde_saphyr::from_multiple::<Spanned<RawVal>>(text)
        .map(|docs| docs.into_iter().map(from_spanned).collect())
        .map_err(|e| crate::yaml::message_in(&e, file))
}

/// Parses JSON. serde_json checks the syntax (its errors give line and column); the tree is
/// then read with the YAML parser for the lines, or, should that fail, built without lines.
pub fn parse_json(text: &str) -> Result<Node, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(parse_yaml(text).unwrap_or_else(|_| from_json(&v)))
}

fn from_json(v: &serde_json::Value) -> Node {
    use serde_json::Value as J;
    let val = match v {
        J::Null => Val::Null,
        J::Bool(b) => Val::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or(Val::Float(n.as_f64().unwrap_or(0.0)), Val::Int),
        J::String(s) => Val::Str(s.clone()),
        J::Array(a) => Val::Seq(a.iter().map(from_json).collect()),
        J::Object(o) => Val::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    };
    Node { line: 0, val }
}

/// Warnings and errors, each "file:line: path: message".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Messages {
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

/// Where a document came from: the file name shown in messages, and a prefix for field paths
/// (the ConfigMap key a device-plugin config was embedded under, for example).
#[derive(Clone, Debug)]
pub struct Src {
    pub file: String,
    pub prefix: String,
}

impl Src {
    pub fn new(file: &str) -> Self {
        Src {
            file: file.to_string(),
            prefix: String::new(),
        }
    }
    /// `file:line` (just `file` when the line is unknown).
    pub fn loc(&self, line: u64) -> String {
        if line > 0 {
            format!("{}:{line}", self.file)
        } else {
            self.file.clone()
        }
    }
    /// `file:line: path`, the path prefixed with [`Src::prefix`].
    pub fn at(&self, line: u64, path: &str) -> String {
        let path = join(&self.prefix, path);
        let mut s = self.loc(line);
        if !path.is_empty() {
            s.push_str(&format!(": {path}"));
        }
        s
    }
}

/// `a.b` from `a` and `b`; `a[0]` from `a` and `[0]`.
pub fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => prefix.to_string(),
        _ if path.starts_with('[') => format!("{prefix}{path}"),
        _ => format!("{prefix}.{path}"),
    }
}

impl Messages {
    pub fn warn(&mut self, src: &Src, line: u64, path: &str, msg: impl fmt::Display) {
        self.warnings.push(format!("{}: {msg}", src.at(line, path)));
    }
    pub fn error(&mut self, src: &Src, line: u64, path: &str, msg: impl fmt::Display) {
        self.errors.push(format!("{}: {msg}", src.at(line, path)));
    }
}

/// Reads the fields of one mapping, remembering which were used; [`Fields::finish`] reports
/// the rest as unknown.
pub struct Fields<'a> {
    node: &'a Node,
    path: String,
    used: Vec<&'a str>,
    ignored: Vec<String>,
}

impl<'a> Fields<'a> {
    /// `None` (with an error) when `node` is not a mapping.
    pub fn new(node: &'a Node, path: &str, src: &Src, msgs: &mut Messages) -> Option<Self> {
        if node.as_map().is_none() {
            msgs.error(
                src,
                node.line,
                path,
                format!("expected a mapping, found {}", node.kind()),
            );
            return None;
        }
        Some(Fields {
            node,
            path: path.to_string(),
            used: Vec::new(),
            ignored: Vec::new(),
        })
    }

    /// The path of a field of this mapping.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Marks `key` used and returns its value (a null value counts as absent).
    pub fn take(&mut self, key: &str) -> Option<&'a Node> {
        let entries = self.node.as_map()?;
        let (k, v) = entries.iter().find(|(k, _)| k == key)?;
        self.used.push(k.as_str());
        (!v.is_null()).then_some(v)
    }

    /// Marks keys that are understood but have no effect on a simulation; [`Fields::finish`]
    /// lists the ones present in one message.
    pub fn ignore(&mut self, keys: &[&str]) {
        let Some(entries) = self.node.as_map() else {
            return;
        };
        for (k, _) in entries {
            if keys.contains(&k.as_str()) && !self.used.contains(&k.as_str()) {
                self.used.push(k.as_str());
                self.ignored.push(self.path_of(k));
            }
        }
    }

    /// Keys neither taken nor ignored, with their lines.
    pub fn unused(&self) -> Vec<(&'a str, u64)> {
        self.node
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| !self.used.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.line))
            .collect()
    }

    /// For callers that aggregate over many objects: the paths and lines of the keys neither
    /// taken nor ignored, and the paths of the ignored ones.
    pub fn leftovers(self) -> (Vec<(String, u64)>, Vec<String>) {
        let unknown = self
            .unused()
            .into_iter()
            .map(|(k, line)| (join(&self.path, k), line))
            .collect();
        (unknown, self.ignored)
    }

    /// Reports every key that was neither taken nor ignored as unknown, and the ignored ones.
    pub fn finish(self, src: &Src, msgs: &mut Messages) {
        for (k, line) in self.unused() {
            msgs.warn(
                src,
                line,
                &join(&self.path, k),
                "unknown field, not imported",
            );
        }
        if !self.ignored.is_empty() {
            let paths: Vec<String> = self.ignored.iter().map(|p| join(&src.prefix, p)).collect();
            msgs.warnings.push(format!(
                "{}: ignored (no effect on the simulation): {}",
                src.loc(self.node.line),
                paths.join(", ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_tree_keeps_lines_and_types() {
        let text = "a: 1\n0: zero\nb:\n  - x\n  - true\nc: |\n  inner: 2\n  more: 3\n\"d\": 1.5\n";
        let n = parse_yaml(text).unwrap();
        assert_eq!(n.get("a").unwrap().as_count(), Some(1));
        // Kubernetes quantities (issue 16): "1k" is 1000; "500m" is not a whole count.
        let q = parse_yaml("a: \"1k\"\nb: \"500m\"\nc: \"2Ki\"\n").unwrap();
        assert_eq!(q.get("a").unwrap().as_count(), Some(1000));
        assert_eq!(q.get("b").unwrap().as_count(), None);
        assert_eq!(q.get("c").unwrap().as_count(), Some(2048));
        assert_eq!(n.get("a").unwrap().line, 1);
        let b = n.get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[0].as_str(), Some("x"));
        assert_eq!(b[1].as_bool(), Some(true));
        assert_eq!(b[1].line, 5);
        assert_eq!(n.get("0").unwrap().as_str(), Some("zero"));
        // A mapping value is located at its key.
        let c = n.get("c").unwrap();
        assert_eq!(c.line, 6);
        assert_eq!(c.as_str(), Some("inner: 2\nmore: 3\n"));
        assert_eq!(n.get("d").unwrap().val, Val::Float(1.5));
    }

    #[test]
    fn json_tree_has_lines_and_json_errors_have_positions() {
        let text = "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"a\": 1}\n  ]\n}\n";
        let n = parse_json(text).unwrap();
        assert_eq!(n.get("kind").unwrap().as_str(), Some("List"));
        assert_eq!(n.get("items").unwrap().as_seq().unwrap()[0].line, 4);
        let e = parse_json("{\n  \"kind\": \"List\",\n  \"items\": [\n}\n").unwrap_err();
        assert!(e.contains("line 4"), "{e}");
    }

    #[test]
    fn multi_document_yaml_skips_empty_documents() {
        let docs = parse_yaml_multi("---\na: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].get("b").unwrap().line, 5);
    }

    #[test]
    fn fields_reports_unknown_and_ignored_keys() {
        let n = parse_yaml("x: 1\ny: 2\nz: 3\n").unwrap();
        let src = Src::new("f.yaml");
        let mut m = Messages::default();
        let mut f = Fields::new(&n, "top", &src, &mut m).unwrap();
        assert!(f.take("x").is_some());
        f.ignore(&["y"]);
        f.finish(&src, &mut m);
        assert_eq!(
            m.warnings,
            vec![
                "f.yaml:3: top.z: unknown field, not imported".to_string(),
                "f.yaml:1: ignored (no effect on the simulation): top.y".to_string(),
            ]
        );
    }
}
