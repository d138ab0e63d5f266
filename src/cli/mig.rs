//! `slicesim mig layouts`: the valid MIG layouts of a GPU model.

use clap::Subcommand;
use slicesim::catalog::{Catalog, render_layouts};

#[derive(Subcommand)]
pub enum MigCmd {
    /// List every valid layout of the base profiles with placements.
    #[command(after_help = super::examples::MIG_LAYOUTS)]
    Layouts {
        /// GPU model, e.g. A100-80GB.
        #[arg(long)]
        gpu: String,
        /// Only layouts to which no further instance can be added.
        #[arg(long)]
        maximal: bool,
    },
}

pub fn run(cmd: MigCmd) -> Result<(), String> {
    let MigCmd::Layouts { gpu, maximal } = cmd;
    let cat = Catalog::builtin();
    match cat.get(&gpu) {
        Some(m) => {
            out!("{}", render_layouts(m, maximal));
            Ok(())
        }
        None => Err(format!(
            "unknown GPU model {gpu} (known: {})",
            cat.names().join(", ")
        )),
    }
}
