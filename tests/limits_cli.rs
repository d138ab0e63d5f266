//! Bad input never aborts (issue 14): sizes over the documented limits are refused at once,
//! naming the field, the value and the limit, and a failing stdout ends a command quietly with
//! a non-zero exit instead of a panic. Each case is a small reproducer of a fuzzing finding.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn slicesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("slicesim runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `args`, expects exit 1 with `needle` in stderr and no panic.
fn refused(args: &[&str], needle: &str) {
    let o = slicesim(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
    assert!(e.contains(needle), "{args:?}: {e}");
    assert!(!e.contains("panicked"), "{args:?}: {e}");
}

#[test]
fn run_scale_beyond_the_job_limit_is_refused_and_writes_nothing() {
    // The built-in scenario: 40 jobs/h over 7 d = 6 720 jobs; x 10^6 = 6.72e9 > 5 000 000.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    refused(
        &["run", "--scale", "1000000", "--out", out.to_str().unwrap()],
        "is 6720000000, more than the limit of 5000000",
    );
    assert!(!out.exists());
}

#[test]
fn experiment_fgd_ranges_are_refused_before_reading_anything() {
    refused(
        &["experiment", "fgd", "--seeds", "0..18446744073709551615"],
        "the number of seeds is 18446744073709551616, more than the limit of 100000",
    );
    refused(
        &["experiment", "fgd", "--seeds", "0..1000000000000"],
        "the number of seeds is 1000000000001, more than the limit of 100000",
    );
    refused(
        &["experiment", "fgd", "--tune", "1000000"],
        "--tune is 1000000, more than the limit of 100",
    );
    refused(
        &["experiment", "fgd", "--threads", "100000"],
        "--threads is 100000, more than the limit of 1024",
    );
}

#[test]
fn trace_generate_beyond_the_span_limit_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.yaml");
    std::fs::write(
        &profile,
        "rate_per_hour: 10\nmix:\n  - {class: a, weight: 1, duration: {median: 1h, sigma: 0.5}}\n",
    )
    .unwrap();
    let out = dir.path().join("t.csv");
    let (p, o) = (profile.to_str().unwrap(), out.to_str().unwrap());
    // 100 000 days = 273 years > 20 years (7300d).
    refused(
        &["trace", "generate", p, "--span", "100000d", "-o", o],
        "is 100000d, more than the limit of 7300d",
    );
    // 10 jobs/h x 10 (--scale) x 24 h x 3 000 d = 7 200 000 jobs over 8.2 years (within the
    // span limit) > 5 000 000 jobs.
    refused(
        &[
            "trace", "generate", p, "--span", "3000d", "--scale", "10", "-o", o,
        ],
        "is 7200000, more than the limit of 5000000",
    );
    assert!(!out.exists());
    assert!(!Path::new(&format!("{o}.tmp")).exists());
}

#[test]
fn an_azure_llm_row_dated_9999_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("llm.csv");
    std::fs::write(
        &trace,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:00:00,100,10\n2023-11-16 18:00:01,100,10\n\
         2023-11-16 18:00:02,100,10\n2023-11-16 18:00:03,100,10\n\
         9999-12-31 23:59:59,100,10\n",
    )
    .unwrap();
    let t = trace.to_str().unwrap();
    let out = dir.path().join("out.csv");
    for args in [
        &["trace", "stats", t][..],
        &["trace", "import", t, "-o", out.to_str().unwrap()][..],
        &["trace", "fit", t, "-o", out.to_str().unwrap()][..],
    ] {
        refused(
            args,
            "more than the limit of 7300 days; a mistyped TIMESTAMP?",
        );
    }
    assert!(!out.exists());
    // A year typo: 0023 instead of 2023 (2000 years apart).
    std::fs::write(
        &trace,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n\
         2023-11-16 18:00:00,100,10\n0023-11-16 18:00:01,100,10\n",
    )
    .unwrap();
    refused(
        &["trace", "stats", t],
        "(first request 0023-11-16 18:00:01, last 2023-11-16 18:00:00)",
    );
}

#[test]
fn a_full_stdout_ends_quietly_with_exit_1() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    for args in [
        &["catalog"][..],
        &["validate", "scenarios/seed-strategy.yaml"][..],
        &["mig", "layouts", "--gpu", "A100-80GB"][..],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_slicesim"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert_eq!(
            e.trim_end(),
            "error: cannot write to stdout: No space left on device (os error 28)",
            "{args:?}"
        );
    }
}

#[test]
fn a_closed_pipe_never_panics() {
    // The reader goes away before the command writes: a write then fails with EPIPE, which
    // ends the command with exit 1 and nothing on stderr. (Should the command win the race
    // and write into the pipe's buffer first, it exits 0; either way it never panics.)
    let mut child = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["catalog"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let e = stderr(&o);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{e}");
    assert_eq!(e, "", "{e}");
}

#[test]
fn sigterm_removes_the_temporary_files_and_keeps_earlier_results() {
    // A run of a million jobs writes jobs.csv for seconds: once its temporary file exists,
    // SIGTERM. The handler removes the temporaries and exits 130; the earlier complete result
    // in the folder (summary.json) stays as it was.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("summary.json"), "earlier\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "scenarios/bench-1m.yaml", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    // Wait (event-driven, not timed) for the run to stage its files, or to end first.
    while temporaries().is_empty() {
        if child.try_wait().unwrap().is_some() {
            eprintln!("skipped: the run ended before it could be interrupted");
            return;
        }
        std::thread::yield_now();
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert_eq!(temporaries(), Vec::<String>::new());
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        "earlier\n"
    );
}

#[test]
fn outputs_refuse_devices_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.yaml");
    std::fs::write(
        &profile,
        "rate_per_hour: 10\nspan: 1h\nmix:\n  - {class: a, weight: 1, duration: {median: 1h, sigma: 0.5}}\n",
    )
    .unwrap();
    let p = profile.to_str().unwrap();
    refused(
        &["trace", "generate", p, "-o", dir.path().to_str().unwrap()],
        "not a regular file (a directory); give the path of a file to write",
    );
    if Path::new("/dev/full").exists() {
        refused(
            &["trace", "generate", p, "-o", "/dev/full"],
            "/dev/full: not a regular file (a device)",
        );
    }
    // A run's --out that is a file, not a folder.
    refused(
        &["run", "--out", p],
        "not a directory; give a folder for the output files",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn trace_import_writes_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    std::fs::write(
        &trace,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,100,10\n",
    )
    .unwrap();
    let real = dir.path().join("real.csv");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = slicesim(&[
        "trace",
        "import",
        trace.to_str().unwrap(),
        "-o",
        link.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&real).unwrap().starts_with("id,"));
}

#[test]
fn remove_temporaries_removes_staged_files_and_empty_folders() {
    // The only test in this process that stages files through the library (the others run
    // the binary), so removing every temporary touches nothing else.
    use slicesim::outfile;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("run");
    std::fs::create_dir(&sub).unwrap();
    outfile::track_dir(&sub);
    let (tmp, _file) = outfile::stage(&sub.join("jobs.csv")).unwrap();
    assert!(tmp.exists());
    outfile::remove_temporaries();
    assert!(!tmp.exists());
    assert!(!sub.exists());
}
