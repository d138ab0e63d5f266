//! `slicesim hil measure | compare | calibrate | probe | fake-nvml`: measurements and what the
//! model makes of them.

use super::{
    HilArgs, Print, ProbeArgs, ProbeIdle, ProbeWork, command_line, install_ctrlc,
    load_measurements, load_scenario, take_lock,
};
use slicesim::hil::calibrate::{calibrate as fit, render_yaml};
use slicesim::hil::compare::{Reference, compare_with, render as render_compare, verdict};
use slicesim::hil::cuda_probe::{self, BuiltinProbe};
use slicesim::hil::measure::{self as harness, MeasureOptions};
use slicesim::hil::probe::{Idle, Work};
use slicesim::hil::state::{now, write_atomic};
use slicesim::hil::{HilError, Result, experiment, fakelib};
use std::path::{Path, PathBuf};

pub fn measure(
    args: &HilArgs,
    path: &Path,
    out: Option<&Path>,
    probe_cmd: Option<&str>,
    force: bool,
) -> Result<()> {
    let exp = experiment::load(path)?;
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| {
        let (_, t) = now();
        let stamp: String = t.chars().filter(char::is_ascii_alphanumeric).collect();
        PathBuf::from("measurements").join(format!("{}-{stamp}.json", exp.name))
    });
    if out.exists() {
        return Err(HilError::error(format!(
            "{} exists; measurements are never overwritten: choose another --out",
            out.display()
        )));
    }
    let nvml = super::nvml_of(args)?;
    install_ctrlc();
    let _lock = take_lock(args, &command_line())?;
    let m = harness::measure(
        nvml,
        &exp,
        &MeasureOptions {
            out: out.clone(),
            probe_cmd: probe_cmd.map(str::to_string),
            force,
        },
        &mut Print,
    )?;
    let failed = m
        .points
        .iter()
        .flat_map(|p| &p.probes)
        .filter(|p| p.error.is_some())
        .count();
    outln!(
        "wrote {} ({} point(s); {})",
        out.display(),
        m.points.len(),
        m.provenance
    );
    if failed > 0 {
        return Err(HilError::error(format!(
            "{failed} probe run(s) failed (see {})",
            out.display()
        )));
    }
    Ok(())
}

pub fn compare(
    files: &[PathBuf],
    sc: Option<&Path>,
    tolerance: f64,
    json: Option<&Path>,
    reference: Option<&str>,
) -> Result<()> {
    let files = load_measurements(files)?;
    let loaded = load_scenario(sc)?;
    let reference = match reference {
        None => Reference::None,
        Some("datasheet") => Reference::Datasheet,
        Some(path) => Reference::File(
            path.to_string(),
            Box::new(slicesim::hil::measurements::load(Path::new(path))?),
        ),
    };
    let c = compare_with(&files, &loaded.scenario, tolerance, &reference);
    out!("{}", render_compare(&c));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&c).expect("comparison serializes");
        write_atomic(path, format!("{text}\n").as_bytes())?;
    }
    verdict(&c)
}

pub fn calibrate(files: &[PathBuf], out: &Path, sc: Option<&Path>, tolerance: f64) -> Result<()> {
    let files = load_measurements(files)?;
    let loaded = load_scenario(sc)?;
    let (params, report) = fit(&files, &loaded.scenario, tolerance)?;
    let (_, created) = now();
    write_atomic(out, render_yaml(&params, &files, &created).as_bytes())?;
    out!("{report}");
    outln!(
        "wrote {}; use it from a scenario with `include: [{}]`",
        out.display(),
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    Ok(())
}

pub fn probe(p: &ProbeArgs) -> Result<()> {
    let (line, ptx) = cuda_probe::run(&BuiltinProbe {
        u: p.u,
        d: p.d,
        seconds: p.seconds,
        warmup: p.warmup,
        kernel_ms: p.kernel_ms,
        gpu_sms: p.gpu_sms,
        iters: p.iters,
        kernel_ms_target: p.kernel_ms_target,
        work: match p.kind {
            ProbeWork::Fma => Work::Fma,
            ProbeWork::Stream => Work::Stream,
        },
        idle: match p.idle {
            ProbeIdle::Fixed => Idle::Fixed,
            ProbeIdle::Exp => Idle::Exp,
        },
        start_at_ms: p.start_at,
        stop_at_ms: p.stop_at,
        mem_mib: p.mem_mib,
        hold: p.hold,
    })?;
    // `ptx=` says whether the embedded PTX or NVRTC's was loaded (extra keys are allowed).
    outln!("{} ptx={ptx}", line.render());
    Ok(())
}

pub fn fake_nvml(out: &Path, gpus: &str) -> Result<()> {
    let gpus = fakelib::parse_gpus(gpus)?;
    let lib = fakelib::install(out, &gpus, &[])?;
    outln!("{}", lib.display());
    outln!(
        "FAKE NVML (test double, no real GPU): use it with `slicesim hil --nvml-lib {} inventory`",
        lib.display()
    );
    Ok(())
}
