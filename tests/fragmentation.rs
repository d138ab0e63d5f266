//! Fragmentation in ordinary runs (per pool, in pools.csv and summary.json) and the `fgd` and
//! `spread` policies on hand-worked scenarios.

mod common;

use common::{assert_close, fixture, one_pool, run_with};
use slicesim::domain::PolicyName;
use slicesim::run::RunOptions;

fn with(policy: PolicyName) -> RunOptions {
    RunOptions {
        policy: Some(policy),
        ..Default::default()
    }
}

const MILLI_CLASS: &str =
    "    request: {kind: milli, milli: 500, count: 1}\n    u: 1\n    d: 1\n    mem_gib: 10";

/// One fractional node with 2 GPUs. Job 0 (500 milli) lands on GPU 0: free [500, 1000].
/// Job 1 (400 milli) arrives at 1 s; the typical shapes are then {500: 1 job, 400: 1 job}.
///
/// - best-fit takes the tightest GPU that fits, GPU 0: free [100, 1000]. Both shapes still fit
///   (on GPU 1), and GPU 0's 100 milli is too small for either: fragment 0.1 GPU of 1.1 free.
/// - FGD compares: GPU 0 -> fragment 0.1 (as above); GPU 1 -> free [500, 600], every GPU fits
///   both shapes: fragment 0. It takes GPU 1 and leaves nothing stranded.
#[test]
fn fgd_keeps_shares_usable_where_best_fit_strands_them() {
    let yaml = one_pool("10s", "A100-80GB", 1, 2, "{kind: fractional}", MILLI_CLASS);
    let csv = "id,submit,class,gpu_milli,duration\n0,0,c,500,1000\n1,1,c,400,1000\n";
    let f = fixture(&yaml, csv);
    for (policy, gpu, frag) in [
        (PolicyName::BestFit, "n0/g0/400m", 0.1),
        (PolicyName::FirstFit, "n0/g0/400m", 0.1),
        (PolicyName::Fgd, "n0/g1/400m", 0.0),
    ] {
        let o = run_with(&f.loaded, with(policy));
        assert_eq!(o.job(0).gpus, "n0/g0/500m", "{policy:?}");
        assert_eq!(o.job(1).gpus, gpu, "{policy:?}");
        // One report bucket (interval 1 h > horizon), closed at the horizon.
        let s = &o.result.samples;
        assert_eq!(s.len(), 1);
        assert_close(s[0].fragmented_gpus, frag, "fragmented GPUs");
        assert_close(s[0].fragmentation, frag / 1.1, "fragmentation");
        assert_close(o.pool("p").fragmented_gpus, frag, "summary");
    }
}

/// MIG: an A100 carved 3g + 2g + 2g whose only requests are 3g. The two 2g instances (2/7 of
/// the GPU each) are stranded whatever happens: with the 3g free, 3g requests fit and the 2g
/// instances are the fragment (4/7 of 7/7 free); once a job holds the 3g, no 3g request fits
/// and all the free capacity (4/7) is fragment.
#[test]
fn mig_instances_of_unrequested_profiles_are_stranded() {
    // d = 0.1: the kernels fit in a 3g instance, so job 0 runs at full speed.
    let class = "    request: {kind: mig, profile: 3g.40gb, count: 1}\n    u: 1\n    d: 0.1\n    mem_gib: 10";
    let sharing = "{kind: mig, strategy: mixed, layout: [3g.40gb, 2g.20gb, 2g.20gb]}";
    let mut yaml = one_pool("20s", "A100-80GB", 1, 1, sharing, class);
    yaml.push_str("report: {interval: 10s}\n");
    // Job 0 runs 0..5 s of work at full speed; job 1 arrives at 12 s and runs past the horizon.
    let csv = "id,submit,class,duration\n0,0,c,5\n1,12,c,1000\n";
    let f = fixture(&yaml, csv);
    let o = run_with(&f.loaded, RunOptions::default());
    let s = &o.result.samples;
    assert_eq!(s.len(), 2);
    // At 10 s job 0 is gone: 7/7 free, 4/7 stranded.
    assert_close(s[0].fragmented_gpus, 4.0 / 7.0, "10 s");
    assert_close(s[0].fragmentation, 4.0 / 7.0, "10 s ratio");
    // At 20 s job 1 holds the 3g: 4/7 free, all stranded.
    assert_close(s[1].fragmented_gpus, 4.0 / 7.0, "20 s");
    assert_close(s[1].fragmentation, 1.0, "20 s ratio");
    let p = o.pool("p");
    assert_close(p.fragmented_gpus, 4.0 / 7.0, "mean");
    assert_close(p.fragmentation, (4.0 / 7.0 + 1.0) / 2.0, "mean ratio");
}

/// Spread puts the second job on the emptier node; first-fit stacks it.
#[test]
fn spread_takes_the_emptiest_node() {
    let class = "    request: {kind: gpu, count: 1}\n    u: 1\n    d: 1\n    mem_gib: 10";
    let yaml = one_pool("10s", "A100-80GB", 2, 2, "{kind: exclusive}", class);
    let csv = "id,submit,class,duration\n0,0,c,1000\n1,1,c,1000\n";
    let f = fixture(&yaml, csv);
    for (policy, second) in [
        (PolicyName::FirstFit, "n0/g1"),
        (PolicyName::BestFit, "n0/g1"),
        (PolicyName::Spread, "n1/g0"),
    ] {
        let o = run_with(&f.loaded, with(policy));
        assert_eq!(o.job(0).gpus, "n0/g0", "{policy:?}");
        assert_eq!(o.job(1).gpus, second, "{policy:?}");
        // 1-GPU requests fit every node with a free GPU: no fragment.
        assert_close(o.pool("p").fragmented_gpus, 0.0, "exclusive");
    }
}
