//! Nodes, physical GPUs and their sharing state: who holds which replica, MIG instance or milli
//! share, and the per-pool index of free capacity.

mod fit_count;
pub mod frag;
pub mod frag_cache;
pub mod host;
pub mod index;
mod place;
pub mod share;
mod what_if;

pub use place::Need;

pub use frag::{Frag, TypicalNeed, typical_needs};
pub use host::{HostCapacity, HostNeed, NodeHost};
pub use index::FreeIndex;
pub use what_if::NodeTrials;

use crate::catalog::GpuModel;
use crate::domain::{MigStrategy, ReplicaAllocation, Taint};
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
    /// Time-slicing replicas of the physical instance (1: not shared). A time-sliced instance
    /// appears once per replica in the layout's instance list, all copies with the same
    /// `group`.
    pub replicas: u32,
    /// Index (in the instance list) of the first copy of this physical instance.
    pub group: u16,
}

impl MigInstance {
    /// The instance's share of the GPU's memory slices (and so of its memory bandwidth).
    pub fn mem_fraction(&self) -> f64 {
        f64::from(self.mem_slices) / f64::from(crate::catalog::MIG_MEMORY_SLICES)
    }
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
    /// MPS: `replicas` clients per GPU (one replica per pod), each with 1/replicas of the SMs
    /// and of the memory.
    Mps {
        replicas: u32,
    },
}

/// Milli-GPU units in a whole GPU.
pub const MILLI: u32 = 1000;

