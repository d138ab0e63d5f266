//! slicesim: a discrete-event simulator for GPU sharing (time-slicing, MIG, fractional,
//! exclusive) on Kubernetes clusters. See `README.md` and `docs/`.

pub mod catalog;
pub mod cluster;
pub mod domain;
pub mod engine;
pub mod experiments;
pub mod hil;
pub mod metrics;
pub mod perf;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sched;
pub mod sim;
pub mod sweep;
pub mod trace;
pub mod units;
pub mod workload;
pub mod world;
