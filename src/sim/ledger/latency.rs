//! Service latency: the requests each service instance served, sampled per stretch of constant
//! conditions (docs/MODEL.md, "Service latency").

use crate::engine::rng::{StreamRng, stream};
use crate::metrics::latency::LatencyHist;
use crate::perf::latency::{Requests, Server, sample};
use crate::world::ServiceRequests;
use std::collections::BTreeMap;

/// At most this many requests are simulated per stretch; each stands for its share of the
/// stretch's expected requests.
const MAX_SAMPLED: usize = 2_000;
/// After this many stretches of one class on one pool the histogram holds at least tens of
/// thousands of samples; later stretches are sampled with at most [`LATER_SAMPLED`] requests
/// (their weight unchanged), which keeps a long run's cost in proportion to its stretches.
const FULL_STRETCHES: u32 = 64;
const LATER_SAMPLED: usize = 200;
/// Requests simulated before recording, so each stretch starts near its steady state rather
/// than from an empty queue (the instance's queue existed before its conditions changed).
const WARMUP: usize = 100;

pub(in crate::sim) struct LatencyBook {
    rng: StreamRng,
    /// Per (class, pool): the histogram and the stretches recorded in it.
    hists: BTreeMap<(u32, u32), (LatencyHist, u32)>,
}

impl LatencyBook {
    pub fn new(seed: u64) -> Self {
        LatencyBook {
            // A stream of its own: services with requests never shift any other draw.
            rng: stream(seed, "service-latency"),
            hists: BTreeMap::new(),
        }
    }

    /// A service instance of `class` on `pool` ran `dt_ms` served by `server`, its request rate
    /// scaled by `load` (the ratio of its current duty cycle to its class's).
    pub fn served(
        &mut self,
        (class, pool): (u32, u32),
        server: &Server,
        req: &ServiceRequests,
        load: f64,
        dt_ms: f64,
    ) {
        let stream = Requests {
            rate_per_ms: req.stream.rate_per_ms * load,
            ..req.stream
        };
        let expected = stream.rate_per_ms * dt_ms;
        if expected.is_nan() || expected <= 0.0 {
            return;
        }
        let (hist, stretches) = self.hists.entry((class, pool)).or_default();
        *stretches += 1;
        if server.load(&stream) >= 1.0 {
            hist.add_overloaded(expected);
            return;
        }
        let cap = if *stretches <= FULL_STRETCHES {
            MAX_SAMPLED
        } else {
            LATER_SAMPLED
        };
        let n = (expected.ceil() as usize).clamp(1, cap);
        let weight = expected / n as f64;
        sample(server, &stream, WARMUP, n, &mut self.rng, |ms| {
            hist.add(ms, weight, req.slo_ms)
        });
    }

    pub fn into_hists(self) -> BTreeMap<(u32, u32), LatencyHist> {
        self.hists.into_iter().map(|(k, (h, _))| (k, h)).collect()
    }
}
