//! The experiment's view of pods and nodes (spec §1-§2): CPU, memory, per-GPU milli and GPU count
//! for pods; CPU, memory and per-device free milli for nodes. Pure data and the feasibility
//! filter; no I/O beyond turning openb rows into these types.

use crate::trace::openb::{OpenbNode, OpenbPod};

/// Most GPUs one node may have (the openb nodes have at most 8).
pub const MAX_GPUS: usize = 16;
/// Milli-GPU in one GPU.
pub const GPU_MILLI: u32 = 1000;
/// Pods per node the Kubernetes fit check allows (never binds in the openb experiment).
pub const MAX_PODS: u32 = 1001;

/// GPU model names of a cluster, each given a bit for type constraints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Models {
    pub names: Vec<String>,
}

impl Models {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Bit mask of the models a `|`-split constraint accepts; all ones when unconstrained.
    /// Models the cluster does not have set no bit.
    pub fn mask(&self, spec: &[String]) -> u64 {
        if spec.is_empty() {
            return u64::MAX;
        }
        spec.iter()
            .filter_map(|s| self.index(s))
            .fold(0, |m, i| m | (1 << i))
    }
}

/// One pod of a workload file as the experiment reads it (spec §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadPod {
    pub name: String,
    pub cpu: u64,
    pub mem: u64,
    /// Per-GPU milli: 0 for CPU-only pods, else in 1..=1000.
    pub milli: u32,
    /// GPU count: 0 for CPU-only pods.
    pub k: u32,
    /// The type constraint as written (`|`-joined; empty = any). Part of the typical-pod key.
    pub spec: String,
    /// Models accepted (bit per cluster model); all ones when unconstrained.
    pub types: u64,
}

impl WorkloadPod {
    /// Interprets an openb row (spec §2.1): CPU-only rows drop their GPU fields and constraint;
    /// a per-GPU share above 1000 counts as 1000. A GPU row with a share of 0 asks for no GPU
    /// resource and is treated as CPU-only (no such row exists in the published files).
    pub fn from_openb(p: &OpenbPod, models: &Models) -> WorkloadPod {
        let gpu = p.num_gpu > 0 && p.gpu_milli > 0;
        let (milli, k, spec, types) = if gpu {
            (
                p.gpu_milli.min(GPU_MILLI),
                p.num_gpu,
                p.gpu_spec.join("|"),
                models.mask(&p.gpu_spec),
            )
        } else {
            (0, 0, String::new(), u64::MAX)
        };
        WorkloadPod {
            name: p.name.clone(),
            cpu: p.cpu_milli,
            mem: p.memory_mib,
            milli,
            k,
            spec,
            types,
        }
    }

    /// Total GPU request in milli (per-GPU milli x count).
    pub fn gpu_request(&self) -> u64 {
        u64::from(self.milli) * u64::from(self.k)
    }

    pub fn is_sharing(&self) -> bool {
        self.k == 1 && self.milli < GPU_MILLI && self.milli > 0
    }

    pub fn class(&self) -> PodClass {
        PodClass {
            cpu: self.cpu,
            milli: self.milli,
            k: self.k,
        }
    }
}

/// What the placement scores depend on (memory and type constraint only filter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodClass {
    pub cpu: u64,
    pub milli: u32,
    pub k: u32,
}

/// One node's capacity (spec §1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    pub cpu: u64,
    pub mem: u64,
    pub gpus: u8,
    pub model: u8,
}

/// The cluster: nodes sorted by name, and the GPU models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSpec {
    pub nodes: Vec<NodeSpec>,
    pub models: Models,
    /// Cluster GPU capacity in milli.
    pub gpu_milli: u64,
}

impl ClusterSpec {
    /// Builds the cluster from node rows (any order). Errors name the row.
    pub fn from_openb(rows: &[OpenbNode], source: &str) -> Result<ClusterSpec, String> {
        let mut models = Models::default();
        let mut nodes = Vec::with_capacity(rows.len());
        for r in rows {
            if r.gpus as usize > MAX_GPUS {
                return Err(format!(
                    "{source}:{}: node {} has {} GPUs; at most {MAX_GPUS} are supported",
                    r.line, r.name, r.gpus
                ));
            }
            let model = if r.gpus == 0 {
                u8::MAX
            } else {
                match models.index(&r.model) {
                    Some(i) => i as u8,
                    None => {
                        if models.names.len() == 64 {
                            return Err(format!("{source}:{}: more than 64 GPU models", r.line));
                        }
                        models.names.push(r.model.clone());
                        (models.names.len() - 1) as u8
                    }
                }
            };
            nodes.push(NodeSpec {
                name: r.name.clone(),
                cpu: r.cpu_milli,
                mem: r.memory_mib,
                gpus: r.gpus as u8,
                model,
            });
        }
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        if nodes.is_empty() {
            return Err(format!("{source}: no nodes"));
        }
        let gpu_milli = nodes
            .iter()
            .map(|n| u64::from(n.gpus) * u64::from(GPU_MILLI))
            .sum();
        if gpu_milli == 0 {
            return Err(format!("{source}: the nodes have no GPUs"));
        }
        Ok(ClusterSpec {
            nodes,
            models,
            gpu_milli,
        })
    }

    pub fn total_gpus(&self) -> u64 {
        self.gpu_milli / u64::from(GPU_MILLI)
    }
}

/// GpuClustering's tag of a pod: 0 = "share-gpu", k = "k-gpu"; None for CPU-only pods.
pub fn tag_of(milli: u32, k: u32) -> Option<usize> {
    match (milli, k) {
        (0, _) | (_, 0) => None,
        (m, 1) if m < GPU_MILLI => Some(0),
        (_, k) => Some(k as usize),
    }
}

