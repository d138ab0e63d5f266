//! The expectation file of `slicesim check` (docs/CI.md): a YAML list of expressions such as
//! `pools.a100-timeslice.busy >= 60%` or `classes.*.wait_p95 <= 1.1 * baseline + 60s`, each
//! optionally with a name. An expression is `PATH OP BOUND`: a figure path (see
//! [`crate::report::figures`]; `*` stands for any list item), one of `<=`, `<`, `>=`, `>`,
//! `==`, and an arithmetic bound over numbers, durations (`90s`, `30m`, `1h`, `2d` -> seconds),
//! percentages (`60%` -> 0.6) and `baseline` (the same figure in the baseline run).

use serde::Deserialize;

/// Deepest nesting of parentheses and signs accepted (keeps hostile input off the stack).
const MAX_DEPTH: usize = 64;
/// Most tokens in a bound (a long `1 + 1 + ...` chain would nest as deep as it is long).
const MAX_TOKENS: usize = 256;

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Eq => "==",
        }
    }

    /// Whether `actual OP bound` holds (false when either is NaN).
    pub fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Op::Le => actual <= bound,
            Op::Lt => actual < bound,
            Op::Ge => actual >= bound,
            Op::Gt => actual > bound,
            Op::Eq => actual == bound,
        }
    }
}

/// The bound's arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    Num(f64),
    Baseline,
    Neg(Box<Bound>),
    Bin(char, Box<Bound>, Box<Bound>),
}

impl Bound {
    /// The bound's value, `baseline` standing for `base`.
    pub fn eval(&self, base: f64) -> f64 {
        match self {
            Bound::Num(x) => *x,
            Bound::Baseline => base,
            Bound::Neg(b) => -b.eval(base),
            Bound::Bin(op, a, b) => {
                let (a, b) = (a.eval(base), b.eval(base));
                match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    _ => a / b,
                }
            }
        }
    }

    pub fn uses_baseline(&self) -> bool {
        match self {
            Bound::Num(_) => false,
            Bound::Baseline => true,
            Bound::Neg(b) => b.uses_baseline(),
            Bound::Bin(_, a, b) => a.uses_baseline() || b.uses_baseline(),
        }
    }
}

/// One expectation as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The `name:` given, if any.
    pub name: Option<String>,
    /// The expression as written.
    pub text: String,
    /// 1-based line in the file (0 when parsed from a string).
    pub line: usize,
    /// The figure path or pattern, as written (aliases are resolved against the figures).
    pub path: String,
    pub op: Op,
    pub bound: Bound,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Item {
    Text(String),
    Named { name: String, expect: String },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum File {
    List(Vec<Item>),
    Map { expect: Vec<Item> },
}

/// Parses an expectation file; errors read `SOURCE:LINE: ...`.
pub fn parse_file(text: &str, source: &str) -> Result<Vec<Expectation>, String> {
    let file: File = serde_saphyr::from_str(text).map_err(|e| {
        format!(
            "{source}: not an expectation file (a YAML list of expressions, or `expect:` \
             with one; items are strings or {{name, expect}}): {e}"
        )
    })?;
    let items = match file {
        File::List(items) | File::Map { expect: items } => items,
    };
    if items.is_empty() {
        return Err(format!("{source}: no expectation given"));
    }
    let (mut from_line, mut previous) = (0, String::new());
    let mut out = Vec::new();
    for item in items {
        let (name, expr) = match item {
            Item::Text(e) => (None, e),
            Item::Named { name, expect } => (Some(name), expect),
        };
        // The same expression twice in a row: the second is on a later line.
        let trimmed = expr.trim().to_string();
        let start = from_line + usize::from(trimmed == previous && from_line > 0);
        let line = line_of(text, &trimmed, start);
        from_line = line.max(from_line);
        previous = trimmed;
        let at = if line > 0 {
            format!("{source}:{line}")
        } else {
            source.to_string()
        };
        let mut e = parse_expectation(&expr).map_err(|e| format!("{at}: {e}"))?;
        e.name = name;
        e.line = line;
        out.push(e);
    }
    Ok(out)
}

/// The 1-based line at or after `from` (1-based) holding `needle` (0 when not found).
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    let probe = needle.lines().next().unwrap_or("");
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| !probe.is_empty() && l.contains(probe))
        .map_or(0, |(i, _)| i + 1)
}

