//! Scenario files: schema, loading with located errors, validation.

pub mod host;
pub mod include;
pub mod json_schema;
pub mod k8s;
pub mod locate;
pub mod schema;
mod tagged_error;
pub mod validate;

pub use schema::Scenario;
pub use validate::{Problem, Severity};

use std::path::{Path, PathBuf};

/// The built-in default scenario (the seed strategy), embedded in the binary.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/seed-strategy.yaml");
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/seed-strategy.yaml (built in)";

/// A scenario with the text and place it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub text: String,
    /// Shown in messages.
    pub source: String,
    /// Directory that relative paths (traces) are resolved against.
    pub base_dir: PathBuf,
}

/// Parses scenario YAML; the error names the source and the line and column.
pub fn parse(text: &str, source: &str) -> Result<Scenario, String> {
    serde_saphyr::from_str::<Scenario>(text).map_err(|e| {
        tagged_error::refine(text, source, &e)
            .unwrap_or_else(|| format!("{source}: {}", crate::yaml::message_in(&e, source)))
    })
}

pub fn load(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let source = path.display().to_string();
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut scenario = parse(&text, &source)?;
    if !scenario.include.is_empty() {
        scenario = include::merge(&text, &source, &base_dir)?;
    }
    Ok(Loaded {
        scenario,
        text,
        source,
        base_dir,
    })
}

/// The built-in default scenario.
pub fn builtin() -> Loaded {
    Loaded {
        scenario: parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME)
            .expect("the built-in scenario parses (checked by tests)"),
        text: DEFAULT_SCENARIO.to_string(),
        source: DEFAULT_SCENARIO_NAME.to_string(),
        base_dir: PathBuf::from("."),
    }
}
