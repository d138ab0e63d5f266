//! An openb node list (`openb_node_list_*.csv`, Alibaba cluster-trace-gpu-v2023) turned into
//! scenario pools and custom GPU models (`slicesim trace pools`). The rows are read by the
//! trace's openb list reader; what they become is scenario configuration, hence here.

use crate::catalog::{Catalog, GpuModel};
use crate::domain::Sharing;
use crate::limits::{MAX_GPUS_PER_NODE, exceeds};
use crate::scenario::host::{Cpu, Memory};
use crate::scenario::schema::PoolSpec;
use crate::trace::formats::openb::lists::{self, Wording};
use crate::trace::rows::CsvRows;
use crate::trace::{BadRow, ImportReport, TraceError, TraceFormat};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Pools and custom GPU models made from an openb node list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodePools {
    /// Models the list uses that the built-in catalog lacks (planning assumptions; see
    /// [`openb_model`]).
    pub gpu_models: Vec<GpuModel>,
    pub pools: Vec<PoolSpec>,
}

/// Catalog entries for the GPU models of the openb node lists. Memory and SMs are the
/// products' published figures; speed (relative to an A100-80GB) and price (USD per GPU-hour,
/// cloud on-demand) are rough planning assumptions to be replaced with your own. G2 and G3 are
/// undisclosed internal codes: their figures are placeholders.
pub fn openb_model(name: &str) -> Option<GpuModel> {
    let m = |memory_gib: f64, sms: u32, speed: f64, price: f64| GpuModel {
        name: name.to_string(),
        memory_gib,
        sms,
        mig_profiles: Vec::new(),
        speed,
        price_per_hour: price,
    };
    Some(match name {
        "T4" => m(16.0, 40, 0.2, 0.35),
        "P100" => m(16.0, 56, 0.25, 1.46),
        "V100M16" => m(16.0, 80, 0.5, 2.48),
        "V100M32" => m(32.0, 80, 0.5, 2.48),
        "A10" => m(24.0, 72, 0.35, 1.0),
        "G2" | "G3" => m(16.0, 80, 0.5, 1.0),
        _ => return None,
    })
}

