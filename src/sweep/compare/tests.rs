use super::*;
use proptest::prelude::*;
use std::path::Path;

fn m(n: usize, mean: f64, sd: Option<f64>) -> Measure {
    Measure {
        n,
        mean,
        sd,
        half_width: sd.map(|_| 1.0),
    }
}

type Figures<'a> = Vec<(&'a str, Measure)>;

fn output(kind: Kind, points: Vec<(Option<&str>, Figures)>) -> Output {
    Output {
        dir: format!("{kind:?}"),
        kind,
        points: points
            .into_iter()
            .map(|(id, figs)| Point {
                id: id.map(str::to_string),
                scenario: "s".into(),
                seeds: vec![1, 2],
                figures: figs.into_iter().map(|(p, m)| (p.to_string(), m)).collect(),
                priorities: PriorityNames::new(),
            })
            .collect(),
    }
}

const ALL: &dyn Fn(&str) -> bool = &|_| true;

#[test]
fn differences_tests_and_order() {
    // A: x = 3 (sd^2 2.5, n 5), y = 0; B: x = 6 (sd^2 10, n 5), z only in B, y = 2.
    // x: diff 6 - 3 = 3, rel 3 / 3 = 1; Welch t = 3 / sqrt(0.5 + 2) = 1.8974, p ~ 0.11.
    // y: diff 2, rel none (A's mean is 0); single runs on B's side: no test.
    let a = output(
        Kind::Replication,
        vec![(
            None,
            vec![
                ("x", m(5, 3.0, Some(2.5f64.sqrt()))),
                ("y", m(5, 0.0, Some(1.0))),
            ],
        )],
    );
    let b = output(
        Kind::Replication,
        vec![(
            None,
            vec![
                ("z", m(5, 1.0, Some(1.0))),
                ("y", Measure::single(2.0)),
                ("x", m(5, 6.0, Some(10f64.sqrt()))),
            ],
        )],
    );
    let c = compare(&[a, b], ALL).unwrap();
    let paths: Vec<&str> = c.rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["x", "y", "z"], "A's order, then B's extra figures");
    let x = &c.rows[0].cells;
    let first = x[0].as_ref().unwrap();
    assert_eq!((first.diff, first.test), (None, None));
    let bx = x[1].as_ref().unwrap();
    assert_eq!(bx.diff, Some(3.0));
    assert_eq!(bx.rel_diff, Some(1.0));
    let t = bx.test.unwrap();
    assert!((t.t - 1.897_366_6).abs() < 1e-6 && t.p > 0.10 && t.p < 0.12);
    assert_eq!(bx.significant, Some(false));
    let by = c.rows[1].cells[1].as_ref().unwrap();
    assert_eq!((by.diff, by.rel_diff, by.test), (Some(2.0), None, None));
    assert!(c.rows[2].cells[0].is_none(), "z is only in B");
    assert_eq!(c.rows[2].cells[1].as_ref().unwrap().diff, None);
    assert!(c.has_tests());
    assert_eq!(c.alpha, 0.05);
}

#[test]
fn runs_have_no_test_and_keep_filters() {
    let a = output(
        Kind::Run,
        vec![(
            None,
            vec![("p.a", Measure::single(1.0)), ("q", Measure::single(4.0))],
        )],
    );
    let b = output(
        Kind::Run,
        vec![(
            None,
            vec![("p.a", Measure::single(3.0)), ("q", Measure::single(5.0))],
        )],
    );
    let keep = |p: &str| p.starts_with("p.");
    let c = compare(&[a, b], &keep).unwrap();
    assert_eq!(c.rows.len(), 1);
    let cell = c.rows[0].cells[1].as_ref().unwrap();
    // 3 - 1 = 2, relative 2 / 1 = 200 %.
    assert_eq!(
        (cell.diff, cell.rel_diff, cell.test),
        (Some(2.0), Some(2.0), None)
    );
    assert!(!c.has_tests());
}

#[test]
fn sweeps_match_points_by_id() {
    let one = |x: f64| vec![("f", Measure::single(x))];
    let a = output(
        Kind::Sweep,
        vec![(Some("p0"), one(1.0)), (Some("p1"), one(10.0))],
    );
    let b = output(
        Kind::Sweep,
        vec![
            (Some("p2"), one(7.0)),
            (Some("p1"), one(12.0)),
            (Some("p0"), one(0.5)),
        ],
    );
    let c = compare(&[a, b], ALL).unwrap();
    let got: Vec<(Option<&str>, Option<f64>)> = c
        .rows
        .iter()
        .map(|r| (r.point.as_deref(), r.cells[1].as_ref().and_then(|c| c.diff)))
        .collect();
    // p0: 0.5 - 1 = -0.5; p1: 12 - 10 = 2; p2 only in B: no difference.
    assert_eq!(
        got,
        [
            (Some("p0"), Some(-0.5)),
            (Some("p1"), Some(2.0)),
            (Some("p2"), None)
        ]
    );
}

