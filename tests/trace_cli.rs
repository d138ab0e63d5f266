//! The trace commands end to end through the binary: import (each format, exact output),
//! stats, fit and generate, run --trace / --profile / --scale / --strict, and clear errors
//! (never a panic) for empty files, unknown formats and bad rows. Expected outputs are written
//! by hand from the mappings in docs/TRACE.md.

use proptest::prelude::*;
use slicesim::trace::{ImportMap, NativeReader, TraceJob, write_native};
use slicesim::trace::{TraceFormat, import};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the slicesim binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the binary; asserts it did not panic and exited as `ok` says. Returns (stdout, stderr).
#[track_caller]
fn run_ok(args: &[&str], ok: bool) -> (String, String) {
    let o = slicesim(args);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(
        o.status.success(),
        ok,
        "args {args:?}\nstdout: {out}\nstderr: {err}"
    );
    (out, err)
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const NATIVE_HEADER: &str = "id,submit,class,namespace,priority_class,gpus,gpu_milli,mig_profile,\
                             mem_gib,duration,u,d,checkpoint,gpu_models,load\n";

#[test]
fn philly_import_writes_the_documented_mapping() {
    let dir = tempfile::tempdir().unwrap();
    // Out of order; a bad duration on line 4. Time 0 is midnight of 2017-10-09:
    // 06:13:03 = 22 383 s, 07:01:55 = 25 315 s.
    let input = write(
        dir.path(),
        "philly.csv",
        "timestamp,duration,num_gpus,gpu_time,cluster\n\
         2017-10-09 07:01:55,66.0,1,66.0,11cb48\n\
         2017-10-09 06:13:03,2951.5,4,11806.0,6214e9\n\
         2017-10-09 06:20:00,-1,1,0,6214e9\n",
    );
    let out = dir.path().join("out.csv");
    let (stdout, stderr) = run_ok(&["trace", "import", s(&input), "-o", s(&out)], true);
    assert!(stdout.contains("(2 jobs)"), "{stdout}");
    assert!(
        stderr.contains(
            "3 rows, 2 used, 2 jobs, 1 bad row\n  1 row skipped: column duration: -1 is \
             negative\n    e.g. line 4: column duration: -1 is negative"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!(
            "{NATIVE_HEADER}1,22383,philly,vc-6214e9,,4,,,,2951.5,,,,,\n\
             0,25315,philly,vc-11cb48,,1,,,,66,,,,,\n"
        )
    );
    // --strict: the bad row is an error, and nothing is written.
    let out2 = dir.path().join("strict.csv");
    let (_, stderr) = run_ok(
        &["trace", "import", s(&input), "-o", s(&out2), "--strict"],
        false,
    );
    assert!(
        stderr.contains("philly.csv:4: column duration: -1 is negative (--strict"),
        "{stderr}"
    );
    assert!(!out2.exists());
}

#[test]
fn openb_and_azure_imports_write_the_documented_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let pods = write(
        dir.path(),
        "pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,\
         deletion_time,scheduled_time\n\
         openb-pod-0001,6000,12288,1,460,T4|P100,BE,Succeeded,100,700,160\n\
         openb-pod-0000,12000,16384,2,1000,,LS,Running,0,900,0\n\
         openb-pod-0002,4000,8192,0,0,,LS,Pending,50,60,\n",
    );
    let out = dir.path().join("o.csv");
    let (_, stderr) = run_ok(
        &[
            "trace",
            "import",
            "--format",
            "openb",
            s(&pods),
            "-o",
            s(&out),
        ],
        true,
    );
    assert!(stderr.contains("1 pods never ran"), "{stderr}");
    // Pod 0 was deleted at the trace's end while Running: cut there (900 s).
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!(
            "{NATIVE_HEADER}0,0,openb,,LS,2,,,,900,,,,,\n\
             1,100,openb,,BE,1,460,,,540,,,,P100|T4,\n"
        )
    );
    // Azure: 12 000 prompt tokens in the first minute -> 1 s of GPU per 60 s, u = 1/60;
    // the second minute is empty -> min_u 0.01; the third has 180 000 generated tokens
    // -> 60 s: u = 1.
    let reqs = write(
        dir.path(),
        "az.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:00:00.0000000,12000,0\n\
         2023-11-16 18:02:01.5000000,0,180000\n",
    );
    let out = dir.path().join("a.csv");
    run_ok(&["trace", "import", s(&reqs), "-o", s(&out)], true);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!(
            "{NATIVE_HEADER}0,0,llm,,,,,,,180,,,,,0:{};60:0.01;120:1\n",
            1.0 / 60.0
        )
    );
}

