//! CPU and host memory of nodes and pods (Kubernetes `cpu` and `memory`): what a node of a
//! pool can allocate, what its pods have requested, and kube-scheduler's NodeResourcesFit
//! check (a pod fits only where free CPU and free memory are each at least its request).
//!
//! Everything is optional: a pool without `cpu` or `memory` does not constrain that resource,
//! and a pod without a request asks for none, so scenarios that give neither run as before.

/// CPU (millicores) and host memory (bytes) one pod requests; 0 = not requested.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostNeed {
    pub cpu_milli: u64,
    pub mem_bytes: u64,
}

impl HostNeed {
    pub fn is_zero(&self) -> bool {
        self.cpu_milli == 0 && self.mem_bytes == 0
    }

    /// What `c` pods of this request ask for together (a gang's pods on one node).
    pub fn times(self, c: u32) -> HostNeed {
        HostNeed {
            cpu_milli: self.cpu_milli.saturating_mul(u64::from(c)),
            mem_bytes: self.mem_bytes.saturating_mul(u64::from(c)),
        }
    }

    /// How many pods of this request a node with `cap` holds at most by CPU and memory
    /// (`u32::MAX` when neither binds).
    pub fn pods_within(self, cap: HostCapacity) -> u32 {
        let most = |cap: Option<u64>, want: u64| match cap {
            Some(c) if want > 0 => (c / want).min(u64::from(u32::MAX)) as u32,
            _ => u32::MAX,
        };
        most(cap.cpu_milli, self.cpu_milli).min(most(cap.mem_bytes, self.mem_bytes))
    }
}

/// What one node of a pool can allocate (`None` = not constrained).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostCapacity {
    pub cpu_milli: Option<u64>,
    pub mem_bytes: Option<u64>,
}

impl HostCapacity {
    /// Does either resource have a capacity?
    pub fn constrained(&self) -> bool {
        self.cpu_milli.is_some() || self.mem_bytes.is_some()
    }

    /// Why a pod needing `need` can never fit one empty node, if it cannot.
    pub fn too_small(&self, need: HostNeed) -> Option<String> {
        if let Some(c) = self.cpu_milli
            && need.cpu_milli > c
        {
            return Some(format!(
                "requests {} CPU but nodes have {}",
                cpu_text(need.cpu_milli),
                cpu_text(c)
            ));
        }
        if let Some(m) = self.mem_bytes
            && need.mem_bytes > m
        {
            return Some(format!(
                "requests {} of memory but nodes have {}",
                mem_text(need.mem_bytes),
                mem_text(m)
            ));
        }
        None
    }
}

/// `8` cores or `500m`.
pub fn cpu_text(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

/// Memory in GiB with up to two decimals (`64GiB`, `0.5GiB`).
pub fn mem_text(bytes: u64) -> String {
    let gib = bytes as f64 / f64::from(1u32 << 30);
    let t = format!("{gib:.2}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    format!("{t}GiB")
}

/// Per node of one pool: capacity, what the pods on it requested, and which pods hold host
/// resources there (every placed pod of the pool with a request, and every pod without GPUs).
#[derive(Clone, Debug, Default)]
pub struct NodeHost {
    pub cap: HostCapacity,
    cpu_used: Vec<u64>,
    mem_used: Vec<u64>,
    pods: Vec<Vec<u32>>,
}

impl NodeHost {
    pub fn new(cap: HostCapacity, nodes: u32) -> Self {
        NodeHost {
            cap,
            cpu_used: vec![0; nodes as usize],
            mem_used: vec![0; nodes as usize],
            pods: vec![Vec::new(); nodes as usize],
        }
    }

    /// Requested (cpu millicores, memory bytes) on `node`.
    pub fn used(&self, node: u32) -> (u64, u64) {
        (self.cpu_used[node as usize], self.mem_used[node as usize])
    }

    /// NodeResourcesFit: does `need` fit the node's free CPU and memory, after `freed` (what
    /// pods gone in a what-if release) is given back?
    pub fn fits_after(&self, node: u32, need: HostNeed, freed: HostNeed) -> bool {
        let (cpu, mem) = self.used(node);
        let ok = |cap: Option<u64>, used: u64, freed: u64, want: u64| {
            cap.is_none_or(|c| want == 0 || used.saturating_sub(freed) + want <= c)
        };
        ok(self.cap.cpu_milli, cpu, freed.cpu_milli, need.cpu_milli)
            && ok(self.cap.mem_bytes, mem, freed.mem_bytes, need.mem_bytes)
    }

    pub fn fits(&self, node: u32, need: HostNeed) -> bool {
        self.fits_after(node, need, HostNeed::default())
    }

    /// Pod `job` takes `need` on `node`.
    pub fn commit(&mut self, node: u32, job: u32, need: HostNeed) {
        let n = node as usize;
        self.cpu_used[n] += need.cpu_milli;
        self.mem_used[n] += need.mem_bytes;
        self.pods[n].push(job);
    }

    /// Undoes [`commit`](Self::commit).
    pub fn release(&mut self, node: u32, job: u32, need: HostNeed) {
        let n = node as usize;
        self.cpu_used[n] = self.cpu_used[n].saturating_sub(need.cpu_milli);
        self.mem_used[n] = self.mem_used[n].saturating_sub(need.mem_bytes);
        if let Some(pos) = self.pods[n].iter().position(|&j| j == job) {
            self.pods[n].remove(pos);
        }
    }

    /// Pods holding host resources on `node`, in the order they came.
    pub fn pods(&self, node: u32) -> &[u32] {
        &self.pods[node as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_is_each_resource_against_its_free_amount() {
        // A node of 16 cores and 64 GiB with 12 cores and 40 GiB requested: free 4 cores, 24 GiB.
        let gib = 1u64 << 30;
        let mut h = NodeHost::new(
            HostCapacity {
                cpu_milli: Some(16_000),
                mem_bytes: Some(64 * gib),
            },
            2,
        );
        h.commit(
            0,
            7,
            HostNeed {
                cpu_milli: 12_000,
                mem_bytes: 40 * gib,
            },
        );
        let need = |c, m| HostNeed {
            cpu_milli: c,
            mem_bytes: m * gib,
        };
        assert!(h.fits(0, need(4_000, 24)));
        assert!(!h.fits(0, need(4_001, 1)), "4.001 cores > 4 free");
        assert!(!h.fits(0, need(1_000, 25)), "25 GiB > 24 free");
        // What if pod 7 were gone: everything free again.
        assert!(h.fits_after(0, need(16_000, 64), need(12_000, 40)));
        h.release(0, 7, need(12_000, 40));
        assert_eq!(h.used(0), (0, 0));
        assert!(h.pods(0).is_empty());
        // Unconstrained memory: only CPU counts.
        let h = NodeHost::new(
            HostCapacity {
                cpu_milli: Some(1_000),
                mem_bytes: None,
            },
            1,
        );
        assert!(h.fits(0, need(1_000, 1_000_000)));
        assert_eq!(
            h.cap.too_small(need(1_500, 0)).as_deref(),
            Some("requests 1500m CPU but nodes have 1")
        );
        assert_eq!(mem_text(3 * gib / 2), "1.5GiB");
    }
}
