//! `slicesim merge SHARD_DIR... --out DIR`: the shards of a sweep back into the folder the
//! unsharded sweep writes. Exit 0 done, 2 a shard missing, given twice, incomplete or from
//! another sweep (nothing written), 1 a failure while writing.

use super::sweep::{fail_with, render};
use slicesim::sweep::merge::merge;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  slicesim sweep FILE --shard 0/2 --out shards/0 && slicesim sweep FILE --shard 1/2 --out shards/1
  slicesim merge shards/0 shards/1 --out /tmp/sweep
Every shard of the sweep (0 to N-1) must be given exactly once and be complete; the result is
byte for byte what `slicesim sweep FILE --out DIR` writes (docs/SWEEP.md, \"Shards\").")]
pub struct MergeArgs {
    /// Shard folders (each holds the shard.json that `sweep --shard` writes).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The sweep's output folder; replaced whole on success.
    #[arg(long)]
    out: PathBuf,
    /// Print only the output folder, not the table of points.
    #[arg(long)]
    quiet: bool,
}

pub fn run(a: MergeArgs) -> ExitCode {
    match merge(&a.shards, &a.out) {
        Ok(outcome) => {
            for p in &outcome.unmatched {
                errln!("warning: objective `{p}` matches no figure of the sweep");
            }
            if !a.quiet {
                out!("{}", render(&outcome));
            }
            outln!(
                "merged {} shards into {}/{{sweep.csv,sweep_summary.csv,sweep.json,sweep.html}} and points/<id>/summary.json",
                a.shards.len(),
                a.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail_with(&e),
    }
}