#[test]
fn native_import_round_trips_and_is_a_fixed_point() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "duration,class,id,submit,gpus,gpu_milli,mig_profile,u,load,gpu_models,namespace\n\
         60,a,0,0,2,,,0.5,,,ns\n\
         1.5,\"b, c\",7,0.25,,250,,,,T4|V100M16,\n\
         3600,svc,9,10,,,3g.40gb,,0:0.3;60:0.9,,\n\
         5,etl,10,11,0,,,,,,\n",
    );
    let out = dir.path().join("out.csv");
    run_ok(&["trace", "import", s(&input), "-o", s(&out)], true);
    let read = |p: &Path| -> Vec<TraceJob> {
        NativeReader::open(p)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(read(&input), read(&out));
    let again = dir.path().join("again.csv");
    run_ok(
        &[
            "trace",
            "import",
            "--format",
            "native",
            s(&out),
            "-o",
            s(&again),
        ],
        true,
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn unreadable_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.csv");
    let cases: [(&str, &str, &[&str], &str); 6] = [
        (
            "empty.csv",
            "",
            &[],
            "the file is empty; cannot tell its format",
        ),
        (
            "empty.csv",
            "",
            &["--format", "philly"],
            "the file is empty; expected a header row (the Philly format has",
        ),
        (
            "other.csv",
            "job_id,user,submit_time,gpu_num\n1,a,2,3\n",
            &[],
            "cannot tell the trace format from the header `job_id,user,submit_time,gpu_num`",
        ),
        (
            "nodes.csv",
            "sn,cpu_milli,memory_mib,gpu,model\nn-1,1,1,2,T4\n",
            &[],
            "this is an openb node list, not a job trace: turn it into pools with `slicesim \
             trace pools FILE`",
        ),
        (
            "other.csv",
            "job_id,user,submit_time,gpu_num\n1,a,2,3\n",
            &["--format", "azure-llm"],
            "missing columns `TIMESTAMP`, `ContextTokens`, `GeneratedTokens` for the azure-llm \
             format",
        ),
        (
            "bin.csv",
            "\u{1}\u{2}\u{3}",
            &[],
            "cannot tell the trace format",
        ),
    ];
    for (name, body, extra, expected) in cases {
        let input = write(dir.path(), name, body);
        let mut args = vec!["trace", "import", s(&input), "-o", s(&out)];
        args.extend_from_slice(extra);
        let (_, stderr) = run_ok(&args, false);
        assert!(stderr.contains(expected), "{name} {extra:?}: {stderr}");
        let mut args = vec!["trace", "stats", s(&input)];
        args.extend_from_slice(extra);
        let (_, stderr) = run_ok(&args, false);
        assert!(
            stderr.contains(expected),
            "stats {name} {extra:?}: {stderr}"
        );
    }
    // A file whose header fits but whose rows do not (dates with a time zone offset).
    let tz = write(
        dir.path(),
        "tz.csv",
        "timestamp,duration,num_gpus,gpu_time,cluster\n2017-10-09 07:01:55+02:00,5,1,5,a\n",
    );
    let (_, stderr) = run_ok(&["trace", "import", s(&tz), "-o", s(&out)], false);
    assert!(
        stderr.contains(
            "none of its 1 rows could be used as philly rows (the first: line 2: column \
             timestamp: `2017-10-09 07:01:55+02:00` is not a date and time"
        ),
        "{stderr}"
    );
    let reqs = write(
        dir.path(),
        "az.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\n",
    );
    let (_, stderr) = run_ok(&["trace", "fit", s(&reqs), "-o", s(&out)], false);
    assert!(
        stderr.contains("an azure-llm request log is the load of one service"),
        "{stderr}"
    );
    let (_, stderr) = run_ok(&["trace", "stats", "--format", "csv", "x.csv"], false);
    assert!(
        stderr.contains("unknown trace format `csv` (native, openb, philly, azure-llm)"),
        "{stderr}"
    );
}

const SCENARIO: &str = "name: t
horizon: 30d
priority_classes:
  - {name: LS, value: 1000}
  - {name: BE, value: 10}
  - {name: Burstable, value: 20}
  - {name: Guaranteed, value: 30}
pools:
  - {name: p, gpu: A100-80GB, nodes: 2, gpus_per_node: 8, sharing: {kind: fractional}}
classes:
  - {name: philly, kind: batch, namespace: d, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 10}
  - {name: openb, kind: service, namespace: d, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 1}
workload:
  kind: synthetic
  rate_per_hour: 10
  max_jobs: 20
  mix:
    - {class: philly, weight: 1, duration: {median: 1h, sigma: 0.5}}
";

#[test]
fn run_replays_a_trace_given_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.yaml", SCENARIO);
    let trace = write(
        dir.path(),
        "p.csv",
        "timestamp,duration,num_gpus,gpu_time,cluster\n\
         2017-10-09 00:00:10,100,1,100,a\n\
         2017-10-09 00:00:00,200,2,400,b\n\
         2017-10-09 00:00:20,x,1,1,c\n",
    );
    let out = dir.path().join("r");
    let (_, stderr) = run_ok(
        &[
            "run",
            s(&sc),
            "--trace",
            s(&trace),
            "--out",
            s(&out),
            "--quiet",
        ],
        true,
    );
    assert!(
        stderr.contains("3 rows, 2 used, 2 jobs, 1 bad row"),
        "{stderr}"
    );
    let jobs = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    assert_eq!(jobs.lines().count(), 3, "{jobs}");
    assert!(jobs.contains("\n1,philly,vc-b,"), "{jobs}");
    // --strict turns the bad row into an error; nothing is written.
    let out2 = dir.path().join("r2");
    let (_, stderr) = run_ok(
        &[
            "run",
            s(&sc),
            "--trace",
            s(&trace),
            "--strict",
            "--out",
            s(&out2),
        ],
        false,
    );
    assert!(stderr.contains("p.csv:4: column duration"), "{stderr}");
    assert!(!out2.exists());
    // --scale needs a synthetic workload.
    let (_, stderr) = run_ok(
        &[
            "run",
            s(&sc),
            "--trace",
            s(&trace),
            "--scale",
            "2",
            "--out",
            s(&out2),
        ],
        false,
    );
    assert!(
        stderr.contains("--scale applies to synthetic workloads"),
        "{stderr}"
    );
    // openb pods whose qos the scenario lacks as a priority class are caught up front.
    let pods = write(
        dir.path(),
        "pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,\
         deletion_time,scheduled_time\np-1,1,1,1,500,,LS,Succeeded,0,10,0\n",
    );
    let no_prio = write(
        dir.path(),
        "np.yaml",
        &SCENARIO.replace("  - {name: LS, value: 1000}\n", ""),
    );
    let (_, stderr) = run_ok(
        &["run", s(&no_prio), "--trace", s(&pods), "--out", s(&out2)],
        false,
    );
    assert!(
        stderr.contains(
            "openb jobs would be of priority class LS, which the scenario does not define"
        ),
        "{stderr}"
    );
    let out3 = dir.path().join("r3");
    run_ok(
        &[
            "run",
            s(&sc),
            "--trace",
            s(&pods),
            "--trace-format",
            "openb",
            "--out",
            s(&out3),
            "--quiet",
        ],
        true,
    );
    let jobs = std::fs::read_to_string(out3.join("jobs.csv")).unwrap();
    assert!(
        jobs.contains("\n1,openb,d,1000,milli:500x1,completed,"),
        "{jobs}"
    );
}

