//! The pools' gauges, the time series sampled at each bucket, and the timed operations.

use super::Ledger;
use crate::cluster::Cluster;
use crate::domain::MigShare;
use crate::sim::OpRecord;
use crate::sim::shapes::Shapes;
use crate::sim::speed::GpuGauges;
use crate::units::SimTime;
use crate::world::Class;

impl Ledger<'_> {
    /// GPU `g` of `pool` has new gauges (its tenants' rates changed).
    pub fn gpu_rerated(&mut self, g: u32, pool: u32, new: GpuGauges, now: SimTime) {
        let old = std::mem::replace(&mut self.gauges[g as usize], new);
        let ps = &mut self.pools[pool as usize];
        ps.advance(now);
        ps.alloc_now += new.alloc - old.alloc;
        ps.busy_now += new.busy - old.busy;
        ps.sm_now += new.sm - old.sm;
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
            let f = cluster.pool_frag(i as u32, shapes.typical(i as u32), mig_share);
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
        });
    }
}