/// Parses `PATH OP BOUND`.
pub fn parse_expectation(s: &str) -> Result<Expectation, String> {
    let s = s.trim();
    let at = s
        .find(['<', '>', '=', '!'])
        .ok_or_else(|| format!("`{s}`: no comparison (<=, <, >=, >, ==)"))?;
    let path = s[..at].trim();
    let rest = &s[at..];
    let (op, len) = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
    ]
    .into_iter()
    .find(|(t, _)| rest.starts_with(t))
    .map(|(t, op)| (op, t.len()))
    .ok_or_else(|| format!("`{s}`: unknown comparison (<=, <, >=, >, ==)"))?;
    if path.is_empty() {
        return Err(format!("`{s}`: no figure path before `{}`", op.as_str()));
    }
    if let Some(c) = path.chars().find(|c| c.is_whitespace()) {
        return Err(format!("`{s}`: a figure path holds no {c:?}: `{path}`"));
    }
    let tokens = tokenize(&rest[len..]).map_err(|e| format!("`{s}`: {e}"))?;
    if tokens.len() > MAX_TOKENS {
        return Err(format!("`{s}`: a bound of more than {MAX_TOKENS} tokens"));
    }
    let mut p = Parser { tokens, at: 0 };
    let bound = p.sum(0).map_err(|e| format!("`{s}`: {e}"))?;
    if let Some(t) = p.tokens.get(p.at) {
        return Err(format!("`{s}`: unexpected {} after the bound", t.show()));
    }
    Ok(Expectation {
        name: None,
        text: s.to_string(),
        line: 0,
        path: path.to_string(),
        op,
        bound,
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Baseline,
    Sym(char),
}

impl Tok {
    fn show(&self) -> String {
        match self {
            Tok::Num(x) => format!("number {x}"),
            Tok::Baseline => "`baseline`".into(),
            Tok::Sym(c) => format!("`{c}`"),
        }
    }
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(c) = rest.chars().next() {
        if "+-*/()".contains(c) {
            out.push(Tok::Sym(c));
            rest = &rest[1..];
        } else if c.is_ascii_digit() || c == '.' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '%'))
                .unwrap_or(rest.len());
            out.push(Tok::Num(number(&rest[..end])?));
            rest = &rest[end..];
        } else if c.is_ascii_alphabetic() {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            match &rest[..end] {
                "baseline" => out.push(Tok::Baseline),
                w => return Err(format!("unknown word `{w}` (only `baseline`)")),
            }
            rest = &rest[end..];
        } else {
            return Err(format!("unexpected {c:?} in the bound"));
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

/// A number with an optional unit: `s`, `m`, `h`, `d` (seconds) or `%` (/100).
fn number(t: &str) -> Result<f64, String> {
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let x: f64 = digits
        .parse()
        .map_err(|_| format!("`{t}` is not a number"))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        "%" => 0.01,
        u => return Err(format!("`{t}`: unknown unit `{u}` (s, m, h, d or %)")),
    };
    Ok(x * scale)
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn sum(&mut self, depth: usize) -> Result<Bound, String> {
        let mut left = self.product(depth)?;
        while let Some(Tok::Sym(c @ ('+' | '-'))) = self.peek().cloned() {
            self.at += 1;
            let right = self.product(depth)?;
            left = Bound::Bin(c, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self, depth: usize) -> Result<Bound, String> {
        let mut left = self.atom(depth)?;
        while let Some(Tok::Sym(c @ ('*' | '/'))) = self.peek().cloned() {
            self.at += 1;
            let right = self.atom(depth)?;
            left = Bound::Bin(c, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn atom(&mut self, depth: usize) -> Result<Bound, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH}"));
        }
        let t = self.peek().cloned();
        self.at += 1;
        match t {
            Some(Tok::Num(x)) => Ok(Bound::Num(x)),
            Some(Tok::Baseline) => Ok(Bound::Baseline),
            Some(Tok::Sym('-')) => Ok(Bound::Neg(Box::new(self.atom(depth + 1)?))),
            Some(Tok::Sym('(')) => {
                let inner = self.sum(depth + 1)?;
                match self.peek() {
                    Some(Tok::Sym(')')) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err("`(` without its `)`".into()),
                }
            }
            Some(t) => Err(format!(
                "expected a number or `baseline`, found {}",
                t.show()
            )),
            None => Err("the bound is missing or ends early".into()),
        }
    }
}