#[test]
fn stats_fit_generate_and_scaled_runs() {
    let dir = tempfile::tempdir().unwrap();
    // 400 philly jobs over 4 days, one every 15 minutes, 1 or 2 GPUs.
    let mut body = String::from("timestamp,duration,num_gpus,gpu_time,cluster\n");
    for i in 0..400u64 {
        let t = i * 900;
        body.push_str(&format!(
            "2017-10-{:02} {:02}:{:02}:00,{},{},0,vc{}\n",
            9 + t / 86_400,
            t % 86_400 / 3600,
            t % 3600 / 60,
            600 + i % 7 * 100,
            1 + i % 2,
            i % 3
        ));
    }
    let trace = write(dir.path(), "p.csv", &body);
    let (json, _) = run_ok(&["trace", "stats", s(&trace), "--json"], true);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["jobs"], 400);
    assert_eq!(v["requests"]["one_gpu_whole"], 200);
    assert_eq!(v["requests"]["multi_gpu"], 200);
    // Run times 600..1200 s by 100, nearest-rank p50 of 400: 200th value. Each of the 7
    // values has 57 or 58 jobs (i % 7): cumulative 58, 115, 172, 229 -> 900 s.
    assert_eq!(v["durations"]["p50_s"], 900.0);
    let (txt, _) = run_ok(&["trace", "stats", s(&trace)], true);
    assert!(txt.contains("jobs     400\n"), "{txt}");
    let profile = dir.path().join("profile.yaml");
    run_ok(&["trace", "fit", s(&trace), "-o", s(&profile)], true);
    let p = slicesim::run::load_profile(&profile).unwrap();
    // 400 jobs over 399 x 15 min = 99.75 h.
    assert!(
        (p.rate_per_hour - 400.0 / 99.75).abs() < 1e-4,
        "{}",
        p.rate_per_hour
    );
    assert_eq!(p.mix.len(), 6); // 3 namespaces x 2 requests
    let (g1, g2) = (dir.path().join("g1.csv"), dir.path().join("g2.csv"));
    run_ok(&["trace", "generate", s(&profile), "-o", s(&g1)], true);
    run_ok(
        &[
            "trace",
            "generate",
            s(&profile),
            "--scale",
            "2",
            "-o",
            s(&g2),
        ],
        true,
    );
    let count = |p: &Path| NativeReader::open(p).unwrap().count() as f64;
    // Poisson counts with means 400 and 800: within 5 standard deviations.
    assert!((count(&g1) - 400.0).abs() < 5.0 * 20.0, "{}", count(&g1));
    assert!((count(&g2) - 800.0).abs() < 5.0 * 28.3, "{}", count(&g2));
    // run --profile --scale: the scenario's classes run the fitted mix at twice the rate.
    let sc = write(dir.path(), "s.yaml", SCENARIO);
    let (o1, o2) = (dir.path().join("o1"), dir.path().join("o2"));
    run_ok(
        &[
            "run",
            s(&sc),
            "--profile",
            s(&profile),
            "--out",
            s(&o1),
            "--quiet",
        ],
        true,
    );
    run_ok(
        &[
            "run",
            s(&sc),
            "--profile",
            s(&profile),
            "--scale",
            "2",
            "--out",
            s(&o2),
            "--quiet",
        ],
        true,
    );
    let jobs = |d: &Path| {
        std::fs::read_to_string(d.join("jobs.csv"))
            .unwrap()
            .lines()
            .count() as f64
            - 1.0
    };
    assert!(
        (jobs(&o2) / jobs(&o1) - 2.0).abs() < 0.35,
        "{} {}",
        jobs(&o1),
        jobs(&o2)
    );
}

