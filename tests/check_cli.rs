//! `slicesim check` through the binary: the gate passes on the scenario its baseline came from
//! (exit 0), fails on a deliberately worse one (exit 1) with JUnit XML a standard XML parser
//! reads and a Markdown table, and refuses bad input with exit 2.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("slicesim runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Expectations against a baseline, plus one absolute bound.
const GATE: &str = "\
# regression gate
- cost.total <= 1.05 * baseline
- name: waits
  expect: classes.*.wait_p95 <= 1.1 * baseline + 60s
- pools.a100-timeslice.busy >= 10%
";

/// (test cases, failures, names of the failing cases), counted element by element.
fn read_junit(xml: &str) -> (usize, usize, Vec<String>) {
    let mut r = Reader::from_str(xml);
    let (mut cases, mut failures, mut failed) = (0, 0, Vec::new());
    let mut current = String::new();
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => {
                    cases += 1;
                    let name = e.try_get_attribute("name").unwrap().expect("a name");
                    current = name
                        .normalized_value(XmlVersion::Implicit1_0)
                        .unwrap()
                        .into();
                }
                b"failure" => {
                    failures += 1;
                    failed.push(current.clone());
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, failures, failed)
}

#[test]
fn passes_against_its_own_baseline_and_fails_on_a_worse_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let expect = dir.path().join("expect.yaml");
    std::fs::write(&expect, GATE).unwrap();
    let base = dir.path().join("base");
    let out = dir.path().join("out");
    let o = slicesim(&[
        "check",
        "--expect",
        s(&expect),
        "--baseline",
        s(&base),
        "--update-baseline",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The baseline is the run's summary.json, byte for byte.
    let written = std::fs::read(base.join("summary.json")).unwrap();
    assert_eq!(written, std::fs::read(out.join("summary.json")).unwrap());

    // Unchanged scenario: every figure equals its baseline, so every bound holds
    // (b <= 1.05 b and b <= 1.1 b + 60 s for b >= 0). 1 + 8 classes + 1 = 10 cases.
    let (junit, md) = (dir.path().join("ok.xml"), dir.path().join("ok.md"));
    let o = slicesim(&[
        "check",
        "--expect",
        s(&expect),
        "--baseline",
        s(&base),
        "--out",
        s(&out),
        "--junit",
        s(&junit),
        "--summary",
        s(&md),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (cases, failures, _) = read_junit(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!((cases, failures), (10, 0));
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("all 10 expectations pass")
    );

    // One a100-timeslice node instead of 4: the classes that queue there wait for hours where
    // the baseline had no wait, so their `waits` cases fail and the run exits 1.
    let (junit, md) = (dir.path().join("bad.xml"), dir.path().join("bad.md"));
    let o = slicesim(&[
        "check",
        "--expect",
        s(&expect),
        "--baseline",
        s(&base),
        "--out",
        s(&out),
        "--junit",
        s(&junit),
        "--summary",
        s(&md),
        "--set",
        "pools.a100-timeslice.nodes=1",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (cases, failures, failed) = read_junit(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(cases, 10);
    assert!(failures >= 1, "{failed:?}");
    assert!(
        failed.iter().all(|n| n.starts_with("waits [classes.")),
        "{failed:?}"
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains(&format!("{failures} of 10 expectations fail")),
        "{md}"
    );
    assert_eq!(md.matches("| **FAIL** |").count(), failures, "{md}");
    assert!(md.contains("| expectation | figure | actual | bound | result |"));
}

#[test]
fn with_seeds_a_figure_is_its_mean() {
    let dir = tempfile::tempdir().unwrap();
    let expect = dir.path().join("expect.yaml");
    std::fs::write(&expect, "- cost.total <= 0\n").unwrap();
    let out = dir.path().join("out");
    let junit = dir.path().join("j.xml");
    let o = slicesim(&[
        "check",
        "--expect",
        s(&expect),
        "--seeds",
        "1..3",
        "--set",
        "horizon=1d",
        "--out",
        s(&out),
        "--junit",
        s(&junit),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let cost = summary["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "cost.total_usd")
        .unwrap();
    let values: Vec<f64> = cost["values"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values.len(), 3);
    let mean = values.iter().sum::<f64>() / 3.0;
    let shown = format!("{mean:.4}");
    let shown = shown.trim_end_matches('0').trim_end_matches('.');
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("actual {shown} (± ")),
        "{shown} in {xml}"
    );
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let out = dir.path().join("out");
    let run = |args: &[&str]| {
        let mut all = vec!["check", "--out", s(&out)];
        all.extend(args);
        slicesim(&all)
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        // A syntax error names the file and line.
        (
            vec![
                s(&write(
                    "syntax.yaml",
                    "- cost.total <= 1\n- cost.total <== 2\n",
                ))
                .into(),
            ],
            "syntax.yaml:2: ",
        ),
        // An unknown figure lists close names.
        (
            vec![s(&write("path.yaml", "- pools.a100-timeslice.bussy >= 0\n")).into()],
            "pools.a100-timeslice.busy",
        ),
        // `baseline` without --baseline.
        (
            vec![s(&write("base.yaml", "- cost.total <= baseline\n")).into()],
            "give --baseline",
        ),
        (
            vec![
                s(&dir.path().join("base.yaml")).into(),
                "--baseline".into(),
                s(&dir.path().join("nowhere")).into(),
            ],
            "does not exist",
        ),
        (vec![s(&dir.path().join("missing.yaml")).into()], "--expect"),
        (
            vec![
                s(&dir.path().join("path.yaml")).into(),
                "--set".into(),
                "pools.nope.nodes=1".into(),
            ],
            "nope",
        ),
    ];
    for (args, says) in cases {
        let mut all = vec!["--expect"];
        all.extend(args.iter().map(String::as_str));
        let o = run(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {}", text(&o));
        assert!(
            text(&o).contains(says),
            "{all:?} should say {says:?}: {}",
            text(&o)
        );
    }
    // A scenario that does not exist, and clap's own usage errors, exit 2 too.
    let expect = dir.path().join("path.yaml");
    let o = run(&["no-such-scenario.yaml", "--expect", s(&expect)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(run(&[]).status.code(), Some(2), "--expect is required");
    assert_eq!(
        run(&["--expect", s(&expect), "--update-baseline"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_projects_own_gate_holds_and_catches_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let gate = [
        "check",
        "--expect",
        "reports/baselines/seed-strategy/expect.yaml",
        "--baseline",
        "reports/baselines/seed-strategy",
        "--out",
        s(&out),
    ];
    let o = slicesim(&gate);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A fifth a100-timeslice node adds 8 GPUs x 3.43 $/h x 168 h = 4609.92 $ to a total of
    // about 50 763 $ (+9 %), far past the gate's 0.1 %.
    let mut dearer = gate.to_vec();
    dearer.extend(["--set", "pools.a100-timeslice.nodes=5"]);
    let o = slicesim(&dearer);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("total cost (not higher)"), "{}", text(&o));
}

#[test]
fn update_baseline_leaves_the_old_one_when_the_expectations_are_bad() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("summary.json"), "{\"old\": 1}\n").unwrap();
    let expect = dir.path().join("expect.yaml");
    std::fs::write(&expect, "- cost.total <= baseline\n- no.such.figure <= 1\n").unwrap();
    let out = dir.path().join("out");
    let o = slicesim(&[
        "check",
        "--expect",
        s(&expect),
        "--baseline",
        s(&base),
        "--update-baseline",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no figure `no.such.figure`"),
        "{}",
        text(&o)
    );
    let kept = std::fs::read_to_string(base.join("summary.json")).unwrap();
    assert_eq!(kept, "{\"old\": 1}\n");
}
