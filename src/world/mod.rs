//! The only place a scenario is resolved: its GPU models, pools and workload classes turned into
//! the [`World`] a simulation runs over (configuration that does not change during a run), the
//! checks that need that resolution (`check.rs`), and the pools after scheduled
//! reconfigurations (`pools.rs`).

mod check;
mod mig_replicas;
mod pools;
mod rolling_pools;

pub use check::check;
pub use pools::{
    canonical_prices, effective_labels, future_pools, pool_def, pool_kind, reconfigured,
};

use crate::catalog::{Catalog, GpuModel};
use crate::cluster::{Cluster, PoolDef};
use crate::domain::{
    CostAttribution, JobKind, MigShare, NodeSelectorRequirement, PolicyName, PreemptionPolicy,
    QuotaAdmission, RequestSpec, Toleration,
};
use crate::perf::PerfParams;
use crate::perf::latency::Requests;
use crate::scenario::schema::{ClassSpec, ModelParams, Scenario, TimedEvent};
use crate::sched::PodSpec;
use crate::units::SimTime;
use std::collections::BTreeMap;

/// Default reference model: one unit of work is one second on a whole one of these, alone.
pub const DEFAULT_REFERENCE_GPU: &str = "A100-80GB";

/// The GPU models a scenario sees: the built-in catalog plus its own `gpu_models`, and the
/// models that could not be added (index in `gpu_models`, why).
pub fn scenario_catalog(sc: &Scenario) -> (Catalog, Vec<(usize, String)>) {
    let mut catalog = Catalog::builtin();
    let mut errors = Vec::new();
    for (i, m) in sc.gpu_models.iter().enumerate() {
        if let Err(e) = catalog.add(m.clone()) {
            errors.push((i, e));
        }
    }
    (catalog, errors)
}

/// The name of the model whose whole GPU defines one unit of work.
pub fn reference_name(sc: &Scenario) -> &str {
    sc.reference_gpu.as_deref().unwrap_or(DEFAULT_REFERENCE_GPU)
}

/// A workload class resolved against the scenario: priority from its priority class, pools as
/// indices, speeds keyed by the catalog's model names.
#[derive(Clone, Debug)]
pub struct Class {
    pub name: String,
    pub kind: JobKind,
    pub namespace: String,
    pub priority: i32,
    /// Whether its priority class may preempt lower priorities (`PreemptLowerPriority`).
    pub can_preempt: bool,
    pub request: RequestSpec,
    pub u: f64,
    pub d: f64,
    /// Memory-bandwidth fill alone (0 = not memory-bound).
    pub b: f64,
    pub mem_gib: f64,
    /// Speed relative to the reference GPU, per model name, where the class overrides it.
    pub speed: BTreeMap<String, f64>,
    /// Work between checkpoints, ms (0 = never).
    pub checkpoint: SimTime,
    /// Candidate pools in preference order.
    pub pools: Vec<u32>,
    /// Wait after which the next candidate pool is allowed (None: all at once).
    pub fallback_after: Option<SimTime>,
    pub node_selector: BTreeMap<String, String>,
    pub node_affinity: Vec<NodeSelectorRequirement>,
    pub tolerations: Vec<Toleration>,
    pub speed_target: Option<f64>,
    /// Services: each instance's request stream and latency objective.
    pub requests: Option<ServiceRequests>,
    /// PodDisruptionBudget of its pods (drains honour it).
    pub pdb: Option<crate::scenario::schema::PdbSpec>,
    /// CPU and host memory each pod requests unless its trace row says otherwise.
    pub host: crate::domain::HostRequest,
}

/// A service class's request stream, resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceRequests {
    pub stream: Requests,
    pub slo_ms: f64,
}

/// A resolved scenario: everything a run reads and never changes. The cluster a run changes is
/// the simulation's own, built from `pools` by [`World::cluster`].
#[derive(Clone, Debug)]
pub struct World {
    pub name: String,
    pub seed: u64,
    pub horizon: SimTime,
    /// The pools as the run starts, in scenario order.
    pub pools: Vec<PoolDef>,
    pub classes: Vec<Class>,
    pub class_ix: BTreeMap<String, u32>,
    pub pool_ix: BTreeMap<String, u32>,
    /// PriorityClass name -> (value, may it preempt lower priorities).
    pub priorities: BTreeMap<String, (i32, bool)>,
    /// Namespace -> ResourceQuota hard limits.
    pub quotas: BTreeMap<String, BTreeMap<String, u32>>,
    pub quota_admission: QuotaAdmission,
    /// Timed operations, in time order; each names the pool it acts on (after a rolling
    /// reconfiguration of a pool, its re-partitioned pool `POOL@AT`).
    pub events: Vec<TimedEvent>,
    /// Rolling reconfigurations (index in `events`) -> the pool their nodes move to.
    pub rolling_targets: BTreeMap<u32, u32>,
    pub params: ModelParams,
    pub perf: PerfParams,
    /// How pool cost is attributed to jobs (`prices.attribution`).
    pub attribution: CostAttribution,
    pub mig_share: MigShare,
    pub policy: PolicyName,
    pub report_interval: SimTime,
    pub reference: GpuModel,
}

