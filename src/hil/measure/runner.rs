//! The probes of one experiment point, run at once on the GPU while it is sampled.

use crate::hil::experiment::{Experiment, Series};
use crate::hil::inventory::{GpuSnapshot, profile_name};
use crate::hil::measurements::{Point, Window};
use crate::hil::nvml::{device, nv};
use crate::hil::probe::{self, Idle, ProbeKind, ProbeOutcome, ProbeParams, Work};
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
            kernel_ms_target: None,
            iters: None,
            idle: Idle::Fixed,
            work: Work::Fma,
            start_at_ms: None,
            stop_at_ms: None,
            mem_mib: None,
            hold: None,
            gpu_memory_mib: self.gpu.memory_total_mib,
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

    /// Runs the probes while sampling the GPU: all at once with a common window (`window`), or,
    /// for a memory point, one every `stagger`.
    fn point(
        &self,
        params: Vec<ProbeParams>,
        window: Option<Window>,
        stagger: Option<Duration>,
    ) -> Result<(
        Vec<ProbeOutcome>,
        Vec<sampler::GpuReading>,
        Option<sampler::GpmReading>,
    )> {
        let stop = AtomicBool::new(false);
        let mut seconds =
            self.exp.duration.ms() as f64 / 1000.0 + self.exp.warmup.ms() as f64 / 1000.0;
        if let Some(w) = window {
            seconds = (w.stop_ms.saturating_sub(unix_ms())) as f64 / 1000.0 + 0.5;
        }
        if let Some(s) = stagger {
            let hold = params.iter().filter_map(|p| p.hold).fold(0.0, f64::max);
            seconds = s.as_secs_f64() * params.len() as f64 + hold;
        }
        let deadline =
            Instant::now() + Duration::from_secs_f64(seconds + 30.0f64.max(seconds / 2.0));
        let now = (Instant::now(), unix_ms());
        let at = |ms: u64| now.0 + Duration::from_millis(ms.saturating_sub(now.1));
        std::thread::scope(|scope| {
            let sampling =
                scope.spawn(|| sampler::run(self.nvml, self.gpu.index, self.exp.sample_hz, &stop));
            let stop_ref = &stop;
            let gpm = window.map(|w| {
                let (from, to) = (at(w.count_from_ms), at(w.stop_ms));
                scope.spawn(move || {
                    sampler::gpm_window(self.nvml, self.gpu.index, from, to, stop_ref)
                })
            });
            let mut running = Vec::new();
            let mut failed = None;
            for (i, p) in params.iter().enumerate() {
                if let Some(s) = stagger
                    && i > 0
                {
                    std::thread::sleep(s);
                }
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
            let gpm = gpm.and_then(|h| h.join().ok().flatten());
            match failed {
                Some(e) => Err(e),
                None => Ok((outcomes, samples, gpm)),
            }
        })
    }
}

/// Milliseconds since the Unix epoch.
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Kernel time alone (ms) and the loop count that gave it, per (u, d, kernel length target).
pub(super) type Alone = Vec<((u64, u64, Option<u64>), (f64, Option<u32>))>;

