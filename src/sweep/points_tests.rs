use super::*;
use crate::sweep::file::parse;
use serde_json::json;

fn expand(text: &str) -> Result<(Vec<Axis>, Vec<Point>), String> {
    let f = parse(text, "s.yaml")?;
    let a = axes(&f)?;
    let p = points(&f, &a)?;
    Ok((a, p))
}

fn labels(p: &Point) -> Vec<&str> {
    p.values.iter().map(|v| v.label.as_str()).collect()
}

#[test]
fn grid_is_the_product_in_order_last_axis_fastest() {
    let (axes, pts) = expand(
        "base: builtin
axes:
  - {path: a, values: [1, 2, 3]}
  - {path: b, named: {x: {k: 1}, y: {k: 2}}}
  - {path: c, range: {from: 10, to: 14, step: 2}}
",
    )
    .unwrap();
    // 3 x 2 x 3 (10, 12, 14) = 18 points.
    assert_eq!(pts.len(), 18);
    assert_eq!(axes[2].values.len(), 3);
    assert_eq!(pts[0].id, "p000");
    assert_eq!(labels(&pts[0]), ["1", "x", "10"]);
    assert_eq!(labels(&pts[1]), ["1", "x", "12"]);
    assert_eq!(labels(&pts[3]), ["1", "y", "10"]);
    // Index 17 = 2*6 + 1*3 + 2: the last combination.
    assert_eq!(labels(&pts[17]), ["3", "y", "14"]);
    assert_eq!(pts[17].id, "p017");
    assert_eq!(pts[4].label, "a=1, b=y, c=12");
    assert_eq!(pts[3].values[1].value, json!({"k": 2}));
}

#[test]
fn ids_widen_past_a_thousand_points() {
    let (_, pts) = expand(
        "base: builtin
axes: [{path: a, range: {from: 1, to: 1001}}]
",
    )
    .unwrap();
    assert_eq!(pts.len(), 1001);
    // 1001 points: ids p0000..p1000, all the same width.
    assert_eq!(pts[0].id, "p0000");
    assert_eq!(pts[1000].id, "p1000");
}

#[test]
fn ranges_of_numbers_and_durations() {
    let r = |from: Value, to: Value, step: Option<Value>| {
        range(&RangeSpec { from, to, step })
            .map(|v| v.into_iter().map(|x| x.label).collect::<Vec<_>>().join(" "))
    };
    assert_eq!(r(json!(1), json!(8), None).unwrap(), "1 2 3 4 5 6 7 8");
    assert_eq!(r(json!(1), json!(8), Some(json!(3))).unwrap(), "1 4 7");
    assert_eq!(r(json!(5), json!(5), None).unwrap(), "5");
    // 0.1, 0.2, 0.3 (not 0.30000000000000004).
    assert_eq!(
        r(json!(0.1), json!(0.3), Some(json!(0.1))).unwrap(),
        "0.1 0.2 0.3"
    );
    // 30m, 60m = 1h, 90m, 120m = 2h.
    assert_eq!(
        r(json!("30m"), json!("2h"), Some(json!("30m"))).unwrap(),
        "30m 1h 90m 2h"
    );
    assert!(
        r(json!(8), json!(1), None)
            .unwrap_err()
            .contains("empty, `to` (1) is below `from` (8)")
    );
    assert!(
        r(json!(1), json!(8), Some(json!(0)))
            .unwrap_err()
            .contains("step 0 must be above 0")
    );
    assert!(
        r(json!(1), json!(8), Some(json!(-1)))
            .unwrap_err()
            .contains("above 0")
    );
    assert!(
        r(json!(0), json!(1e9), None)
            .unwrap_err()
            .contains("more than")
    );
    assert!(
        r(json!("x"), json!("1h"), None)
            .unwrap_err()
            .contains("from")
    );
    assert!(
        r(json!([1]), json!(2), None)
            .unwrap_err()
            .contains("not a number")
    );
}

