//! `measure`: runs an experiment's probe points on one GPU while sampling it through NVML, and
//! writes the measurement file after every point.

use super::experiment::{Experiment, Series};
use super::inventory::{GpuSnapshot, profile_name, snapshot, unknown_model};
use super::measurements::{self, GpuDescription, Measurements, Point};
use super::nvml::{System, device, nv, system};
use super::probe::{self, ProbeKind, ProbeOutcome, ProbeParams};
use super::raw::{self, GiProfile};
use super::safety::{check_foreign, interrupted};
use super::sampler;
use super::state::now;
use super::{Exit, HilError, Progress, Result};
use crate::catalog::{Catalog, GpuModel};
use nvml_wrapper::Nvml;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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
    let probe = match opts.probe_cmd.clone().or(exp.probe_cmd.clone()) {
        Some(command) => ProbeKind::Command { command },
        None => ProbeKind::Builtin,
    };
    let mut m = new_measurements(exp, sys, &gpu, &model, &probe);
    measurements::save(&opts.out, &m)?;
    let run = Runner {
        nvml,
        exp,
        probe: &probe,
        gpu: &gpu,
        profiles: &profiles,
        sms: model.sms,
    };
    // Kernel time alone per (u, d), from the one-probe points, for later points and series.
    let mut alone: Vec<((f64, f64), f64)> = Vec::new();
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

struct Runner<'a> {
    nvml: &'a Nvml,
    exp: &'a Experiment,
    probe: &'a ProbeKind,
    gpu: &'a GpuSnapshot,
    profiles: &'a [GiProfile],
    sms: u32,
}

