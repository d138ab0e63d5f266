//! `slicesim validate FILE`: every problem with its location; exit 1 if any is an error.

use super::report_problems;
use slicesim::scenario;
use std::path::Path;

pub fn run(file: &Path) -> Result<(), String> {
    let loaded = scenario::load(file)?;
    if report_problems(&loaded) {
        Err(format!("{}: invalid", loaded.source))
    } else {
        println!("{}: valid", loaded.source);
        Ok(())
    }
}
