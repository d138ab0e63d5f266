use super::requests::clock_text;
use super::*;
use crate::trace::TraceJob;

fn pct(n: u64, of: u64) -> String {
    format!("{:.1} %", 100.0 * n as f64 / of as f64)
}

fn entry(submit: SimTime, dur: SimTime, req: Option<RequestSpec>, status: RunStatus) -> Entry {
    let mut job = TraceJob::new(0, submit, "c", dur);
    job.request = req;
    Entry { job, status }
}

#[test]
fn counts_mix_percentiles_and_gpu_hours_by_hand() {
    let h = MS_PER_HOUR;
    let mut b = StatsBuilder::new("t", TraceFormat::Native);
    // 5 jobs: CPU-only 1 h; whole GPU 2 h; 500 milli 4 h; 2 GPUs 1 h (still running);
    // 1 GPU never ran (its 10 h is a stand-in).
    b.add(&entry(
        0,
        h,
        Some(RequestSpec::Gpu { count: 0 }),
        RunStatus::Ran,
    ));
    b.add(&entry(
        h,
        2 * h,
        Some(RequestSpec::Gpu { count: 1 }),
        RunStatus::Ran,
    ));
    b.add(&entry(
        25 * h,
        4 * h,
        Some(RequestSpec::Milli {
            milli: 500,
            count: 1,
        }),
        RunStatus::Ran,
    ));
    b.add(&entry(
        26 * h,
        h,
        Some(RequestSpec::Gpu { count: 2 }),
        RunStatus::StillRunning,
    ));
    b.add(&entry(
        48 * h,
        10 * h,
        Some(RequestSpec::Gpu { count: 1 }),
        RunStatus::NeverRan,
    ));
    let s = b.finish(ImportReport::default());
    assert_eq!(s.jobs, 5);
    assert_eq!(
        s.requests,
        RequestMix {
            cpu_only: 1,
            one_gpu_whole: 2,
            one_gpu_fraction: 1,
            multi_gpu: 1,
            mig: 0,
            class_default: 0
        }
    );
    assert_eq!(s.fractions, BTreeMap::from([(500, 1)]));
    // Run times of the 4 jobs that ran: 1, 2, 4, 1 h -> sorted 1, 1, 2, 4 h;
    // nearest rank p50 = 2nd = 1 h, p90 = 4th = 4 h; mean 2 h.
    assert_eq!(s.durations.count, 4);
    assert_eq!(s.durations.p50_s, Some(3600.0));
    assert_eq!(s.durations.p90_s, Some(4.0 * 3600.0));
    assert_eq!(s.durations.mean_s, Some(2.0 * 3600.0));
    // GPU-hours: whole 2 (the never-ran job excluded), fraction 0.5 x 4 = 2, multi 2 x 1.
    assert_eq!(s.gpu_hours_total, 6.0);
    assert_eq!(s.gpu_hours["one_gpu_fraction"], 2.0);
    // Arrivals at 0, 1, 25, 26, 48 h: span 2 days; 98 % of 5 = 5 jobs -> the whole span.
    assert_eq!(s.arrivals.span_days, 2.0);
    assert_eq!(s.arrivals.busiest_window, Some((0.0, 48.0 * 3600.0, 2.0)));
    // Hours of day: 0 (x2: 0 h, 48 h), 1 (x2: 1 h, 25 h), 2 (26 h); 3 days touched.
    assert_eq!(&s.arrivals.by_hour_of_day[..3], &[2, 2, 1]);
    assert!((s.arrivals.rate_by_hour_of_day[0] - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(s.status["never_ran"], 1);
}

#[test]
fn the_published_openb_default_pod_list_matches_its_facts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/traces/openb/openb_pod_list_default.csv");
    if !path.is_file() {
        eprintln!("skipped: {} not found (see README: traces)", path.display());
        return;
    }
    let opened = crate::trace::import::open(&path, None, &ImportMap::default(), true).unwrap();
    assert_eq!(opened.format, TraceFormat::Openb);
    let s = of_opened(opened).unwrap();
    // SOURCES.md and the issue: 8,152 pods, 1,088 CPU-only, 3,078 fractional; 85.7 %
    // 1-GPU, 13.3 % CPU-only, 0.9 % multi-GPU; 37.8 % fractional, commonest shares 810,
    // 470, 320, 650, 230; arrivals span 149 days, 98 % within 33; run time p50 616 s, p99
    // 115 ks; 34 pods still running at the end.
    assert_eq!(s.jobs, 8_152);
    assert_eq!(s.requests.cpu_only, 1_088);
    assert_eq!(s.requests.one_gpu_fraction, 3_078);
    assert_eq!(pct(s.devices[&1], s.jobs), "85.7 %");
    assert_eq!(pct(s.requests.cpu_only, s.jobs), "13.3 %");
    assert_eq!(pct(s.requests.multi_gpu, s.jobs), "0.9 %");
    assert_eq!(pct(s.requests.one_gpu_fraction, s.jobs), "37.8 %");
    let mut shares: Vec<(u64, u32)> = s.fractions.iter().map(|(m, n)| (*n, *m)).collect();
    shares.sort_by(|a, b| b.cmp(a));
    let top: Vec<u32> = shares.iter().take(5).map(|x| x.1).collect();
    assert_eq!(top, vec![810, 470, 320, 650, 230]);
    assert_eq!(s.arrivals.span_days.round(), 149.0);
    assert_eq!(s.arrivals.busiest_window.unwrap().2.round(), 33.0);
    assert_eq!(s.durations.p50_s, Some(616.0));
    assert_eq!((s.durations.p99_s.unwrap() / 1000.0).round(), 115.0);
    assert_eq!(s.status["still_running"], 34);
    assert_eq!(s.priorities["LS"] + s.priorities["BE"], 4_647 + 3_398);
}

#[test]
fn civil_dates_print_back() {
    let ms = crate::trace::clock::parse_datetime_ms("2023-11-16 18:17:03.98").unwrap();
    assert_eq!(clock_text(ms), "2023-11-16 18:17:03");
    let ms = crate::trace::clock::parse_datetime_ms("1999-02-28 23:59:59").unwrap();
    assert_eq!(clock_text(ms), "1999-02-28 23:59:59");
}

#[test]
fn the_published_philly_and_azure_traces_match_their_facts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces");
    if !dir.is_dir() {
        eprintln!("skipped: {} not found (see README: traces)", dir.display());
        return;
    }
    let map = ImportMap::default();
    let opened =
        crate::trace::import::open(&dir.join("philly/philly.csv"), None, &map, true).unwrap();
    let s = of_opened(opened).unwrap();
    // SOURCES.md: 82,247 jobs, 93.2 % single-GPU, 15 virtual clusters.
    assert_eq!(s.jobs, 82_247);
    assert_eq!(pct(s.devices[&1], s.jobs), "93.2 %");
    assert_eq!(s.namespaces.len(), 15);
    assert_eq!(s.devices.keys().max(), Some(&128));
    // 2017-09-04 10:30:41 to 2017-12-22 08:02:11.
    assert_eq!(s.arrivals.first_s, Some(10.0 * 3600.0 + 30.0 * 60.0 + 41.0));
    let r = of_requests(
        &dir.join("azure-llm-2023/AzureLLMInferenceTrace_conv.csv"),
        &map,
        true,
    )
    .unwrap();
    assert_eq!((r.requests, r.span_minutes as u64), (19_366, 58));
    assert_eq!(r.first.as_deref(), Some("2023-11-16 18:15:46"));
}

#[test]
fn absurd_token_counts_do_not_overflow_the_totals() {
    // Two requests of 18 446 744 073 709 551 615 (u64::MAX) prompt tokens: the sum (2^65 - 2)
    // saturates at u64::MAX instead of overflowing; the mean is u64::MAX as a float.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("llm.csv");
    std::fs::write(
        &p,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:00:00,18446744073709551615,1\n\
         2023-11-16 18:00:01,18446744073709551615,1\n",
    )
    .unwrap();
    let r = of_requests(&p, &ImportMap::default(), false).unwrap();
    assert_eq!(r.context_tokens.total, u64::MAX);
    assert_eq!(r.context_tokens.mean, u64::MAX as f64);
    assert_eq!(r.generated_tokens.total, 2);
}
