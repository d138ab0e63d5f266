//! Nodes, physical GPUs and their sharing state: who holds which replica, MIG instance or milli
//! share, and the per-pool index of free capacity.

pub mod frag;
pub mod index;
mod place;

pub use place::Need;

pub use frag::{Frag, TypicalNeed, typical_needs};
pub use index::FreeIndex;

use crate::catalog::GpuModel;
use crate::scenario::schema::{MigStrategy, ReplicaAllocation, Taint};
use std::collections::BTreeMap;

/// Marker for "no MIG instance" in a holding.
pub const NO_INSTANCE: u16 = u16::MAX;

/// One MIG instance of a pool's layout (the same on every GPU of the pool).
#[derive(Clone, Debug, PartialEq)]
pub struct MigInstance {
    pub profile: String,
    pub start: u8,
    pub compute_slices: u8,
    pub mem_slices: u8,
    /// Instance SMs / SMs of the whole GPU with MIG off.
    pub sm_fraction: f64,
    pub mem_gib: f64,
    /// Index of this instance's profile among the pool's distinct profiles (its free index).
    pub kind: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PoolKind {
    Exclusive,
    TimeSlicing {
        replicas: u32,
        allocation: ReplicaAllocation,
        rename_by_default: bool,
        fail_requests_greater_than_one: bool,
    },
    Mig {
        strategy: MigStrategy,
        instances: Vec<MigInstance>,
        /// Distinct profile names, in order of first appearance in the layout.
        profiles: Vec<String>,
    },
    Fractional,
}

/// Milli-GPU units in a whole GPU.
pub const MILLI: u32 = 1000;

impl PoolKind {
    /// Device units one GPU offers to the index `kind` (replicas, instances of a profile,
    /// milli, or 1 whole GPU).
    pub fn units_per_gpu(&self, kind: usize) -> u32 {
        match self {
            PoolKind::Exclusive => 1,
            PoolKind::TimeSlicing { replicas, .. } => *replicas,
            PoolKind::Mig { instances, .. } => {
                instances.iter().filter(|i| i.kind == kind).count() as u32
            }
            PoolKind::Fractional => MILLI,
        }
    }

    /// Number of free indexes: one per distinct MIG profile, else one.
    pub fn index_count(&self) -> usize {
        match self {
            PoolKind::Mig { profiles, .. } => profiles.len(),
            _ => 1,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            PoolKind::Exclusive => "exclusive",
            PoolKind::TimeSlicing { .. } => "time_slicing",
            PoolKind::Mig { .. } => "mig",
            PoolKind::Fractional => "fractional",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub model: GpuModel,
    /// USD per GPU-hour.
    pub price: f64,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub kind: PoolKind,
    pub first_node: u32,
    pub node_count: u32,
    pub gpus_per_node: u32,
    /// First GPU of the pool (its GPUs are contiguous).
    pub first_gpu: u32,
    /// One index per unit kind (see `PoolKind::index_count`).
    pub free: Vec<FreeIndex>,
}

impl Pool {
    pub fn gpu_count(&self) -> u32 {
        self.node_count * self.gpus_per_node
    }

    /// Global GPU numbers of pool-local node `node`.
    pub fn node_gpus(&self, node: u32) -> std::ops::Range<u32> {
        let first = self.first_gpu + node * self.gpus_per_node;
        first..first + self.gpus_per_node
    }
}

/// Everything needed to create a pool.
#[derive(Clone, Debug)]
pub struct PoolDef {
    pub name: String,
    pub model: GpuModel,
    pub price: f64,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub kind: PoolKind,
    pub node_count: u32,
    pub gpus_per_node: u32,
}

/// A job's hold on part of one GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Holding {
    pub gpu: u32,
    /// Replicas, milli, or 1 (whole GPU or one MIG instance).
    pub units: u32,
    /// MIG instance index within the GPU's layout, or `NO_INSTANCE`.
    pub instance: u16,
}

/// A tenant of one GPU: the job (by slot in the simulator's job table) and what it holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tenant {
    pub job: u32,
    pub units: u32,
    pub instance: u16,
}

#[derive(Clone, Debug, Default)]
pub struct GpuState {
    pub pool: u32,
    /// Pool-local node number.
    pub node: u32,
    /// Units in use (replicas, milli or whole GPU); for MIG, instances in use.
    pub used: u32,
    /// GPU memory the tenants need, GiB (time-slicing over-commit and fractional fit).
    pub mem_used: f64,
    /// MIG: the tenant slot holding each instance.
    pub instance_holder: Vec<Option<u32>>,
    pub tenants: Vec<Tenant>,
}

/// All pools, their nodes and GPUs.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    pub pools: Vec<Pool>,
    pub gpus: Vec<GpuState>,
}

impl Cluster {
    /// Adds a pool; nodes and GPUs are numbered after those of earlier pools.
    pub fn add_pool(&mut self, def: PoolDef) -> u32 {
        let PoolDef {
            name,
            model,
            price,
            labels,
            taints,
            kind,
            node_count,
            gpus_per_node,
        } = def;
        let pool_ix = self.pools.len() as u32;
        let first_node = self.pools.last().map_or(0, |p| p.first_node + p.node_count);
        let first_gpu = self.gpus.len() as u32;
        let instances = match &kind {
            PoolKind::Mig { instances, .. } => instances.len(),
            _ => 0,
        };
        for node in 0..node_count {
            for _ in 0..gpus_per_node {
                self.gpus.push(GpuState {
                    pool: pool_ix,
                    node,
                    instance_holder: vec![None; instances],
                    ..Default::default()
                });
            }
        }
        let free = (0..kind.index_count())
            .map(|k| FreeIndex::new(node_count, kind.units_per_gpu(k) * gpus_per_node))
            .collect();
        self.pools.push(Pool {
            name,
            model,
            price,
            labels,
            taints,
            kind,
            first_node,
            node_count,
            gpus_per_node,
            first_gpu,
            free,
        });
        pool_ix
    }

    pub fn total_gpus(&self) -> usize {
        self.gpus.len()
    }
}
