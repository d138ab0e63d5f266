//! Tests of the openb pod-list importer.

use super::*;
use crate::units::Dur;

const HEAD: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,\
                        creation_time,deletion_time,scheduled_time\n";

fn run(text: &str, map: &OpenbMap, class: &str) -> (Vec<Entry>, ImportReport) {
    import_reader(text.as_bytes(), "o.csv", map, class, false).unwrap()
}

#[test]
fn pods_map_to_jobs() {
    let text = format!(
        "{HEAD}openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0\n\
             openb-pod-0001,6000,12288,1,460,T4|V100M16|T4,BE,Succeeded,100,700,160\n\
             openb-pod-0002,4000,8192,0,0,,Burstable,Running,50,900,60\n\
             openb-pod-0003,64000,65536,8,1000,,Guaranteed,Failed,80,180,90\n\
             openb-pod-0004,6000,12288,1,1000,,BE,Pending,120,400,\n\
             openb-pod-0005,6000,12288,2,500,G2,LS,Running,130,12902960,140\n"
    );
    let (entries, report) = run(&text, &OpenbMap::default(), "openb");
    // Sorted by creation time: 0 (0 s), 2 (50), 3 (80), 1 (100), 4 (120), 5 (130).
    let ids: Vec<u64> = entries.iter().map(|e| e.job.id).collect();
    assert_eq!(ids, vec![0, 2, 3, 1, 4, 5]);
    let by_id = |id: u64| entries.iter().find(|e| e.job.id == id).unwrap();
    // Whole GPU, run 0 -> 12 537 496 s, LS.
    let j = &by_id(0).job;
    assert_eq!(j.request, Some(RequestSpec::Gpu { count: 1 }));
    assert_eq!((j.submit, j.duration), (0, 12_537_496_000));
    assert_eq!(j.priority_class.as_deref(), Some("LS"));
    assert_eq!(j.class, "openb");
    assert_eq!(by_id(0).status, RunStatus::Ran);
    // 460 milli of a T4 or V100M16 (duplicates dropped); created 100, ran 160 -> 700.
    let j = &by_id(1).job;
    assert_eq!(
        j.request,
        Some(RequestSpec::Milli {
            milli: 460,
            count: 1
        })
    );
    assert_eq!(j.gpu_models, vec!["T4", "V100M16"]);
    assert_eq!((j.submit, j.duration), (100_000, 540_000));
    // CPU-only: kept, with its 4 cores and 8 GiB (8,192 MiB = 8,589,934,592 bytes).
    assert_eq!(by_id(2).job.request, Some(RequestSpec::Gpu { count: 0 }));
    assert_eq!(
        by_id(2).job.host,
        HostRequest {
            cpu_milli: Some(4_000),
            mem_bytes: Some(8_589_934_592)
        }
    );
    // Every pod carries its CPU and memory: pod 3, 64 cores and 64 GiB.
    assert_eq!(by_id(3).job.host.cpu_milli, Some(64_000));
    assert_eq!(by_id(3).job.host.mem_bytes, Some(64 << 30));
    // 8 whole GPUs, ran 90 -> 180 (failed, but it ran).
    assert_eq!(by_id(3).job.request, Some(RequestSpec::Gpu { count: 8 }));
    assert_eq!(by_id(3).job.duration, 90_000);
    // Never ran: lifetime 400 - 120 = 280 s, marked.
    assert_eq!(by_id(4).status, RunStatus::NeverRan);
    assert_eq!(by_id(4).job.duration, 280_000);
    // Deleted at the trace's end (its latest deletion, 12 902 960 s) while Running: cut.
    assert_eq!(by_id(5).status, RunStatus::StillRunning);
    assert_eq!(by_id(5).job.duration, (12_902_960 - 140) * 1000);
    assert_eq!(
        by_id(5).job.request,
        Some(RequestSpec::Milli {
            milli: 500,
            count: 2
        })
    );
    assert_eq!((report.rows, report.jobs, report.bad_count), (6, 5, 0));
    assert_eq!(
        report.notes,
        vec![
            "rows were not in creation-time order (1 rows earlier than the row above): \
                 sorted in memory",
            "1 pods never ran (no scheduled_time): left out of runs (counted by trace \
                 stats; set map.openb.never_ran: lifetime to replay them)",
            "1 pods were still running at the trace's end (12902960 s): their run time is \
                 cut there",
        ]
    );
}

