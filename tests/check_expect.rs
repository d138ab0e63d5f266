//! The expectation language of `slicesim check` (src/check/expect.rs) and its evaluation
//! (src/check/eval.rs): hand-worked bounds, `*` expansion, aliases, the errors a CI user sees,
//! and a fuzz test that the parser never panics.

use proptest::prelude::*;
use slicesim::check::expect::Bound;
use slicesim::check::{Figure, Op, eval::resolve, evaluate, parse_expectation, parse_file};

fn fig(path: &str, value: f64) -> Figure {
    Figure {
        path: path.to_string(),
        value,
        half_width: None,
    }
}

/// The bound of `expr` with `baseline` = `base`.
fn bound(expr: &str, base: f64) -> f64 {
    parse_expectation(expr).unwrap().bound.eval(base)
}

#[test]
fn parses_path_op_and_bound() {
    let e = parse_expectation("  cost.total <= 1.05 * baseline ").unwrap();
    assert_eq!(e.path, "cost.total");
    assert_eq!(e.op, Op::Le);
    assert!(e.bound.uses_baseline());
    assert_eq!(e.text, "cost.total <= 1.05 * baseline");
    // 1.05 x 200 = 210.
    assert!((e.bound.eval(200.0) - 210.0).abs() < 1e-9);
    let ops = [
        ("<=", Op::Le),
        ("<", Op::Lt),
        (">=", Op::Ge),
        (">", Op::Gt),
        ("==", Op::Eq),
    ];
    for (text, op) in ops {
        let e = parse_expectation(&format!("a.b{text}3")).unwrap();
        assert_eq!((e.path.as_str(), e.op), ("a.b", op), "{text}");
        assert_eq!(e.bound, Bound::Num(3.0));
        assert!(!e.bound.uses_baseline());
    }
}

#[test]
fn units_and_arithmetic_worked_by_hand() {
    // 1.1 x 100 s + 60 s = 170 s (the issue's `classes.*.wait_p95` example).
    assert!((bound("x <= 1.1 * baseline + 60s", 100.0) - 170.0).abs() < 1e-9);
    assert_eq!(bound("x <= 30m", 0.0), 1800.0);
    assert_eq!(bound("x <= 1h", 0.0), 3600.0);
    assert_eq!(bound("x <= 2d", 0.0), 172_800.0);
    assert_eq!(bound("x <= 90s", 0.0), 90.0);
    assert!((bound("x >= 60%", 0.0) - 0.6).abs() < 1e-12);
    // Precedence: 1 + 2 x 3 = 7; (1 + 2) x 3 = 9; 10 - 4 - 3 = 3 (left to right); 8 / 2 / 2 = 2.
    assert_eq!(bound("x <= 1 + 2 * 3", 0.0), 7.0);
    assert_eq!(bound("x <= (1 + 2) * 3", 0.0), 9.0);
    assert_eq!(bound("x <= 10 - 4 - 3", 0.0), 3.0);
    assert_eq!(bound("x <= 8 / 2 / 2", 0.0), 2.0);
    // baseline - 1h with baseline 2 h = 3600 s; -(baseline) = -5.
    assert_eq!(bound("x >= baseline - 1h", 7200.0), 3600.0);
    assert_eq!(bound("x >= -baseline", 5.0), -5.0);
    assert_eq!(bound("x <= 1h + 30m", 0.0), 5400.0);
}

#[test]
fn bad_expressions_are_explained() {
    let err = |s: &str| parse_expectation(s).unwrap_err();
    assert!(
        err("cost.total 5").contains("no comparison"),
        "{}",
        err("cost.total 5")
    );
    assert!(err("<= 5").contains("no figure path"));
    assert!(err("a != 5").contains("unknown comparison"));
    assert!(err("a b <= 5").contains("holds no"));
    assert!(err("a <= ").contains("missing"));
    assert!(err("a <= 5 * basline").contains("unknown word `basline`"));
    assert!(err("a <= 5w").contains("unknown unit `w`"));
    assert!(err("a <= (5 + 1").contains("without its `)`"));
    assert!(err("a <= 5 6").contains("after the bound"));
    assert!(err("a <= 5 $").contains("unexpected '$'"));
    let deep = format!("a <= {}1{}", "(".repeat(100), ")".repeat(100));
    assert!(err(&deep).contains("nested deeper"));
    let long = format!("a <= 1{}", " + 1".repeat(200));
    assert!(err(&long).contains("more than 256 tokens"));
}

