//! Request latencies of services, kept as a weighted log-spaced histogram per class and pool.
//!
//! Each simulated request carries a weight (the number of real requests it stands for), so a
//! long segment can be sampled without losing its share of the total. Requests that arrive
//! while the instance is overloaded (load ≥ 1: the queue grows without bound) are counted
//! apart as `overloaded` and sit above every finite latency: a percentile that falls among
//! them has no finite value (reported as absent), never a hidden one.

use serde::Serialize;

/// Bucket `i` holds latencies in `[LOW_MS * GROWTH^i, LOW_MS * GROWTH^(i+1))`.
const LOW_MS: f64 = 1e-3;
const GROWTH: f64 = 1.01;
/// 1 µs to about 10^8 ms (28 h) at 1 % resolution.
const BUCKETS: usize = 2550;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatencyHist {
    /// Weight per bucket; empty until the first request.
    buckets: Vec<f64>,
    /// Requests with a finite latency, and their latency sum (for the mean).
    pub served: f64,
    pub sum_ms: f64,
    /// Requests above the SLO (finite ones) and requests met by an overloaded instance.
    pub over_slo: f64,
    pub overloaded: f64,
}

fn bucket(ms: f64) -> usize {
    if ms <= LOW_MS {
        return 0;
    }
    ((ms / LOW_MS).ln() / GROWTH.ln())
        .floor()
        .min((BUCKETS - 1) as f64) as usize
}

/// Geometric middle of bucket `i`: within 0.5 % of any latency in it.
fn middle(i: usize) -> f64 {
    LOW_MS * GROWTH.powf(i as f64 + 0.5)
}

impl LatencyHist {
    /// One request of latency `ms` standing for `weight` requests; `slo_ms` is its class's SLO.
    pub fn add(&mut self, ms: f64, weight: f64, slo_ms: f64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0.0; BUCKETS];
        }
        self.buckets[bucket(ms)] += weight;
        self.served += weight;
        self.sum_ms += ms * weight;
        if ms > slo_ms {
            self.over_slo += weight;
        }
    }

    /// `weight` requests that met an overloaded instance.
    pub fn add_overloaded(&mut self, weight: f64) {
        self.overloaded += weight;
    }

    pub fn merge(&mut self, other: &LatencyHist) {
        if !other.buckets.is_empty() {
            if self.buckets.is_empty() {
                self.buckets = vec![0.0; BUCKETS];
            }
            for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
                *a += b;
            }
        }
        self.served += other.served;
        self.sum_ms += other.sum_ms;
        self.over_slo += other.over_slo;
        self.overloaded += other.overloaded;
    }

    pub fn requests(&self) -> f64 {
        self.served + self.overloaded
    }

    /// The `p` quantile (0 < p ≤ 1) over all requests, overloaded ones counted as longer than
    /// any finite latency; None when it falls among those (or there are no requests).
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let total = self.requests();
        if total <= 0.0 {
            return None;
        }
        let want = p * total;
        let mut seen = 0.0;
        for (i, w) in self.buckets.iter().enumerate() {
            seen += w;
            if *w > 0.0 && seen >= want * (1.0 - 1e-12) {
                return Some(middle(i));
            }
        }
        None
    }

    pub fn stats(&self, slo_ms: f64) -> LatencyStats {
        let total = self.requests();
        LatencyStats {
            requests: total,
            mean_ms: (self.served > 0.0).then(|| self.sum_ms / self.served),
            p50_ms: self.quantile(0.5),
            p95_ms: self.quantile(0.95),
            p99_ms: self.quantile(0.99),
            slo_ms,
            slo_miss: (total > 0.0).then(|| (self.over_slo + self.overloaded) / total),
            overloaded: (total > 0.0).then(|| self.overloaded / total),
        }
    }
}

/// Latency figures of one service class on one pool (or on all its pools).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyStats {
    /// Requests the run stands for (arrival rate times time served).
    pub requests: f64,
    /// Mean over requests with a finite latency.
    pub mean_ms: Option<f64>,
    /// Percentiles over all requests; absent when they fall among overloaded requests.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub slo_ms: f64,
    /// Fraction of requests above the SLO, overloaded ones included.
    pub slo_miss: Option<f64>,
    /// Fraction of requests that met an overloaded instance (load ≥ 1).
    pub overloaded: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_half_a_percent_of_the_values() {
        let mut h = LatencyHist::default();
        // 1..=100 ms, one request each: p50 = 50, p95 = 95, p99 = 99.
        for ms in 1..=100 {
            h.add(f64::from(ms), 1.0, 90.0);
        }
        for (p, want) in [(0.5, 50.0), (0.95, 95.0), (0.99, 99.0)] {
            let got = h.quantile(p).unwrap();
            assert!((got / want - 1.0).abs() < 0.006, "p{p}: {got} vs {want}");
        }
        let s = h.stats(90.0);
        assert_eq!(s.requests, 100.0);
        assert_eq!(s.mean_ms, Some(50.5));
        // 91..=100 are above 90 ms.
        assert_eq!(s.slo_miss, Some(0.1));
        assert_eq!(s.overloaded, Some(0.0));
    }

    #[test]
    fn weights_count_as_that_many_requests() {
        let mut h = LatencyHist::default();
        h.add(10.0, 9.0, 100.0);
        h.add(1000.0, 1.0, 100.0);
        // 90 % of the weight at 10 ms: the median is 10 ms, p95 is 1000 ms.
        assert!((h.quantile(0.5).unwrap() / 10.0 - 1.0).abs() < 0.006);
        assert!((h.quantile(0.95).unwrap() / 1000.0 - 1.0).abs() < 0.006);
        assert_eq!(h.stats(100.0).slo_miss, Some(0.1));
    }

    #[test]
    fn overloaded_requests_are_never_hidden() {
        let mut h = LatencyHist::default();
        h.add(5.0, 96.0, 50.0);
        h.add_overloaded(4.0);
        let s = h.stats(50.0);
        assert_eq!(s.requests, 100.0);
        // p95 is among the finite ones, p99 among the overloaded: no finite value.
        assert!(s.p95_ms.is_some());
        assert_eq!(s.p99_ms, None);
        assert_eq!(s.slo_miss, Some(0.04));
        assert_eq!(s.overloaded, Some(0.04));
        // The mean covers finite latencies only, and says so in its doc.
        assert_eq!(s.mean_ms, Some(5.0));
    }

    #[test]
    fn merging_adds_the_requests() {
        let mut a = LatencyHist::default();
        a.add(1.0, 1.0, 2.0);
        let mut b = LatencyHist::default();
        b.add(3.0, 1.0, 2.0);
        b.add_overloaded(2.0);
        a.merge(&b);
        assert_eq!(a.requests(), 4.0);
        assert_eq!(a.over_slo, 1.0);
        assert_eq!(a.stats(2.0).slo_miss, Some(0.75));
    }

    #[test]
    fn an_empty_histogram_has_no_figures() {
        let s = LatencyHist::default().stats(10.0);
        assert_eq!(s.requests, 0.0);
        assert_eq!((s.p50_ms, s.mean_ms, s.slo_miss), (None, None, None));
    }
}
