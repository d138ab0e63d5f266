use super::*;

fn prep(text: &str, cli: &[&str]) -> Result<Prepared, String> {
    let cli: Vec<Override> = cli.iter().map(|s| Override::parse(s).unwrap()).collect();
    prepare_text(text, "s.yaml", Path::new("."), &cli).map_err(|e| e.0)
}

const TWO: &str = "base: builtin
set: [pools.h100-timeslice.nodes=5, pools.a100-timeslice.nodes=3]
axes: [{path: pools.h100-timeslice.nodes, name: h100, values: [1, 2]}]
";

#[test]
fn overrides_go_file_set_then_command_line_then_axes() {
    let p = prep(TWO, &["pools.a100-timeslice.nodes=6"]).unwrap();
    assert_eq!(
        p.plan.set,
        [
            "pools.h100-timeslice.nodes=5",
            "pools.a100-timeslice.nodes=3",
            "pools.a100-timeslice.nodes=6"
        ]
    );
    let nodes = |i: usize, pool: &str| {
        let sc = &p.scenarios[i].scenario;
        sc.pools.iter().find(|x| x.name == pool).unwrap().nodes
    };
    // The axis wins over `set:` (5); --set (6) wins over `set:` (3).
    assert_eq!(
        (nodes(0, "h100-timeslice"), nodes(1, "h100-timeslice")),
        (1, 2)
    );
    assert_eq!(nodes(0, "a100-timeslice"), 6);
    assert_eq!(p.plan.points[1].overrides, ["pools.h100-timeslice.nodes=2"]);
    assert_eq!(
        p.plan.points[1].assignments,
        [("h100".to_string(), "2".to_string())]
    );
    // Default seeds: the base's (42); default objectives.
    assert_eq!(p.plan.seeds, [42]);
    assert_eq!(
        p.plan.objectives[0],
        ("cost.total_usd".to_string(), Goal::Min)
    );
    assert_eq!(p.plan.objectives[1].0, "priorities.*.wait.p95_s");
    // Each point's hash is the hash `run` gives the same scenario.
    let mut same = crate::scenario::builtin();
    let sets: Vec<Override> = [
        "pools.h100-timeslice.nodes=2",
        "pools.a100-timeslice.nodes=6",
    ]
    .iter()
    .map(|s| Override::parse(s).unwrap())
    .collect();
    apply_to_loaded(&mut same, &sets).unwrap();
    assert_eq!(
        p.plan.points[1].scenario_sha256,
        scenario_sha256(&same, None).unwrap()
    );
}

#[test]
fn the_sweep_hash_follows_what_runs_not_where_the_file_is() {
    let a = prep(TWO, &[]).unwrap().plan;
    let moved = prepare_text(TWO, "elsewhere/s.yaml", Path::new("."), &[]).unwrap();
    assert_eq!(
        a.provenance.sweep_sha256,
        moved.plan.provenance.sweep_sha256
    );
    assert_eq!(a.provenance.sweep_sha256.len(), 64);
    let seeds = prep(&format!("{TWO}seeds: 1..2\n"), &[]).unwrap().plan;
    assert_ne!(a.provenance.sweep_sha256, seeds.provenance.sweep_sha256);
    let set = prep(TWO, &["horizon=1d"]).unwrap().plan;
    assert_ne!(a.provenance.sweep_sha256, set.provenance.sweep_sha256);
}

#[test]
fn seeds_in_every_form_and_bad_ones_named() {
    let seeds = |s: &str| prep(&format!("{TWO}seeds: {s}\n"), &[]).map(|p| p.plan.seeds);
    assert_eq!(seeds("1..3").unwrap(), [1, 2, 3]);
    assert_eq!(seeds("7").unwrap(), [7]);
    assert_eq!(seeds("[4, 1]").unwrap(), [1, 4]);
    assert!(seeds("3..1").unwrap_err().contains("s.yaml: seeds: `3..1`"));
    assert!(
        seeds("[a]")
            .unwrap_err()
            .contains("seeds: `\"a\"` is not a seed")
    );
    assert!(seeds("{a: 1}").unwrap_err().contains("not a seed list"));
    let e = prep(&format!("{TWO}objectives: {{}}\n"), &[])
        .err()
        .unwrap();
    assert!(e.contains("objectives: empty"), "{e}");
    let e = prep("base: nowhere.yaml\naxes: [{path: a, values: [1]}]\n", &[])
        .err()
        .unwrap();
    assert!(
        e.starts_with("s.yaml: base: ./nowhere.yaml: cannot read"),
        "{e}"
    );
    let e = prep(
        "base: builtin\nset: [x]\naxes: [{path: a, values: [1]}]\n",
        &[],
    )
    .err()
    .unwrap();
    assert!(e.starts_with("s.yaml: set[0]: "), "{e}");
}

#[test]
fn the_shipped_sweep_files_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let seed = prepare(&dir.join("seed-sweep.yaml"), &[])
        .map_err(|e| e.0)
        .unwrap();
    // 2 inference sharings x 4 H100 node counts, seeds 1..3.
    assert_eq!((seed.plan.points.len(), seed.plan.seeds.len()), (8, 3));
    assert_eq!(seed.plan.points[5].label, "inference=ts3, h100_nodes=2");
    let bench = prepare(&dir.join("bench-sweep.yaml"), &[])
        .map_err(|e| e.0)
        .unwrap();
    assert_eq!((bench.plan.points.len(), bench.plan.seeds.len()), (100, 3));
}
