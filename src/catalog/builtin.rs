//! The built-in GPU models. Every figure has its source in docs/CATALOG.md (a public NVIDIA
//! document, NVIDIA's own repositories, `nvidia-smi` output quoted there, or "assumption" with
//! the reason). Whole-GPU memory is what NVML reports (MiB / 1024), not the marketing figure.

use super::{GpuModel, MigProfile};

/// Built-in models whose price is a placeholder (see [`super::price_is_placeholder`]): no
/// per-GPU price in gpu-facts.md's AWS column (after AWS's June 2025 cut).
pub(super) const PLACEHOLDER_PRICES: [&str; 16] = [
    "A10-24GB",
    "A30-24GB",
    "A800-80GB",
    "B200-180GB",
    "GH200-480GB",
    "H100-NVL-94GB",
    "H100-PCIe-80GB",
    "H20-96GB",
    "H200-141GB",
    "H200-NVL-141GB",
    "H800-80GB",
    "L4-24GB",
    "L40S-48GB",
    "T4-16GB",
    "V100-16GB",
    "V100-32GB",
];

/// MIG geometry per profile id, identical on A100/H100/H200/B200 class GPUs:
/// (id, compute slices, memory slices, allowed starts, max per GPU, base profile).
type Geometry = (u32, u8, u8, &'static [u8], u8, bool);

const GEOMETRY: [Geometry; 7] = [
    (19, 1, 1, &[0, 1, 2, 3, 4, 5, 6], 7, true),
    (20, 1, 1, &[0, 1, 2, 3, 4, 5, 6], 1, false),
    (15, 1, 2, &[0, 2, 4, 6], 4, false),
    (14, 2, 2, &[0, 2, 4], 3, true),
    (9, 3, 4, &[0, 4], 2, true),
    (5, 4, 4, &[0], 1, true),
    (0, 7, 8, &[0], 1, true),
];

/// Name, SMs and GiB per profile in [`GEOMETRY`] order, except id 20 (1g+me), which is derived
/// from the 1g row: same SMs and memory, name suffixed `+me`.
type ProfileRows = [(&'static str, u32, f64); 6];

fn mig_model(
    name: &str,
    memory_gib: f64,
    sms: u32,
    speed: f64,
    price: f64,
    rows: ProfileRows,
) -> GpuModel {
    let mig_profiles = GEOMETRY
        .iter()
        .enumerate()
        .map(
            |(k, &(id, compute_slices, mem_slices, starts, max_count, base))| {
                let (pname, psms, gib) = rows[k.saturating_sub(1)];
                MigProfile {
                    id,
                    name: if id == 20 {
                        format!("{pname}+me")
                    } else {
                        pname.to_string()
                    },
                    compute_slices,
                    sms: psms,
                    mem_slices,
                    mem_gib: gib,
                    starts: starts.to_vec(),
                    max_count,
                    base,
                }
            },
        )
        .collect();
    GpuModel {
        mig_profiles,
        ..plain(name, memory_gib, sms, speed, price)
    }
}

/// A model without MIG.
fn plain(name: &str, memory_gib: f64, sms: u32, speed: f64, price: f64) -> GpuModel {
    GpuModel {
        name: name.to_string(),
        memory_gib,
        sms,
        mig_profiles: Vec::new(),
        speed,
        price_per_hour: price,
    }
}

/// The A30: 4 compute slices and 4 memory slices. Its memory slices are written as pairs of
/// the catalog's 8 (1g = 2 of 8, exactly a quarter), so the placement solver needs no second
/// geometry. Profile ids as NVML lists them on an A30 (14, 21, 5, 6, 0).
fn a30() -> GpuModel {
    let p = |id, name: &str, c, sms, m, gib, starts: &[u8], max, base| MigProfile {
        id,
        name: name.to_string(),
        compute_slices: c,
        sms,
        mem_slices: m,
        mem_gib: gib,
        starts: starts.to_vec(),
        max_count: max,
        base,
    };
    GpuModel {
        mig_profiles: vec![
            p(14, "1g.6gb", 1, 14, 2, 5.75, &[0, 2, 4, 6], 4, true),
            p(21, "1g.6gb+me", 1, 14, 2, 5.75, &[0, 2, 4, 6], 1, false),
            p(5, "2g.12gb", 2, 28, 4, 11.75, &[0, 4], 2, true),
            p(6, "2g.12gb+me", 2, 28, 4, 11.75, &[0, 4], 1, false),
            p(0, "4g.24gb", 4, 56, 8, 23.5, &[0], 1, true),
        ],
        ..plain("A30-24GB", 24.0, 56, 0.53, 1.5)
    }
}

/// Speeds are relative to A100-80GB (whole GPU, compute-bound); scenarios override them per
/// workload class. Sources and reasons per value: docs/CATALOG.md.
pub(super) fn builtin_models() -> Vec<GpuModel> {
    let a100_40 = [
        ("1g.5gb", 14, 4.75),
        ("1g.10gb", 14, 9.62),
        ("2g.10gb", 28, 9.62),
        ("3g.20gb", 42, 19.62),
        ("4g.20gb", 56, 19.62),
        ("7g.40gb", 98, 39.38),
    ];
    // nvidia-smi on recent drivers (issue 15; mig-parted issue 97): 9.50 / 19.50 / 39.25.
    let a100_80 = [
        ("1g.10gb", 14, 9.5),
        ("1g.20gb", 14, 19.5),
        ("2g.20gb", 28, 19.5),
        ("3g.40gb", 42, 39.25),
        ("4g.40gb", 56, 39.25),
        ("7g.80gb", 98, 79.25),
    ];
    let h100 = [
        ("1g.10gb", 16, 9.75),
        ("1g.20gb", 26, 19.62),
        ("2g.20gb", 32, 19.62),
        ("3g.40gb", 60, 39.50),
        ("4g.40gb", 64, 39.50),
        ("7g.80gb", 132, 79.25),
    ];
    // mig-parted issue 120 (nvidia-smi mig -lgip on an H200).
    let h200 = [
        ("1g.18gb", 16, 16.00),
        ("1g.35gb", 26, 32.25),
        ("2g.35gb", 32, 32.25),
        ("3g.71gb", 60, 69.50),
        ("4g.71gb", 64, 69.50),
        ("7g.141gb", 132, 139.75),
    ];
    vec![
        mig_model("A100-SXM4-40GB", 40.0, 108, 1.0, 2.75, a100_40),
        mig_model("A100-80GB", 80.0, 108, 1.0, 3.43, a100_80),
        mig_model("A800-80GB", 80.0, 108, 1.0, 3.43, a100_80),
        a30(),
        mig_model("H100-80GB", 79.65, 132, 2.0, 6.88, h100),
        mig_model("H800-80GB", 79.65, 132, 2.0, 6.88, h100),
        mig_model(
            "H100-PCIe-80GB",
            79.65,
            114,
            1.6,
            6.88,
            [
                ("1g.10gb", 14, 9.75),
                ("1g.20gb", 14, 19.62),
                ("2g.20gb", 30, 19.62),
                ("3g.40gb", 46, 39.50),
                ("4g.40gb", 62, 39.50),
                ("7g.80gb", 114, 79.25),
            ],
        ),
        mig_model(
            "H100-NVL-94GB",
            93.58,
            132,
            1.8,
            6.88,
            [
                ("1g.12gb", 16, 10.75),
                ("1g.24gb", 26, 21.62),
                ("2g.24gb", 32, 21.62),
                ("3g.47gb", 60, 46.38),
                ("4g.47gb", 64, 46.38),
                ("7g.94gb", 132, 93.12),
            ],
        ),
        mig_model("H200-141GB", 140.4, 132, 2.2, 6.88, h200),
        mig_model("H200-NVL-141GB", 140.4, 132, 1.69, 6.88, h200),
        // Profile names of mig-parted's GH200 / H100-96GB entries; SMs as H100 SXM and memory
        // scaled from H100 NVL by 96/94: assumptions.
        mig_model(
            "GH200-480GB",
            95.58,
            132,
            2.0,
            6.88,
            [
                ("1g.12gb", 16, 10.98),
                ("1g.24gb", 26, 22.08),
                ("2g.24gb", 32, 22.08),
                ("3g.48gb", 60, 47.37),
                ("4g.48gb", 64, 47.37),
                ("7g.96gb", 132, 95.10),
            ],
        ),
        // 1g/1g-double/2g rows from mig-parted PR 187 (nvidia-smi on a B200); 3g/4g/7g are
        // assumptions (SMs scaled from H100 by 148/132, memory 2x and 4x the 2g figure).
        mig_model(
            "B200-180GB",
            179.06,
            148,
            4.55,
            14.24,
            [
                ("1g.23gb", 18, 20.50),
                ("1g.45gb", 30, 44.25),
                ("2g.45gb", 36, 44.25),
                ("3g.90gb", 67, 88.50),
                ("4g.90gb", 72, 88.50),
                ("7g.180gb", 148, 177.00),
            ],
        ),
        plain("H20-96GB", 95.58, 78, 0.3, 6.88),
        plain("L40S-48GB", 44.99, 142, 1.16, 1.86),
        plain("L4-24GB", 22.49, 58, 0.39, 0.8),
        plain("A10-24GB", 22.49, 72, 0.4, 1.01),
        plain("T4-16GB", 15.0, 40, 0.21, 0.53),
        plain("V100-16GB", 16.0, 80, 0.4, 3.06),
        plain("V100-32GB", 32.0, 80, 0.4, 3.9),
    ]
}
