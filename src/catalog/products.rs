//! Which catalog model a GPU is: by its exact product name (what NVML reports and GPU feature
//! discovery writes into `nvidia.com/gpu.product`) or by its PCI device ID (what mig-parted's
//! `device-filter` names). Names are matched whole, never by substring: `GH200-480GB` is not
//! an H200. Sources of both tables: docs/CATALOG.md.

use super::Catalog;

/// NVIDIA's PCI vendor ID; mig-parted writes device IDs as `0x<device><vendor>`, e.g.
/// `0x20B210DE` for an A100-SXM4-80GB.
pub const NVIDIA_VENDOR_ID: u16 = 0x10de;

/// One NVIDIA product name (NVML's, vendor prefix dropped, spaces as `-`) and its model.
struct Product {
    name: &'static str,
    model: &'static str,
    /// Set when the product is only close to the catalog model.
    note: Option<&'static str>,
}

const fn p(name: &'static str, model: &'static str) -> Product {
    Product {
        name,
        model,
        note: None,
    }
}

const PRODUCTS: [Product; 27] = [
    p("A100-SXM4-40GB", "A100-SXM4-40GB"),
    Product {
        name: "A100-PCIE-40GB",
        model: "A100-SXM4-40GB",
        note: Some("the PCIe A100 40GB is taken as A100-SXM4-40GB (same MIG profiles)"),
    },
    p("A100-SXM4-80GB", "A100-80GB"),
    p("A100-80GB-PCIe", "A100-80GB"),
    p("A800-SXM4-80GB", "A800-80GB"),
    p("A800-80GB-PCIe", "A800-80GB"),
    p("A30", "A30-24GB"),
    p("A10", "A10-24GB"),
    Product {
        name: "A10G",
        model: "A10-24GB",
        note: Some("the A10G (AWS) is taken as the A10 (same GA102 chip and memory)"),
    },
    p("L4", "L4-24GB"),
    p("L40S", "L40S-48GB"),
    p("Tesla-T4", "T4-16GB"),
    p("Tesla-V100-SXM2-16GB", "V100-16GB"),
    p("Tesla-V100-PCIE-16GB", "V100-16GB"),
    p("Tesla-V100-SXM2-32GB", "V100-32GB"),
    p("Tesla-V100-PCIE-32GB", "V100-32GB"),
    Product {
        name: "Tesla-V100S-PCIE-32GB",
        model: "V100-32GB",
        note: Some("the V100S is taken as the V100 32GB (about 10 % slower than a V100S)"),
    },
    p("H100-80GB-HBM3", "H100-80GB"),
    p("H100-SXM5-80GB", "H100-80GB"),
    p("H100-PCIe", "H100-PCIe-80GB"),
    p("H100-NVL", "H100-NVL-94GB"),
    p("H800", "H800-80GB"),
    p("H20", "H20-96GB"),
    p("H200", "H200-141GB"),
    p("H200-NVL", "H200-NVL-141GB"),
    p("GH200-480GB", "GH200-480GB"),
    p("B200", "B200-180GB"),
];

/// NVIDIA PCI device IDs (pci.ids, version 2026.08.22) with the PCI ID repository's name and
/// the catalog model, `None` for products the catalog lacks (kept so that a mig-parted entry
/// for them can be named).
pub const PCI_DEVICES: [(u16, &str, Option<&str>); 46] = [
    (0x1db1, "Tesla V100 SXM2 16GB", Some("V100-16GB")),
    (0x1db4, "Tesla V100 PCIe 16GB", Some("V100-16GB")),
    (0x1db5, "Tesla V100 SXM2 32GB", Some("V100-32GB")),
    (0x1db6, "Tesla V100 PCIe 32GB", Some("V100-32GB")),
    (0x1df6, "Tesla V100S PCIe 32GB", Some("V100-32GB")),
    (0x1eb8, "Tesla T4", Some("T4-16GB")),
    (0x20b0, "A100 SXM4 40GB", Some("A100-SXM4-40GB")),
    (0x20b1, "A100 PCIe 40GB", Some("A100-SXM4-40GB")),
    (0x20b2, "A100 SXM4 80GB", Some("A100-80GB")),
    (0x20b5, "A100 PCIe 80GB", Some("A100-80GB")),
    (0x20b6, "PG506-232", None),
    (0x20b7, "A30 PCIe", Some("A30-24GB")),
    (0x20f1, "A100 PCIe 40GB", Some("A100-SXM4-40GB")),
    (0x20f3, "A800-SXM4-80GB", Some("A800-80GB")),
    (0x20f5, "A800 80GB PCIe", Some("A800-80GB")),
    (0x20f6, "A800 40GB PCIe", None),
    (0x2236, "A10", Some("A10-24GB")),
    (0x2237, "A10G", Some("A10-24GB")),
    (0x26b9, "L40S", Some("L40S-48GB")),
    (0x27b8, "L4", Some("L4-24GB")),
    (0x2321, "H100L 94GB", Some("H100-NVL-94GB")),
    (0x2322, "H800 PCIe", None),
    (0x2324, "H800", Some("H800-80GB")),
    (0x2329, "H20", Some("H20-96GB")),
    (0x2330, "H100 SXM5 80GB", Some("H100-80GB")),
    (0x2331, "H100 PCIe", Some("H100-PCIe-80GB")),
    (0x2335, "H200 SXM 141GB", Some("H200-141GB")),
    (0x2339, "H100 SXM5 94GB", None),
    (0x233a, "H800L 94GB", None),
    (0x233b, "H200 NVL", Some("H200-NVL-141GB")),
    (0x233d, "H100 96GB", None),
    (0x2342, "GH200 120GB / 480GB", Some("GH200-480GB")),
    (0x2348, "GH200 144G HBM3e", None),
    (0x2901, "B200", Some("B200-180GB")),
    (0x2909, "HGX B200 168GB", None),
    (0x2941, "HGX GB200", None),
    (0x2bb5, "RTX PRO 6000 Blackwell", None),
    (0x3182, "B300 SXM6 AC", None),
    (0x31c2, "GB300", None),
    (0x31c3, "GB300", None),
    (0x2313, "H100 CNX", None),
    (0x2337, "H100 SXM5 64GB", None),
    (0x2338, "H100 SXM5 96GB", None),
    (0x2328, "H20B", None),
    (0x232c, "H20 HBM3e", None),
    (0x26b5, "L40", None),
];

