//! The Alibaba openb GPU-sharing trace (cluster-trace-gpu-v2023): [`lists`] reads pod and
//! node lists as written, [`import`] turns a pod list into jobs.

pub mod import;
pub mod lists;

pub use import::{FractionalAs, NeverRan, OpenbMap};
pub use lists::{OpenbNode, OpenbPod, read_nodes, read_nodes_from, read_pods, read_pods_from};
