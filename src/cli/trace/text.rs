//! Terminal text for the trace commands: import reports and `trace stats`. The library
//! returns the data ([`ImportReport`], [`Stats`]); only the binary words it for a terminal.

use slicesim::trace::ImportReport;
use slicesim::workload::stats::{BUSY_SHARE, RequestStats, Stats, TokenStats, TraceStats};
use std::collections::BTreeMap;

/// `trace stats` as text for a terminal.
pub fn stats(s: &Stats) -> String {
    match s {
        Stats::Jobs(s) => trace_stats(s),
        Stats::Requests(s) => request_stats(s),
    }
}

/// An import report as lines of text for a terminal.
pub fn import_report(r: &ImportReport) -> String {
    let mut s = format!(
        "{} ({}): {} rows, {} used, {} jobs, {} bad row{}\n",
        r.source,
        r.format,
        r.rows,
        r.used_rows(),
        r.jobs,
        r.bad_count,
        if r.bad_count == 1 { "" } else { "s" }
    );
    // Each reason once, with its count and its first rows.
    for b in &r.bad_reasons {
        let column = b
            .column
            .as_deref()
            .map_or(String::new(), |c| format!("column {c}: "));
        s.push_str(&format!(
            "  {} row{} skipped: {column}{}\n",
            b.count,
            if b.count == 1 { "" } else { "s" },
            b.reason
        ));
        for e in &b.examples {
            s.push_str(&format!("    e.g. {e}\n"));
        }
    }
    for n in &r.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s
}

/// `trace stats` of a job trace as text for a terminal.
pub fn trace_stats(s: &TraceStats) -> String {
    let mut o = String::new();
    o.push_str(&jobs_text(s));
    o.push_str(&requests_text(s));
    o.push_str(&labels_text(s));
    o.push_str(&arrivals_text(s));
    o.push_str(&run_time_text(s));
    if s.import.bad_count > 0 || !s.import.notes.is_empty() {
        o.push_str("import\n");
        for line in import_report(&s.import).lines().skip(1) {
            o.push_str(&format!("{line}\n"));
        }
    }
    o
}

/// The trace and its job count by how the jobs ran.
fn jobs_text(s: &TraceStats) -> String {
    let mut o = String::new();
    let n = s.jobs;
    o.push_str(&format!("trace    {} ({})\n", s.source, s.format));
    let st = |k: &str| s.status.get(k).copied().unwrap_or(0);
    o.push_str(&format!("jobs     {n}"));
    let mut parts = Vec::new();
    for (k, text) in [
        ("still_running", "still running at trace end (run time cut)"),
        ("never_ran", "never ran (no run time)"),
        ("untimed", "without times in the trace"),
    ] {
        if st(k) > 0 {
            parts.push(format!("{} {text}", st(k)));
        }
    }
    if !parts.is_empty() {
        o.push_str(&format!(" ({})", parts.join("; ")));
    }
    o.push('\n');
    o
}

/// Jobs per kind of request, devices per job and the commonest fractions.
fn requests_text(s: &TraceStats) -> String {
    let mut o = String::new();
    let n = s.jobs;
    let r = &s.requests;
    o.push_str("requests\n");
    for (label, v) in [
        ("CPU-only", r.cpu_only),
        ("1 GPU, whole", r.one_gpu_whole),
        ("1 GPU, fraction", r.one_gpu_fraction),
        ("multi-GPU", r.multi_gpu),
        ("MIG", r.mig),
        ("class default", r.class_default),
    ] {
        if v > 0 || label != "MIG" && label != "class default" {
            o.push_str(&format!("  {label:<16} {v:>9}  {:>7}\n", pct(v, n)));
        }
    }
    if !s.devices.is_empty() {
        let d: Vec<String> = s.devices.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        o.push_str(&format!("  devices per job  {}\n", d.join(", ")));
    }
    if !s.fractions.is_empty() {
        let f: BTreeMap<String, u64> = s
            .fractions
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        o.push_str(&format!(
            "  commonest fractions (milli): {}\n",
            counts(&f, 6)
        ));
    }
    o
}

