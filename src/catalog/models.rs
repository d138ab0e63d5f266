//! GPU models and their MIG profiles: the built-in data and the checks for custom models.
//!
//! Figures come from `shared/reference/gpu-facts.md`. They are defaults: the hardware harness
//! reads the real values through NVML and may override them (see [`Catalog::replace`]).

use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

/// One MIG GPU-instance profile of a GPU model (one row of `nvidia-smi mig -lgip`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigProfile {
    /// NVML profile id (19 = 1g, 20 = 1g+me, 15 = 1g double memory, 14 = 2g, 9 = 3g, 5 = 4g, 0 = 7g).
    pub id: u32,
    /// Name as NVIDIA writes it, without the `mig-` resource prefix, e.g. `3g.40gb`.
    pub name: String,
    /// Compute slices used, out of [`super::MIG_COMPUTE_SLICES`].
    pub compute_slices: u8,
    /// Streaming multiprocessors of one instance (not linear in slices on Hopper).
    pub sms: u32,
    /// Memory slices used, out of [`super::MIG_MEMORY_SLICES`]; the placement size.
    pub mem_slices: u8,
    /// Usable memory of one instance in GiB.
    pub mem_gib: f64,
    /// Allowed placement starts (first memory slice).
    pub starts: Vec<u8>,
    /// Most instances of this profile on one GPU.
    pub max_count: u8,
    /// True for the plain 1g/2g/3g/4g/7g profiles that layout enumeration combines; false for
    /// variants such as 1g+me or 1g with double memory.
    #[serde(default = "default_true")]
    pub base: bool,
}

fn default_true() -> bool {
    true
}

fn default_speed() -> f64 {
    1.0
}

impl MigProfile {
    /// The compute part of the name (`3g` for `3g.40gb`), used in slice maps.
    pub fn short_name(&self) -> &str {
        self.name.split('.').next().unwrap_or(&self.name)
    }
}

/// A GPU model: whole-GPU figures, MIG profiles (if MIG capable), speed and price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuModel {
    pub name: String,
    /// Memory of the whole GPU in GiB.
    pub memory_gib: f64,
    /// SMs with MIG off.
    pub sms: u32,
    /// MIG profiles; empty means the model is not MIG capable.
    #[serde(default)]
    pub mig_profiles: Vec<MigProfile>,
    /// Speed of the whole GPU relative to an A100-80GB (= 1.0).
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// On-demand price in USD per GPU-hour.
    pub price_per_hour: f64,
}

/// Strips the Kubernetes resource prefix so `mig-3g.40gb` and `3g.40gb` name the same profile.
fn bare_profile_name(name: &str) -> &str {
    let name = name.trim();
    name.strip_prefix("mig-").unwrap_or(name)
}

impl GpuModel {
    pub fn mig_capable(&self) -> bool {
        !self.mig_profiles.is_empty()
    }

    /// Looks a profile up by name, accepting `3g.40gb` and `mig-3g.40gb`; an exact match wins
    /// over a case-insensitive one.
    pub fn profile(&self, name: &str) -> Option<&MigProfile> {
        self.profile_index(name).map(|i| &self.mig_profiles[i])
    }

    /// Index of a profile in [`GpuModel::mig_profiles`] (the index a [`super::Placement`] uses).
    pub fn profile_index(&self, name: &str) -> Option<usize> {
        let bare = bare_profile_name(name);
        let profiles = &self.mig_profiles;
        profiles.iter().position(|p| p.name == bare).or_else(|| {
            profiles
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(bare))
        })
    }

    /// Indices of the base profiles (1g/2g/3g/4g/7g), largest first.
    pub fn base_profiles(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.mig_profiles.len())
            .filter(|&i| self.mig_profiles[i].base)
            .collect();
        idx.sort_by_key(|&i| size_rank(&self.mig_profiles[i], i));
        idx
    }
}

/// Sort key that puts larger profiles first (memory slices, then compute slices, then index),
/// so that searches and listings are deterministic.
pub(super) fn size_rank(p: &MigProfile, index: usize) -> (Reverse<u8>, Reverse<u8>, usize) {
    (Reverse(p.mem_slices), Reverse(p.compute_slices), index)
}

/// The known GPU models, sorted by name so that listings are deterministic.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    models: Vec<GpuModel>,
    /// Names whose price is a built-in placeholder; cleared when the model is replaced.
    placeholder_prices: Vec<String>,
}

impl Catalog {
    /// The six built-in MIG-capable models of gpu-facts.md.
    pub fn builtin() -> Catalog {
        let mut models = builtin_models();
        models.sort_by(|a, b| a.name.cmp(&b.name));
        let placeholder_prices = models
            .iter()
            .filter(|m| price_is_placeholder(&m.name))
            .map(|m| m.name.clone())
            .collect();
        Catalog {
            models,
            placeholder_prices,
        }
    }

