//! Tests of the catalog data against gpu-facts.md, lookups, serde and custom-model checks.
//! Shared helpers for the layout tests live here too.

use super::*;

/// The A100/H100/H200 models of gpu-facts.md, whose geometry the layout tests check.
pub(super) const ALL_MODELS: [&str; 6] = [
    "A100-80GB",
    "A100-SXM4-40GB",
    "H100-80GB",
    "H100-NVL-94GB",
    "H100-PCIe-80GB",
    "H200-141GB",
];

pub(super) fn model(name: &str) -> GpuModel {
    Catalog::builtin().get(name).unwrap().clone()
}

/// The model's base profile whose name starts with `short` ("3g" -> "3g.40gb" on A100-80GB).
pub(super) fn base_name(m: &GpuModel, short: &str) -> String {
    let p = m
        .mig_profiles
        .iter()
        .find(|p| p.base && p.short_name() == short);
    p.unwrap().name.clone()
}

/// Expands a short layout such as "3g 2g 2g" into the model's profile names.
pub(super) fn names(m: &GpuModel, layout: &str) -> Vec<String> {
    layout.split_whitespace().map(|s| base_name(m, s)).collect()
}

pub(super) fn solve_short(m: &GpuModel, layout: &str) -> Result<Vec<Placement>, LayoutError> {
    let n = names(m, layout);
    let refs: Vec<&str> = n.iter().map(String::as_str).collect();
    solve(m, &refs)
}

pub(super) fn no_placement(r: Result<Vec<Placement>, LayoutError>) -> String {
    match r {
        Err(LayoutError::NoPlacement { message }) => message,
        other => panic!("expected NoPlacement, got {other:?}"),
    }
}

// ---------------------------------------------------------------- built-in data

