//! Step: map a GPU feature discovery product name to a catalog model.

use crate::catalog::Catalog;

/// What a `nvidia.com/gpu.product` value maps to.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductMatch {
    /// Catalog model name.
    pub model: String,
    /// The MIG profile of a single-strategy product (`A100-SXM4-80GB-MIG-3g.40gb`).
    pub mig_profile: Option<String>,
    /// Set when the match is approximate.
    pub note: Option<String>,
}

/// Maps a GPU feature discovery product name (`NVIDIA-A100-SXM4-80GB`, `NVIDIA-H100-80GB-HBM3`,
/// `A100-SXM4-80GB-MIG-1g.10gb`, `Tesla-T4-SHARED`) to a catalog model. `memory_mib` is the
/// `nvidia.com/gpu.memory` label, used when the name does not give the memory size.
pub fn map_product(
    product: &str,
    memory_mib: Option<u64>,
    catalog: &Catalog,
) -> Option<ProductMatch> {
    let p = product.trim();
    let p = p.strip_suffix("-SHARED").unwrap_or(p);
    let (base, mig_profile) = match p.split_once("-MIG-") {
        Some((b, prof)) => (b, Some(prof.to_string())),
        None => (p, None),
    };
    let bare = base
        .strip_prefix("NVIDIA-")
        .or_else(|| base.strip_prefix("nvidia-"))
        .unwrap_or(base);
    let found = |model: &str, note: Option<String>| {
        catalog.get(model).map(|m| ProductMatch {
            model: m.name.clone(),
            mig_profile: mig_profile.clone(),
            note,
        })
    };
    if let Some(m) = catalog.get(bare).or_else(|| catalog.get(base)) {
        return found(&m.name.clone(), None);
    }
    let upper = bare.to_ascii_uppercase();
    let tokens: Vec<&str> = upper.split(['-', '_', ' ']).collect();
    let has = |t: &str| tokens.contains(&t);
    if has("H200") {
        return found("H200-141GB", None);
    }
    if has("H100") {
        if has("NVL") {
            return found("H100-NVL-94GB", None);
        }
        if has("PCIE") {
            return found("H100-PCIe-80GB", None);
        }
        let note = (!(has("SXM") || has("SXM5") || has("HBM3")))
            .then(|| format!("{product}: taken as the SXM H100 (H100-80GB)"));
        return found("H100-80GB", note);
    }
    if has("A100") {
        let gb80 = has("80GB") || (!has("40GB") && memory_mib.is_some_and(|m| m > 60_000));
        let gb40 = has("40GB") || (!has("80GB") && memory_mib.is_some_and(|m| m <= 60_000));
        if gb80 {
            return found("A100-80GB", None);
        }
        if gb40 {
            let note = has("PCIE").then(|| {
                format!(
                    "{product}: the PCIe A100 40GB is taken as A100-SXM4-40GB (same MIG profiles)"
                )
            });
            return found("A100-SXM4-40GB", note);
        }
    }
    None
}
