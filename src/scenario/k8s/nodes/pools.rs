//! Step: nodes of the same shape become one pool, named after the model and the sharing tag;
//! the nodes left out are summed up in a few warnings.

use super::labels::dropped_rule;
use super::per_node::PerNode;
use super::product::map_product;
use super::raw_node::{HostAmounts, RawNode};
use super::shape::{GpuNode, Shape, node_shape};
use super::{ImportedPool, Lookup, Used};
use crate::catalog::Catalog;
use crate::scenario::host::{Cpu, Memory};
use crate::scenario::k8s::tree::{Messages, Src};
use crate::scenario::schema::PoolSpec;
use std::collections::{BTreeMap, BTreeSet};

/// The nodes sorted into shapes so far, and those left out.
#[derive(Default)]
pub(super) struct Grouping {
    /// Each shape with its nodes, in first-seen order.
    pools: Vec<(Shape, Vec<String>)>,
    /// Per pool: the smallest CPU and memory its nodes list (`None` once a node lists none).
    hosts: Vec<HostAmounts>,
    /// Nodes that advertise no GPU.
    no_gpu: Vec<String>,
    /// GPU product → line of the first node and the nodes, for products the catalog lacks.
    unknown_products: BTreeMap<String, (u64, Vec<String>)>,
    /// Dropped-label rule → nodes it dropped labels of.
    dropped: BTreeMap<String, BTreeSet<String>>,
    per: PerNode,
}

impl Grouping {
    /// Sorts one node into a pool, or among those left out.
    pub(super) fn add(&mut self, n: &RawNode, lookup: &Lookup, used: &mut Used) {
        let per = &mut self.per;
        let Some(product) = n.label("nvidia.com/gpu.product") else {
            let advertises = n.advertised().is_some_and(|a| a.values().any(|&v| v > 0));
            if advertises {
                per.warn(n, "advertises NVIDIA resources but has no nvidia.com/gpu.product label (is GPU feature discovery running?); not imported");
            } else {
                self.no_gpu.push(n.name.clone());
            }
            return;
        };
        let Some(pm) = map_product(product, lookup.catalog) else {
            self.unknown_products
                .entry(product.to_string())
                .or_insert_with(|| (n.line, Vec::new()))
                .1
                .push(n.name.clone());
            return;
        };
        if let Some(note) = &pm.note {
            per.warn(n, note.clone());
        }
        let model = lookup
            .catalog
            .get(&pm.model)
            .expect("mapped to a catalog model");
        let node = GpuNode {
            n,
            model,
            pm: &pm,
            label_count: n.label("nvidia.com/gpu.count").and_then(|c| c.parse().ok()),
        };
        let Ok(shape) = node_shape(&node, lookup, used, per) else {
            return;
        };
        for k in n.labels.keys() {
            if let Some(rule) = dropped_rule(k) {
                self.dropped.entry(rule).or_default().insert(n.name.clone());
            }
        }
        if n.unschedulable {
            per.warn(
                n,
                "cordoned (spec.unschedulable); imported as a schedulable node",
            );
        }
        match self.pools.iter_mut().position(|(s, _)| *s == shape) {
            Some(i) => {
                self.pools[i].1.push(n.name.clone());
                let h = &mut self.hosts[i];
                // The pool's nodes are taken as the smallest of them (a conservative capacity:
                // identical machines list slightly different allocatable memory).
                let min = |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| a.min(b));
                h.cpu_milli = min(h.cpu_milli, n.host.cpu_milli);
                h.mem_bytes = min(h.mem_bytes, n.host.mem_bytes);
            }
            None => {
                self.pools.push((shape, vec![n.name.clone()]));
                self.hosts.push(n.host);
            }
        }
    }

    /// The named pools; the per-node messages and what was left out go to `msgs`.
    pub(super) fn finish(
        self,
        src: &Src,
        catalog: &Catalog,
        msgs: &mut Messages,
    ) -> Vec<ImportedPool> {
        let Grouping {
            pools,
            hosts,
            no_gpu,
            unknown_products,
            dropped,
            per,
        } = self;
        per.flush(src, msgs);
        report_left_out(&no_gpu, &unknown_products, src, catalog, msgs);
        report_dropped_labels(&dropped, &src.file, msgs);
        let mut out = name_pools(pools);
        for (p, h) in out.iter_mut().zip(hosts) {
            p.spec.cpu = h.cpu_milli.map(Cpu);
            p.spec.memory = h.mem_bytes.map(Memory);
        }
        report_label_only_splits(&out, &src.file, msgs);
        out
    }
}

