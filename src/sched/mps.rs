//! What a pod takes on an MPS pool: one replica (the device plugin fails requests for more
//! since v0.15), whose memory must fit the client's limit of memory / replicas.

use crate::cluster::{Need, Pool};

/// `nvidia.com/gpu` on an MPS pool with `replicas` clients per GPU.
pub fn mps_need(pool: &Pool, replicas: u32, count: u32, mem: f64) -> Result<Need, String> {
    let name = &pool.name;
    if count > 1 {
        return Err(format!(
            "pool {name}: requests {count} GPUs, but the device plugin fails MPS requests for more than one replica"
        ));
    }
    let limit = mps_client_mem_gib(pool.model.memory_gib, replicas);
    if mem > limit {
        return Err(format!(
            "pool {name}: needs {mem} GiB but MPS with {replicas} replicas limits each client on {} GPUs to {} GiB (memory / replicas)",
            pool.model.name,
            round3(limit)
        ));
    }
    Ok(Need::Replicas { n: count })
}

/// The pinned device memory limit of one MPS client: the GPU's memory / replicas.
pub fn mps_client_mem_gib(memory_gib: f64, replicas: u32) -> f64 {
    memory_gib / f64::from(replicas.max(1))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
