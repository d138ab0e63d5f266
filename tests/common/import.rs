//! Helpers of the `slicesim import` tests: inline input files, the validation errors of an
//! imported scenario, and a run of it.

use slicesim::report::Summary;
use slicesim::run::{RunOptions, run_in_memory};
use slicesim::scenario::k8s::Input;
use slicesim::scenario::{self, Loaded, Severity};
use std::path::{Path, PathBuf};

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

/// Runs an imported scenario text in memory with the invariant checks on; its summary.
pub fn run_imported(text: &str) -> Summary {
    let loaded = Loaded {
        scenario: scenario::parse(text, "imported").unwrap_or_else(|e| panic!("parses: {e}")),
        text: text.into(),
        source: "imported".into(),
        base_dir: PathBuf::from("."),
    };
    let opts = RunOptions {
        check_invariants: true,
        ..Default::default()
    };
    run_in_memory(&loaded, &opts, &mut |_| Ok(()))
        .expect("runs")
        .0
}
