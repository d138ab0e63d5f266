//! CPU and host memory of placed pods (`cluster::host`): taken on the pod's node when it
//! starts, given back when it leaves; pods without GPUs run on their node's CPUs alone.

use super::{Event, Simulation};
use crate::cluster::{Holding, HostNeed};
use crate::units::SimTime;

impl Simulation<'_> {
    /// The pod in `slot`, placed on pool-local `node` of `pool`, takes its CPU and host memory
    /// there. Pods without a request and with GPUs leave no trace (runs without CPU or memory
    /// do no extra work).
    /// A gang's pods take theirs on each node they run on (`holdings`: all its devices).
    pub(super) fn hold_host(&mut self, slot: u32, pool: u32, node: u32, holdings: &[Holding]) {
        let job = self.live(slot).expect("live");
        let cpu_only = job.devices == 0.0;
        if job.host.is_zero() && !cpu_only {
            return;
        }
        let need = job.host;
        if job.pods > 1 {
            for (n, c) in self.pods_by_node(holdings, job.pods) {
                self.cluster.pools[pool as usize]
                    .host
                    .commit(n, slot, need.times(c));
            }
        } else {
            self.cluster.pools[pool as usize]
                .host
                .commit(node, slot, need);
        }
        self.job(slot).node = Some(node);
    }

    /// Pods of a gang per pool-local node, from its devices `holdings` (every pod holds the same
    /// units), in node order.
    pub(super) fn pods_by_node(&self, holdings: &[Holding], pods: u32) -> Vec<(u32, u32)> {
        let total: u64 = holdings.iter().map(|h| u64::from(h.units)).sum();
        let per_pod = (total / u64::from(pods.max(1))).max(1);
        let mut by_node: Vec<(u32, u64)> = Vec::new();
        for h in holdings {
            let n = self.cluster.gpus[h.gpu as usize].node;
            match by_node.iter_mut().find(|(m, _)| *m == n) {
                Some(e) => e.1 += u64::from(h.units),
                None => by_node.push((n, u64::from(h.units))),
            }
        }
        by_node.sort_unstable();
        (by_node.into_iter())
            .map(|(n, u)| (n, (u / per_pod) as u32))
            .collect()
    }

    /// CPU and host memory the placed job in `slot` holds on pool-local `node` (a gang: its
    /// pods there).
    pub(super) fn host_on_node(&self, slot: u32, node: u32) -> HostNeed {
        let j = self.live(slot).expect("host pod is live");
        if j.pods <= 1 {
            return j.host;
        }
        let c = (self.pods_by_node(&j.holdings, j.pods).into_iter())
            .find(|&(n, _)| n == node)
            .map_or(0, |(_, c)| c);
        j.host.times(c)
    }

    /// Undoes [`hold_host`](Self::hold_host) when the pod leaves (`holdings`: the devices it
    /// held); the node stays in the job for its record.
    pub(super) fn free_host(&mut self, slot: u32, pool: u32, holdings: &[Holding]) {
        let job = self.live(slot).expect("live");
        let (Some(node), need, cpu_only) = (job.node, job.host, job.devices == 0.0) else {
            return;
        };
        if job.pods > 1 {
            for (n, c) in self.pods_by_node(holdings, job.pods) {
                let host = &mut self.cluster.pools[pool as usize].host;
                if host.pods(n).contains(&slot) {
                    host.release(n, slot, need.times(c));
                }
            }
            return;
        }
        let host = &mut self.cluster.pools[pool as usize].host;
        if host.pods(node).contains(&slot) {
            host.release(node, slot, need);
            if cpu_only {
                // Nothing on a GPU changed: preemption's memory of this node must still learn.
                self.preempt_memo.touched(pool, node);
            }
        }
    }

    /// A pod without GPUs just started: a batch job progresses at one work-second per second
    /// (its work is its run time), a service runs for its duration (already scheduled).
    pub(super) fn cpu_only_started(&mut self, slot: u32, now: SimTime) {
        let stamp = self.next_stamp();
        let job = self.job(slot);
        if !job.batch {
            return;
        }
        job.speed = 1.0;
        job.finish_gen = stamp;
        let left = (job.work - job.done).max(0.0).ceil() as SimTime;
        self.q.schedule(now + left, Event::Finish { slot, stamp });
    }

    /// CPU and host memory the running pods `evicted` hold on pool-local `node`.
    pub(super) fn host_freed(&self, pool: u32, node: u32, evicted: &[u32]) -> HostNeed {
        let on_node = self.cluster.pools[pool as usize].host.pods(node);
        let mut freed = HostNeed::default();
        for &v in evicted.iter().filter(|v| on_node.contains(v)) {
            let h = self.host_on_node(v, node);
            freed.cpu_milli += h.cpu_milli;
            freed.mem_bytes += h.mem_bytes;
        }
        freed
    }
}

impl Simulation<'_> {
    /// Checked invariants (`RunOptions::check_invariants`): no node holds more CPU or memory
    /// than it can allocate, and what it holds is the sum of its pods' requests.
    pub(super) fn assert_host_invariants(&self) {
        for (pi, p) in self.cluster.pools.iter().enumerate() {
            for node in 0..p.node_count {
                let (cpu, mem) = p.host.used(node);
                let (mut c, mut m) = (0u64, 0u64);
                for &slot in p.host.pods(node) {
                    let j = self.live(slot).expect("host pod is live");
                    assert!(
                        j.is_placed() && j.pool == pi as u32,
                        "pool {} node {node}",
                        p.name
                    );
                    let h = self.host_on_node(slot, node);
                    c += h.cpu_milli;
                    m += h.mem_bytes;
                }
                assert_eq!((c, m), (cpu, mem), "pool {} node {node}: requests", p.name);
                let cap = p.host.cap;
                assert!(
                    cap.cpu_milli.is_none_or(|x| cpu <= x),
                    "pool {} node {node}: cpu",
                    p.name
                );
                assert!(
                    cap.mem_bytes.is_none_or(|x| mem <= x),
                    "pool {} node {node}: memory",
                    p.name
                );
            }
        }
    }
}
