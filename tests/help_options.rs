//! Issue 11 item 5: each subcommand's `--help` lists exactly the options that apply to it.
//! The table below is the audited set per command; a command added to the tree without an
//! entry here, or an option that appears or disappears, fails the test. The HIL harness's
//! `--nvml-lib`, `--read-only` and `--lock` used to be listed under every `hil` subcommand
//! (clap `global`), also under those that never load NVML or take the lock.

use std::process::Command;

/// Command path -> the long options its help lists (besides `--help` and `--version`).
const EXPECTED: &[(&str, &[&str])] = &[
    ("", &[]),
    (
        "run",
        &[
            "--out",
            "--seed",
            "--seeds",
            "--half-width",
            "--jobs",
            "--policy",
            "--quiet",
            "--wide",
            "--format",
            "--trace",
            "--trace-format",
            "--strict",
            "--profile",
            "--scale",
            "--openmetrics",
            "--openmetrics-start",
            "--png",
            "--no-baseline",
            "--set",
        ],
    ),
    ("validate", &["--set"]),
    ("compare", &["--format", "--only", "--all"]),
    (
        "check",
        &[
            "--expect",
            "--baseline",
            "--seeds",
            "--junit",
            "--summary",
            "--update-baseline",
            "--out",
            "--set",
        ],
    ),
    (
        "size",
        &[
            "--axis",
            "--range",
            "--until",
            "--seeds",
            "--confidence",
            "--out",
            "--format",
            "--set",
        ],
    ),
    (
        "sensitivity",
        &[
            "--delta",
            "--range",
            "--only-ranges",
            "--figure",
            "--seeds",
            "--top",
            "--out",
            "--quiet",
            "--set",
        ],
    ),
    ("mig", &[]),
    ("mig layouts", &["--gpu", "--maximal"]),
    ("catalog", &[]),
    (
        "import",
        &[
            "--nodes",
            "--device-plugin",
            "--device-plugin-default",
            "--mig-parted",
            "--manifests",
            "--out",
            "--name",
            "--fragment",
        ],
    ),
    ("experiment", &[]),
    (
        "experiment fgd",
        &[
            "--pods",
            "--workloads",
            "--select",
            "--nodes",
            "--policy",
            "--seed",
            "--tune",
            "--out",
            "--records",
            "--threads",
        ],
    ),
    ("hil", &["--nvml-lib", "--lock", "--read-only"]),
    (
        "hil inventory",
        &["--gpu", "--json", "--nvml-lib", "--read-only"],
    ),
    (
        "hil plan",
        &["--pool", "--gpu", "--nvml-lib", "--read-only"],
    ),
    (
        "hil apply",
        &[
            "--pool",
            "--gpu",
            "--yes",
            "--allow-mode-change",
            "--force",
            "--state",
            "--nvml-lib",
            "--read-only",
            "--lock",
        ],
    ),
    (
        "hil restore",
        &[
            "--state",
            "--yes",
            "--allow-mode-change",
            "--force",
            "--nvml-lib",
            "--read-only",
            "--lock",
        ],
    ),
    (
        "hil measure",
        &[
            "--out",
            "--probe-cmd",
            "--force",
            "--nvml-lib",
            "--read-only",
            "--lock",
        ],
    ),
    (
        "hil compare",
        &["--scenario", "--tolerance", "--json", "--reference"],
    ),
    ("hil calibrate", &["--out", "--scenario", "--tolerance"]),
    (
        "hil guard",
        &[
            "--gpu",
            "--timeslice-ready",
            "--same-as",
            "--json",
            "--nvml-lib",
            "--read-only",
        ],
    ),
    (
        "hil probe",
        &[
            "--u",
            "--d",
            "--seconds",
            "--warmup",
            "--kernel-ms",
            "--gpu-sms",
            "--iters",
            "--kernel-ms-target",
            "--kind",
            "--idle",
            "--start-at",
            "--stop-at",
            "--mem-mib",
            "--hold",
        ],
    ),
    ("hil fake-nvml", &["--out", "--gpus"]),
    (
        "sweep",
        &[
            "--out",
            "--jobs",
            "--keep-runs",
            "--quiet",
            "--shard",
            "--shard-count",
            "--seeds",
            "--set",
        ],
    ),
    ("merge", &["--out", "--quiet"]),
    ("schema", &["--out"]),
    ("trace", &[]),
    ("trace import", &["--format", "--map", "--strict", "--out"]),
    ("trace stats", &["--format", "--map", "--strict", "--json"]),
    (
        "trace fit",
        &["--format", "--map", "--strict", "--out", "--busiest"],
    ),
    ("trace pools", &["--out", "--sharing", "--strict"]),
    ("trace generate", &["--out", "--scale", "--seed", "--span"]),
    ("completions", &[]),
    ("man", &["--out"]),
];

