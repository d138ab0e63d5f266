//! Writing, seconds text, and write-then-read round trips.

use super::*;

#[test]
fn seconds_text_conversions() {
    assert_eq!(ms_to_secs_text(0), "0");
    assert_eq!(ms_to_secs_text(1), "0.001");
    assert_eq!(ms_to_secs_text(120), "0.12");
    assert_eq!(ms_to_secs_text(1_500), "1.5");
    assert_eq!(ms_to_secs_text(3_600_000), "3600");
    assert_eq!(ms_to_secs_text(u64::MAX), "18446744073709551.615");
    assert_eq!(secs_text_to_ms("1.5"), Ok(1_500));
    assert_eq!(secs_text_to_ms("+2"), Ok(2_000));
    assert_eq!(secs_text_to_ms(".25"), Ok(250));
    assert_eq!(secs_text_to_ms("7."), Ok(7_000));
    assert_eq!(secs_text_to_ms("0.0005"), Ok(1)); // half rounds up
    assert_eq!(secs_text_to_ms("0.00049"), Ok(0));
    assert_eq!(secs_text_to_ms("1e3"), Ok(1_000_000));
    assert_eq!(secs_text_to_ms("18446744073709551.615"), Ok(u64::MAX));
    assert!(secs_text_to_ms("18446744073709551.616").is_err());
    assert!(secs_text_to_ms("1e300").is_err());
    assert!(secs_text_to_ms("-0.5").is_err());
    assert!(secs_text_to_ms("inf").is_err());
    assert!(secs_text_to_ms(".").is_err());
    assert!(secs_text_to_ms("1.2.3").is_err());
}