/// A node's state during a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub cpu_left: u64,
    pub mem_left: u64,
    pub pods: u32,
    pub ngpu: u8,
    pub model: u8,
    pub gpu_left: [u16; MAX_GPUS],
    /// Resident GPU pods per GpuClustering tag (see [`tag_of`]).
    pub tags: [u16; MAX_GPUS + 1],
}

impl NodeState {
    pub fn new(n: &NodeSpec) -> NodeState {
        let mut gpu_left = [0; MAX_GPUS];
        gpu_left[..n.gpus as usize].fill(GPU_MILLI as u16);
        NodeState {
            cpu_left: n.cpu,
            mem_left: n.mem,
            pods: 0,
            ngpu: n.gpus,
            model: n.model,
            gpu_left,
            tags: [0; MAX_GPUS + 1],
        }
    }

    pub fn gpus(&self) -> &[u16] {
        &self.gpu_left[..self.ngpu as usize]
    }

    /// Total free GPU milli (L).
    pub fn gpu_free(&self) -> u32 {
        self.gpus().iter().map(|&g| u32::from(g)).sum()
    }

    /// Fully free devices.
    pub fn full(&self) -> u32 {
        self.gpus()
            .iter()
            .filter(|&&g| u32::from(g) == GPU_MILLI)
            .count() as u32
    }

    /// Filter of spec §2.2.
    pub fn fits(&self, p: &WorkloadPod) -> bool {
        if self.cpu_left < p.cpu || self.mem_left < p.mem || self.pods + 1 > MAX_PODS {
            return false;
        }
        if p.milli == 0 {
            return true;
        }
        if self.ngpu == 0 || p.types & (1u64 << (self.model & 63)) == 0 {
            return false;
        }
        if p.k == 1 {
            self.gpus().iter().any(|&g| u32::from(g) >= p.milli)
        } else {
            self.full() >= p.k
        }
    }

    /// The `k` fully free devices with the lowest indices (whole-GPU pods, every policy).
    pub fn lowest_full(&self, k: u32) -> Vec<u8> {
        (0..self.ngpu)
            .filter(|&i| u32::from(self.gpu_left[i as usize]) == GPU_MILLI)
            .take(k as usize)
            .collect()
    }

    /// Best fit for a sharing pod: the fitting device with the least free milli, lowest index
    /// among equals.
    pub fn best_fit_gpu(&self, milli: u32) -> Option<u8> {
        (0..self.ngpu)
            .filter(|&i| u32::from(self.gpu_left[i as usize]) >= milli)
            .min_by_key(|&i| (self.gpu_left[i as usize], i))
    }

    /// Applies a pod on devices `gpus` (each losing `p.milli`).
    pub fn place(&mut self, p: &WorkloadPod, gpus: &[u8]) {
        self.cpu_left -= p.cpu;
        self.mem_left -= p.mem;
        self.pods += 1;
        for &g in gpus {
            self.gpu_left[g as usize] -= p.milli as u16;
        }
        if let Some(t) = tag_of(p.milli, p.k) {
            self.tags[t] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(cpu: u64, gpus: u8) -> NodeSpec {
        NodeSpec {
            name: "n".into(),
            cpu,
            mem: 1000,
            gpus,
            model: 0,
        }
    }

    fn pod(cpu: u64, milli: u32, k: u32) -> WorkloadPod {
        WorkloadPod {
            name: "p".into(),
            cpu,
            mem: 10,
            milli,
            k,
            spec: String::new(),
            types: u64::MAX,
        }
    }

    #[test]
    fn filter_follows_the_spec() {
        let mut n = NodeState::new(&node(8000, 2));
        n.gpu_left[0] = 300;
        // Sharing pod: some device with >= milli free.
        assert!(n.fits(&pod(1000, 1000, 1)));
        assert!(n.fits(&pod(1000, 300, 1)));
        // 2-GPU pod needs 2 fully free devices; only device 1 is.
        assert!(!n.fits(&pod(1000, 1000, 2)));
        // CPU short.
        assert!(!n.fits(&pod(9000, 0, 0)));
        // Memory short.
        assert!(!n.fits(&WorkloadPod {
            mem: 1001,
            ..pod(1, 0, 0)
        }));
        // Wrong model: constraint accepts only model 1.
        assert!(!n.fits(&WorkloadPod {
            types: 0b10,
            ..pod(1, 100, 1)
        }));
        // A CPU-only pod ignores the constraint and the GPUs.
        assert!(n.fits(&WorkloadPod {
            types: 0b10,
            ..pod(1, 0, 0)
        }));
        assert_eq!(n.best_fit_gpu(200), Some(0));
        assert_eq!(n.best_fit_gpu(400), Some(1));
        assert_eq!(n.lowest_full(1), vec![1]);
    }

    #[test]
    fn openb_rows_become_pods() {
        let models = Models {
            names: vec!["T4".into(), "V100M16".into()],
        };
        let row = OpenbPod {
            name: "p".into(),
            cpu_milli: 4000,
            memory_mib: 1,
            num_gpu: 1,
            gpu_milli: 1500,
            gpu_spec: vec!["V100M16".into(), "A100".into()],
            qos: None,
            pod_phase: None,
            creation_time: None,
            deletion_time: None,
            scheduled_time: None,
            line: 2,
        };
        let p = WorkloadPod::from_openb(&row, &models);
        assert_eq!((p.milli, p.k, p.types), (1000, 1, 0b10));
        assert_eq!(p.spec, "V100M16|A100");
        let cpu = WorkloadPod::from_openb(
            &OpenbPod {
                num_gpu: 0,
                ..row.clone()
            },
            &models,
        );
        assert_eq!((cpu.milli, cpu.k, cpu.types), (0, 0, u64::MAX));
        assert_eq!(cpu.spec, "");
    }
}
