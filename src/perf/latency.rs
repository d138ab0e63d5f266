//! Request latency of a service instance: a single FCFS queue whose server follows the sharing
//! mode of the GPU the instance runs on (docs/MODEL.md, "Service latency").
//!
//! - [`Server::Dedicated`]: exclusive GPU, MIG instance or fractional share; the instance serves
//!   one request at a time at a constant speed (an M/G/1 queue).
//! - [`Server::TimeSliced`]: the GPU runs round-robin time slices of `slice_ms` among the
//!   contexts that have work. While this instance has requests queued it holds the GPU for one
//!   slice, then every other context that has work at its turn holds it for a slice, then this
//!   instance again. A request therefore waits for its own queue and for the other contexts'
//!   slices, which is what makes time-slicing latency unpredictable.
//!
//! The queue is simulated request by request ([`sample`]); the closed forms it must reproduce
//! (M/D/1, M/M/1, a saturated round robin) are in the tests.

use rand::{Rng, RngExt};

/// How the GPU serves this instance's requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Server {
    /// One request at a time at `speed` reference work-ms per ms.
    Dedicated { speed: f64 },
    /// Round-robin time slicing: `speed` while this context holds the GPU (the context-switch
    /// overhead already taken off), slices of `slice_ms`, and `others` other contexts on the
    /// GPU, each with work at its turn with probability `busy`.
    TimeSliced {
        speed: f64,
        slice_ms: f64,
        others: u32,
        busy: f64,
    },
}

/// How long one request needs, on the reference GPU alone.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    Default,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WorkDist {
    /// Every request needs exactly the mean work (M/D/1 on a dedicated server).
    Fixed,
    /// Exponentially distributed work (M/M/1 on a dedicated server).
    #[default]
    Exponential,
}

/// The request stream of one service instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Requests {
    /// Poisson arrival rate, requests per ms.
    pub rate_per_ms: f64,
    /// Mean work per request, reference GPU-ms.
    pub work_ms: f64,
    pub dist: WorkDist,
}

impl Server {
    /// Long-run fraction of the instance's service capacity the requests need; at 1 or more
    /// the queue grows without bound.
    pub fn load(&self, req: &Requests) -> f64 {
        let demand = req.rate_per_ms * req.work_ms;
        match *self {
            Server::Dedicated { speed } => demand / speed,
            Server::TimeSliced {
                speed,
                others,
                busy,
                ..
            } => {
                // Backlogged, the instance holds one slice in every 1 + others*busy slices.
                demand / speed * (1.0 + f64::from(others) * busy)
            }
        }
    }
}

/// Draws one exponential variate with the given mean.
fn exp(rng: &mut impl Rng, mean: f64) -> f64 {
    // 1 - U is in (0, 1], so the logarithm is finite.
    let u: f64 = rng.random();
    -mean * (1.0 - u).ln()
}

/// Time the other contexts hold the GPU before this instance's next turn, when it has just
/// finished a slice: each of the `others` takes a slice if it has work.
fn others_round(rng: &mut impl Rng, slice_ms: f64, others: u32, busy: f64) -> f64 {
    let mut t = 0.0;
    for _ in 0..others {
        if rng.random::<f64>() < busy {
            t += slice_ms;
        }
    }
    t
}

/// Wait before the first slice of a request that arrives when this instance is idle: if some
/// other context holds the GPU (probability `1 - (1 - busy)^others`), the rest of its slice
/// (uniform) and the slices of the contexts between it and this one in the round (their number
/// uniform over 0..others-1, each present with probability `busy`).
fn idle_wait(rng: &mut impl Rng, slice_ms: f64, others: u32, busy: f64) -> f64 {
    if others == 0 {
        return 0.0;
    }
    let some_busy = 1.0 - (1.0 - busy).powi(others as i32);
    if rng.random::<f64>() >= some_busy {
        return 0.0;
    }
    let residual = rng.random::<f64>() * slice_ms;
    let ahead = rng.random_range(0..others);
    residual + others_round(rng, slice_ms, ahead, busy)
}

/// Simulates `warmup + n` requests arriving to an empty instance and calls `record(latency_ms)`
/// for the last `n` (arrival to completion). The first `warmup` bring the queue near its
/// steady state before anything is recorded.
pub fn sample(
    server: &Server,
    req: &Requests,
    warmup: usize,
    n: usize,
    rng: &mut impl Rng,
    mut record: impl FnMut(f64),
) {
    let mean_gap = 1.0 / req.rate_per_ms;
    let mut now = 0.0_f64;
    // When the instance finishes the requests it holds, and what is left of its slice then.
    let mut free_at = 0.0_f64;
    let mut slice_left = 0.0_f64;
    for i in 0..warmup + n {
        now += exp(rng, mean_gap);
        let work = match req.dist {
            WorkDist::Fixed => req.work_ms,
            WorkDist::Exponential => exp(rng, req.work_ms),
        };
        let done = match *server {
            Server::Dedicated { speed } => now.max(free_at) + work / speed,
            Server::TimeSliced {
                speed,
                slice_ms,
                others,
                busy,
            } => {
                let mut t;
                if now >= free_at {
                    // Idle: the GPU moved on when the queue emptied; wait for a fresh turn.
                    t = now + idle_wait(rng, slice_ms, others, busy);
                    slice_left = slice_ms;
                } else {
                    t = free_at;
                }
                let mut need = work / speed;
                while need > slice_left {
                    need -= slice_left;
                    t += slice_left + others_round(rng, slice_ms, others, busy);
                    slice_left = slice_ms;
                }
                slice_left -= need;
                t + need
            }
        };
        free_at = done;
        if i >= warmup {
            record(done - now);
        }
    }
}

#[cfg(test)]
mod tests;
