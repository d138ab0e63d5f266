//! A faithful re-implementation of the openb experiment of "Beware of Fragmentation" (Weng et
//! al., USENIX ATC'23): the cluster and pod model, the typical-pod fragmentation measure, the six
//! placement policies (Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD), tuning of the
//! workload to 130 % of GPU capacity, and the discretised result files. The specification is
//! `../shared/reference/fgd-experiment.md`; `docs/VALIDATION.md` says how to run it and what it
//! gives.
//!
//! | file | owns |
//! |---|---|
//! | `model.rs` | pods, nodes, the feasibility filter, device state |
//! | `frag.rs` | the typical-pod distribution and node fragmentation |
//! | `policy.rs` | the six node scores and device choices |
//! | `index.rs` | per pod shape, the nodes bucketed by score: the best node without a scan |
//! | `tune.rs` | shuffling and tuning the pod sequence |
//! | `workload.rs` | a pod list read once: pods, score classes, typical pods |
//! | `run.rs` | one run: the scheduling loop and per-pod records |
//! | `discrete.rs` | columns 0..130 and the result-file layout |
//! | `batch.rs` | many runs in parallel, result files, the mean table |
//! | `experiment.rs` | the whole experiment: input files, runs, result files (`slicesim experiment fgd`) |

pub mod batch;
pub mod discrete;
pub mod experiment;
pub mod frag;
pub mod index;
pub mod model;
pub mod policy;
pub mod run;
pub mod tune;
pub mod workload;

pub use policy::Policy;
pub use run::{ScheduledRun, run_one};
pub use workload::Workload;
