//! Many runs of one scenario: scenario overrides (`--set PATH=VALUE`), replications over seeds
//! with confidence intervals, output folders compared side by side (`compare`), and later the sweep file's grids, parallel runs, shards and size
//! searches built on them. Library only: returns data and writes report files.

pub mod compare;
pub mod overrides;
pub mod replicate;
pub mod seeds;

pub use overrides::{Applied, Override, apply_overrides, apply_to_loaded};
