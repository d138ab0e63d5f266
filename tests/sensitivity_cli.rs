//! `slicesim sensitivity` on a hand-worked scenario: one exclusive GPU, one batch job of 100 s
//! in a 200 s horizon, so the pool's busy fraction is u x 100/200 and nothing else moves it.

use serde_json::Value;

mod common;
use common::cli::{slicesim, stderr, text};

const SCENARIO: &str = "name: sens
horizon: 200s
pools:
  - {name: p, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: d, request: {kind: gpu, count: 1}, u: 0.4, d: 0.8, mem_gib: 10}
workload: {kind: trace, path: trace.csv}
";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.yaml"), SCENARIO).unwrap();
    std::fs::write(
        dir.path().join("trace.csv"),
        "id,submit,class,duration\n0,0,c,100\n",
    )
    .unwrap();
    dir
}

#[test]
fn busy_moves_with_u_only_and_by_the_hand_worked_amount() {
    let dir = setup();
    let (scenario, out) = (dir.path().join("s.yaml"), dir.path().join("out"));
    let o = slicesim(&[
        "sensitivity",
        scenario.to_str().unwrap(),
        "--figure",
        "pools.p.busy",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sensitivity.json")).unwrap())
            .unwrap();
    // Busy = u x 100/200 = 0.2; u at ±25 % is 0.3 / 0.5: busy 0.15 / 0.25, swing 0.05 (25 %).
    assert!((doc["base"]["pools.p.busy"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    let rows = doc["rows"].as_array().unwrap();
    let top = &rows[0];
    assert_eq!(top["parameter"], "classes.c.u");
    assert_eq!(
        (top["low"].as_str(), top["high"].as_str()),
        (Some("0.3"), Some("0.5"))
    );
    assert!((top["at_low"].as_f64().unwrap() - 0.15).abs() < 1e-9);
    assert!((top["at_high"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    assert!((top["relative_swing"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    // d and mem_gib, the overheads and the durations do not change an exclusive GPU's busy
    // fraction (the job alone, never evicted): swing 0 for every other parameter.
    for r in &rows[1..] {
        assert_eq!(r["swing"].as_f64(), Some(0.0), "{}", r["parameter"]);
    }
    // The model constants and the class's three traits: 8 + 3 parameters, one row each.
    assert_eq!(rows.len(), 11);
    let csv = std::fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    assert!(
        csv.starts_with(
            "figure,parameter,low,high,base_value,at_low,at_high,swing,relative_swing\n"
        )
    );
    assert_eq!(csv.lines().count(), 12);
    assert!(text(&o).contains("pools.p.busy = 0.2"));
    // The page: one tornado plot (an SVG that parses as XML) and its table, top row u.
    let html = std::fs::read_to_string(out.join("sensitivity.html")).unwrap();
    let page = scraper::Html::parse_document(&html);
    let svg = scraper::Selector::parse("svg").unwrap();
    let svgs: Vec<_> = page.select(&svg).collect();
    assert_eq!(svgs.len(), 1);
    let svg_text = svgs[0].html();
    let mut reader = quick_xml::Reader::from_str(&svg_text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the tornado SVG is not XML: {e}"),
        }
    }
    let first = scraper::Selector::parse("#table-0 tbody tr td").unwrap();
    assert_eq!(
        page.select(&first)
            .next()
            .map(|td| td.text().collect::<String>()),
        Some("classes.c.u".to_string())
    );
}

#[test]
fn an_explicit_range_replaces_the_default_and_bad_input_exits_2() {
    let dir = setup();
    let scenario = dir.path().join("s.yaml");
    let s = scenario.to_str().unwrap();
    let o = slicesim(&[
        "sensitivity",
        s,
        "--only-ranges",
        "--range",
        "classes.c.u=0.1..1",
        "--figure",
        "pools.p.busy",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // u = 0.1 / 1: busy 0.05 / 0.5.
    let t = text(&o);
    assert!(t.contains("1 parameters x 2 settings"), "{t}");
    assert!(t.contains("0.05") && t.contains("0.5"), "{t}");
    for (args, want) in [
        (vec!["--delta", "1.5"], "--delta 1.5"),
        (vec!["--range", "classes.c.u=0.1"], "PATH=LO..HI"),
        (vec!["--range", "classes.c.u=0.1..7"], "classes.c.u"),
        (
            vec!["--figure", "pools.nope.busy"],
            "no figure `pools.nope.busy`",
        ),
    ] {
        let mut a = vec!["sensitivity", s];
        a.extend(args);
        let o = slicesim(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", text(&o));
        assert!(stderr(&o).contains(want), "{a:?}: {}", stderr(&o));
    }
}