impl Class {
    /// What a pod of this class asking for `request` with `mem` GiB puts before the scheduler.
    pub fn pod<'a>(
        &'a self,
        request: &'a RequestSpec,
        mem: f64,
        host: crate::cluster::HostNeed,
    ) -> PodSpec<'a> {
        PodSpec {
            request,
            mem_gib: mem,
            node_selector: &self.node_selector,
            node_affinity: &self.node_affinity,
            tolerations: &self.tolerations,
            host,
        }
    }

    /// CPU and host memory a pod of this class requests when its trace row gives `tj` (each
    /// resource: the row's, else the class's, else none).
    pub fn host_need(&self, tj: &crate::domain::HostRequest) -> crate::cluster::HostNeed {
        crate::cluster::HostNeed {
            cpu_milli: tj.cpu_milli.or(self.host.cpu_milli).unwrap_or(0),
            mem_bytes: tj.mem_bytes.or(self.host.mem_bytes).unwrap_or(0),
        }
    }
}

impl World {
    /// Relative speed of `class` on pool `pool`'s GPU model.
    pub fn speed(&self, class: u32, pool: u32) -> f64 {
        let model = &self.pools[pool as usize].model;
        let c = &self.classes[class as usize];
        c.speed
            .get(&model.name)
            .copied()
            .unwrap_or(model.speed / self.reference.speed)
    }

    /// The cluster at the start of a run: every pool's GPUs, nothing placed.
    pub fn cluster(&self) -> Cluster {
        let mut cluster = Cluster {
            context_mem_gib: self.params.context_mem_gib,
            ..Cluster::default()
        };
        for def in &self.pools {
            cluster.add_pool(def.clone());
        }
        cluster
    }

    pub fn build(sc: &Scenario) -> Result<World, String> {
        let (catalog, errors) = scenario_catalog(sc);
        if let Some((_, e)) = errors.into_iter().next() {
            return Err(e);
        }
        let ref_name = reference_name(sc);
        let mut reference = catalog
            .get(ref_name)
            .ok_or_else(|| format!("reference_gpu: unknown GPU model {ref_name}"))?
            .clone();
        reference.speed = sc.model.gpu_speed_of(&reference);
        let mut pools = build_pools(sc, &catalog)?;
        let (priorities, default_priority) = priorities_of(sc);
        let pool_ix: BTreeMap<&str, u32> = sc
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i as u32))
            .collect();
        let mut classes = Vec::new();
        let mut class_ix = BTreeMap::new();
        for c in &sc.classes {
            class_ix.insert(c.name.clone(), classes.len() as u32);
            classes.push(resolve_class(
                c,
                &catalog,
                &priorities,
                default_priority,
                &pool_ix,
            )?);
        }
        let quotas = sc
            .namespaces
            .iter()
            .filter(|n| !n.quota.is_empty())
            .map(|n| (n.name.clone(), n.quota.clone()))
            .collect();
        let mut events = sorted_events(sc, &pool_ix)?;
        let mut pool_ix: BTreeMap<String, u32> =
            pool_ix.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let rolling_targets =
            rolling_pools::add_derived_pools(&mut pools, &mut pool_ix, &mut classes, &mut events)?;
        Ok(World {
            name: sc.name.clone(),
            seed: sc.seed,
            horizon: sc.horizon.ms(),
            pools,
            classes,
            class_ix,
            pool_ix,
            rolling_targets,
            priorities,
            quotas,
            quota_admission: sc.scheduler.quota_admission,
            events,
            perf: sc.model.perf(),
            params: sc.model.clone(),
            mig_share: sc.prices.mig_share,
            attribution: sc.prices.attribution,
            policy: sc.scheduler.policy,
            report_interval: sc.report.interval.ms().max(1000),
            reference,
        })
    }
}
/// The pools with their catalog model (speed from the scenario's model) and sharing kind.
fn build_pools(sc: &Scenario, catalog: &Catalog) -> Result<Vec<PoolDef>, String> {
    let prices = canonical_prices(sc, catalog);
    let mut pools = Vec::new();
    for p in &sc.pools {
        let mut model = catalog
            .get(&p.gpu)
            .ok_or_else(|| format!("pool {}: unknown GPU model {}", p.name, p.gpu))?
            .clone();
        model.speed = sc.model.gpu_speed_of(&model);
        let kind = pool_kind(&model, &p.sharing).map_err(|e| format!("pool {}: {e}", p.name))?;
        pools.push(pool_def(sc, p, &model, kind, &prices));
    }
    Ok(pools)
}