impl PoolKind {
    /// Device units one GPU offers to the index `kind` (replicas, instances of a profile,
    /// milli, or 1 whole GPU).
    pub fn units_per_gpu(&self, kind: usize) -> u32 {
        match self {
            PoolKind::Exclusive => 1,
            PoolKind::TimeSlicing { replicas, .. } | PoolKind::Mps { replicas } => *replicas,
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

    /// Short text such as `time_slicing x3` or `mig 1x3g.40gb+2x2g.20gb`.
    pub fn describe(&self) -> String {
        match self {
            PoolKind::Exclusive => "exclusive".into(),
            PoolKind::Fractional => "fractional".into(),
            PoolKind::TimeSlicing { replicas, .. } => format!("time_slicing x{replicas}"),
            PoolKind::Mps { replicas } => format!("mps x{replicas}"),
            PoolKind::Mig {
                instances,
                profiles,
                ..
            } => {
                let counts: Vec<String> = profiles
                    .iter()
                    .map(|p| {
                        let physical = || {
                            instances
                                .iter()
                                .enumerate()
                                .filter(|(k, i)| &i.profile == p && usize::from(i.group) == *k)
                        };
                        let n = physical().count();
                        match physical().map(|(_, i)| i.replicas).max() {
                            Some(r) if r > 1 => format!("{n}x{p}(x{r})"),
                            _ => format!("{n}x{p}"),
                        }
                    })
                    .collect();
                format!("mig {}", counts.join("+"))
            }
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            PoolKind::Exclusive => "exclusive",
            PoolKind::TimeSlicing { .. } => "time_slicing",
            PoolKind::Mig { .. } => "mig",
            PoolKind::Fractional => "fractional",
            PoolKind::Mps { .. } => "mps",
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
    /// Labels as the scenario wrote them (`labels` may add the GPU operator's).
    pub spec_labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub kind: PoolKind,
    pub first_node: u32,
    pub node_count: u32,
    pub gpus_per_node: u32,
    /// First GPU of the pool (its GPUs are contiguous).
    pub first_gpu: u32,
    /// One index per unit kind (see `PoolKind::index_count`).
    pub free: Vec<FreeIndex>,
    /// Per node: how many reasons (drain, reconfiguration, removal) keep it unschedulable.
    pub down: Vec<u32>,
    /// Nodes `0..present` exist; the rest were removed by a resize (or not yet added).
    pub present: u32,
    /// Per node: being removed by a resize (cordoned until it is gone).
    pub leaving: Vec<bool>,
    /// Per node: CPU and host memory, allocatable and requested.
    pub host: NodeHost,
}

impl Pool {
    /// GPUs the pool has now (present nodes).
    pub fn gpu_count(&self) -> u32 {
        self.present * self.gpus_per_node
    }

    /// Can new pods be placed on pool-local `node`?
    pub fn schedulable(&self, node: u32) -> bool {
        node < self.present && self.down[node as usize] == 0 && !self.leaving[node as usize]
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
    /// Labels as the scenario wrote them (`labels` may add the GPU operator's).
    pub spec_labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub kind: PoolKind,
    /// Nodes the pool can ever have (its largest size over the run).
    pub node_count: u32,
    pub gpus_per_node: u32,
    /// Nodes present at the start.
    pub present: u32,
    /// CPU and host memory each node can allocate.
    pub host: HostCapacity,
}

impl PoolDef {
    /// GPUs present at the start (as [`Pool::gpu_count`] counts them once the pool is built).
    pub fn gpu_count(&self) -> u32 {
        self.present.min(self.node_count) * self.gpus_per_node
    }
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
    /// Bumped whenever nodes are drained, returned, added, removed or re-partitioned (what
    /// may make a node schedulable or change what fits on it, apart from pods coming and
    /// going): lets the simulator forget what it learned about the old layout.
    pub layout_gen: u64,
    /// GPU memory each CUDA context takes on a time-sliced GPU besides the job's own `mem`
    /// (`model.context_mem_gib`).
    pub context_mem_gib: f64,
    /// Per node (numbered across pools, `Pool::first_node + node`): how often its free counts
    /// were recomputed, i.e. its pods or its layout changed (`frag_cache` compares them).
    pub node_changes: Vec<u64>,
}

impl Cluster {
    /// Adds a pool; nodes and GPUs are numbered after those of earlier pools.
    pub fn add_pool(&mut self, def: PoolDef) -> u32 {
        let PoolDef {
            name,
            model,
            price,
            labels,
            spec_labels,
            taints,
            kind,
            node_count,
            gpus_per_node,
            present,
            host,
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
        let present = present.min(node_count);
        self.node_changes
            .resize((first_node + node_count) as usize, 0);
        self.pools.push(Pool {
            name,
            model,
            price,
            labels,
            spec_labels,
            taints,
            kind,
            first_node,
            node_count,
            gpus_per_node,
            first_gpu,
            free,
            down: vec![0; node_count as usize],
            leaving: vec![false; node_count as usize],
            present: node_count,
            host: NodeHost::new(host, node_count),
        });
        // Nodes reserved for a later resize start absent.
        self.set_present(pool_ix, present);
        pool_ix
    }

    /// Adds or removes nodes at the end of the pool (within the capacity it was built with).
    pub fn set_present(&mut self, pool: u32, present: u32) {
        self.layout_gen += 1;
        let p = &mut self.pools[pool as usize];
        p.present = present.min(p.node_count);
        for n in 0..p.node_count {
            self.refresh_node(pool, n);
        }
    }

    /// Marks `nodes` of `pool` down (`delta` = 1) or releases one reason (`delta` = -1).
    pub fn mark_down(&mut self, pool: u32, nodes: std::ops::Range<u32>, delta: i32) {
        self.layout_gen += 1;
        for n in nodes {
            let d = &mut self.pools[pool as usize].down[n as usize];
            *d = d.saturating_add_signed(delta);
            self.refresh_node(pool, n);
        }
    }

    /// Takes `node` of `pool` out of the free-capacity index for one search (`hidden`), or
    /// puts it back. Unlike [`Self::mark_down`] the layout generation stays: what is
    /// remembered under it (preemption answers, fragments) stays right because the caller puts
    /// the node back before anything else looks at the cluster, leaving it as it was.
    pub fn hide_node(&mut self, pool: u32, node: u32, hidden: bool) {
        let d = &mut self.pools[pool as usize].down[node as usize];
        *d = d.saturating_add_signed(if hidden { 1 } else { -1 });
        self.refresh_node(pool, node);
    }

    /// Marks `nodes` of `pool` as leaving (being removed by a resize) or not.
    pub fn set_leaving(&mut self, pool: u32, nodes: std::ops::Range<u32>, leaving: bool) {
        self.layout_gen += 1;
        for n in nodes {
            self.pools[pool as usize].leaving[n as usize] = leaving;
            self.refresh_node(pool, n);
        }
    }

    /// Re-partitions every GPU of an empty pool to `kind`.
    pub fn reconfigure(&mut self, pool: u32, kind: PoolKind) {
        self.layout_gen += 1;
        let p = &mut self.pools[pool as usize];
        let instances = match &kind {
            PoolKind::Mig { instances, .. } => instances.len(),
            _ => 0,
        };
        let gpus = p.first_gpu as usize..(p.first_gpu + p.node_count * p.gpus_per_node) as usize;
        p.free = (0..kind.index_count())
            .map(|k| FreeIndex::new(p.node_count, kind.units_per_gpu(k) * p.gpus_per_node))
            .collect();
        p.kind = kind;
        for g in &mut self.gpus[gpus] {
            debug_assert!(g.tenants.is_empty(), "reconfiguring a GPU with tenants");
            g.used = 0;
            g.mem_used = 0.0;
            g.instance_holder = vec![None; instances];
        }
        let n = self.pools[pool as usize].node_count;
        for node in 0..n {
            self.refresh_node(pool, node);
        }
    }

    pub fn total_gpus(&self) -> usize {
        self.gpus.len()
    }
}