#[test]
fn trace_pools_prints_scenario_pools() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write(
        dir.path(),
        "n.csv",
        "sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,2,T4\nn1,1,1,2,T4\nn2,1,1,8,A100-80GB\nn3,1,1,0,\n",
    );
    let (yaml, stderr) = run_ok(
        &["trace", "pools", s(&nodes), "--sharing", "time-slicing:2"],
        true,
    );
    assert!(stderr.contains("4 nodes, 2 pools, 0 bad rows"), "{stderr}");
    assert!(stderr.contains("1 nodes without GPUs left out"), "{stderr}");
    // A100-80GB is built in; T4 gets a custom model.
    assert!(yaml.contains("- name: T4\n  memory_gib: 16.0"), "{yaml}");
    assert!(!yaml.contains("- name: A100-80GB\n  memory_gib"), "{yaml}");
    assert!(
        yaml.contains("- name: t4-2g\n  gpu: T4\n  nodes: 2\n  gpus_per_node: 2"),
        "{yaml}"
    );
    assert!(
        yaml.contains("kind: time_slicing\n    replicas: 2"),
        "{yaml}"
    );
    let (_, stderr) = run_ok(&["trace", "pools", s(&nodes), "--sharing", "mps"], false);
    assert!(
        stderr.contains("expected fractional, exclusive or time-slicing:N"),
        "{stderr}"
    );
}

