//! check_pool by hand: what each pool kind accepts, and which reason wins when several apply
//! (labels, then taints, then the device request).

use super::*;
use crate::catalog::Catalog;
use crate::domain::{ReplicaAllocation, Taint, TaintEffect};

/// A pool of A100-80GB nodes (80 GiB per GPU) with `per_node` GPUs.
fn pool(kind: PoolKind, per_node: u32, taints: Vec<Taint>) -> Pool {
    let model = Catalog::builtin().get("A100-80GB").unwrap().clone();
    Pool {
        name: "p".into(),
        model,
        price: 1.0,
        labels: BTreeMap::new(),
        spec_labels: BTreeMap::new(),
        taints,
        kind,
        first_node: 0,
        node_count: 1,
        gpus_per_node: per_node,
        first_gpu: 0,
        free: Vec::new(),
        down: vec![0],
        present: 1,
        leaving: vec![false],
        host: Default::default(),
    }
}

fn time_sliced(replicas: u32, rename_by_default: bool) -> PoolKind {
    PoolKind::TimeSlicing {
        replicas,
        allocation: ReplicaAllocation::Distributed,
        rename_by_default,
        fail_requests_greater_than_one: false,
    }
}

fn check(pool: &Pool, request: RequestSpec, mem_gib: f64) -> Result<Need, String> {
    let none = BTreeMap::new();
    check_pool(
        pool,
        &PodSpec {
            request: &request,
            mem_gib,
            node_selector: &none,
            node_affinity: &[],
            tolerations: &[],
            host: Default::default(),
        },
    )
}

#[test]
fn exclusive_pool_takes_whole_gpus_up_to_a_node() {
    let p = pool(PoolKind::Exclusive, 8, Vec::new());
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 8 }, 80.0),
        Ok(Need::Whole { gpus: 8 })
    );
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 9 }, 1.0),
        Err("pool p: requests 9 GPUs but nodes have 8".into())
    );
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 1 }, 80.5),
        Err("pool p: needs 80.5 GiB but a A100-80GB has 80 GiB".into())
    );
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 0 }, 1.0),
        Ok(Need::Whole { gpus: 0 }),
        "a CPU-only pod takes no device"
    );
}

#[test]
fn time_sliced_pool_counts_replicas_and_checks_the_resource_name() {
    // 4 replicas x 2 GPUs = 8 replicas per node.
    let p = pool(time_sliced(4, false), 2, Vec::new());
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 8 }, 10.0),
        Ok(Need::Replicas { n: 8 })
    );
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 9 }, 10.0),
        Err("pool p: requests 9 replicas but nodes have 8".into())
    );
    assert_eq!(
        check(&p, RequestSpec::SharedGpu { count: 1 }, 10.0),
        Err("pool p: advertises nvidia.com/gpu, not nvidia.com/gpu.shared".into())
    );
    let renamed = pool(time_sliced(4, true), 2, Vec::new());
    assert_eq!(
        check(&renamed, RequestSpec::SharedGpu { count: 1 }, 10.0),
        Ok(Need::Replicas { n: 1 })
    );
    assert_eq!(
        check(&renamed, RequestSpec::Gpu { count: 1 }, 10.0),
        Err(
            "pool p: advertises nvidia.com/gpu.shared (rename_by_default), not nvidia.com/gpu"
                .into()
        )
    );
}

#[test]
fn replicas_per_node_do_not_wrap_in_32_bits() {
    // 536 870 912 replicas x 8 GPUs = 4 294 967 296 = 2^32: a u32 product wraps to 0 ("nodes
    // have 0"); 536 870 913 x 8 = 2^32 + 8 wraps to 8. Both nodes hold billions of replicas.
    let p = pool(time_sliced(536_870_912, false), 8, Vec::new());
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 9 }, 1.0),
        Ok(Need::Replicas { n: 9 })
    );
    let p = pool(time_sliced(536_870_913, false), 8, Vec::new());
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 9 }, 1.0),
        Ok(Need::Replicas { n: 9 })
    );
    // The largest request a u32 holds (4 294 967 295) still fits 4 294 967 304 replicas.
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: u32::MAX }, 1.0),
        Ok(Need::Replicas { n: u32::MAX })
    );
    // 3 replicas x 2 GPUs = 6 per node: 7 is refused with the true product.
    let p = pool(time_sliced(3, false), 2, Vec::new());
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 7 }, 1.0),
        Err("pool p: requests 7 replicas but nodes have 6".into())
    );
}

