//! Import of real cluster configuration into a scenario.

pub mod device_plugin;
pub mod manifests;
pub mod mig_parted;
pub mod tree;

use std::path::Path;

/// One input file: the name shown in messages and its text.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub text: String,
}

impl Input {
    pub fn read(path: &Path) -> Result<Input, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Ok(Input {
            name: path.display().to_string(),
            text,
        })
    }
}
