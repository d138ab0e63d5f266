//! `slicesim catalog`: one line per built-in GPU model.

use slicesim::catalog::Catalog;

pub fn run() -> Result<(), String> {
    for m in Catalog::builtin().models() {
        let profiles: Vec<&str> = m.mig_profiles.iter().map(|p| p.name.as_str()).collect();
        outln!(
            "{:16} {:6.1} GiB {:4} SMs  speed {:.2}  ${:.2}/GPU-h  MIG: {}",
            m.name,
            m.memory_gib,
            m.sms,
            m.speed,
            m.price_per_hour,
            if profiles.is_empty() {
                "no".to_string()
            } else {
                profiles.join(" ")
            }
        );
    }
    Ok(())
}