fn job() -> impl Strategy<Value = TraceJob> {
    (
        any::<u32>(),
        0u64..10_000_000,
        "[a-z][a-z0-9,\" -]{0,6}[a-z]",
        proptest::option::of(1u32..=1000),
        proptest::option::of(0u32..9),
        1u64..100_000_000,
        proptest::collection::vec("[A-Z][A-Z0-9]{0,4}", 0..3),
    )
        .prop_map(|(id, submit, class, milli, gpus, duration, models)| {
            let mut j = TraceJob::new(u64::from(id), submit, class, duration);
            j.request = match (milli, gpus) {
                (Some(m), g) if m < 1000 => Some(slicesim::domain::RequestSpec::Milli {
                    milli: m,
                    count: g.unwrap_or(1).max(1),
                }),
                (_, Some(g)) => Some(slicesim::domain::RequestSpec::Gpu { count: g }),
                _ => None,
            };
            j.gpu_models = models;
            j
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// native -> import -> identical jobs.
    #[test]
    fn native_import_gives_identical_jobs(mut jobs in proptest::collection::vec(job(), 0..30)) {
        jobs.sort_by_key(|j| j.submit);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        write_native(std::fs::File::create(&input).unwrap(), jobs.clone()).unwrap();
        let out = dir.path().join("out.csv");
        let report = import::convert(&input, None, &ImportMap::default(), true, &out).unwrap();
        prop_assert_eq!(report.jobs, jobs.len() as u64);
        let back: Vec<TraceJob> = NativeReader::open(&out).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, jobs);
    }

    /// Any bytes under any format's header: an error or jobs, never a panic.
    #[test]
    fn importers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), which in 0usize..4, strict in any::<bool>()) {
        let headers = [
            "timestamp,duration,num_gpus,gpu_time,cluster\n",
            "TIMESTAMP,ContextTokens,GeneratedTokens\n",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = headers[which].as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &bytes).unwrap();
        for format in [None, Some(TraceFormat::Philly), Some(TraceFormat::AzureLlm), Some(TraceFormat::Openb)] {
            if let Ok(o) = import::open(&path, format, &ImportMap::default(), strict) {
                for _ in o.into_jobs() {}
            }
        }
        let _ = slicesim::workload::stats::of_file(&path, None, &ImportMap::default(), strict);
    }
}
