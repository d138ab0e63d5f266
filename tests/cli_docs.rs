//! The command line documents itself: every command's `--help` has a description and examples,
//! `slicesim completions SHELL` prints a script naming the subcommands, `slicesim man` writes
//! a page per command. All through the binary.

use std::path::Path;
use std::process::{Command, Output};

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .output()
        .expect("run slicesim")
}

fn stdout_ok(args: &[&str]) -> String {
    let o = slicesim(args);
    assert!(
        o.status.success(),
        "slicesim {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

/// The names listed under `Commands:` in a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A description wrapped onto the next line is indented further than a name.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n != "help")
        .collect()
}

/// Every command path of the tree below `path` (depth first, `path` itself first).
fn walk(path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = stdout_ok(&args);
    let subs = subcommands(&help);
    out.push((path.clone(), help));
    for s in subs {
        let mut p = path.clone();
        p.push(s);
        walk(p, out);
    }
}

const TOP_LEVEL: [&str; 17] = [
    "run",
    "validate",
    "compare",
    "check",
    "size",
    "mig",
    "catalog",
    "import",
    "experiment",
    "hil",
    "sweep",
    "merge",
    "trace",
    "completions",
    "man",
    // Two from the groups, to be sure the walk goes down.
    "trace import",
    "hil fake-nvml",
];

#[test]
fn every_command_has_a_description_and_examples() {
    let mut all = Vec::new();
    walk(Vec::new(), &mut all);
    let names: Vec<String> = all.iter().map(|(p, _)| p.join(" ")).collect();
    for want in TOP_LEVEL {
        assert!(
            names.iter().any(|n| n == want),
            "{want} not found in {names:?}"
        );
    }
    for (path, help) in &all {
        let name = format!("slicesim {}", path.join(" "));
        let first = help.lines().next().unwrap_or("");
        assert!(
            !first.trim().is_empty() && !first.starts_with("Usage:"),
            "{name}: no description:\n{help}"
        );
        assert!(help.contains("Examples:"), "{name}: no examples:\n{help}");
        // The examples name the command they are about.
        let example = help
            .split("Examples:")
            .nth(1)
            .and_then(|e| e.lines().nth(1))
            .unwrap_or("");
        assert!(
            example.trim_start().starts_with("slicesim"),
            "{name}: first example is not a command line: {example:?}"
        );
    }
}

#[test]
fn run_help_shows_its_own_examples_and_the_set_examples() {
    let help = stdout_ok(&["run", "--help"]);
    assert!(help.contains("slicesim run --seeds 1..10"), "{help}");
    assert!(
        help.contains("--set pools.h100-timeslice.nodes=3"),
        "{help}"
    );
}

#[test]
fn completion_scripts_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_ok(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for sub in ["run", "sweep", "trace", "completions", "man"] {
            assert!(script.contains(sub), "{shell}: `{sub}` missing");
        }
    }
    // fish names each subcommand with `-a NAME`, zsh lists `'run:...'`.
    assert!(stdout_ok(&["completions", "fish"]).contains("-a \"run\""));
    assert!(stdout_ok(&["completions", "zsh"]).contains("'run:"));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let o = slicesim(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn man_prints_the_top_page() {
    let page = stdout_ok(&["man"]);
    assert!(page.contains(".TH slicesim 1"), "{page}");
    assert!(page.contains(".SH NAME"));
    for sub in ["run", "sweep", "trace", "completions", "man"] {
        assert!(page.contains(sub), "top page does not list `{sub}`");
    }
}

#[test]
fn man_out_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    stdout_ok(&["man", "--out", out.to_str().unwrap()]);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    for want in [
        "slicesim.1",
        "slicesim-run.1",
        "slicesim-trace.1",
        "slicesim-trace-import.1",
        "slicesim-hil-fake-nvml.1",
        "slicesim-man.1",
    ] {
        assert!(files.iter().any(|f| f == want), "{want} not in {files:?}");
    }
    // No temporary file is left behind.
    assert!(files.iter().all(|f| f.ends_with(".1")), "{files:?}");
    let run = read(&out.join("slicesim-run.1"));
    assert!(run.contains(".TH slicesim-run 1"), "{run}");
    assert!(run.contains(".SH NAME"));
    assert!(run.contains("\\-\\-seeds"), "run page lacks its options");
    assert!(run.contains("Examples:"));
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn run_format_json_prints_the_summary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = slicesim(&[
        "run",
        "--set",
        "horizon=6h",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Standard output is exactly summary.json: nothing else is printed there.
    assert_eq!(o.stdout, std::fs::read(out.join("summary.json")).unwrap());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["pools"].as_array().is_some_and(|p| !p.is_empty()));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrote "));
}
