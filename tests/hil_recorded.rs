//! The recorded (synthetic) measurements in hil/measurements/ against the model: `compare` with
//! the default parameters, `calibrate` recovering the parameters they were made with, and the
//! calibrated scenario passing. Expected values are worked by hand in hil/measurements/README.md.

mod hil_support;

use hil_support::{Node, path_str, repo, slicesim};
use slicesim::hil::fakelib::FakeGpu;
use slicesim::hil::measurements::{self, Measurements};
use std::path::PathBuf;

fn recorded() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("hil/measurements"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-5
}

#[test]
fn recorded_files_are_labelled_for_what_they_are() {
    let files = recorded();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in files {
        let m = measurements::load(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(m.complete, "{name}");
        // Synthetic numbers are never presented as real hardware, and vice versa.
        if m.system.fake || name.starts_with("fake-") {
            assert!(m.synthetic, "{name}");
            assert!(
                m.provenance.starts_with("SYNTHETIC"),
                "{name}: {}",
                m.provenance
            );
        }
        if !m.synthetic {
            assert!(!m.system.fake && !name.starts_with("fake-"), "{name}");
        }
    }
}

#[test]
fn compare_with_the_default_model_flags_mig_and_speed_points() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("cmp.json");
    let mut args = vec!["hil".to_string(), "compare".into()];
    args.extend(recorded().iter().map(|p| path_str(p)));
    args.extend(["--json".into(), path_str(&json)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = slicesim(&args);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.contains("SYNTHETIC"), "{out}");
    assert!(
        out.contains("18 point(s), 6 outside ±5.0 %; mean |error| 4.73 %"),
        "{out}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let find = |kind: &str, model: &str, f: &dyn Fn(&serde_json::Value) -> bool| {
        rows.iter()
            .find(|r| r["kind"] == kind && r["gpu_model"] == model && f(r))
            .unwrap_or_else(|| panic!("no {kind} row for {model}"))
            .clone()
    };
    // Four compute-bound probes: measured (1 - 0.09)/4, model (1 - 0.06)/4.
    let r = find("time_slicing", "A100-80GB", &|r| {
        r["n"] == 4 && r["u"] == 1.0
    });
    assert!(close(r["measured"].as_f64().unwrap(), 0.2275));
    assert!(close(r["predicted"].as_f64().unwrap(), 0.235));
    assert_eq!(r["pass"], true);
    // 3g.40gb: model 1/(0.2 + 0.8 * 0.6 * 108/42) = 0.697211, measured 0.9 of it.
    let r = find("mig", "A100-80GB", &|r| r["profile"] == "3g.40gb");
    assert!(close(r["predicted"].as_f64().unwrap(), 0.697211));
    assert!(close(r["measured"].as_f64().unwrap(), 0.627490));
    assert!(close(r["error"].as_f64().unwrap(), -0.1));
    assert_eq!(r["pass"], false);
    // H100 vs A100: measured 2.2, catalog 2.0.
    let r = find("speed", "H100-80GB", &|r| r["u"] == 1.0);
    assert!(close(r["measured"].as_f64().unwrap(), 2.2));
    assert!(close(r["predicted"].as_f64().unwrap(), 2.0));
    // A tighter tolerance also fails the time-slicing points beyond n = 2.
    let mut tight = vec!["hil", "compare", "--tolerance", "0.02"];
    let files: Vec<String> = recorded().iter().map(|p| path_str(p)).collect();
    tight.extend(files.iter().map(String::as_str));
    let (code, out, _) = slicesim(&tight);
    assert_eq!(code, 2);
    assert!(out.contains("18 point(s), 14 outside ±2.0 %"), "{out}");
}

#[test]
fn calibrate_recovers_the_parameters_and_the_calibrated_scenario_passes() {
    let dir = tempfile::tempdir().unwrap();
    let cal = dir.path().join("calibration.yaml");
    let mut args = vec!["hil".to_string(), "calibrate".into()];
    args.extend(recorded().iter().map(|p| path_str(p)));
    args.extend(["-o".into(), path_str(&cal)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = slicesim(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("prediction error before: 18 point(s), mean |error| 4.73 %, max |error| 10.00 %, 6 outside"),
        "{out}"
    );
    assert!(
        out.contains("prediction error after: 18 point(s), mean |error| 0.00 %, max |error| 0.00 %, 0 outside"),
        "{out}"
    );
    let text = std::fs::read_to_string(&cal).unwrap();
    assert!(text.contains("SYNTHETIC INPUT"), "{text}");
    assert!(text.contains("\nmodel:\n  overhead_per_context: 0.03\n  mig_efficiency: 0.9\n  gpu_speed:\n    H100-80GB: 2.2\n"), "{text}");
    assert!(!text.contains("overhead_max"), "no cap in the data: {text}");
    // A scenario that includes it validates and matches the measurements.
    let seed = std::fs::read_to_string(repo().join("scenarios/seed-strategy.yaml")).unwrap();
    let sc = dir.path().join("calibrated.yaml");
    std::fs::write(&sc, format!("include: [calibration.yaml]\n{seed}")).unwrap();
    let (code, out, err) = slicesim(&["validate", &path_str(&sc)]);
    assert_eq!(code, 0, "{out}\n{err}");
    let mut args = vec![
        "hil".to_string(),
        "compare".into(),
        "--scenario".into(),
        path_str(&sc),
    ];
    args.extend(recorded().iter().map(|p| path_str(p)));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = slicesim(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("18 point(s), 0 outside"), "{out}");
}

#[test]
fn calibrate_raises_a_cap_that_would_clip_the_fitted_line() {
    // The data fit o = 0.03 per context up to n = 4, i.e. 0.09; a scenario cap of 0.05 would
    // clip that, so the calibration raises it to 0.09.
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(repo().join("scenarios/seed-strategy.yaml")).unwrap();
    let sc = dir.path().join("capped.yaml");
    std::fs::write(&sc, format!("{seed}\nmodel:\n  overhead_max: 0.05\n")).unwrap();
    let cal = dir.path().join("cal.yaml");
    let ts = repo().join("hil/measurements/fake-a100-80gb-timeslice.json");
    let (code, out, err) = slicesim(&[
        "hil",
        "calibrate",
        &path_str(&ts),
        "--scenario",
        &path_str(&sc),
        "-o",
        &path_str(&cal),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let text = std::fs::read_to_string(&cal).unwrap();
    assert!(
        text.contains("  overhead_per_context: 0.03\n  overhead_max: 0.09\n"),
        "{text}"
    );
    assert!(text.contains("# overhead_max raised to 0.09"), "{text}");
}

#[test]
fn recorded_measurements_are_reproduced_by_the_fake_library() {
    let node = Node::new(&[FakeGpu::new("A100-80GB", false)], &[]);
    let out_file = node.path("again.json");
    let out = node.measure("hil/experiments/timeslice-scaling.yaml", &out_file);
    assert_eq!(out.code, 0, "{}", out.all());
    let fresh = measurements::load(&out_file).unwrap();
    let rec: Measurements =
        measurements::load(&repo().join("hil/measurements/fake-a100-80gb-timeslice.json")).unwrap();
    let tp = |m: &Measurements| -> Vec<(u32, String, Option<f64>)> {
        m.points
            .iter()
            .map(|p| (p.n, format!("{}/{}", p.u, p.d), p.mean_throughput()))
            .collect()
    };
    assert_eq!(tp(&fresh), tp(&rec));
    assert_eq!(fresh.experiment, rec.experiment);
}

#[test]
fn points_in_other_units_are_never_ratios_of_each_other() {
    // The recorded A100 time-slicing file has u = 1 points at n = 1, 2, 4 (units/s). With the
    // n = 1 baseline relabelled flop/s (as a newer probe would print), the n = 2 and n = 4
    // points have no baseline in their unit and are skipped instead of compared.
    use slicesim::hil::compare::compare;
    let path = repo().join("hil/measurements/fake-a100-80gb-timeslice.json");
    let m = measurements::load(&path).unwrap();
    let sc = slicesim::scenario::builtin().scenario;
    let before = compare(&[("a".into(), m.clone())], &sc, 0.05);
    let mut other = m;
    let (u, d) = (other.points[0].u, other.points[0].d);
    for p in other
        .points
        .iter_mut()
        .filter(|p| p.n == 1 && p.u == u && p.d == d)
    {
        for pr in &mut p.probes {
            pr.line.as_mut().unwrap().unit = "flop/s".into();
        }
    }
    let after = compare(&[("a".into(), other)], &sc, 0.05);
    let gone = before.rows.len() - after.rows.len();
    assert!(gone >= 2, "{} -> {}", before.rows.len(), after.rows.len());
    assert!(
        after
            .skipped
            .iter()
            .any(|s| s.contains("no one-probe whole-GPU baseline")),
        "{:?}",
        after.skipped
    );
}
