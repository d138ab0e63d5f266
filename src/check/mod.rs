//! `slicesim check`, the CI gate (docs/CI.md): expectations on a run's figures, read from a
//! YAML file ([`expect`]), evaluated against the run and a baseline ([`eval`]), reported as
//! JUnit XML ([`junit`]) and Markdown ([`markdown`]); and the SLO search of `slicesim size`
//! ([`size`], its runs in [`probe`]) on the same expressions; and one-at-a-time sensitivity
//! of the figures to each model constant and class trait ([`sensitivity`]). Data in, text out: nothing here
//! prints.

pub mod eval;
pub mod expect;
pub mod junit;
pub mod markdown;
pub mod probe;
pub mod sensitivity;
pub mod sensitivity_page;
pub mod size;
pub mod size_report;

pub use eval::{Figure, Outcome, evaluate, load_baseline};
pub use expect::{Expectation, Op, parse_expectation, parse_file};
