//! Step: the MIG layout a node runs (from its mig-parted config, a stock config name, the MIG
//! resources it advertises or a single-strategy product name) and the MIG strategy.

use super::Used;
use super::per_node::{PerNode, Skip};
use super::product::ProductMatch;
use super::raw_node::RawNode;
use super::shape::GpuNode;
use crate::catalog::{GpuModel, solve};
use crate::domain::{MigStrategy, Sharing};
use crate::scenario::k8s::device_plugin::{DevicePluginConfig, MigStrategyFlag};
use crate::scenario::k8s::mig_parted::{MigPartedFile, MigSetting};
use std::collections::BTreeSet;

/// A MIG layout per GPU and the tag that names its pool (the config name, `mig`, `all-1g.10gb`).
pub(super) struct Layout {
    pub(super) layout: Vec<String>,
    pub(super) tag: String,
}

/// The node's MIG layout, from, in order: its `nvidia.com/mig.config` label, the MIG resources
/// it advertises, a single-strategy product name. `None`: MIG is off.
pub(super) fn mig_layout(
    g: &GpuNode,
    mig: Option<&MigPartedFile>,
    used: &mut Used,
    per: &mut PerNode,
) -> Result<Option<Layout>, Skip> {
    let n = g.n;
    if let Some(state) = n.label("nvidia.com/mig.config.state")
        && state != "success"
    {
        per.warn(n, format!("nvidia.com/mig.config.state={state}: the MIG config may not be applied yet; the configured layout is imported"));
    }
    if let Some(name) = n.label("nvidia.com/mig.config") {
        used.mig_configs.insert(name.to_string());
        return Ok(match configured(g, name, mig, per)? {
            MigSetting::Layout(layout) => Some(Layout {
                layout,
                tag: name.to_string(),
            }),
            MigSetting::Disabled => None,
        });
    }
    if let Some(layout) = infer_mixed(n, g.model, g.label_count, per) {
        per.warn(n, "no nvidia.com/mig.config label; the MIG layout is inferred from the advertised nvidia.com/mig-* resources");
        return Ok(Some(Layout {
            layout,
            tag: "mig".into(),
        }));
    }
    match &g.pm.mig_profile {
        Some(p) => Ok(Some(Layout {
            layout: product_layout(g, p, per)?,
            tag: format!("all-{p}"),
        })),
        None => Ok(None),
    }
}

/// What `nvidia.com/mig.config=<name>` selects: the mig-parted file's config, else a stock
/// config read from the name, else a layout inferred from the advertised resources.
fn configured(
    g: &GpuNode,
    name: &str,
    mig: Option<&MigPartedFile>,
    per: &mut PerNode,
) -> Result<MigSetting, Skip> {
    let (n, model) = (g.n, g.model);
    if let Some(cfg) = mig.and_then(|m| m.get(name)) {
        let hint = g.label_count.unwrap_or(8);
        let mut notes = Vec::new();
        let r = cfg.resolve(model, hint, &mut notes);
        for note in notes {
            per.warn(n, note);
        }
        return r.map_err(|e| {
            per.error(
                n,
                format!("nvidia.com/mig.config={name} on {}: {e}", model.name),
            );
            Skip
        });
    }
    let why = match mig {
        Some(m) => format!("not in {}", m.file),
        None => "no mig-parted file was given".to_string(),
    };
    if let Some(s) = stock_config(name, model) {
        if mig.is_some() {
            per.warn(
                n,
                format!("nvidia.com/mig.config={name} is {why}; read from its name"),
            );
        }
        Ok(s)
    } else if let Some(l) = infer_mixed(n, model, g.label_count, per) {
        per.warn(n, format!("nvidia.com/mig.config={name}: {why}; the layout is inferred from the advertised MIG resources"));
        Ok(MigSetting::Layout(l))
    } else {
        per.error(n, format!("nvidia.com/mig.config={name}: {why}, and the name does not say the layout (give --mig-parted)"));
        Err(Skip)
    }
}

/// A single-strategy product (`A100-SXM4-80GB-MIG-1g.10gb`) without a MIG config label: the
/// GPUs full of that profile, unless the advertised count says fewer per GPU.
fn product_layout(g: &GpuNode, p: &str, per: &mut PerNode) -> Result<Vec<String>, Skip> {
    let (n, model, label_count) = (g.n, g.model, g.label_count);
    let full = max_fit(model, p);
    let advertised = n.resource("nvidia.com/gpu").unwrap_or(0) as usize;
    let per_gpu = match label_count {
        Some(c)
            if c > 0
                && advertised.is_multiple_of(c as usize)
                && (1..full.len()).contains(&(advertised / c as usize)) =>
        {
            advertised / c as usize
        }
        _ => full.len(),
    };
    if full.is_empty() {
        per.error(
            n,
            format!(
                "product says MIG profile {p}, which {} does not have",
                model.name
            ),
        );
        return Err(Skip);
    }
    per.warn(n, format!("no nvidia.com/mig.config label; single-strategy product name: {per_gpu} x {p} per GPU assumed"));
    Ok(vec![
        model
            .profile(p)
            .map_or(p.to_string(), |x| x.name.clone());
        per_gpu
    ])
}

