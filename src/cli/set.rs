//! `--set PATH=VALUE`, shared by the commands that read a scenario (`run`, `validate`).

use slicesim::scenario::{Loaded, Severity};
use slicesim::sweep::{Applied, Override, apply_to_loaded, overrides::origin};

/// Examples shown under `--help` of the commands that take `--set`.
pub const EXAMPLES: &str = "\
Overrides (--set PATH=VALUE, repeatable, applied in order; docs/SCENARIO.md, \"Overrides\"):
  --set pools.h100-timeslice.nodes=3
  --set classes.training.fallback_after=1h
  --set namespaces.production.quota.requests.nvidia.com/gpu=25
  --set 'pools.a100-mig-inference.sharing={kind: time_slicing, replicas: 3}'
  --set 'pools[1].nodes=4'                                  (a list item by index)
  --set 'pools.a100-timeslice.labels.\"example.com/zone\"=a'   (a quoted key)
List items are named by `name` (`class` in workload.mix, `key` in taints and tolerations);
map keys may hold dots (the longest key that exists wins); values are YAML.";

#[derive(clap::Args, Clone, Debug, Default)]
pub struct SetArgs {
    /// Override a scenario field: PATH=VALUE, e.g. pools.h100-timeslice.nodes=3 (repeatable,
    /// applied in order; see the examples below).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    pub set: Vec<Override>,
}

impl SetArgs {
    /// Applies the overrides to `loaded`; what each did, to report and to check against.
    pub fn apply(&self, loaded: &mut Loaded) -> Result<Vec<Applied>, String> {
        apply_to_loaded(loaded, &self.set)
    }
}

/// The scenario at `path` (the built-in one when absent) with the overrides applied and its
/// problems printed, and what each override did; an error when any problem is one (`check`,
/// `size`).
pub fn load_valid(
    path: Option<&std::path::Path>,
    set: &SetArgs,
) -> Result<(Loaded, Vec<Applied>), String> {
    let mut loaded = match path {
        Some(p) => slicesim::scenario::load(p)?,
        None => slicesim::scenario::builtin(),
    };
    let applied = set.apply(&mut loaded)?;
    if report_problems(&loaded, &applied) {
        return Err(format!("{}: invalid scenario (see above)", loaded.source));
    }
    Ok((loaded, applied))
}

/// Prints the problems of `loaded` (with `applied` overrides); true if any is an error. A
/// problem at an overridden field names its `--set` instead of a line of the file.
pub fn report_problems(loaded: &Loaded, applied: &[Applied]) -> bool {
    let problems = slicesim::world::check(&loaded.scenario, &loaded.text, &loaded.base_dir);
    for p in &problems {
        match origin(p, applied) {
            Some(a) => {
                let p = slicesim::scenario::Problem {
                    line: None,
                    ..p.clone()
                };
                errln!("{}: --set {}: {p}", loaded.source, a.given);
            }
            None => errln!("{}: {p}", loaded.source),
        }
    }
    problems.iter().any(|p| p.severity == Severity::Error)
}

/// " (with --set A --set B)" after a scenario's name, or nothing when no override was given.
pub fn with(applied: &[Applied]) -> String {
    if applied.is_empty() {
        return String::new();
    }
    let all: Vec<String> = applied.iter().map(|a| format!("--set {a}")).collect();
    format!(" (with {})", all.join(" "))
}