#[test]
fn list_mode_takes_the_listed_points() {
    let (_, pts) = expand(
        "base: builtin
mode: list
axes:
  - {path: a, values: [1, 2, 3]}
  - {path: b, named: {x: 1, y: 2}}
  - {path: c}
points:
  - {a: 3, b: y, c: 7}
  - {a: 1, b: x, c: big}
",
    )
    .unwrap();
    assert_eq!(pts.len(), 2);
    assert_eq!(labels(&pts[0]), ["3", "y", "7"]);
    assert_eq!(pts[0].values[1].value, json!(2));
    assert_eq!(pts[1].id, "p001");
    assert_eq!(pts[1].values[2].value, json!("big"));
}

#[test]
fn errors_name_the_axis_or_point_and_what_exists() {
    let err = |t: &str| expand(t).unwrap_err();
    let base = "base: builtin\n";
    let e = err(&format!("{base}axes: [{{path: a}}]\n"));
    assert!(e.contains("axes[0] (a): no values"), "{e}");
    let e = err(&format!(
        "{base}axes: [{{path: a, values: [1], range: {{from: 1, to: 2}}}}]\n"
    ));
    assert!(e.contains("give one of"), "{e}");
    let e = err(&format!("{base}axes: [{{path: a, values: []}}]\n"));
    assert!(e.contains("empty"), "{e}");
    let e = err(&format!("{base}axes: [{{path: a, values: [1, 1]}}]\n"));
    assert!(e.contains("`1` is given twice"), "{e}");
    let e = err(&format!(
        "{base}axes: [{{path: a, values: [1]}}, {{path: a, values: [2]}}]\n"
    ));
    assert!(e.contains("axes[1] (a): a second axis named `a`"), "{e}");
    let e = err(&format!("{base}axes: [{{path: 'a..b', values: [1]}}]\n"));
    assert!(e.contains("axes[0]") && e.contains("empty part"), "{e}");
    let e = err(&format!(
        "{base}axes: [{{path: a, name: seed, values: [1]}}]\n"
    ));
    assert!(e.contains("reserved"), "{e}");
    let e = err(&format!("{base}axes: []\n"));
    assert!(e.contains("none given"), "{e}");
    let list = format!(
        "{base}mode: list\naxes: [{{path: a, values: [1, 2]}}, {{path: b, named: {{x: 1}}}}]\n"
    );
    let e = err(&format!("{list}points: [{{a: 1, b: x, c: 3}}]\n"));
    assert!(e.contains("points[0]: no axis `c` (axes: a, b)"), "{e}");
    let e = err(&format!("{list}points: [{{a: 1}}]\n"));
    assert!(e.contains("points[0]: no value for axis `b`"), "{e}");
    let e = err(&format!("{list}points: [{{a: 1, b: x}}, {{a: 3, b: x}}]\n"));
    assert!(
        e.contains("points[1]: axis `a`: no value `3` (the axis has 1, 2)"),
        "{e}"
    );
    let e = err(&format!("{list}points: [{{a: 1, b: z}}]\n"));
    assert!(e.contains("no alternative `z` (the axis has x)"), "{e}");
    let e = err(&format!("{list}points: [{{a: 1, b: x}}, {{a: 1, b: x}}]\n"));
    assert!(e.contains("points[1]: the same point as points[0]"), "{e}");
    let e = err(&format!("{list}\n"));
    assert!(e.contains("needs `points:`"), "{e}");
    let e = err(&format!(
        "{base}axes: [{{path: a, values: [1]}}]\npoints: [{{a: 1}}]\n"
    ));
    assert!(e.contains("only with `mode: list`"), "{e}");
    let e = err(&format!(
        "{base}axes: [{{path: a, range: {{from: 1, to: 400}}}}, {{path: b, range: {{from: 1, to: 400}}}}]\n"
    ));
    // 400 x 400 = 160,000 points.
    assert!(e.contains("more than 100000 points"), "{e}");
}

