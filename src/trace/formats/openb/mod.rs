//! The Alibaba openb GPU-sharing trace (cluster-trace-gpu-v2023): [`lists`] reads pod and
//! node lists as written, [`import`] turns a pod list into jobs,
//! as its mapping options ([`map`]) say.

pub mod import;
pub mod lists;
pub mod map;

pub use lists::{OpenbNode, OpenbPod, read_nodes, read_nodes_from, read_pods, read_pods_from};
pub use map::{FractionalAs, NeverRan, OpenbMap};
