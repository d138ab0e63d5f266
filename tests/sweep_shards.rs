//! `sweep --shard` and `slicesim merge` through the binary: three shards merged are byte for
//! byte the unsharded sweep; a missing, doubled, incomplete or foreign shard is refused with
//! exit 2 and nothing written; the shard index comes from Kubernetes or Slurm variables too.

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;
use common::cli::{files, stderr};

/// The built-in scenario for one simulated day: 2 x 2 points, seeds 1 and 2: 8 runs.
const SWEEP: &str = "base: builtin
set: [horizon=1d]
axes:
  - {path: pools.h100-timeslice.nodes, name: h100, values: [1, 3]}
  - {path: pools.a100-timeslice.sharing.replicas, name: replicas, values: [2, 4]}
seeds: 1..2
";

fn slicesim(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slicesim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
    for v in [
        "JOB_COMPLETION_INDEX",
        "SLICESIM_SHARD_COUNT",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
    ] {
        c.env_remove(v);
    }
    c.envs(env.iter().copied());
    c.output().expect("slicesim runs")
}

struct Setup {
    tmp: tempfile::TempDir,
    file: String,
}

impl Setup {
    fn new(text: &str) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("sweep.yaml");
        std::fs::write(&file, text).unwrap();
        Setup {
            file: file.display().to_string(),
            tmp,
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
    fn shard(&self, spec: &str, out: &str, extra: &[&str]) -> Output {
        let out = self.path(out);
        let mut args = vec!["sweep", &self.file, "--quiet", "--shard", spec, "--out"];
        args.push(out.to_str().unwrap());
        args.extend(extra);
        slicesim(&args, &[])
    }
    fn merge(&self, shards: &[&str], out: &str) -> Output {
        let paths: Vec<String> = shards
            .iter()
            .map(|s| self.path(s).display().to_string())
            .collect();
        let out = self.path(out).display().to_string();
        let mut args = vec!["merge", "--quiet", "--out", &out];
        args.extend(paths.iter().map(String::as_str));
        slicesim(&args, &[])
    }
}

#[test]
fn three_shards_merged_are_the_unsharded_sweep_byte_for_byte() {
    let s = Setup::new(SWEEP);
    let whole = s.path("whole");
    let o = slicesim(
        &[
            "sweep",
            &s.file,
            "--quiet",
            "--keep-runs",
            "--out",
            whole.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for i in 0..3 {
        let o = s.shard(
            &format!("{i}/3"),
            &format!("shard-{i}"),
            &["--keep-runs", "--jobs", "1"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // 8 runs round robin: shard 0 runs 0, 3, 6; shard 1 runs 1, 4, 7; shard 2 runs 2, 5.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("shard-2/shard.json")).unwrap())
            .unwrap();
    assert_eq!(m["runs"], serde_json::json!([["p001", 1], ["p002", 2]]));
    assert_eq!(
        (m["shard"].as_u64(), m["count"].as_u64()),
        (Some(2), Some(3))
    );
    // Given in any order.
    let o = s.merge(&["shard-2", "shard-0", "shard-1"], "merged");
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (files(&whole), files(&s.path("merged")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    // 4 sweep files (sweep.html included) + 4 point summaries + 8 runs x 7 files (report.html,
    // and latency.csv: the built-in scenario's services have request streams).
    assert_eq!(a.len(), 4 + 4 + 8 * 7);
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs");
    }
}

#[test]
fn a_missing_doubled_incomplete_or_foreign_shard_is_refused() {
    let s = Setup::new(SWEEP);
    for i in 0..3 {
        let o = s.shard(&format!("{i}/3"), &format!("shard-{i}"), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let refused = |o: Output, what: &str| {
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
        assert!(!s.path("merged").exists());
    };
    refused(
        s.merge(&["shard-0", "shard-2"], "merged"),
        "shard 1/3 of sweep",
    );
    refused(s.merge(&["shard-0", "shard-2"], "merged"), "missing");
    refused(
        s.merge(&["shard-0", "shard-1", "shard-2", "shard-1"], "merged"),
        "shard 1/3 is given twice",
    );
    refused(
        s.merge(&["shard-0", "nowhere", "shard-2"], "merged"),
        "nowhere: no readable shard.json",
    );
    // A shard of another sweep (other seeds): another hash.
    let other = Setup::new(&SWEEP.replace("seeds: 1..2", "seeds: 1..3"));
    let o = other.shard("1/3", "x", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::rename(other.path("x"), s.path("foreign")).unwrap();
    refused(
        s.merge(&["shard-0", "foreign", "shard-2"], "merged"),
        "does not belong with",
    );
    // A shard whose results lost a run.
    let p = s.path("shard-1/shard.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    m["results"].as_array_mut().unwrap().pop();
    std::fs::write(&p, serde_json::to_string(&m).unwrap()).unwrap();
    refused(
        s.merge(&["shard-0", "shard-1", "shard-2"], "merged"),
        "shard 1/3: incomplete: 2 of 3 runs have results (missing: p003 seed 2)",
    );
}

#[test]
fn the_shard_comes_from_kubernetes_or_slurm_variables() {
    let s = Setup::new(SWEEP);
    let o = s.shard("1/2", "explicit", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = std::fs::read(s.path("explicit/shard.json")).unwrap();
    let run = |out: &str, extra: &[&str], env: &[(&str, &str)]| {
        let out = s.path(out);
        let mut args = vec!["sweep", &s.file, "--quiet", "--out", out.to_str().unwrap()];
        args.extend(extra);
        let o = slicesim(&args, env);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out.join("shard.json")).unwrap()
    };
    let k8s = run(
        "k8s",
        &["--shard-count", "2"],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    assert!(
        k8s == want,
        "Indexed Job shard 1 of 2 differs from --shard 1/2"
    );
    let k8s = run(
        "k8s-env",
        &["--shard", "auto"],
        &[("JOB_COMPLETION_INDEX", "1"), ("SLICESIM_SHARD_COUNT", "2")],
    );
    assert!(k8s == want);
    // `sbatch --array=5-6`: task 6 is the second shard.
    let slurm = run(
        "slurm",
        &["--shard", "auto"],
        &[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
    );
    assert!(
        slurm == want,
        "Slurm task 6 of 5-6 differs from --shard 1/2"
    );
    // Without the variables: exit 2, nothing written.
    let out = s.path("none");
    let o = slicesim(
        &[
            "sweep",
            &s.file,
            "--shard",
            "auto",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no shard in the environment"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let o = s.shard("2/2", "bad", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("from 0 to 1 (0-based)"),
        "{}",
        stderr(&o)
    );
}
