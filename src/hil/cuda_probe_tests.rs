//! Tests of `cuda_probe.rs` (a child module of it, so they reach its private items).

use super::*;

#[test]
fn embedded_ptx_is_old_enough_and_matches_the_launch() {
    // ISA <= 7.0 (CUDA 11.0, drivers from R450), a target every supported GPU JIT-compiles
    // from, the entry point the probe loads, and its two parameters (float*, unsigned int).
    let version: f64 = PTX
        .lines()
        .find_map(|l| l.trim().strip_prefix(".version "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(version <= 7.0, "{version}");
    assert!(PTX.contains(".target sm_52"));
    assert!(PTX.contains(".visible .entry slicesim_spin("));
    assert_eq!(PTX.matches(".param ").count(), 2);
    assert!(PTX.contains(".param .u64 slicesim_spin_out"));
    assert!(PTX.contains(".param .u32 slicesim_spin_iters"));
    // Every label branched to is defined once.
    for label in ["LOOP", "DONE"] {
        assert_eq!(PTX.matches(&format!("\n{label}:")).count(), 1, "{label}");
    }
}

#[test]
fn probe_without_cuda_fails_cleanly_or_runs() {
    // On a host without the CUDA driver (CI) this is the clean "CUDA not available" error
    // with exit code 3; on a GPU host it runs briefly and reports a throughput.
    let args = BuiltinProbe {
        u: 1.0,
        d: 0.1,
        seconds: 0.2,
        warmup: 0.0,
        kernel_ms: None,
        gpu_sms: None,
        iters: 1 << 10,
        kernel_ms_target: None,
        work: Work::Fma,
        idle: Idle::Fixed,
        start_at_ms: None,
        stop_at_ms: None,
        mem_mib: None,
        hold: 0.0,
    };
    match run(&args) {
        Ok((line, _)) => assert!(line.throughput > 0.0),
        Err(e) => {
            assert_eq!(e.exit, Exit::NoDevice, "{e}");
            assert!(e.message.starts_with("CUDA not available"), "{e}");
        }
    }
    let bad = BuiltinProbe {
        u: 0.0,
        ..args.clone()
    };
    assert_eq!(run(&bad).unwrap_err().exit, Exit::Error);
    let half_window = BuiltinProbe {
        start_at_ms: Some(5),
        ..args.clone()
    };
    assert_eq!(run(&half_window).unwrap_err().exit, Exit::Error);
    let backwards = BuiltinProbe {
        start_at_ms: Some(5),
        stop_at_ms: Some(5),
        ..args
    };
    assert_eq!(run(&backwards).unwrap_err().exit, Exit::Error);
}

#[test]
fn iters_scale_with_the_kernel_time() {
    // 2^20 iterations took 8 ms; 2 ms wants a quarter: 262144. 20 ms: 2.5 x = 2621440.
    assert_eq!(scaled_iters(1 << 20, 8.0, 2.0), 262_144);
    assert_eq!(scaled_iters(1 << 20, 8.0, 20.0), 2_621_440);
    // Bounds: never 0, never past 2^30; a kernel too short to time doubles.
    assert_eq!(scaled_iters(4, 1000.0, 0.001), 1);
    assert_eq!(scaled_iters(1 << 29, 1.0, 1e6), 1 << 30);
    assert_eq!(scaled_iters(100, 0.0, 2.0), 200);
}

#[test]
fn idle_time_fixed_and_exponential() {
    // u = 0.5, 20 ms alone: 20 ms idle. u = 0.25: 60 ms.
    assert_eq!(idle_ms(20.0, 0.5, Idle::Fixed, 0.9), 20.0);
    assert_eq!(idle_ms(20.0, 0.25, Idle::Fixed, 0.1), 60.0);
    // Exponential by inversion: -20 ln(1 - 0.5) = 20 ln 2 = 13.8629.
    assert!((idle_ms(20.0, 0.5, Idle::Exp, 0.5) - 20.0 * 2f64.ln()).abs() < 1e-9);
    assert_eq!(idle_ms(20.0, 0.5, Idle::Exp, 0.0), 0.0);
    assert_eq!(idle_ms(20.0, 1.0, Idle::Exp, 0.7), 0.0);
    // The mean over a fine grid of uniforms is the fixed idle time (within 0.5 %).
    let k = 100_000;
    let mean = (0..k)
        .map(|i| idle_ms(20.0, 0.5, Idle::Exp, (f64::from(i) + 0.5) / f64::from(k)))
        .sum::<f64>()
        / f64::from(k);
    assert!((mean - 20.0).abs() < 0.1, "{mean}");
}
