//! The terminal text of `hil inventory` and of plans (`hil plan | apply | restore`).

use slicesim::hil::inventory::{GpuInventory, Inventory, describe_instances};
use slicesim::hil::plan::{GpuPlan, describe};
use slicesim::hil::raw::GiProfile;
use std::fmt::Write as _;

fn join(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// The inventory as text.
pub fn inventory(inv: &Inventory) -> String {
    let mut s = String::new();
    let sys = &inv.system;
    let _ = writeln!(
        s,
        "host {}: driver {}, NVML {}, CUDA driver {}",
        sys.host,
        sys.driver_version,
        sys.nvml_version,
        sys.cuda_driver_version
            .map(|v| format!("{}.{}", v / 1000, v % 1000 / 10))
            .unwrap_or_else(|| "?".into())
    );
    if sys.fake {
        s.push_str("FAKE NVML LIBRARY (test double): nothing below describes real hardware\n");
    }
    for g in &inv.gpus {
        gpu_text(&mut s, g);
    }
    s
}

/// One GPU: identity and MIG mode, instances and devices, processes, profiles, catalog check.
fn gpu_text(s: &mut String, g: &GpuInventory) {
    let gpu = &g.gpu;
    let _ = writeln!(
        s,
        "\nGPU {}: {} ({}), {}, {:.1} GiB, MIG {} (pending {})",
        gpu.index,
        gpu.name,
        gpu.catalog_model.as_deref().unwrap_or("not in the catalog"),
        gpu.uuid,
        gpu.memory_total_mib as f64 / 1024.0,
        on_off(gpu.mig_current),
        on_off(gpu.mig_pending)
    );
    if !gpu.unreadable.is_empty() {
        let _ = writeln!(
            s,
            "  PARTIAL (not root): unreadable: {}; run as root (or with the MIG capabilities) for \
             the full inventory",
            gpu.unreadable.join("; ")
        );
    }
    if gpu.mig_current != gpu.mig_pending {
        s.push_str(
            "  MIG mode change pending: it takes effect after a GPU reset (apply leaves it alone \
             unless --allow-mode-change)\n",
        );
    }
    let inst = describe_instances(gpu, &g.profiles);
    if gpu.mig_current {
        let _ = writeln!(
            s,
            "  GPU instances: {}",
            if inst.is_empty() { "none" } else { "" }
        );
        for line in inst {
            let _ = writeln!(s, "    {line}");
        }
        for d in &g.mig_devices {
            let _ = writeln!(
                s,
                "  MIG device {} (GPU instance {}, compute instance {}), {:.2} GiB",
                d.uuid,
                d.gi_id,
                d.ci_id,
                d.memory_total_mib as f64 / 1024.0
            );
        }
    }
    for p in &gpu.processes {
        let _ = writeln!(
            s,
            "  process {} uses {} MiB{}",
            p.pid,
            p.used_mib,
            p.gi_id
                .map(|i| format!(" (GPU instance {i})"))
                .unwrap_or_default()
        );
    }
    profiles_text(s, &g.profiles);
    if g.mismatches.is_empty() {
        let checked = if g.profiles.is_empty() {
            "memory"
        } else {
            "memory, profiles and placements"
        };
        let _ = writeln!(s, "  catalog check ({checked}): no mismatches");
    } else {
        let _ = writeln!(s, "  catalog check: {} mismatch(es)", g.mismatches.len());
        for m in &g.mismatches {
            let _ = writeln!(s, "    - {m}");
        }
    }
}

/// The MIG profiles NVML reports, or why there are none.
fn profiles_text(s: &mut String, profiles: &[GiProfile]) {
    if profiles.is_empty() {
        s.push_str(
            "  MIG profiles: not readable with MIG mode off; the catalog's profile table \
             stays unconfirmed for this GPU\n",
        );
    } else {
        s.push_str("  MIG profiles (id, name, compute slices, max, SMs, memory, placements):\n");
        for p in profiles {
            let starts: Vec<u32> = p.placements.iter().map(|x| x.0).collect();
            let _ = writeln!(
                s,
                "    {:>3}  {:<12} {}  x{}  {:>3} SMs  {:>7.2} GiB  starts {} (size {})",
                p.id,
                p.name.as_deref().unwrap_or("?"),
                p.compute_slices,
                p.max_count,
                p.sms,
                p.memory_mib as f64 / 1024.0,
                join(&starts),
                p.placements.first().map_or(0, |x| x.1)
            );
        }
    }
}

/// The plan as text.
pub fn plan(plan: &GpuPlan) -> String {
    let mut s = String::new();
    let g = &plan.gpu;
    let _ = writeln!(
        s,
        "GPU {}: {} ({}), MIG {}{}",
        g.index,
        g.name,
        g.catalog_model.as_deref().unwrap_or("?"),
        if g.mig_current { "on" } else { "off" },
        if g.mig_pending != g.mig_current {
            format!(" (pending {})", if g.mig_pending { "on" } else { "off" })
        } else {
            String::new()
        }
    );
    let now = describe_instances(g, &plan.profiles);
    let _ = writeln!(
        s,
        "  now:    {}",
        if now.is_empty() {
            "no GPU instances".to_string()
        } else {
            now.join("; ")
        }
    );
    let target: Vec<String> = plan
        .target
        .instances
        .iter()
        .map(|t| format!("{} at {}-{}", t.name, t.start, t.start + t.size.max(1) - 1))
        .collect();
    let _ = writeln!(
        s,
        "  target: MIG {}{} ({})",
        if plan.target.mig { "on" } else { "off" },
        if target.is_empty() {
            String::new()
        } else {
            format!(", {}", target.join(", "))
        },
        plan.target.source
    );
    if plan.ops.is_empty() && !plan.reset_pending {
        s.push_str("  nothing to do: the GPU already matches\n");
    }
    for (i, op) in plan.ops.iter().enumerate() {
        let _ = writeln!(s, "  {}. {}", i + 1, describe(op, g, &plan.profiles));
    }
    for n in &plan.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    s
}
