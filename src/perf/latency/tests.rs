//! The latency sampler against closed forms of queueing theory and against an explicit
//! slice-by-slice simulation of one time-sliced GPU.

use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A seeded generator (perf depends on no other module of the crate, so not engine::rng).
fn stream(seed: u64, name: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ name.len() as u64)
}

/// Latencies of `n` requests after a 10,000-request warm-up.
fn latencies(server: Server, req: Requests, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = stream(seed, "latency-test");
    let mut v = Vec::with_capacity(n);
    sample(&server, &req, 10_000, n, &mut rng, |x| v.push(x));
    v
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn quantile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}

fn close(got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want,
        "got {got}, want {want} within {rel}"
    );
}

fn req(rate_per_s: f64, work_ms: f64, dist: WorkDist) -> Requests {
    Requests {
        rate_per_ms: rate_per_s / 1000.0,
        work_ms,
        dist,
    }
}

#[test]
fn dedicated_fixed_work_is_md1() {
    // M/D/1, lambda = 50/s, S = 10 ms: rho = 0.5, Pollaczek-Khinchine mean wait
    // rho*S / (2(1 - rho)) = 5 ms, so the mean response is 15 ms.
    let v = latencies(
        Server::Dedicated { speed: 1.0 },
        req(50.0, 10.0, WorkDist::Fixed),
        100_000,
        1,
    );
    close(mean(&v), 15.0, 0.02);
    // Nobody is served faster than the work itself.
    assert!(v.iter().all(|&x| x >= 10.0 - 1e-9));
}

#[test]
fn dedicated_exponential_work_is_mm1() {
    // M/M/1, lambda = 50/s, mean S = 10 ms: the response time is exponential with rate
    // mu - lambda = 0.1 - 0.05 = 0.05 per ms: mean 20 ms, p95 = ln(20)/0.05 = 59.9 ms,
    // p50 = ln(2)/0.05 = 13.9 ms.
    let v = latencies(
        Server::Dedicated { speed: 1.0 },
        req(50.0, 10.0, WorkDist::Exponential),
        100_000,
        2,
    );
    close(mean(&v), 20.0, 0.03);
    close(quantile(&v, 0.95), 20f64.ln() / 0.05, 0.03);
    close(quantile(&v, 0.5), 2f64.ln() / 0.05, 0.03);
}

#[test]
fn a_slower_server_is_the_same_queue_with_longer_service() {
    // Speed 0.5 (e.g. a MIG slice with half the SMs for a fully parallel kernel): S = 20 ms;
    // at 25/s rho = 0.5 again, mean wait 0.5*20/(2*0.5) = 10 ms, response 30 ms.
    let v = latencies(
        Server::Dedicated { speed: 0.5 },
        req(25.0, 10.0, WorkDist::Fixed),
        100_000,
        3,
    );
    close(mean(&v), 30.0, 0.02);
}

#[test]
fn time_slicing_alone_on_a_gpu_is_a_dedicated_gpu() {
    // No other context: no slice is ever given away, and no random draw is spent on one, so
    // the two servers see the same arrivals and give the same latencies (up to the rounding
    // of adding a request's work slice by slice).
    let r = req(40.0, 12.0, WorkDist::Exponential);
    let a = latencies(Server::Dedicated { speed: 0.8 }, r, 50_000, 4);
    let b = latencies(
        Server::TimeSliced {
            speed: 0.8,
            slice_ms: 2.0,
            others: 0,
            busy: 1.0,
        },
        r,
        50_000,
        4,
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-6 * x, "{x} vs {y}");
    }
}

#[test]
fn fine_slices_among_saturated_contexts_divide_the_gpu_evenly() {
    // Two always-busy co-tenants and slices much shorter than a request: the instance gets
    // one slice in three, a server of speed 1/3 (processor sharing between contexts). Exactly,
    // a 10 ms request takes 100 slices of 0.1 ms with two foreign slices between each pair:
    // S = 10 + 99 * 0.2 = 29.8 ms. M/D/1 at 10/s: rho = 0.298, mean wait
    // rho*S/(2(1-rho)) = 6.33 ms, response 36.1 ms (plus at most 0.2 ms waiting for the
    // first slice).
    let s = Server::TimeSliced {
        speed: 1.0,
        slice_ms: 0.1,
        others: 2,
        busy: 1.0,
    };
    let r = req(10.0, 10.0, WorkDist::Fixed);
    close(s.load(&r), 0.3, 1e-12);
    let v = latencies(s, r, 30_000, 5);
    let (svc, rho) = (29.8, 0.298);
    close(mean(&v), svc + rho * svc / (2.0 * (1.0 - rho)), 0.03);
}

