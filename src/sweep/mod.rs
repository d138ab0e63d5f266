//! Many runs of one scenario: replications over seeds (and, next, overrides, grids, parallel
//! sweeps, shards and size searches). Library only: returns data and writes report files.

pub mod replicate;
pub mod seeds;
