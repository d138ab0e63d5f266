//! GPU models and their MIG profiles: the built-in data and the checks for custom models.
//!
//! The built-in figures live in `builtin.rs` with their sources in docs/CATALOG.md. They are
//! defaults: the hardware harness reads the real values through NVML and may override them
//! (see [`Catalog::replace`]).

use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

/// One MIG GPU-instance profile of a GPU model (one row of `nvidia-smi mig -lgip`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// The built-in models (docs/CATALOG.md lists every figure with its source).
    pub fn builtin() -> Catalog {
        let mut models = super::builtin::builtin_models();
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

/// True for built-in models whose default price is a placeholder (no per-GPU figure from the
/// sources of docs/CATALOG.md), so the scenario validator can warn unless the scenario sets one.
pub fn price_is_placeholder(name: &str) -> bool {
    super::builtin::PLACEHOLDER_PRICES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name.trim()))
}
