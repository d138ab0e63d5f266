//! Where a shape can go: its fit on the cluster as configured now, or once a scheduled
//! reconfiguration has happened; refitting every shape after a reconfiguration.

use super::Simulation;
use super::job::Job;
use super::shapes::{Shape, ShapeKey};
use crate::cluster::{HostNeed, Pool};
use crate::domain::RequestSpec;
use crate::sched::gang::gang_fit;
use crate::sched::{ShapeFit, fit_shape};
use crate::world::future_pools;

impl Simulation<'_> {
    /// The shape of `job` (whose resolved request is `request` and allowed GPU models
    /// `gpu_models`), added and fitted if it is new.
    pub(super) fn shape_for(
        &mut self,
        job: &Job,
        request: &RequestSpec,
        gpu_models: Vec<String>,
    ) -> u32 {
        let (class, mem, pods, host) = (job.class, job.mem, job.pods, job.host);
        let (key, models) = ShapeKey::new(
            class,
            request,
            mem,
            job.priority,
            job.can_preempt,
            gpu_models,
            host,
        );
        let key = key.with_pods(pods);
        if let Some(s) = self.shapes.find(&key) {
            return s;
        }
        let fit = self.fit_of(class, request, mem, &models, pods, host);
        let fits_after_reconfiguration =
            fit.pools.is_empty() && self.fits_later(class, request, mem, &models, host);
        let shape = Shape {
            class,
            request: request.clone(),
            mem,
            models,
            fit,
            fits_after_reconfiguration,
            pods,
            host,
        };
        self.shapes.insert(key, shape)
    }

    /// Where a shape can go on the cluster as it is configured now.
    /// A gang (`pods` > 1) only where a pool can ever hold all its pods (`sched::gang`).
    fn fit_of(
        &self,
        class: u32,
        request: &RequestSpec,
        mem: f64,
        models: &[String],
        pods: u32,
        host: HostNeed,
    ) -> ShapeFit {
        let c = &self.world.classes[class as usize];
        let fit = restrict_models(
            fit_shape(&self.cluster.pools, &c.pools, &c.pod(request, mem, host)),
            &self.cluster.pools,
            models,
        );
        gang_fit(fit, &self.cluster.pools, pods, host)
    }

    /// Would the request fit once a scenario reconfiguration still to come has happened? Such a
    /// pod stays pending (Kubernetes keeps it) instead of being reported unschedulable.
    fn fits_later(
        &self,
        class: u32,
        request: &RequestSpec,
        mem: f64,
        models: &[String],
        host: HostNeed,
    ) -> bool {
        let now = self.q.now();
        let c = &self.world.classes[class as usize];
        let pod = c.pod(request, mem, host);
        let upcoming: Vec<_> = self
            .world
            .events
            .iter()
            .filter(|e| e.at().ms() > now)
            .cloned()
            .collect();
        let ix = |name: &str| self.world.pool_ix.get(name).copied();
        future_pools(&self.cluster.pools, &upcoming, ix).any(|pools| {
            let fit = fit_shape(&pools, &c.pools, &pod);
            !restrict_models(fit, &pools, models).pools.is_empty()
        })
    }

    /// After a reconfiguration, where each shape can go is decided again.
    pub(super) fn refit_shapes(&mut self) {
        self.shapes.clear_fits();
        for ix in 0..self.shapes.len() {
            let s = self.shapes.get(ix);
            let (class, request, mem, models, pods, host) = (
                s.class,
                s.request.clone(),
                s.mem,
                s.models.clone(),
                s.pods,
                s.host,
            );
            let fit = self.fit_of(class, &request, mem, &models, pods, host);
            let later =
                fit.pools.is_empty() && self.fits_later(class, &request, mem, &models, host);
            self.shapes.set_fit(ix, fit, later);
            self.admission.pending.mark_dirty(ix);
        }
    }
}

/// A job that names GPU models may use only pools of those models (compared ignoring case;
/// empty allows any). Ranks stay those of the class's list.
fn restrict_models(mut fit: ShapeFit, pools: &[Pool], models: &[String]) -> ShapeFit {
    if models.is_empty() {
        return fit;
    }
    let allowed = |p: u32| {
        let name = &pools[p as usize].model.name;
        models.iter().any(|m| m.eq_ignore_ascii_case(name))
    };
    for fp in fit.pools.iter().filter(|fp| !allowed(fp.pool)) {
        let pool = &pools[fp.pool as usize];
        fit.rejected.push(format!(
            "pool {}: GPU model {} is not one the job allows ({})",
            pool.name,
            pool.model.name,
            models.join("|")
        ));
    }
    fit.pools.retain(|fp| allowed(fp.pool));
    fit
}
