//! The real H200 measurements (hil/measurements/h200-2026-12-04*, read-only runs on a lent GPU)
//! through `compare` and `calibrate`. Expected values are worked from the numbers in the files
//! (the probes' kernel counts and NVML's memory), not from slicesim's output.

mod hil_support;

use hil_support::{path_str, repo};

const RUN1: &str = "hil/measurements/h200-2026-12-04/h200.json";
const RUN2: &str = "hil/measurements/h200-2026-12-04-kernel-length/h200.json";

/// `slicesim ARGS`: exit code and stdout followed by stderr.
fn slicesim(args: &[&str]) -> (i32, String) {
    let (code, out, err) = hil_support::slicesim(args);
    (code, format!("{out}{err}"))
}

/// The value of `  key: value` in a calibration file.
fn param(yaml: &str, key: &str) -> Option<f64> {
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .map(|v| v.parse().unwrap())
}

#[test]
fn the_files_are_real_and_complete() {
    for f in [RUN1, RUN2] {
        let m = slicesim::hil::measurements::load(&repo().join(f)).unwrap();
        assert!(!m.synthetic && !m.system.fake && m.complete, "{f}");
        assert_eq!(m.gpu.catalog_model, "H200-141GB");
        assert!(!m.gpu.mig_current);
    }
}

#[test]
fn compare_predicts_both_out_of_memory_sets_with_the_context_memory() {
    // Catalog H200: 143770 MiB; default context 0.375 GiB = 384 MiB per probe.
    // 3 x 51200 MiB: 3 x 51584 = 154752 > 143770, the third dies; the H200's third failed.
    // 4 x 35635 MiB: 4 x 36019 = 144076 > 143770, the fourth dies; the H200's fourth failed.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("c.json");
    let (code, text) = slicesim(&["hil", "compare", RUN1, "--json", &path_str(&json)]);
    assert_eq!(code, 2, "{text}"); // time-slicing points outside ±5 %: a result
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mem = c["memory"].as_array().unwrap();
    assert_eq!(mem.len(), 2);
    for (row, want) in mem.iter().zip([2, 3]) {
        assert_eq!(row["predicted_oom"], serde_json::json!([want]), "{row}");
        assert_eq!(row["observed_oom"], serde_json::json!([want]), "{row}");
        assert_eq!(row["pass"], true);
        // An allocation failed in both, so NVML's maximum says nothing about the contexts.
        assert!(row["ctx_overhead_mib"].is_null(), "{row}");
    }
}

#[test]
fn calibrate_fits_the_flat_switch_loss_and_the_context_memory() {
    // o(n) = 1 - n r at u = 1, r = a probe's kernels per second over the n = 1 baseline (the
    // two n = 1 points pooled: 42.667 and 42.5 kernels/s, mean 42.583). Kernels/s in the file:
    // n=2 19.333 (twice), 3: 13.0, 4: 9.6667 (twice), 6: 6.5, 8: 4.8333, so o = 0.0920 (x2),
    // 0.0841, 0.0920 (x2), 0.0842, 0.0920: mean 0.0898. A line o = a (n - 1) through these
    // would give a = 0.02 and o(2) = 0.02; the flat cap from n = 2 fits, a = cap = 0.0898.
    //
    // Memory used at most (MiB) against n over the 21 time-slicing points: 558 at n = 1, 1114
    // at 2, 1670 at 3, 2225 at 4, 3336 at 6, 4447 at 8: 555.6 MiB per context (1114 - 558 =
    // 556, (4447 - 558) / 7 = 555.6), 0.5426 GiB.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cal.yaml");
    let (code, text) = slicesim(&["hil", "calibrate", RUN1, "-o", &path_str(&out)]);
    assert_eq!(code, 0, "{text}");
    let yaml = std::fs::read_to_string(&out).unwrap();
    let a = param(&yaml, "overhead_per_context").unwrap();
    let cap = param(&yaml, "overhead_max").unwrap();
    assert!((a - 0.0898).abs() < 0.0005, "{yaml}");
    assert!((cap - a).abs() < 1e-9, "{yaml}");
    let ctx = param(&yaml, "context_mem_gib").unwrap();
    assert!((ctx - 555.6 / 1024.0).abs() < 0.001, "{yaml}");
    // The report gives the prediction error before and after the fit.
    assert!(text.contains("prediction error after"), "{text}");
    // The second GPU's contexts cost the same: (1114 - 558) at n = 2 and (2225 - 558) / 3 at 4.
    let out2 = dir.path().join("cal2.yaml");
    let (code, text) = slicesim(&["hil", "calibrate", RUN2, "-o", &path_str(&out2)]);
    assert_eq!(code, 0, "{text}");
    let ctx2 = param(&std::fs::read_to_string(&out2).unwrap(), "context_mem_gib").unwrap();
    assert!((ctx2 - 555.6 / 1024.0).abs() < 0.001, "{ctx2}");
}

#[test]
fn water_filling_holds_below_the_time_slice_and_not_above() {
    // Two probes at u = 0.5 (model 0.98 of alone, water-filling): 1 and 2 ms kernels within 5 %,
    // 4 to 20 ms kernels 23 to 35 % slower, towards the phase-locked 2 / (2 + 1) = 0.667.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("c.json");
    let mut rows = Vec::new();
    for f in [RUN1, RUN2] {
        let (_, text) = slicesim(&["hil", "compare", f, "--json", &path_str(&json)]);
        let c: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        for r in c["rows"].as_array().unwrap() {
            if r["u"] == 0.5 && r["n"] == 2 && !r["variant"].as_str().unwrap_or("").is_empty() {
                rows.push((
                    r["variant"].as_str().unwrap().to_string(),
                    r["measured"].as_f64().unwrap(),
                ));
            }
        }
        assert!(!text.is_empty());
    }
    let get = |k: &str| {
        rows.iter()
            .find(|(v, _)| v == k)
            .unwrap_or_else(|| panic!("{k}: {rows:?}"))
            .1
    };
    assert!(
        get("kernel 1 ms") > 0.93 && get("kernel 2 ms") > 0.93,
        "{rows:?}"
    );
    for k in ["kernel 4 ms", "kernel 8 ms", "kernel 12 ms", "kernel 20 ms"] {
        assert!(get(k) < 0.76, "{k}: {rows:?}");
    }
}
