use super::*;
use std::collections::BTreeMap;

fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

#[test]
fn parse_is_zero_based() {
    assert_eq!(
        ShardSpec::parse("0/3"),
        Ok(ShardSpec { index: 0, count: 3 })
    );
    assert_eq!(
        ShardSpec::parse(" 2 / 3 "),
        Ok(ShardSpec { index: 2, count: 3 })
    );
    assert!(
        ShardSpec::parse("3/3")
            .unwrap_err()
            .contains("from 0 to 2 (0-based)")
    );
    assert!(ShardSpec::parse("0/0").unwrap_err().contains("at least 1"));
    assert!(ShardSpec::parse("1").unwrap_err().contains("expected I/N"));
    assert!(ShardSpec::parse("a/3").unwrap_err().contains("`a/3`"));
    assert!(ShardSpec::parse("-1/3").is_err());
}

#[test]
fn from_the_environment() {
    let k8s = env_of(&[("JOB_COMPLETION_INDEX", "4")]);
    assert_eq!(
        ShardSpec::from_env(Some(5), &k8s),
        Ok(ShardSpec { index: 4, count: 5 })
    );
    assert!(
        ShardSpec::from_env(None, &k8s)
            .unwrap_err()
            .contains("--shard-count")
    );
    assert!(
        ShardSpec::from_env(Some(4), &k8s)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX")
    );
    let k8s = env_of(&[("JOB_COMPLETION_INDEX", "1"), ("SLICESIM_SHARD_COUNT", "2")]);
    assert_eq!(
        ShardSpec::from_env(None, &k8s),
        Ok(ShardSpec { index: 1, count: 2 })
    );
    // Slurm: --array=1-4 numbers tasks 1..4: task 1 is shard 0 of 4.
    let slurm = env_of(&[
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]);
    assert_eq!(
        ShardSpec::from_env(None, &slurm),
        Ok(ShardSpec { index: 0, count: 4 })
    );
    let slurm = env_of(&[
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]);
    assert_eq!(
        ShardSpec::from_env(None, &slurm),
        Ok(ShardSpec { index: 3, count: 4 })
    );
    let slurm = env_of(&[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "1")]);
    assert!(
        ShardSpec::from_env(Some(2), &slurm)
            .unwrap_err()
            .contains("below")
    );
    let bad = env_of(&[("JOB_COMPLETION_INDEX", "x")]);
    assert!(
        ShardSpec::from_env(Some(2), &bad)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX=x")
    );
    assert!(
        ShardSpec::from_env(Some(2), &env_of(&[]))
            .unwrap_err()
            .contains("no shard")
    );
}

#[test]
fn shards_split_the_runs_round_robin() {
    // 3 points x 2 seeds = 6 runs in (point, seed) order; 4 shards.
    let all: Vec<RunKey> = (0..3).flat_map(|p| [(p, 1), (p, 2)]).collect();
    let s = |i| ShardSpec::new(i, 4).unwrap().runs(&all);
    assert_eq!(s(0), [(0, 1), (2, 1)]);
    assert_eq!(s(1), [(0, 2), (2, 2)]);
    assert_eq!(s(2), [(1, 1)]);
    assert_eq!(s(3), [(1, 2)]);
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(s in ".{0,20}") {
        let _ = ShardSpec::parse(&s);
    }

    #[test]
    fn every_run_in_exactly_one_shard(runs in 0usize..50, n in 1usize..8) {
        let all: Vec<RunKey> = (0..runs).map(|p| (p, 1)).collect();
        let mut got: Vec<RunKey> = (0..n).flat_map(|i| ShardSpec::new(i, n).unwrap().runs(&all)).collect();
        got.sort();
        proptest::prop_assert_eq!(got, all);
    }
}
