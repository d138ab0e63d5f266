//! Wait percentiles over every submitted job: observed waits of jobs that started and
//! right-censored waits (the wait so far at the horizon) of jobs that never started.

/// Nearest-rank percentile `p` (0..=100) of `values` (sorted in place); None if empty.
pub fn percentile(values: &mut [u64], p: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    Some(values[rank.min(values.len()) - 1])
}

/// Waiting times in ms of every submitted job, kept so that percentiles are exact. Jobs that
/// started contribute their wait (zero waits only counted: on a cluster with room most jobs
/// start at once, so memory grows with the jobs that waited rather than with every job of the
/// trace). Jobs that never started contribute their wait so far at the horizon as a
/// right-censored value: their true wait is at least that.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaitSamples {
    zeros: u64,
    nonzero: Vec<u64>,
    /// Sum of the observed (started) waits, ms.
    sum: u64,
    /// Waits so far of jobs that never started (right-censored), ms.
    censored: Vec<u64>,
}

/// One wait percentile over all submitted jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitPercentile {
    /// The value, ms: exact, or a lower bound when `censored`.
    pub ms: u64,
    /// The percentile falls among jobs that never started: the true value is at least `ms`.
    pub censored: bool,
}

impl WaitSamples {
    /// A job that started after waiting `ms`.
    pub fn push(&mut self, ms: u64) {
        self.sum += ms;
        if ms == 0 {
            self.zeros += 1;
        } else {
            self.nonzero.push(ms);
        }
    }

    /// A job that never started, having waited `ms` when the run ended (right-censored).
    pub fn push_censored(&mut self, ms: u64) {
        self.censored.push(ms);
    }

    /// Sum of the observed waits (jobs that started), ms.
    pub fn sum_ms(&self) -> u64 {
        self.sum
    }

    /// Jobs that started (observed waits).
    pub fn len(&self) -> u64 {
        self.zeros + self.nonzero.len() as u64
    }

    /// Every wait of a started job in increasing order (ms): the zeros, then the others sorted.
    /// Never-started jobs are not in it (see [`WaitSamples::never_started`]).
    pub fn sorted(&self) -> Vec<u64> {
        let mut nonzero = self.nonzero.clone();
        nonzero.sort_unstable();
        let mut all = vec![0; self.zeros as usize];
        all.extend(nonzero);
        all
    }

    /// Jobs that never started (censored waits).
    pub fn never_started(&self) -> u64 {
        self.censored.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.censored.is_empty()
    }

    /// Nearest-rank percentiles `ps` (each 0..=100) of the observed waits only, the same
    /// values [`percentile`] gives on them; None if there are none.
    pub fn percentiles(&mut self, ps: &[f64]) -> Vec<Option<u64>> {
        self.nonzero.sort_unstable();
        let n = self.len();
        ps.iter()
            .map(|&p| (n > 0).then(|| self.observed_kth(rank(p, n))))
            .collect()
    }

    /// Nearest-rank percentiles `ps` (each 0..=100) over every job, a never-started job counted
    /// at its wait so far; None if there are no jobs. With n jobs the p-th percentile is the
    /// k-th smallest value, k = max(1, ceil(p/100 * n)). It is exact when at least k observed
    /// waits are at or below it (no censored job could move it), else it is a lower bound
    /// (`censored`): the censored jobs ranked below it may in truth wait longer.
    pub fn censored_percentiles(&mut self, ps: &[f64]) -> Vec<Option<WaitPercentile>> {
        self.nonzero.sort_unstable();
        self.censored.sort_unstable();
        let n = self.len() + self.never_started();
        ps.iter()
            .map(|&p| (n > 0).then(|| self.combined(rank(p, n))))
            .collect()
    }

    /// The k-th smallest (1-based) observed wait.
    fn observed_kth(&self, k: u64) -> u64 {
        if k <= self.zeros {
            0
        } else {
            self.nonzero[(k - self.zeros - 1) as usize]
        }
    }

    /// Observed waits at or below `ms`.
    fn observed_le(&self, ms: u64) -> u64 {
        self.zeros + self.nonzero.partition_point(|&x| x <= ms) as u64
    }

