//! Golden outputs: the safety net for refactoring. Every scenario in `scenarios/` is run (the
//! 1M/100k-job benches with fewer jobs) and validated, the main commands are run on the project's
//! own files, and the FGD experiment runs on two seeds when `../shared/traces` is present. Each
//! case's output files, standard output, standard error and exit code are compared byte for byte
//! with `tests/golden/<case>/`; files over 256 KiB are stored as a SHA-256 (`<file>.sha256`).
//!
//! Regenerate after a deliberate change (and say why in the commit message):
//!
//! ```sh
//! SLICESIM_BLESS=1 cargo test --test golden
//! ```

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files larger than this are stored as their SHA-256.
const HASH_ABOVE: usize = 256 * 1024;
/// The benches' job caps become this, so the test runs in seconds in a debug build.
const BENCH_JOBS: u64 = 20_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared_traces() -> Option<PathBuf> {
    let p = root().join("../shared/traces");
    p.is_dir().then_some(p)
}

fn blessing() -> bool {
    std::env::var_os("SLICESIM_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// One command whose outputs are compared.
struct Case {
    /// Folder under tests/golden/.
    name: String,
    args: Vec<String>,
    /// Working directory (paths in the arguments are relative to it).
    cwd: PathBuf,
}

/// What a case produced: file name -> bytes (outputs written to `out/`, plus `stdout.txt`,
/// `stderr.txt` and `exit.txt`).
type Produced = BTreeMap<String, Vec<u8>>;

/// Replaces machine-specific paths so the outputs compare across checkouts.
fn paths(text: &[u8], out: &Path) -> String {
    String::from_utf8_lossy(text)
        .replace(&out.display().to_string(), "<OUT>")
        .replace(&root().display().to_string(), "<ROOT>")
}

/// `git describe` of the build changes with every commit: the provenance block's
/// `"git_describe": "..."` value (and its cell in report.html) is compared as `<GIT>`.
fn git_describe(text: String) -> String {
    let text = replace_value(text, "\"git_describe\": \"", '"');
    replace_value(text, "data-key=\"/provenance/git_describe\">", '<')
}

/// Every value between `key` and the next `end` replaced by `<GIT>`.
fn replace_value(text: String, key: &str, end: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find(key) {
        let value = &rest[i + key.len()..];
        let stop = value.find(end).unwrap_or(value.len());
        out.push_str(&rest[..i + key.len()]);
        out.push_str("<GIT>");
        rest = &value[stop..];
    }
    out.push_str(rest);
    out
}

/// Standard output or error: paths replaced, wall-clock timing lines dropped.
fn normalize(text: &[u8], out: &Path) -> Vec<u8> {
    let text = paths(text, out);
    // Wall-clock timings are the only nondeterministic lines; drop them.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.contains(" events in ") && l.contains(" s (")))
        .filter(|l| !(l.contains(" run(s) in ") && l.contains(" thread(s)")))
        .collect();
    let mut s = kept.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s.into_bytes()
}

fn run_case(case: &Case) -> Produced {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    // Commands that write one file need the folder; run accepts an existing empty one.
    std::fs::create_dir(&out).unwrap();
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{OUT}", &out.display().to_string()))
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(&args)
        .current_dir(&case.cwd)
        .output()
        .expect("run the slicesim binary");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{}: panic: {stderr}",
        case.name
    );
    let mut produced = Produced::new();
    produced.insert(
        "exit.txt".into(),
        format!("{:?}\n", o.status.code()).into_bytes(),
    );
    produced.insert("stdout.txt".into(), normalize(&o.stdout, &out));
    produced.insert("stderr.txt".into(), normalize(&o.stderr, &out));
    if out.is_dir() {
        let mut files = Produced::new();
        collect(&out, &out, "out/", &mut files);
        for (name, bytes) in files {
            // Text files may name their inputs (a fitted profile names its trace).
            let bytes = match std::str::from_utf8(&bytes) {
                Ok(_) => git_describe(paths(&bytes, &out)).into_bytes(),
                Err(_) => bytes,
            };
            produced.insert(name, bytes);
        }
    }
    produced
}

/// Adds every file under `dir` as `prefix` + its path relative to `base`.
fn collect(base: &Path, dir: &Path, prefix: &str, into: &mut Produced) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(base, &p, prefix, into);
        } else {
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            into.insert(format!("{prefix}{rel}"), std::fs::read(&p).unwrap());
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The stored form: name -> bytes, large files replaced by `<name>.sha256`.
fn stored_form(produced: &Produced) -> Produced {
    produced
        .iter()
        .map(|(name, bytes)| {
            if bytes.len() > HASH_ABOVE {
                (
                    format!("{name}.sha256"),
                    format!("{}  {} bytes\n", sha256(bytes), bytes.len()).into_bytes(),
                )
            } else {
                (name.clone(), bytes.clone())
            }
        })
        .collect()
}

fn golden_dir(case: &str) -> PathBuf {
    root().join("tests/golden").join(case)
}

fn read_golden(dir: &Path) -> Produced {
    let mut g = Produced::new();
    if dir.is_dir() {
        collect(dir, dir, "", &mut g);
    }
    g
}

/// Runs the cases and compares (or, when blessing, rewrites) their golden files; fails with
/// every mismatch listed.
fn check(cases: &[Case]) {
    let mut problems = Vec::new();
    for case in cases {
        let stored = stored_form(&run_case(case));
        let dir = golden_dir(&case.name);
        if blessing() {
            let _ = std::fs::remove_dir_all(&dir);
            for (name, bytes) in &stored {
                let p = dir.join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, bytes).unwrap();
            }
            continue;
        }
        let expected = read_golden(&dir);
        if expected.is_empty() {
            problems.push(format!(
                "{}: no golden files in {} (SLICESIM_BLESS=1 cargo test --test golden)",
                case.name,
                dir.display()
            ));
            continue;
        }
        for name in expected.keys().chain(stored.keys()) {
            match (expected.get(name), stored.get(name)) {
                (Some(e), Some(a)) if e == a => {}
                (Some(_), Some(a)) => {
                    let first = first_difference(&expected[name], a);
                    problems.push(format!("{}/{name}: differs{first}", case.name));
                }
                (Some(_), None) => problems.push(format!("{}/{name}: not produced", case.name)),
                (None, Some(_)) => problems.push(format!("{}/{name}: new file", case.name)),
                (None, None) => unreachable!(),
            }
        }
    }
    problems.dedup();
    assert!(
        problems.is_empty(),
        "golden outputs differ (if intended: SLICESIM_BLESS=1 cargo test --test golden, and say \
         why in the commit):\n{}",
        problems.join("\n")
    );
}

