//! Speed against a reference (`compare --reference datasheet|FILE`, review B5): a speed point's
//! absolute throughput (FLOP/s or bytes/s, one probe alone) over the reference GPU's, next to the
//! model's `gpu_speed(M) / gpu_speed(reference)`.
//!
//! - `datasheet`: the reference model's published peak (the table below). The ratio then mixes
//!   the probe's efficiency into the speed, so it says how far the catalog's single speed factor
//!   is from the compute-bound (`fma`) and the memory-bound (`stream`) ratio, not which is right.
//! - `FILE`: a measurement file recorded on the reference GPU with the same probe (id and version)
//!   and a speed point of the same kind: measured against measured.

use super::Observation;
use crate::hil::measurements::Measurements;
use crate::hil::probe::Work;

/// What `compare` measures speed points against.
#[derive(Clone, Debug, Default)]
pub enum Reference {
    /// Only cross-model ratios found in the files themselves.
    #[default]
    None,
    Datasheet,
    /// A measurement file (name, contents) from the reference GPU.
    File(String, Box<Measurements>),
}

/// Published peaks of a GPU model: FP32 (non-tensor) FLOP/s and memory bandwidth in bytes/s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Datasheet {
    pub model: &'static str,
    pub fma_flops: f64,
    pub stream_bytes: f64,
    pub source: &'static str,
}

/// Datasheet peaks of the catalog models a speed point may be compared with.
pub const DATASHEETS: &[Datasheet] = &[
    Datasheet {
        model: "A100-80GB",
        fma_flops: 19.5e12,
        stream_bytes: 2.039e12,
        source: "NVIDIA A100 datasheet, SXM 80GB: FP32 19.5 TFLOPS, 2,039 GB/s",
    },
    Datasheet {
        model: "H100-80GB",
        fma_flops: 67e12,
        stream_bytes: 3.35e12,
        source: "NVIDIA H100 datasheet, SXM: FP32 67 TFLOPS, 3.35 TB/s",
    },
    Datasheet {
        model: "H200-141GB",
        fma_flops: 67e12,
        stream_bytes: 4.8e12,
        source: "NVIDIA H200 datasheet, SXM: FP32 67 TFLOPS, 4.8 TB/s",
    },
];

/// The datasheet of `model`, if listed.
pub fn datasheet(model: &str) -> Option<&'static Datasheet> {
    DATASHEETS
        .iter()
        .find(|d| d.model.eq_ignore_ascii_case(model))
}

impl Datasheet {
    pub fn peak(&self, w: Work) -> f64 {
        match w {
            Work::Fma => self.fma_flops,
            Work::Stream => self.stream_bytes,
        }
    }
}

/// Mean throughput and unit of each speed point of `m`, per kernel kind.
fn speeds(m: &Measurements) -> Vec<(Work, f64, String)> {
    let mut out: Vec<(Work, f64, String, usize)> = Vec::new();
    for p in m.points.iter().filter(|p| p.kind == "speed") {
        let Some(t) = p.mean_throughput() else {
            continue;
        };
        let unit = p
            .probes
            .first()
            .and_then(|x| x.line.as_ref())
            .map_or(String::new(), |l| l.unit.clone());
        match out
            .iter_mut()
            .find(|(w, _, u, _)| *w == p.work && *u == unit)
        {
            Some((_, sum, _, n)) => {
                *sum += t;
                *n += 1;
            }
            None => out.push((p.work, t, unit, 1)),
        }
    }
    out.into_iter()
        .map(|(w, s, u, n)| (w, s / n as f64, u))
        .collect()
}

/// The speed observations of `files` against `reference` (whose model is `ref_model` for the
/// datasheet), and the points that could not be compared.
pub fn observations(
    files: &[(String, Measurements)],
    reference: &Reference,
    ref_model: &str,
) -> (Vec<Observation>, Vec<String>) {
    let mut obs = Vec::new();
    let mut skipped = Vec::new();
    for (name, m) in files {
        for (w, t, unit) in speeds(m) {
            let against = match reference {
                Reference::None => {
                    skipped.push(format!(
                        "{name}: speed {}: no reference (compare --reference datasheet|FILE)",
                        w.name()
                    ));
                    continue;
                }
                Reference::Datasheet => {
                    let Some(ds) = datasheet(ref_model) else {
                        skipped.push(format!(
                            "{name}: speed {}: no datasheet for the reference {ref_model}",
                            w.name()
                        ));
                        continue;
                    };
                    if unit != w.unit() {
                        skipped.push(format!(
                            "{name}: speed {}: unit `{unit}` is not {} (not the built-in probe?)",
                            w.name(),
                            w.unit()
                        ));
                        continue;
                    }
                    (ds.peak(w), ref_model.to_string(), "datasheet")
                }
                Reference::File(rname, r) => {
                    let same_probe = r.probe.id() == m.probe.id();
                    match speeds(r)
                        .into_iter()
                        .find(|(rw, _, ru)| *rw == w && *ru == unit)
                    {
                        Some((_, rt, _)) if same_probe && rt > 0.0 => {
                            (rt, r.gpu.catalog_model.clone(), "measured")
                        }
                        _ => {
                            skipped.push(format!(
                                "{name}: speed {}: {rname} has no speed point of this kind with \
                                 the same probe ({}) and unit",
                                w.name(),
                                m.probe.id()
                            ));
                            continue;
                        }
                    }
                }
            };
            let (value, model, how) = against;
            obs.push(Observation {
                kind: "reference_speed",
                gpu_model: m.gpu.catalog_model.clone(),
                u: 1.0,
                d: 1.0,
                n: None,
                profile: Some(format!("{} vs {model} ({how})", w.name())),
                sm_fraction: None,
                measured: t / value,
                source: name.clone(),
                variant: String::new(),
                reference: Some(model),
            });
        }
    }
    (obs, skipped)
}
