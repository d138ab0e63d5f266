//! Scheduling: pending queues, the static filter, placement policies.
//!
//! Preemption, fallback timing and quotas attach here (see the Kubernetes semantics issue):
//! `filter` decides where a shape may go, `policy` which node (`kube` the kube-scheduler
//! scoring profiles), `queue` in what order.

pub mod affinity;
pub mod filter;
pub mod gang;
pub mod host_score;
pub mod kube;
pub mod mps;
pub mod policy;
pub mod preemption;
pub mod queue;
pub mod quota;

pub use filter::{FitPool, PodSpec, ShapeFit, fit_shape};
pub use policy::{PlaceCtx, PlacementPolicy, policy};
pub use queue::{PendingQueues, QueueKey};
