//! Admission: namespace ResourceQuotas, the jobs they hold back, and the pending queues of
//! admitted jobs waiting for a place.

use crate::sched::quota::{Admission as Verdict, Quotas};
use crate::sched::{PendingQueues, QueueKey};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Jobs held for one quota key: per amount asked, in queue order.
type HeldByAmount = BTreeMap<u32, BTreeSet<QueueKey>>;

pub(super) struct Admission {
    /// Admitted jobs waiting for a place, one queue per shape.
    pub pending: PendingQueues,
    quotas: Quotas,
    /// Kueue-like hold queues (`queue` admission): per namespace, quota key and amount asked,
    /// in queue order. A held job did not fit when it was held, and its key's usage drops
    /// only when a job of that namespace and key leaves; so only those jobs can fit then, and
    /// grouping them by amount finds the ones that do without walking the others.
    held: BTreeMap<Arc<str>, BTreeMap<Arc<str>, HeldByAmount>>,
}

impl Admission {
    pub fn new(quotas: Quotas) -> Self {
        Admission {
            pending: PendingQueues::default(),
            quotas,
            held: BTreeMap::new(),
        }
    }

    /// Asks namespace `ns`'s quota for `n` of `key` (charged if admitted).
    pub fn ask(&mut self, ns: &str, key: &str, n: u32) -> Verdict {
        self.quotas.admit(ns, key, n)
    }

    /// Usage of `key` in `ns`, if a quota limits it (its peak is reported).
    pub fn limited_usage(&self, ns: &str, key: &str) -> Option<u32> {
        self.quotas
            .limit(ns, key)
            .is_some()
            .then(|| self.quotas.used(ns, key))
    }

    /// Returns `n` of `key` to `ns`'s quota.
    pub fn release(&mut self, ns: &str, key: &str, n: u32) {
        self.quotas.release(ns, key, n);
    }

    /// Holds a job refused `n` of `key` until its namespace's usage of `key` drops (`queue`
    /// admission).
    pub fn hold(&mut self, ns: Arc<str>, key: Arc<str>, n: u32, job: QueueKey) {
        let by_n = self.held.entry(ns).or_default().entry(key).or_default();
        by_n.entry(n).or_default().insert(job);
    }

    /// Takes out the first job (in queue order) held for `key` in `ns` that fits the quota
    /// now, with the amount it asks for.
    pub fn take_fitting(&mut self, ns: &str, key: &str) -> Option<(QueueKey, u32)> {
        let by_key = self.held.get_mut(ns)?;
        let by_n = by_key.get_mut(key)?;
        let limit = self.quotas.limit(ns, key).unwrap_or(u32::MAX);
        let used = self.quotas.used(ns, key);
        // The amounts that fit are the smallest ones; of their queues, the earliest head.
        let (&n, _) = (by_n.iter())
            .take_while(|&(&n, _)| used.checked_add(n).is_some_and(|total| total <= limit))
            .filter_map(|(n, q)| Some((n, q.first()?)))
            .min_by_key(|&(_, head)| *head)?;
        let q = by_n.get_mut(&n).expect("amount held");
        let job = q.pop_first().expect("head");
        if q.is_empty() {
            by_n.remove(&n);
            if by_n.is_empty() {
                by_key.remove(key);
            }
        }
        Some((job, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NS: &str = "ml";
    const KEYS: [&str; 2] = ["requests.nvidia.com/gpu", "requests.nvidia.com/gpu.shared"];

    proptest! {
        /// Against the walk the simulation made before (every job held for the namespace, in
        /// queue order, admitted if it fits, charging as it goes): jobs arrive (admitted, or
        /// held when they do not fit) and leave (their quota returned, then held jobs admitted)
        /// in any order; the same jobs are admitted in the same order.
        #[test]
        fn held_jobs_are_admitted_as_the_full_walk_admits_them(
            limits in (1u32..9, 1u32..9),
            ops in prop::collection::vec((any::<bool>(), 0usize..2, 1u32..5, 0u64..50), 1..120),
        ) {
            let hard = BTreeMap::from([(
                NS.to_string(),
                BTreeMap::from([
                    (KEYS[0].to_string(), limits.0),
                    (KEYS[1].to_string(), limits.1),
                ]),
            )]);
            let mut a = Admission::new(Quotas::new(hard.clone()));
            // The old walk's state: usage and one queue of (job, key, n) for the namespace.
            let mut quotas = Quotas::new(hard);
            let mut walk: BTreeSet<(QueueKey, usize, u32)> = BTreeSet::new();
            // Admitted jobs, for leaving: (key, n).
            let mut running: Vec<(usize, u32)> = Vec::new();
            for (i, (arrive, k, n, submit)) in ops.into_iter().enumerate() {
                if arrive || running.is_empty() {
                    let job = QueueKey::new((i % 3) as i32, submit, i as u64, i as u32);
                    let got = a.ask(NS, KEYS[k], n);
                    prop_assert_eq!(&got, &quotas.admit(NS, KEYS[k], n));
                    match got {
                        Verdict::Admitted => running.push((k, n)),
                        Verdict::Blocked => {
                            a.hold(NS.into(), KEYS[k].into(), n, job);
                            walk.insert((job, k, n));
                        }
                        Verdict::Never { .. } => {}
                    }
                    continue;
                }
                let (k, n) = running.swap_remove(submit as usize % running.len());
                a.release(NS, KEYS[k], n);
                quotas.release(NS, KEYS[k], n);
                let mut want = Vec::new();
                for &(job, jk, jn) in walk.clone().iter() {
                    let limit = quotas.limit(NS, KEYS[jk]).unwrap();
                    if quotas.used(NS, KEYS[jk]) + jn <= limit {
                        quotas.admit(NS, KEYS[jk], jn);
                        walk.remove(&(job, jk, jn));
                        want.push(job);
                        running.push((jk, jn));
                    }
                }
                let mut got = Vec::new();
                while let Some((job, jn)) = a.take_fitting(NS, KEYS[k]) {
                    prop_assert_eq!(a.ask(NS, KEYS[k], jn), Verdict::Admitted);
                    got.push(job);
                }
                prop_assert_eq!(got, want);
            }
        }
    }
}