    /// Finds a model by exact name, else by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&GpuModel> {
        self.position(name).map(|i| &self.models[i])
    }

    fn position(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.models
            .binary_search_by(|m| m.name.as_str().cmp(name))
            .ok()
            .or_else(|| {
                self.models
                    .iter()
                    .position(|m| m.name.eq_ignore_ascii_case(name))
            })
    }

    /// Adds a custom model (T4, V100, ...). Fails when a model of that name (ignoring case)
    /// already exists, built-in or not, or when [`GpuModel::validate`] finds problems: a silent
    /// override would make a typo change the built-in figures. Use [`Catalog::replace`] to
    /// override on purpose.
    pub fn add(&mut self, model: GpuModel) -> Result<(), String> {
        if let Some(i) = self.position(&model.name) {
            return Err(format!(
                "GPU model {} already exists in the catalog (as {}); choose another name",
                model.name, self.models[i].name
            ));
        }
        self.insert_checked(model)
    }

    /// Overrides a model (e.g. with figures the hardware harness read through NVML), or adds it
    /// if absent. Returns the model it replaced. The new model's price is not a placeholder.
    pub fn replace(&mut self, model: GpuModel) -> Result<Option<GpuModel>, String> {
        let problems = model.validate();
        if !problems.is_empty() {
            return Err(invalid(&model, &problems));
        }
        let old = self.position(&model.name).map(|i| self.models.remove(i));
        if let Some(old) = &old {
            self.placeholder_prices.retain(|n| *n != old.name);
        }
        self.insert_checked(model)?;
        Ok(old)
    }

    fn insert_checked(&mut self, model: GpuModel) -> Result<(), String> {
        let problems = model.validate();
        if !problems.is_empty() {
            return Err(invalid(&model, &problems));
        }
        let at = self.models.partition_point(|m| m.name < model.name);
        self.models.insert(at, model);
        Ok(())
    }

    /// All models, sorted by name.
    pub fn models(&self) -> &[GpuModel] {
        &self.models
    }

    pub fn names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }

    /// True when the model's price is a built-in placeholder (no published per-GPU figure), so
    /// the scenario validator can warn unless the scenario sets a price.
    pub fn price_is_placeholder(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|m| self.placeholder_prices.contains(&m.name))
    }
}

fn invalid(model: &GpuModel, problems: &[String]) -> String {
    format!("GPU model {}: {}", model.name, problems.join("; "))
}

/// True for built-in models whose default price is a placeholder: AWS publishes no per-GPU
/// figure for H100 PCIe, H100 NVL or H200, so they borrow the H100 SXM (p5) price.
pub fn price_is_placeholder(name: &str) -> bool {
    PLACEHOLDER_PRICES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name.trim()))
}

// ---------------------------------------------------------------------------------------------
// Built-in data (gpu-facts.md). Values marked ASSUMED are not in the facts sheet and are to be
// confirmed by the HIL inventory (NVML `profile_info`) on first contact with real hardware.

/// Built-in models whose price is a placeholder (see [`price_is_placeholder`]).
const PLACEHOLDER_PRICES: [&str; 3] = ["H100-PCIe-80GB", "H100-NVL-94GB", "H200-141GB"];

/// MIG geometry per profile id, identical on A100/H100/H200 class GPUs:
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

fn model(
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
        name: name.to_string(),
        memory_gib,
        sms,
        mig_profiles,
        speed,
        price_per_hour: price,
    }
}

/// Speeds are planning defaults relative to A100-80GB (whole GPU, compute-bound); scenarios
/// override them per workload class. Prices are the AWS on-demand column of gpu-facts.md.
fn builtin_models() -> Vec<GpuModel> {
    vec![
        // 1g.10gb (id 15) is "~9.7" in the facts; 9.62 like the 2g.10gb with the same two
        // memory slices. 2g.10gb 9.62 and 4g.20gb 19.62: ASSUMED. 7g.40gb "~39.4".
        model(
            "A100-SXM4-40GB",
            40.0,
            108,
            1.0,
            2.75,
            [
                ("1g.5gb", 14, 4.75),
                ("1g.10gb", 14, 9.62),
                ("2g.10gb", 28, 9.62),
                ("3g.20gb", 42, 19.62),
                ("4g.20gb", 56, 19.62),
                ("7g.40gb", 98, 39.38),
            ],
        ),
        // All profile memory values ASSUMED (the facts sheet lists none for A100-80GB).
        model(
            "A100-80GB",
            80.0,
            108,
            1.0,
            3.43,
            [
                ("1g.10gb", 14, 9.75),
                ("1g.20gb", 14, 19.62),
                ("2g.20gb", 28, 19.62),
                ("3g.40gb", 42, 39.50),
                ("4g.40gb", 56, 39.50),
                ("7g.80gb", 98, 79.25),
            ],
        ),
        model(
            "H100-80GB",
            80.0,
            132,
            2.0,
            6.88,
            [
                ("1g.10gb", 16, 9.75),
                ("1g.20gb", 26, 19.62),
                ("2g.20gb", 32, 19.62),
                ("3g.40gb", 60, 39.50),
                ("4g.40gb", 64, 39.50),
                ("7g.80gb", 132, 79.25),
            ],
        ),
        // Price placeholder: H100 SXM price.
        model(
            "H100-PCIe-80GB",
            80.0,
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
        // Price placeholder: H100 SXM price.
        model(
            "H100-NVL-94GB",
            94.0,
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
        // Price placeholder: no agreed H200 figure. 7g.141gb: 139.0 GiB and 132 SMs ASSUMED.
        model(
            "H200-141GB",
            141.0,
            132,
            2.2,
            6.88,
            [
                ("1g.18gb", 16, 16.00),
                ("1g.35gb", 26, 32.25),
                ("2g.35gb", 32, 32.25),
                ("3g.71gb", 60, 69.50),
                ("4g.71gb", 64, 69.50),
                ("7g.141gb", 132, 139.0),
            ],
        ),
    ]
}
