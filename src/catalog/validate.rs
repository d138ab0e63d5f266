//! Checks of a (custom) GPU model, used by the scenario validator and by [`super::Catalog::add`].

use super::{GpuModel, MIG_COMPUTE_SLICES, MIG_MEMORY_SLICES, MigProfile};

impl GpuModel {
    /// Problems that make a (custom) model unusable, one sentence each; empty when it is sound.
    /// Messages are relative to this model: the caller adds where the model was defined.
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push("name must not be empty".to_string());
        }
        positive(&mut out, "memory_gib", self.memory_gib);
        if self.sms == 0 {
            out.push("sms must be positive, got 0".to_string());
        }
        positive(&mut out, "speed", self.speed);
        if !(self.price_per_hour.is_finite() && self.price_per_hour >= 0.0) {
            out.push(format!(
                "price_per_hour must be a non-negative number, got {}",
                self.price_per_hour
            ));
        }
        for (i, p) in self.mig_profiles.iter().enumerate() {
            self.validate_profile(i, p, &mut out);
        }
        out
    }

    fn validate_profile(&self, i: usize, p: &MigProfile, out: &mut Vec<String>) {
        let label = if p.name.trim().is_empty() {
            out.push(format!("MIG profile #{i} has an empty name"));
            format!("MIG profile #{i}")
        } else {
            format!("MIG profile {}", p.name)
        };
        if p.name.starts_with("mig-") {
            out.push(format!(
                "{label}: write the name without the `mig-` resource prefix"
            ));
        }
        let earlier = &self.mig_profiles[..i];
        if earlier.iter().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
            out.push(format!("{label}: duplicate profile name"));
        }
        if earlier.iter().any(|q| q.id == p.id) {
            out.push(format!("{label}: duplicate profile id {}", p.id));
        }
        if p.compute_slices == 0 || p.compute_slices > MIG_COMPUTE_SLICES {
            out.push(format!(
                "{label}: compute_slices must be 1 to {MIG_COMPUTE_SLICES}, got {}",
                p.compute_slices
            ));
        }
        if p.mem_slices == 0 || p.mem_slices > MIG_MEMORY_SLICES {
            out.push(format!(
                "{label}: mem_slices must be 1 to {MIG_MEMORY_SLICES}, got {}",
                p.mem_slices
            ));
        }
        if p.sms == 0 || p.sms > self.sms {
            out.push(format!(
                "{label}: sms must be 1 to the GPU's {} SMs, got {}",
                self.sms, p.sms
            ));
        }
        if !(p.mem_gib.is_finite() && p.mem_gib > 0.0 && p.mem_gib <= self.memory_gib) {
            out.push(format!(
                "{label}: mem_gib must be positive and at most the GPU's {} GiB, got {}",
                self.memory_gib, p.mem_gib
            ));
        }
        if p.starts.is_empty() {
            out.push(format!(
                "{label}: starts must list at least one placement start"
            ));
        }
        for (k, &s) in p.starts.iter().enumerate() {
            if u16::from(s) + u16::from(p.mem_slices) > u16::from(MIG_MEMORY_SLICES) {
                out.push(format!(
                    "{label}: start {s} with {} memory slices overflows the {MIG_MEMORY_SLICES} memory slices",
                    p.mem_slices
                ));
            }
            if p.starts[..k].contains(&s) {
                out.push(format!("{label}: start {s} is listed twice"));
            }
        }
        if p.max_count == 0 {
            out.push(format!("{label}: max_count must be at least 1"));
        }
    }
}

fn positive(out: &mut Vec<String>, field: &str, v: f64) {
    if !(v.is_finite() && v > 0.0) {
        out.push(format!("{field} must be a positive number, got {v}"));
    }
}