/// Groups the GPU nodes of an openb node list into pools of identical nodes (one per GPU model
/// and GPUs per node, CPU and memory: `cpu` and `memory` of the pool), shared as `sharing`.
/// Nodes without GPUs are left out (a pool has GPUs). Models the catalog lacks get an entry from [`openb_model`]; unknown ones are
/// an error naming them.
pub fn pools_from_nodes(
    path: &Path,
    sharing: &Sharing,
    strict: bool,
) -> Result<(NodePools, ImportReport), TraceError> {
    let expected = "an openb node list has sn, cpu_milli, memory_mib, gpu, model";
    let rows = CsvRows::open(path, expected)?;
    let mut report = ImportReport::new(rows.source(), TraceFormat::Openb);
    report.format = "openb node list".into();
    rows.locate(&lists::NODE_COLUMNS, "openb node list")?;
    let nodes = lists::node_rows(rows, Wording::Import)?;
    report.rows = nodes.len() as u64;
    // (model, GPUs per node) -> (CPU millicores, memory MiB) per node -> nodes.
    let mut groups: BTreeMap<(String, u32), BTreeMap<(u64, u64), u32>> = BTreeMap::new();
    let mut cpu_only = 0u64;
    let catalog = Catalog::builtin();
    for n in nodes {
        let n = match n {
            Ok(n) => n,
            // Including a node with GPUs but no model.
            Err(b) => {
                report.add_bad(strict, b)?;
                continue;
            }
        };
        if n.gpus == 0 {
            cpu_only += 1;
            continue;
        }
        if u64::from(n.gpus) > MAX_GPUS_PER_NODE {
            let b = BadRow {
                line: n.line,
                column: Some("gpu".into()),
                message: exceeds("the node's GPUs", n.gpus, MAX_GPUS_PER_NODE),
            };
            report.add_bad(strict, b)?;
            continue;
        }
        *groups
            .entry((catalog_name(&n.model, &catalog), n.gpus))
            .or_default()
            .entry((n.cpu_milli, n.memory_mib))
            .or_default() += 1;
    }
    if cpu_only > 0 {
        report.notes.push(format!(
            "{cpu_only} nodes without GPUs left out (CPU-only pods run on the GPU nodes' CPUs)"
        ));
    }
    let mut gpu_models: Vec<GpuModel> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut pools = Vec::new();
    for ((model, gpus), shapes) in &groups {
        if catalog.get(model).is_none() && !gpu_models.iter().any(|m| &m.name == model) {
            match openb_model(model) {
                Some(m) => gpu_models.push(m),
                None => unknown.push(model.clone()),
            }
        }
        for (&(cpu_milli, memory_mib), nodes) in shapes {
            // One pool per node shape; the CPU in the name only where a model and GPU count
            // come with several.
            let mut name = format!("{}-{gpus}g", model.to_lowercase());
            if shapes.len() > 1 {
                name.push_str(&format!("-{}c", Cpu(cpu_milli)));
            }
            pools.push(PoolSpec {
                name,
                gpu: model.clone(),
                nodes: *nodes,
                gpus_per_node: *gpus,
                labels: BTreeMap::new(),
                taints: Vec::new(),
                sharing: sharing.clone(),
                cpu: Some(Cpu(cpu_milli)),
                memory: Some(Memory(memory_mib.saturating_mul(1 << 20))),
            });
        }
    }
    if !unknown.is_empty() {
        report.notes.push(format!(
            "GPU models {} are neither built in nor known openb models: add them to the \
             scenario's gpu_models",
            unknown.join(", ")
        ));
    }
    report.jobs = 0;
    Ok((NodePools { gpu_models, pools }, report))
}

/// The catalog's name for a node list's model, as `slicesim import` maps GPU products
/// (`A100-SXM4-80GB` is A100-80GB); the name as written when the catalog has no such model
/// (openb's own codes such as G2 or T4).
fn catalog_name(model: &str, catalog: &Catalog) -> String {
    if openb_model(model).is_some() {
        // openb's own codes keep their openb figures (A10 and T4 included).
        return model.to_string();
    }
    match super::nodes::map_product(model, catalog) {
        Some(m) if m.mig_profile.is_none() => m.model,
        _ => model.to_string(),
    }
}

