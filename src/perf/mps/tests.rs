use super::*;
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn client(u: f64, d: f64, b: f64) -> MpsClient {
    MpsClient { s: 1.0, u, d, b }
}

#[test]
fn compute_bound_clients_get_one_nth_of_the_sms_without_overhead() {
    // N = 2, two clients u = 1, d = 1, b = 0: σ = max(1, 1 · 2) = 2, W = 0 + 1 · 2 = 2,
    // x = 1 / 2 = 0.5 each (time-slicing: capacity 1 − 0.02 = 0.98, 0.49 each).
    let mut out = Vec::new();
    mps_gpu(2, &[client(1.0, 1.0, 0.0); 2], &mut out);
    assert!(close(out[0].speed, 0.5) && close(out[1].speed, 0.5));
    assert!(close(out[0].kernel, 1.0));
    assert!(close(out[0].sm, 0.5));
}

#[test]
fn small_kernels_run_at_full_speed_side_by_side() {
    // N = 4, d = 0.2 ≤ 1/4: σ = max(1, 0.8) = 1, x = s whatever the other clients do.
    let mut out = Vec::new();
    mps_gpu(4, &[client(0.9, 0.2, 0.0); 4], &mut out);
    for r in &out {
        assert!(close(r.speed, 1.0));
        assert!(close(r.kernel, 0.9));
    }
    // Busy: 1 − (1 − 0.9)^4 = 0.9999.
    assert!((mps_busy(out.iter().map(|r| r.kernel)) - 0.9999).abs() < 1e-12);
}

#[test]
fn only_the_kernel_part_stretches() {
    // N = 4, u = 0.6, d = 0.5: σ = 2, W = 0.4 + 1.2 = 1.6, x = 0.625.
    let mut out = Vec::new();
    mps_gpu(4, &[client(0.6, 0.5, 0.0)], &mut out);
    assert!(close(out[0].speed, 0.625));
    // Kernel fraction 1.2 / 1.6 = 0.75.
    assert!(close(out[0].kernel, 0.75));
}

#[test]
fn bandwidth_is_shared_among_the_clients() {
    // N = 2, two clients u = 1, d = 0.4, b = 0.8: σ = max(1, 0.8) = 1, W = 1,
    // a = 0.8 each, 1.6 > 1: water-fill gives 0.5 each, throttle 0.5 / 0.8 = 0.625,
    // x = 0.625 each.
    let mut out = Vec::new();
    mps_gpu(2, &[client(1.0, 0.4, 0.8); 2], &mut out);
    assert!(close(out[0].speed, 0.625) && close(out[1].speed, 0.625));
    assert!(close(out[0].bandwidth, 0.5));
    // A light neighbour (u 0.5, b 0.2: a = 0.1) is served in full; the heavy one
    // (a = 0.8) gets 0.9 ≥ 0.8: nobody throttled.
    mps_gpu(2, &[client(1.0, 0.4, 0.8), client(0.5, 0.4, 0.2)], &mut out);
    assert!(close(out[0].speed, 1.0) && close(out[1].speed, 1.0));
}

#[test]
fn server_speed_for_requests() {
    // d = 0.6 on N = 4: σ = 2.4, s = 2: 2 / 2.4 = 0.8333.., unthrottled.
    assert!(close(mps_server_speed(2.0, 0.6, 4, 1.0), 2.0 / 2.4));
    assert!(close(mps_server_speed(1.0, 0.1, 4, 0.5), 0.5));
}

proptest! {
    #[test]
    fn no_client_beats_its_sm_share_and_bandwidth_is_conserved(
        n in 2u32..=48,
        traits in prop::collection::vec((0.01f64..=1.0, 0.01f64..=1.0, 0.0f64..=1.0, 0.5f64..=3.0), 1..8),
    ) {
        let clients: Vec<MpsClient> = traits
            .iter()
            .take(n as usize)
            .map(|&(u, d, b, s)| MpsClient { s, u, d, b })
            .collect();
        let mut out = Vec::new();
        mps_gpu(n, &clients, &mut out);
        prop_assert_eq!(out.len(), clients.len());
        let mut bw = 0.0;
        for (c, r) in clients.iter().zip(&out) {
            // Never faster than alone on the whole GPU, nor than with 1/N of its SMs alone.
            let sm_only = c.s / ((1.0 - c.u) + c.u * (c.d * f64::from(n)).max(1.0));
            prop_assert!(r.speed <= c.s * (1.0 + 1e-12));
            prop_assert!(r.speed <= sm_only * (1.0 + 1e-12));
            prop_assert!(r.speed > 0.0);
            prop_assert!((0.0..=1.0).contains(&r.kernel));
            prop_assert!(r.sm <= 1.0 / f64::from(n) + 1e-12);
            bw += r.bandwidth;
        }
        // The clients never get more bandwidth than the GPU has, nor SMs.
        prop_assert!(bw <= 1.0 + 1e-9);
        prop_assert!(out.iter().map(|r| r.sm).sum::<f64>() <= 1.0 + 1e-9);
        // A client that is not bandwidth-bound (b = 0) runs at its SM-only speed.
        for (c, r) in clients.iter().zip(&out) {
            if c.b == 0.0 {
                let sm_only = c.s / ((1.0 - c.u) + c.u * (c.d * f64::from(n)).max(1.0));
                prop_assert!((r.speed - sm_only).abs() <= 1e-12 * sm_only.max(1.0));
            }
        }
    }
}
