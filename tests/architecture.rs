//! The dependency rule of docs/ARCHITECTURE.md, checked on the source: every `crate::X` a
//! library file names must be a module its own module may depend on. Arrows point down, so
//! there is no cycle between top-level modules either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module -> the modules it may use (besides itself). `units` (simulated time) is the floor
/// every layer may stand on; everything else follows DESIGN.md's rule.
const RULES: &[(&str, &[&str])] = &[
    ("limits", &[]),
    ("outfile", &[]),
    ("yaml", &[]),
    ("units", &[]),
    ("domain", &["units"]),
    ("engine", &["units"]),
    ("perf", &[]),
    ("catalog", &[]),
    ("metrics", &["units"]),
    ("cluster", &["domain", "catalog", "units"]),
    ("sched", &["cluster", "domain", "catalog", "units"]),
    ("trace", &["domain", "catalog", "units"]),
    (
        "workload",
        &["trace", "domain", "catalog", "units", "engine", "metrics"],
    ),
    (
        "scenario",
        &["workload", "trace", "domain", "catalog", "units", "perf"],
    ),
    (
        "world",
        &[
            "scenario", "workload", "trace", "sched", "cluster", "perf", "catalog", "domain",
            "units",
        ],
    ),
    (
        "sim",
        &[
            "world", "scenario", "workload", "trace", "sched", "cluster", "perf", "catalog",
            "domain", "units", "engine", "metrics",
        ],
    ),
    (
        "report",
        &[
            "sim", "world", "scenario", "workload", "trace", "sched", "cluster", "perf", "catalog",
            "domain", "units", "metrics",
        ],
    ),
    (
        "run",
        &[
            "report", "sim", "world", "scenario", "workload", "trace", "sched", "cluster", "perf",
            "catalog", "domain", "units", "metrics", "engine",
        ],
    ),
    (
        "sweep",
        &[
            "run", "report", "sim", "world", "scenario", "workload", "trace", "sched", "cluster",
            "perf", "catalog", "domain", "units", "metrics", "engine",
        ],
    ),
    (
        "check",
        &[
            "sweep", "run", "report", "sim", "world", "scenario", "workload", "trace", "sched",
            "cluster", "perf", "catalog", "domain", "units", "metrics", "engine",
        ],
    ),
    (
        "hil",
        &[
            "world", "scenario", "workload", "trace", "sched", "cluster", "perf", "catalog",
            "domain", "units", "metrics",
        ],
    ),
    ("experiments", &["trace", "engine", "units"]),
];

/// Leaves every module may use, with no dependencies of their own: `limits` (named size
/// limits), `outfile` (atomic output files) and `yaml` (YAML errors worded for users).
const FLOOR: &[&str] = &["limits", "outfile", "yaml"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a file names through `crate::`, including `use crate::{a, b::c}`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // A grouped import: take each top-level item of the braces.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        push_first_segment(&item, &mut refs);
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            push_first_segment(&item, &mut refs);
        } else {
            push_first_segment(rest, &mut refs);
        }
    }
    refs
}

fn push_first_segment(s: &str, refs: &mut BTreeSet<String>) {
    let name: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !name.is_empty() && name != "self" {
        refs.insert(name);
    }
}

#[test]
fn library_modules_depend_only_downwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: BTreeMap<&str, BTreeSet<&str>> = RULES
        .iter()
        .map(|(m, d)| (*m, d.iter().copied().collect()))
        .collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel.iter().next().unwrap().to_string_lossy();
        let module = top.trim_end_matches(".rs");
        if matches!(module, "main" | "cli" | "lib") {
            continue; // the binary may use anything; lib.rs only declares modules
        }
        let Some(allowed) = rules.get(module) else {
            problems.push(format!(
                "{}: module `{module}` has no rule here",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for r in crate_refs(&text) {
            if r != module && !allowed.contains(r.as_str()) && !FLOOR.contains(&r.as_str()) {
                problems.push(format!("{}: `{module}` uses `crate::{r}`", rel.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "dependency rule broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_rules_have_no_cycle() {
    // Depth-first search over RULES: a module reached again while on the stack is a cycle.
    fn visit<'a>(
        m: &'a str,
        rules: &BTreeMap<&'a str, &'a [&'a str]>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        assert!(!stack.contains(&m), "cycle: {stack:?} -> {m}");
        if done.contains(m) {
            return;
        }
        stack.push(m);
        for d in rules.get(m).copied().unwrap_or_default() {
            visit(d, rules, stack, done);
        }
        stack.pop();
        done.insert(m);
    }
    let rules: BTreeMap<&str, &[&str]> = RULES.iter().copied().collect();
    let mut done = BTreeSet::new();
    for (m, _) in RULES {
        visit(m, &rules, &mut Vec::new(), &mut done);
    }
}

#[test]
fn trace_formats_do_not_import_the_dispatcher() {
    // The dispatcher (trace/import.rs) reads every format; a format naming it is a cycle.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/trace/formats");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(
        !files.is_empty(),
        "src/trace/formats/ holds the trace formats"
    );
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // From formats/x.rs, `super::super` is trace/.
        let direct = f.parent() == Some(dir.as_path());
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let via_super = direct && line.contains("super::super::import");
            assert!(
                !line.contains("trace::import") && !via_super,
                "{}: a format uses the dispatcher: {line}",
                f.display()
            );
        }
    }
}

#[test]
fn the_parser_finds_grouped_and_plain_paths() {
    let refs = crate_refs("use crate::{a::X, b, c::{d, e}};\nlet x = crate::f::g();");
    let got: Vec<&str> = refs.iter().map(String::as_str).collect();
    assert_eq!(got, ["a", "b", "c", "f"]);
}