/// The pools as a YAML fragment (`gpu_models:` and `pools:`) to paste into a scenario.
pub fn pools_yaml(p: &NodePools, source: &str) -> Result<String, String> {
    // Wide sums: a list of many large nodes does not wrap a u32.
    let gpus: u64 = p
        .pools
        .iter()
        .map(|x| u64::from(x.nodes) * u64::from(x.gpus_per_node))
        .sum();
    let nodes: u64 = p.pools.iter().map(|x| u64::from(x.nodes)).sum();
    let head = format!(
        "# Pools from {source} by `slicesim trace pools`: {nodes} GPU nodes, {gpus} GPUs.\n# \
         Custom GPU models: memory and SMs are published figures; speed and price are planning\n# \
         assumptions (G2 and G3 are undisclosed internal codes: placeholders). Edit to taste.\n"
    );
    Ok(head + &serde_saphyr::to_string(p).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn shared(rel: &str) -> Option<std::path::PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/traces/openb")
            .join(rel);
        if p.is_file() {
            Some(p)
        } else {
            eprintln!("skipped: {} not found (see README: traces)", p.display());
            None
        }
    }

    #[test]
    fn the_published_node_list_becomes_pools() {
        let Some(path) = shared("openb_node_list_gpu_node.csv") else {
            return;
        };
        let (p, report) = pools_from_nodes(&path, &Sharing::Fractional, true).unwrap();
        // SOURCES.md: 1,213 GPU nodes, 6,212 GPUs: G2 4,392, T4 842, G3 312, P100 265,
        // V100M32 204, V100M16 195, A10 2.
        let nodes: u32 = p.pools.iter().map(|x| x.nodes).sum();
        assert_eq!(nodes, 1_213);
        let mut by_model: BTreeMap<&str, u32> = BTreeMap::new();
        for x in &p.pools {
            *by_model.entry(x.gpu.as_str()).or_default() += x.nodes * x.gpus_per_node;
        }
        assert_eq!(
            by_model,
            BTreeMap::from([
                ("A10", 2),
                ("G2", 4_392),
                ("G3", 312),
                ("P100", 265),
                ("T4", 842),
                ("V100M16", 195),
                ("V100M32", 204),
            ])
        );
        assert_eq!(p.gpu_models.len(), 7);
        assert_eq!(report.bad_count, 0);
        let all = shared("openb_node_list_all_node.csv").unwrap();
        let (q, report) = pools_from_nodes(&all, &Sharing::Fractional, true).unwrap();
        assert_eq!(q, p);
        assert_eq!(
            report.notes,
            vec!["310 nodes without GPUs left out (CPU-only pods run on the GPU nodes' CPUs)"]
        );
        // Node shapes (openb_node_list_gpu_node.csv): G2 8 GPUs, 96 cores, 384 GiB (549 nodes);
        // P100 with 2 GPUs in three shapes: 16 cores/120 GiB (107), 64/256 (22), 8/60 (2).
        let g2 = p.pools.iter().find(|x| x.name == "g2-8g").unwrap();
        assert_eq!(
            (g2.nodes, g2.cpu, g2.memory),
            (549, Some(Cpu(96_000)), Some(Memory(384 << 30)))
        );
        let p100: Vec<(&str, u32)> = (p.pools.iter())
            .filter(|x| x.name.starts_with("p100-2g"))
            .map(|x| (x.name.as_str(), x.nodes))
            .collect();
        assert_eq!(
            p100,
            [("p100-2g-8c", 2), ("p100-2g-16c", 107), ("p100-2g-64c", 22)]
        );
        // The YAML parses back as scenario fields.
        let yaml = pools_yaml(&p, "nodes.csv").unwrap();
        #[derive(Deserialize)]
        struct Fragment {
            gpu_models: Vec<GpuModel>,
            pools: Vec<PoolSpec>,
        }
        let f: Fragment = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!((f.gpu_models, f.pools), (p.gpu_models, p.pools));
    }

    #[test]
    fn product_names_map_to_the_catalog_and_huge_nodes_are_bad_rows() {
        // Line 2: an A100 named as GPU feature discovery does; line 3: 10^9 GPUs (a corrupted
        // count) is a bad row naming the value and the limit, not a pool of 10^9-GPU nodes.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nodes.csv");
        std::fs::write(
            &path,
            "sn,cpu_milli,memory_mib,gpu,model\n\
             n1,96000,786432,8,A100-SXM4-80GB\n\
             n2,96000,786432,1000000000,T4\n",
        )
        .unwrap();
        let (p, report) = pools_from_nodes(&path, &Sharing::Fractional, false).unwrap();
        assert_eq!(p.pools.len(), 1);
        assert_eq!(p.pools[0].gpu, "A100-80GB");
        assert_eq!(p.pools[0].name, "a100-80gb-8g");
        assert!(p.gpu_models.is_empty(), "{:?}", p.gpu_models);
        assert_eq!(report.bad_count, 1);
        assert_eq!(
            report.bad[0].to_string(),
            "line 3: column gpu: the node's GPUs is 1000000000, more than the limit of 64"
        );
        let e = pools_from_nodes(&path, &Sharing::Fractional, true)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("nodes.csv:3: column gpu: the node's GPUs is 1000000000"),
            "{e}"
        );
    }
}