/// (value, may preempt) by priority class name, and the default for pods without one.
type Priorities = (BTreeMap<String, (i32, bool)>, (i32, bool));

fn priorities_of(sc: &Scenario) -> Priorities {
    let mut priorities: BTreeMap<String, (i32, bool)> = BTreeMap::new();
    for pc in &sc.priority_classes {
        let preempts = pc.preemption_policy == PreemptionPolicy::PreemptLowerPriority;
        priorities.insert(pc.name.clone(), (pc.value, preempts));
    }
    // Pods without a priority class get the global default, else 0 (and may preempt).
    let default_priority = sc
        .priority_classes
        .iter()
        .find(|p| p.global_default)
        .map_or((0, true), |p| {
            (
                p.value,
                p.preemption_policy == PreemptionPolicy::PreemptLowerPriority,
            )
        });
    (priorities, default_priority)
}

/// Timed events in time order (stable: same-time events keep file order), on known pools.
fn sorted_events(sc: &Scenario, pool_ix: &BTreeMap<&str, u32>) -> Result<Vec<TimedEvent>, String> {
    let mut events = sc.events.clone();
    events.sort_by_key(|e| e.at());
    for e in &events {
        if !pool_ix.contains_key(e.pool()) {
            return Err(format!("events: unknown pool {}", e.pool()));
        }
    }
    Ok(events)
}

fn resolve_class(
    c: &ClassSpec,
    catalog: &Catalog,
    priorities: &BTreeMap<String, (i32, bool)>,
    default_priority: (i32, bool),
    pool_ix: &BTreeMap<&str, u32>,
) -> Result<Class, String> {
    let (priority, can_preempt) = match &c.priority {
        Some(p) => *priorities
            .get(p)
            .ok_or_else(|| format!("class {}: unknown priority class {p}", c.name))?,
        None => default_priority,
    };
    let pools = if c.pools.is_empty() {
        (0..pool_ix.len() as u32).collect()
    } else {
        c.pools
            .iter()
            .map(|p| {
                pool_ix
                    .get(p.as_str())
                    .copied()
                    .ok_or_else(|| format!("class {}: unknown pool {p}", c.name))
            })
            .collect::<Result<_, _>>()?
    };
    Ok(Class {
        name: c.name.clone(),
        kind: c.kind,
        namespace: c.namespace.clone(),
        priority,
        can_preempt,
        request: c.request.clone(),
        u: c.u,
        d: c.d,
        b: c.b,
        mem_gib: c.mem_gib,
        // Keyed by the catalog's spelling so lookups by pool model name match.
        speed: c
            .speed
            .iter()
            .map(|(k, v)| (catalog.get(k).map_or(k.clone(), |m| m.name.clone()), *v))
            .collect(),
        checkpoint: c.checkpoint.map_or(0, |d| d.ms()),
        pools,
        fallback_after: c.fallback_after.map(|d| d.ms()),
        node_selector: c.node_selector.clone(),
        node_affinity: c.node_affinity.clone(),
        tolerations: c.tolerations.clone(),
        speed_target: c.speed_target,
        requests: c.requests.as_ref().map(|r| ServiceRequests {
            stream: Requests {
                rate_per_ms: r.rate / 1000.0,
                work_ms: r.work_ms,
                dist: r.dist,
            },
            slo_ms: r.slo_ms,
        }),
        pdb: c.pdb.clone(),
        host: crate::domain::HostRequest {
            cpu_milli: c.cpu.map(|q| q.0),
            mem_bytes: c.memory.map(|q| q.0),
        },
    })
}

#[cfg(test)]
mod tests {
    /// A calibration a scenario includes reaches the simulation: the class runs at the
    /// calibrated 2.1 on the H100 pool (catalog default 2.0) relative to the A100-80GB reference.
    #[test]
    fn included_calibration_reaches_the_world() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cal.yaml"),
            "model:\n  mig_efficiency: 0.9\n  gpu_speed: {H100-80GB: 2.1}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("s.yaml"),
            "name: inc
include: [cal.yaml]
horizon: 1h
pools:
  - {name: p, gpu: H100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: exclusive}}
classes:
  - {name: c, kind: batch, namespace: n, request: {kind: gpu, count: 1}, u: 1, d: 1, mem_gib: 1}
workload: {kind: synthetic, rate_per_hour: 1, mix: [{class: c, weight: 1, duration: {median: 1h, sigma: 0.5}}]}
",
        )
        .unwrap();
        let loaded = crate::scenario::load(&dir.path().join("s.yaml")).unwrap();
        let world = super::World::build(&loaded.scenario).unwrap();
        assert_eq!(world.speed(0, 0), 2.1);
        assert_eq!(world.perf.mig_efficiency, 0.9);
    }
}
