//! `slicesim run`'s terminal summary: the default fits 100 columns, `--wide` has every table.

use std::process::Command;

fn slicesim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(args)
        .output()
        .expect("run slicesim")
}

#[test]
fn every_golden_run_summary_fits_100_columns() {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut seen = 0;
    for e in std::fs::read_dir(golden).unwrap() {
        let dir = e.unwrap().path();
        if !dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("run-")
        {
            continue;
        }
        let text = std::fs::read_to_string(dir.join("stdout.txt")).unwrap();
        for line in text.lines() {
            // Characters, not bytes: the table borders are 3 bytes each.
            assert!(line.chars().count() <= 100, "{}: {line}", dir.display());
        }
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} golden runs");
}

#[test]
fn the_default_has_the_key_figures_and_wide_has_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--set", "horizon=6h", "--out", out.to_str().unwrap()];
        args.extend(extra);
        let o = slicesim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let brief = run(&[]);
    assert!(brief.contains("│ priority"), "{brief}");
    assert!(brief.contains("production-inference (1000)"), "{brief}");
    assert!(!brief.contains("useful ref-GPU-h"), "{brief}");
    // The summary fits 100 columns; the closing `wrote DIR/{...}` line echoes the output path,
    // whatever its length (here a temporary directory), so it is not held to the width.
    assert!(
        brief
            .lines()
            .filter(|l| !l.starts_with("wrote "))
            .all(|l| l.chars().count() <= 100),
        "{brief}"
    );
    let wide = run(&["--wide"]);
    for col in ["useful ref-GPU-h", "below target", "│ class", "fallback"] {
        assert!(wide.contains(col), "--wide lacks {col}:\n{wide}");
    }
    assert!(wide.lines().any(|l| l.chars().count() > 100));
    assert_eq!(
        slicesim(&["run", "--wide", "--quiet"]).status.code(),
        Some(2)
    );
}
