//! The `Examples:` under `--help` of the commands and command groups that have no file of
//! their own to keep them in (the others keep theirs beside their arguments).

use super::set;

pub const TOP: &str = "\
Examples:
  slicesim run                                     the built-in seed strategy, report in reports/
  slicesim validate my-cluster.yaml && slicesim run my-cluster.yaml --out /tmp/mine
Every command has its own examples: slicesim help COMMAND (or COMMAND --help).";

/// `validate`: its examples, then the `--set` examples it shares with `run`.
pub fn validate() -> String {
    format!(
        "\
Examples:
  slicesim validate scenarios/seed-strategy.yaml
  slicesim validate my-cluster.yaml --set pools.h100-timeslice.nodes=3

{}",
        set::EXAMPLES
    )
}

/// `run`: its examples, then the `--set` examples.
pub fn run() -> String {
    format!("{}\n\n{}", super::run::EXAMPLES, set::EXAMPLES)
}

pub const MIG: &str = "\
Examples:
  slicesim mig layouts --gpu A100-80GB
  slicesim mig layouts --gpu H100-80GB --maximal";

pub const MIG_LAYOUTS: &str = MIG;

pub const CATALOG: &str = "\
Examples:
  slicesim catalog                                 name, memory, SMs, MIG profiles of each model";

pub const IMPORT: &str = "\
Examples:
  slicesim import --nodes scenarios/k8s/nodes.json --out my-cluster.yaml
  slicesim import --nodes nodes.json --device-plugin dp.yaml --mig-parted mig.yaml \\
      --manifests quotas.yaml --name prod -o prod.yaml
(kubectl get nodes -o json > nodes.json gives the node list; docs/SCENARIO.md, \"Import\".)";

pub const EXPERIMENT: &str = "\
Examples:
  slicesim experiment fgd --pods $T/openb_pod_list_default.csv --policy fgd --seed 42
  slicesim experiment fgd --workloads $T --select default --policies all --seeds 42..51
($T: the folder of the openb traces; docs/VALIDATION.md.)";

pub const HIL: &str = "\
Examples:
  slicesim hil inventory
  slicesim hil apply scenarios/seed-strategy.yaml --pool a100-mig-inference --yes
Without a GPU: slicesim hil fake-nvml --out /tmp/node, then SLICESIM_NVML_LIB as docs/HIL.md says.";

pub const HIL_INVENTORY: &str = "\
Examples:
  slicesim hil inventory
  slicesim hil inventory --gpu 0 --json inventory.json";

pub const HIL_PLAN: &str = "\
Examples:
  slicesim hil plan scenarios/seed-strategy.yaml --pool a100-mig-inference
  slicesim hil plan scenarios/seed-strategy.yaml --pool a100-mig-small --gpu 1";

pub const HIL_APPLY: &str = "\
Examples:
  slicesim hil apply scenarios/seed-strategy.yaml --pool a100-mig-inference     (dry run)
  slicesim hil apply scenarios/seed-strategy.yaml --pool a100-mig-inference --yes";

pub const HIL_RESTORE: &str = "\
Examples:
  slicesim hil restore                             (dry run)
  slicesim hil restore --state saved-state.json --yes";

pub const HIL_MEASURE: &str = "\
Examples:
  slicesim hil measure hil/experiments/mig-instances.yaml
  slicesim hil measure hil/experiments/timeslice-scaling.yaml -o /tmp/ts.json --probe-cmd './probe.sh'";

pub const HIL_COMPARE: &str = "\
Examples:
  slicesim hil compare measurements/*.json
  slicesim hil compare m.json --scenario my.yaml --tolerance 0.1 --json cmp.json";

pub const HIL_CALIBRATE: &str = "\
Examples:
  slicesim hil calibrate hil/measurements/fake-*.json -o /tmp/calibration.yaml
  slicesim hil calibrate m.json --scenario my.yaml -o calibration.yaml";

pub const HIL_GUARD: &str = "\
Examples:
  slicesim hil guard --timeslice-ready --json before.json
  slicesim hil guard --same-as before.json --json after.json";

pub const HIL_PROBE: &str = "\
Examples:
  slicesim hil probe
  slicesim hil probe --u 0.5 --d 0.25 --seconds 5";

pub const HIL_FAKE_NVML: &str = "\
Examples:
  slicesim hil fake-nvml --out /tmp/fake-nvml
  slicesim hil fake-nvml --out /tmp/fake-nvml --gpus A100-80GB:mig,H100-80GB";

pub const TRACE: &str = "\
Examples:
  slicesim trace stats traces/small-mixed.csv
  slicesim trace fit philly.csv -o profile.yaml && slicesim trace generate profile.yaml -o x.csv";

pub const TRACE_IMPORT: &str = "\
Examples:
  slicesim trace import philly.csv -o philly-native.csv
  slicesim trace import --format openb pods.csv -o native.csv --map map.yaml";

pub const TRACE_STATS: &str = "\
Examples:
  slicesim trace stats traces/small-mixed.csv
  slicesim trace stats philly.csv --json";

pub const TRACE_FIT: &str = "\
Examples:
  slicesim trace fit philly.csv -o philly-profile.yaml
  slicesim trace fit philly.csv -o philly-profile.yaml --busiest 0.98";

pub const TRACE_POOLS: &str = "\
Examples:
  slicesim trace pools openb_node_list_gpu_node.csv
  slicesim trace pools openb_node_list_gpu_node.csv --sharing time-slicing:4 -o pools.yaml";

pub const TRACE_GENERATE: &str = "\
Examples:
  slicesim trace generate philly-profile.yaml -o philly.csv
  slicesim trace generate philly-profile.yaml --scale 2.0 --seed 7 --span 7d -o philly-x2.csv";

pub const EXPERIMENT_FGD: &str = EXPERIMENT;
