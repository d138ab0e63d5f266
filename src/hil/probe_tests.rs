//! Tests of `probe.rs` (a child module of it, so they reach its private items).

use super::*;

#[test]
fn throughput_line_round_trips_and_last_line_wins() {
    let l = ProbeLine {
        kernel_ms: Some(11.5),
        duty: Some(0.5),
        ..ProbeLine::new(85.25, "kernels/s")
    };
    let out = format!("warming up\n{LINE_PREFIX} throughput=1\n{}\n", l.render());
    assert_eq!(parse_output(&out).unwrap(), l);
    // Every field of the built-in probe's line round-trips too (values exact in the rendering).
    let full = ProbeLine {
        kernel_ms: Some(2.0),
        duty: Some(1.0),
        kps: Some(500.0),
        sms: Some(132),
        iters: Some(65536),
        start_ms: Some(1_700_000_000_000),
        stop_ms: Some(1_700_000_006_000),
        ready_ms: Some(1_699_999_999_000),
        mem_mib: Some(35635),
        alloc_ok: Some(false),
        alloc_ms: Some(12.5),
        ..ProbeLine::new(1.5e13, "flop/s")
    };
    assert_eq!(parse_output(&full.render()).unwrap(), full);
    let minimal = parse_output("SLICESIM_PROBE throughput=3 extra=x\n").unwrap();
    assert_eq!(minimal.throughput, 3.0);
    assert_eq!(minimal.unit, "units/s");
}

#[test]
fn bad_lines_are_reported() {
    assert!(
        parse_output("nothing here")
            .unwrap_err()
            .contains("no `SLICESIM_PROBE")
    );
    assert!(
        parse_output("SLICESIM_PROBE unit=x")
            .unwrap_err()
            .contains("no throughput")
    );
    assert!(
        parse_output("SLICESIM_PROBE throughput=-1")
            .unwrap_err()
            .contains("not a non-negative number")
    );
}

#[test]
fn probe_command_gets_its_parameters_and_timeouts_kill() {
    let p = ProbeParams {
        u: 0.5,
        d: 0.25,
        n: 2,
        index: 1,
        seconds: 0.1,
        warmup: 0.0,
        device: "GPU-x".into(),
        gpu_model: "A100-80GB".into(),
        gpu_sms: 108,
        sm_fraction: 1.0,
        mig_profile: None,
        kernel_ms: None,
        kernel_ms_target: None,
        iters: None,
        idle: Idle::Exp,
        work: Work::Stream,
        start_at_ms: Some(5),
        stop_at_ms: Some(7),
        mem_mib: None,
        hold: None,
        gpu_memory_mib: 1024,
    };
    let env = ProbeKind::Command {
        command: "echo SLICESIM_PROBE throughput=$SLICESIM_PROBE_STOP_AT \
                  unit=$SLICESIM_PROBE_KIND-$SLICESIM_PROBE_IDLE-$SLICESIM_PROBE_START_AT-$SLICESIM_PROBE_MEM_MIB"
            .into(),
    };
    let done = finish(
        vec![start(&env, &p).unwrap()],
        Instant::now() + Duration::from_secs(20),
    );
    let line = done[0].line.as_ref().expect("line");
    assert_eq!(
        (line.throughput, line.unit.as_str()),
        (7.0, "stream-exp-5-")
    );
    let echo = ProbeKind::Command {
        command: "echo SLICESIM_PROBE throughput=$SLICESIM_PROBE_N unit=$CUDA_VISIBLE_DEVICES"
            .into(),
    };
    let done = finish(
        vec![start(&echo, &p).unwrap()],
        Instant::now() + Duration::from_secs(20),
    );
    let line = done[0].line.as_ref().expect("line");
    assert_eq!((line.throughput, line.unit.as_str()), (2.0, "GPU-x"));
    let slow = ProbeKind::Command {
        command: "sleep 30".into(),
    };
    let t0 = Instant::now();
    let done = finish(vec![start(&slow, &p).unwrap()], Instant::now());
    assert_eq!(done[0].error.as_deref(), Some("timed out"));
    assert!(t0.elapsed() < Duration::from_secs(10));
    let fails = ProbeKind::Command {
        command: "echo boom >&2; exit 3".into(),
    };
    let done = finish(
        vec![start(&fails, &p).unwrap()],
        Instant::now() + Duration::from_secs(20),
    );
    assert!(
        done[0].error.as_deref().unwrap().contains("boom"),
        "{:?}",
        done[0]
    );
}

proptest::proptest! {
    /// Any text is either a parsed line or a reason, never a panic.
    #[test]
    fn parsing_any_output_never_panics(text in "(SLICESIM_PROBE( [a-z_]{1,9}=[-0-9a-z.e]{0,12}){0,6}\n?){0,3}") {
        if let Ok(l) = parse_output(&text) {
            proptest::prop_assert!(l.throughput >= 0.0);
        }
    }
}
