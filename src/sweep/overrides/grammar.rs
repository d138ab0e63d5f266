//! The text of an override: `PATH=VALUE`, with PATH a dotted path and VALUE a YAML value.
//!
//! ```text
//! override := path "=" value            split at the first "=" outside double quotes
//! path     := part ("." part | "[" digits "]")*
//! part     := plain | quoted
//! plain    := one or more characters other than . = [ ] "
//! quoted   := '"' (any character but " and \ | \" | \\)* '"'
//! value    := YAML: a scalar (3, 1h, true, null, "text"), a flow mapping ({kind: mig}) or a
//!             flow list ([a, b]); an empty value is refused (write null or "")
//! ```
//!
//! Plain parts never hold a dot, but names and map keys may (`requests.nvidia.com/gpu`): which
//! run of plain parts is one key is decided against the scenario (the longest run that names an
//! existing key or list item; see `walk`), so the grammar keeps the parts apart. A quoted part is
//! always one key, whatever it holds.

use serde_json::Value;
use std::fmt;

/// One step of a dotted path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A plain part: a key, a list item's name, or a piece of a dotted one.
    Part(String),
    /// A quoted part: exactly one key or name.
    Quoted(String),
    /// `[N]`: the list item at index N.
    Index(usize),
}

/// A dotted path such as `pools.h100-timeslice.nodes` or `pools[1].sharing`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DottedPath(pub Vec<Step>);

impl DottedPath {
    /// Parses a path; the error says what was wrong and where.
    pub fn parse(text: &str) -> Result<DottedPath, String> {
        let mut steps = Vec::new();
        let mut chars = text.char_indices().peekable();
        // Whether the next plain part needs a "." before it (false at the start).
        let mut after_step = false;
        while let Some(&(at, c)) = chars.peek() {
            match c {
                '[' => {
                    chars.next();
                    let mut digits = String::new();
                    loop {
                        match chars.next() {
                            Some((_, ']')) => break,
                            Some((_, d)) => digits.push(d),
                            None => return Err(format!("`{text}`: `[` at {at} is not closed")),
                        }
                    }
                    let i = digits.trim().parse::<usize>().map_err(|_| {
                        format!("`{text}`: `[{digits}]` is not an index (write [0], [1], ...)")
                    })?;
                    steps.push(Step::Index(i));
                    after_step = true;
                    continue;
                }
                '.' if after_step => {
                    chars.next();
                    if chars.peek().is_none_or(|&(_, c)| c == '.' || c == '[') {
                        return Err(format!("`{text}`: empty part after the `.` at {at}"));
                    }
                }
                '.' => return Err(format!("`{text}`: empty part before the `.` at {at}")),
                _ if after_step => {
                    return Err(format!(
                        "`{text}`: expected `.` or `[` at {at}, found `{c}`"
                    ));
                }
                _ => {}
            }
            steps.push(part(text, &mut chars)?);
            after_step = true;
        }
        if steps.is_empty() {
            return Err("empty path (write e.g. pools.NAME.nodes=3)".into());
        }
        Ok(DottedPath(steps))
    }
}

/// A plain or quoted part, starting at the iterator's position.
fn part(
    text: &str,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<Step, String> {
    let &(start, first) = chars.peek().expect("called on a non-empty rest");
    let mut s = String::new();
    if first == '"' {
        chars.next();
        loop {
            match chars.next() {
                Some((_, '"')) => return Ok(Step::Quoted(s)),
                Some((_, '\\')) => match chars.next() {
                    Some((_, c @ ('"' | '\\'))) => s.push(c),
                    _ => return Err(format!("`{text}`: only \\\" and \\\\ may follow `\\`")),
                },
                Some((_, c)) => s.push(c),
                None => return Err(format!("`{text}`: the quote at {start} is not closed")),
            }
        }
    }
    while let Some(&(at, c)) = chars.peek() {
        match c {
            '.' | '[' => break,
            ']' | '"' | '=' => return Err(format!("`{text}`: unexpected `{c}` at {at}")),
            _ => s.push(c),
        }
        chars.next();
    }
    Ok(Step::Part(s))
}

/// Whether `s` can be written as a plain part and read back as itself.
fn plain_ok(s: &str) -> bool {
    !s.is_empty() && !s.contains(['.', '=', '[', ']', '"']) && s.trim() == s
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Part(s) => f.write_str(s),
            Step::Quoted(s) => write!(f, "\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            Step::Index(i) => write!(f, "[{i}]"),
        }
    }
}

impl fmt::Display for DottedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 && !matches!(s, Step::Index(_)) {
                f.write_str(".")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// The step that writes the key or name `k` back: plain when that reads back the same (a
/// dotted key stays readable, since keys are matched longest first), quoted otherwise.
pub fn key_step(k: &str) -> Step {
    if k.split('.').all(plain_ok) {
        Step::Part(k.to_string())
    } else {
        Step::Quoted(k.to_string())
    }
}

/// `PATH=VALUE` split at the first `=` outside double quotes.
pub fn split(text: &str) -> Result<(&str, &str), String> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '=' if !quoted => return Ok((&text[..i], &text[i + 1..])),
            _ => {}
        }
    }
    Err(format!(
        "`{text}`: expected PATH=VALUE, e.g. pools.NAME.nodes=3 (no `=` outside quotes)"
    ))
}

/// Parses VALUE as YAML. An empty value is refused: it would silently mean null.
pub fn parse_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err(
            "empty value (write null to clear an optional field, \"\" for an empty \
                    string)"
                .into(),
        );
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        format!(
            "value `{text}` is not YAML ({}); quote text that holds `: ` or `#`",
            one_line(&crate::yaml::message(e.without_snippet()))
        )
    })
}

/// Whether the value's text reads as the same value inside a flow list, so that it can be put
/// into the scenario as written (see `typed`): one line, no comment, no stray flow indicator.
pub fn inline_ok(raw: &str, value: &Value) -> bool {
    !raw.contains(['\n', '\r'])
        && serde_saphyr::from_str::<Value>(&format!("[{}]", raw.trim())).ok()
            == Some(Value::Array(vec![value.clone()]))
}

/// A YAML library message on one line, without its position (the value is one short line).
pub fn one_line(msg: &str) -> String {
    let msg = msg.lines().next().unwrap_or("").trim();
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    let msg = match msg.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((pos, rest)) if pos.contains(" column ") => rest,
        _ => msg,
    };
    // "... at line 1, column 4851": a place in text the user never saw.
    match msg.rsplit_once(" at line ") {
        Some((head, pos)) if pos.contains(", column ") => head.to_string(),
        _ => msg.to_string(),
    }
}

/// `v` written back as a short YAML flow value: scalars plain when they read back the same,
/// otherwise JSON-quoted (which YAML reads too); mappings and lists in flow style.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.contains([',', '[', ']', '{', '}', '"', '\''])
                && serde_saphyr::from_str::<Value>(s).ok().as_ref() == Some(v);
            if plain {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(&Value::String(k.clone())), flow(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

#[cfg(test)]
#[path = "grammar_tests.rs"]
mod tests;
