//! `slicesim validate FILE [--set PATH=VALUE ...]`: every problem with its location; exit 1 if
//! any is an error.

use super::set::{SetArgs, report_problems, with};
use slicesim::scenario;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Scenario YAML file.
    file: PathBuf,
    #[command(flatten)]
    set: SetArgs,
}

pub fn run(a: ValidateArgs) -> Result<(), String> {
    let mut loaded = scenario::load(&a.file)?;
    let applied = a.set.apply(&mut loaded)?;
    if report_problems(&loaded, &applied) {
        Err(format!("{}{}: invalid", loaded.source, with(&applied)))
    } else {
        outln!("{}{}: valid", loaded.source, with(&applied));
        Ok(())
    }
}