/// What a product name maps to.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductModel {
    /// Catalog model name.
    pub model: String,
    /// Set when the product is only close to the model.
    pub note: Option<String>,
}

/// The product name as this module compares it: trimmed, spaces as `-`, without the `NVIDIA`
/// vendor prefix (`NVIDIA A100-SXM4-80GB` and `NVIDIA-A100-SXM4-80GB` → `A100-SXM4-80GB`).
fn normalise(name: &str) -> String {
    let n = name.trim().replace(' ', "-");
    match n.get(..7) {
        Some(head) if head.eq_ignore_ascii_case("NVIDIA-") => n[7..].to_string(),
        _ => n,
    }
}

/// The catalog model of an exact product name (NVML's `NVIDIA H100 80GB HBM3` or GPU feature
/// discovery's `NVIDIA-H100-80GB-HBM3`), or of a catalog model's own name; `None` otherwise.
/// Case is ignored; nothing else is.
pub fn model_for_product(name: &str, catalog: &Catalog) -> Option<ProductModel> {
    let bare = normalise(name);
    if let Some(m) = catalog.get(&bare).or_else(|| catalog.get(name)) {
        return Some(ProductModel {
            model: m.name.clone(),
            note: None,
        });
    }
    let p = PRODUCTS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(&bare))?;
    let m = catalog.get(p.model)?;
    Some(ProductModel {
        model: m.name.clone(),
        note: p.note.map(|n| format!("{}: {n}", name.trim())),
    })
}

/// Up to three known names (product names and catalog models) nearest to `name`, for "did you
/// mean" messages; the nearest first.
pub fn nearest_products(name: &str, catalog: &Catalog) -> Vec<String> {
    let bare = normalise(name).to_ascii_lowercase();
    let mut known: Vec<String> = PRODUCTS
        .iter()
        .map(|p| format!("NVIDIA-{}", p.name))
        .chain(catalog.names().into_iter().map(str::to_string))
        .collect();
    known.sort();
    known.dedup();
    let mut scored: Vec<(f64, String)> = known
        .into_iter()
        .map(|k| {
            let score = strsim::jaro_winkler(&bare, &normalise(&k).to_ascii_lowercase());
            (score, k)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

/// Parses a PCI ID as mig-parted writes it (`0x20B210DE`, the device ID then the vendor ID) or
/// as a bare device ID (`0x20b2`, `20B2`). Returns the device ID, or `None` when the text is
/// not hexadecimal or names another vendor.
pub fn parse_pci_id(text: &str) -> Option<u16> {
    let t = text.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    if hex.len() > 4 {
        ((v & 0xffff) as u16 == NVIDIA_VENDOR_ID).then_some((v >> 16) as u16)
    } else {
        Some(v as u16)
    }
}

/// The catalog model of a PCI device ID, if the catalog has one.
pub fn model_for_pci(device: u16) -> Option<&'static str> {
    PCI_DEVICES
        .iter()
        .find(|(d, _, _)| *d == device)
        .and_then(|(_, _, m)| *m)
}

/// The PCI ID repository's name of a device ID (`A100 SXM4 80GB`), if listed here.
pub fn pci_name(device: u16) -> Option<&'static str> {
    PCI_DEVICES
        .iter()
        .find(|(d, _, _)| *d == device)
        .map(|(_, n, _)| *n)
}

/// The PCI device IDs of a catalog model (case-insensitive name).
pub fn pci_ids_of(model: &str) -> Vec<u16> {
    PCI_DEVICES
        .iter()
        .filter(|(_, _, m)| m.is_some_and(|m| m.eq_ignore_ascii_case(model.trim())))
        .map(|(d, _, _)| *d)
        .collect()
}
