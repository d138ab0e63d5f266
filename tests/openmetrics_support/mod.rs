//! A strict reader of the OpenMetrics text format, as much of it as a backfill file uses:
//! `# TYPE` / `# UNIT` / `# HELP` lines, samples `name{label="value",...} value timestamp`,
//! and `# EOF` as the last line. It rejects what the grammar does not allow (interleaved
//! families, samples before their TYPE, a UNIT the name does not end with, counter samples
//! without `_total`, bad label syntax or escapes, duplicate label names, values that are not
//! numbers, time going backwards within a series, anything after `# EOF`).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample's name (`x_total`, `x_count`, ...), its family, labels, value, timestamp (s).
    pub name: String,
    pub family: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    pub ts: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Family {
    pub kind: String,
    pub unit: Option<String>,
    pub help: Option<String>,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub families: BTreeMap<String, Family>,
    /// Family names in the order they appear.
    pub order: Vec<String>,
    pub samples: Vec<Sample>,
}

impl Parsed {
    pub fn of(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|s| s.name == name).collect()
    }
}

fn is_metric_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_' || ch == ':')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')
}

fn is_label_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// A number as the grammar writes it (no `inf`/`nan` here: the export has none).
fn number(s: &str) -> Result<f64, String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !ok {
        return Err(format!("`{s}` is not a number"));
    }
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("`{s}` is not a finite number"))
}

/// `{a="x",b="y"}` at the start of `s`: the labels and the rest of the line.
fn labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut out = BTreeMap::new();
    let Some(mut rest) = s.strip_prefix('{') else {
        return Ok((out, s));
    };
    if let Some(r) = rest.strip_prefix('}') {
        return Ok((out, r));
    }
    loop {
        let eq = rest.find('=').ok_or("label without `=`")?;
        let name = &rest[..eq];
        if !is_label_name(name) {
            return Err(format!("bad label name `{name}`"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or("label value not quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((_, '\n')) => return Err("newline in a label value".into()),
                Some((_, c)) => value.push(c),
            }
        };
        if out.insert(name.to_string(), value).is_some() {
            return Err(format!("label `{name}` twice"));
        }
        rest = &rest[end + 1..];
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('}') {
            return Ok((out, r));
        } else {
            return Err(format!("expected `,` or `}}` at `{rest}`"));
        }
    }
}

/// The family a sample name belongs to, for a family of `kind`.
fn family_of<'a>(name: &'a str, current: &str, kind: &str) -> Result<&'a str, String> {
    let suffixes: &[&str] = match kind {
        "gauge" | "unknown" => &[""],
        "counter" => &["_total", "_created"],
        "summary" => &["_count", "_sum", "_created", ""],
        other => return Err(format!("type `{other}` not expected here")),
    };
    for suf in suffixes {
        if let Some(base) = name.strip_suffix(suf)
            && base == current
        {
            return Ok(base);
        }
    }
    Err(format!(
        "sample `{name}` does not belong to family `{current}` ({kind})"
    ))
}

pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    if !text.ends_with("# EOF\n") && !text.ends_with("# EOF") {
        return Err("the text does not end with `# EOF`".into());
    }
    let lines: Vec<&str> = text.lines().collect();
    let (last, body) = lines.split_last().ok_or("empty")?;
    if *last != "# EOF" {
        return Err("`# EOF` is not the last line".into());
    }
    let mut current: Option<String> = None;
    let mut seen_samples = false;
    let mut last_ts: HashMap<(String, BTreeMap<String, String>), f64> = HashMap::new();
    let mut closed: HashSet<String> = HashSet::new();
    for (i, line) in body.iter().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line}", i + 1);
        if line.is_empty() {
            return Err(at("empty line".into()));
        }
        if let Some(meta) = line.strip_prefix("# ") {
            let mut parts = meta.splitn(3, ' ');
            let (kw, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let arg = parts.next();
            if !is_metric_name(name) {
                return Err(at(format!("bad metric name `{name}`")));
            }
            match kw {
                "TYPE" => {
                    let kind = arg.ok_or_else(|| at("TYPE without a type".into()))?;
                    if ![
                        "counter",
                        "gauge",
                        "summary",
                        "histogram",
                        "unknown",
                        "info",
                        "stateset",
                        "gaugehistogram",
                    ]
                    .contains(&kind)
                    {
                        return Err(at(format!("unknown type `{kind}`")));
                    }
                    if p.families.contains_key(name) {
                        return Err(at(format!("family `{name}` again (interleaved)")));
                    }
                    if let Some(c) = current.replace(name.to_string()) {
                        closed.insert(c);
                    }
                    seen_samples = false;
                    p.order.push(name.to_string());
                    p.families.insert(
                        name.to_string(),
                        Family {
                            kind: kind.to_string(),
                            ..Family::default()
                        },
                    );
                }
                "UNIT" | "HELP" => {
                    if current.as_deref() != Some(name) || seen_samples {
                        return Err(at(format!("{kw} outside its family's metadata")));
                    }
                    let f = p.families.get_mut(name).unwrap();
                    let arg = arg.unwrap_or("").to_string();
                    if kw == "UNIT" {
                        if f.unit.is_some() || !name.ends_with(&format!("_{arg}")) {
                            return Err(at(format!("UNIT `{arg}` is not the name's suffix")));
                        }
                        f.unit = Some(arg);
                    } else {
                        if f.help.is_some() {
                            return Err(at("HELP twice".into()));
                        }
                        f.help = Some(arg);
                    }
                }
                _ => return Err(at(format!("unknown comment `{kw}`"))),
            }
            continue;
        }
        if line.starts_with('#') {
            return Err(at("comment that is not TYPE, UNIT, HELP or EOF".into()));
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_metric_name(name) {
            return Err(at(format!("bad sample name `{name}`")));
        }
        let fam = current
            .clone()
            .ok_or_else(|| at("sample before any TYPE".into()))?;
        let kind = p.families[&fam].kind.clone();
        family_of(name, &fam, &kind).map_err(at)?;
        let (labels, rest) = labels(&line[name_end..]).map_err(at)?;
        let rest = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("no space before the value".into()))?;
        let mut fields = rest.split(' ');
        let value = number(fields.next().unwrap_or("")).map_err(at)?;
        let ts = number(fields.next().ok_or_else(|| at("no timestamp".into()))?).map_err(at)?;
        if fields.next().is_some() {
            return Err(at("more than value and timestamp".into()));
        }
        let key = (name.to_string(), labels.clone());
        if let Some(prev) = last_ts.insert(key, ts)
            && ts < prev
        {
            return Err(at(format!(
                "timestamp {ts} before {prev} in the same series"
            )));
        }
        seen_samples = true;
        p.samples.push(Sample {
            name: name.to_string(),
            family: fam,
            labels,
            value,
            ts,
        });
    }
    Ok(p)
}

#[test]
fn the_parser_rejects_what_the_grammar_does_not_allow() {
    let ok = "# TYPE a gauge\n# HELP a x\na{l=\"v\\\"\\n\\\\\"} 1 10.5\na 2 11\n# EOF\n";
    let p = parse(ok).unwrap();
    assert_eq!(p.samples[0].labels["l"], "v\"\n\\");
    for bad in [
        "# TYPE a gauge\na 1 1\n",                                 // no EOF
        "# TYPE a gauge\na 1 1\n# EOF\nb 1 1\n",                   // after EOF
        "a 1 1\n# EOF\n",                                          // before TYPE
        "# TYPE a gauge\na 1\n# EOF\n",                            // no timestamp
        "# TYPE a gauge\na{l=v} 1 1\n# EOF\n",                     // unquoted
        "# TYPE a gauge\na{l=\"v\",l=\"w\"} 1 1\n# EOF\n",         // label twice
        "# TYPE a gauge\na{l=\"\\t\"} 1 1\n# EOF\n",               // bad escape
        "# TYPE a gauge\na 1 2\na 1 1\n# EOF\n",                   // time goes back
        "# TYPE a counter\na 1 1\n# EOF\n",                        // counter without _total
        "# TYPE a_x gauge\n# UNIT a_x seconds\n# EOF\n",           // unit not the suffix
        "# TYPE a gauge\n# TYPE b gauge\n# TYPE a gauge\n# EOF\n", // interleaved
        "# TYPE a gauge\nb 1 1\n# EOF\n",                          // other family's sample
        "# TYPE a gauge\na 1 1\n# HELP a late\n# EOF\n",           // metadata after samples
        "# TYPE a gauge\na NaN 1\n# EOF\n",                        // not finite
        "# TYPE 1a gauge\n# EOF\n",                                // bad name
    ] {
        assert!(parse(bad).is_err(), "accepted: {bad:?}");
    }
}
