//! `slicesim import`: Kubernetes / NVIDIA configuration into a scenario; warnings to stderr.

use slicesim::scenario::{self, Severity};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// `kubectl get nodes -o json` (or `-o yaml`) output: becomes the pools.
    #[arg(long)]
    nodes: Option<PathBuf>,
    /// NVIDIA device-plugin ConfigMap (named configs under `data`) or a bare config file.
    #[arg(long)]
    device_plugin: Option<PathBuf>,
    /// The ConfigMap key used by nodes without a `nvidia.com/device-plugin.config` label.
    #[arg(long)]
    device_plugin_default: Option<String>,
    /// mig-parted config (`mig-configs`), looked up by the nodes' `nvidia.com/mig.config`.
    #[arg(long)]
    mig_parted: Option<PathBuf>,
    /// YAML with PriorityClass, ResourceQuota and Namespace objects (repeatable).
    #[arg(long)]
    manifests: Vec<PathBuf>,
    /// Output file (default: standard output).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Scenario name.
    #[arg(long, default_value = "imported")]
    name: String,
    /// Write only the imported sections, not a complete scenario with placeholder classes.
    #[arg(long)]
    fragment: bool,
}

pub fn run(a: ImportArgs) -> Result<(), String> {
    use slicesim::scenario::k8s::{ImportInputs, Input, import, render};
    let read = |p: &Option<PathBuf>| p.as_deref().map(Input::read).transpose();
    let inputs = ImportInputs {
        nodes: read(&a.nodes)?,
        device_plugin: read(&a.device_plugin)?,
        device_plugin_default: a.device_plugin_default,
        mig_parted: read(&a.mig_parted)?,
        manifests: a
            .manifests
            .iter()
            .map(|p| Input::read(p))
            .collect::<Result<_, _>>()?,
    };
    let (fragment, report) = import(&inputs).map_err(|e| {
        e.warnings.iter().for_each(|w| errln!("warning: {w}"));
        e.errors.iter().for_each(|x| errln!("error: {x}"));
        "import failed".to_string()
    })?;
    report.warnings.iter().for_each(|w| errln!("warning: {w}"));
    for (name, meaning) in &report.device_plugin_configs {
        errln!("device-plugin config {name}: {meaning}");
    }
    for (name, meaning) in &report.mig_parted_configs {
        errln!("mig-parted config {name}: {meaning}");
    }
    let full = !a.fragment && !fragment.pools.is_empty();
    if !a.fragment && !full {
        errln!("note: no pools imported (no --nodes), so only the imported sections are written");
    }
    let text = render(&fragment, &inputs, &a.name, full);
    if full {
        // The output must validate as it is.
        let sc = scenario::parse(&text, "imported scenario")?;
        let problems = slicesim::world::check(&sc, &text, Path::new("."));
        problems
            .iter()
            .for_each(|p| errln!("imported scenario: {p}"));
        if problems.iter().any(|p| p.severity == Severity::Error) {
            return Err("the imported scenario does not validate (a bug: please report it)".into());
        }
    }
    match &a.out {
        Some(p) => slicesim::outfile::write(p, text.as_bytes())?,
        None => out!("{text}"),
    }
    let nodes: usize = fragment.pool_nodes.iter().map(Vec::len).sum();
    errln!(
        "imported {} pool(s) from {nodes} node(s), {} priority class(es), {} namespace(s){}{}; {} warning(s)",
        fragment.pools.len(),
        fragment.priority_classes.len(),
        fragment.namespaces.len(),
        a.out
            .as_ref()
            .map_or(String::new(), |p| format!(" into {}", p.display())),
        described(
            report.device_plugin_configs.len(),
            report.mig_parted_configs.len()
        ),
        report.warnings.len()
    );
    Ok(())
}

/// `; 2 device-plugin config(s) and 5 mig-parted config(s) described above (...)`, or nothing.
fn described(dp: usize, mig: usize) -> String {
    let parts: Vec<String> = [(dp, "device-plugin"), (mig, "mig-parted")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, k)| format!("{n} {k} config(s)"))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(
            "; {} described above (give --nodes to make pools)",
            parts.join(" and ")
        )
    }
}
