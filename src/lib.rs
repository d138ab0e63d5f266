//! slicesim: a discrete-event simulator for GPU sharing (time-slicing, MIG, fractional,
//! exclusive) on Kubernetes clusters. See `README.md` and `docs/` (`docs/ARCHITECTURE.md` is the
//! long form of this map).
//!
//! # Crate map
//!
//! Arrows point down: a module uses only the ones below it (`tests/architecture.rs` checks it).
//!
//! | layer | modules | what they own |
//! |---|---|---|
//! | gate | [`check`] | `slicesim check`: expectations on a run's figures against bounds and a baseline; JUnit and Markdown; `slicesim size`: the smallest axis value meeting conditions |
//! | many runs | [`sweep`] | scenario overrides (`--set PATH=VALUE`), replications over seeds with confidence intervals, `compare` of output folders; later grids, shards |
//! | facade | [`run`] | one run end to end: world, job stream, simulation, report files |
//! | output | [`report`] | summary, CSV/JSON writers, terminal table, plots, report.html, seed claims (text out, no printing) |
//! | loop | [`sim`] | the event loop over one [`world::World`]: one `Event` enum, one dispatch |
//! | resolution | [`world`] | the only place a scenario becomes a `World` (+ resolved checks) |
//! | model | [`sched`], [`cluster`], [`perf`] | decisions, cluster state, speed equations (no I/O) |
//! | inputs | [`scenario`] -> [`workload`] -> [`trace`] | scenario file and k8s import; synthetic jobs, stats, fits; trace formats |
//! | leaves | [`catalog`], [`domain`], [`engine`], [`metrics`], [`units`], [`limits`], [`outfile`], [`yaml`] | GPU models and MIG rules; shared vocabulary; event queue and RNG; accumulators; time; size limits, atomic output files and YAML errors worded for users (any layer may use these three) |
//! | beside | [`hil`], [`experiments`] | the hardware-in-the-loop harness (uses `world`); the FGD reproduction (uses `trace`, `engine`) |
//!
//! The binary (`src/main.rs`, `src/cli/`) parses arguments, calls these and prints.
//!
//! # How one job flows
//!
//! arrival (`sim/admit.rs`, from `sim/arrivals.rs`) -> shape and quota (`sim/fit.rs`,
//! `sim/admission.rs`, `sched/quota.rs`) -> pending queue (`sched/queue.rs`) -> filter and
//! placement (`sim/place.rs`, `sched/policy.rs`, `cluster/place.rs`; preemption in
//! `sim/preempt.rs` + `sched/preemption.rs`) -> speed (`sim/speed.rs`, `perf/`,
//! `cluster/share.rs`) -> completion (`sim/lifecycle.rs`) -> record and cost (`sim/ledger/`) ->
//! report rows (`report/writer.rs`, `report/summary.rs`).

pub mod catalog;
pub mod check;
pub mod cluster;
pub mod domain;
pub mod engine;
pub mod experiments;
pub mod hil;
pub mod limits;
pub mod metrics;
pub mod outfile;
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
pub mod yaml;
