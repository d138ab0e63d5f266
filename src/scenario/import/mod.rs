//! Import of real cluster configuration into a scenario (`slicesim import`).
//!
//! | file | module | becomes |
//! |---|---|---|
//! | `kubectl get nodes -o json` | [`nodes`] | `pools` |
//! | NVIDIA device-plugin ConfigMap or config | [`device_plugin`] | pool sharing (time-slicing, MIG strategy) |
//! | mig-parted config | [`mig_parted`] | pool MIG layouts |
//! | PriorityClass / ResourceQuota / Namespace manifests | [`manifests`] | `priority_classes`, `namespaces` |
//!
//! Files are read into a generic tree ([`tree`]) rather than strict types: every field that is
//! not used is reported with its path and line, never dropped silently. Messages read
//! `file:line: path: message`. Malformed files, configs a node selects but the file lacks, and
//! MIG layouts that cannot be placed are errors; the rest are warnings.

pub mod device_plugin;
pub mod manifests;
pub mod mig_parted;
pub mod nodes;
pub mod tree;

use crate::catalog::Catalog;
use crate::domain::{
    JobKind, MigStrategy, RequestSpec, Sharing, TaintEffect, Toleration, TolerationOperator,
};
use crate::scenario::schema::{
    ClassSpec, NamespaceSpec, PoolSpec, PriorityClassSpec, Scenario, WorkloadSpec,
};
use crate::trace::synthetic::{LogNormal, MixEntry, SyntheticSpec};
use crate::units::Dur;
use serde::Serialize;
use std::fmt;
use std::path::Path;
use tree::Messages;

/// One input file: the name shown in messages and its text.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub text: String,
}

impl Input {
    pub fn read(path: &Path) -> Result<Input, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Ok(Input {
            name: path.display().to_string(),
            text,
        })
    }
}

/// The files to import; any may be absent.
#[derive(Clone, Debug, Default)]
pub struct ImportInputs {
    /// `kubectl get nodes -o json` (or `-o yaml`).
    pub nodes: Option<Input>,
    /// Device-plugin ConfigMap, or one bare config.
    pub device_plugin: Option<Input>,
    /// The ConfigMap key nodes without a `nvidia.com/device-plugin.config` label use (the GPU
    /// operator's `devicePlugin.config.default`). Default: a config named `default`, else the
    /// only config.
    pub device_plugin_default: Option<String>,
    /// mig-parted config.
    pub mig_parted: Option<Input>,
    /// Multi-document YAML files with PriorityClass, ResourceQuota and Namespace objects.
    pub manifests: Vec<Input>,
}

impl ImportInputs {
    fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = [&self.nodes, &self.device_plugin, &self.mig_parted]
            .into_iter()
            .flatten()
            .map(|i| i.name.as_str())
            .collect();
        v.extend(self.manifests.iter().map(|i| i.name.as_str()));
        v
    }
}

/// What the import found: the scenario sections it could fill.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScenarioFragment {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub priority_classes: Vec<PriorityClassSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<NamespaceSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<PoolSpec>,
    /// The node names of each pool, in pool order (written as comments).
    #[serde(skip)]
    pub pool_nodes: Vec<Vec<String>>,
}

/// Everything worth telling the user that did not stop the import.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// `file:line: path: message`, in the order found.
    pub warnings: Vec<String>,
}

/// Why the import failed, with the warnings found before.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportError {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.errors.join("\n"))
    }
}

impl std::error::Error for ImportError {}

/// Reads every given file and builds the scenario sections.
pub fn import(inputs: &ImportInputs) -> Result<(ScenarioFragment, ImportReport), ImportError> {
    let mut msgs = Messages::default();
    let fail = |msgs: Messages| ImportError {
        errors: msgs.errors,
        warnings: msgs.warnings,
    };
    if inputs.names().is_empty() {
        msgs.errors.push("nothing to import: give at least one of --nodes, --device-plugin, --mig-parted, --manifests".into());
        return Err(fail(msgs));
    }
    if inputs.device_plugin.is_none() && inputs.device_plugin_default.is_some() {
        msgs.errors.push(
            "a default device-plugin config was named, but no device-plugin file was given".into(),
        );
    }
    let catalog = Catalog::builtin();
    let dp = inputs
        .device_plugin
        .as_ref()
        .and_then(|i| device_plugin::parse(i, inputs.device_plugin_default.as_deref(), &mut msgs));
    let mig = inputs
        .mig_parted
        .as_ref()
        .and_then(|i| mig_parted::parse(i, &mut msgs));
    let man = if inputs.manifests.is_empty() {
        manifests::Manifests::default()
    } else {
        manifests::parse(&inputs.manifests, &mut msgs).unwrap_or_default()
    };
    if !msgs.errors.is_empty() {
        // The nodes depend on the config files; reading them now would only add noise.
        return Err(fail(msgs));
    }
    let mut used = nodes::Used::default();
    let pools = match &inputs.nodes {
        Some(n) => {
            let pools = nodes::import(n, dp.as_ref(), mig.as_ref(), &catalog, &mut used, &mut msgs);
            if pools.is_empty() && msgs.errors.is_empty() {
                msgs.errors.push(format!(
                    "{}: no GPU node could be imported (see the warnings)",
                    n.name
                ));
            }
            pools
        }
        None => Vec::new(),
    };
    if let Some(m) = &mig {
        mig_parted::check_unused(
            m,
            &used.mig_configs,
            &catalog,
            inputs.nodes.is_none(),
            &mut msgs,
        );
    }
    if let (Some(dp), Some(_)) = (&dp, &inputs.nodes) {
        let unused: Vec<&str> = dp
            .names()
            .into_iter()
            .filter(|n| !used.device_plugin_configs.contains(*n))
            .collect();
        if !unused.is_empty() {
            msgs.warnings.push(format!(
                "{}: device-plugin configs no imported node uses: {}",
                dp.file,
                unused.join(", ")
            ));
        }
    }
    if !msgs.errors.is_empty() {
        return Err(fail(msgs));
    }
    let fragment = ScenarioFragment {
        priority_classes: man.priority_classes,
        namespaces: man.namespaces,
        pool_nodes: pools.iter().map(|p| p.nodes.clone()).collect(),
        pools: pools.into_iter().map(|p| p.spec).collect(),
    };
    Ok((
        fragment,
        ImportReport {
            warnings: msgs.warnings,
        },
    ))
}