/// The first differing line, for the failure message.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let (e, a) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual),
    );
    for (i, (x, y)) in e.lines().zip(a.lines()).enumerate() {
        if x != y {
            return format!(" at line {}:\n  expected: {x}\n  actual:   {y}", i + 1);
        }
    }
    format!(" ({} vs {} lines)", e.lines().count(), a.lines().count())
}

fn case(name: &str, cwd: &Path, args: &[&str]) -> Case {
    Case {
        name: name.to_string(),
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd: cwd.to_path_buf(),
    }
}

/// The scenario files in scenarios/, sorted; those reading ../shared/traces are left out (with a
/// notice) when that folder is absent.
fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.retain(|n| {
        let text = std::fs::read_to_string(root().join(format!("scenarios/{n}.yaml"))).unwrap();
        let needs_shared = text.contains("shared/traces/");
        if needs_shared && shared_traces().is_none() {
            println!("notice: ../shared/traces is absent; skipping the golden run of {n}");
            return false;
        }
        true
    });
    names
}

/// A copy of a bench scenario with its job cap lowered to [`BENCH_JOBS`].
fn reduced_bench(name: &str, into: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join(format!("scenarios/{name}.yaml"))).unwrap();
    let mut changed = false;
    let text: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("max_jobs:") {
                changed = true;
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}max_jobs: {BENCH_JOBS}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(changed, "{name}.yaml: no max_jobs line to reduce");
    let p = into.join(format!("{name}.yaml"));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn every_scenario_runs_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<Case> = scenarios()
        .iter()
        .map(|n| {
            if n.starts_with("bench-") {
                reduced_bench(n, tmp.path());
                case(
                    &format!("run-{n}"),
                    tmp.path(),
                    &["run", &format!("{n}.yaml"), "--out", "{OUT}"],
                )
            } else {
                let file = format!("scenarios/{n}.yaml");
                case(
                    &format!("run-{n}"),
                    &root(),
                    &["run", &file, "--out", "{OUT}"],
                )
            }
        })
        .collect();
    check(&cases);
}

#[test]
fn every_scenario_validates_as_before() {
    let cases: Vec<Case> = scenarios()
        .iter()
        .map(|n| {
            let file = format!("scenarios/{n}.yaml");
            case(&format!("validate-{n}"), &root(), &["validate", &file])
        })
        .collect();
    check(&cases);
}

