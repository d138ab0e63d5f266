//! Scheduling passes: which pending job goes where, fallback between pools, starting a job.

use super::gang::touch_nodes;
use super::job::Phase;
use super::ledger::{FirstStart, Started};
use super::{Event, Simulation};
use crate::cluster::share::holding_share;
use crate::cluster::{Holding, PoolKind};
use crate::domain::RequestSpec;
use crate::sched::PlaceCtx;
use crate::units::SimTime;

impl Simulation<'_> {
    /// Tries pending heads, highest priority first, until every dirty shape is placed or blocked.
    /// A head that does not fit may preempt lower-priority pods to make room.
    pub(super) fn schedule_pass(&mut self, now: SimTime) {
        while let Some((shape, key)) = self.admission.pending.next_dirty() {
            if self.policy.uses_typical() {
                for i in 0..self.shapes.get(shape).fit.pools.len() {
                    let p = self.shapes.get(shape).fit.pools[i].pool;
                    self.shapes.refresh_typical(p);
                }
            }
            let allowed = self.allowed_pools(key.slot, now);
            match self.find_place_nominated(key.slot, shape, allowed, now) {
                Some((pool, choice, (node, holdings))) => {
                    self.admission.pending.pop_head(shape);
                    self.dequeued(key.slot, now);
                    self.hold_host(key.slot, pool, node, &holdings);
                    self.start(key.slot, pool, choice, holdings, now);
                }
                None => {
                    self.admission.pending.block(shape);
                    self.preempt_for_shape(shape, now);
                }
            }
        }
    }

    /// How many of its class's listed pools (in preference order) a pending job may use now:
    /// all of them, or with `fallback_after` one more per full wait of its pending spell.
    /// MIG workloads never fall back: a job asking for a MIG profile (`mixed` strategy), or one
    /// whose first usable pool is a MIG pool (a `nvidia.com/gpu` request on a `single` pool),
    /// uses only that first pool.
    pub(super) fn allowed_pools(&self, slot: u32, now: SimTime) -> usize {
        let job = self.live(slot).expect("live");
        let class = &self.world.classes[job.class as usize];
        let shape = &self.shapes.get(job.shape);
        let first = shape.fit.pools.first();
        let first_is_mig = first.is_some_and(|fp| {
            matches!(
                self.cluster.pools[fp.pool as usize].kind,
                PoolKind::Mig { .. }
            )
        });
        if matches!(shape.request, RequestSpec::Mig { .. }) || first_is_mig {
            return first.map_or(0, |fp| fp.rank + 1);
        }
        let n = class.pools.len();
        match class.fallback_after {
            None | Some(0) => n,
            Some(w) => (1 + ((now - job.pending_since) / w) as usize).min(n),
        }
    }

    /// Schedules the moment the job's next fallback pool opens, if one it can use is left.
    pub(super) fn schedule_fallback_tick(&mut self, slot: u32, now: SimTime) {
        let job = self.live(slot).expect("live");
        let Some(w) = self.world.classes[job.class as usize]
            .fallback_after
            .filter(|&w| w > 0)
        else {
            return;
        };
        let allowed = self.allowed_pools(slot, now);
        // The next listed pool that this shape can use at all.
        let next = self
            .shapes
            .get(job.shape)
            .fit
            .pools
            .iter()
            .map(|fp| fp.rank)
            .find(|&r| r >= allowed);
        if let Some(rank) = next {
            let at = job.pending_since + rank as u64 * w;
            // A pool that should be open by now but is not (MIG jobs never fall back) gets no
            // tick: one at or before `now` would fire again and again at the same instant.
            if at > now {
                let stamp = job.pending_stamp;
                self.q.schedule(at, Event::FallbackTick { slot, stamp });
            }
        }
    }

    /// The first usable pool, among those ranked below `allowed` in the class's list, where the
    /// policy finds a node that fits; with the pool's rank.
    pub(super) fn find_place(
        &self,
        shape: u32,
        allowed: usize,
    ) -> Option<(u32, usize, (u32, Vec<Holding>))> {
        let pods = self.shapes.get(shape).pods;
        if pods > 1 {
            // The node recorded is its first pod's; `hold_host` takes each node's pods' CPU
            // and memory from the holdings (docs/MODEL.md, "Gang jobs").
            return self
                .find_gang_place(shape, allowed, pods)
                .map(|(p, rank, h)| {
                    let node = h
                        .first()
                        .map_or(0, |x| self.cluster.gpus[x.gpu as usize].node);
                    (p, rank, (node, h))
                });
        }
        let cluster = &self.cluster;
        for fp in &self.shapes.get(shape).fit.pools {
            if fp.rank >= allowed {
                break;
            }
            let ctx = PlaceCtx {
                cluster,
                pool: fp.pool,
                need: &fp.need,
                typical: self.shapes.typical(fp.pool),
                mig_share: self.world.mig_share,
                host: self.shapes.get(shape).host,
            };
            if let Some(found) = self.policy.place(&ctx) {
                return Some((fp.pool, fp.rank, found));
            }
        }
        None
    }

    pub(super) fn start(
        &mut self,
        slot: u32,
        pool: u32,
        choice: usize,
        holdings: Vec<Holding>,
        now: SimTime,
    ) {
        let w = &self.world;
        let p = &self.cluster.pools[pool as usize];
        let share: f64 = holdings
            .iter()
            .map(|h| holding_share(&p.kind, h.units, h.instance, w.mig_share))
            .sum();
        let price = p.price;
        let colocated =
            matches!(p.kind, PoolKind::TimeSlicing { .. }) && holdings.iter().any(|h| h.units > 1);
        let (class, priority, shape) = {
            let j = self.live(slot).expect("live");
            (j.class, j.priority, j.shape)
        };
        let s = w.speed(class, pool);
        let mem = self.live(slot).expect("live").mem;
        self.cluster.commit(slot, &holdings, mem);
        // A pod on one node (a gang's pods on theirs): what preemption finds there changes.
        touch_nodes(&mut self.preempt_memo, &self.cluster, pool, slot, &holdings);
        if let (true, Some(node)) = (holdings.is_empty(), self.live(slot).expect("live").node) {
            // A pod without GPUs holds only CPU and memory on its node.
            self.preempt_memo.touched(pool, node);
        }
        let gpus: Vec<u32> = holdings.iter().map(|h| h.gpu).collect();
        let oom = self.overcommitted(pool, &gpus) || self.instance_overcommitted(pool, &holdings);
        let attempt = self.next_stamp();
        self.jobs.mark_placed(slot);
        let wait = {
            let job = self.job(slot);
            job.phase = Phase::Running;
            job.pool = pool;
            job.s = s;
            job.rates = smallvec::smallvec![0.0; holdings.len()];
            job.shares = smallvec::smallvec![0.0; holdings.len()];
            job.price = price;
            job.cost_since = now;
            job.holdings = super::job::Holdings::from_vec(holdings);
            job.placed_ever = true;
            job.cost_rate = share * price / 3_600_000.0;
            job.attempt_start = now;
            job.attempt_gen = attempt;
            job.last = now;
            job.speed = 0.0;
            let wait = job.first_start.is_none().then(|| now - job.submit);
            job.first_start.get_or_insert(now);
            wait
        };
        if let Some(w) = wait {
            let submit = self.live(slot).expect("live").submit;
            self.optrack.waited(submit, w, false);
        }
        if oom {
            let at = now + self.world.params.oom_after.ms();
            self.q.schedule(
                at,
                Event::Oom {
                    slot,
                    stamp: attempt,
                },
            );
        }
        let first = wait.map(|wait| FirstStart {
            wait,
            pool_name: self.cluster.pools[pool as usize].name.clone(),
            // A fallback: not the first listed pool that could ever take it.
            fallback: (self.shapes.get(shape).fit.pools.first()).is_some_and(|fp| choice > fp.rank),
        });
        let started = Started {
            pool,
            class,
            priority,
            colocated,
            first,
        };
        self.ledger.job_started(started, now);
        self.schedule_service_end(slot, now);
        self.refresh_gpus(&gpus, now, Some(slot));
        if gpus.is_empty() {
            self.cpu_only_started(slot, now);
        }
    }

    /// Time-slicing has no memory isolation: does a GPU of `gpus` now hold more memory than
    /// it has (the newcomer that overflowed it dies of OOM)?
    fn overcommitted(&self, pool: u32, gpus: &[u32]) -> bool {
        let p = &self.cluster.pools[pool as usize];
        matches!(p.kind, PoolKind::TimeSlicing { .. })
            && gpus
                .iter()
                .any(|&g| self.cluster.gpus[g as usize].mem_used > p.model.memory_gib + 1e-9)
    }

    /// A service just started ends when its run time is over, whatever its speed (a batch
    /// job's completion follows its speed: `refresh_gpus`).
    fn schedule_service_end(&mut self, slot: u32, now: SimTime) {
        let job = self.live(slot).expect("live");
        if job.batch {
            return;
        }
        let t = now + (job.work - job.done).ceil().max(0.0) as SimTime;
        let stamp = self.next_stamp();
        self.job(slot).finish_gen = stamp;
        self.q.schedule(t, Event::Finish { slot, stamp });
    }
}
