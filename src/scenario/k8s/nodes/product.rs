//! Step: map a GPU feature discovery product name to a catalog model.

use crate::catalog::{Catalog, model_for_product};

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
/// `A100-SXM4-80GB-MIG-1g.10gb`, `Tesla-T4-SHARED`) to a catalog model by its exact name (see
/// [`crate::catalog::products`]); the `-SHARED` and `-MIG-<profile>` suffixes the device plugin
/// adds are taken off first. `None` for names the catalog does not know.
pub fn map_product(product: &str, catalog: &Catalog) -> Option<ProductMatch> {
    let p = product.trim();
    let p = p.strip_suffix("-SHARED").unwrap_or(p);
    let (base, mig_profile) = match p.split_once("-MIG-") {
        Some((b, prof)) => (b, Some(prof.to_string())),
        None => (p, None),
    };
    model_for_product(base, catalog).map(|m| ProductMatch {
        model: m.model,
        mig_profile,
        note: m.note,
    })
}
