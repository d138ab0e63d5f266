//! `scripts/scaling.sh` (the scaling table of README.md, "Speed") with a few hundred jobs: it
//! prints a markdown table with one row per scenario and job count, the events `slicesim run`
//! reports, and the before columns when given an old binary. Skipped with a notice when
//! /usr/bin/time or jq is missing (the script exits 77).

use std::process::Command;

fn script(args: &[&str]) -> Option<String> {
    let o = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/scaling.sh"))
        .args(args)
        .output()
        .expect("bash runs");
    if o.status.code() == Some(77) {
        eprintln!(
            "scaling script test skipped: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        );
        return None;
    }
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8(o.stdout).unwrap())
}

/// The cells of each table row after the header and the rule.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip(2)
        .map(|l| {
            let l = l.trim().trim_start_matches('|').trim_end_matches('|');
            l.split('|').map(|c| c.trim().to_string()).collect()
        })
        .collect()
}

#[test]
fn table_of_small_runs_against_the_same_binary() {
    let bin = env!("CARGO_BIN_EXE_slicesim");
    let args = [
        "-n",
        "150,300",
        "-s",
        "bench-100k,bench-overload-never",
        "-b",
        "-o",
        bin,
        bin,
    ];
    let Some(table) = script(&args) else { return };
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("| scenario | jobs | GPUs |"),
        "{table}"
    );
    assert!(lines[0].ends_with("| same jobs.csv |"), "{table}");
    let rows = rows(&table);
    // Two scenarios x two job counts, in the order asked for.
    assert_eq!(rows.len(), 4, "{table}");
    let key: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[4].as_str()))
        .collect();
    // GPUs: bench-100k 40x8 + 25x8 + 25x8 + 10x8 + 15x8 + 10x8 = 1,000; bench-overload
    // 100x8 + 62x8 + 62x8 + 25x8 + 38x8 + 25x8 = 2,496 (the scenario files).
    assert_eq!(
        key,
        [
            ("`bench-100k`", "150", "1,000", "on"),
            ("`bench-100k`", "300", "1,000", "on"),
            ("`bench-overload, every class Never`", "150", "2,496", "off"),
            ("`bench-overload, every class Never`", "300", "2,496", "off"),
        ]
    );
    for r in &rows {
        // -b: no baseline events; every job arrives and leaves, so at least two events each.
        let events: u64 = r[5].replace(',', "").parse().expect("events: a count");
        let jobs: u64 = r[1].parse().unwrap();
        assert!(events >= 2 * jobs, "{r:?}");
        // The same binary twice: the same jobs.csv.
        assert_eq!(r.last().unwrap(), "yes", "{r:?}");
        assert!(r[10].ends_with(" MB"), "{r:?}");
    }
}

#[test]
fn counts_above_a_scenarios_cap_are_skipped_and_bad_options_refused() {
    let bin = env!("CARGO_BIN_EXE_slicesim");
    // bench-100k caps its jobs at 100,000: a count above it gives no row.
    let Some(table) = script(&["-n", "200000", "-s", "bench-100k", "-b", bin]) else {
        return;
    };
    assert_eq!(table.lines().count(), 2, "{table}");
    for bad in [
        &["-s", "no-such-row", "-n", "10", bin][..],
        &["-n", "ten", bin],
        &["-r", "0", bin],
        &["/no/such/binary"],
    ] {
        let o = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/scaling.sh"))
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).starts_with("scaling.sh: "),
            "{bad:?}"
        );
    }
}