/// The namespace the placeholder classes run in: `default` (added to `namespaces` when the
/// import declared namespaces, since classes must then name a declared one).
pub const PLACEHOLDER_NAMESPACE: &str = "default";

/// One placeholder class per pool that can run a one-device job: it asks for what the pool
/// advertises, tolerates the pool's taints and lists only that pool.
pub fn placeholder_classes(fragment: &ScenarioFragment) -> Vec<ClassSpec> {
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    for p in &fragment.pools {
        let Some(model) = catalog.get(&p.gpu) else {
            continue;
        };
        let (request, mem_gib) = match &p.sharing {
            Sharing::Exclusive | Sharing::Fractional => {
                (RequestSpec::Gpu { count: 1 }, model.memory_gib / 4.0)
            }
            Sharing::TimeSlicing {
                replicas,
                rename_by_default,
                ..
            } => {
                let mem = model.memory_gib / f64::from((*replicas).max(1)) / 2.0;
                if *rename_by_default {
                    (RequestSpec::SharedGpu { count: 1 }, mem)
                } else {
                    (RequestSpec::Gpu { count: 1 }, mem)
                }
            }
            Sharing::Mig { strategy, layout } => {
                let Some(smallest) = layout
                    .iter()
                    .filter_map(|l| model.profile(l))
                    .min_by(|a, b| a.mem_gib.total_cmp(&b.mem_gib))
                else {
                    continue;
                };
                let distinct = layout
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len();
                match strategy {
                    MigStrategy::Single if distinct > 1 => continue,
                    MigStrategy::Single => (RequestSpec::Gpu { count: 1 }, smallest.mem_gib / 2.0),
                    MigStrategy::Mixed => (
                        RequestSpec::Mig {
                            profile: smallest.name.clone(),
                            count: 1,
                        },
                        smallest.mem_gib / 2.0,
                    ),
                }
            }
        };
        let tolerations = p
            .taints
            .iter()
            .filter(|t| t.effect != TaintEffect::PreferNoSchedule)
            .map(|t| Toleration {
                key: Some(t.key.clone()),
                operator: if t.value.is_some() {
                    TolerationOperator::Equal
                } else {
                    TolerationOperator::Exists
                },
                value: t.value.clone(),
                effect: Some(t.effect),
            })
            .collect();
        out.push(ClassSpec {
            name: format!("{}-job", p.name),
            kind: JobKind::Batch,
            namespace: PLACEHOLDER_NAMESPACE.to_string(),
            priority: None,
            request,
            u: 0.5,
            d: 0.5,
            mem_gib: (mem_gib * 4.0).floor() / 4.0,
            speed: Default::default(),
            checkpoint: None,
            pools: vec![p.name.clone()],
            fallback_after: None,
            node_selector: Default::default(),
            node_affinity: Vec::new(),
            tolerations,
            speed_target: None,
        });
    }
    out
}

/// A complete scenario: the imported sections plus placeholder classes and a light synthetic
/// workload, so that it validates and runs as it is.
pub fn skeleton(fragment: &ScenarioFragment, name: &str) -> Scenario {
    let classes = placeholder_classes(fragment);
    let mut namespaces = fragment.namespaces.clone();
    if !namespaces.is_empty() && !namespaces.iter().any(|n| n.name == PLACEHOLDER_NAMESPACE) {
        namespaces.push(NamespaceSpec {
            name: PLACEHOLDER_NAMESPACE.to_string(),
            quota: Default::default(),
        });
    }
    let mix = classes
        .iter()
        .map(|c| MixEntry {
            class: c.name.clone(),
            weight: 1.0,
            duration: LogNormal {
                median: Dur(3_600_000),
                sigma: 0.5,
                min: None,
                max: Some(Dur(6 * 3_600_000)),
            },
            mem_gib: None,
            request: None,
            namespace: None,
            priority_class: None,
            gpu_models: Vec::new(),
        })
        .collect();
    Scenario {
        name: name.to_string(),
        include: Vec::new(),
        description: None,
        seed: 1,
        horizon: Dur(24 * 3_600_000),
        reference_gpu: None,
        gpu_models: Vec::new(),
        prices: Default::default(),
        model: Default::default(),
        scheduler: Default::default(),
        priority_classes: fragment.priority_classes.clone(),
        namespaces,
        pools: fragment.pools.clone(),
        events: Vec::new(),
        report: Default::default(),
        workload: WorkloadSpec::Synthetic(SyntheticSpec {
            rate_per_hour: (2.0 * classes.len() as f64).max(1.0),
            span: None,
            max_jobs: None,
            diurnal: None,
            mix,
        }),
        classes,
    }
}