#[test]
fn the_mapping_is_configurable() {
    let text = format!(
        "{HEAD}p-1,1,1,1,250,,LS,Succeeded,0,10,0\np-2,1,1,1,1000,,BE,Succeeded,0,10,0\n\
             p-3,1,1,4,1000,,Burstable,Succeeded,0,10,0\np-4,1,1,0,0,,XL,Succeeded,0,10,0\n"
    );
    let map: OpenbMap = serde_saphyr::from_str(
        "fractional_as: gpu
classes: {fractional: notebook, multi: train}
qos_priority: {LS: high, BE: low, Burstable: ''}
",
    )
    .unwrap();
    assert!(map.problems().is_empty());
    let (e, report) = run(&text, &map, "pods");
    let got: Vec<(&str, Option<&str>, Option<RequestSpec>)> = e
        .iter()
        .map(|e| {
            (
                e.job.class.as_str(),
                e.job.priority_class.as_deref(),
                e.job.request.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "notebook",
                Some("high"),
                Some(RequestSpec::Gpu { count: 1 })
            ),
            ("pods", Some("low"), Some(RequestSpec::Gpu { count: 1 })),
            ("train", None, Some(RequestSpec::Gpu { count: 4 })),
            ("pods", Some("XL"), Some(RequestSpec::Gpu { count: 0 })),
        ]
    );
    assert!(
        report.notes[0].starts_with("1 pods have qos `XL`"),
        "{:?}",
        report.notes
    );
    assert_eq!(map.priority_classes(), vec!["Guaranteed", "high", "low"]);
    let bad: OpenbMap = serde_saphyr::from_str("{classes: {gpu: x}, untimed_duration: 0}").unwrap();
    assert_eq!(
        bad.problems(),
        vec![
            (
                "classes.gpu".to_string(),
                "unknown pod kind (the kinds are cpu, fractional, whole, multi)".to_string()
            ),
            (
                "untimed_duration".to_string(),
                "must be longer than 0".to_string()
            )
        ]
    );
}

#[test]
fn untimed_files_arrive_in_order() {
    let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0007,1,1,1,300\n\
                    openb-pod-0003,1,1,2,1000\nx,1,1,0,0\n";
    let map = OpenbMap {
        untimed_interval: Dur(10_000),
        ..Default::default()
    };
    let (e, report) = run(text, &map, "openb");
    let got: Vec<(u64, u64, u64, RunStatus)> = e
        .iter()
        .map(|e| (e.job.id, e.job.submit, e.job.duration, e.status))
        .collect();
    let year = 365 * 86_400_000;
    assert_eq!(
        got,
        vec![
            (7, 0, year, RunStatus::Untimed),
            (3, 10_000, year, RunStatus::Untimed),
            // No number in the name: its row number.
            (2, 20_000, year, RunStatus::Untimed),
        ]
    );
    assert_eq!(
        report.notes,
        vec![
            "the file has no time columns: pod i is submitted at i x 10s and runs 365d",
            "1 pod names do not end in a number: their ids are their row numbers",
        ]
    );
}

#[test]
fn bad_rows_are_reported_with_lines() {
    let text = format!(
        "{HEAD}ok-1,1,1,1,300,,LS,Running,0,10,0\n\
             b-2,1,1,1,0,,LS,Running,0,10,0\n\
             b-3,1,1,1,1500,,LS,Running,0,10,0\n\
             b-4,1,1,x,300,,LS,Running,0,10,0\n\
             b-5,1,1,1,300,,LS,Running,,10,0\n\
             b-6,1,1,1,300,,LS,Running,5,10,2\n\
             b-7,1,1,1,300,,LS,Running,0,10,10\n\
             b-8,1,1,1,300,,LS,Running,0,-10,0\n\
             b-9,1,1,1,300\n"
    );
    let (e, report) = run(&text, &OpenbMap::default(), "openb");
    assert_eq!(e.len(), 1);
    let bad: Vec<String> = report.bad.iter().map(|b| b.to_string()).collect();
    assert_eq!(
        bad,
        vec![
            "line 3: column gpu_milli: 0 is not in 1..=1000 for a pod with 1 GPU",
            "line 4: column gpu_milli: 1500 is not in 1..=1000 for a pod with 1 GPU",
            "line 5: column num_gpu: `x` is not a whole number >= 0",
            "line 6: column creation_time: missing (every pod needs one)",
            "line 7: column scheduled_time: 2 is before creation_time 5",
            "line 8: column deletion_time: 10 is not after scheduled_time 10: the pod ran \
                 for no time",
            "line 9: column deletion_time: `-10` is not a whole number >= 0",
            "line 10: found 5 fields but the header has 11",
        ]
    );
    let e = import_reader(
        text.as_bytes(),
        "o.csv",
        &OpenbMap::default(),
        "openb",
        true,
    )
    .err()
    .unwrap()
    .to_string();
    assert_eq!(
        e,
        "o.csv:3: column gpu_milli: 0 is not in 1..=1000 for a pod with 1 GPU (--strict: \
             any bad row is an error)"
    );
    // An empty file and a header from another format.
    let e = import_reader(&b""[..], "o.csv", &OpenbMap::default(), "openb", false)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with(
            "o.csv: the file is empty; expected a header row (an openb pod list has name, cpu_milli"
        ),
        "{e}"
    );
    let e = import_reader(
        &b"name,gpus\n"[..],
        "o.csv",
        &OpenbMap::default(),
        "openb",
        false,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("o.csv:1: missing columns `cpu_milli`, `memory_mib`, `num_gpu`, `gpu_milli` for the openb pod list format"), "{e}");
}

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/traces/openb")
        .join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: {} not found (see README: traces)", p.display());
        None
    }
}