#[test]
fn writer_refuses_jobs_that_would_not_read_back() {
    let mut bad_u = job(4, 0, "c", 1);
    bad_u.u = Some(1.5);
    let e = write_native(Vec::new(), [bad_u]).unwrap_err().to_string();
    assert_eq!(e, "cannot write job 4: column u: 1.5 is not in (0, 1]");

    let e = write_native(Vec::new(), [job(1, 0, " c", 1)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "cannot write job 1: column class: \" c\" is empty or has surrounding spaces"
    );

    let e = write_native(Vec::new(), [job(1, 2_000, "c", 1), job(2, 1_000, "c", 1)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "cannot write job 2: column submit: 1 s is earlier than the previous job's 2 s; \
         jobs must be in submit order"
    );
}

#[test]
fn writer_output_is_exact_text() {
    let mut j = job(5, 1_500, "train, big", 90_250);
    j.request = Some(RequestSpec::Milli {
        milli: 300,
        count: 2,
    });
    j.u = Some(0.1);
    let mut out = Vec::new();
    write_native(&mut out, [j]).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "id,submit,class,namespace,priority_class,gpus,gpu_milli,mig_profile,mem_gib,\
         duration,u,d,checkpoint,gpu_models,load\n5,1.5,\"train, big\",,,2,300,,,90.25,0.1,,,,\n"
    );
}

#[test]
fn milli_1000_writes_as_whole_gpus() {
    let mut j = job(1, 0, "c", 1_000);
    j.request = Some(RequestSpec::Milli {
        milli: 1000,
        count: 2,
    });
    let mut out = Vec::new();
    write_native(&mut out, [j]).unwrap();
    let back = read_all(std::str::from_utf8(&out).unwrap()).unwrap();
    assert_eq!(back[0].request, Some(RequestSpec::Gpu { count: 2 }));
}

fn name() -> impl Strategy<Value = String> {
    // Includes commas, quotes and inner spaces, which the writer must quote.
    "[a-zA-Z0-9_.,\"-][a-zA-Z0-9_., \"-]{0,8}[a-zA-Z0-9_.,\"-]|[a-z]"
}

fn request() -> impl Strategy<Value = Option<RequestSpec>> {
    prop_oneof![
        Just(None),
        any::<u32>().prop_map(|count| Some(RequestSpec::Gpu { count })),
        (1u32..1000, 1u32..=u32::MAX)
            .prop_map(|(milli, count)| Some(RequestSpec::Milli { milli, count })),
        ("[1-7]g\\.[0-9]{1,3}gb", 1u32..=u32::MAX)
            .prop_map(|(profile, count)| Some(RequestSpec::Mig { profile, count })),
    ]
}

fn fraction() -> impl Strategy<Value = Option<f64>> {
    proptest::option::of(prop_oneof![
        Just(1.0),
        Just(f64::MIN_POSITIVE),
        (0.0..=1.0f64).prop_filter("u, d > 0", |x| *x > 0.0),
    ])
}

fn trace_job() -> impl Strategy<Value = TraceJob> {
    (
        (any::<u64>(), any::<u64>(), name()),
        (proptest::option::of(name()), proptest::option::of(name())),
        request(),
        proptest::option::of(prop_oneof![
            Just(0.0),
            Just(f64::MAX),
            0.0..1e6f64,
            (0.0..1.0f64).prop_map(|x| x * 1e-300),
        ]),
        1u64..=u64::MAX,
        (fraction(), fraction()),
        proptest::option::of(any::<u64>()),
        (proptest::collection::vec(name(), 0..3), load()),
        // A gang's pod count (written `NxK` in `gpus`); kept only where there is a request.
        proptest::option::of(1u32..=10_000),
    )
        .prop_map(
            |(
                (id, submit, class),
                (namespace, priority_class),
                request,
                mem_gib,
                duration,
                (u, d),
                checkpoint,
                (gpu_models, load),
                pods,
            )| {
                let pods = pods.filter(|_| request.as_ref().is_some_and(|r| r.count() >= 1));
                TraceJob {
                    id,
                    submit,
                    class,
                    namespace,
                    priority_class,
                    request,
                    mem_gib,
                    duration,
                    u,
                    d,
                    checkpoint,
                    gpu_models: gpu_models
                        .into_iter()
                        .filter(|m| !m.contains('|'))
                        .collect(),
                    load,
                    pods,
                    host: Default::default(),
                }
            },
        )
}

fn load() -> impl Strategy<Value = Vec<LoadStep>> {
    proptest::collection::vec((1u64..1_000_000_000, fraction()), 0..4).prop_map(|steps| {
        let mut at = 0;
        steps
            .into_iter()
            .map(|(gap, u)| {
                at += gap;
                LoadStep {
                    at,
                    u: u.unwrap_or(1.0),
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn write_then_read_gives_equal_jobs(mut jobs in proptest::collection::vec(trace_job(), 0..20)) {
        jobs.sort_by_key(|j| j.submit);
        let mut out = Vec::new();
        write_native(&mut out, jobs.clone()).unwrap();
        let back: Vec<TraceJob> = NativeReader::from_reader(out.as_slice(), "mem")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(back, jobs);
    }

    #[test]
    fn error_line_is_the_physical_line(
        rows in proptest::collection::vec((0usize..3, any::<bool>(), any::<bool>()), 0..30),
        bad_crlf in any::<bool>(),
    ) {
        // Good rows, each preceded by some empty lines, with LF or CRLF ends and sometimes a
        // quoted two-line class; then one bad row. Its line is counted here independently:
        // one plus the number of '\n' before it.
        let mut text = String::from("id,submit,class,duration\n");
        for (i, (blanks, crlf, two_line)) in rows.iter().enumerate() {
            let end = if *crlf { "\r\n" } else { "\n" };
            for _ in 0..*blanks {
                text.push_str(end);
            }
            let class = if *two_line { format!("\"c{end}x\"") } else { "c".to_string() };
            text.push_str(&format!("{i},0,{class},1{end}"));
        }
        let expected_line = 1 + text.matches('\n').count();
        text.push_str(if bad_crlf { "99,0,c,-4\r\n" } else { "99,0,c,-4" });
        let e = NativeReader::from_reader(text.as_bytes(), "t.csv")
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err()
            .to_string();
        prop_assert_eq!(
            e,
            format!("t.csv:{expected_line}: column duration: -4 is negative (expected seconds >= 0)")
        );
    }

    #[test]
    fn malformed_input_never_panics(text in "[a-z0-9_.,\"\n -]{0,200}") {
        let with_header = format!("id,submit,class,duration,u,gpus,gpu_milli,mig_profile\n{text}");
        for input in [text.as_str(), with_header.as_str()] {
            if let Ok(reader) = NativeReader::from_reader(input.as_bytes(), "fuzz") {
                for _ in reader {}
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut input = b"id,submit,class,duration\n".to_vec();
        input.extend_from_slice(&bytes);
        if let Ok(reader) = NativeReader::from_reader(input.as_slice(), "fuzz") {
            for _ in reader {}
        }
    }
}