#[test]
fn an_untolerated_taint_is_reported_before_the_device_request() {
    let taint = Taint {
        key: "gpu".into(),
        value: Some("a100".into()),
        effect: TaintEffect::NoSchedule,
    };
    let p = pool(PoolKind::Exclusive, 8, vec![taint]);
    // Also too many GPUs: the taint wins.
    assert_eq!(
        check(&p, RequestSpec::Gpu { count: 9 }, 1.0),
        Err("pool p: taint gpu=a100:NoSchedule not tolerated".into())
    );
}

#[test]
fn shared_and_mig_requests_name_what_the_pool_is() {
    let p = pool(PoolKind::Exclusive, 8, Vec::new());
    assert_eq!(
        check(&p, RequestSpec::SharedGpu { count: 1 }, 1.0),
        Err(
            "pool p: requests nvidia.com/gpu.shared but the pool is exclusive (only time-sliced \
             pools with rename_by_default advertise it)"
                .into()
        )
    );
    let mig = RequestSpec::Mig {
        profile: "1g.10gb".into(),
        count: 1,
    };
    assert_eq!(
        check(&p, mig, 1.0),
        Err("pool p: requests nvidia.com/mig-1g.10gb but the pool is exclusive".into())
    );
}

#[test]
fn the_same_reason_of_many_pools_is_said_once() {
    let fit = |rejected: &[&str]| {
        ShapeFit {
            pools: Vec::new(),
            rejected: rejected.iter().map(|r| r.to_string()).collect(),
        }
        .unschedulable_reason()
        .unwrap()
    };
    // A reason without a pool, 12 times (openb's 12 pools): once.
    let cpu = ["requests 64 CPU but nodes have 32"; 12];
    assert_eq!(fit(&cpu), "requests 64 CPU but nodes have 32");
    // Five pools with one reason, one with another: three named, "and 2 more".
    assert_eq!(
        fit(&[
            "pool a: requests 9 GPUs but nodes have 8",
            "pool b: requests 9 GPUs but nodes have 8",
            "pool c: taint x:NoSchedule not tolerated",
            "pool d: requests 9 GPUs but nodes have 8",
            "pool e: requests 9 GPUs but nodes have 8",
            "pool f: requests 9 GPUs but nodes have 8",
        ]),
        "pools a, b, d and 2 more: requests 9 GPUs but nodes have 8; \
         pool c: taint x:NoSchedule not tolerated"
    );
    assert_eq!(fit(&["pool a: x", "pool b: x"]), "pools a, b: x");
}

/// NodeResourcesFit, statically: a pod asking for more CPU or memory than a node can allocate
/// never fits the pool, whatever its GPUs; a pool without a CPU capacity takes any request.
#[test]
fn cpu_and_memory_beyond_a_node_rule_the_pool_out() {
    use crate::cluster::{HostCapacity, HostNeed, NodeHost};
    let mut p = pool(PoolKind::Exclusive, 8, Vec::new());
    p.host = NodeHost::new(
        HostCapacity {
            cpu_milli: Some(96_000),
            mem_bytes: Some(512 << 30),
        },
        1,
    );
    let request = RequestSpec::Gpu { count: 1 };
    let none = BTreeMap::new();
    let pod = |cpu_milli, mem_gib: u64| PodSpec {
        request: &request,
        mem_gib: 1.0,
        node_selector: &none,
        node_affinity: &[],
        tolerations: &[],
        host: HostNeed {
            cpu_milli,
            mem_bytes: mem_gib << 30,
        },
    };
    assert_eq!(
        check_pool(&p, &pod(96_000, 512)),
        Ok(Need::Whole { gpus: 1 })
    );
    assert_eq!(
        check_pool(&p, &pod(96_500, 1)),
        Err("pool p: requests 96500m CPU but nodes have 96".into())
    );
    assert_eq!(
        check_pool(&p, &pod(1_000, 513)),
        Err("pool p: requests 513GiB of memory but nodes have 512GiB".into())
    );
    p.host = NodeHost::default();
    assert_eq!(
        check_pool(&p, &pod(1_000_000, 4096)),
        Ok(Need::Whole { gpus: 1 })
    );
}
