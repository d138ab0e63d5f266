//! Cost attribution (`prices.attribution`): by share held and by GPU time received, on
//! hand-worked scenarios (docs/MODEL.md "Cost"). The property over random scenarios (jobs +
//! idle = total, idle never negative, for both attributions) is in tests/invariants.rs.

mod common;

use common::{A100_PRICE, WHOLE_GPU_CLASS, assert_close, fixture, one_pool, run};

fn time_sliced(attribution: &str, class: &str, csv: &str) -> common::Outcome {
    let mut yaml = one_pool(
        "1h",
        "A100-80GB",
        1,
        1,
        "{kind: time_slicing, replicas: 3}",
        class,
    );
    yaml.push_str(&format!("prices: {{attribution: {attribution}}}\n"));
    run(&fixture(&yaml, csv).loaded)
}

/// Three compute-bound jobs (u = 1) share one 3-replica A100-80GB ($3.43/h) for the whole hour.
/// o(3) = 0.04, so each context gets g = 0.96 / 3 = 0.32.
/// held: each pays 3.43 / 3 = 1.14333 $, idle 0.
/// received: each pays 0.32 * 3.43 = 1.0976 $, idle = 0.04 * 3.43 = 0.1372 $.
#[test]
fn three_compute_bound_jobs_pay_for_what_they_got() {
    let csv = "id,submit,class,duration\n0,0,c,100000\n1,0,c,100000\n2,0,c,100000\n";
    let held = time_sliced("held", WHOLE_GPU_CLASS, csv);
    let recv = time_sliced("received", WHOLE_GPU_CLASS, csv);
    assert_eq!(held.summary.cost.attribution, "held");
    assert_eq!(recv.summary.cost.attribution, "received");
    for id in 0..3 {
        assert_close(held.job(id).cost_usd, A100_PRICE / 3.0, "held");
        assert_close(recv.job(id).cost_usd, 0.32 * A100_PRICE, "received");
    }
    assert_close(held.summary.cost.idle_usd, 0.0, "held idle");
    assert_close(
        recv.summary.cost.idle_usd,
        0.04 * A100_PRICE,
        "received idle",
    );
    for o in [&held, &recv] {
        assert_close(o.summary.cost.total_usd, A100_PRICE, "total");
        assert_close(
            o.summary.cost.allocated_usd + o.summary.cost.idle_usd,
            o.summary.cost.total_usd,
            "allocated + idle",
        );
    }
}

/// One job with u = 0.3 alone on a 3-replica GPU for the hour: held 3.43 / 3 = 1.14333 $,
/// received 0.3 * 3.43 = 1.029 $ (its kernels ran 30 % of the time).
#[test]
fn a_light_job_alone_pays_its_duty_cycle() {
    let class = "    request: {kind: gpu, count: 1}\n    u: 0.3\n    d: 1\n    mem_gib: 10";
    let csv = "id,submit,class,duration\n0,0,c,100000\n";
    assert_close(
        time_sliced("held", class, csv).job(0).cost_usd,
        A100_PRICE / 3.0,
        "held",
    );
    assert_close(
        time_sliced("received", class, csv).job(0).cost_usd,
        0.3 * A100_PRICE,
        "received",
    );
}

/// The charge follows the share as it changes: job 0 (u = 1) alone for 30 min (g = 1), then
/// job 1 joins at 1800 s and both get g = 0.98 / 2 = 0.49 until the horizon.
/// Job 0: 3.43 * (0.5 * 1 + 0.5 * 0.49) = 2.55535 $; job 1: 3.43 * 0.5 * 0.49 = 0.84035 $;
/// idle: 3.43 - 2.55535 - 0.84035 = 0.0343 $ (the 2 % overhead over the second half hour).
#[test]
fn the_charge_follows_the_share_over_time() {
    let csv = "id,submit,class,duration\n0,0,c,100000\n1,1800,c,100000\n";
    let o = time_sliced("received", WHOLE_GPU_CLASS, csv);
    assert_close(o.job(0).cost_usd, A100_PRICE * (0.5 + 0.5 * 0.49), "job 0");
    assert_close(o.job(1).cost_usd, A100_PRICE * 0.5 * 0.49, "job 1");
    assert_close(o.summary.cost.idle_usd, A100_PRICE * 0.5 * 0.02, "idle");
}

/// Whole GPUs are paid as held under both attributions: a u = 0.3 job alone on an exclusive
/// GPU for the hour pays the full 3.43 $.
#[test]
fn exclusive_gpus_are_paid_as_held() {
    let class = "    request: {kind: gpu, count: 1}\n    u: 0.3\n    d: 1\n    mem_gib: 10";
    let mut yaml = one_pool("1h", "A100-80GB", 1, 1, "{kind: exclusive}", class);
    yaml.push_str("prices: {attribution: received}\n");
    let o = run(&fixture(&yaml, "id,submit,class,duration\n0,0,c,100000\n").loaded);
    assert_close(o.job(0).cost_usd, A100_PRICE, "exclusive");
}
