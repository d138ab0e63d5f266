//! The checks of a scenario that need it resolved: GPU models against the catalog, MIG layouts,
//! the cluster its pools make, and whether each class fits a pool now or after a scheduled
//! reconfiguration. `scenario::validate` runs the file's own checks and calls these where their
//! messages belong.

use super::{
    canonical_prices, future_pools, pool_def, pool_kind, reference_name, scenario_catalog,
};
use crate::catalog::{Catalog, LayoutError, solve};
use crate::cluster::Cluster;
use crate::domain::{MigStrategy, Sharing};
use crate::scenario::locate::FieldPath;
use crate::scenario::schema::{ClassSpec, PoolSpec, Scenario};
use crate::scenario::validate::{Checker, Problem, Resolve, validate};
use crate::sched::{PodSpec, fit_shape};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every problem of `sc` (parsed from `text`), the file's own and the resolved scenario's, in
/// line order; relative trace paths resolve against `base_dir`.
pub fn check(sc: &Scenario, text: &str, base_dir: &Path) -> Vec<Problem> {
    let (catalog, model_errors) = scenario_catalog(sc);
    let mut resolved = Resolved {
        sc,
        catalog,
        model_errors,
        cluster: Cluster::default(),
    };
    validate(sc, text, base_dir, &mut resolved)
}

/// The scenario as far as it resolves: its catalog, and the cluster of the pools checked so far.
struct Resolved<'a> {
    sc: &'a Scenario,
    catalog: Catalog,
    model_errors: Vec<(usize, String)>,
    cluster: Cluster,
}

