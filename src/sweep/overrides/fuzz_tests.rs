//! Fuzz tests: any `PATH=VALUE` parses or is refused, and applies to the built-in scenario or
//! is refused, without a panic; what applies reads back the same from its normal form.

use super::*;
use crate::scenario::builtin;
use crate::scenario::locate::Seg;
use proptest::prelude::*;

/// Pieces of real paths and values, and the characters the grammar cares about, so that
/// random overrides reach deep into the scenario as well as fail early.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "pools",
            "h100-timeslice",
            "a100-mig-inference",
            "nodes",
            "sharing",
            "layout",
            "classes",
            "training",
            "fallback_after",
            "namespaces",
            "production",
            "quota",
            "requests",
            "nvidia",
            "com/gpu",
            "workload",
            "mix",
            "weight",
            "labels",
            "model",
            "taints",
            "dedicated",
            ".",
            ".",
            "[0]",
            "[7]",
            "\"",
            "=",
            "=",
            "{",
            "}",
            ",",
            ": ",
            "kind",
            "time_slicing",
            "-1",
            "3",
            "1h",
            "null",
            "[",
            "]",
        ])
        .prop_map(String::from),
        "\\PC{0,4}",
    ]
}

/// Every field of the built-in scenario, in normal form.
fn fields() -> Vec<String> {
    fn walk(v: &Value, at: &mut FieldPath, root: &Value, out: &mut Vec<String>) {
        out.push(walk::named(root, at).to_string());
        let kids: Vec<(Seg, &Value)> = match v {
            Value::Object(m) => m.iter().map(|(k, x)| (Seg::Key(k.clone()), x)).collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| (Seg::Index(i), x))
                .collect(),
            _ => vec![],
        };
        for (seg, x) in kids {
            at.0.push(seg);
            walk(x, at, root, out);
            at.0.pop();
        }
    }
    let root = serde_json::to_value(builtin().scenario).unwrap();
    let mut out = Vec::new();
    walk(&root, &mut FieldPath::root(), &root, &mut out);
    out.retain(|p| !p.is_empty());
    out
}

/// A real field (sometimes with a piece more) and a value: many of these apply.
fn likely() -> impl Strategy<Value = String> {
    let value = prop::sample::select(vec![
        "3",
        "0",
        "-1",
        "0.5",
        "1h",
        "x",
        "null",
        "true",
        "[a, b]",
        "{kind: exclusive}",
        "\"3\"",
    ]);
    let tail = prop::sample::select(vec!["", "", "", ".x", "[0]", ".name"]);
    (prop::sample::select(fields()), tail, value).prop_map(|(p, t, v)| format!("{p}{t}={v}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_override_applies_or_is_refused_without_panic(
        text in prop_oneof![prop::collection::vec(piece(), 1..14).prop_map(|p| p.concat()), likely()]
    ) {
        if let Ok(o) = Override::parse(&text) {
            let sc = builtin().scenario;
            if let Ok((_, applied)) = apply_overrides(&sc, std::slice::from_ref(&o)) {
                // What was applied reads back as the same override, in normal form.
                let again = Override::parse(&applied[0].normalized()).unwrap();
                let (a, _) = apply_overrides(&sc, &[o]).unwrap();
                let (b, _) = apply_overrides(&sc, &[again]).unwrap();
                prop_assert_eq!(a, b);
            }
        }
    }
}
