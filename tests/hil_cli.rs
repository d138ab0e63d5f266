//! Every `slicesim hil` command run as a process against the fake NVML library (so the real
//! nvml-wrapper code path, dlopen included), with injected faults: no fault may leave a GPU
//! half-configured, and the saved state must come back.

mod hil_support;

use hil_support::{Node, path_str, scenario};
use slicesim::hil::fakelib::FakeGpu;
use slicesim::hil::measurements;
use std::time::{Duration, Instant};

/// The seed strategy's a100-mig-inference layout on the fake's state: 2g.20gb (id 14) at 0 and
/// 2, 3g.40gb (id 9) at 4, each with one compute instance spanning it (profiles 1 and 2).
const SEED_LAYOUT: &str = "mig=1 pending=1 14@0[1@0] 14@2[1@0] 9@4[2@0]";
/// One 7g.80gb instance (id 0) with its 7-slice compute instance (profile 4).
const SEVEN_G: [&str; 2] = [
    "gi 0 id=1 profile=0 start=0",
    "ci 0 gi=1 id=0 profile=4 start=0",
];

fn a100(mig: bool, extra: &[&str]) -> Node {
    Node::new(&[FakeGpu::new("A100-80GB", mig)], extra)
}

fn apply_args(node: &Node, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        "apply".to_string(),
        scenario("seed-strategy.yaml"),
        "--pool".into(),
        "a100-mig-inference".into(),
        "--state".into(),
        path_str(&node.path("state.json")),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_apply(node: &Node, extra: &[&str], env: &[(&str, &str)]) -> hil_support::Out {
    let args = apply_args(node, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    node.run(&args, env)
}

fn layout0(node: &Node) -> String {
    node.layout()[&0].trim().to_string()
}

#[test]
fn inventory_reports_profiles_and_lists_catalog_mismatches() {
    let node = Node::new(
        &[
            FakeGpu::new("A100-80GB", true),
            FakeGpu::new("H100-80GB", false),
        ],
        &["override 0 profile=9 sms=44"],
    );
    let json = node.path("inv.json");
    let out = node.run(&["inventory", "--json", &path_str(&json)], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let s = &out.stdout;
    assert!(s.contains("FAKE NVML LIBRARY"), "{s}");
    assert!(
        s.contains("GPU 0: NVIDIA A100-SXM4-80GB (A100-80GB)"),
        "{s}"
    );
    assert!(s.contains("3g.40gb      3  x2   44 SMs"), "{s}");
    assert!(s.contains("starts 0,4 (size 4)"), "{s}");
    assert!(s.contains("catalog check: 1 mismatch(es)"), "{s}");
    assert!(
        s.contains("3g.40gb (id 9): SMs: NVML reports 44, catalog has 42"),
        "{s}"
    );
    assert!(
        s.contains("GPU 1: NVIDIA H100 80GB HBM3 (H100-80GB)"),
        "{s}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(v["gpus"].as_array().unwrap().len(), 2);
    assert_eq!(v["gpus"][0]["profiles"].as_array().unwrap().len(), 7);
}

#[test]
fn no_nvml_is_a_clean_message_and_exit_3() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args([
            "hil",
            "--nvml-lib",
            "/nonexistent/libnvidia-ml.so.1",
            "inventory",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("error: no NVML on this host"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The default lookup (the driver's library): exit 3 on a host without NVML, 0 with one.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["hil", "inventory"])
        .env_remove("SLICESIM_NVML_LIB")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => {}
        Some(3) => assert!(err.contains("no NVML on this host"), "{err}"),
        other => panic!("unexpected exit {other:?}: {err}"),
    }
}

#[test]
fn plan_and_apply_without_yes_change_nothing() {
    let node = a100(true, &SEVEN_G);
    let before = node.state();
    let out = node.run(
        &[
            "plan",
            &scenario("seed-strategy.yaml"),
            "--pool",
            "a100-mig-inference",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let s = &out.stdout;
    assert!(
        s.contains("1. destroy compute instance 0 of GPU instance 1"),
        "{s}"
    );
    assert!(
        s.contains("2. destroy GPU instance 1 (7g.80gb at memory slices 0-7)"),
        "{s}"
    );
    assert!(
        s.contains("create GPU instance 3g.40gb at memory slices 4-7 (placement start 4, size 4)"),
        "{s}"
    );
    assert!(s.contains("dry run: nothing was changed"), "{s}");
    let out = run_apply(&node, &[], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("dry run"), "{}", out.stdout);
    assert_eq!(node.state(), before);
    assert!(!node.path("state.json").exists());
}

#[test]
fn apply_places_the_solver_layout_and_restore_puts_the_old_one_back() {
    let node = a100(true, &SEVEN_G);
    let out = run_apply(&node, &["--yes"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), SEED_LAYOUT);
    assert!(
        out.stdout.contains("prior state saved in"),
        "{}",
        out.stdout
    );
    let again = run_apply(&node, &["--yes"], &[]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    let state = path_str(&node.path("state.json"));
    let dry = node.run(&["restore", "--state", &state], &[]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert_eq!(
        layout0(&node),
        SEED_LAYOUT,
        "restore without --yes is a dry run"
    );
    let out = node.run(&["restore", "--state", &state, "--yes"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
}

#[test]
fn mig_mode_change_needs_the_flag_and_a_reset() {
    // A GPU in a pass-through VM: the driver cannot reset it, the change stays pending.
    let node = a100(false, &[]);
    let state = node
        .state()
        .replace("mig=0 pending=0", "mig=0 pending=0 immediate=0");
    std::fs::write(node.path("fake-nvml-state"), state).unwrap();
    let out = run_apply(&node, &["--yes"], &[]);
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(out.stderr.contains("--allow-mode-change"), "{}", out.stderr);
    assert_eq!(layout0(&node), "mig=0 pending=0");
    let out = run_apply(&node, &["--yes", "--allow-mode-change"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("RESET_REQUIRED"), "{}", out.stdout);
    assert!(out.stdout.contains("reset the GPU"), "{}", out.stdout);
    assert_eq!(layout0(&node), "mig=0 pending=1");
    let first_state = node.path("state-before.json");
    std::fs::rename(node.path("state.json"), &first_state).unwrap();
    // Until the reset, nothing more can happen.
    let out = run_apply(&node, &["--yes", "--allow-mode-change"], &[]);
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.stderr.contains("pending on") && out.stderr.contains("reset"),
        "{}",
        out.stderr
    );
    // After a reset (emulated at init) the instances are created.
    let out = run_apply(&node, &["--yes"], &[("FAKE_NVML_RESET", "all")]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), SEED_LAYOUT);
    // Back to the very first state: MIG off again needs the flag (and another reset).
    let first = path_str(&first_state);
    let out = node.run(&["restore", "--state", &first, "--yes"], &[]);
    assert_eq!(out.code, 4, "{}", out.all());
    let out = node.run(
        &["restore", "--state", &first, "--yes", "--allow-mode-change"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), "mig=1 pending=0");
}

#[test]
fn a_mode_change_activated_at_once_stops_and_the_next_apply_creates_the_instances() {
    // Bare metal (the fake's default): the driver resets the idle GPU itself. apply stops after
    // the mode change (M5); the instances come from a second apply in a fresh process.
    let node = a100(false, &[]);
    let out = run_apply(&node, &["--yes", "--allow-mode-change"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(
            "set MIG mode on (the driver may reset the GPU to activate it): MIG mode is on (the \
             driver activated it at once, resetting the GPU)"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("apply stops here"), "{}", out.stdout);
    assert_eq!(layout0(&node), "mig=1 pending=1");
    let out = run_apply(&node, &["--yes"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), SEED_LAYOUT);
    // A failure after the mode change never writes MIG mode back (M1): the 4th GetMigMode (the
    // verification) fails; the rollback finds MIG on where it was off and stops with exit 6.
    let node = a100(false, &[]);
    let out = run_apply(
        &node,
        &["--yes", "--allow-mode-change"],
        &[("FAKE_NVML_FAULTS", "get_mig_mode@4=UNKNOWN")],
    );
    assert_eq!(out.code, 6, "{}", out.all());
    assert!(
        out.stderr.contains("never writes MIG mode"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("set MIG mode off"), "{}", out.stdout);
    assert_eq!(layout0(&node), "mig=1 pending=1");
}

#[test]
fn injected_faults_roll_back_to_the_saved_layout() {
    // IN_USE is retried 3 times (M12): it must answer 4 times in a row to fail the operation.
    let in_use = |call: &str, from: u32| -> String {
        (from..from + 4)
            .map(|n| format!("{call}@{n}=IN_USE"))
            .collect::<Vec<_>>()
            .join(",")
    };
    for fault in [
        in_use("create_gi", 2),
        "create_gi@1=RESET_REQUIRED".into(),
        "create_ci@1=UNKNOWN".into(),
        "create_ci@3=INSUFFICIENT_RESOURCES".into(),
        in_use("destroy_gi", 1),
        in_use("destroy_ci", 1),
    ] {
        let fault = fault.as_str();
        let node = a100(true, &SEVEN_G);
        let out = run_apply(&node, &["--yes"], &[("FAKE_NVML_FAULTS", fault)]);
        assert_eq!(out.code, 5, "{fault}: {}", out.all());
        let name = fault.split(['=', ',']).nth(1).unwrap();
        assert!(out.stderr.contains(name), "{fault}: {}", out.stderr);
        assert!(
            out.stderr.contains("back in the saved state (verified)"),
            "{fault}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("Rolled back:"),
            "{fault}: {}",
            out.stderr
        );
        assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]", "{fault}");
    }
    // A refused MIG mode change does nothing.
    let node = a100(false, &[]);
    let out = run_apply(
        &node,
        &["--yes", "--allow-mode-change"],
        &[("FAKE_NVML_FAULTS", "set_mig_mode=IN_USE")],
    );
    assert_eq!(out.code, 5, "{}", out.all());
    assert!(out.stderr.contains("IN_USE"), "{}", out.stderr);
    assert_eq!(layout0(&node), "mig=0 pending=0");
}

#[test]
fn failed_rollback_says_so_and_restore_recovers() {
    let node = a100(true, &SEVEN_G);
    let out = run_apply(
        &node,
        &["--yes"],
        &[("FAKE_NVML_FAULTS", "create_gi@1+=UNKNOWN")],
    );
    assert_eq!(out.code, 6, "{}", out.all());
    assert!(out.stderr.contains("Rollback FAILED"), "{}", out.stderr);
    assert!(
        out.stderr.contains("slicesim hil restore --state"),
        "{}",
        out.stderr
    );
    assert_eq!(
        layout0(&node),
        "mig=1 pending=1",
        "half-configured, as reported"
    );
    let state = path_str(&node.path("state.json"));
    let out = node.run(&["restore", "--state", &state, "--yes"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
}

#[test]
fn foreign_processes_block_reconfiguration_unless_forced() {
    let node = a100(true, &["proc 0 pid=4242 used_mib=1024"]);
    let out = run_apply(&node, &["--yes"], &[]);
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(out.stderr.contains("pid 4242 (1024 MiB)"), "{}", out.stderr);
    assert_eq!(layout0(&node), "mig=1 pending=1");
    let out = run_apply(&node, &["--yes", "--force"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), SEED_LAYOUT);
}

#[test]
fn the_lock_keeps_two_runs_apart() {
    let node = a100(true, &[]);
    let held = slicesim::hil::lock::acquire(&node.path("lock"), "measure other.yaml").unwrap();
    let out = run_apply(&node, &["--yes"], &[]);
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.stderr.contains("another harness run holds the lock"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("measure other.yaml"), "{}", out.stderr);
    assert_eq!(layout0(&node), "mig=1 pending=1");
    drop(held);
    assert_eq!(run_apply(&node, &["--yes"], &[]).code, 0);
}

fn sigint(child: &std::process::Child) {
    // SAFETY: plain syscall on our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
}

fn wait_for(mut ready: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ready() {
        assert!(t0.elapsed() < Duration::from_secs(60), "timed out waiting");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_during_apply_restores_the_saved_state() {
    let node = a100(true, &SEVEN_G);
    let args = apply_args(&node, &["--yes"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = node.spawn(&args, &[("FAKE_NVML_FAULTS", "create_gi=SLEEP400")]);
    // The state file is written after the handler is installed and before the first change;
    // the first create then sleeps 400 ms.
    wait_for(|| node.path("state.json").exists());
    std::thread::sleep(Duration::from_millis(150));
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("back in the saved state (verified)"), "{err}");
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
}

#[test]
fn measure_writes_a_synthetic_measurement_file_and_never_overwrites() {
    let node = a100(false, &[]);
    let out_file = node.path("m.json");
    let out = node.measure("hil/experiments/timeslice-scaling.yaml", &out_file);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains("time-slicing u=1 d=1 n=4: 22.750 units/s"),
        "{}",
        out.stdout
    );
    let m = measurements::load(&out_file).unwrap();
    assert!(m.synthetic && m.complete && !m.interrupted);
    assert!(m.provenance.starts_with("SYNTHETIC"), "{}", m.provenance);
    assert_eq!(m.gpu.catalog_model, "A100-80GB");
    assert_eq!(m.points.len(), 9);
    let p = &m.points[3];
    assert_eq!((p.kind.as_str(), p.u, p.n), ("time_slicing", 1.0, 4));
    assert_eq!(p.mean_throughput(), Some(22.75));
    assert!(p.samples.count >= 1);
    assert_eq!(p.samples.power_w_mean, Some(62.0));
    let again = node.measure("hil/experiments/timeslice-scaling.yaml", &out_file);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("never overwritten"),
        "{}",
        again.stderr
    );
}

#[test]
fn measure_in_mig_instances_uses_their_sm_fractions() {
    let node = a100(true, &[]);
    assert_eq!(run_apply(&node, &["--yes"], &[]).code, 0);
    let out_file = node.path("mig.json");
    let out = node.measure("hil/experiments/mig-instances.yaml", &out_file);
    assert_eq!(out.code, 0, "{}", out.all());
    let m = measurements::load(&out_file).unwrap();
    let probes = &m.points[0].probes;
    let got: Vec<(String, f64)> = probes
        .iter()
        .map(|p| (p.mig_profile.clone().unwrap(), p.sm_fraction))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2g.20gb".to_string(), 28.0 / 108.0),
            ("2g.20gb".to_string(), 28.0 / 108.0),
            ("3g.40gb".to_string(), 42.0 / 108.0)
        ]
    );
    assert!(probes.iter().all(|p| p.device.starts_with("MIG-")));
}

#[test]
fn failing_probes_keep_the_points_and_the_builtin_probe_needs_cuda() {
    let node = a100(false, &[]);
    let f = node.path("fail.json");
    let out = node.run(
        &[
            "measure",
            "hil/experiments/mig-instances.yaml",
            "--probe-cmd",
            "exit 1",
            "-o",
            &path_str(&f),
        ],
        &[],
    );
    // MIG points need MIG mode on: refused before any probe runs, the file says so.
    assert_eq!(out.code, 4, "{}", out.all());
    let f2 = node.path("fail2.json");
    let out = node.run(
        &[
            "measure",
            "hil/experiments/timeslice-scaling.yaml",
            "--probe-cmd",
            "echo oops >&2; exit 1",
            "-o",
            &path_str(&f2),
        ],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("probe run(s) failed"), "{}", out.stderr);
    let m = measurements::load(&f2).unwrap();
    assert_eq!(m.points.len(), 9);
    assert!(
        m.points[0].probes[0]
            .error
            .as_deref()
            .unwrap()
            .contains("oops")
    );
    // The built-in probe: "CUDA not available" here (exit 3), or a CUDA error on a GPU host,
    // where the fake GPU's UUID is no real device.
    let f3 = node.path("builtin.json");
    let out = node.run(
        &[
            "measure",
            "hil/experiments/timeslice-scaling.yaml",
            "-o",
            &path_str(&f3),
        ],
        &[],
    );
    assert!(out.code == 3 || out.code == 1, "{}", out.all());
    if out.code == 3 {
        assert!(out.stderr.contains("CUDA not available"), "{}", out.stderr);
    }
    assert_eq!(measurements::load(&f3).unwrap().points.len(), 1);
}

#[test]
fn ctrl_c_during_measure_keeps_finished_points() {
    let node = a100(false, &[]);
    let exp = node.path("exp.yaml");
    std::fs::write(
        &exp,
        "name: slow\nduration: 1s\nwarmup: 0s\nseries:\n  - {kind: time_slicing, u: 1, d: 1, concurrency: [1, 2]}\n",
    )
    .unwrap();
    let f = node.path("slow.json");
    let probe = "if [ \"$SLICESIM_PROBE_N\" = 1 ]; then echo SLICESIM_PROBE throughput=5; else sleep 30; fi";
    let child = node.spawn(
        &[
            "measure",
            &path_str(&exp),
            "--probe-cmd",
            probe,
            "-o",
            &path_str(&f),
        ],
        &[],
    );
    wait_for(|| measurements::load(&f).is_ok_and(|m| !m.points.is_empty()));
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "the sleeping probes were killed"
    );
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let m = measurements::load(&f).unwrap();
    assert!(m.interrupted && !m.complete);
    assert_eq!(m.points.len(), 2);
    assert_eq!(m.points[0].mean_throughput(), Some(5.0));
    assert_eq!(
        m.points[1].probes[0].error.as_deref(),
        Some("stopped by Ctrl-C")
    );
}

#[test]
fn probe_command_reports_missing_cuda_cleanly() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args([
            "hil",
            "probe",
            "--seconds",
            "0.1",
            "--warmup",
            "0",
            "--d",
            "0.1",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => assert!(out.starts_with("SLICESIM_PROBE throughput="), "{out}"),
        Some(3) => assert!(err.contains("CUDA not available"), "{err}"),
        other => panic!("unexpected exit {other:?}: {err}"),
    }
}
