//! Tests of the synthetic generator: determinism and job fields here; arrival and duration
//! distributions in `draws`; spec checks and YAML in `spec`.

use super::*;
use crate::units::MS_PER_SEC;

mod draws;
mod spec;

fn entry(class: &str, weight: f64, median_s: u64, sigma: f64) -> MixEntry {
    MixEntry {
        class: class.into(),
        weight,
        duration: LogNormal {
            median: Dur(median_s * MS_PER_SEC),
            sigma,
            min: None,
            max: None,
        },
        mem_gib: None,
        request: None,
        namespace: None,
        priority_class: None,
        gpu_models: Vec::new(),
        pods: None,
    }
}

fn spec(rate_per_hour: f64, mix: Vec<MixEntry>) -> SyntheticSpec {
    SyntheticSpec {
        rate_per_hour,
        span: None,
        max_jobs: None,
        diurnal: None,
        mix,
    }
}

const HOUR: SimTime = MS_PER_HOUR;

#[test]
fn same_seed_same_jobs_other_seed_other_jobs() {
    let mut s = spec(
        50.0,
        vec![entry("a", 1.0, 60, 1.0), entry("b", 2.0, 600, 0.5)],
    );
    s.diurnal = Some(Diurnal {
        amplitude: 0.5,
        peak_hour: 9.0,
    });
    let a: Vec<TraceJob> = SyntheticJobs::new(&s, 42, 48 * HOUR).collect();
    let b: Vec<TraceJob> = SyntheticJobs::new(&s, 42, 48 * HOUR).collect();
    let c: Vec<TraceJob> = SyntheticJobs::new(&s, 43, 48 * HOUR).collect();
    assert!(a.len() > 1000);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn a_daily_cycle_moves_arrivals_but_not_classes_or_durations() {
    let flat = SyntheticSpec {
        max_jobs: Some(500),
        ..spec(
            30.0,
            vec![entry("a", 1.0, 60, 1.0), entry("b", 1.0, 600, 1.0)],
        )
    };
    let cyclic = SyntheticSpec {
        diurnal: Some(Diurnal {
            amplitude: 0.9,
            peak_hour: 3.0,
        }),
        ..flat.clone()
    };
    let a: Vec<TraceJob> = SyntheticJobs::new(&flat, 77, SimTime::MAX).collect();
    let b: Vec<TraceJob> = SyntheticJobs::new(&cyclic, 77, SimTime::MAX).collect();
    let shape = |jobs: &[TraceJob]| -> Vec<(String, SimTime)> {
        jobs.iter().map(|j| (j.class.clone(), j.duration)).collect()
    };
    assert_eq!(shape(&a), shape(&b));
    assert_ne!(
        a.iter().map(|j| j.submit).collect::<Vec<_>>(),
        b.iter().map(|j| j.submit).collect::<Vec<_>>()
    );
}

/// The YAML example in docs/TRACE.md (without the scenario's `workload:`/`kind:` wrapper,
/// which the scenario layer strips) must deserialise and pass its own checks.
#[test]
fn the_documented_example_is_a_valid_spec() {
    let doc = include_str!("../../../../docs/TRACE.md");
    let start = doc
        .find("```yaml\n")
        .expect("docs/TRACE.md has a yaml example")
        + 8;
    let len = doc[start..].find("```").unwrap();
    let body: String = doc[start..start + len]
        .lines()
        .filter(|l| !l.starts_with("workload:") && !l.trim_start().starts_with("kind:"))
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    let s: SyntheticSpec = serde_saphyr::from_str(&body).unwrap();
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    assert_eq!(s.span, Some(Dur(7 * 24 * HOUR)));
    assert_eq!(s.mix[0].duration.max, Some(Dur(3 * 24 * HOUR)));
    assert_eq!(s.mix[1].duration.median, Dur(HOUR / 2));
}

#[test]
fn jobs_are_ordered_numbered_and_carry_only_class_fields() {
    let mut e = entry("train", 1.0, 3600, 0.8);
    e.mem_gib = Some(24.0);
    let s = spec(100.0, vec![e]);
    let jobs: Vec<TraceJob> = SyntheticJobs::new(&s, 1, 10 * HOUR).collect();
    for (i, j) in jobs.iter().enumerate() {
        assert_eq!(j.id, i as u64);
        assert_eq!(j.class, "train");
        assert_eq!(j.mem_gib, Some(24.0));
        assert!(j.duration >= MS_PER_SEC);
        assert!(j.submit < 10 * HOUR);
        assert_eq!(
            (
                &j.namespace,
                &j.priority_class,
                &j.request,
                j.u,
                j.d,
                j.checkpoint
            ),
            (&None, &None, &None, None, None, None)
        );
    }
    assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
}
