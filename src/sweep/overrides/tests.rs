//! Overrides against the built-in scenario (scenarios/seed-strategy.yaml): its pools are, in
//! order, a100-timeslice (4 nodes), h100-timeslice (2), a100-mig-inference (2) and
//! a100-mig-small (1); namespace production has quota `requests.nvidia.com/gpu: 10`.

use super::*;
use crate::domain::{ReplicaAllocation, Sharing};
use crate::scenario::builtin;
use crate::units::Dur;
use crate::world::World;

fn apply(sets: &[&str]) -> Result<(Scenario, Vec<Applied>), String> {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    apply_overrides(&builtin().scenario, &overrides)
}

fn ok(sets: &[&str]) -> (Scenario, Vec<Applied>) {
    apply(sets).unwrap_or_else(|e| panic!("{sets:?}: {e}"))
}

fn err(sets: &[&str]) -> String {
    match apply(sets) {
        Ok(_) => panic!("{sets:?} should fail"),
        Err(e) => e,
    }
}

fn pool<'a>(sc: &'a Scenario, name: &str) -> &'a crate::scenario::schema::PoolSpec {
    sc.pools.iter().find(|p| p.name == name).unwrap()
}

#[test]
fn nodes_of_a_pool_by_name_reach_the_world() {
    let (sc, applied) = ok(&["pools.h100-timeslice.nodes=3"]);
    assert_eq!(pool(&sc, "h100-timeslice").nodes, 3);
    let w = World::build(&sc).unwrap();
    let p = w.pools.iter().find(|p| p.name == "h100-timeslice").unwrap();
    // 3 nodes x 8 GPUs per node.
    assert_eq!((p.present, p.present * p.gpus_per_node), (3, 24));
    assert_eq!(applied[0].field.to_string(), "pools[1].nodes");
    assert_eq!(applied[0].normalized(), "pools.h100-timeslice.nodes=3");
    assert_eq!(applied[0].previous_text(), "2");
    // Nothing else moved.
    let mut back = sc.clone();
    back.pools[1].nodes = 2;
    assert_eq!(back, builtin().scenario);
}

#[test]
fn the_issue_examples() {
    let (sc, applied) = ok(&[
        "classes.training.fallback_after=1h",
        "namespaces.production.quota.requests.nvidia.com/gpu=25",
        "pools.a100-mig-inference.sharing={kind: time_slicing, replicas: 3}",
    ]);
    assert_eq!(sc.classes[0].fallback_after, Some(Dur(3_600_000)));
    assert_eq!(sc.namespaces[0].quota["requests.nvidia.com/gpu"], 25);
    assert_eq!(
        sc.namespaces[0].quota.len(),
        1,
        "the dotted key was found, not added"
    );
    assert_eq!(
        pool(&sc, "a100-mig-inference").sharing,
        Sharing::TimeSlicing {
            replicas: 3,
            rename_by_default: false,
            fail_requests_greater_than_one: false,
            allocation: ReplicaAllocation::default(),
        }
    );
    let shown: Vec<String> = applied.iter().map(Applied::normalized).collect();
    assert_eq!(
        shown,
        [
            "classes.training.fallback_after=1h",
            "namespaces.production.quota.requests.nvidia.com/gpu=25",
            "pools.a100-mig-inference.sharing={kind: time_slicing, replicas: 3}",
        ]
    );
    assert_eq!(applied[0].previous_text(), "30m");
    assert_eq!(applied[2].field.to_string(), "pools[2].sharing");
}

#[test]
fn fields_left_to_their_defaults_can_be_set() {
    let (sc, applied) = ok(&[
        "model.oom_after=1m",
        "scheduler.policy=best-fit",
        "classes.development.checkpoint=10m",
        "namespaces.training.quota.requests.nvidia.com/gpu=4",
        "prices.per_gpu_hour.H100-80GB=3.5",
    ]);
    assert_eq!(sc.model.oom_after, Dur(60_000));
    assert_eq!(sc.scheduler.policy, crate::domain::PolicyName::BestFit);
    assert_eq!(sc.classes[3].checkpoint, Some(Dur(600_000)));
    assert_eq!(sc.namespaces[1].quota["requests.nvidia.com/gpu"], 4);
    assert_eq!(sc.prices.per_gpu_hour["H100-80GB"], 3.5);
    assert_eq!(applied[2].previous_text(), "null", "unset option");
    assert_eq!(applied[3].previous_text(), "(unset)", "new key");
}

#[test]
fn map_keys_with_dots_are_matched_longest_first_or_added_whole() {
    let (sc, _) = ok(&[
        "pools.a100-timeslice.labels.nvidia.com/gpu.product=A100-SXM4-40GB",
        "pools.a100-timeslice.labels.example.com/zone=a",
        "pools.a100-timeslice.labels.\"odd.key=x\"=y",
    ]);
    let labels = &pool(&sc, "a100-timeslice").labels;
    assert_eq!(labels["nvidia.com/gpu.product"], "A100-SXM4-40GB");
    assert_eq!(labels["example.com/zone"], "a");
    assert_eq!(labels["odd.key=x"], "y");
    assert_eq!(
        labels.len(),
        2 + 2,
        "workload-type and the product label were there"
    );
}

