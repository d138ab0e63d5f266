//! The probes of one experiment point, run at once on the GPU while it is sampled.

use crate::hil::experiment::{Experiment, Series};
use crate::hil::inventory::{GpuSnapshot, profile_name};
use crate::hil::measurements::Point;
use crate::hil::nvml::{device, nv};
use crate::hil::probe::{self, ProbeKind, ProbeOutcome, ProbeParams};
use crate::hil::raw::{self, GiProfile};
use crate::hil::sampler;
use crate::hil::{HilError, Result};
use nvml_wrapper::Nvml;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What every point of one measurement shares: the GPU, its profiles and the probe.
pub(super) struct Runner<'a> {
    pub(super) nvml: &'a Nvml,
    pub(super) exp: &'a Experiment,
    pub(super) probe: &'a ProbeKind,
    pub(super) gpu: &'a GpuSnapshot,
    pub(super) profiles: &'a [GiProfile],
    pub(super) sms: u32,
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
                // The compute instance's own SMs: a GPU instance may hold several compute
                // instances, each with a part of its SMs.
                let ci_sms = match gi.cis.iter().find(|c| c.id == md.ci_id) {
                    Some(ci) => raw::ci_profile_sms(self.nvml, &dev, gi.id, ci.profile_id)
                        .map_err(|e| nv(format!("GPU {index}: compute-instance profiles"), e))?,
                    None => None,
                };
                let sms = ci_sms.unwrap_or_else(|| {
                    self.profiles
                        .iter()
                        .find(|p| p.id == gi.profile_id)
                        .map_or(0, |p| p.sms)
                });
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
pub(super) struct PointAt {
    pub(super) series: usize,
    pub(super) repeat: u32,
    pub(super) k: u32,
}

impl Runner<'_> {
    /// A series' points as (probe count, probe parameters); time-slicing always includes the
    /// one-probe point, which measures the kernel time alone.
    pub(super) fn series_points(
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
    pub(super) fn measure_point(
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