#[test]
fn mixing_a_sweep_and_too_few_folders_are_errors() {
    let run = output(Kind::Run, vec![(None, vec![])]);
    let sweep = output(Kind::Sweep, vec![(Some("p"), vec![])]);
    let e = compare(&[run.clone(), sweep], ALL).unwrap_err();
    assert!(
        e.contains("a sweep compares only with another sweep"),
        "{e}"
    );
    assert!(
        compare(&[run], ALL)
            .unwrap_err()
            .contains("two output folders")
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn foreign_and_broken_folders_are_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    let err = |sub: &str| read_output(&t.path().join(sub)).unwrap_err();
    assert!(err("missing").contains("no such folder"));
    std::fs::create_dir(t.path().join("empty")).unwrap();
    assert!(err("empty").contains("no summary.json or sweep.json"));
    write(t.path(), "foreign/summary.json", r#"{"pools": []}"#);
    assert!(err("foreign").contains("not a slicesim output"));
    write(t.path(), "text/summary.json", "not json");
    assert!(err("text").contains("not JSON"));
    let bad_rep = r#"{"provenance": {"tool": "slicesim"}, "figures": 3}"#;
    write(t.path(), "rep/summary.json", bad_rep);
    assert!(err("rep").contains("not a replication summary"));
    write(
        t.path(),
        "sw1/sweep.json",
        r#"{"format": "other/9", "points": []}"#,
    );
    assert!(err("sw1").contains("this version reads `slicesim-sweep/1`"));
    let escape = r#"{"format": "slicesim-sweep/1", "points": [{"id": "../x"}]}"#;
    write(t.path(), "sw2/sweep.json", escape);
    assert!(err("sw2").contains("not a folder name"));
    let missing = r#"{"format": "slicesim-sweep/1", "points": [{"id": "p0"}]}"#;
    write(t.path(), "sw3/sweep.json", missing);
    assert!(err("sw3").contains("missing (point `p0`)"));
    let twice = r#"{"format": "slicesim-sweep/1", "points": [{"id": 3}, {"id": "3"}]}"#;
    write(t.path(), "sw4/sweep.json", twice);
    write(t.path(), "sw4/points/3/summary.json", bad_rep);
    assert!(err("sw4").contains("not a replication summary"));
    let empty_rep = r#"{"provenance": {"tool": "slicesim", "version": "0", "git_describe": "x",
        "scenario_sha256": "0", "seeds": [1]}, "scenario": "s", "replications": 1,
        "confidence": 0.95, "half_width_target": 0.05, "figures": []}"#;
    write(t.path(), "sw4/points/3/summary.json", empty_rep);
    assert!(err("sw4").contains("point id `3` appears twice"));
    let listed = r#"{"format": "slicesim-sweep/1", "points": [{"id": [1]}]}"#;
    write(t.path(), "sw5/sweep.json", listed);
    assert!(err("sw5").contains("point id [1] is not a string"));
}

#[test]
fn a_minimal_run_summary_reads_as_a_run() {
    let t = tempfile::tempdir().unwrap();
    let run = r#"{"provenance": {"tool": "slicesim", "seeds": [7]}, "scenario": "s", "seed": 7,
        "pools": [{"name": "p", "gpus": 4, "wait": {"p95_s": null}}], "cost": {"total_usd": 2.5}}"#;
    write(t.path(), "r/summary.json", run);
    let o = read_output(&t.path().join("r")).unwrap();
    assert_eq!(o.kind, Kind::Run);
    assert_eq!(o.points[0].seeds, [7]);
    let figs: Vec<(&str, f64)> = o.points[0]
        .figures
        .iter()
        .map(|(p, m)| (p.as_str(), m.mean))
        .collect();
    // Fields in name order (as `figures` flattens a summary); the null percentile is absent.
    assert_eq!(figs, [("cost.total_usd", 2.5), ("pools.p.gpus", 4.0)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever summary.json or sweep.json holds, reading gives a value or an error, never a panic.
    #[test]
    fn any_file_content_reads_without_panic(
        text in prop_oneof![
            ".{0,40}",
            r#"\{"provenance": \{"tool": "slicesim"\}(, "(figures|pools|format|points)": (\[\]|1|"x"|\{\}|null|\[\{"id": "[a-z./]{0,3}"\}\]))*\}"#,
        ],
        sweep in any::<bool>(),
    ) {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), if sweep { "sweep.json" } else { "summary.json" }, &text);
        let _ = read_output(t.path());
    }
}

fn figs<'a>(paths: &[&'a str]) -> Figures<'a> {
    paths.iter().map(|p| (*p, Measure::single(1.0))).collect()
}

#[test]
fn a_run_takes_the_priority_names_of_the_replications() {
    let run = output(
        Kind::Run,
        vec![(
            None,
            figs(&["priorities.1000.wait.p95_s", "priorities.10.evictions"]),
        )],
    );
    let mut rep = output(
        Kind::Replication,
        vec![(None, figs(&["priorities.hi.wait.p95_s"]))],
    );
    rep.points[0].priorities = [(1000, "hi".to_string()), (10, "lo".to_string())].into();
    // A second replication calls 10 otherwise: 10 keeps its number.
    let mut other = rep.clone();
    other.points[0].priorities = [(10, "low".to_string())].into();
    let c = compare(&[run, rep, other], ALL).unwrap();
    let rows: Vec<(&str, bool)> = c
        .rows
        .iter()
        .map(|r| (r.path.as_str(), r.cells[1].is_some()))
        .collect();
    assert_eq!(
        rows,
        [
            ("priorities.hi.wait.p95_s", true),
            ("priorities.10.evictions", false)
        ]
    );
}