/// Nodes without GPUs, and nodes whose GPU the catalog lacks.
fn report_left_out(
    no_gpu: &[String],
    unknown_products: &BTreeMap<String, (u64, Vec<String>)>,
    src: &Src,
    catalog: &Catalog,
    msgs: &mut Messages,
) {
    if !no_gpu.is_empty() {
        msgs.warnings.push(format!(
            "{}: {} node(s) without GPUs not imported: {}",
            src.file,
            no_gpu.len(),
            no_gpu.join(", ")
        ));
    }
    for (product, (line, names)) in unknown_products {
        msgs.warn(
            src,
            *line,
            "metadata.labels.nvidia.com/gpu.product",
            format!(
                "GPU product {product} is not in the catalog (products are matched by their exact name; nearest known: {}); node(s) {} not imported. Add the model under gpu_models and a pool for it by hand",
                crate::catalog::nearest_products(product, catalog).join(", "),
                names.join(", ")
            ),
        );
    }
}

/// Which dropped-label rules applied, and to how many nodes.
fn report_dropped_labels(
    dropped: &BTreeMap<String, BTreeSet<String>>,
    file: &str,
    msgs: &mut Messages,
) {
    if !dropped.is_empty() {
        let parts: Vec<String> = dropped
            .iter()
            .map(|(rule, ns)| {
                format!(
                    "{rule} ({} node{})",
                    ns.len(),
                    if ns.len() == 1 { "" } else { "s" }
                )
            })
            .collect();
        msgs.warnings.push(format!(
            "{}: node labels dropped as noise or per-node values: {}",
            file,
            parts.join(", ")
        ));
    }
}

/// Lower case, runs of other characters than letters, digits and `.` as one `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Pool names `<model>-<tag>`, suffixed `-2`, `-3`, ... when taken.
fn name_pools(shapes: Vec<(Shape, Vec<String>)>) -> Vec<ImportedPool> {
    let mut out: Vec<ImportedPool> = Vec::new();
    for (shape, nodes) in shapes {
        let base = format!("{}-{}", slug(&shape.model), slug(&shape.tag));
        let mut name = base.clone();
        let mut k = 2;
        while out.iter().any(|p| p.spec.name == name) {
            name = format!("{base}-{k}");
            k += 1;
        }
        out.push(ImportedPool {
            spec: PoolSpec {
                name,
                gpu: shape.model,
                nodes: nodes.len() as u32,
                gpus_per_node: shape.gpus,
                labels: shape.labels,
                taints: shape.taints,
                sharing: shape.sharing,
                cpu: None,
                memory: None,
            },
            nodes,
        });
    }
    out
}

/// Pools that differ only in labels: worth knowing, as they could be merged by hand.
fn report_label_only_splits(pools: &[ImportedPool], file: &str, msgs: &mut Messages) {
    for (i, a) in pools.iter().enumerate() {
        for b in &pools[i + 1..] {
            let (x, y) = (&a.spec, &b.spec);
            if x.gpu == y.gpu
                && x.gpus_per_node == y.gpus_per_node
                && x.sharing == y.sharing
                && x.taints == y.taints
            {
                let keys: BTreeSet<&String> = x
                    .labels
                    .iter()
                    .chain(&y.labels)
                    .filter(|(k, v)| x.labels.get(*k) != Some(*v) || y.labels.get(*k) != Some(*v))
                    .map(|(k, _)| k)
                    .collect();
                msgs.warnings.push(format!(
                    "{file}: pools {} and {} differ only in node labels ({}); merge them by hand if those labels do not matter to your workloads",
                    x.name,
                    y.name,
                    keys.into_iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
}