/// Every built-in model, sorted by name (docs/CATALOG.md has one row each).
const EVERY_MODEL: [&str; 19] = [
    "A10-24GB",
    "A100-80GB",
    "A100-SXM4-40GB",
    "A30-24GB",
    "A800-80GB",
    "B200-180GB",
    "GH200-480GB",
    "H100-80GB",
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

/// The MIG-capable models among them.
const MIG_MODELS: [&str; 12] = [
    "A100-80GB",
    "A100-SXM4-40GB",
    "A30-24GB",
    "A800-80GB",
    "B200-180GB",
    "GH200-480GB",
    "H100-80GB",
    "H100-NVL-94GB",
    "H100-PCIe-80GB",
    "H200-141GB",
    "H200-NVL-141GB",
    "H800-80GB",
];

#[test]
fn builtin_models_are_sorted_and_valid() {
    let c = Catalog::builtin();
    assert_eq!(c.names(), EVERY_MODEL.to_vec());
    for m in c.models() {
        assert_eq!(m.validate(), Vec::<String>::new(), "{}", m.name);
        assert_eq!(
            m.mig_capable(),
            MIG_MODELS.contains(&m.name.as_str()),
            "{}",
            m.name
        );
        if m.mig_capable() && m.name != "A30-24GB" {
            let ids: Vec<u32> = m.mig_profiles.iter().map(|p| p.id).collect();
            assert_eq!(ids, vec![19, 20, 15, 14, 9, 5, 0], "{}", m.name);
        }
        // Every model can be recognised by its PCI device ID (mig-parted's device-filter).
        assert!(!pci_ids_of(&m.name).is_empty(), "{} has no PCI ID", m.name);
    }
}

#[test]
fn a30_has_four_compute_and_four_memory_slices() {
    // NVIDIA MIG user guide: A30 profiles 1g.6gb x4, 2g.12gb x2, 4g.24gb x1; its 4 memory
    // slices are written as pairs of the catalog's 8.
    let m = model("A30-24GB");
    let n = |l: &[&str]| solve(&m, l).map(|p| p.len()).ok();
    assert_eq!(n(&["1g.6gb"; 4]), Some(4));
    assert_eq!(n(&["1g.6gb"; 5]), None);
    assert_eq!(n(&["2g.12gb", "1g.6gb", "1g.6gb"]), Some(3));
    assert_eq!(n(&["4g.24gb", "1g.6gb"]), None);
    // SM share of a 1g: 14 of 56 = 1/4.
    assert_eq!(m.profile("1g.6gb").unwrap().sms * 4, m.sms);
}

#[test]
fn issue_15_memory_figures() {
    // nvidia-smi on recent drivers (MIG user guide, mig-parted issue 97): A100-80GB 1g/2g/3g
    // = 9.50 / 19.50 / 39.25 GiB; H200 7g = 139.75 GiB (mig-parted issue 120); whole-GPU
    // memory is NVML's total: H200 143771 MiB / 1024 = 140.40 GiB, H100 81559 / 1024 = 79.65.
    let a = model("A100-80GB");
    let gib = |m: &GpuModel, p: &str| m.profile(p).unwrap().mem_gib;
    assert_eq!(
        (gib(&a, "1g.10gb"), gib(&a, "2g.20gb"), gib(&a, "3g.40gb")),
        (9.5, 19.5, 39.25)
    );
    let h = model("H200-141GB");
    assert_eq!(gib(&h, "7g.141gb"), 139.75);
    assert_eq!(h.memory_gib, 140.4);
    assert!((143_771.0 / 1024.0 - h.memory_gib).abs() < 0.01);
    assert!((81_559.0 / 1024.0 - model("H100-80GB").memory_gib).abs() < 0.01);
}

/// (id, memory slices, compute slices, starts, max, base)
type PlacementRow = (u32, u8, u8, &'static [u8], u8, bool);

/// (model, memory GiB, SMs, speed, price, profile names, profile SMs, 3g memory GiB)
type FactsRow = (
    &'static str,
    f64,
    u32,
    f64,
    f64,
    [&'static str; 7],
    [u32; 7],
    f64,
);

#[test]
fn geometry_matches_placement_table() {
    // (id, memory slices, compute slices, starts, max, base) from gpu-facts.md.
    let table: [PlacementRow; 7] = [
        (19, 1, 1, &[0, 1, 2, 3, 4, 5, 6], 7, true),
        (20, 1, 1, &[0, 1, 2, 3, 4, 5, 6], 1, false),
        (15, 2, 1, &[0, 2, 4, 6], 4, false),
        (14, 2, 2, &[0, 2, 4], 3, true),
        (9, 4, 3, &[0, 4], 2, true),
        (5, 4, 4, &[0], 1, true),
        (0, 8, 7, &[0], 1, true),
    ];
    for m in Catalog::builtin().models() {
        if m.name == "A30-24GB" {
            continue; // its own geometry: a30_has_four_compute_and_four_memory_slices
        }
        for (p, &(id, mem, compute, starts, max, base)) in m.mig_profiles.iter().zip(&table) {
            assert_eq!(
                (
                    p.id,
                    p.mem_slices,
                    p.compute_slices,
                    p.starts.as_slice(),
                    p.max_count,
                    p.base
                ),
                (id, mem, compute, starts, max, base),
                "{} {}",
                m.name,
                p.name
            );
        }
    }
}

#[test]
fn figures_match_gpu_facts() {
    // (model, memory GiB, SMs, speed, price, [names], [SMs], 3g memory GiB)
    #[rustfmt::skip]
    let rows: [FactsRow; 6] = [
        ("A100-SXM4-40GB", 40.0, 108, 1.0, 2.75,
         ["1g.5gb", "1g.5gb+me", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"],
         [14, 14, 14, 28, 42, 56, 98], 19.62),
        ("A100-80GB", 80.0, 108, 1.0, 3.43,
         ["1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"],
         [14, 14, 14, 28, 42, 56, 98], 39.25),
        ("H100-80GB", 79.65, 132, 2.0, 6.88,
         ["1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"],
         [16, 16, 26, 32, 60, 64, 132], 39.50),
        ("H100-PCIe-80GB", 79.65, 114, 1.6, 6.88,
         ["1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"],
         [14, 14, 14, 30, 46, 62, 114], 39.50),
        ("H100-NVL-94GB", 93.58, 132, 1.8, 6.88,
         ["1g.12gb", "1g.12gb+me", "1g.24gb", "2g.24gb", "3g.47gb", "4g.47gb", "7g.94gb"],
         [16, 16, 26, 32, 60, 64, 132], 46.38),
        ("H200-141GB", 140.4, 132, 2.2, 6.88,
         ["1g.18gb", "1g.18gb+me", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb"],
         [16, 16, 26, 32, 60, 64, 132], 69.50),
    ];
    for (name, mem, sms, speed, price, pnames, psms, gib_3g) in rows {
        let m = model(name);
        assert_eq!(
            (m.memory_gib, m.sms, m.speed, m.price_per_hour),
            (mem, sms, speed, price)
        );
        let got: Vec<&str> = m.mig_profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(got, pnames.to_vec());
        let got: Vec<u32> = m.mig_profiles.iter().map(|p| p.sms).collect();
        assert_eq!(got, psms.to_vec(), "{name}");
        assert_eq!(m.profile(pnames[4]).unwrap().mem_gib, gib_3g);
        // 1g+me has the 1g's memory.
        assert_eq!(m.mig_profiles[1].mem_gib, m.mig_profiles[0].mem_gib);
    }
    assert_eq!(
        model("H200-141GB").profile("7g.141gb").unwrap().mem_gib,
        139.75
    );
    assert_eq!(
        model("H100-NVL-94GB").profile("1g.12gb").unwrap().mem_gib,
        10.75
    );
}

#[test]
fn placeholder_prices() {
    let c = Catalog::builtin();
    let flagged: Vec<&str> = ALL_MODELS
        .into_iter()
        .filter(|n| price_is_placeholder(n))
        .collect();
    assert_eq!(
        flagged,
        vec!["H100-NVL-94GB", "H100-PCIe-80GB", "H200-141GB"]
    );
    // Only the AWS column of gpu-facts.md is a sourced price.
    let sourced: Vec<&str> = EVERY_MODEL
        .into_iter()
        .filter(|n| !price_is_placeholder(n))
        .collect();
    assert_eq!(sourced, vec!["A100-80GB", "A100-SXM4-40GB", "H100-80GB"]);
    for n in ALL_MODELS {
        assert_eq!(c.price_is_placeholder(n), price_is_placeholder(n), "{n}");
    }
    assert!(!price_is_placeholder("T4"));
    let mut c2 = c.clone();
    let mut h200 = model("H200-141GB");
    h200.price_per_hour = 9.0;
    let old = c2.replace(h200).unwrap().unwrap();
    assert_eq!(old.price_per_hour, 6.88);
    assert!(!c2.price_is_placeholder("H200-141GB"));
    assert_eq!(c2.get("H200-141GB").unwrap().price_per_hour, 9.0);
}

// ---------------------------------------------------------------- lookups, serde, custom models

pub(super) fn t4() -> GpuModel {
    GpuModel {
        name: "T4".into(),
        memory_gib: 16.0,
        sms: 40,
        mig_profiles: vec![],
        speed: 0.25,
        price_per_hour: 0.53,
    }
}

#[test]
fn lookups_accept_prefix_and_case() {
    let c = Catalog::builtin();
    let m = c.get("a100-80gb").unwrap();
    assert_eq!(m.name, "A100-80GB");
    assert!(c.get("A100").is_none());
    assert_eq!(m.profile_index("3g.40gb"), Some(4));
    assert_eq!(m.profile_index("mig-3g.40gb"), Some(4));
    assert_eq!(m.profile_index("3G.40GB"), Some(4));
    assert_eq!(m.profile("1g.10gb+me").unwrap().id, 20);
    assert!(m.profile("3g.20gb").is_none());
    assert_eq!(m.base_profiles(), vec![6, 5, 4, 3, 0]);
}

#[test]
fn add_custom_models() {
    let mut c = Catalog::builtin();
    c.add(t4()).unwrap();
    assert!(!c.get("T4").unwrap().mig_capable());
    assert!(c.names().contains(&"T4"));
    assert!(c.add(t4()).unwrap_err().contains("already exists"));
    let mut dup = model("A100-80GB");
    dup.name = "a100-80gb".into();
    assert!(c.add(dup).unwrap_err().contains("already exists"));
    let mut bad = t4();
    bad.name = "P100".into();
    bad.memory_gib = 0.0;
    let err = c.add(bad).unwrap_err();
    assert!(
        err.contains("memory_gib must be a positive number"),
        "{err}"
    );
    assert!(c.get("P100").is_none());
}

#[test]
fn serde_defaults_and_unknown_fields() {
    let m: GpuModel =
        serde_json::from_str(r#"{"name":"V100","memory_gib":32,"sms":80,"price_per_hour":3.06}"#)
            .unwrap();
    assert_eq!((m.speed, m.mig_profiles.len()), (1.0, 0));
    let err = serde_json::from_str::<GpuModel>(
        r#"{"name":"V100","memory_gib":32,"sms":80,"price_per_hour":3.06,"spead":1}"#,
    );
    assert!(err.is_err());
    let p: MigProfile = serde_json::from_str(
        r#"{"id":9,"name":"3g.40gb","compute_slices":3,"sms":42,"mem_slices":4,"mem_gib":39.5,"starts":[0,4],"max_count":2}"#,
    )
    .unwrap();
    assert!(p.base);
    let a100 = model("A100-80GB");
    let back: GpuModel = serde_json::from_str(&serde_json::to_string(&a100).unwrap()).unwrap();
    assert_eq!(back, a100);
}

#[test]
fn validate_lists_each_problem() {
    let mut m = model("A100-80GB");
    m.name = "X".into();
    m.sms = 0;
    m.speed = -1.0;
    m.price_per_hour = f64::NAN;
    m.mig_profiles[4].starts = vec![0, 5, 5]; // 3g at 5 would cover slices 5-8
    m.mig_profiles[3].name = "1g.10gb".into(); // duplicate name
    m.mig_profiles[2].id = 19; // duplicate id
    m.mig_profiles[6].mem_slices = 9;
    m.mig_profiles[5].compute_slices = 8;
    m.mig_profiles[0].max_count = 0;
    let problems = m.validate();
    let expect = [
        "sms must be positive",
        "speed must be a positive number, got -1",
        "price_per_hour must be a non-negative number, got NaN",
        "MIG profile 3g.40gb: start 5 with 4 memory slices overflows the 8 memory slices",
        "MIG profile 3g.40gb: start 5 is listed twice",
        "MIG profile 1g.10gb: duplicate profile name",
        "MIG profile 1g.20gb: duplicate profile id 19",
        "MIG profile 7g.80gb: mem_slices must be 1 to 8, got 9",
        "MIG profile 4g.40gb: compute_slices must be 1 to 7, got 8",
        "MIG profile 1g.10gb: max_count must be at least 1",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.contains(e)),
            "missing {e:?} in {problems:#?}"
        );
    }
    assert!(t4().validate().is_empty());
}