#[test]
fn the_published_pod_lists_import_without_bad_rows() {
    let Some(default) = shared("openb_pod_list_default.csv") else {
        return;
    };
    let (e, report) = import(&default, &OpenbMap::default(), "openb", true).unwrap();
    // SOURCES.md: 8,152 pods; 34 still running at the trace's end.
    assert_eq!(e.len(), 8_152);
    assert_eq!(
        e.iter()
            .filter(|e| e.status == RunStatus::StillRunning)
            .count(),
        34
    );
    // Pods that never ran are left out of runs by default.
    let never = e.iter().filter(|e| e.status == RunStatus::NeverRan).count() as u64;
    assert_eq!(report.jobs, 8_152 - never);
    // Every variant reads in strict mode, the 5-column ones without times.
    let dir = default.parent().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("pod_list"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 24);
    for f in files {
        let (e, r) = import(&f, &OpenbMap::default(), "openb", true).unwrap();
        assert_eq!(r.bad_count, 0);
        let untimed = f.to_string_lossy().contains("multigpu");
        assert_eq!(
            e.iter().all(|e| e.status == RunStatus::Untimed),
            untimed,
            "{}",
            f.display()
        );
    }
}

#[test]
fn a_huge_untimed_interval_is_refused_instead_of_wrapping_submit_times() {
    // Three untimed pods 3 651 days apart: the last arrives at 7 302 d, over the 7 300 d trace
    // span limit; before, i x interval could wrap a u64.
    let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0001,1,1,1,300\n\
                openb-pod-0002,1,1,1,300\nopenb-pod-0003,1,1,1,300\n";
    let map = OpenbMap {
        untimed_interval: Dur(3_651 * 86_400_000),
        ..Default::default()
    };
    let e = import_reader(text.as_bytes(), "p.csv", &map, "openb", false)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with("p.csv: the last untimed pod's submit time (3 pods x untimed_interval "),
        "{e}"
    );
    assert!(e.ends_with("more than the limit of 7300d"), "{e}");
    // An interval beyond the limit on its own is a mapping problem naming the field.
    let map = OpenbMap {
        untimed_interval: Dur(u64::MAX),
        ..Default::default()
    };
    let p = map.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "untimed_interval");
    assert!(
        p[0].1.ends_with("more than the limit of 7300d"),
        "{}",
        p[0].1
    );
}

#[test]
fn times_beyond_the_span_limit_are_bad_rows_not_overflows() {
    // creation_time 18446744073709551615 s: x 1000 overflowed (a panic in debug builds).
    let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
                openb-pod-0000,1000,1024,1,1000,,LS,Running,0,100,10\n\
                openb-pod-0001,1000,1024,1,1000,,LS,Running,18446744073709551615,,\n\
                openb-pod-0002,1000,1024,1,1000,,LS,Succeeded,5,630720001,6\n";
    let (e, report) = run(text, &OpenbMap::default(), "openb");
    assert_eq!(e.len(), 1);
    let bad: Vec<String> = report.bad.iter().map(|b| b.to_string()).collect();
    assert_eq!(
        bad,
        vec![
            "line 3: column creation_time: creation_time is 18446744073709551615 s, more than \
             the limit of 630720000 s (20 years)",
            "line 4: column deletion_time: deletion_time is 630720001 s, more than the limit \
             of 630720000 s (20 years)",
        ]
    );
}
