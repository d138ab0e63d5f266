//! Per namespace: what its ResourceQuota refused, held back and admitted.

use super::Ledger;

impl Ledger<'_> {
    /// Namespace `ns`'s quota admitted a job: `usage` of `key` if the quota limits it (for the
    /// peak), and how long the job was held back, if it was.
    pub fn quota_admitted(
        &mut self,
        ns: &str,
        key: &str,
        usage: Option<u32>,
        blocked_ms: Option<f64>,
    ) {
        if let Some(used) = usage {
            let st = self.namespaces.entry(ns.to_string()).or_default();
            let peak = st.peak_used.entry(key.to_string()).or_default();
            *peak = (*peak).max(used);
        }
        if let Some(ms) = blocked_ms {
            self.quota_blocked(ns.to_string(), ms);
        }
    }

    /// Namespace `ns`'s quota refused a job (`first`: its first refusal).
    pub fn quota_refused(&mut self, ns: &str, first: bool) {
        let st = self.namespaces.entry(ns.to_string()).or_default();
        st.quota_refusals += 1;
        if first {
            st.quota_blocked_jobs += 1;
        }
    }

    /// A job of `ns` spent `ms` held back by its quota.
    pub fn quota_blocked(&mut self, ns: String, ms: f64) {
        self.namespaces.entry(ns).or_default().quota_blocked_ms += ms;
    }
}