#[test]
fn a_short_request_waits_for_the_slice_in_progress() {
    // One saturated co-tenant, 20 ms slices, 1 ms requests at a very low rate: every request
    // finds the other context mid-slice and waits for its rest, uniform on [0, 20) ms: the
    // latency is 1 ms plus U(0, 20): mean 11 ms, p99 = 1 + 19.8 = 20.8 ms. On a dedicated GPU
    // it would be 1 ms flat: this is the unpredictability MIG removes.
    let v = latencies(
        Server::TimeSliced {
            speed: 1.0,
            slice_ms: 20.0,
            others: 1,
            busy: 1.0,
        },
        req(0.01, 1.0, WorkDist::Fixed),
        100_000,
        6,
    );
    close(mean(&v), 11.0, 0.01);
    close(quantile(&v, 0.99), 20.8, 0.01);
    assert!(v.iter().all(|&x| (1.0..=21.0 + 1e-9).contains(&x)));
}

#[test]
fn load_is_demand_over_the_capacity_the_instance_gets() {
    let r = req(50.0, 10.0, WorkDist::Exponential); // 0.5 GPU-ms per ms
    assert_eq!(Server::Dedicated { speed: 1.0 }.load(&r), 0.5);
    assert_eq!(Server::Dedicated { speed: 0.25 }.load(&r), 2.0);
    // Three co-tenants with work at half their turns: one slice in 1 + 3*0.5 = 2.5.
    let ts = Server::TimeSliced {
        speed: 1.0,
        slice_ms: 2.0,
        others: 3,
        busy: 0.5,
    };
    close(ts.load(&r), 1.25, 1e-12);
}

/// Reference: the GPU simulated slice by slice. Contexts 1..=others always have work; context
/// 0 is the instance. The GPU visits contexts in order 0, 1, ..., others, 0, ...; a visit to
/// context 0 with no request queued takes no time. Requests are FCFS within context 0.
fn explicit_round_robin(
    slice_ms: f64,
    others: u32,
    req: Requests,
    n: usize,
    seed: u64,
) -> Vec<f64> {
    let mut rng = stream(seed, "explicit-gpu");
    let mut arrivals = Vec::with_capacity(n);
    let mut works = Vec::with_capacity(n);
    let mut t = 0.0;
    for _ in 0..n {
        t += exp(&mut rng, 1.0 / req.rate_per_ms);
        arrivals.push(t);
        works.push(match req.dist {
            WorkDist::Fixed => req.work_ms,
            WorkDist::Exponential => exp(&mut rng, req.work_ms),
        });
    }
    // The round starts at a random phase so the first arrival does not meet a fresh round.
    let mut clock = -rng.random::<f64>() * slice_ms * f64::from(others + 1);
    let mut next = 0usize; // first request not finished
    let mut left = works.first().copied().unwrap_or(0.0);
    let mut out = Vec::with_capacity(n);
    while next < n {
        // Context 0's turn: serve queued requests for up to one slice.
        let mut budget = slice_ms;
        while next < n && arrivals[next] <= clock && budget > 0.0 {
            let used = left.min(budget);
            clock += used;
            budget -= used;
            left -= used;
            if left <= 1e-12 {
                out.push(clock - arrivals[next]);
                next += 1;
                left = works.get(next).copied().unwrap_or(0.0);
            }
        }
        // The other contexts' turns.
        clock += slice_ms * f64::from(others);
    }
    out
}

#[test]
fn sampler_matches_a_slice_by_slice_gpu() {
    // Three saturated co-tenants, 2 ms slices, 5 ms exponential requests at 20/s (load
    // 0.1 * 4 = 0.4): the sampler's shortcut for a request arriving to an idle instance
    // (the rest of the current slice plus a uniform number of foreign slices) must give the
    // distribution the explicit round robin gives.
    let r = req(20.0, 5.0, WorkDist::Exponential);
    let n = 100_000;
    let reference = explicit_round_robin(2.0, 3, r, n, 7);
    let sampled = latencies(
        Server::TimeSliced {
            speed: 1.0,
            slice_ms: 2.0,
            others: 3,
            busy: 1.0,
        },
        r,
        n,
        8,
    );
    for p in [0.5, 0.95, 0.99] {
        close(quantile(&sampled, p), quantile(&reference, p), 0.04);
    }
    close(mean(&sampled), mean(&reference), 0.03);
}
