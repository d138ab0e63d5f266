//! Validation messages and their locations: each bad scenario produces one specific problem
//! at the line a user would go to.

use slicesim::scenario::{self, Problem, Severity};
use std::path::Path;

/// A valid scenario; the line numbers in the comments are the ones the tests refer to.
const BASE: &str = "name: v
horizon: 1h
pools:
  - name: ts
    gpu: A100-80GB
    nodes: 1
    gpus_per_node: 2
    sharing: {kind: time_slicing, replicas: 2}
  - name: mig
    gpu: A100-80GB
    nodes: 1
    gpus_per_node: 1
    sharing:
      kind: mig
      strategy: mixed
      layout: [3g.40gb, 2g.20gb, 2g.20gb]
classes:
  - name: train
    kind: batch
    namespace: default
    request: {kind: gpu, count: 1}
    u: 0.9
    d: 0.9
    mem_gib: 20
    pools: [ts]
workload:
  kind: synthetic
  rate_per_hour: 10
  mix:
    - {class: train, weight: 1, duration: {median: 10m, sigma: 0.5}}
";

/// `BASE` with its 1-based line `line` replaced by `text` (which must differ).
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    assert_ne!(lines[line - 1], text);
    lines[line - 1] = text;
    lines.join("\n") + "\n"
}

fn problems(yaml: &str) -> Vec<Problem> {
    let sc = scenario::parse(yaml, "test.yaml").unwrap_or_else(|e| panic!("parses: {e}"));
    slicesim::world::check(&sc, yaml, Path::new("."))
}

fn errors(yaml: &str) -> Vec<Problem> {
    problems(yaml)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

/// Exactly one error, at `path` and `line`, whose message contains `needle`.
#[track_caller]
fn assert_one_error(yaml: &str, path: &str, line: u64, needle: &str) {
    let errs = errors(yaml);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    let e = &errs[0];
    assert_eq!(e.path, path, "{e}");
    assert_eq!(e.line, Some(line), "{e}");
    assert!(e.message.contains(needle), "`{needle}` not in: {e}");
    assert!(
        e.to_string()
            .starts_with(&format!("line {line}: error: {path}: ")),
        "{e}"
    );
}

#[test]
fn base_scenario_is_valid() {
    assert_eq!(problems(BASE), vec![]);
}

#[test]
fn seed_strategy_has_no_errors() {
    let loaded = scenario::load(Path::new("scenarios/seed-strategy.yaml")).unwrap();
    let errs: Vec<Problem> =
        slicesim::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir)
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
    assert_eq!(errs, vec![]);
    // The built-in copy is the same file.
    assert_eq!(scenario::builtin().scenario, loaded.scenario);
}

#[test]
fn seed_option3_layout_error_points_at_the_layout_line() {
    let path = Path::new("scenarios/seed-option3.yaml");
    let loaded = scenario::load(path).unwrap();
    let layout_line = loaded
        .text
        .lines()
        .position(|l| l.trim() == "layout: [3g.40gb, 3g.40gb, 1g.10gb]")
        .expect("the option-3 layout line") as u64
        + 1;
    let errs: Vec<Problem> =
        slicesim::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir)
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].path, "pools[2].sharing.layout");
    assert_eq!(errs[0].line, Some(layout_line));
    assert!(errs[0].message.contains("memory slices"), "{}", errs[0]);
    assert!(errs[0].message.contains("1g.10gb"), "{}", errs[0]);
}

#[test]
fn unknown_gpu_model() {
    let yaml = with_line(5, "    gpu: B300");
    assert_one_error(&yaml, "pools[0].gpu", 5, "unknown GPU model B300");
}

#[test]
fn unknown_pool_in_a_class() {
    let yaml = with_line(25, "    pools: [ts, nope]");
    assert_one_error(&yaml, "classes[0].pools[1]", 25, "unknown pool nope");
}

#[test]
fn duty_cycle_above_one() {
    let yaml = with_line(22, "    u: 1.5");
    assert_one_error(&yaml, "classes[0].u", 22, "1.5 is not in (0, 1]");
}

#[test]
fn mig_layout_with_an_unknown_profile() {
    let yaml = with_line(16, "      layout: [3g.40gb, 2g.20gb, 5g.50gb]");
    assert_one_error(
        &yaml,
        "pools[1].sharing.layout[2]",
        16,
        "no MIG profile 5g.50gb",
    );
}

