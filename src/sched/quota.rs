//! Namespace ResourceQuotas on GPU resources.
//!
//! Usage counts what pods *request*, by the resource name they request (`requests.nvidia.com/gpu`
//! counts time-sliced replicas one each, as the device plugin advertises them), from admission
//! until the pod is gone for good, as Kubernetes counts non-terminal pods.

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Quotas {
    hard: BTreeMap<String, BTreeMap<String, u32>>,
    used: BTreeMap<String, BTreeMap<String, u32>>,
}

/// The outcome of asking for admission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// No quota applies, or it has room (usage charged).
    Admitted,
    /// Over quota now; may fit later.
    Blocked,
    /// Larger than the hard limit itself: can never be admitted.
    Never { hard: u32 },
}

impl Quotas {
    pub fn new(hard: BTreeMap<String, BTreeMap<String, u32>>) -> Self {
        Quotas {
            hard,
            used: BTreeMap::new(),
        }
    }

    pub fn limit(&self, ns: &str, resource: &str) -> Option<u32> {
        self.hard.get(ns).and_then(|h| h.get(resource)).copied()
    }

    pub fn used(&self, ns: &str, resource: &str) -> u32 {
        self.used
            .get(ns)
            .and_then(|u| u.get(resource))
            .copied()
            .unwrap_or(0)
    }

    /// Admits (and charges) `n` of `resource` in `ns` if the quota allows.
    pub fn admit(&mut self, ns: &str, resource: &str, n: u32) -> Admission {
        let Some(hard) = self.limit(ns, resource) else {
            return Admission::Admitted;
        };
        if n > hard {
            return Admission::Never { hard };
        }
        if (self.used(ns, resource).checked_add(n)).is_none_or(|total| total > hard) {
            return Admission::Blocked;
        }
        *self
            .used
            .entry(ns.to_string())
            .or_default()
            .entry(resource.to_string())
            .or_default() += n;
        Admission::Admitted
    }

    /// Returns what `admit` charged.
    pub fn release(&mut self, ns: &str, resource: &str, n: u32) {
        if self.limit(ns, resource).is_none() {
            return;
        }
        if let Some(u) = self.used.get_mut(ns).and_then(|u| u.get_mut(resource)) {
            *u = u.saturating_sub(n);
        }
    }

    pub fn namespaces(&self) -> impl Iterator<Item = (&String, &BTreeMap<String, u32>)> {
        self.hard.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_against_hard_limits() {
        let gpu = "requests.nvidia.com/gpu";
        let hard = BTreeMap::from([(
            "production".to_string(),
            BTreeMap::from([(gpu.to_string(), 10)]),
        )]);
        let mut q = Quotas::new(hard);
        // 3 + 3 + 3 = 9 replicas admitted; a fourth 3 would make 12 > 10.
        for _ in 0..3 {
            assert_eq!(q.admit("production", gpu, 3), Admission::Admitted);
        }
        assert_eq!(q.admit("production", gpu, 3), Admission::Blocked);
        assert_eq!(q.admit("production", gpu, 1), Admission::Admitted); // 10 of 10
        assert_eq!(
            q.admit("production", gpu, 11),
            Admission::Never { hard: 10 }
        );
        q.release("production", gpu, 3);
        assert_eq!(q.used("production", gpu), 7);
        assert_eq!(q.admit("production", gpu, 3), Admission::Admitted);
        // Other namespaces and resources are not limited.
        assert_eq!(q.admit("research", gpu, 100), Admission::Admitted);
        assert_eq!(
            q.admit("production", "requests.nvidia.com/mig-3g.40gb", 5),
            Admission::Admitted
        );
    }

    #[test]
    fn a_request_near_the_largest_limit_does_not_wrap() {
        let gpu = "requests.nvidia.com/gpu";
        let hard = BTreeMap::from([(
            "ns".to_string(),
            BTreeMap::from([(gpu.to_string(), u32::MAX)]),
        )]);
        let mut q = Quotas::new(hard);
        assert_eq!(q.admit("ns", gpu, 10), Admission::Admitted);
        // 10 + (2^32 - 6) is past the limit; a wrapping sum would read 4 and admit it.
        assert_eq!(q.admit("ns", gpu, u32::MAX - 5), Admission::Blocked);
        assert_eq!(q.used("ns", gpu), 10);
    }
}
