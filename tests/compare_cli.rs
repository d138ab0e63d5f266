//! `slicesim compare` end to end: two runs of the built-in scenario, two replications, two
//! hand-made sweep folders (the S/I contract: `sweep.json` + `points/<id>/summary.json`), and
//! the errors. Expected values are worked by hand from the scenario (comments).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the slicesim binary")
}

fn ok(args: &[&str]) -> String {
    let o = slicesim(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{args:?}: {err}");
    String::from_utf8(o.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let o = slicesim(args);
    assert_eq!(o.status.code(), Some(2), "{args:?} should exit 2");
    String::from_utf8(o.stderr).unwrap()
}

/// The H100 pool with one node instead of two (8 GPUs per node).
const FEWER: &str = "pools.h100-timeslice.nodes=1";

/// Output folders made once: `run` and `run --seeds 1..3`, each as is and with [`FEWER`].
struct Dirs {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Dirs {
    fn get(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

fn dirs() -> &'static Dirs {
    static DIRS: OnceLock<Dirs> = OnceLock::new();
    DIRS.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let d = |n: &str| root.join(n).display().to_string();
        ok(&["run", "--quiet", "--out", &d("a")]);
        ok(&["run", "--quiet", "--out", &d("b"), "--set", FEWER]);
        ok(&["run", "--quiet", "--seeds", "1..3", "--out", &d("ra")]);
        ok(&[
            "run",
            "--quiet",
            "--seeds",
            "1..3",
            "--out",
            &d("rb"),
            "--set",
            FEWER,
        ]);
        Dirs { _tmp: tmp, root }
    })
}

/// The CSV rows by `point` and `path`, each as header -> field.
fn csv_rows(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn field(
    rows: &[std::collections::BTreeMap<String, String>],
    point: &str,
    path: &str,
    col: &str,
) -> String {
    let row = rows
        .iter()
        .find(|r| r["point"] == point && r["path"] == path)
        .unwrap_or_else(|| panic!("no row {point} {path}"));
    row[col].clone()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: `{s}`"))
}

#[test]
fn two_runs_with_fewer_nodes() {
    let d = dirs();
    let (a, b) = (d.get("a"), d.get("b"));
    let rows = csv_rows(&ok(&["compare", &a, &b, "--format", "csv"]));
    // 2 nodes x 8 GPUs = 16 against 1 x 8 = 8: diff -8, relative -8/16 = -50 %.
    let f = |path, col| field(&rows, "", path, col);
    assert_eq!(num(&f("pools.h100-timeslice.gpus", "A_mean")), 16.0);
    assert_eq!(num(&f("pools.h100-timeslice.gpus", "B_mean")), 8.0);
    assert_eq!(num(&f("pools.h100-timeslice.gpus", "B_diff")), -8.0);
    assert_eq!(num(&f("pools.h100-timeslice.gpus", "B_rel_diff")), -0.5);
    // The cost of 8 fewer H100s over the 7-day horizon: 8 x 6.88 $/h x 168 h = 9246.72 $.
    assert!((num(&f("cost.total_usd", "B_diff")) + 9246.72).abs() < 1e-6);
    // Single runs: n 1, no interval, no test.
    assert_eq!(f("cost.total_usd", "B_n"), "1");
    assert_eq!(f("cost.total_usd", "B_ci_low"), "");
    assert_eq!(f("cost.total_usd", "B_p"), "");
    // The table: key figures, no p column, under 100 columns (the folder legend aside).
    let table = ok(&["compare", &a, &b]);
    assert!(table.contains("h100-timeslice GPUs"), "{table}");
    assert!(
        table.contains("No test: a single run has no spread"),
        "{table}"
    );
    let header = table.lines().find(|l| l.starts_with("figure")).unwrap();
    assert!(!header.split_whitespace().any(|w| w == "p"), "{header}");
    for line in table.lines().filter(|l| !l.starts_with(['A', 'B'])) {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    // Deterministic: the same folders give the same bytes.
    assert_eq!(table, ok(&["compare", &a, &b]));
    let md = ok(&["compare", &a, &b, "--format", "md"]);
    assert!(md.contains("| figure | A | B | Δ B−A |"), "{md}");
    assert!(
        md.contains("| pool h100-timeslice GPUs | 16.0 | 8.0 | -8.0 (-50.0%) |"),
        "{md}"
    );
    let json: Value = serde_json::from_str(&ok(&["compare", &a, &b, "--format", "json"])).unwrap();
    assert_eq!(json["sides"][1]["kind"], "run");
    assert_eq!(json["alpha"], 0.05);
}

/// Welch's t and degrees of freedom, written out again from the per-seed values.
fn welch_by_hand(a: &[f64], b: &[f64]) -> (f64, f64) {
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
        (n, m, var / n)
    };
    let ((na, ma, va), (nb, mb, vb)) = (stats(a), stats(b));
    let t = (mb - ma) / (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    (t, df)
}

fn seed_values(dir: &str, path: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(Path::new(dir).join("summary.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let fig = v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap();
    fig["values"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn two_replications_have_a_p_value() {
    let d = dirs();
    let (a, b) = (d.get("ra"), d.get("rb"));
    let table = ok(&["compare", &a, &b]);
    let header = table.lines().find(|l| l.starts_with("figure")).unwrap();
    assert!(header.split_whitespace().any(|w| w == "p"), "{header}");
    assert!(table.contains("p: Welch's t-test"), "{table}");
    let rows = csv_rows(&ok(&["compare", &a, &b, "--format", "csv"]));
    let f = |path, col| field(&rows, "", path, col);
    // GPUs do not vary by seed: 16 against 8 with no spread is p = 0, significant; the
    // untouched A100 pool (32 and 32) is p = 1.
    assert_eq!(num(&f("pools.h100-timeslice.gpus", "B_p")), 0.0);
    assert_eq!(f("pools.h100-timeslice.gpus", "B_significant"), "true");
    assert_eq!(num(&f("pools.a100-timeslice.gpus", "B_p")), 1.0);
    assert_eq!(f("pools.a100-timeslice.gpus", "B_significant"), "false");
    // A figure that varies: t and df as worked from the seeds' values.
    let path = "pools.h100-timeslice.busy";
    let (t, df) = welch_by_hand(&seed_values(&a, path), &seed_values(&b, path));
    assert!((num(&f(path, "B_t")) - t).abs() < 1e-9 * t.abs().max(1.0));
    assert!((num(&f(path, "B_df")) - df).abs() < 1e-9 * df);
    let p = num(&f(path, "B_p"));
    assert!((0.0..=1.0).contains(&p));
    // A run against a replication: the p column says "no test".
    let mixed = ok(&["compare", &d.get("a"), &b, "--only", "cost.total_usd"]);
    assert!(mixed.contains("no test"), "{mixed}");
    // The run's priorities (by value in its summary) take the replication's PriorityClass
    // names: production-inference (1000) is one row with both sides.
    let rows = csv_rows(&ok(&["compare", &d.get("a"), &b, "--format", "csv"]));
    let f = |path, col| field(&rows, "", path, col);
    let path = "priorities.production-inference.jobs.completed";
    assert!(!f(path, "A_mean").is_empty() && !f(path, "B_mean").is_empty());
    assert!(
        !rows
            .iter()
            .any(|r| r["path"].starts_with("priorities.1000."))
    );
}

/// A sweep folder by the contract: `sweep.json` and each point's replication summary.
fn sweep(root: &Path, name: &str, points: &[(&str, &str)]) -> String {
    let dir = root.join(name);
    for (id, from) in points {
        let p = dir.join("points").join(id);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::copy(Path::new(from).join("summary.json"), p.join("summary.json")).unwrap();
    }
    let ids: Vec<Value> = points
        .iter()
        .map(|(id, _)| serde_json::json!({"id": id, "assignments": {"pools.h100-timeslice.nodes": 2}}))
        .collect();
    let manifest = serde_json::json!({
        "format": "slicesim-sweep/1",
        "axes": [{"path": "pools.h100-timeslice.nodes", "values": [1, 2]}],
        "points": ids,
        "seeds": [1, 2, 3],
        "provenance": {"tool": "slicesim"},
    });
    std::fs::write(dir.join("sweep.json"), manifest.to_string()).unwrap();
    dir.display().to_string()
}

#[test]
fn sweeps_compare_point_by_point() {
    let d = dirs();
    let t = tempfile::tempdir().unwrap();
    let (ra, rb) = (d.get("ra"), d.get("rb"));
    let s1 = sweep(t.path(), "s1", &[("p0", &ra), ("p1", &rb)]);
    let s2 = sweep(t.path(), "s2", &[("p1", &ra), ("p0", &rb), ("p2", &ra)]);
    let rows = csv_rows(&ok(&[
        "compare",
        &s1,
        &s2,
        "--format",
        "csv",
        "--only",
        "pools.*.gpus",
    ]));
    let gpus = "pools.h100-timeslice.gpus";
    // p0: 16 GPUs in s1, 8 in s2 (-8); p1: 8 then 16 (+8); p2 only in s2: no difference.
    assert_eq!(num(&field(&rows, "p0", gpus, "B_diff")), -8.0);
    assert_eq!(num(&field(&rows, "p1", gpus, "B_diff")), 8.0);
    assert_eq!(field(&rows, "p2", gpus, "B_diff"), "");
    assert_eq!(field(&rows, "p2", gpus, "A_mean"), "");
    let points: Vec<&str> = rows.iter().map(|r| r["point"].as_str()).collect();
    assert_eq!(points.first(), Some(&"p0"), "s1's order first");
    assert_eq!(points.last(), Some(&"p2"));
    let table = ok(&["compare", &s1, &s2]);
    assert!(
        table.contains("== point p1") && table.contains("(sweep, 3 points;"),
        "{table}"
    );
    let e = fails(&["compare", &s1, &ra]);
    assert!(
        e.contains("a sweep compares only with another sweep"),
        "{e}"
    );
}

#[test]
fn unreadable_folders_exit_2() {
    let d = dirs();
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("missing").display().to_string();
    let e = fails(&["compare", &d.get("a"), &missing]);
    assert!(e.contains("missing: no such folder"), "{e}");
    let foreign = t.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("summary.json"), r#"{"accuracy": 0.9}"#).unwrap();
    let e = fails(&["compare", &d.get("a"), &foreign.display().to_string()]);
    assert!(e.contains("not a slicesim output"), "{e}");
    let e = fails(&["compare", &d.get("a"), &d.get("b"), "--only", "nothing.*"]);
    assert!(e.contains("matches no figure"), "{e}");
    // One folder is a usage error (clap), also exit 2.
    fails(&["compare", &d.get("a")]);
}
