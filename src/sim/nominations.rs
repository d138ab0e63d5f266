//! The nominations in force, found by the node they hold room on.
//!
//! A search for a place asks only about the nodes it would take, so nominations are kept per
//! node; asking about every nomination for every search cost time in proportion to how many
//! preemptors wait at once (hundreds in an overloaded cluster with fallback pools). Lapsed
//! nominations are dropped when their node is next asked about, and all of them once they
//! pile up, so the memory follows the nominations in force.

/// Nominations of type `N` by pool and pool-local node, each list oldest first.
#[derive(Debug)]
pub(super) struct Nominations<N> {
    at: Vec<Vec<Vec<(u64, N)>>>,
    /// Order of nomination: the sequence number the next one gets.
    seq: u64,
    /// Nominations kept, lapsed ones included.
    len: usize,
    /// `len` right after the last sweep of lapsed nominations.
    swept: usize,
}

impl<N> Default for Nominations<N> {
    fn default() -> Self {
        Nominations {
            at: Vec::new(),
            seq: 0,
            len: 0,
            swept: 0,
        }
    }
}

/// Lapsed nominations piling up past this (and past twice those in force at the last sweep)
/// are swept.
const SWEEP_AFTER: usize = 1024;

impl<N: Clone> Nominations<N> {
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a nomination on `node` of `pool`, after every one made before it.
    pub fn push(&mut self, pool: u32, node: u32, n: N) {
        let (p, i) = (pool as usize, node as usize);
        if self.at.len() <= p {
            self.at.resize_with(p + 1, Vec::new);
        }
        if self.at[p].len() <= i {
            self.at[p].resize_with(i + 1, Vec::new);
        }
        self.at[p][i].push((self.seq, n));
        self.seq += 1;
        self.len += 1;
    }

    /// Drops the nominations `live` says have lapsed, everywhere, when lapsed ones may have
    /// piled up (amortized: a sweep follows at least as many additions as it keeps).
    pub fn sweep_if_piled(&mut self, mut live: impl FnMut(&N) -> bool) {
        if self.len < SWEEP_AFTER.max(2 * self.swept) {
            return;
        }
        self.len = 0;
        for list in self.at.iter_mut().flatten() {
            list.retain(|(_, n)| live(n));
            self.len += list.len();
        }
        self.swept = self.len;
    }

    /// The nominations on `nodes` of `pool` (each node once) that are still `live` and for
    /// which `binds` holds, into `out` (cleared first) in the order they were made. Lapsed
    /// ones found on these nodes are dropped.
    pub fn on_nodes(
        &mut self,
        pool: u32,
        nodes: &[u32],
        mut live: impl FnMut(&N) -> bool,
        mut binds: impl FnMut(&N) -> bool,
        out: &mut Vec<(u64, N)>,
    ) {
        out.clear();
        for &node in nodes {
            let Some(list) =
                (self.at.get_mut(pool as usize)).and_then(|p| p.get_mut(node as usize))
            else {
                continue;
            };
            let before = list.len();
            list.retain(|(_, n)| live(n));
            self.len -= before - list.len();
            out.extend(list.iter().filter(|(_, n)| binds(n)).cloned());
        }
        if nodes.len() > 1 {
            out.sort_by_key(|&(seq, _)| seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A nomination: (id, lapses at, priority).
    type N = (u32, u32, i32);

    proptest! {
        /// Against a plain list asked about every nomination (what the simulation did
        /// before): after any additions, sweeps and lookups, a lookup finds the same
        /// nominations in the same order.
        #[test]
        fn finds_what_a_full_list_finds(
            ops in prop::collection::vec(
                (0u32..3, 0u32..4, 0u32..50, -3i32..3, prop::collection::vec(0u32..4, 1..3)),
                1..200,
            ),
        ) {
            let mut by_node: Nominations<N> = Nominations::default();
            let mut list: Vec<(u32, u32, N)> = Vec::new();
            for (i, (pool, node, lapse, prio, ask)) in ops.into_iter().enumerate() {
                let now = i as u32 / 4;
                let live = |n: &N| n.1 > now;
                match i % 3 {
                    0 | 1 => {
                        let n = (i as u32, now + lapse, prio);
                        by_node.push(pool, node, n);
                        list.push((pool, node, n));
                    }
                    _ => {
                        let mut ask = ask;
                        ask.sort_unstable();
                        ask.dedup();
                        let binds = |n: &N| n.2 >= prio;
                        let mut got = Vec::new();
                        by_node.on_nodes(pool, &ask, live, binds, &mut got);
                        let got: Vec<N> = got.into_iter().map(|(_, n)| n).collect();
                        let want: Vec<N> = (list.iter())
                            .filter(|(p, d, n)| *p == pool && ask.contains(d) && live(n) && binds(n))
                            .map(|&(_, _, n)| n)
                            .collect();
                        prop_assert_eq!(got, want);
                    }
                }
                by_node.sweep_if_piled(live);
                prop_assert!(by_node.len >= list.iter().filter(|(_, _, n)| live(n)).count());
            }
        }
    }

    #[test]
    fn lapsed_nominations_are_swept_once_they_pile_up() {
        let mut n: Nominations<N> = Nominations::default();
        for i in 0..SWEEP_AFTER as u32 - 1 {
            n.push(0, i % 7, (i, 0, 0));
        }
        n.sweep_if_piled(|_| false);
        assert_eq!(n.len, SWEEP_AFTER - 1, "not yet piled up");
        n.push(1, 0, (5000, 0, 0));
        n.sweep_if_piled(|m| m.0 == 5000);
        let lists = n.at.iter().flatten().filter(|l| !l.is_empty()).count();
        assert_eq!(
            (n.len, n.swept, lists),
            (1, 1, 1),
            "only the live one stays"
        );
        assert!(!n.is_empty());
    }
}
