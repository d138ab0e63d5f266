use super::*;
use proptest::prelude::*;

fn parts(text: &str) -> Vec<Step> {
    DottedPath::parse(text).unwrap().0
}

fn p(s: &str) -> Step {
    Step::Part(s.into())
}

#[test]
fn paths_split_into_parts_indices_and_quoted_keys() {
    assert_eq!(
        parts("pools.h100-timeslice.nodes"),
        [p("pools"), p("h100-timeslice"), p("nodes")]
    );
    // Dots always separate plain parts; which run is one key is decided against the scenario.
    assert_eq!(
        parts("namespaces.production.quota.requests.nvidia.com/gpu"),
        [
            p("namespaces"),
            p("production"),
            p("quota"),
            p("requests"),
            p("nvidia"),
            p("com/gpu")
        ]
    );
    assert_eq!(
        parts("pools[2].sharing.layout[0]"),
        [
            p("pools"),
            Step::Index(2),
            p("sharing"),
            p("layout"),
            Step::Index(0)
        ]
    );
    assert_eq!(
        parts(r#"quota."requests.nvidia.com/gpu"[1]"#),
        [
            p("quota"),
            Step::Quoted("requests.nvidia.com/gpu".into()),
            Step::Index(1)
        ]
    );
    assert_eq!(parts(r#""a\"b\\c""#), [Step::Quoted(r#"a"b\c"#.into())]);
}

#[test]
fn bad_paths_say_what_is_wrong() {
    let e = |t: &str| DottedPath::parse(t).unwrap_err();
    assert_eq!(e(""), "empty path (write e.g. pools.NAME.nodes=3)");
    assert_eq!(e("a..b"), "`a..b`: empty part after the `.` at 1");
    assert_eq!(e(".a"), "`.a`: empty part before the `.` at 0");
    assert_eq!(e("a."), "`a.`: empty part after the `.` at 1");
    assert_eq!(
        e("a[x]"),
        "`a[x]`: `[x]` is not an index (write [0], [1], ...)"
    );
    assert_eq!(
        e("a[-1]"),
        "`a[-1]`: `[-1]` is not an index (write [0], [1], ...)"
    );
    assert_eq!(e("a[1"), "`a[1`: `[` at 1 is not closed");
    assert_eq!(e("a]"), "`a]`: unexpected `]` at 1");
    assert_eq!(e("a\"b\""), "`a\"b\"`: unexpected `\"` at 1");
    assert_eq!(e("\"ab"), "`\"ab`: the quote at 0 is not closed");
    assert_eq!(e("\"a\"b"), "`\"a\"b`: expected `.` or `[` at 3, found `b`");
    assert_eq!(e(r#""a\n""#), r#"`"a\n"`: only \" and \\ may follow `\`"#);
}

#[test]
fn split_at_the_first_equals_outside_quotes() {
    assert_eq!(split("a.b=c=d").unwrap(), ("a.b", "c=d"));
    assert_eq!(split(r#"a."k=v"=x"#).unwrap(), (r#"a."k=v""#, "x"));
    assert_eq!(split(r#"a."k\"=v"=x"#).unwrap(), (r#"a."k\"=v""#, "x"));
    assert!(split("a.b").unwrap_err().contains("expected PATH=VALUE"));
    assert!(split(r#""a=b"#).is_err());
}

#[test]
fn values_are_yaml() {
    assert_eq!(parse_value("3").unwrap(), Value::from(3));
    assert_eq!(parse_value("-1").unwrap(), Value::from(-1));
    assert_eq!(parse_value("1h").unwrap(), Value::from("1h"));
    assert_eq!(parse_value("null").unwrap(), Value::Null);
    assert_eq!(
        parse_value("{kind: time_slicing, replicas: 3}").unwrap(),
        serde_json::json!({"kind": "time_slicing", "replicas": 3})
    );
    assert_eq!(parse_value("[a, 2]").unwrap(), serde_json::json!(["a", 2]));
    assert!(parse_value("").unwrap_err().starts_with("empty value"));
    assert!(
        parse_value("{a: 1")
            .unwrap_err()
            .starts_with("value `{a: 1` is not YAML (")
    );
}

#[test]
fn flow_writes_values_back_readably() {
    let v = serde_json::json!({"kind": "time_slicing", "replicas": 3});
    assert_eq!(flow(&v), "{kind: time_slicing, replicas: 3}");
    assert_eq!(
        flow(&Value::from("3")),
        "\"3\"",
        "a string that would read as a number"
    );
    assert_eq!(flow(&Value::from("a: b")), "\"a: b\"");
    assert_eq!(flow(&Value::from("")), "\"\"");
    assert_eq!(
        flow(&serde_json::json!(["2g.20gb", null, true, 0.5])),
        "[2g.20gb, null, true, 0.5]"
    );
}

#[test]
fn library_messages_lose_their_positions() {
    assert_eq!(
        one_line("error: line 2 column 4: invalid u32\n --> x"),
        "invalid u32"
    );
    assert_eq!(
        one_line("invalid u32 at line 1, column 4851"),
        "invalid u32"
    );
    assert_eq!(one_line("bad at line five"), "bad at line five");
}

#[test]
fn key_steps_quote_only_what_a_plain_part_cannot_hold() {
    assert_eq!(
        key_step("requests.nvidia.com/gpu"),
        p("requests.nvidia.com/gpu")
    );
    assert_eq!(key_step("a=b"), Step::Quoted("a=b".into()));
    assert_eq!(key_step("a..b"), Step::Quoted("a..b".into()));
    assert_eq!(key_step(" a"), Step::Quoted(" a".into()));
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z./-]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn flow_reads_back_as_the_same_value(v in arb_value()) {
        let text = flow(&v);
        prop_assert_eq!(serde_saphyr::from_str::<Value>(&text).ok(), Some(v), "{}", text);
    }

    #[test]
    fn a_written_path_parses_back_to_itself(
        steps in prop::collection::vec(prop_oneof![
            "[a-z0-9/_-]{1,6}".prop_map(Step::Part),
            "\\PC{0,6}".prop_map(Step::Quoted),
            (0usize..100).prop_map(Step::Index),
        ], 1..6)
    ) {
        // A path starts with a key; an index right after another step is fine.
        prop_assume!(!matches!(steps[0], Step::Index(_)));
        let path = DottedPath(steps);
        prop_assert_eq!(DottedPath::parse(&path.to_string()), Ok(path));
    }

    #[test]
    fn any_text_parses_or_is_refused_without_panic(text in "\\PC{0,40}") {
        let _ = DottedPath::parse(&text);
        if let Ok((path, value)) = split(&text) {
            let _ = DottedPath::parse(path);
            let _ = parse_value(value);
        }
    }
}
