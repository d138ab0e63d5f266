//! Spec checks name the field; the spec reads from scenario YAML.

use super::*;

#[test]
fn problems_name_the_field() {
    let mut bad = spec(
        -1.0,
        vec![entry("a", 0.0, 60, -0.5), entry("", 0.0, 0, f64::NAN)],
    );
    bad.diurnal = Some(Diurnal {
        amplitude: 1.5,
        peak_hour: 24.0,
    });
    bad.span = Some(Dur(0));
    bad.mix[0].mem_gib = Some(-2.0);
    bad.mix[1].duration.min = Some(Dur(10_000));
    bad.mix[1].duration.max = Some(Dur(5_000));
    let paths: Vec<String> = bad.problems().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "rate_per_hour",
            "span",
            "diurnal.amplitude",
            "diurnal.peak_hour",
            "mix[0].duration.sigma",
            "mix[0].mem_gib",
            "mix[1].class",
            "mix[1].duration.median",
            "mix[1].duration.sigma",
            "mix[1].duration.max",
            "mix",
        ]
    );
    let msgs = bad.problems();
    assert_eq!(
        msgs[0].1,
        "-1 is not a positive number of arrivals per hour"
    );
    assert_eq!(
        msgs[2].1,
        "1.5 is not in 0..=1 (a fraction of the mean rate)"
    );
    assert_eq!(msgs[4].1, "-0.5 is not a number >= 0");
    assert_eq!(
        msgs[10].1,
        "the weights add up to 0; give at least one class a positive weight"
    );

    let empty = spec(10.0, vec![]);
    assert_eq!(
        empty.problems(),
        vec![(
            "mix".to_string(),
            "is empty; list at least one class with a weight".to_string()
        )]
    );
    let negative_weight = spec(
        10.0,
        vec![entry("a", -1.0, 60, 0.0), entry("b", 1.0, 60, 0.0)],
    );
    assert_eq!(
        negative_weight.problems(),
        vec![(
            "mix[0].weight".to_string(),
            "-1 is not a number >= 0".to_string()
        )]
    );
    assert!(
        spec(10.0, vec![entry("a", 1.0, 60, 0.0)])
            .problems()
            .is_empty()
    );
}

#[test]
fn a_spec_with_problems_generates_nothing() {
    for bad in [
        spec(-1.0, vec![entry("a", 1.0, 60, 0.0)]),
        spec(10.0, vec![]),
        spec(10.0, vec![entry("a", 0.0, 60, 0.0)]),
        spec(f64::NAN, vec![entry("a", 1.0, 60, 0.0)]),
    ] {
        assert_eq!(SyntheticJobs::new(&bad, 0, HOUR).count(), 0);
    }
}

#[test]
fn deserialises_from_scenario_yaml() {
    let yaml = "
rate_per_hour: 12.5
span: 7d
diurnal: {amplitude: 0.6, peak_hour: 15}
mix:
  - class: training
    weight: 3
    duration: {median: 2h, sigma: 1.2, min: 10m, max: 2d}
    mem_gib: 40
  - class: inference
    weight: 1
    duration: {median: 900, sigma: 0.5}
";
    let s: SyntheticSpec = serde_saphyr::from_str(yaml).unwrap();
    assert_eq!(
        s,
        SyntheticSpec {
            rate_per_hour: 12.5,
            span: Some(Dur(7 * 24 * HOUR)),
            max_jobs: None,
            diurnal: Some(Diurnal {
                amplitude: 0.6,
                peak_hour: 15.0
            }),
            mix: vec![
                MixEntry {
                    class: "training".into(),
                    weight: 3.0,
                    duration: LogNormal {
                        median: Dur(2 * HOUR),
                        sigma: 1.2,
                        min: Some(Dur(600_000)),
                        max: Some(Dur(2 * 24 * HOUR)),
                    },
                    mem_gib: Some(40.0),
                    request: None,
                    namespace: None,
                    priority_class: None,
                    gpu_models: Vec::new(),
                    pods: None,
                },
                entry("inference", 1.0, 900, 0.5),
            ],
        }
    );
    assert!(s.problems().is_empty());
    let typo = "rate_per_hour: 1\nmix: []\nmax_job: 3\n";
    let e = serde_saphyr::from_str::<SyntheticSpec>(typo)
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_job"), "{e}");
}
