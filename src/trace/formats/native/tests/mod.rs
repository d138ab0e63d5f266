//! Tests of the native format: reading rows and requests (here), errors, and round trips.

use super::values::{ms_to_secs_text, secs_text_to_ms};
use super::*;
use crate::domain::{LoadStep, RequestSpec};
use crate::trace::error::TraceError;
use crate::trace::job::TraceJob;
use crate::units::SimTime;
use proptest::prelude::*;
use std::io::Read;

mod errors;
mod roundtrip;

fn read_all(text: &str) -> Result<Vec<TraceJob>, TraceError> {
    NativeReader::from_reader(text.as_bytes(), "traces/x.csv")?.collect()
}

fn read_err(text: &str) -> String {
    match read_all(text) {
        Ok(jobs) => panic!("expected an error, read {jobs:?}"),
        Err(e) => e.to_string(),
    }
}

fn job(id: u64, submit: SimTime, class: &str, duration: SimTime) -> TraceJob {
    TraceJob::new(id, submit, class, duration)
}

#[test]
fn reads_every_column() {
    let text = "\
id,submit,class,namespace,priority_class,gpus,gpu_milli,mig_profile,mem_gib,duration,u,d,checkpoint,gpu_models,load
7,1.5,train,ml,high,2,,,20.5,3600,0.9,0.75,600,T4| V100M16|,
8,2,infer,web,,,,3g.40gb,,0.25,,,0,,0:0.5;60.5:0.25;120:1
";
    let jobs = read_all(text).unwrap();
    let first = TraceJob {
        id: 7,
        submit: 1_500,
        class: "train".into(),
        namespace: Some("ml".into()),
        priority_class: Some("high".into()),
        request: Some(RequestSpec::Gpu { count: 2 }),
        mem_gib: Some(20.5),
        duration: 3_600_000,
        u: Some(0.9),
        d: Some(0.75),
        checkpoint: Some(600_000),
        gpu_models: vec!["T4".into(), "V100M16".into()],
        load: Vec::new(),
        pods: None,
        host: Default::default(),
    };
    let second = TraceJob {
        id: 8,
        submit: 2_000,
        class: "infer".into(),
        namespace: Some("web".into()),
        priority_class: None,
        request: Some(RequestSpec::Mig {
            profile: "3g.40gb".into(),
            count: 1,
        }),
        mem_gib: None,
        duration: 250,
        u: None,
        d: None,
        checkpoint: Some(0),
        gpu_models: Vec::new(),
        load: vec![
            LoadStep { at: 0, u: 0.5 },
            LoadStep {
                at: 60_500,
                u: 0.25,
            },
            LoadStep {
                at: 120_000,
                u: 1.0,
            },
        ],
        pods: None,
        host: Default::default(),
    };
    assert_eq!(jobs, vec![first, second]);
}

/// The example in docs/TRACE.md must stay a valid trace that means what the text says.
#[test]
fn the_documented_example_reads_as_described() {
    let doc = include_str!("../../../../../docs/TRACE.md");
    let start = doc
        .find("```csv\n")
        .expect("docs/TRACE.md has a csv example")
        + 7;
    let len = doc[start..].find("```").unwrap();
    let jobs = read_all(&doc[start..start + len]).unwrap();
    let requests: Vec<Option<RequestSpec>> = jobs.iter().map(|j| j.request.clone()).collect();
    assert_eq!(
        requests,
        vec![
            Some(RequestSpec::Gpu { count: 4 }),
            Some(RequestSpec::Gpu { count: 1 }),
            Some(RequestSpec::Mig {
                profile: "3g.40gb".into(),
                count: 1
            }),
            Some(RequestSpec::Milli {
                milli: 250,
                count: 1
            }),
            Some(RequestSpec::Gpu { count: 0 }),
            Some(RequestSpec::Gpu { count: 1 }),
        ]
    );
    assert_eq!(jobs[3].gpu_models, vec!["T4", "V100M16"]);
    assert_eq!(
        jobs[5].load,
        vec![
            LoadStep { at: 0, u: 0.3 },
            LoadStep {
                at: 900_000,
                u: 0.75
            },
            LoadStep {
                at: 1_800_000,
                u: 0.4
            },
        ]
    );
    assert_eq!(jobs[0].duration, 2 * 3_600_000);
    assert_eq!(jobs[0].checkpoint, Some(30 * 60_000));
    assert_eq!(
        (jobs[1].priority_class.as_deref(), jobs[1].checkpoint),
        (None, None)
    );
    assert_eq!(jobs[4].submit, 95_250);
}

#[test]
fn columns_in_any_order_spaces_trimmed_and_optional_columns_absent() {
    let text = "duration , class, id ,submit\n 60, a ,0, 0\n\n30,b,1,0.5\n";
    let jobs = read_all(text).unwrap();
    assert_eq!(jobs, vec![job(0, 0, "a", 60_000), job(1, 500, "b", 30_000)]);
}

#[test]
fn byte_order_mark_and_crlf_are_accepted() {
    let text = "\u{feff}id,submit,class,duration\r\n3,4,c,5\r\n";
    assert_eq!(read_all(text).unwrap(), vec![job(3, 4_000, "c", 5_000)]);
}

#[test]
fn header_only_gives_no_jobs() {
    assert_eq!(read_all("id,submit,class,duration\n").unwrap(), vec![]);
    assert_eq!(read_all("id,submit,class,duration").unwrap(), vec![]);
}

#[test]
fn empty_file_is_a_clear_error() {
    let e = read_err("");
    assert!(
        e.starts_with("traces/x.csv: the file is empty; expected a header row"),
        "{e}"
    );
}

#[test]
fn request_derivation_rules() {
    // (gpus, gpu_milli, mig_profile) -> expected request, each worked from the rules.
    let cases: [(&str, &str, &str, Option<RequestSpec>); 9] = [
        ("", "", "", None),
        ("4", "", "", Some(RequestSpec::Gpu { count: 4 })),
        ("0", "", "", Some(RequestSpec::Gpu { count: 0 })),
        (
            "",
            "250",
            "",
            Some(RequestSpec::Milli {
                milli: 250,
                count: 1,
            }),
        ),
        (
            "2",
            "500",
            "",
            Some(RequestSpec::Milli {
                milli: 500,
                count: 2,
            }),
        ),
        ("3", "1000", "", Some(RequestSpec::Gpu { count: 3 })),
        ("", "1000", "", Some(RequestSpec::Gpu { count: 1 })),
        (
            "",
            "",
            "1g.10gb",
            Some(RequestSpec::Mig {
                profile: "1g.10gb".into(),
                count: 1,
            }),
        ),
        (
            "2",
            "",
            "2g.20gb",
            Some(RequestSpec::Mig {
                profile: "2g.20gb".into(),
                count: 2,
            }),
        ),
    ];
    for (gpus, milli, mig, expected) in cases {
        let text = format!(
            "id,submit,class,duration,gpus,gpu_milli,mig_profile\n1,0,c,1,{gpus},{milli},{mig}\n"
        );
        let jobs = read_all(&text).unwrap();
        assert_eq!(
            jobs[0].request, expected,
            "gpus={gpus} milli={milli} mig={mig}"
        );
    }
}