#[test]
fn mig_on_a_model_without_mig() {
    // A custom T4 (no MIG profiles) in a MIG pool; the sharing block is on line 11.
    let yaml = "name: t4
horizon: 1h
gpu_models:
  - {name: T4, memory_gib: 16, sms: 40, price_per_hour: 0.53}
pools:
  - {name: ts, gpu: A100-80GB, nodes: 1, gpus_per_node: 1, sharing: {kind: time_slicing, replicas: 2}}
  - name: t4
    gpu: T4
    nodes: 1
    gpus_per_node: 4
    sharing: {kind: mig, layout: [1g.10gb]}
classes:
  - {name: c, kind: batch, namespace: default, request: {kind: gpu, count: 1}, u: 0.5, d: 0.5, mem_gib: 8}
workload:
  kind: synthetic
  rate_per_hour: 10
  mix: [{class: c, weight: 1, duration: {median: 10m, sigma: 0.5}}]
";
    assert_one_error(yaml, "pools[1].sharing", 11, "T4 is not MIG capable");
}

#[test]
fn class_that_can_never_be_scheduled() {
    // A milli-GPU request, and neither pool is fractional.
    let yaml = with_line(21, "    request: {kind: milli, milli: 500, count: 1}")
        .replace("    pools: [ts]\n", "");
    let errs = errors(&yaml);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = &errs[0];
    assert_eq!((e.path.as_str(), e.line), ("classes[0]", Some(18)), "{e}");
    assert!(e.message.contains("can never be scheduled"), "{e}");
    // The reason names each pool and why it was ruled out.
    for why in ["pool ts", "pool mig", "milli"] {
        assert!(e.message.contains(why), "`{why}` not in: {e}");
    }
}

#[test]
fn synthetic_mix_names_an_unknown_class() {
    let yaml = with_line(
        30,
        "    - {class: tran, weight: 1, duration: {median: 10m, sigma: 0.5}}",
    );
    assert_one_error(&yaml, "workload.mix[0].class", 30, "unknown class tran");
}

#[test]
fn yaml_syntax_error_names_the_line() {
    let yaml = with_line(7, "    gpus_per_node: 2: 3");
    let err = scenario::parse(&yaml, "bad.yaml").expect_err("not YAML");
    assert!(err.starts_with("bad.yaml: "), "{err}");
    assert!(err.contains("line 7 column"), "{err}");
}

#[test]
fn unknown_field_is_an_error_with_its_line() {
    let yaml = with_line(6, "    nodez: 1");
    let err = scenario::parse(&yaml, "bad.yaml").expect_err("unknown field");
    assert!(err.contains("nodez"), "{err}");
    assert!(err.contains("line 6 column 5"), "{err}");
}

#[test]
fn single_strategy_with_mixed_profiles_is_a_warning() {
    let yaml = with_line(15, "      strategy: single");
    let all = problems(&yaml);
    assert!(
        all.iter().all(|p| p.severity == Severity::Warning),
        "{all:#?}"
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    let w = &all[0];
    assert_eq!(
        (w.path.as_str(), w.line),
        ("pools[1].sharing.strategy", Some(15))
    );
    assert!(w.message.contains("mixed"), "{w}");
}

#[test]
fn a_huge_synthetic_workload_is_refused_and_report_buckets_are_capped() {
    // Line 28 is `  rate_per_hour: 10`. 4e6 jobs/h over the 1 h horizon = 4,000,000 jobs: under
    // the 5,000,000 limit, no problem.
    assert_eq!(problems(&with_line(28, "  rate_per_hour: 4000000")), vec![]);
    // 1e9 jobs/h over 1 h = 1,000,000,000 jobs: refused, naming the value and the limit.
    assert_one_error(
        &with_line(28, "  rate_per_hour: 1000000000"),
        "workload.rate_per_hour",
        28,
        "the expected number of jobs (rate_per_hour 1000000000 x span 1h) is 1000000000, \
         more than the limit of 5000000",
    );
    // max_jobs caps the arrivals: 1e9/h with max_jobs 100 is 100 jobs.
    let capped = with_line(28, "  rate_per_hour: 1000000000") + "  max_jobs: 100\n";
    assert_eq!(problems(&capped), vec![]);
    // A 1 s report interval over 1000 weeks (19.2 years, under the 20-year horizon limit) is
    // 1000 x 604 800 = 604 800 000 buckets: an error.
    let yaml = BASE.replace("horizon: 1h", "horizon: 1000w") + "report: {interval: 1s}\n";
    let e = errors(&yaml);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].path, "report.interval");
    assert!(
        e[0].message.contains("604800000 buckets"),
        "{}",
        e[0].message
    );
}

