//! The HIL review's safety fixes (issue 13) through the CLI against the fake NVML library:
//! read-only mode, the fake's forbid-writes and not-root modes, the saved original state,
//! probes that die with the harness, Kubernetes nodes, compute-instance SM fractions.

mod hil_support;

use hil_support::{Node, path_str, scenario};
use slicesim::hil::fakelib::FakeGpu;
use slicesim::hil::{measurements, state};
use std::time::{Duration, Instant};

const SEVEN_G: [&str; 2] = [
    "gi 0 id=1 profile=0 start=0",
    "ci 0 gi=1 id=0 profile=4 start=0",
];

fn a100(mig: bool, extra: &[&str]) -> Node {
    Node::new(&[FakeGpu::new("A100-80GB", mig)], extra)
}

fn apply(node: &Node, pool: &str, extra: &[&str], env: &[(&str, &str)]) -> hil_support::Out {
    let sc = scenario("seed-strategy.yaml");
    let st = path_str(&node.path("state.json"));
    let mut args = vec!["apply", sc.as_str(), "--pool", pool, "--state", st.as_str()];
    args.extend_from_slice(extra);
    node.run(&args, env)
}

fn layout0(node: &Node) -> String {
    node.layout()[&0].trim().to_string()
}

/// Lines in the fake's log of write attempts (FAKE_NVML_FORBID_WRITES=1).
fn write_attempts(node: &Node) -> Vec<String> {
    std::fs::read_to_string(node.path("fake-nvml-state.write-attempts"))
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn read_only_refuses_writing_commands_before_loading_nvml() {
    let node = a100(true, &SEVEN_G);
    let before = node.state();
    // --read-only: exit 4, not 3, although the NVML library does not exist: refused first.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args([
            "hil",
            "--read-only",
            "--nvml-lib",
            "/nonexistent/libnvidia-ml.so.1",
        ])
        .args([
            "apply",
            &scenario("seed-strategy.yaml"),
            "--pool",
            "a100-mig-inference",
        ])
        .arg("--yes")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("read-only mode") && err.contains("before loading NVML"),
        "{err}"
    );
    // The environment variable does the same, for restore too.
    let st = path_str(&node.path("state.json"));
    let out = node.run(
        &["restore", "--state", &st, "--yes"],
        &[("SLICESIM_HIL_READ_ONLY", "1")],
    );
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(out.stderr.contains("`restore --yes`"), "{}", out.stderr);
    // Dry runs and reads still work.
    let out = apply(&node, "a100-mig-inference", &["--read-only"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("dry run"), "{}", out.stdout);
    let out = node.run(&["--read-only", "inventory"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(node.state(), before);
}

#[test]
fn the_fake_reports_and_refuses_every_write_attempt_when_forbidden() {
    let node = a100(true, &SEVEN_G);
    let out = apply(
        &node,
        "a100-mig-inference",
        &["--yes"],
        &[("FAKE_NVML_FORBID_WRITES", "1")],
    );
    // The first write (destroy the 7g's compute instance) is refused; nothing to roll back.
    assert_eq!(out.code, 5, "{}", out.all());
    assert!(
        out.stderr
            .contains("FAKE-NVML WRITE ATTEMPT nvmlComputeInstanceDestroy"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("NO_PERMISSION"), "{}", out.stderr);
    let log = write_attempts(&node);
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].starts_with("nvmlComputeInstanceDestroy pid="),
        "{log:?}"
    );
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
}

#[test]
fn init_faults_of_the_fake_fire() {
    // Old fake: the fault list was loaded inside the very nvmlInit it should fail: exit 0.
    let node = a100(false, &[]);
    let out = node.run(
        &["inventory"],
        &[("FAKE_NVML_FAULTS", "init=DRIVER_NOT_LOADED")],
    );
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stderr.contains("driver is not running"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_second_apply_keeps_the_original_state() {
    // Old: the second apply overwrote the state file with the 3g/2g/2g layout (M9).
    let node = a100(true, &SEVEN_G);
    assert_eq!(apply(&node, "a100-mig-inference", &["--yes"], &[]).code, 0);
    let out = apply(&node, "a100-mig-small", &["--yes"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains("the state before the first apply stays in"),
        "{}",
        out.stdout
    );
    let original = state::load(&node.path("state.json")).unwrap();
    let profiles: Vec<u32> = original.gpus[0]
        .instances
        .iter()
        .map(|g| g.profile_id)
        .collect();
    assert_eq!(profiles, vec![0], "still the 7g layout");
    let stamped: Vec<String> = std::fs::read_dir(node.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("state-") && n.ends_with(".json"))
        .collect();
    assert_eq!(stamped.len(), 2, "{stamped:?}");
    let st = path_str(&node.path("state.json"));
    let out = node.run(&["restore", "--state", &st, "--yes"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
}

#[test]
fn without_root_the_inventory_is_partial_and_changes_are_refused() {
    // Old: one NO_PERMISSION (placements need root) aborted the whole inventory (M7).
    let node = a100(true, &SEVEN_G);
    let env = [("FAKE_NVML_NOT_ROOT", "1")];
    let out = node.run(&["inventory"], &env);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("PARTIAL (not root)"), "{}", out.stdout);
    assert!(
        out.stdout.contains("GPU instances (NO_PERMISSION"),
        "{}",
        out.stdout
    );
    // A change needs the full state: the strict read fails and nothing is written.
    let out = apply(&node, "a100-mig-inference", &["--yes"], &env);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("NO_PERMISSION"), "{}", out.stderr);
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
}

#[test]
fn a_kubernetes_node_is_refused_unless_forced() {
    let node = a100(true, &SEVEN_G);
    std::fs::create_dir_all(node.path("var/lib/kubelet")).unwrap();
    let out = apply(&node, "a100-mig-inference", &["--yes"], &[]);
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(out.stderr.contains("Kubernetes node"), "{}", out.stderr);
    assert_eq!(layout0(&node), "mig=1 pending=1 0@0[4@0]");
    let out = apply(&node, "a100-mig-inference", &["--yes", "--force"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn mig_probes_get_their_compute_instance_sm_fraction() {
    // A 3g.40gb GPU instance (42 SMs) split into three 1-slice compute instances of 14 SMs
    // each (the fake: 42 x 1/3). Old: every probe got the GPU instance's 42/108 (M14).
    let node = a100(
        true,
        &[
            "gi 0 id=1 profile=9 start=4",
            "ci 0 gi=1 id=0 profile=0 start=0",
            "ci 0 gi=1 id=1 profile=0 start=1",
            "ci 0 gi=1 id=2 profile=0 start=2",
        ],
    );
    let out_file = node.path("mig.json");
    let out = node.measure("hil/experiments/mig-instances.yaml", &out_file);
    assert_eq!(out.code, 0, "{}", out.all());
    let m = measurements::load(&out_file).unwrap();
    let f: Vec<f64> = m.points[0].probes.iter().map(|p| p.sm_fraction).collect();
    assert_eq!(f, vec![14.0 / 108.0; 3]);
}

fn alive(pid: u32) -> bool {
    // A zombie (state Z) is dead; a missing /proc entry too.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

fn wait_for(mut ready: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ready() {
        assert!(t0.elapsed() < Duration::from_secs(60), "timed out waiting");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn probes_die_with_a_killed_harness() {
    // Old: probes were in their own process group with no parent-death signal and kept running
    // after `kill -9` of measure (M10).
    let node = a100(false, &[]);
    let exp = node.path("long.yaml");
    std::fs::write(
        &exp,
        "name: long\ngpu: 0\nduration: 60s\nwarmup: 1s\nsample_hz: 1\nseries:\n  - {kind: \
         time_slicing, u: 1.0, d: 1.0, concurrency: [1]}\n",
    )
    .unwrap();
    let pid_file = node.path("probe.pid");
    let probe = format!("echo $$ > {}; exec sleep 120", path_str(&pid_file));
    let out = path_str(&node.path("long.json"));
    let mut child = node.spawn(
        &[
            "measure",
            &path_str(&exp),
            "--probe-cmd",
            &probe,
            "-o",
            &out,
        ],
        &[],
    );
    wait_for(|| std::fs::read_to_string(&pid_file).is_ok_and(|s| s.trim().parse::<u32>().is_ok()));
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The pid file is written before the exec: wait until the probe is `sleep`.
    wait_for(|| {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
    });
    assert!(alive(pid));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    wait_for(|| !alive(pid));
}
