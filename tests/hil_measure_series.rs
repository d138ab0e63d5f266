//! The measurement series of review B1-B7 through the fake NVML library and the emulated probe:
//! speed points against a recorded reference file and the datasheet, the environment check that
//! refuses compute modes and MPS that would not time-slice, and kernel-length and idle variants
//! that only compare with their own baseline.

mod hil_support;

use hil_support::{Node, PROBE, path_str};
use slicesim::hil::fakelib::FakeGpu;
use slicesim::hil::measurements;

fn experiment(node: &Node, name: &str, series: &str) -> std::path::PathBuf {
    let p = node.path(&format!("{name}.yaml"));
    std::fs::write(
        &p,
        format!("name: {name}\ngpu: 0\nduration: 1s\nwarmup: 0s\nseries:\n{series}"),
    )
    .unwrap();
    p
}

fn measure(
    node: &Node,
    exp: &std::path::Path,
    out: &std::path::Path,
    env: &[(&str, &str)],
) -> hil_support::Out {
    node.run(
        &[
            "measure",
            &path_str(exp),
            "--probe-cmd",
            PROBE,
            "-o",
            &path_str(out),
        ],
        env,
    )
}

#[test]
fn speed_points_compare_with_a_recorded_reference_or_the_datasheet() {
    let a100 = Node::new(&[FakeGpu::new("A100-80GB", false)], &[]);
    let h100 = Node::new(&[FakeGpu::new("H100-80GB", false)], &[]);
    let series = "  - {kind: speed, probe_kind: [fma, stream]}\n";
    let abs = [("FAKE_PROBE_UNITS", "absolute")];
    let ra = a100.path("a100.json");
    let out = measure(&a100, &experiment(&a100, "a", series), &ra, &abs);
    assert_eq!(out.code, 0, "{}", out.all());
    let rh = h100.path("h100.json");
    let out = measure(&h100, &experiment(&h100, "h", series), &rh, &abs);
    assert_eq!(out.code, 0, "{}", out.all());
    let m = measurements::load(&rh).unwrap();
    assert_eq!(m.points.len(), 2);
    assert_eq!(m.points[1].work.name(), "stream");
    assert_eq!(m.points[1].probes[0].line.as_ref().unwrap().unit, "byte/s");

    // Measured against measured: emulated fma 0.9 x 19.5e12 x 2.2 over 0.9 x 19.5e12 x 1.0 = 2.2,
    // stream 1.64 / 1.0 = 1.64; the model says 2.0 (catalog H100-80GB speed over A100-80GB 1.0):
    // fma +10 %, stream -18 %.
    let json = h100.path("cmp.json");
    let out = h100.run(
        &[
            "compare",
            &path_str(&rh),
            "--reference",
            &path_str(&ra),
            "--json",
            &path_str(&json),
        ],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stdout.contains("speed fma vs A100-80GB (measured)"),
        "{}",
        out.stdout
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let got: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["measured"].as_f64().unwrap(),
                r["predicted"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        (got[0].0 - 2.2).abs() < 1e-9 && (got[0].1 - 2.0).abs() < 1e-9,
        "{got:?}"
    );
    assert!((got[1].0 - 1.64).abs() < 1e-9, "{got:?}");

    // Against the datasheet: 0.9 x 2.2 = 1.98 for fma (within 5 % of 2.0).
    let out = h100.run(
        &["compare", &path_str(&rh), "--reference", "datasheet"],
        &[],
    );
    assert!(
        out.stdout.contains("speed fma vs A100-80GB (datasheet)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1.9800"), "{}", out.stdout);

    // Without a reference the speed points are skipped, with the reason; units that are not
    // absolute are never compared with a datasheet.
    let out = h100.run(&["compare", &path_str(&rh)], &[]);
    assert!(
        out.all()
            .contains("no reference (compare --reference datasheet|FILE)"),
        "{}",
        out.all()
    );
    let rel = h100.path("rel.json");
    let out = measure(
        &h100,
        &experiment(&h100, "r", "  - {kind: speed, probe_kind: [fma]}\n"),
        &rel,
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let out = h100.run(
        &["compare", &path_str(&rel), "--reference", "datasheet"],
        &[],
    );
    assert!(
        out.all().contains("unit `units/s` is not flop/s"),
        "{}",
        out.all()
    );
}

#[test]
fn measure_refuses_a_gpu_that_would_not_time_slice() {
    for (extra, why) in [
        ("compute_mode=3", "compute mode is EXCLUSIVE_PROCESS"),
        ("mps_pid=4711", "MPS server"),
    ] {
        let node = Node::new(&[FakeGpu::new("H200-141GB", false)], &[]);
        let st = node
            .state()
            .replacen("pending=0", &format!("pending=0 {extra}"), 1);
        std::fs::write(node.path("fake-nvml-state"), st).unwrap();
        let out_file = node.path("m.json");
        let exp = experiment(
            &node,
            "t",
            "  - {kind: time_slicing, u: 1, d: 1, concurrency: [2]}\n",
        );
        let out = measure(&node, &exp, &out_file, &[]);
        assert_eq!(out.code, 4, "{extra}: {}", out.all());
        assert!(out.stderr.contains(why), "{extra}: {}", out.stderr);
        assert!(!out_file.exists(), "{extra}: wrote a file anyway");
    }
}

#[test]
fn kernel_variants_compare_only_with_their_own_baseline() {
    let node = Node::new(&[FakeGpu::new("H200-141GB", false)], &[]);
    let exp = experiment(
        &node,
        "v",
        "  - {kind: time_slicing, u: 0.5, d: 1, concurrency: [2]}\n\
         \x20 - {kind: time_slicing, u: 0.5, d: 1, concurrency: [2], kernel_ms_target: 2, idle: exp}\n\
         \x20 - {kind: memory, n: 2, mem_gib: 80, stagger: 0s, hold: 0s}\n",
    );
    let out_file = node.path("m.json");
    let out = measure(&node, &exp, &out_file, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let m = measurements::load(&out_file).unwrap();
    let variants: Vec<String> = m.points.iter().map(|p| p.variant()).collect();
    assert_eq!(
        variants,
        ["", "", "kernel 2 ms, idle exp", "kernel 2 ms, idle exp", ""]
    );
    // The memory probes got their share of MiB: 80 GiB = 81920 MiB each.
    assert_eq!(m.points[4].probes[1].mem_mib, Some(81920));
    let out = node.run(&["compare", &path_str(&out_file)], &[]);
    // Two time-slicing rows (one per variant), each against its own n = 1 point: 0.97 each
    // (emulated overhead 0.03), model 0.98; one memory row: 2 x 81920 > 144384, the second dies
    // in the model and (2 x 512 + 2 x 81920 > 143771) on the fake GPU.
    assert!(
        out.stdout
            .contains("time-slicing n=2 (kernel 2 ms, idle exp)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("OOM model #2 (dies after oom_after), observed #2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("3 point(s), 0 outside"),
        "{}",
        out.stdout
    );
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn a_probe_that_sees_other_sms_than_the_catalog_is_flagged() {
    // The catalog H200-141GB has 132 SMs; a probe reporting 114 (an H100 PCIe, say) is warned
    // about, and its line keeps the figure.
    let node = Node::new(&[FakeGpu::new("H200-141GB", false)], &[]);
    let exp = experiment(&node, "s", "  - {kind: speed, probe_kind: [fma]}\n");
    let out_file = node.path("m.json");
    let out = node.run(
        &[
            "measure",
            &path_str(&exp),
            "--probe-cmd",
            "echo SLICESIM_PROBE throughput=1 unit=flop/s sms=114",
            "-o",
            &path_str(&out_file),
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr
            .contains("the probe saw 114 SMs, the catalog model has 132"),
        "{}",
        out.stderr
    );
    let m = measurements::load(&out_file).unwrap();
    assert_eq!(m.points[0].probes[0].line.as_ref().unwrap().sms, Some(114));
}

#[test]
fn a_probe_ready_only_after_counting_began_is_flagged() {
    // ready_ms far in the future is after any window's counting start; ready_ms = 1 is before.
    let node = Node::new(&[FakeGpu::new("H200-141GB", false)], &[]);
    let exp = experiment(
        &node,
        "l",
        "  - {kind: time_slicing, u: 1, d: 1, concurrency: [2]}\n",
    );
    let probe = "if [ \"$SLICESIM_PROBE_INDEX\" = 1 ]; then r=99999999999999; else r=1; fi; \
                 echo SLICESIM_PROBE throughput=1 ready_ms=$r";
    let out_file = node.path("m.json");
    let out = node.run(
        &[
            "measure",
            &path_str(&exp),
            "--probe-cmd",
            probe,
            "-o",
            &path_str(&out_file),
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains("warning: probe(s) #2 by "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("#1 by"), "{}", out.stderr);
}
