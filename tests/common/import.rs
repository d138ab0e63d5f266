//! Helpers of the `slicesim import` tests: inline input files and the validation errors of an
//! imported scenario.

use slicesim::scenario::k8s::Input;
use slicesim::scenario::{self, Severity};
use std::path::Path;

/// An input file given inline, named `name` in messages.
pub fn inline(name: &str, text: &str) -> Input {
    Input {
        name: name.into(),
        text: text.into(),
    }
}

/// Validation errors of a scenario text (warnings are allowed).
pub fn errors_of(text: &str) -> Vec<String> {
    let sc = scenario::parse(text, "imported").unwrap_or_else(|e| panic!("parses: {e}\n{text}"));
    slicesim::world::check(&sc, text, Path::new("."))
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.to_string())
        .collect()
}