#[test]
fn commands_print_as_before() {
    let r = root();
    let mut cases = vec![
        case("catalog", &r, &["catalog"]),
        case(
            "mig-layouts-a100",
            &r,
            &["mig", "layouts", "--gpu", "A100-80GB"],
        ),
        case(
            "mig-layouts-h200-maximal",
            &r,
            &["mig", "layouts", "--gpu", "H200-141GB", "--maximal"],
        ),
        case(
            "run-builtin-seed3-best-fit",
            &r,
            &[
                "run", "--seed", "3", "--policy", "best-fit", "--out", "{OUT}", "--quiet",
            ],
        ),
        case(
            "run-builtin-scale2-spread",
            &r,
            &[
                "run", "--scale", "2", "--policy", "spread", "--out", "{OUT}",
            ],
        ),
        case(
            "run-trace-override",
            &r,
            &[
                "run",
                "scenarios/seed-strategy.yaml",
                "--trace",
                "traces/small-mixed.csv",
                "--out",
                "{OUT}",
            ],
        ),
        case(
            "run-trace-example-spread",
            &r,
            &[
                "run",
                "scenarios/trace-example.yaml",
                "--policy",
                "spread",
                "--seed",
                "9",
                "--out",
                "{OUT}",
            ],
        ),
        case(
            "trace-stats",
            &r,
            &["trace", "stats", "traces/small-mixed.csv"],
        ),
        case(
            "trace-stats-json",
            &r,
            &["trace", "stats", "traces/small-mixed.csv", "--json"],
        ),
        case(
            "trace-import",
            &r,
            &[
                "trace",
                "import",
                "traces/small-mixed.csv",
                "-o",
                "{OUT}/native.csv",
            ],
        ),
        case(
            "trace-fit",
            &r,
            &[
                "trace",
                "fit",
                "traces/small-mixed.csv",
                "-o",
                "{OUT}/profile.yaml",
            ],
        ),
        case(
            "import-k8s",
            &r,
            &[
                "import",
                "--nodes",
                "scenarios/k8s/nodes.json",
                "--device-plugin",
                "scenarios/k8s/device-plugin-config.yaml",
                "--mig-parted",
                "scenarios/k8s/mig-parted-config.yaml",
                "--manifests",
                "scenarios/k8s/cluster-policy.yaml",
            ],
        ),
        case(
            "import-k8s-fragment",
            &r,
            &[
                "import",
                "--manifests",
                "scenarios/k8s/cluster-policy.yaml",
                "--fragment",
            ],
        ),
        case(
            "hil-compare",
            &r,
            &[
                "hil",
                "compare",
                "hil/measurements/fake-a100-80gb-mig-3g-2g-2g.json",
                "hil/measurements/fake-a100-80gb-timeslice.json",
                "hil/measurements/fake-h100-80gb-timeslice.json",
            ],
        ),
    ];
    if let Some(t) = shared_traces() {
        let t = t.display().to_string();
        let nodes = format!("{t}/openb/openb_node_list_gpu_node.csv");
        let philly = format!("{t}/philly/philly.csv");
        let azure = format!("{t}/azure-llm-2023/AzureLLMInferenceTrace_code.csv");
        cases.push(case("trace-pools-openb", &r, &["trace", "pools", &nodes]));
        cases.push(case("trace-stats-philly", &r, &["trace", "stats", &philly]));
        cases.push(case(
            "trace-stats-azure-code",
            &r,
            &["trace", "stats", &azure],
        ));
        cases.push(case(
            "trace-fit-philly",
            &r,
            &[
                "trace",
                "fit",
                &philly,
                "-o",
                "{OUT}/philly.yaml",
                "--busiest",
                "0.98",
            ],
        ));
    } else {
        println!("notice: ../shared/traces is absent; skipping the golden trace commands");
    }
    check(&cases);
}

#[test]
fn generated_trace_is_as_before() {
    // Generate from a committed scenario used as a profile: covers `trace generate`.
    let r = root();
    check(&[case(
        "trace-generate",
        &r,
        &[
            "trace",
            "generate",
            "scenarios/seed-strategy.yaml",
            "-o",
            "{OUT}/gen.csv",
            "--seed",
            "5",
            "--span",
            "2d",
        ],
    )]);
}

#[test]
fn fgd_experiment_is_as_before() {
    let Some(t) = shared_traces() else {
        println!("notice: ../shared/traces is absent; skipping the golden FGD experiment");
        return;
    };
    let pods = format!("{}/openb/openb_pod_list_default.csv", t.display());
    let r = root();
    check(&[case(
        "fgd-default-2-seeds",
        &r,
        &[
            "experiment",
            "fgd",
            "--pods",
            &pods,
            "--policies",
            "fgd,best-fit",
            "--seeds",
            "42,43",
            "--out",
            "{OUT}",
            "--threads",
            "2",
        ],
    )]);
}
