//! `measure`: runs an experiment's probe points on one GPU while sampling it through NVML, and
//! writes the measurement file after every point.

use super::environment;
use super::experiment::{Experiment, Series};
use super::host;
use super::inventory::{GpuSnapshot, snapshot, unknown_model};
use super::measurements::{self, GpuDescription, Measurements, Point};
use super::nvml::{System, system};
use super::probe::ProbeKind;
use super::safety::{check_foreign, interrupted};
use super::state::now;
use super::{Exit, HilError, Progress, Result};
use crate::catalog::{Catalog, GpuModel};
use nvml_wrapper::Nvml;
use runner::{Alone, PointAt, Runner};
use std::fmt::Write as _;
use std::path::PathBuf;

mod runner;

/// What the user asked of `measure` on the command line.
#[derive(Clone, Debug)]
pub struct MeasureOptions {
    pub out: PathBuf,
    /// Overrides the experiment's `probe_cmd`.
    pub probe_cmd: Option<String>,
    /// Measure although foreign processes hold the GPU.
    pub force: bool,
}

/// Runs the experiment; the file at `opts.out` holds every finished point even on failure. Each
/// point is reported to `progress` as it is measured.
pub fn measure(
    nvml: &Nvml,
    exp: &Experiment,
    opts: &MeasureOptions,
    progress: &mut dyn Progress,
) -> Result<Measurements> {
    let sys = system(nvml)?;
    let (gpu, profiles) = snapshot(nvml, exp.gpu)?;
    let catalog = Catalog::builtin();
    let model = gpu
        .catalog_model
        .as_deref()
        .and_then(|m| catalog.get(m))
        .ok_or_else(|| unknown_model(&gpu))?
        .clone();
    check_foreign(&gpu, opts.force, "measure on it", progress)?;
    // Several probes on one GPU are only time-sliced in compute mode DEFAULT without MPS.
    let env = environment::read(nvml, exp.gpu, &host::root())?;
    if exp.series.iter().any(|s| !matches!(s, Series::Mig { .. })) {
        let problems = environment::sharing_problems(&env);
        if !problems.is_empty() {
            return Err(HilError::refused(format!(
                "GPU {}: whole-GPU points would not measure time-slicing: {}",
                exp.gpu,
                problems.join("; ")
            )));
        }
    }
    let probe = match opts.probe_cmd.clone().or(exp.probe_cmd.clone()) {
        Some(command) => ProbeKind::Command { command },
        None => ProbeKind::Builtin,
    };
    let mut m = new_measurements(exp, sys, &gpu, &model, &probe);
    m.environment = Some(env);
    measurements::save(&opts.out, &m)?;
    let run = Runner {
        nvml,
        exp,
        probe: &probe,
        gpu: &gpu,
        profiles: &profiles,
        sms: model.sms,
    };
    // Kernel time alone per (u, d, target), from the one-probe points, for later points.
    let mut alone: Alone = Vec::new();
    for repeat in 0..exp.repeats {
        for (si, series) in exp.series.iter().enumerate() {
            for (k, params) in run.series_points(si, series, &alone)? {
                let at = PointAt {
                    series: si,
                    repeat,
                    k,
                };
                let point = run.measure_point(at, series, params, &mut alone)?;
                progress.step(&render_point(&point));
                for w in sm_mismatch(&point, model.sms)
                    .into_iter()
                    .chain(late_probes(&point))
                {
                    progress.warn(&w);
                }
                record(&mut m, point, opts)?;
            }
        }
    }
    m.complete = true;
    measurements::save(&opts.out, &m)?;
    Ok(m)
}

/// The measurement file before any point: what was measured, on what, with which probe.
fn new_measurements(
    exp: &Experiment,
    sys: System,
    gpu: &GpuSnapshot,
    model: &GpuModel,
    probe: &ProbeKind,
) -> Measurements {
    let (created_unix, created) = now();
    let mut m = Measurements {
        format: measurements::FORMAT.into(),
        name: exp.name.clone(),
        created_unix,
        created,
        synthetic: sys.fake,
        provenance: String::new(),
        complete: false,
        interrupted: false,
        system: sys,
        gpu: GpuDescription {
            index: gpu.index,
            uuid: gpu.uuid.clone(),
            name: gpu.name.clone(),
            catalog_model: model.name.clone(),
            memory_total_mib: gpu.memory_total_mib,
            sms: model.sms,
            mig_current: gpu.mig_current,
        },
        probe: probe.clone(),
        environment: None,
        experiment: exp.clone(),
        points: Vec::new(),
    };
    set_provenance(&mut m);
    m
}