/// MIG sharing with `layout` on every GPU; a node whose layout is empty or cannot be placed is
/// left out.
pub(super) fn mig_sharing(
    g: &GpuNode,
    config: Option<&DevicePluginConfig>,
    layout: Vec<String>,
    per: &mut PerNode,
) -> Result<Sharing, Skip> {
    let (n, model) = (g.n, g.model);
    if layout.is_empty() {
        per.warn(
            n,
            "MIG is enabled with no instances, so the node advertises no GPUs; not imported",
        );
        return Err(Skip);
    }
    let names: Vec<&str> = layout.iter().map(String::as_str).collect();
    if let Err(e) = solve(model, &names) {
        per.error(n, format!("MIG layout on {}: {e}", model.name));
        return Err(Skip);
    }
    let strategy = mig_strategy(n, g.pm, config, per);
    let distinct: BTreeSet<&str> = names.iter().copied().collect();
    let replicas = super::mig_replicas::instance_replicas(n, config, strategy, &distinct, per);
    if strategy == MigStrategy::Single && distinct.len() > 1 {
        per.warn(n, format!("single MIG strategy with mixed profiles ({}): the device plugin advertises 0 GPUs on this node", distinct.into_iter().collect::<Vec<_>>().join(", ")));
    }
    Ok(Sharing::Mig {
        strategy,
        layout,
        replicas,
    })
}

/// The most instances of `profile` that fit one GPU (7 for a 1g, 2 for a 3g).
fn max_fit(model: &GpuModel, profile: &str) -> Vec<String> {
    let Some(p) = model.profile(profile) else {
        return Vec::new();
    };
    let name = p.name.clone();
    for n in (1..=usize::from(p.max_count)).rev() {
        let layout = vec![name.clone(); n];
        let names: Vec<&str> = layout.iter().map(String::as_str).collect();
        if solve(model, &names).is_ok() {
            return layout;
        }
    }
    Vec::new()
}

/// Settings named like NVIDIA's stock mig-parted configs: `all-disabled`, `all-enabled`,
/// `all-<profile>` (every GPU full of that profile).
fn stock_config(name: &str, model: &GpuModel) -> Option<MigSetting> {
    match name {
        "all-disabled" => Some(MigSetting::Disabled),
        "all-enabled" => Some(MigSetting::Layout(Vec::new())),
        _ => {
            let p = name.strip_prefix("all-")?;
            model.profile(p)?;
            Some(MigSetting::Layout(max_fit(model, p)))
        }
    }
}

/// A mixed-strategy layout from the advertised `nvidia.com/mig-<profile>` counts.
fn infer_mixed(
    n: &RawNode,
    model: &GpuModel,
    gpus: Option<u32>,
    per: &mut PerNode,
) -> Option<Vec<String>> {
    let res = n.mig_resources();
    let g = u64::from(gpus?);
    if res.is_empty() || g == 0 {
        return None;
    }
    let mut layout = Vec::new();
    for (p, count) in &res {
        let Some(prof) = model.profile(p) else {
            per.warn(
                n,
                format!(
                    "advertises nvidia.com/mig-{p}, which {} does not have; ignored",
                    model.name
                ),
            );
            continue;
        };
        if !count.is_multiple_of(g) {
            per.warn(n, format!("advertises {count} x nvidia.com/mig-{p} on {g} GPUs, not the same on every GPU; {} per GPU assumed", count / g));
        }
        let per_gpu = count / g;
        if per_gpu > u64::from(prof.max_count) {
            // More than a GPU can hold: the layout check would refuse it anyway; do not build
            // a list of that length first (a mangled count can be in the billions).
            per.warn(n, format!("advertises {count} x nvidia.com/mig-{p} on {g} GPUs, more than the {} per GPU the profile allows; ignored", prof.max_count));
            continue;
        }
        layout.extend(std::iter::repeat_n(prof.name.clone(), per_gpu as usize));
    }
    Some(layout)
}

fn parse_strategy(s: &str) -> Option<MigStrategyFlag> {
    MigStrategyFlag::parse(s)
}

/// The MIG strategy: GPU feature discovery's `nvidia.com/mig.strategy` label (what the running
/// plugin uses), else the device-plugin config's `flags.migStrategy`, else what the advertised
/// resources show, else mixed.
fn mig_strategy(
    n: &RawNode,
    pm: &ProductMatch,
    config: Option<&DevicePluginConfig>,
    per: &mut PerNode,
) -> MigStrategy {
    let label = n.label("nvidia.com/mig.strategy").and_then(parse_strategy);
    let cfg = config.and_then(|c| c.mig_strategy);
    let shape = if !n.mig_resources().is_empty() {
        Some(MigStrategyFlag::Mixed)
    } else if pm.mig_profile.is_some() {
        Some(MigStrategyFlag::Single)
    } else {
        None
    };
    if let (Some(l), Some(c)) = (label, cfg)
        && l != c
    {
        per.warn(n, format!("nvidia.com/mig.strategy={} but device-plugin config {} says migStrategy {}; the label is used", l.as_str(), config.map_or("", |c| c.name.as_str()), c.as_str()));
    }
    let chosen = label
        .filter(|s| *s != MigStrategyFlag::None)
        .or(cfg.filter(|s| *s != MigStrategyFlag::None))
        .or(shape);
    if label.or(cfg) == Some(MigStrategyFlag::None) && chosen.is_none() {
        per.warn(n, "MIG is enabled but the MIG strategy is none: the device plugin advertises no MIG instances; imported as mixed");
    }
    match chosen {
        Some(MigStrategyFlag::Single) => MigStrategy::Single,
        Some(_) => MigStrategy::Mixed,
        None => {
            if label.or(cfg).is_none() {
                per.warn(n, "MIG strategy unknown (no nvidia.com/mig.strategy label, no flags.migStrategy); mixed assumed");
            }
            MigStrategy::Mixed
        }
    }
}
