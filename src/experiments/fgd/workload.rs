//! A workload of the experiment: an openb pod list read once, its pods in the experiment's model,
//! their score classes and typical-pod distribution, shared by every run on it.

use super::frag::{FragTable, Typical};
use super::model::{ClusterSpec, PodClass, WorkloadPod};
use crate::trace::openb::read_pods;
use std::collections::BTreeMap;
use std::path::Path;

/// A workload file, read once and shared by every run on it.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The file stem (the `workload` column of the result files).
    pub name: String,
    /// The pods, sorted by name.
    pub pods: Vec<WorkloadPod>,
    /// Score class of each pod (index into `classes`).
    pub class_of: Vec<u32>,
    pub classes: Vec<PodClass>,
    pub typical: Typical,
    pub frag: FragTable,
}

impl Workload {
    pub fn new(name: &str, mut pods: Vec<WorkloadPod>, cluster: &ClusterSpec) -> Workload {
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let typical = Typical::from_pods(&pods, super::frag::POPULARITY_THRESHOLD_PCT);
        let frag = FragTable::new(&typical, &cluster.models);
        let mut ix: BTreeMap<PodClass, u32> = BTreeMap::new();
        let class_of = pods
            .iter()
            .map(|p| {
                let n = ix.len() as u32;
                *ix.entry(p.class()).or_insert(n)
            })
            .collect();
        let mut classes = vec![
            PodClass {
                cpu: 0,
                milli: 0,
                k: 0
            };
            ix.len()
        ];
        for (c, i) in ix {
            classes[i as usize] = c;
        }
        Workload {
            name: name.to_string(),
            pods,
            class_of,
            classes,
            typical,
            frag,
        }
    }

    /// Reads an openb pod list.
    pub fn load(path: &Path, cluster: &ClusterSpec) -> Result<Workload, String> {
        let rows = read_pods(path).map_err(|e| e.to_string())?;
        if rows.is_empty() {
            return Err(format!("{}: no pods", path.display()));
        }
        let pods: Vec<WorkloadPod> = rows
            .iter()
            .map(|r| WorkloadPod::from_openb(r, &cluster.models))
            .collect();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Workload::new(&name, pods, cluster))
    }

    /// Total GPU request of the file, milli.
    pub fn gpu_request(&self) -> u64 {
        self.pods.iter().map(WorkloadPod::gpu_request).sum()
    }
}