    /// The k-th smallest (1-based) of observed and censored waits together, and whether it is
    /// only a lower bound. Both lists must be sorted.
    fn combined(&self, k: u64) -> WaitPercentile {
        // Binary search on the number of censored values among the k smallest: take c of
        // them and k - c observed ones; the k-th value is the larger of the two last taken.
        let (n_obs, n_cen) = (self.len(), self.never_started());
        let (mut lo, mut hi) = (k.saturating_sub(n_obs), k.min(n_cen));
        // Find the smallest c such that the (c+1)-th censored value is not below the
        // (k-c)-th observed one (ties go to the observed value).
        while lo < hi {
            let c = (lo + hi) / 2;
            let next_cen = self.censored[c as usize];
            let last_obs = self.observed_kth(k - c);
            if next_cen < last_obs {
                lo = c + 1;
            } else {
                hi = c;
            }
        }
        let c = lo;
        let last_obs = (c < k).then(|| self.observed_kth(k - c));
        let last_cen = (c > 0).then(|| self.censored[(c - 1) as usize]);
        let ms = last_obs.max(last_cen).expect("k >= 1");
        WaitPercentile {
            ms,
            censored: self.observed_le(ms) < k,
        }
    }
}

/// The nearest rank of percentile `p` among `n` (> 0) values: max(1, ceil(p/100 * n)), at most n.
fn rank(p: f64, n: u64) -> u64 {
    (((p / 100.0) * n as f64).ceil().max(1.0) as u64).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nearest_rank_percentiles() {
        // 10 values 1..=10: p50 -> rank ceil(5) = 5 -> 5; p95 -> rank ceil(9.5) = 10 -> 10.
        let mut v: Vec<u64> = (1..=10).rev().collect();
        assert_eq!(percentile(&mut v, 50.0), Some(5));
        assert_eq!(percentile(&mut v, 95.0), Some(10));
        assert_eq!(percentile(&mut v, 0.0), Some(1));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    #[test]
    fn wait_samples_give_the_percentiles_of_all_samples() {
        // Zeros are counted, not stored; the percentiles match those of the full list.
        let all: Vec<u64> = vec![0, 5, 0, 0, 7, 3, 0, 9, 0, 1, 0, 0];
        let mut w = WaitSamples::default();
        for &x in &all {
            w.push(x);
        }
        assert_eq!(w.len(), 12);
        assert_eq!(w.nonzero.len(), 5);
        let ps = [0.0, 50.0, 58.0, 59.0, 75.0, 95.0, 99.0, 100.0];
        let expected: Vec<Option<u64>> = ps
            .iter()
            .map(|&p| percentile(&mut all.clone(), p))
            .collect();
        assert_eq!(w.percentiles(&ps), expected);
        assert_eq!(WaitSamples::default().percentiles(&[50.0]), vec![None]);
    }

    /// Exact and lower-bound percentiles as `(seconds, censored)`.
    fn ps(w: &mut WaitSamples, ps: &[f64]) -> Vec<(u64, bool)> {
        w.censored_percentiles(ps)
            .into_iter()
            .map(|p| p.map(|p| (p.ms / 1000, p.censored)).expect("jobs"))
            .collect()
    }

    #[test]
    fn censored_percentiles_worked_by_hand() {
        // Four jobs started after 0, 10, 20 and 30 s; two never started, having waited 40 s
        // and 20 s when the run ended (censored).
        let mut w = WaitSamples::default();
        for s in [0, 10, 20, 30] {
            w.push(s * 1000);
        }
        w.push_censored(40_000);
        w.push_censored(20_000);
        assert_eq!((w.len(), w.never_started()), (4, 2));
        // All 6 jobs in order: 0, 10, 20, 20*, 30, 40* (a tie: observed first).
        // p50: rank ceil(3) = 3 -> 20 s; observed <= 20 s: 3 >= 3, exact.
        // p60: rank ceil(3.6) = 4 -> 20* s; observed <= 20 s: 3 < 4, lower bound.
        // p75: rank ceil(4.5) = 5 -> 30 s; observed <= 30 s: 4 < 5 (the 20* job may wait
        // longer than 30 s), lower bound.
        // p95, p99: rank 6 -> 40* s, lower bound. p0: rank 1 -> 0 s, exact.
        assert_eq!(
            ps(&mut w, &[0.0, 50.0, 60.0, 75.0, 95.0, 99.0]),
            vec![
                (0, false),
                (20, false),
                (20, true),
                (30, true),
                (40, true),
                (40, true)
            ]
        );
        // The observed-only percentiles (what was reported before) ignore the two jobs: p95
        // of 0, 10, 20, 30 is 30 s, below the lower bound 40 s.
        assert_eq!(w.percentiles(&[95.0]), vec![Some(30_000)]);
    }

    #[test]
    fn only_censored_or_only_observed() {
        let mut none = WaitSamples::default();
        assert_eq!(none.censored_percentiles(&[50.0]), vec![None]);
        // Every job never started: every percentile is a lower bound; ranks of 3 values.
        let mut w = WaitSamples::default();
        for c in [5_000, 1_000, 3_000] {
            w.push_censored(c);
        }
        assert_eq!(
            ps(&mut w, &[0.0, 50.0, 100.0]),
            vec![(1, true), (3, true), (5, true)]
        );
        // No censored job: the same as the plain nearest-rank percentile, never a bound.
        let mut w = WaitSamples::default();
        for s in [0, 0, 7, 3] {
            w.push(s * 1000);
        }
        assert_eq!(ps(&mut w, &[50.0, 75.0]), vec![(0, false), (3, false)]);
    }

    /// The k-th smallest of all values by sorting them (ties: observed first) and its flag by
    /// the definition: fewer than k observed values at or below it.
    fn brute(obs: &[u64], cen: &[u64], p: f64) -> Option<(u64, bool)> {
        let mut all: Vec<(u64, bool)> = obs.iter().map(|&x| (x, false)).collect();
        all.extend(cen.iter().map(|&x| (x, true)));
        all.sort_unstable();
        if all.is_empty() {
            return None;
        }
        let k = ((p / 100.0) * all.len() as f64).ceil().max(1.0) as usize;
        let x = all[k.min(all.len()) - 1].0;
        let le = obs.iter().filter(|&&o| o <= x).count();
        Some((x, le < k.min(all.len())))
    }

    proptest! {
        #[test]
        fn censored_percentiles_match_sorting_and_bound_the_observed_ones(
            obs in proptest::collection::vec(prop_oneof![Just(0u64), 0u64..50], 0..30),
            cen in proptest::collection::vec(0u64..50, 0..30),
            p1 in 0.0f64..=100.0,
            p2 in 0.0f64..=100.0,
        ) {
            let mut w = WaitSamples::default();
            obs.iter().for_each(|&x| w.push(x));
            cen.iter().for_each(|&x| w.push_censored(x));
            let (lo, hi) = if p1 <= p2 { (p1, p2) } else { (p2, p1) };
            let got = w.censored_percentiles(&[lo, hi]);
            let as_pair = |v: Option<WaitPercentile>| v.map(|v| (v.ms, v.censored));
            prop_assert_eq!(as_pair(got[0]), brute(&obs, &cen, lo));
            prop_assert_eq!(as_pair(got[1]), brute(&obs, &cen, hi));
            // Monotone in p.
            if let (Some(a), Some(b)) = (got[0], got[1]) {
                prop_assert!(a.ms <= b.ms);
            }
            // Not below the percentile of the started jobs alone when every censored value lies
            // at or above every observed one (a job pending since before the others started):
            // leaving such jobs out can only lower a percentile. (With short censored values,
            // jobs submitted just before the horizon, it can be lower: docs/MODEL.md.)
            let max_obs = obs.iter().copied().max().unwrap_or(0);
            if cen.iter().all(|&c| c >= max_obs) {
                let plain = w.percentiles(&[lo]);
                if let (Some(c), Some(o)) = (got[0], plain[0]) {
                    prop_assert!(c.ms >= o);
                }
            }
        }

        /// Whatever the never-started jobs would in truth have waited (at least their wait so
        /// far), the true percentile is at least the figure, and equal to it when it is exact.
        #[test]
        fn a_lower_bound_bounds_and_an_exact_figure_is_exact(
            obs in proptest::collection::vec(0u64..50, 0..20),
            cen in proptest::collection::vec((0u64..50, 0u64..100), 0..20),
            p in 0.0f64..=100.0,
        ) {
            let mut w = WaitSamples::default();
            obs.iter().for_each(|&x| w.push(x));
            cen.iter().for_each(|&(c, _)| w.push_censored(c));
            let mut truth: Vec<u64> = obs.clone();
            truth.extend(cen.iter().map(|&(c, more)| c + more));
            let got = w.censored_percentiles(&[p])[0];
            let true_p = percentile(&mut truth, p);
            match (got, true_p) {
                (Some(g), Some(t)) => {
                    prop_assert!(t >= g.ms);
                    if !g.censored {
                        prop_assert_eq!(t, g.ms);
                    }
                }
                (g, t) => prop_assert_eq!(g.is_none(), t.is_none()),
            }
        }
    }
}
