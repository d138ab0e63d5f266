//! Admission: namespace ResourceQuotas, the jobs they hold back, and the pending queues of
//! admitted jobs waiting for a place.

use crate::sched::quota::{Admission as Verdict, Quotas};
use crate::sched::{PendingQueues, QueueKey};
use std::collections::{BTreeMap, BTreeSet};

pub(super) struct Admission {
    /// Admitted jobs waiting for a place, one queue per shape.
    pub pending: PendingQueues,
    quotas: Quotas,
    /// Kueue-like hold queues per namespace (`queue` admission), in queue order.
    held: BTreeMap<String, BTreeSet<QueueKey>>,
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

    /// Would `n` more of `key` fit `ns`'s quota now?
    pub fn has_room(&self, ns: &str, key: &str, n: u32) -> bool {
        let limit = self.quotas.limit(ns, key).unwrap_or(u32::MAX);
        self.quotas.used(ns, key) + n <= limit
    }

    /// Returns `n` of `key` to `ns`'s quota.
    pub fn release(&mut self, ns: &str, key: &str, n: u32) {
        self.quotas.release(ns, key, n);
    }

    /// Holds a refused job until its namespace's usage drops (`queue` admission).
    pub fn hold(&mut self, ns: String, job: QueueKey) {
        self.held.entry(ns).or_default().insert(job);
    }

    /// Jobs held for `ns`, in queue order.
    pub fn held(&self, ns: &str) -> Option<Vec<QueueKey>> {
        self.held.get(ns).map(|q| q.iter().copied().collect())
    }

    pub fn unhold(&mut self, ns: &str, job: &QueueKey) {
        self.held.get_mut(ns).expect("queue").remove(job);
    }
}
