//! How far a run has got, for a progress bar: the library never prints, so the caller (the
//! command line) passes a callback that gets the run's seed and the share of simulated time
//! done. It is called every [`EVERY`] events and at every report bucket, so it costs nothing
//! measurable however fast the loop runs.

use std::sync::Arc;

/// Events handled between two calls (a power of two: the test is a mask).
pub const EVERY: u64 = 4096;

/// A callback `(seed, fraction of the horizon simulated, 0..=1)`, shared by the runs of
/// replications (each reports its own seed), called from the thread that runs the simulation.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(u64, f64) + Send + Sync>);

impl Progress {
    pub fn new(f: impl Fn(u64, f64) + Send + Sync + 'static) -> Self {
        Progress(Arc::new(f))
    }

    pub fn report(&self, seed: u64, fraction: f64) {
        (self.0)(seed, fraction.clamp(0.0, 1.0));
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}
