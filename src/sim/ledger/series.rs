//! The pools' gauges, the time series sampled at each bucket, and the timed operations.

use super::Ledger;
use crate::cluster::Cluster;
use crate::domain::MigShare;
use crate::metrics::gpu_series::{ClassWaits, GpuIntegrals, GpuSample, InstanceSample};
use crate::sim::OpRecord;
use crate::sim::shapes::Shapes;
use crate::sim::speed::GpuGauges;
use crate::units::SimTime;
use crate::world::Class;

impl Ledger<'_> {
    /// GPU `g` of `pool` has new gauges (its tenants' rates changed).
    pub fn gpu_rerated(&mut self, g: u32, pool: u32, new: GpuGauges, now: SimTime) {
        let old = std::mem::replace(&mut self.gauges[g as usize], new);
        if let Some(gi) = &mut self.gpu_ints {
            gi.advance(g, old.busy, old.sm, now);
        }
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.alloc_now += new.alloc - old.alloc;
        ps.busy_now += new.busy - old.busy;
        ps.sm_now += new.sm - old.sm;
    }

    /// Starts keeping per-GPU series (before the first event).
    pub fn keep_gpu_series(&mut self) {
        self.gpu_ints = Some(GpuIntegrals::new(self.gauges.len()));
    }

    /// Per-GPU series are kept and the rows of the bucket ending at `now` are not taken yet
    /// (the last bucket's are taken before the run's end retires the jobs); marks them taken.
    pub fn gpu_series_due(&mut self, now: SimTime) -> bool {
        let due = self.gpu_ints.is_some() && self.gpu_closed_at != Some(now);
        self.gpu_closed_at = Some(now);
        due
    }

    /// Closes GPU `g`'s bucket at `now`: its busy and SM activity averaged since the last
    /// bucket (0 when per-GPU series are off).
    pub fn close_gpu(&mut self, g: u32, now: SimTime) -> (f64, f64) {
        let cur = self.gauges[g as usize];
        match &mut self.gpu_ints {
            Some(gi) => gi.close(g, cur.busy, cur.sm, self.last_sample, now),
            None => (0.0, 0.0),
        }
    }

    pub fn gpu_sampled(&mut self, s: GpuSample) {
        self.gpu_samples.push(s);
    }

    /// Every class's waits so far, at the end of the bucket closing at `now`.
    pub fn class_waits_sampled(&mut self, now: SimTime) {
        for (i, cs) in self.classes.iter().enumerate() {
            self.class_waits.push(ClassWaits {
                t_end: now,
                class: i as u32,
                started: cs.waits_ms.len(),
                wait_sum_ms: cs.waits_ms.sum_ms(),
            });
        }
    }

    pub fn instance_sampled(&mut self, s: InstanceSample) {
        self.instance_samples.push(s);
    }

    pub fn pool_resized(&mut self, pool: u32, gpus: u32, now: SimTime) {
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.gpus_now = gpus;
    }

    /// Closes a time-series bucket at `now`. Placed jobs' progress and the pools' typical
    /// shapes (for fragmentation) must be up to date.
    pub fn close_bucket(
        &mut self,
        cluster: &Cluster,
        classes: &[Class],
        shapes: &Shapes,
        mig_share: MigShare,
        now: SimTime,
    ) {
        for (i, ps) in self.pools.iter_mut().enumerate() {
            let p = &cluster.pools[i];
            let mut s = ps.sample(&p.name, &p.kind.describe(), self.last_sample, now);
            let f = (self.frag).pool_frag(cluster, i as u32, shapes.typical(i as u32), mig_share);
            s.fragmented_gpus = f.fragmented;
            s.fragmentation = f.ratio();
            self.samples.push(s);
        }
        for (cs, c) in self.classes.iter_mut().zip(classes) {
            let s = cs.sample(&c.name, c.speed_target.is_some(), self.last_sample, now);
            self.class_samples.push(s);
        }
        self.last_sample = now;
    }

    /// A timed operation happened: the one place an `OpRecord` is made.
    pub fn op(&mut self, at: SimTime, kind: &str, pool: String, detail: String, evicted: u64) {
        self.ops.push(OpRecord {
            at,
            kind: kind.to_string(),
            pool,
            detail,
            evicted,
            cost: Default::default(),
        });
    }

    /// Appends `note` to the detail of operation record `rec` (a rollout that gave up).
    pub fn op_note(&mut self, rec: usize, note: &str) {
        if let Some(o) = self.ops.get_mut(rec) {
            o.detail.push_str(note);
        }
    }

    /// Operations recorded so far (the next one's index).
    pub fn op_count(&self) -> usize {
        self.ops.len()
    }
}
