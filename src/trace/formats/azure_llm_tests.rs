//! Tests of the Azure LLM importer.

use super::*;

const HEAD: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

fn run(text: &str, map: &AzureLlmMap, class: &str) -> (Vec<Entry>, ImportReport) {
    import_reader(text.as_bytes(), "a.csv", map, class, false).unwrap()
}

#[test]
fn requests_become_a_service_with_a_load_per_window() {
    // Prefill 12 000 tokens/s and decode 3 000 tokens/s; 60 s windows from the first request.
    // Window 0 [0, 60 s): 6 000 + 12 000 prompt tokens -> 1.5 s; 300 + 600 generated
    //   -> 0.3 s: u = 1.8 / 60 = 0.03.
    // Window 1: no requests -> min_u 0.01.
    // Window 2 [120, 180 s): 360 000 prompt tokens -> 30 s; 18 000 generated -> 6 s:
    //   u = 36 / 60 = 0.6.
    let text = format!(
        "{HEAD}2023-11-16 18:00:00.0000000,6000,300\n\
         2023-11-16 18:00:59.9990000,12000,600\n\
         2023-11-16 18:02:30.5000000,360000,18000\n"
    );
    let (entries, report) = run(&text, &AzureLlmMap::default(), "llm");
    assert_eq!(entries.len(), 1);
    let j = &entries[0].job;
    assert_eq!((j.id, j.submit, j.duration), (0, 0, 180_000));
    assert_eq!(j.class, "llm");
    let u: Vec<(u64, f64)> = j.load.iter().map(|s| (s.at, s.u)).collect();
    assert_eq!(u.len(), 3);
    let want = [(0, 0.03), (60_000, 0.01), (120_000, 0.6)];
    for ((at, u), (wat, wu)) in u.iter().zip(want) {
        assert_eq!(*at, wat);
        assert!((u - wu).abs() < 1e-12, "{u} vs {wu}");
    }
    assert_eq!((report.rows, report.jobs), (3, 1));
    assert!(report.notes[0].starts_with("3 requests -> 1 service job of class llm, 3 windows"));
}

#[test]
fn replicas_split_the_load_and_overload_is_clamped_and_noted() {
    // One window with 1.44 M prompt tokens: 120 s of GPU in 60 s -> u = 2.0 in total.
    let text = format!("{HEAD}2023-11-16 18:00:00,1440000,0\n2023-11-16 18:00:30,0,0\n");
    let (entries, report) = run(&text, &AzureLlmMap::default(), "llm");
    assert_eq!(entries[0].job.load, vec![LoadStep { at: 0, u: 1.0 }]);
    assert!(report.notes[1].starts_with("1 windows need more than one reference GPU"));
    let map = AzureLlmMap {
        replicas: 4,
        ..Default::default()
    };
    let (entries, report) = run(&text, &map, "chat");
    assert_eq!(entries.len(), 4);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.job.id, i as u64);
        assert_eq!(e.job.class, "chat");
        assert_eq!(e.job.load, vec![LoadStep { at: 0, u: 0.5 }]);
    }
    assert_eq!(report.notes.len(), 1);
}

#[test]
fn midnight_origin_keeps_the_hour() {
    let map = AzureLlmMap {
        origin: Origin::Midnight,
        window: Dur(600_000),
        ..Default::default()
    };
    let text = format!("{HEAD}2023-11-16 18:17:03.9799600,100,10\n");
    let (entries, _) = run(&text, &map, "llm");
    // Windows line up with the run's clock: 18:10 is the start of the first 10-minute one.
    assert_eq!(entries[0].job.submit, (18 * 3600 + 10 * 60) * 1000);
    assert_eq!(entries[0].job.duration, 600_000);
}

#[test]
fn bad_rows_and_empty_files() {
    let text = format!(
        "{HEAD}2023-11-16 18:00:00,10,1\nyesterday,10,1\n2023-11-16 18:00:01,-4,1\n\
         2023-11-16 18:00:01,4,x\n2023-11-16 18:00:01,4\n"
    );
    let (entries, report) = run(&text, &AzureLlmMap::default(), "llm");
    assert_eq!(entries.len(), 1);
    let bad: Vec<String> = report.bad.iter().map(|b| b.to_string()).collect();
    assert_eq!(
        bad,
        vec![
            "line 3: column TIMESTAMP: `yesterday` is not a date and time like 2017-10-09 \
             07:01:55 (or with a fraction of a second)",
            "line 4: column ContextTokens: `-4` is not a whole number of tokens",
            "line 5: column GeneratedTokens: `x` is not a whole number of tokens",
            "line 6: found 2 fields but the header has 3",
        ]
    );
    let (entries, report) = run(HEAD, &AzureLlmMap::default(), "llm");
    assert!(entries.is_empty());
    assert_eq!(report.notes, vec!["no requests: no service job"]);
    let e = import_reader(&b""[..], "a.csv", &AzureLlmMap::default(), "llm", false)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        e,
        "a.csv: the file is empty; expected a header row (the azure-llm format has \
         TIMESTAMP, ContextTokens, GeneratedTokens)"
    );
}