#[test]
fn file_errors_name_file_and_line() {
    let text = "# gate\n- a.b <= 1\n- name: second\n  expect: c.d >= 2h\n- e.f <= 3 parsecs\n";
    let err = parse_file(text, "expect.yaml").unwrap_err();
    // The third item is on line 5 of the file.
    assert!(err.starts_with("expect.yaml:5: "), "{err}");
    let ok = parse_file(
        "expect:\n  - a.b <= 1\n  - name: second\n    expect: c.d >= 2h\n",
        "f",
    )
    .unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!((ok[0].line, ok[1].line), (2, 4));
    assert_eq!(ok[1].name.as_deref(), Some("second"));
    assert_eq!(ok[1].bound.eval(0.0), 7200.0);
    // The same expression twice: each keeps its own line.
    let twice = parse_file("- a.b <= 1\n- a.b <= 1\n- c <= 2\n", "f").unwrap();
    assert_eq!(twice.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(
        parse_file("[]", "f")
            .unwrap_err()
            .contains("no expectation")
    );
    assert!(
        parse_file("a: 1", "f")
            .unwrap_err()
            .contains("not an expectation file")
    );
}

fn figures() -> Vec<Figure> {
    vec![
        fig("pools.a100.busy", 0.7),
        fig("pools.a100.cost_usd", 400.0),
        fig("pools.a100.idle_cost_usd", 40.0),
        fig("classes.training.wait.p95_s", 150.0),
        fig("classes.inference.wait.p95_s", 200.0),
        fig("classes.inference.wait.p50_s", 20.0),
        fig("cost.total_usd", 1000.0),
    ]
}

#[test]
fn star_expands_and_each_item_is_checked_against_its_own_baseline() {
    let e = parse_file("- classes.*.wait_p95 <= 1.1 * baseline + 60s\n", "f").unwrap();
    let base = vec![
        ("classes.training.wait.p95_s".to_string(), 100.0),
        ("classes.inference.wait.p95_s".to_string(), 100.0),
    ];
    let out = evaluate(&e, &figures(), Some(&base)).unwrap();
    assert_eq!(out.len(), 2, "two classes have a wait.p95_s");
    // Both bounds: 1.1 x 100 + 60 = 170 s; training 150 <= 170 passes, inference 200 fails.
    assert_eq!(out[0].path, "classes.training.wait.p95_s");
    assert!((out[0].bound - 170.0).abs() < 1e-9);
    assert!(out[0].passed);
    assert_eq!(out[1].path, "classes.inference.wait.p95_s");
    assert!(!out[1].passed);
    assert_eq!(out[1].baseline, Some(100.0));
    assert!(
        out[1].name.ends_with("[classes.inference.wait.p95_s]"),
        "{}",
        out[1].name
    );
}

#[test]
fn aliases_resolve_to_figure_paths() {
    let figs = figures();
    let paths = |p: &str| -> Vec<String> {
        resolve(p, &figs)
            .unwrap()
            .iter()
            .map(|f| f.path.clone())
            .collect()
    };
    assert_eq!(paths("cost.total"), ["cost.total_usd"]);
    assert_eq!(
        paths("classes.inference.wait_p50"),
        ["classes.inference.wait.p50_s"]
    );
    assert_eq!(
        paths("classes.training.wait.p95_s"),
        ["classes.training.wait.p95_s"]
    );
    assert_eq!(paths("pools.*.busy"), ["pools.a100.busy"]);
    assert_eq!(paths("pools.a100.cost"), ["pools.a100.cost_usd"]);
    assert_eq!(paths("pools.*.idle_cost"), ["pools.a100.idle_cost_usd"]);
    // A `*` takes at least one character: `pools.*busy` matches, `pools.a100.*.busy` does not.
    assert_eq!(paths("pools.*busy"), ["pools.a100.busy"]);
    assert!(resolve("pools.a100.*.busy", &figs).is_err());
    let err = resolve("pools.a100.bussy", &figs).unwrap_err();
    assert!(err.contains("close names: pools.a100.busy"), "{err}");
    let err = resolve("cost.total_eur", &figs).unwrap_err();
    assert!(err.contains("cost.total_usd"), "{err}");
}

#[test]
fn absolute_bounds_and_baseline_errors() {
    let e = parse_file("- pools.a100.busy >= 60%\n- cost.total < 1000\n", "f").unwrap();
    let out = evaluate(&e, &figures(), None).unwrap();
    // 0.7 >= 0.6 passes; 1000 < 1000 fails (strict).
    assert_eq!(
        out.iter().map(|o| o.passed).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(out[1].actual, 1000.0);
    let b = parse_file("- x: 1\n", "f");
    assert!(b.is_err());
    let e = parse_file("- cost.total <= baseline\n", "f").unwrap();
    let err = evaluate(&e, &figures(), None).unwrap_err();
    assert!(
        err.starts_with("line 1: ") && err.contains("--baseline"),
        "{err}"
    );
    let err = evaluate(&e, &figures(), Some(&[])).unwrap_err();
    assert!(
        err.contains("the baseline has no figure `cost.total_usd`"),
        "{err}"
    );
}

proptest! {
    #[test]
    fn parser_never_panics(s in "\\PC{0,80}") {
        let _ = parse_expectation(&s);
        let _ = parse_file(&s, "fuzz");
    }

    #[test]
    fn parser_never_panics_near_the_grammar(
        s in "[a-z.*_]{0,12} ?(<=|>=|<|>|==|!|=)? ?[-+*/() 0-9.%smhd]{0,30}(baseline)?[-+*/() 0-9.%smhd]{0,10}"
    ) {
        if let Ok(e) = parse_expectation(&s) {
            // Whatever parses evaluates without panicking, and keeps what it was given.
            let _ = e.bound.eval(1.0);
            prop_assert_eq!(e.text, s.trim());
        }
    }

    #[test]
    fn numbers_round_trip(x in 0u32..1_000_000, unit in prop::sample::select(vec![
        ("", 1.0), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0), ("%", 0.01),
    ])) {
        let e = parse_expectation(&format!("a.b <= {x}{}", unit.0)).unwrap();
        prop_assert_eq!(e.bound.eval(0.0), f64::from(x) * unit.1);
    }
}
