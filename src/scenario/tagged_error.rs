//! Points a parse error inside a tagged mapping (`sharing: {kind: time_slicing, replicas:
//! three}`, `request: {kind: mig, ...}`) at the offending key's own line.
//!
//! Serde buffers the fields of an internally tagged enum before it knows the variant, so the
//! YAML library can only report such an error at the enclosing key (`sharing:`). The text is
//! read a second time into the line-aware tree: when exactly one field of the mapping at the
//! reported place holds the value the message names (or is the unknown field it names), the
//! error is reported there, with a one-line snippet of our own.

use super::k8s::tree::{Node, Val, parse_yaml};

/// The error re-pointed at the field it is about, or `None` when that cannot be told.
pub fn refine(text: &str, source: &str, e: &serde_saphyr::Error) -> Option<String> {
    let line = e.location()?.line();
    let plain = crate::yaml::message(e.without_snippet());
    let msg = strip_position(plain.lines().next()?.trim());
    let root = parse_yaml(text).ok()?;
    let mut found = Vec::new();
    find_tagged(&root, "", line, &mut found);
    let [(parent, map)] = found.as_slice() else {
        return None;
    };
    let hits: Vec<(&String, &Node)> = map
        .iter()
        .filter(|(k, v)| k != "kind" && mentions(msg, k, v))
        .map(|(k, v)| (k, v))
        .collect();
    let [(key, node)] = hits.as_slice() else {
        return None;
    };
    let src_line = text.lines().nth(node.line.checked_sub(1)? as usize)?;
    let column = value_column(src_line, key, node);
    let path = if parent.is_empty() {
        (*key).clone()
    } else {
        format!("{parent}.{key}")
    };
    let n = node.line.to_string();
    let pad = " ".repeat(n.len());
    Some(format!(
        "{source}: error: line {} column {column}: {path}: {msg}\n{pad}--> {source}:{}:{column}\n{pad} |\n{n} | {src_line}\n{pad} | {}^",
        node.line,
        node.line,
        " ".repeat(column.saturating_sub(1))
    ))
}

/// `invalid type: ...` from `error: line 41 column 5: invalid type: ...`.
fn strip_position(m: &str) -> &str {
    let m = m.strip_prefix("error: ").unwrap_or(m);
    match m.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map_or(m, |(_, tail)| tail),
        None => m,
    }
}

/// Mappings with a `kind` key that start on `line` or the next one (a block mapping starts
/// below its key, which is where the error is reported), with their parent key.
fn find_tagged<'a>(
    n: &'a Node,
    key: &str,
    line: u64,
    out: &mut Vec<(String, &'a [(String, Node)])>,
) {
    match &n.val {
        Val::Map(entries) => {
            if entries.iter().any(|(k, _)| k == "kind") && (n.line == line || n.line == line + 1) {
                out.push((key.to_string(), entries));
            }
            for (k, v) in entries {
                find_tagged(v, k, line, out);
            }
        }
        Val::Seq(items) => items.iter().for_each(|v| find_tagged(v, key, line, out)),
        _ => {}
    }
}

/// True when the message names this field (unknown field `k`) or its scalar value.
fn mentions(msg: &str, key: &str, v: &Node) -> bool {
    if msg.contains(&format!("`{key}`")) {
        return true;
    }
    match &v.val {
        Val::Str(s) => msg.contains(&format!("\"{s}\"")),
        Val::Int(i) => msg.contains(&format!("integer `{i}`")),
        Val::Float(f) => msg.contains(&format!("floating point `{f}`")),
        Val::Bool(b) => msg.contains(&format!("boolean `{b}`")),
        _ => false,
    }
}

/// 1-based column of the field's value on its line (of the key when the value is not found).
fn value_column(line: &str, key: &str, v: &Node) -> usize {
    let key_at = line.find(&format!("{key}:")).unwrap_or(0);
    let text = match &v.val {
        Val::Str(s) => s.clone(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => f.to_string(),
        Val::Bool(b) => b.to_string(),
        _ => String::new(),
    };
    let after = key_at + key.len() + 1;
    match line.get(after..).and_then(|rest| rest.find(&text)) {
        Some(i) if !text.is_empty() => after + i + 1,
        _ => key_at + 1,
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    #[test]
    fn a_bad_value_in_a_tagged_mapping_is_reported_at_its_own_line() {
        let text = "name: t\npools:\n  - name: a\n    gpu: A100-80GB\n    nodes: 1\n    gpus_per_node: 8\n    sharing:\n      kind: time_slicing\n      replicas: three\n";
        let e = parse(text, "mine.yaml").unwrap_err();
        assert!(
            e.starts_with("mine.yaml: error: line 9 column 17: sharing.replicas: invalid type: string \"three\""),
            "{e}"
        );
        assert!(e.contains("--> mine.yaml:9:17"), "{e}");
        assert!(e.contains("9 |       replicas: three"), "{e}");
        assert!(!e.contains("<input>"), "{e}");
    }

    #[test]
    fn an_unknown_field_in_a_tagged_mapping_is_reported_at_its_own_line() {
        let text = "name: t\npools:\n  - name: a\n    gpu: A100-80GB\n    nodes: 1\n    gpus_per_node: 8\n    sharing: {kind: time_slicing, replicaz: 3}\n";
        let e = parse(text, "mine.yaml").unwrap_err();
        assert!(
            e.contains("sharing.replicaz: unknown field `replicaz`"),
            "{e}"
        );
    }

    #[test]
    fn other_errors_keep_the_library_message() {
        let e = parse("name: [\n", "mine.yaml").unwrap_err();
        assert!(e.starts_with("mine.yaml: "), "{e}");
        assert!(!e.contains("<input>"), "{e}");
    }
}
