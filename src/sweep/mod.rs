//! Many runs of one scenario: scenario overrides (`--set PATH=VALUE`), and later the sweep
//! file's grids, replications, parallel runs, shards and size searches built on them.

pub mod overrides;

pub use overrides::{Applied, Override, apply_overrides, apply_to_loaded};
