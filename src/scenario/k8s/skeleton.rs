//! A complete scenario around the imported sections: one placeholder class per pool and a light
//! synthetic workload, so that the imported file validates and runs as it is.

use super::ScenarioFragment;
use crate::catalog::{Catalog, GpuModel};
use crate::domain::{
    JobKind, MigStrategy, RequestSpec, Sharing, Taint, TaintEffect, Toleration, TolerationOperator,
};
use crate::scenario::schema::{ClassSpec, NamespaceSpec, Scenario, WorkloadSpec};
use crate::units::Dur;
use crate::workload::synthetic::{LogNormal, MixEntry, SyntheticSpec};

/// The namespace the placeholder classes run in: `default` (added to `namespaces` when the
/// import declared namespaces, since classes must then name a declared one).
pub const PLACEHOLDER_NAMESPACE: &str = "default";

/// One placeholder class per pool that can run a one-device job: it asks for what the pool
/// advertises, tolerates the pool's taints and lists only that pool.
pub fn placeholder_classes(fragment: &ScenarioFragment) -> Vec<ClassSpec> {
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    for p in &fragment.pools {
        let Some(model) = catalog.get(&p.gpu) else {
            continue;
        };
        let Some((request, mem_gib)) = placeholder_request(model, &p.sharing) else {
            continue;
        };
        let tolerations = tolerate_all(&p.taints);
        out.push(ClassSpec {
            name: format!("{}-job", p.name),
            kind: JobKind::Batch,
            namespace: PLACEHOLDER_NAMESPACE.to_string(),
            priority: None,
            request,
            u: 0.5,
            d: 0.5,
            b: 0.0,
            mem_gib: (mem_gib * 4.0).floor() / 4.0,
            speed: Default::default(),
            checkpoint: None,
            pools: vec![p.name.clone()],
            fallback_after: None,
            node_selector: Default::default(),
            node_affinity: Vec::new(),
            tolerations,
            speed_target: None,
            requests: None,
            pdb: None,
            cpu: None,
            memory: None,
        });
    }
    out
}

/// A one-device request on a pool of `model` shared as `sharing`, with a memory that fits;
/// None when no single-device job can run there (MIG single strategy with mixed profiles, or
/// no known profile).
fn placeholder_request(model: &GpuModel, sharing: &Sharing) -> Option<(RequestSpec, f64)> {
    let need = match sharing {
        Sharing::Exclusive | Sharing::Fractional => {
            (RequestSpec::Gpu { count: 1 }, model.memory_gib / 4.0)
        }
        Sharing::Mps { replicas } => (
            RequestSpec::Gpu { count: 1 },
            model.memory_gib / f64::from((*replicas).max(1)) / 2.0,
        ),
        Sharing::TimeSlicing {
            replicas,
            rename_by_default,
            ..
        } => {
            let mem = model.memory_gib / f64::from((*replicas).max(1)) / 2.0;
            if *rename_by_default {
                (RequestSpec::SharedGpu { count: 1 }, mem)
            } else {
                (RequestSpec::Gpu { count: 1 }, mem)
            }
        }
        Sharing::Mig {
            strategy, layout, ..
        } => {
            let smallest = layout
                .iter()
                .filter_map(|l| model.profile(l))
                .min_by(|a, b| a.mem_gib.total_cmp(&b.mem_gib))?;
            let distinct = layout
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            match strategy {
                MigStrategy::Single if distinct > 1 => return None,
                MigStrategy::Single => (RequestSpec::Gpu { count: 1 }, smallest.mem_gib / 2.0),
                MigStrategy::Mixed => (
                    RequestSpec::Mig {
                        profile: smallest.name.clone(),
                        count: 1,
                    },
                    smallest.mem_gib / 2.0,
                ),
            }
        }
    };
    Some(need)
}

/// Tolerations for every taint that keeps pods off (PreferNoSchedule only discourages).
fn tolerate_all(taints: &[Taint]) -> Vec<Toleration> {
    taints
        .iter()
        .filter(|t| t.effect != TaintEffect::PreferNoSchedule)
        .map(|t| Toleration {
            key: Some(t.key.clone()),
            operator: if t.value.is_some() {
                TolerationOperator::Equal
            } else {
                TolerationOperator::Exists
            },
            value: t.value.clone(),
            effect: Some(t.effect),
        })
        .collect()
}

/// A complete scenario: the imported sections plus placeholder classes and a light synthetic
/// workload, so that it validates and runs as it is.
pub fn skeleton(fragment: &ScenarioFragment, name: &str) -> Scenario {
    let classes = placeholder_classes(fragment);
    let mut namespaces = fragment.namespaces.clone();
    if !namespaces.is_empty() && !namespaces.iter().any(|n| n.name == PLACEHOLDER_NAMESPACE) {
        namespaces.push(NamespaceSpec {
            name: PLACEHOLDER_NAMESPACE.to_string(),
            quota: Default::default(),
        });
    }
    let mix = classes
        .iter()
        .map(|c| MixEntry {
            class: c.name.clone(),
            weight: 1.0,
            duration: LogNormal {
                median: Dur(3_600_000),
                sigma: 0.5,
                min: None,
                max: Some(Dur(6 * 3_600_000)),
            },
            mem_gib: None,
            request: None,
            namespace: None,
            priority_class: None,
            gpu_models: Vec::new(),
            pods: None,
        })
        .collect();
    Scenario {
        name: name.to_string(),
        include: Vec::new(),
        description: None,
        seed: 1,
        horizon: Dur(24 * 3_600_000),
        reference_gpu: None,
        gpu_models: Vec::new(),
        prices: Default::default(),
        model: Default::default(),
        scheduler: Default::default(),
        priority_classes: fragment.priority_classes.clone(),
        namespaces,
        pools: fragment.pools.clone(),
        events: Vec::new(),
        report: Default::default(),
        workload: WorkloadSpec::Synthetic(SyntheticSpec {
            rate_per_hour: (2.0 * classes.len() as f64).max(1.0),
            span: None,
            max_jobs: None,
            diurnal: None,
            mix,
        }),
        classes,
    }
}