#[test]
fn list_items_by_index_by_class_and_by_key() {
    let (a, applied) = ok(&["pools[1].nodes=5"]);
    let (b, _) = ok(&["pools.h100-timeslice.nodes=5"]);
    assert_eq!(a, b);
    assert_eq!(applied[0].normalized(), "pools.h100-timeslice.nodes=5");
    let (sc, _) = ok(&[
        "workload.mix.training.weight=16",
        "pools.a100-mig-inference.taints.dedicated.effect=NoExecute",
        "pools.a100-mig-inference.sharing.layout[0]=2g.20gb",
    ]);
    let crate::scenario::schema::WorkloadSpec::Synthetic(spec) = &sc.workload else {
        panic!("synthetic")
    };
    assert_eq!(spec.mix[0].weight, 16.0);
    let p = pool(&sc, "a100-mig-inference");
    assert_eq!(p.taints[0].effect, crate::domain::TaintEffect::NoExecute);
    let Sharing::Mig { layout, .. } = &p.sharing else {
        panic!("mig")
    };
    assert_eq!(layout, &["2g.20gb", "2g.20gb", "2g.20gb"]);
}

#[test]
fn overrides_apply_in_order() {
    let (sc, applied) = ok(&["pools.h100-timeslice.name=h100", "pools.h100.nodes=4"]);
    assert_eq!(pool(&sc, "h100").nodes, 4);
    assert_eq!(applied[1].field.to_string(), "pools[1].nodes");
}

#[test]
fn values_are_read_as_the_file_would_read_them() {
    // A quoted count and a number for a name, as serde-saphyr takes them from a file.
    let (sc, _) = ok(&[
        "pools.h100-timeslice.nodes=\"3\"",
        "classes.training.namespace=123",
    ]);
    assert_eq!(pool(&sc, "h100-timeslice").nodes, 3);
    assert_eq!(sc.classes[0].namespace, "123");
}

#[test]
fn every_example_scenario_survives_the_round_trip() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let loaded = crate::scenario::load(&path).unwrap();
        let same = Override::parse(&format!("seed={}", loaded.scenario.seed)).unwrap();
        let (sc, _) = apply_overrides(&loaded.scenario, &[same]).unwrap();
        assert_eq!(sc, loaded.scenario, "{}", path.display());
    }
}

#[test]
fn no_overrides_no_change() {
    let mut loaded = builtin();
    assert!(apply_to_loaded(&mut loaded, &[]).unwrap().is_empty());
    assert_eq!(loaded.scenario, builtin().scenario);
}

#[test]
fn errors_name_the_path_and_list_what_exists() {
    assert_eq!(
        err(&["pools.h100.nodes=3"]),
        "--set pools.h100.nodes=3: pools.h100: no pool named `h100`; pools has: \
         a100-timeslice, h100-timeslice, a100-mig-inference, a100-mig-small"
    );
    let e = err(&["classes.training.fallbak_after=1h"]);
    assert!(
        e.starts_with(
            "--set classes.training.fallbak_after=1h: classes.training.fallbak_after: no field \
             `fallbak_after`; fields are: checkpoint, d, fallback_after,"
        ),
        "{e}"
    );
    assert_eq!(
        err(&["workload.mix.trainer.weight=1"]),
        "--set workload.mix.trainer.weight=1: workload.mix.trainer: no mix entry with class \
         `trainer`; workload.mix has: training, fine-tuning, research, development, \
         batch-inference, production-inference, critical-agents, small-inference"
    );
    assert_eq!(
        err(&["pools[9].nodes=1"]),
        "--set pools[9].nodes=1: pools[9]: pools has 4 items (indices 0 to 3)"
    );
    assert_eq!(
        err(&["classes.training.u.x=1"]),
        "--set classes.training.u.x=1: classes.training.u: is a value (0.9), not a mapping or a \
         list; it has no `x`"
    );
    assert_eq!(
        err(&["pools.a100-mig-small.sharing.layout.big=1"]),
        "--set pools.a100-mig-small.sharing.layout.big=1: pools.a100-mig-small.sharing.layout.big: \
         pools.a100-mig-small.sharing.layout is a list whose items have no names; address them \
         by index, [0] to [6]"
    );
    assert_eq!(
        err(&["model[0]=1"]),
        "--set model[0]=1: model: is a mapping, not a list, so `[0]` names nothing; keys are: \
         backoff_limit, context_mem_gib, gpu_speed, mig_efficiency, mig_mode_change_downtime, \
         oom_after, overhead_max, overhead_per_context, quota_backoff, quota_backoff_max, reconfig_downtime, \
         restart_backoff, restart_backoff_max, restart_delay, termination_grace, timeslice"
    );
    assert_eq!(
        err(&["classes.development.checkpoint[0]=1"]),
        "--set classes.development.checkpoint[0]=1: classes.development.checkpoint: is not set; \
         give it a whole value first (--set classes.development.checkpoint=...)"
    );
}

