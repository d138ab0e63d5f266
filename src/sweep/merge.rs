//! `slicesim merge`: shard folders back into the folder the unsharded sweep writes, byte for
//! byte. Every shard must belong to the same sweep (same hash and count), every index from 0
//! to n - 1 must be there exactly once, and each must hold exactly the runs its index gives;
//! anything else is an error naming the shard, never skipped.

use super::SweepError;
use super::output::{Outcome, write};
use super::run::RunFigures;
use super::shard::{SHARD_FILE, SHARD_FORMAT, ShardFile, ShardSpec, results_of};
use super::stage::Staging;
use std::path::{Path, PathBuf};

/// Reads, checks and merges `dirs` into `out` (whole or not at all).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Outcome, SweepError> {
    let input = SweepError::Input;
    if dirs.is_empty() {
        return Err(input("no shard folder given".into()));
    }
    let shards: Vec<ShardFile> = dirs
        .iter()
        .map(|d| read(d))
        .collect::<Result<_, _>>()
        .map_err(input)?;
    let (first, first_dir) = (&shards[0], &dirs[0]);
    for (s, d) in shards.iter().zip(dirs).skip(1) {
        if s.sweep_sha256 != first.sweep_sha256 || s.count != first.count {
            return Err(input(format!(
                "{}: shard {}/{} of sweep {} does not belong with {} (shard {}/{} of sweep {}): \
                 every shard must come from the same sweep file, options and slicesim version",
                d.display(),
                s.shard,
                s.count,
                short(&s.sweep_sha256),
                first_dir.display(),
                first.shard,
                first.count,
                short(&first.sweep_sha256)
            )));
        }
    }
    let n = first.count;
    let mut at: Vec<Option<&Path>> = vec![None; n];
    for (s, d) in shards.iter().zip(dirs) {
        if let Some(other) = at[s.shard] {
            return Err(input(format!(
                "shard {}/{n} is given twice: {} and {}",
                s.shard,
                other.display(),
                d.display()
            )));
        }
        at[s.shard] = Some(d);
    }
    let missing: Vec<String> = (0..n)
        .filter(|i| at[*i].is_none())
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(input(format!(
            "shard{} {} of sweep {} missing (a shard that failed writes no folder: run it again)",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            short(&first.sweep_sha256)
        )));
    }
    let mut runs: Vec<RunFigures> = Vec::new();
    for (s, d) in shards.iter().zip(dirs) {
        let mine = complete(s)
            .map_err(|e| input(format!("{}: shard {}/{n}: {e}", d.display(), s.shard)))?;
        runs.extend(mine);
    }
    runs.sort_by_key(|r| (r.point, r.seed));
    let stage = Staging::new(out, "sweep.json").map_err(input)?;
    let outcome = write(stage.path(), &first.plan, &runs).map_err(SweepError::Failed)?;
    for d in dirs {
        let kept = d.join("runs");
        if kept.is_dir() {
            copy_tree(&kept, &stage.path().join("runs")).map_err(SweepError::Failed)?;
        }
    }
    stage.commit().map_err(SweepError::Failed)?;
    Ok(outcome)
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

fn read(dir: &Path) -> Result<ShardFile, String> {
    let p = dir.join(SHARD_FILE);
    let text = std::fs::read_to_string(&p).map_err(|e| {
        format!(
            "{}: no readable {SHARD_FILE} ({e}): not a shard folder, or a shard that failed or has not finished",
            dir.display()
        )
    })?;
    let f: ShardFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    if f.format != SHARD_FORMAT {
        return Err(format!(
            "{}: format `{}`, expected `{SHARD_FORMAT}`",
            p.display(),
            f.format
        ));
    }
    ShardSpec::new(f.shard, f.count).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(f)
}

/// The shard's runs, checked against the runs its index stands for.
fn complete(s: &ShardFile) -> Result<Vec<RunFigures>, String> {
    let plan = &s.plan;
    let all: Vec<(usize, u64)> = (0..plan.points.len())
        .flat_map(|p| plan.seeds.iter().map(move |seed| (p, *seed)))
        .collect();
    let expected: Vec<(String, u64)> = ShardSpec::new(s.shard, s.count)?
        .runs(&all)
        .into_iter()
        .map(|(p, seed)| (plan.points[p].id.clone(), seed))
        .collect();
    if s.runs != expected {
        return Err(format!(
            "its run list ({} runs) is not the one shard {}/{} of this sweep runs ({} runs)",
            s.runs.len(),
            s.shard,
            s.count,
            expected.len()
        ));
    }
    let got: Vec<(String, u64)> = s
        .results
        .iter()
        .map(|r| (r.point.clone(), r.seed))
        .collect();
    if got != expected {
        let missing: Vec<String> = expected
            .iter()
            .filter(|e| !got.contains(e))
            .map(|(p, seed)| format!("{p} seed {seed}"))
            .collect();
        return Err(format!(
            "incomplete: {} of {} runs have results (missing: {})",
            got.len(),
            expected.len(),
            if missing.is_empty() {
                "none, but the list differs".into()
            } else {
                missing.join(", ")
            }
        ));
    }
    results_of(s)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for e in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", from.display()))?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}