#[test]
fn cluster_sizes_beyond_the_limits_are_refused_before_building_the_cluster() {
    // Line 6 is the ts pool's `    nodes: 1`, line 7 its `    gpus_per_node: 2`.
    assert_one_error(
        &with_line(6, "    nodes: 1000000000"),
        "pools[0].nodes",
        6,
        "nodes is 1000000000, more than the limit of 100000",
    );
    assert_one_error(
        &with_line(7, "    gpus_per_node: 10000000"),
        "pools[0].gpus_per_node",
        7,
        "gpus_per_node is 10000000, more than the limit of 64",
    );
    // 100 000 nodes x 16 GPUs + 1 x 1 (the mig pool) = 1 600 001 GPUs > 1 000 000.
    let big = with_line(6, "    nodes: 100000").replace("gpus_per_node: 2", "gpus_per_node: 16");
    assert_one_error(
        &big,
        "pools",
        3,
        "is 1600001, more than the limit of 1000000",
    );
    // 100 000 x 2 + 1 = 200 001 GPUs: within the limit.
    assert_eq!(problems(&with_line(6, "    nodes: 100000")), vec![]);
}

#[test]
fn replicas_resize_and_horizon_beyond_the_limits_are_refused() {
    // Line 8 is `    sharing: {kind: time_slicing, replicas: 2}`.
    assert_one_error(
        &with_line(8, "    sharing: {kind: time_slicing, replicas: 536870913}"),
        "pools[0].sharing.replicas",
        8,
        "replicas is 536870913, more than the limit of 1024",
    );
    // The event list starts after BASE's 30 lines: line 32 is the resize.
    let resize =
        format!("{BASE}events:\n  - {{kind: resize, at: 10m, pool: ts, nodes: 1000000000}}\n");
    assert_one_error(
        &resize,
        "events[0].nodes",
        32,
        "nodes is 1000000000, more than the limit of 100000",
    );
    // A resize to 100 000 nodes of 16 GPUs: the pool's largest size counts toward the cluster.
    let grown = format!(
        "{}events:\n  - {{kind: resize, at: 10m, pool: ts, nodes: 100000}}\n",
        BASE.replace("gpus_per_node: 2", "gpus_per_node: 16")
    );
    assert_one_error(
        &grown,
        "pools",
        3,
        "is 1600001, more than the limit of 1000000",
    );
    // 20 years = 7300 days (1042 weeks 6 days) is the longest horizon; 7301 days = 1043 weeks.
    let long = with_line(2, "horizon: 7301d");
    let e = errors(&long);
    assert_eq!(e[0].path, "horizon", "{e:#?}");
    assert_eq!(
        e[0].message,
        "horizon is 1043w, more than the limit of 7300d"
    );
}

/// Regression (issue 15: MODEL.md's range-check text was stale): the back-off delays that
/// could retry at one instant forever must be at least 1 s; the other durations are not
/// range-checked (0 = at once), as docs/MODEL.md, "Parameters", now says.
#[test]
fn back_off_delays_are_range_checked_and_the_rest_is_not() {
    for field in ["restart_backoff", "quota_backoff", "quota_backoff_max"] {
        let yaml = format!("{BASE}model: {{{field}: 0s}}\n");
        let errs = errors(&yaml);
        assert_eq!(errs.len(), 1, "{field}: {errs:#?}");
        assert_eq!(errs[0].path, format!("model.{field}"));
        assert!(errs[0].message.contains("at least 1s"), "{}", errs[0]);
    }
    for field in [
        "restart_backoff_max",
        "oom_after",
        "termination_grace",
        "restart_delay",
        "reconfig_downtime",
        "mig_mode_change_downtime",
    ] {
        let yaml = format!("{BASE}model: {{{field}: 0s}}\n");
        assert!(errors(&yaml).is_empty(), "{field}: {:#?}", errors(&yaml));
    }
}
