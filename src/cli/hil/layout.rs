//! `slicesim hil inventory | plan | apply | restore`: what the GPUs are, and changing their MIG
//! layout with a saved state to go back to.

use super::text::{inventory as render_inventory, plan as render_plan};
use super::{
    Change, HilArgs, PoolTarget, Print, command_line, install_ctrlc, load_scenario, take_lock,
};
use nvml_wrapper::Nvml;
use slicesim::hil::apply::{self, ApplyOptions};
use slicesim::hil::inventory::inventory as take_inventory;
use slicesim::hil::nvml::indices;
use slicesim::hil::plan::GpuPlan;
use slicesim::hil::state::{self, write_atomic};
use slicesim::hil::{HilError, Result};
use std::path::Path;

pub fn inventory(args: &HilArgs, gpu: Option<u32>, json: Option<&Path>) -> Result<()> {
    let nvml = super::nvml_of(args)?;
    let inv = take_inventory(nvml, &indices(nvml, gpu)?)?;
    print!("{}", render_inventory(&inv));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&inv).expect("inventory serializes");
        write_atomic(path, format!("{text}\n").as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

pub fn plan(args: &HilArgs, t: &PoolTarget) -> Result<()> {
    let nvml = super::nvml_of(args)?;
    let plans = plans(nvml, t)?;
    print_plans(&plans);
    dry_run(
        &plans,
        &Change {
            yes: false,
            allow_mode_change: false,
            force: false,
        },
        "reconfigure it",
    );
    Ok(())
}

pub fn apply(args: &HilArgs, target: &PoolTarget, change: &Change, state: &Path) -> Result<()> {
    let nvml = super::nvml_of(args)?;
    if !change.yes {
        let plans = plans(nvml, target)?;
        print_plans(&plans);
        dry_run(&plans, change, "reconfigure it");
        return Ok(());
    }
    install_ctrlc();
    let _lock = take_lock(args, &command_line())?;
    let plans = plans(nvml, target)?;
    print_plans(&plans);
    let opts = ApplyOptions {
        yes: true,
        allow_mode_change: change.allow_mode_change,
        force: change.force,
        state_path: state.to_path_buf(),
        command: command_line(),
    };
    let done = apply::apply(nvml, &plans, &opts, &mut Print)?;
    if done.is_empty() {
        println!("nothing was changed; {} left as it was", state.display());
        return Ok(());
    }
    println!(
        "applied: {} operation(s); prior state saved in {} (undo: slicesim hil restore --state {} --yes)",
        done.len(),
        state.display(),
        state.display()
    );
    Ok(())
}

pub fn restore(args: &HilArgs, path: &Path, change: &Change) -> Result<()> {
    let nvml = super::nvml_of(args)?;
    let file = state::load(path)?;
    println!("state saved {} by `{}`", file.created, file.command);
    if !change.yes {
        let plans = apply::restore_plans(nvml, &file)?;
        print_plans(&plans);
        dry_run(&plans, change, "restore it");
        return Ok(());
    }
    // Ctrl-C must not cut a restore short: the handler only sets a flag restore ignores.
    install_ctrlc();
    let _lock = take_lock(args, &command_line())?;
    let plans = apply::restore_plans(nvml, &file)?;
    print_plans(&plans);
    let opts = ApplyOptions {
        yes: true,
        allow_mode_change: change.allow_mode_change,
        force: change.force,
        state_path: path.to_path_buf(),
        command: command_line(),
    };
    let done = apply::restore(nvml, &plans, &opts, &mut Print)?;
    println!("restored: {} operation(s)", done.len());
    Ok(())
}

/// Plans for every selected GPU of the pool's model; says which GPUs were skipped.
fn plans(nvml: &Nvml, t: &PoolTarget) -> Result<Vec<GpuPlan>> {
    let loaded = load_scenario(Some(&t.scenario))?;
    let p = apply::pool_plans(nvml, &loaded.scenario, &t.pool, t.gpu)?;
    for s in &p.skipped {
        println!("skipped: {s}");
    }
    if p.plans.is_empty() {
        return Err(HilError::refused(format!(
            "no GPU on this host matches pool {}",
            t.pool
        )));
    }
    Ok(p.plans)
}

fn print_plans(plans: &[GpuPlan]) {
    for p in plans {
        print!("{}", render_plan(p));
    }
}

fn dry_run(plans: &[GpuPlan], change: &Change, verb: &str) {
    let opts = ApplyOptions {
        allow_mode_change: change.allow_mode_change,
        force: change.force,
        ..Default::default()
    };
    if let Err(e) = apply::preflight(plans, &opts, verb, &mut Print) {
        println!("would refuse: {e}");
    }
    println!("dry run: nothing was changed (add --yes to do it)");
}