/// Classes, priority classes, namespaces, GPU models and services with a load.
fn labels_text(s: &TraceStats) -> String {
    let mut o = String::new();
    o.push_str(&format!("classes  {}\n", counts(&s.classes, 8)));
    o.push_str(&format!(
        "priority classes ('-' = class default)  {}\n",
        counts(&s.priorities, 8)
    ));
    o.push_str(&format!(
        "namespaces ('-' = class default)  {}\n",
        counts(&s.namespaces, 8)
    ));
    if s.gpu_models.len() > 1 || !s.gpu_models.contains_key("-") {
        o.push_str(&format!(
            "GPU models allowed ('-' = any)  {}\n",
            counts(&s.gpu_models, 6)
        ));
    }
    if s.services_with_load > 0 {
        o.push_str(&format!(
            "services with a time-varying load  {}\n",
            s.services_with_load
        ));
    }
    o
}

/// When jobs arrive: span, busiest window, hours of the day.
fn arrivals_text(s: &TraceStats) -> String {
    let mut o = String::new();
    let n = s.jobs;
    let a = &s.arrivals;
    if let (Some(f), Some(l)) = (a.first_s, a.last_s) {
        o.push_str(&format!(
            "arrivals first {f} s, last {l} s: span {:.1} days, {:.2} jobs/h on average\n",
            a.span_days, a.rate_per_hour
        ));
        if let Some((ws, we, wd)) = a.busiest_window {
            o.push_str(&format!(
                "  {:.0} % of arrivals fall in {wd:.1} days ({ws} s to {we} s)\n",
                BUSY_SHARE * 100.0
            ));
        }
        o.push_str("  by hour of day (time 0 = 00:00): hour, arrivals, share, mean per hour\n");
        let max = a.by_hour_of_day.iter().copied().max().unwrap_or(1).max(1);
        for h in 0..24 {
            let c = a.by_hour_of_day[h];
            let bar = "#".repeat((c * 40).div_ceil(max) as usize);
            o.push_str(&format!(
                "  {h:02}  {c:>9}  {:>7}  {:>9.2}  {bar}\n",
                pct(c, n),
                a.rate_by_hour_of_day[h]
            ));
        }
    }
    o
}

/// Run-time percentiles and the GPU-hours requested.
fn run_time_text(s: &TraceStats) -> String {
    let mut o = String::new();
    let d = &s.durations;
    if d.count > 0 {
        let f = |v: Option<f64>| v.map(human_secs).unwrap_or_else(|| "-".into());
        o.push_str(&format!(
            "run time ({} jobs with a measured run time)\n  p50 {}\n  p90 {}\n  p99 {}\n  \
             max {}\n  mean {}\n",
            d.count,
            f(d.p50_s),
            f(d.p90_s),
            f(d.p99_s),
            f(d.max_s),
            f(d.mean_s)
        ));
    }
    let parts: Vec<String> = s
        .gpu_hours
        .iter()
        .map(|(k, v)| format!("{} {v:.1}", kind_label(k)))
        .collect();
    o.push_str(&format!(
        "GPU-hours requested {:.1}{}\n",
        s.gpu_hours_total,
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    ));
    if s.requests.mig > 0 {
        o.push_str("  (a MIG instance counts as one GPU)\n");
    }
    o
}

/// `trace stats` of an Azure LLM request log as text for a terminal.
pub fn request_stats(s: &RequestStats) -> String {
    let t = |k: &TokenStats| {
        format!(
            "total {}, mean {:.1}, p50 {}, p99 {}, max {}",
            k.total,
            k.mean,
            k.p50.map_or("-".into(), |v| v.to_string()),
            k.p99.map_or("-".into(), |v| v.to_string()),
            k.max.map_or("-".into(), |v| v.to_string())
        )
    };
    let mut o = format!(
        "trace    {} (azure-llm: one row per request)\nrequests {}\nfirst    {}\nspan     \
         {:.1} min, {:.2} requests/s\ncontext tokens    {}\ngenerated tokens  {}\n",
        s.source,
        s.requests,
        s.first.as_deref().unwrap_or("-"),
        s.span_minutes,
        s.requests_per_s,
        t(&s.context_tokens),
        t(&s.generated_tokens),
    );
    o.push_str(&format!(
        "service load on one reference GPU ({} windows of {} s, before clamping to [min_u, \
         1] and splitting over replicas): mean u {:.3}, p95 {:.3}, max {:.3}\n",
        s.windows, s.window_s, s.u_mean, s.u_p95, s.u_max
    ));
    for line in import_report(&s.import).lines().skip(1) {
        o.push_str(&format!("{line}\n"));
    }
    o
}