fn alone_key(u: f64, d: f64, target: Option<f64>) -> (u64, u64, Option<u64>) {
    (u.to_bits(), d.to_bits(), target.map(f64::to_bits))
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
        alone: &Alone,
    ) -> Result<Vec<(u32, Vec<ProbeParams>)>> {
        let (u, d) = series.ud();
        let known = alone
            .iter()
            .find(|(k, _)| *k == alone_key(u, d, None))
            .map(|(_, v)| v.0);
        if self.gpu.mig_current && !matches!(series, Series::Mig { .. }) {
            return Err(HilError::refused(format!(
                "series {si}: {} points need MIG mode off on GPU {}, and it is on",
                series.kind().replace('_', "-"),
                self.gpu.index
            )));
        }
        Ok(match series {
            Series::TimeSlicing {
                concurrency: n,
                kernel_ms,
                kernel_ms_target,
                idle,
                ..
            } => {
                let mut counts = n.clone();
                counts.push(1);
                counts.sort_unstable();
                counts.dedup();
                let default_ms = if kernel_ms_target.is_some() {
                    None
                } else {
                    known
                };
                counts
                    .into_iter()
                    .map(|k| {
                        let mut ps = self.whole_gpu(u, d, k, kernel_ms.or(default_ms));
                        for p in &mut ps {
                            p.kernel_ms_target = *kernel_ms_target;
                            p.idle = *idle;
                        }
                        (k, ps)
                    })
                    .collect()
            }
            Series::Mig { kernel_ms, .. } => vec![(0, self.mig(u, d, kernel_ms.or(known))?)],
            Series::Speed { probe_kind } => probe_kind
                .iter()
                .map(|w| {
                    let mut p = self.base(1.0, 1.0, 1, 0, None);
                    p.work = *w;
                    (1, vec![p])
                })
                .collect(),
            Series::Memory {
                n,
                mem_gib,
                stagger,
                hold,
            } => {
                let mib = (mem_gib * 1024.0).round() as u64;
                let ps = (0..*n)
                    .map(|i| {
                        let mut p = self.base(1.0, 1.0, *n, i, None);
                        p.mem_mib = Some(mib);
                        // All hold until `hold` after the last one started.
                        p.hold =
                            Some((hold.ms() + stagger.ms() * u64::from(n - 1 - i)) as f64 / 1000.0);
                        p
                    })
                    .collect();
                vec![(*n, ps)]
            }
        })
    }

    /// Measures one point. A one-probe time-slicing point records the kernel time alone (and
    /// the loop count it calibrated) for its (u, d, kernel length target); later multi-probe
    /// points of the same key take them.
    pub(super) fn measure_point(
        &self,
        at: PointAt,
        series: &Series,
        mut params: Vec<ProbeParams>,
        alone: &mut Alone,
    ) -> Result<Point> {
        let (u, d) = series.ud();
        let k = at.k;
        let target = params.first().and_then(|p| p.kernel_ms_target);
        let key = alone_key(u, d, target);
        if k > 1
            && let Some((ms, iters)) = alone.iter().find(|(kk, _)| *kk == key).map(|x| x.1)
        {
            for p in &mut params {
                p.kernel_ms = p.kernel_ms.or(Some(ms));
                if iters.is_some() {
                    p.iters = iters;
                    p.kernel_ms_target = None;
                }
            }
        }
        let n = params.len() as u32;
        let first = params.first().cloned();
        let (window, stagger) = match series {
            Series::Memory { stagger, .. } => (None, Some(Duration::from_millis(stagger.ms()))),
            _ if matches!(series, Series::Mig { .. }) => (None, None),
            _ => {
                let w =
                    Window::for_probes(unix_ms(), n, self.exp.warmup.ms(), self.exp.duration.ms());
                for p in &mut params {
                    p.start_at_ms = Some(w.start_ms);
                    p.stop_at_ms = Some(w.stop_ms);
                }
                (Some(w), None)
            }
        };
        let (probes, samples, gpm) = self.point(params, window, stagger)?;
        if k == 1
            && matches!(series, Series::TimeSlicing { .. })
            && !alone.iter().any(|(kk, _)| *kk == key)
            && let Some(l) = probes[0].line.as_ref()
            && let Some(ms) = l.kernel_ms
        {
            alone.push((key, (ms, l.iters.filter(|_| target.is_some()))));
        }
        Ok(Point {
            series: at.series,
            kind: series.kind().into(),
            u,
            d,
            n,
            repeat: at.repeat,
            kernel_ms: first.as_ref().and_then(|p| p.kernel_ms),
            work: first.as_ref().map_or(Work::Fma, |p| p.work),
            kernel_ms_target: target,
            idle: first.as_ref().map_or(Idle::Fixed, |p| p.idle),
            iters: first.as_ref().and_then(|p| p.iters),
            window,
            stagger_ms: stagger.map(|s| s.as_millis() as u64),
            gpm,
            probes,
            samples: sampler::summarize(&samples),
            sample_series: samples,
        })
    }
}