impl Resolve for Resolved<'_> {
    fn models(&mut self, ck: &mut Checker) {
        let root = FieldPath::root();
        for (i, e) in std::mem::take(&mut self.model_errors) {
            ck.error(&root.key("gpu_models").index(i), e);
        }
        let ref_name = reference_name(self.sc);
        if self.catalog.get(ref_name).is_none() {
            ck.error(
                &root.key("reference_gpu"),
                format!(
                    "unknown GPU model {ref_name} (known: {})",
                    self.catalog.names().join(", ")
                ),
            );
        }
    }

    fn gpu_model(&mut self, ck: &mut Checker, name: &str, path: &FieldPath) {
        if self.catalog.get(name).is_none() {
            ck.error(path, format!("unknown GPU model {name}"));
        }
    }

    fn pool_model(&mut self, ck: &mut Checker, p: &PoolSpec, path: &FieldPath) -> bool {
        let catalog = &self.catalog;
        let Some(model) = catalog.get(&p.gpu) else {
            ck.error(
                &path.key("gpu"),
                format!(
                    "unknown GPU model {} (known: {}; add custom ones under gpu_models)",
                    p.gpu,
                    catalog.names().join(", ")
                ),
            );
            return false;
        };
        let prices = canonical_prices(self.sc, catalog);
        if catalog.price_is_placeholder(&model.name) && !prices.contains_key(&model.name) {
            ck.warn(&path.key("gpu"), format!("{} has no published per-GPU price; the default {} $/h is a placeholder (set prices.per_gpu_hour.{})", model.name, model.price_per_hour, model.name));
        }
        true
    }

    fn pool_sharing(&mut self, ck: &mut Checker, p: &PoolSpec, path: &FieldPath, ok: bool) -> bool {
        let Some(model) = self.catalog.get(&p.gpu) else {
            return false;
        };
        let sp = path.key("sharing");
        if let Sharing::Mig {
            strategy,
            layout,
            replicas,
        } = &p.sharing
        {
            if !super::mig_replicas::check(ck, layout, replicas, &sp.key("replicas")) {
                return false;
            }
            if !model.mig_capable() {
                ck.error(&sp, format!("{} is not MIG capable", model.name));
                return false;
            }
            if layout.is_empty() {
                ck.error(
                    &sp.key("layout"),
                    "a MIG layout needs at least one instance",
                );
                return false;
            }
            let names: Vec<&str> = layout.iter().map(String::as_str).collect();
            if let Err(e) = solve(model, &names) {
                let at = match &e {
                    LayoutError::UnknownProfile { name, .. } => layout
                        .iter()
                        .position(|l| l == name)
                        .map_or(sp.key("layout"), |i| sp.key("layout").index(i)),
                    _ => sp.key("layout"),
                };
                ck.error(&at, e.to_string());
                return false;
            }
            let distinct: BTreeSet<&str> = names.iter().copied().collect();
            if *strategy == MigStrategy::Single && distinct.len() > 1 {
                ck.warn(&sp.key("strategy"), format!("single strategy with mixed profiles ({}): the device plugin advertises 0 GPUs on these nodes; use strategy: mixed", distinct.into_iter().collect::<Vec<_>>().join(", ")));
            }
        }
        if !ok {
            return false;
        }
        match pool_kind(model, &p.sharing) {
            Ok(kind) => {
                let prices = canonical_prices(self.sc, &self.catalog);
                self.cluster
                    .add_pool(pool_def(self.sc, p, model, kind, &prices));
                true
            }
            Err(e) => {
                ck.error(&sp, e);
                false
            }
        }
    }

    fn mig_profile(&mut self, ck: &mut Checker, name: &str, path: &FieldPath) {
        let in_some_model = self
            .catalog
            .models()
            .iter()
            .any(|m| m.profile(name).is_some());
        if !in_some_model {
            ck.error(path, format!("no GPU model has a MIG profile {name}"));
        }
    }

    /// A class that no pool can ever take is an error; pools it lists but cannot use are
    /// warnings.
    fn class_fits(
        &mut self,
        ck: &mut Checker,
        c: &ClassSpec,
        path: &FieldPath,
        pools: &BTreeMap<&str, usize>,
    ) {
        let cluster = &self.cluster;
        let candidates: Vec<u32> = if c.pools.is_empty() {
            (0..cluster.pools.len() as u32).collect()
        } else {
            c.pools
                .iter()
                .filter_map(|p| pools.get(p.as_str()).map(|&i| i as u32))
                .collect()
        };
        let pod = PodSpec {
            request: &c.request,
            mem_gib: c.mem_gib,
            node_selector: &c.node_selector,
            node_affinity: &c.node_affinity,
            tolerations: &c.tolerations,
            host: crate::cluster::HostNeed {
                cpu_milli: c.cpu.map_or(0, |q| q.0),
                mem_bytes: c.memory.map_or(0, |q| q.0),
            },
        };
        let fit = fit_shape(&cluster.pools, &candidates, &pod);
        let ix = |name: &str| pools.get(name).map(|&i| i as u32);
        let later = fit.pools.is_empty()
            && future_pools(&cluster.pools, &self.sc.events, ix)
                .any(|ps| !fit_shape(&ps, &candidates, &pod).pools.is_empty());
        if later {
            ck.warn(
                path,
                format!(
                    "class {} fits no pool until a scheduled reconfiguration: its jobs wait until then",
                    c.name
                ),
            );
        } else if let Some(reason) = fit.unschedulable_reason() {
            ck.error(
                path,
                format!("class {} can never be scheduled: {reason}", c.name),
            );
        } else if !c.pools.is_empty() {
            for why in &fit.rejected {
                ck.warn(
                    &path.key("pools"),
                    format!("class {} cannot use {why}", c.name),
                );
            }
        }
    }

    fn reconfigure(
        &mut self,
        ck: &mut Checker,
        pool: &PoolSpec,
        sharing: &Sharing,
        path: &FieldPath,
    ) {
        let Some(model) = self.catalog.get(&pool.gpu) else {
            return;
        };
        match sharing {
            Sharing::Mig {
                layout, replicas, ..
            } => {
                if !super::mig_replicas::check(
                    ck,
                    layout,
                    replicas,
                    &path.key("sharing").key("replicas"),
                ) {
                    return;
                }
                if !model.mig_capable() {
                    ck.error(
                        &path.key("sharing"),
                        format!("{} is not MIG capable", model.name),
                    );
                } else if layout.is_empty() {
                    ck.error(
                        &path.key("sharing").key("layout"),
                        "a MIG layout needs at least one instance",
                    );
                } else if let Err(err) = pool_kind(model, sharing) {
                    ck.error(&path.key("sharing").key("layout"), err);
                }
            }
            Sharing::TimeSlicing { replicas: 0, .. } => {
                ck.error(&path.key("sharing").key("replicas"), "must be at least 1");
            }
            Sharing::Mps { replicas } => {
                if let Some(why) = crate::perf::mps::replicas_problem(*replicas) {
                    ck.error(&path.key("sharing").key("replicas"), why);
                }
            }
            _ => {}
        }
    }
}
