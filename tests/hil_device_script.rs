//! The device scripts (`hil/device-h200.sh`, `hil/device-check.sh`) run end to end against the
//! fake NVML library in forbid-writes mode: zero write attempts, the GPU unchanged, everything in
//! one output folder; the guard refuses a GPU that is not ready; a GPU that differs afterwards
//! fails the run; and a read of the script finds only read-only commands.

mod hil_support;

use hil_support::{Node, PROBE, path_str, repo};
use slicesim::hil::fakelib::FakeGpu;
use std::process::Command;

fn h200(extra: &str) -> Node {
    let node = Node::new(&[FakeGpu::new("H200-141GB", false)], &[]);
    if !extra.is_empty() {
        let st = node
            .state()
            .replacen("pending=0", &format!("pending=0 {extra}"), 1);
        std::fs::write(node.path("fake-nvml-state"), st).unwrap();
    }
    node
}

/// `sh SCRIPT ARGS` from the repository root with the fake library, forbid-writes mode, the
/// emulated probe and no Kubernetes signs.
fn script(node: &Node, script: &str, args: &[&str], probe: &str) -> (i32, String) {
    let o = Command::new("sh")
        .arg(repo().join(script))
        .args(args)
        .current_dir(repo())
        .env("SLICESIM_BIN", env!("CARGO_BIN_EXE_slicesim"))
        .env("SLICESIM", env!("CARGO_BIN_EXE_slicesim"))
        .env("SLICESIM_NVML_LIB", &node.lib)
        .env("FAKE_NVML_FORBID_WRITES", "1")
        .env("FAKE_PROBE_SLEEP", "0")
        .env("FAKE_PROBE_UNITS", "absolute")
        .env("SLICESIM_PROBE_CMD", probe)
        .env("SLICESIM_HIL_HOST_ROOT", node.dir.path())
        .env("OUT", node.path("check-out"))
        .env_remove("SLICESIM_HIL_READ_ONLY")
        .env_remove("FAKE_NVML_FAULTS")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

fn write_attempts(node: &Node) -> usize {
    std::fs::read_to_string(node.path("fake-nvml-state.write-attempts"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn the_h200_script_runs_read_only_and_leaves_the_gpu_as_it_was() {
    let node = h200("");
    let before = node.state();
    let out = node.path("out");
    let (code, text) = script(&node, "hil/device-h200.sh", &[&path_str(&out)], PROBE);
    assert_eq!(code, 0, "{text}");
    assert_eq!(write_attempts(&node), 0, "no NVML write was even attempted");
    assert_eq!(node.state(), before);
    for f in [
        "run.log",
        "experiment.yaml",
        "before.json",
        "after.json",
        "inventory.json",
        "h200.json",
        "compare.json",
        "calibration.yaml",
        "hil.lock",
    ] {
        assert!(out.join(f).exists(), "{f} missing: {text}");
    }
    // 25 points: time-slicing 6 + 3 + 3 + 3 + 2 + 4 (one per concurrency level, n = 1 added),
    // speed 2 (fma, stream), memory 2.
    let m = slicesim::hil::measurements::load(&out.join("h200.json")).unwrap();
    assert_eq!(m.points.len(), 25);
    let kinds = |k: &str| m.points.iter().filter(|p| p.kind == k).count();
    assert_eq!(
        (kinds("time_slicing"), kinds("speed"), kinds("memory")),
        (21, 2, 2)
    );
    // Every time-slicing and speed point had one common window for all its probes: start
    // >= 2 s after launch, counting after the 2 s warm-up, for the 6 s duration.
    for p in m.points.iter().filter(|p| p.kind != "memory") {
        let w = p.window.expect("a common window");
        assert_eq!(w.count_from_ms - w.start_ms, 2_000);
        assert_eq!(w.stop_ms - w.count_from_ms, 6_000);
    }
    // The series parameters are recorded in the points.
    assert!(m.points.iter().any(|p| p.kernel_ms_target == Some(2.0)));
    assert!(
        m.points
            .iter()
            .any(|p| p.kernel_ms_target == Some(20.0) && p.idle.name() == "exp" && p.n == 2)
    );
    assert!(m.environment.as_ref().unwrap().compute_mode.as_deref() == Some("DEFAULT"));
    // compare --reference datasheet: fma and stream against the A100-80GB's datasheet; the
    // emulated probe does 0.9 x datasheet x speed: fma 0.9 x 2.5 = 2.25, stream 0.9 x 2.35 =
    // 2.115, each against the catalog's speed ratio.
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let speed: Vec<(String, f64)> = c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "reference_speed")
        .map(|r| {
            (
                r["profile"].as_str().unwrap().to_string(),
                r["measured"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(speed.len(), 2, "{speed:?}");
    assert_eq!(speed[0].0, "fma vs A100-80GB (datasheet)");
    assert!((speed[0].1 - 2.25).abs() < 1e-9, "{speed:?}");
    assert_eq!(speed[1].0, "stream vs A100-80GB (datasheet)");
    assert!((speed[1].1 - 2.115).abs() < 1e-6, "{speed:?}");
    // Memory: fake H200 143771 MiB, 512 MiB per emulated context. 3 x 51200: the third does not
    // fit (2 x 51712 + 512 + 51200 = 155136); the model agrees (3 x (51200 + 384 for the
    // default context) = 154752 > 143770 catalog MiB). 4 x 35635: the fourth does not fit
    // (3 x 36147 + 512 + 35635 = 144588 > 143771); the model agrees: 4 x (35635 + 384) =
    // 144076 > 143770 (without the context it would say all fit: 142540).
    let mem = c["memory"].as_array().unwrap();
    assert_eq!(mem.len(), 2);
    assert_eq!(mem[0]["predicted_oom"], serde_json::json!([2]));
    assert_eq!(mem[0]["observed_oom"], serde_json::json!([2]));
    assert_eq!(mem[0]["pass"], true);
    assert_eq!(mem[1]["predicted_oom"], serde_json::json!([3]));
    assert_eq!(mem[1]["observed_oom"], serde_json::json!([3]));
    assert_eq!(mem[1]["pass"], true);
    assert_eq!(mem[1]["context_mib"], 384.0);
    let compare = std::fs::read_to_string(out.join("compare.txt")).unwrap();
    assert!(compare.contains("memory n=4 x 35635 MiB"), "{compare}");
    // calibrate fits o(n) from the u = 1 points only.
    let cal = std::fs::read_to_string(out.join("calibrate.txt")).unwrap();
    assert!(cal.contains("overhead_per_context"), "{cal}");
    let yaml = std::fs::read_to_string(out.join("calibration.yaml")).unwrap();
    assert!(yaml.contains("not used for o(n)"), "{yaml}");
    assert!(text.contains("the GPU is as before"), "{text}");
    // An existing output folder is never reused.
    let (code, text) = script(&node, "hil/device-h200.sh", &[&path_str(&out)], PROBE);
    assert_eq!(code, 2, "{text}");
}

#[test]
fn the_device_check_script_attempts_no_write_either() {
    let node = Node::new(&[FakeGpu::new("H100-80GB", false)], &[]);
    let before = node.state();
    let (code, text) = script(&node, "hil/device-check.sh", &[], PROBE);
    assert_eq!(code, 0, "{text}");
    assert!(node.path("check-out/measurements.json").exists(), "{text}");
    assert_eq!(write_attempts(&node), 0);
    assert_eq!(node.state(), before);
}

#[test]
fn the_guard_refuses_a_gpu_that_is_not_ready_and_nothing_runs() {
    for (extra, why) in [
        ("compute_mode=3", "compute mode is EXCLUSIVE_PROCESS"),
        ("mps_pid=4711", "MPS server"),
    ] {
        let node = h200(extra);
        let out = node.path("out");
        let (code, text) = script(&node, "hil/device-h200.sh", &[&path_str(&out)], PROBE);
        assert_eq!(code, 4, "{extra}: {text}");
        assert!(text.contains(why), "{extra}: {text}");
        assert!(
            !out.join("measure.txt").exists(),
            "{extra}: measured anyway"
        );
    }
    // MIG pending on (someone else's change): refused too.
    let node = h200("");
    let st = node.state().replacen("pending=0", "pending=1", 1);
    std::fs::write(node.path("fake-nvml-state"), st).unwrap();
    let (code, text) = script(
        &node,
        "hil/device-h200.sh",
        &[&path_str(&node.path("o"))],
        PROBE,
    );
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("MIG mode is off (pending on)"), "{text}");
}

#[test]
fn a_gpu_that_differs_afterwards_fails_the_run() {
    // A probe that (as an outside actor would) switches the fake GPU to EXCLUSIVE_PROCESS.
    let node = h200("");
    let state = path_str(&node.path("fake-nvml-state"));
    let probe = format!("sed -i 's/^gpu 0 .*/& compute_mode=3/' {state}; {PROBE}");
    let (code, text) = script(
        &node,
        "hil/device-h200.sh",
        &[&path_str(&node.path("o"))],
        &probe,
    );
    assert_eq!(code, 9, "{text}");
    assert!(text.contains("THE GPU DIFFERS AFTER THE RUN"), "{text}");
    assert!(
        text.contains("compute mode: before Some(\"DEFAULT\")"),
        "{text}"
    );
}

#[test]
fn the_h200_script_calls_only_read_only_commands() {
    let text = std::fs::read_to_string(repo().join("hil/device-h200.sh")).unwrap();
    assert!(text.contains("export SLICESIM_HIL_READ_ONLY=1"));
    let allowed = [
        "guard",
        "inventory",
        "probe",
        "measure",
        "compare",
        "calibrate",
    ];
    let mut calls = 0;
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let Some(rest) = line.split("\"$S\"").nth(1) else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        match words.first() {
            Some(&"];") => continue, // `[ ! -x "$S" ]`: a test, not a call
            Some(&"--version") => {
                calls += 1;
                continue;
            }
            _ => calls += 1,
        }
        assert_eq!(words.first(), Some(&"hil"), "{line}");
        // Skip `--lock "$LOCK"`; the next word is the subcommand.
        let sub = if words.get(1) == Some(&"--lock") {
            words[3]
        } else {
            words[1]
        };
        assert!(allowed.contains(&sub), "a command that may write: {line}");
    }
    // --version, guard x2, inventory, probe, measure x2 (with and without --probe-cmd),
    // compare, calibrate.
    assert_eq!(calls, 9, "every binary call was checked");
    // nvidia-smi only queries.
    for line in text.lines().filter(|l| l.contains("nvidia-smi ")) {
        let l = line.trim_start();
        if l.starts_with('#') || l.starts_with("if ") || l.starts_with("echo") {
            continue;
        }
        assert!(l.starts_with("nvidia-smi -q "), "{line}");
    }
}