proptest::proptest! {
    #[test]
    fn grid_count_is_the_product(sizes in proptest::collection::vec(1usize..5, 1..4)) {
        let axes_text: Vec<String> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("  - {{path: a{i}, range: {{from: 1, to: {n}}}}}"))
            .collect();
        let (_, pts) = expand(&format!("base: builtin\naxes:\n{}\n", axes_text.join("\n"))).unwrap();
        proptest::prop_assert_eq!(pts.len(), sizes.iter().product::<usize>());
        // Every combination once.
        let mut seen: Vec<Vec<&str>> = pts.iter().map(labels).collect();
        seen.sort();
        seen.dedup();
        proptest::prop_assert_eq!(seen.len(), pts.len());
    }
}

#[test]
fn an_axis_of_override_lists_needs_a_name_and_lists() {
    let (axes, pts) = expand(
        "base: builtin
axes:
  - name: inference
    named:
      mig: []
      ts3: ['pools.p.sharing={kind: time_slicing, replicas: 3}', classes.c.request.kind=gpu]
",
    )
    .unwrap();
    assert_eq!(axes[0].path, None);
    assert_eq!(pts.len(), 2);
    assert!(pts[0].overrides(&axes).unwrap().is_empty());
    let o = pts[1].overrides(&axes).unwrap();
    let texts: Vec<String> = o.iter().map(|o| o.to_string()).collect();
    assert_eq!(
        texts,
        [
            "pools.p.sharing={kind: time_slicing, replicas: 3}",
            "classes.c.request.kind=gpu"
        ]
    );
    let e = expand("base: builtin\naxes: [{named: {a: []}}]\n").unwrap_err();
    assert!(e.contains("axes[0]: give a `path`"), "{e}");
    let e = expand("base: builtin\naxes: [{name: x, values: [1]}]\n").unwrap_err();
    assert!(e.contains("axes[0] (x): no `path`"), "{e}");
    let e = expand("base: builtin\naxes: [{name: x, named: {a: 3}}]\n").unwrap_err();
    assert!(
        e.contains("axes[0] (x): `a`:") && e.contains("lists of overrides"),
        "{e}"
    );
    let e = expand("base: builtin\naxes: [{name: x, named: {a: [nothing]}}]\n").unwrap_err();
    assert!(e.contains("axes[0] (x): `a`:"), "{e}");
}

proptest::proptest! {
    /// Reading and expanding any sweep-like file returns a value or an error, never a panic.
    #[test]
    fn expansion_never_panics(
        lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "base: builtin", "mode: list", "mode: grid", "axes:", "points:",
                "  - {path: a, values: [1, 2]}", "  - {path: b, range: {from: 1, to: 3}}",
                "  - {path: c, range: {from: 3, to: 1}}", "  - {path: d, range: {from: 1m, to: 1h, step: 7m}}",
                "  - {path: e, range: {from: 0.5, to: x}}", "  - {path: f, range: {from: 1, to: 2, step: 0}}",
                "  - {name: g, named: {a: [], b: ['x=1']}}", "  - {name: h, named: {a: 1}}",
                "  - {path: a}", "  - {a: 1, g: b}", "  - {a: 2, b: 3, g: a}", "  - {}",
                "  - {path: '[', values: [1]}", "  - {path: 'a.\"b', values: [1]}",
                "seeds: 1..2", "  - {path: i, range: {from: -5, to: 5, step: 2.5}}",
                "  - {path: j, range: {from: 1e300, to: 1e308, step: 1e300}}",
                "  - {path: k, range: {from: 0, to: 18446744073709551615}}",
            ]),
            0..10,
        )
    ) {
        let text = lines.join("\n");
        if let Ok(f) = parse(&text, "f.yaml")
            && let Ok(a) = axes(&f)
        {
            let _ = points(&f, &a);
        }
    }
}
