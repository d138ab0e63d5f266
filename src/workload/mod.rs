//! Workloads made from or about traces: the synthetic generator ([`synthetic`]), statistics of
//! a trace ([`stats`]) and fitting a synthetic profile to a trace ([`fit`]). Data out: nothing
//! here prints; the binary words the results for a terminal.

pub mod fit;
pub mod stats;
pub mod synthetic;

pub use synthetic::{SyntheticJobs, SyntheticSpec};