impl Runner<'_> {
    fn base(&self, u: f64, d: f64, n: u32, index: u32, kernel_ms: Option<f64>) -> ProbeParams {
        ProbeParams {
            u,
            d,
            n,
            index,
            seconds: self.exp.duration.ms() as f64 / 1000.0,
            warmup: self.exp.warmup.ms() as f64 / 1000.0,
            device: self.gpu.uuid.clone(),
            gpu_model: self.gpu.catalog_model.clone().unwrap_or_default(),
            gpu_sms: self.sms,
            sm_fraction: 1.0,
            mig_profile: None,
            kernel_ms,
        }
    }

    fn whole_gpu(&self, u: f64, d: f64, n: u32, kernel_ms: Option<f64>) -> Vec<ProbeParams> {
        (0..n).map(|i| self.base(u, d, n, i, kernel_ms)).collect()
    }

    /// One probe per MIG device, with its instance's SM fraction.
    fn mig(&self, u: f64, d: f64, kernel_ms: Option<f64>) -> Result<Vec<ProbeParams>> {
        let index = self.gpu.index;
        if !self.gpu.mig_current {
            return Err(HilError::refused(format!(
                "MIG points need MIG mode on for GPU {index}, and it is off"
            )));
        }
        let dev = device(self.nvml, index)?;
        let devices = raw::mig_devices(self.nvml, &dev)
            .map_err(|e| nv(format!("GPU {index}: MIG devices"), e))?;
        if devices.is_empty() {
            return Err(HilError::refused(format!(
                "GPU {index} has no MIG instances: apply a layout first (slicesim hil apply)"
            )));
        }
        let n = devices.len() as u32;
        devices
            .iter()
            .enumerate()
            .map(|(i, md)| {
                let gi = self
                    .gpu
                    .instances
                    .iter()
                    .find(|g| g.id == md.gi_id)
                    .ok_or_else(|| {
                        HilError::error(format!(
                            "MIG device {} has no GPU instance {}",
                            md.uuid, md.gi_id
                        ))
                    })?;
                let sms = self
                    .profiles
                    .iter()
                    .find(|p| p.id == gi.profile_id)
                    .map_or(0, |p| p.sms);
                let mut p = self.base(u, d, n, i as u32, kernel_ms);
                p.device = md.uuid.clone();
                p.sm_fraction = f64::from(sms) / f64::from(self.sms.max(1));
                p.mig_profile = Some(profile_name(self.gpu, self.profiles, gi.profile_id));
                Ok(p)
            })
            .collect()
    }

    /// Runs the probes at once while sampling the GPU.
    fn point(
        &self,
        params: Vec<ProbeParams>,
    ) -> Result<(Vec<ProbeOutcome>, Vec<sampler::GpuReading>)> {
        let stop = AtomicBool::new(false);
        let seconds = self.exp.duration.ms() as f64 / 1000.0 + self.exp.warmup.ms() as f64 / 1000.0;
        let deadline =
            Instant::now() + Duration::from_secs_f64(seconds + 30.0f64.max(seconds / 2.0));
        std::thread::scope(|scope| {
            let sampling =
                scope.spawn(|| sampler::run(self.nvml, self.gpu.index, self.exp.sample_hz, &stop));
            let mut running = Vec::new();
            let mut failed = None;
            for p in &params {
                match probe::start(self.probe, p) {
                    Ok(r) => running.push(r),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let deadline = if failed.is_some() {
                Instant::now()
            } else {
                deadline
            };
            let outcomes = probe::finish(running, deadline);
            stop.store(true, Ordering::SeqCst);
            let samples = sampling.join().unwrap_or_default();
            match failed {
                Some(e) => Err(e),
                None => Ok((outcomes, samples)),
            }
        })
    }
}

/// Where a point sits in the experiment: series number, repeat, and probe count (0 for MIG).
#[derive(Clone, Copy)]
struct PointAt {
    series: usize,
    repeat: u32,
    k: u32,
}

impl Runner<'_> {
    /// A series' points as (probe count, probe parameters); time-slicing always includes the
    /// one-probe point, which measures the kernel time alone.
    fn series_points(
        &self,
        si: usize,
        series: &Series,
        alone: &[((f64, f64), f64)],
    ) -> Result<Vec<(u32, Vec<ProbeParams>)>> {
        let (u, d) = series.ud();
        let known = alone.iter().find(|(k, _)| *k == (u, d)).map(|(_, v)| *v);
        Ok(match series {
            Series::TimeSlicing {
                concurrency: n,
                kernel_ms,
                ..
            } => {
                if self.gpu.mig_current {
                    return Err(HilError::refused(format!(
                        "series {si}: time-slicing points need MIG mode off on GPU {}, and it is on",
                        self.gpu.index
                    )));
                }
                let mut counts = n.clone();
                counts.push(1);
                counts.sort_unstable();
                counts.dedup();
                counts
                    .into_iter()
                    .map(|k| (k, self.whole_gpu(u, d, k, kernel_ms.or(known))))
                    .collect()
            }
            Series::Mig { kernel_ms, .. } => vec![(0, self.mig(u, d, kernel_ms.or(known))?)],
        })
    }

    /// Measures one point; a one-probe point records the kernel time alone for (u, d), which
    /// later multi-probe points of the same (u, d) take when they have none.
    fn measure_point(
        &self,
        at: PointAt,
        series: &Series,
        mut params: Vec<ProbeParams>,
        alone: &mut Vec<((f64, f64), f64)>,
    ) -> Result<Point> {
        let (u, d) = series.ud();
        let k = at.k;
        if k > 1
            && let Some(ms) = alone.iter().find(|(key, _)| *key == (u, d)).map(|x| x.1)
        {
            for p in &mut params {
                p.kernel_ms = p.kernel_ms.or(Some(ms));
            }
        }
        let n = params.len() as u32;
        let kernel_ms = params.first().and_then(|p| p.kernel_ms);
        let (probes, samples) = self.point(params)?;
        if k == 1
            && !alone.iter().any(|(key, _)| *key == (u, d))
            && let Some(ms) = probes[0].line.as_ref().and_then(|l| l.kernel_ms)
        {
            alone.push(((u, d), ms));
        }
        Ok(Point {
            series: at.series,
            kind: series.kind().into(),
            u,
            d,
            n,
            repeat: at.repeat,
            kernel_ms,
            probes,
            samples: sampler::summarize(&samples),
            sample_series: samples,
        })
    }
}

/// One line per point.
pub fn render_point(p: &Point) -> String {
    let mut s = String::new();
    let what = if p.kind == "mig" {
        format!("mig  u={} d={} ({} instances)", p.u, p.d, p.n)
    } else {
        format!("time-slicing u={} d={} n={}", p.u, p.d, p.n)
    };
    let _ = write!(s, "{what}:");
    for pr in &p.probes {
        let tag = pr
            .mig_profile
            .as_deref()
            .map(|m| format!("[{m}] "))
            .unwrap_or_default();
        match (&pr.line, &pr.error) {
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
    if let Some(w) = p.samples.power_w_mean {
        let _ = write!(s, ", {w:.0} W");
    }
    s
}