#[test]
fn the_published_traces_match_their_facts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/azure-llm-2023");
    if !dir.is_dir() {
        eprintln!("skipped: {} not found (see README: traces)", dir.display());
        return;
    }
    // SOURCES.md: code 8,819 requests in 57 min; conv 19,366 requests in 58 min.
    for (name, count, minutes) in [("code", 8_819, 57), ("conv", 19_366, 58)] {
        let path = dir.join(format!("AzureLLMInferenceTrace_{name}.csv"));
        let (requests, report) = read_requests(&path, true).unwrap();
        assert_eq!((requests.len(), report.bad_count), (count, 0), "{name}");
        let first = requests.iter().map(|r| r.at).min().unwrap();
        let last = requests.iter().map(|r| r.at).max().unwrap();
        assert_eq!((last - first) / 60_000, minutes, "{name}");
        let (entries, _) = import(&path, &AzureLlmMap::default(), "llm", true).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].job.duration, (minutes as u64 + 1) * 60_000);
    }
}

#[test]
fn a_mistyped_year_is_refused_and_far_apart_requests_take_memory_per_request() {
    // Four 2023 requests and one dated 9999-12-31: the span is about 7 976 years, over the
    // 20-year limit (7 300 days). The old importer asked for 34 GB of per-minute windows.
    let text = format!(
        "{HEAD}2023-11-16 18:00:00,10,1\n2023-11-16 18:00:01,10,1\n2023-11-16 18:00:02,10,1\n\
         2023-11-16 18:00:03,10,1\n9999-12-31 23:59:59,10,1\n"
    );
    let e = import_reader(
        text.as_bytes(),
        "a.csv",
        &AzureLlmMap::default(),
        "llm",
        false,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.starts_with("a.csv: the time span of the requests is 2913"),
        "{e}"
    );
    assert!(
        e.ends_with(
            "days, more than the limit of 7300 days; a mistyped TIMESTAMP? (first request \
             2023-11-16 18:00:00, last 9999-12-31 23:59:59)"
        ),
        "{e}"
    );
    // 2013-01-01 to 2023-01-01 is 10 x 365 + 2 leap days = 3 652 days: within the limit. The
    // 60 s windows number 3 652 x 1 440 + 1 = 5 258 881, but only the two busy ones are kept.
    let text = format!("{HEAD}2013-01-01 00:00:00,6000,300\n2023-01-01 00:00:00,6000,300\n");
    let (requests, _) = read_rows(
        CsvRows::from_reader(text.as_bytes(), "a.csv", "x").unwrap(),
        false,
    )
    .unwrap();
    let d = window_demand(&requests, &AzureLlmMap::default());
    assert_eq!(d.windows, 5_258_881);
    // Each window: 6 000 / 12 000 + 300 / 3 000 = 0.6 s of GPU in 60 s -> u = 0.01.
    assert_eq!(d.busy.len(), 2);
    assert_eq!(d.busy[1].0, 5_258_880);
    assert!((d.busy[0].1 - 0.01).abs() < 1e-12);
    let (entries, _) = run(&text, &AzureLlmMap::default(), "llm");
    let j = &entries[0].job;
    assert_eq!(j.duration, 5_258_881 * 60_000);
    // u 0.01 equals min_u: one step covers the whole job.
    assert_eq!(j.load.len(), 1);
}

#[test]
fn mapping_limits_name_the_field_value_and_limit() {
    let map = AzureLlmMap {
        window: Dur(u64::MAX / 2),
        replicas: 100_000,
        ..Default::default()
    };
    let p = map.problems();
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].0, "window");
    assert!(
        p[0].1.ends_with("more than the limit of 7300d"),
        "{}",
        p[0].1
    );
    assert_eq!(
        p[1],
        (
            "replicas".to_string(),
            "replicas is 100000, more than the limit of 1024".to_string()
        )
    );
    // 1 024 replicas of a service whose load changes every window: 3 alternating windows x
    // 1 024 = 3 072 steps, far under the 50 000 000 limit.
    let text = format!(
        "{HEAD}2023-11-16 18:00:00,1440000,0\n2023-11-16 18:01:00,0,0\n\
         2023-11-16 18:02:00,1440000,0\n"
    );
    let map = AzureLlmMap {
        replicas: 1_024,
        ..Default::default()
    };
    let (entries, _) = run(&text, &map, "llm");
    assert_eq!(entries.len(), 1_024);
}