#[test]
fn values_that_do_not_fit_are_blamed_on_their_override() {
    assert_eq!(
        err(&["pools.h100-timeslice.nodes=-1"]),
        "--set pools.h100-timeslice.nodes=-1: pools.h100-timeslice.nodes: invalid u32"
    );
    assert_eq!(
        err(&["seed=2", "pools.a100-mig-inference.sharing.kind=vgpu"]),
        "--set pools.a100-mig-inference.sharing.kind=vgpu: pools.a100-mig-inference.sharing.kind: \
         unknown variant `vgpu`, expected one of exclusive, time_slicing, mig, fractional, mps"
    );
    let e = err(&["poolz.x.nodes=3"]);
    assert!(
        e.starts_with(
            "--set poolz.x.nodes=3: poolz.x.nodes: no field `poolz.x.nodes`; fields are: "
        ),
        "{e}"
    );
    assert!(e.contains(", pools, "), "{e}");
}

#[test]
fn a_name_shared_by_several_items_is_refused() {
    let e = err(&[
        "classes.training.tolerations=[{key: a, operator: Exists}, {key: a, operator: Exists}]",
        "classes.training.tolerations.a.effect=NoSchedule",
    ]);
    assert_eq!(
        e,
        "--set classes.training.tolerations.a.effect=NoSchedule: classes.training.tolerations: \
         2 items have key `a`; address one by index: [0], [1]"
    );
}

#[test]
fn problems_at_overridden_fields_are_traced_to_their_override() {
    let mut loaded = builtin();
    let set = [Override::parse("pools.h100-timeslice.nodes=0").unwrap()];
    let applied = apply_to_loaded(&mut loaded, &set).unwrap();
    let problems = crate::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir);
    let p = problems
        .iter()
        .find(|p| p.path == "pools[1].nodes")
        .expect("0 nodes is a problem");
    assert_eq!(origin(p, &applied), Some(&applied[0]));
    let other = crate::scenario::Problem {
        path: "pools[1].nodes_x".into(),
        ..p.clone()
    };
    assert_eq!(
        origin(&other, &applied),
        None,
        "a sibling key is not inside"
    );
    let inside = crate::scenario::Problem {
        path: "pools[1].nodes[0]".into(),
        ..p.clone()
    };
    assert!(origin(&inside, &applied).is_some());
}

#[test]
fn get_reads_the_current_value() {
    let sc = builtin().scenario;
    let t = get(
        &sc,
        &DottedPath::parse("pools.a100-timeslice.nodes").unwrap(),
    )
    .unwrap();
    assert_eq!(t.current, Some(Value::from(4)));
    assert!(
        get(
            &sc,
            &DottedPath::parse("pools.a100-timeslice.nodez").unwrap()
        )
        .is_err()
    );
}

#[test]
fn a_value_given_as_text_is_read_as_that_text_in_the_file() {
    // Untyped, YAML reads `y` as true and 1.50 as 1.5; a label is text and keeps what was given.
    let (sc, applied) = ok(&[
        "pools.a100-timeslice.labels.ok=y",
        "pools.a100-timeslice.labels.version=1.50",
        "pools.a100-timeslice.labels.note=Hello, world",
    ]);
    let labels = &pool(&sc, "a100-timeslice").labels;
    assert_eq!(
        (
            &labels["ok"][..],
            &labels["version"][..],
            &labels["note"][..]
        ),
        ("y", "1.50", "Hello, world")
    );
    assert_eq!(
        applied[1].normalized(),
        "pools.a100-timeslice.labels.version=1.50"
    );
    // A later override inside an earlier one's value: the tree's value is written instead.
    let (sc, _) = ok(&[
        "pools.a100-mig-inference.sharing={kind: time_slicing, replicas: 3}",
        "pools.a100-mig-inference.sharing.replicas=4",
    ]);
    let Sharing::TimeSlicing { replicas, .. } = pool(&sc, "a100-mig-inference").sharing else {
        panic!("time-slicing")
    };
    assert_eq!(replicas, 4);
}

#[test]
fn names_with_dots_and_unset_blocks() {
    // A pool named with a dot is found by the longest run of parts that names an item.
    let (sc, applied) = ok(&["pools.a100-timeslice.name=a100.v2", "pools.a100.v2.nodes=1"]);
    assert_eq!(pool(&sc, "a100.v2").nodes, 1);
    assert_eq!(applied[1].normalized(), "pools.a100.v2.nodes=1");
    // A block that is not set takes a whole value; a key alone makes a block with that key only.
    let (sc, _) = ok(&[
        "workload.diurnal=null",
        "workload.diurnal={amplitude: 0.2, peak_hour: 3}",
    ]);
    let crate::scenario::schema::WorkloadSpec::Synthetic(spec) = &sc.workload else {
        panic!("synthetic")
    };
    let d = spec.diurnal.as_ref().unwrap();
    assert_eq!((d.amplitude, d.peak_hour), (0.2, 3.0));
    assert_eq!(
        err(&["workload.diurnal=null", "workload.diurnal.amplitude=0.5"]),
        "--set workload.diurnal.amplitude=0.5: workload: missing field `peak_hour`"
    );
}