fn kind_label(kind: &str) -> &str {
    match kind {
        "one_gpu_whole" => "1 GPU whole",
        "one_gpu_fraction" => "1 GPU fraction",
        "multi_gpu" => "multi-GPU",
        "mig" => "MIG",
        other => other,
    }
}

fn human_secs(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{s:.0} s ({:.1} d)", s / 86_400.0)
    } else if s >= 3_600.0 {
        format!("{s:.0} s ({:.1} h)", s / 3_600.0)
    } else if s >= 60.0 {
        format!("{s:.0} s ({:.1} min)", s / 60.0)
    } else {
        format!("{s} s")
    }
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / of as f64)
    }
}

fn counts(m: &BTreeMap<String, u64>, limit: usize) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = v
        .iter()
        .take(limit)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if v.len() > limit {
        parts.push(format!("... ({} more)", v.len() - limit));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use slicesim::domain::RequestSpec;
    use slicesim::trace::report::{Entry, RunStatus};
    use slicesim::trace::{TraceFormat, TraceJob};
    use slicesim::workload::stats::StatsBuilder;

    #[test]
    fn an_import_report_counts_bad_rows_per_reason_with_examples() {
        // 40 rows: 31 with a float duration (values differ), 2 short; 7 used.
        let mut r = ImportReport::new("t.csv", TraceFormat::Philly);
        for i in 0..31 {
            let m = format!("`{i}.5` is not a whole number");
            r.bad_row(false, 10 + i, Some("duration"), m).unwrap();
        }
        for line in [50, 51] {
            r.bad_row(
                false,
                line,
                None,
                "found 2 fields but the header has 5".into(),
            )
            .unwrap();
        }
        r.rows = 40;
        r.jobs = 7;
        assert_eq!(
            import_report(&r),
            "t.csv (philly): 40 rows, 7 used, 7 jobs, 33 bad rows\n\
             \x20 31 rows skipped: column duration: `…` is not a whole number\n\
             \x20   e.g. line 10: column duration: `0.5` is not a whole number\n\
             \x20   e.g. line 11: column duration: `1.5` is not a whole number\n\
             \x20   e.g. line 12: column duration: `2.5` is not a whole number\n\
             \x20 2 rows skipped: found 2 fields but the header has 5\n\
             \x20   e.g. line 50: found 2 fields but the header has 5\n\
             \x20   e.g. line 51: found 2 fields but the header has 5\n"
        );
    }

    #[test]
    fn trace_stats_text_names_statuses_and_request_kinds() {
        let h = 3_600_000;
        let mut b = StatsBuilder::new("t", TraceFormat::Native);
        for (submit, dur, req, status) in [
            (0, h, RequestSpec::Gpu { count: 0 }, RunStatus::Ran),
            (h, 2 * h, RequestSpec::Gpu { count: 1 }, RunStatus::Ran),
            (
                25 * h,
                4 * h,
                RequestSpec::Milli {
                    milli: 500,
                    count: 1,
                },
                RunStatus::Ran,
            ),
            (
                26 * h,
                h,
                RequestSpec::Gpu { count: 2 },
                RunStatus::StillRunning,
            ),
            (
                48 * h,
                10 * h,
                RequestSpec::Gpu { count: 1 },
                RunStatus::NeverRan,
            ),
        ] {
            let mut job = TraceJob::new(0, submit, "c", dur);
            job.request = Some(req);
            b.add(&Entry { job, status });
        }
        let text = stats(&Stats::Jobs(Box::new(b.finish(ImportReport::default()))));
        assert!(text.contains("jobs     5 (1 still running at trace end (run time cut); 1 never ran (no run time))"), "{text}");
        assert!(
            text.contains("\n  1 GPU, fraction          1   20.0 %\n"),
            "{text}"
        );
    }
}
