//! CPU and host memory of placed pods (`cluster::host`): taken on the pod's node when it
//! starts, given back when it leaves; pods without GPUs run on their node's CPUs alone.

use super::{Event, Simulation};
use crate::units::SimTime;

impl Simulation<'_> {
    /// The pod in `slot`, placed on pool-local `node` of `pool`, takes its CPU and host memory
    /// there. Pods without a request and with GPUs leave no trace (runs without CPU or memory
    /// do no extra work).
    pub(super) fn hold_host(&mut self, slot: u32, pool: u32, node: u32) {
        let job = self.live(slot).expect("live");
        let cpu_only = job.devices == 0.0;
        if job.host.is_zero() && !cpu_only {
            return;
        }
        let need = job.host;
        self.cluster.pools[pool as usize]
            .host
            .commit(node, slot, need);
        self.job(slot).node = Some(node);
    }

    /// Undoes [`hold_host`](Self::hold_host) when the pod leaves; the node stays in the job for
    /// its record.
    pub(super) fn free_host(&mut self, slot: u32, pool: u32) {
        let job = self.live(slot).expect("live");
        let (Some(node), need, cpu_only) = (job.node, job.host, job.devices == 0.0) else {
            return;
        };
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
                    c += j.host.cpu_milli;
                    m += j.host.mem_bytes;
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