/// Adds a measured point and saves the file; stops the run when interrupted or when the
/// built-in probe found no CUDA (every later point would fail the same way).
fn record(m: &mut Measurements, point: Point, opts: &MeasureOptions) -> Result<()> {
    let no_cuda = point.probes.iter().find_map(|p| {
        p.error
            .as_deref()
            .filter(|e| e.contains("CUDA not available"))
            .map(str::to_string)
    });
    if point
        .probes
        .iter()
        .any(|p| p.line.as_ref().is_some_and(|l| l.synthetic))
    {
        m.synthetic = true;
        set_provenance(m);
    }
    m.points.push(point);
    if interrupted() {
        m.interrupted = true;
        measurements::save(&opts.out, m)?;
        return Err(HilError::new(
            Exit::Interrupted,
            format!(
                "interrupted: {} point(s) saved to {}",
                m.points.len(),
                opts.out.display()
            ),
        ));
    }
    measurements::save(&opts.out, m)?;
    if let Some(e) = no_cuda {
        return Err(HilError::new(
            Exit::NoDevice,
            format!("the built-in probe cannot run here ({e}); use --probe-cmd"),
        ));
    }
    Ok(())
}

fn set_provenance(m: &mut Measurements) {
    m.provenance = if m.system.fake {
        format!(
            "SYNTHETIC: NVML was the fake library (driver {}), not a real GPU; probe: {}",
            m.system.driver_version,
            m.probe.id()
        )
    } else if m.synthetic {
        format!(
            "SYNTHETIC: the probe ({}) reported synthetic=1 (emulated, not measured) on {} ({})",
            m.probe.id(),
            m.gpu.name,
            m.system.host
        )
    } else {
        format!(
            "measured on {} ({}), driver {}, host {}; probe: {}",
            m.gpu.name,
            m.gpu.uuid,
            m.system.driver_version,
            m.system.host,
            m.probe.id()
        )
    };
}

/// A warning when a whole-GPU probe saw another SM count than the catalog model has (the FLOP/s
/// work per kernel and the model's speeds assume the catalog's).
pub fn sm_mismatch(p: &Point, catalog_sms: u32) -> Option<String> {
    if p.kind == "mig" {
        return None;
    }
    let seen = p
        .probes
        .iter()
        .filter_map(|x| x.line.as_ref()?.sms)
        .find(|&s| s != catalog_sms)?;
    Some(format!(
        "warning: the probe saw {seen} SMs, the catalog model has {catalog_sms}: the GPU is not \
         the catalog's model, or clocks/partitioning differ"
    ))
}

/// A warning when a probe was ready to launch only after the point's counting window began (its
/// CUDA start-up took longer than the time the window leaves for it): its throughput is too low.
pub fn late_probes(p: &Point) -> Option<String> {
    let w = p.window?;
    let late: Vec<String> = p
        .probes
        .iter()
        .filter_map(|x| {
            let r = x.line.as_ref()?.ready_ms?;
            (r > w.count_from_ms).then(|| format!("#{} by {} ms", x.index + 1, r - w.count_from_ms))
        })
        .collect();
    (!late.is_empty()).then(|| {
        format!(
            "warning: probe(s) {} were ready only after counting began: lengthen warmup",
            late.join(", ")
        )
    })
}

/// One line per point.
pub fn render_point(p: &Point) -> String {
    let mut s = String::new();
    let variant = p.variant();
    let variant = if variant.is_empty() {
        variant
    } else {
        format!(" ({variant})")
    };
    let what = match p.kind.as_str() {
        "mig" => format!("mig  u={} d={} ({} instances)", p.u, p.d, p.n),
        "speed" => format!("speed {} alone", p.work.name()),
        "memory" => format!(
            "memory n={} x {} MiB",
            p.n,
            p.probes.first().and_then(|x| x.mem_mib).unwrap_or(0)
        ),
        _ => format!("time-slicing u={} d={} n={}{variant}", p.u, p.d, p.n),
    };
    let _ = write!(s, "{what}:");
    for pr in &p.probes {
        let tag = pr
            .mig_profile
            .as_deref()
            .map(|m| format!("[{m}] "))
            .unwrap_or_default();
        match (&pr.line, &pr.error) {
            (Some(l), _) if l.alloc_ok.is_some() => {
                let ok = if l.alloc_ok == Some(true) {
                    "ok"
                } else {
                    "OOM"
                };
                let _ = write!(s, " {tag}{ok}");
            }
            (Some(l), _) if l.throughput >= 1e6 => {
                let _ = write!(s, " {tag}{:.4e} {}", l.throughput, l.unit);
            }
            (Some(l), _) => {
                let _ = write!(s, " {tag}{:.3} {}", l.throughput, l.unit);
            }
            (None, Some(e)) => {
                let _ = write!(s, " {tag}FAILED ({e})");
            }
            (None, None) => {}
        }
    }
    if let Some(u) = p.samples.gpu_util_pct_mean {
        let _ = write!(s, "; GPU util {u:.0} %");
    }
    if let Some(m) = p.samples.mem_used_mib_max {
        let _ = write!(s, ", {m} MiB used at most");
    }
    if let Some(g) = &p.gpm
        && let Some(u) = g.sm_util_pct
    {
        let _ = write!(s, ", GPM SM util {u:.1} %");
    }
    if let Some(w) = p.samples.power_w_mean {
        let _ = write!(s, ", {w:.0} W");
    }
    s
}
