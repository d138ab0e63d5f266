//! `slicesim hil inventory | plan | apply | restore`: what the GPUs are, and changing their MIG
//! layout with a saved state to go back to.

use super::text::{inventory as render_inventory, plan as render_plan};
use super::{
    Change, HilArgs, PoolTarget, Print, command_line, install_ctrlc, load_scenario, take_lock,
};
use nvml_wrapper::Nvml;
use slicesim::hil::apply::{self, Applied, ApplyOptions, Retry};
use slicesim::hil::inventory::inventory as take_inventory;
use slicesim::hil::nvml::indices;
use slicesim::hil::plan::GpuPlan;
use slicesim::hil::state::{self, write_atomic};
use slicesim::hil::{HilError, Result};
use std::path::Path;

pub fn inventory(args: &HilArgs, gpu: Option<u32>, json: Option<&Path>) -> Result<()> {
    let nvml = super::nvml_of(args)?;
    let inv = take_inventory(nvml, &indices(nvml, gpu)?)?;
    out!("{}", render_inventory(&inv));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&inv).expect("inventory serializes");
        write_atomic(path, format!("{text}\n").as_bytes())?;
        outln!("wrote {}", path.display());
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
    slicesim::hil::host::check(&slicesim::hil::host::root(), change.force, &mut Print)?;
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
        retry: retry(),
    };
    let done = apply::apply(nvml, &plans, &opts, &mut Print)?;
    let Some(saved) = &done.saved else {
        outln!("nothing was changed; no state file written");
        return Ok(());
    };
    outln!(
        "applied: {} operation(s); prior state saved in {} (undo: slicesim hil restore --state {} --yes)",
        done.journal.len(),
        saved.this_run.display(),
        saved.this_run.display()
    );
    if saved.original_kept {
        outln!(
            "the state before the first apply stays in {} (slicesim hil restore --state {} --yes \
             goes all the way back)",
            saved.original.display(),
            saved.original.display()
        );
    }
    mode_changed(&done, "apply");
    Ok(())
}

/// After a MIG mode write the run stops for that GPU: say what to do next.
fn mode_changed(done: &Applied, cmd: &str) {
    if done.mode_changed.is_empty() {
        return;
    }
    let gpus: Vec<String> = done.mode_changed.iter().map(u32::to_string).collect();
    outln!(
        "MIG mode was written on GPU(s) {}: {cmd} stops here. Once the mode is active, run the same \
         {cmd} command again (a fresh process) to create the instances.",
        gpus.join(", ")
    );
}

/// Retries of IN_USE answers: 1 s, 2 s, 4 s, or `$SLICESIM_HIL_RETRY_DELAY_MS` times 1, 2, 4.
fn retry() -> Retry {
    let mut r = Retry::default();
    if let Some(ms) = std::env::var("SLICESIM_HIL_RETRY_DELAY_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        r.delays = [1, 2, 4]
            .iter()
            .map(|k| std::time::Duration::from_millis(ms * k))
            .collect();
    }
    r
}

pub fn restore(args: &HilArgs, path: &Path, change: &Change) -> Result<()> {
    let nvml = super::nvml_of(args)?;
    let file = state::load(path)?;
    outln!("state saved {} by `{}`", file.created, file.command);
    if !change.yes {
        let plans = apply::restore_plans(nvml, &file)?;
        print_plans(&plans);
        dry_run(&plans, change, "restore it");
        return Ok(());
    }
    slicesim::hil::host::check(&slicesim::hil::host::root(), change.force, &mut Print)?;
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
        retry: retry(),
    };
    let done = apply::restore(nvml, &plans, &opts, &mut Print)?;
    outln!("restored: {} operation(s)", done.journal.len());
    mode_changed(&done, "restore");
    Ok(())
}

/// Plans for every selected GPU of the pool's model; says which GPUs were skipped.
fn plans(nvml: &Nvml, t: &PoolTarget) -> Result<Vec<GpuPlan>> {
    let loaded = load_scenario(Some(&t.scenario))?;
    let p = apply::pool_plans(nvml, &loaded.scenario, &t.pool, t.gpu)?;
    for s in &p.skipped {
        outln!("skipped: {s}");
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
        out!("{}", render_plan(p));
    }
}

fn dry_run(plans: &[GpuPlan], change: &Change, verb: &str) {
    let opts = ApplyOptions {
        allow_mode_change: change.allow_mode_change,
        force: change.force,
        ..Default::default()
    };
    if let Err(e) = apply::preflight(plans, &opts, verb, &mut Print) {
        outln!("would refuse: {e}");
    }
    outln!("dry run: nothing was changed (add --yes to do it)");
}