fn yaml<T: Serialize>(v: &T) -> String {
    let mut s = serde_saphyr::to_string(v).expect("scenario types serialise");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// A class as written in the output: only the fields the placeholders set.
#[derive(Serialize)]
struct ClassView<'a> {
    name: &'a str,
    kind: JobKind,
    namespace: &'a str,
    request: &'a RequestSpec,
    u: f64,
    d: f64,
    mem_gib: f64,
    pools: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tolerations: Vec<TolerationView<'a>>,
}

#[derive(Serialize)]
struct TolerationView<'a> {
    key: Option<&'a str>,
    operator: TolerationOperator,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effect: Option<TaintEffect>,
}

impl<'a> From<&'a ClassSpec> for ClassView<'a> {
    fn from(c: &'a ClassSpec) -> Self {
        ClassView {
            name: &c.name,
            kind: c.kind,
            namespace: &c.namespace,
            request: &c.request,
            u: c.u,
            d: c.d,
            mem_gib: c.mem_gib,
            pools: &c.pools,
            tolerations: c
                .tolerations
                .iter()
                .map(|t| TolerationView {
                    key: t.key.as_deref(),
                    operator: t.operator,
                    value: t.value.as_deref(),
                    effect: t.effect,
                })
                .collect(),
        }
    }
}

fn comment(out: &mut String, text: &str) {
    for l in text.lines() {
        out.push_str(if l.is_empty() { "#" } else { "# " });
        out.push_str(l);
        out.push('\n');
    }
}

/// The imported sections as YAML with comments: the pools' node names, and where the text
/// came from. With `full`, a complete scenario (see [`skeleton`]) whose placeholder classes and
/// workload are marked as such; without, only the sections to paste into a scenario.
pub fn render(
    fragment: &ScenarioFragment,
    inputs: &ImportInputs,
    name: &str,
    full: bool,
) -> String {
    let mut out = String::new();
    comment(
        &mut out,
        &format!(
            "Imported by `slicesim import` from: {}\nPools, priority classes and namespaces come from the cluster configuration.",
            inputs.names().join(", ")
        ),
    );
    let sc = skeleton(fragment, name);
    if full {
        comment(
            &mut out,
            "The classes and the workload at the end are PLACEHOLDERS: replace them with your workload.\n",
        );
        #[derive(Serialize)]
        struct Head<'a> {
            name: &'a str,
            horizon: Dur,
        }
        out.push_str(&yaml(&Head {
            name,
            horizon: sc.horizon,
        }));
        out.push('\n');
    } else {
        comment(
            &mut out,
            "Paste these sections into a scenario (see docs/SCENARIO.md).\n",
        );
    }
    #[derive(Serialize)]
    struct PrioNs<'a> {
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        priority_classes: &'a [PriorityClassSpec],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        namespaces: &'a [NamespaceSpec],
    }
    let namespaces = if full {
        &sc.namespaces
    } else {
        &fragment.namespaces
    };
    if !(fragment.priority_classes.is_empty() && namespaces.is_empty()) {
        out.push_str(&yaml(&PrioNs {
            priority_classes: &fragment.priority_classes,
            namespaces,
        }));
        if full && namespaces.len() > fragment.namespaces.len() {
            comment(
                &mut out,
                &format!("({PLACEHOLDER_NAMESPACE} is added for the placeholder classes.)"),
            );
        }
        out.push('\n');
    }
    if !fragment.pools.is_empty() {
        out.push_str("pools:\n");
        for (i, p) in fragment.pools.iter().enumerate() {
            if let Some(nodes) = fragment.pool_nodes.get(i) {
                comment(&mut out, &format!("nodes: {}", nodes.join(", ")));
            }
            out.push_str(&yaml(&[p]));
        }
        out.push('\n');
    }
    if full {
        comment(
            &mut out,
            "---- PLACEHOLDERS: one class per pool and a light synthetic load, so that the file\nvalidates and runs. Replace them with your workload classes and trace. ----",
        );
        #[derive(Serialize)]
        struct Tail<'a> {
            classes: Vec<ClassView<'a>>,
            workload: &'a WorkloadSpec,
        }
        out.push_str(&yaml(&Tail {
            classes: sc.classes.iter().map(ClassView::from).collect(),
            workload: &sc.workload,
        }));
    }
    out
}
