//! Time-weighted accumulators, per-job records and summaries. No I/O here.

pub mod gangs;
pub mod gpu_series;
pub mod latency;
pub mod records;
pub mod replication;
pub mod stats;
pub mod waits;
pub mod welch;

pub use records::{JobRecord, JobState};
pub use stats::{ClassSample, ClassStats, GroupStats, PoolStats, Sample};
pub use waits::{WaitPercentile, WaitSamples, percentile};