fn help(path: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(path.split_whitespace())
        .arg("-h")
        .output()
        .expect("run slicesim");
    assert!(out.status.success(), "slicesim {path} -h failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The lines of a section (`Options:`, `Commands:`) of a short help text.
fn section<'a>(help: &'a str, name: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| l.trim() != name)
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .collect()
}

/// The long option each entry of `Options:` starts with (an entry starts at most 6 columns in;
/// the names descriptions mention are not entries).
fn options(help: &str) -> Vec<String> {
    section(help, "Options:")
        .into_iter()
        .filter(|l| l.len() - l.trim_start().len() <= 6 && l.trim_start().starts_with('-'))
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("--"))
                .map(|w| w.trim_end_matches(',').to_string())
        })
        .filter(|o| o != "--help" && o != "--version")
        .collect()
}

/// Every command path below `path`, depth first.
fn tree(path: &str, out: &mut Vec<String>) {
    out.push(path.to_string());
    let text = help(path);
    for l in section(&text, "Commands:") {
        if l.starts_with("   ") {
            continue; // a wrapped description
        }
        if let Some(name) = l.split_whitespace().next().filter(|n| *n != "help") {
            tree(format!("{path} {name}").trim(), out);
        }
    }
}

#[test]
fn every_subcommand_lists_exactly_its_own_options() {
    let mut paths = Vec::new();
    tree("", &mut paths);
    let known: Vec<&str> = EXPECTED.iter().map(|(p, _)| *p).collect();
    for p in &paths {
        assert!(
            known.contains(&p.as_str()),
            "`slicesim {p}` has no entry in EXPECTED"
        );
    }
    for (path, expected) in EXPECTED {
        assert!(
            paths.iter().any(|p| p == path),
            "no command `slicesim {path}`"
        );
        let got = options(&help(path));
        assert_eq!(got, *expected, "options listed by `slicesim {path} -h`");
    }
}

#[test]
fn hil_options_are_accepted_before_and_after_the_subcommand() {
    // `--read-only` before or after `apply`: refused before NVML is loaded (exit 4) either way,
    // although the library path does not exist.
    for args in [
        &[
            "hil",
            "--read-only",
            "--nvml-lib",
            "/nonexistent",
            "apply",
            "x.yaml",
            "--pool",
            "p",
            "--yes",
        ][..],
        &[
            "hil",
            "apply",
            "x.yaml",
            "--pool",
            "p",
            "--yes",
            "--read-only",
            "--nvml-lib",
            "/nonexistent",
        ][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
            .args(args)
            .output()
            .expect("run slicesim");
        assert_eq!(
            out.status.code(),
            Some(4),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Options of the harness are no options of the commands that do not use them.
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args([
            "hil",
            "calibrate",
            "m.json",
            "-o",
            "c.yaml",
            "--lock",
            "/tmp/l",
        ])
        .output()
        .expect("run slicesim");
    assert_eq!(out.status.code(), Some(2), "a usage error");
}
