//! The built-in GPU probe (`slicesim hil probe`): a compute-bound kernel with a controllable duty
//! cycle `u` and SM fill `d`, compiled at run time with NVRTC and launched through the CUDA driver
//! API (cudarc, loading `libcuda` and `libnvrtc` dynamically: it builds anywhere, and answers
//! "CUDA not available" with exit code 3 on a host without them).
//!
//! One iteration launches `round(d x gpu_sms x 2)` blocks of 1024 threads, each spinning through
//! `iters` dependent multiply-adds: on the whole GPU every block is resident at once (two per SM),
//! so the kernel fills a fraction `d` of the SMs; in a MIG instance with fewer SMs it runs in about
//! `d / f` waves, as the model assumes. After each kernel the probe idles for
//! `kernel_ms x (1 - u) / u`, where `kernel_ms` is the kernel time alone on the whole GPU (given by
//! the harness from the one-probe point, or measured during warm-up), so that the idle part stays
//! fixed when sharing stretches the kernels. Throughput = kernels per second.

use super::probe::ProbeLine;
use super::{Exit, HilError, Result};

/// Parameters of the built-in probe (`slicesim hil probe` gives the defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltinProbe {
    /// Duty cycle: fraction of wall time in kernels when alone, (0, 1].
    pub u: f64,
    /// SM fill: fraction of the whole GPU's SMs the kernel occupies, (0, 1].
    pub d: f64,
    /// Measured time in seconds (after the warm-up).
    pub seconds: f64,
    /// Warm-up in seconds (not counted).
    pub warmup: f64,
    /// Kernel time alone on the whole GPU in ms (sets the idle time); None: measured in the
    /// warm-up.
    pub kernel_ms: Option<f64>,
    /// SMs of the whole GPU with MIG off; None: the device's SM count.
    pub gpu_sms: Option<u32>,
    /// Multiply-adds per thread per kernel.
    pub iters: u32,
}

impl BuiltinProbe {
    pub fn check(&self) -> Result<()> {
        let ok = |x: f64| x > 0.0 && x <= 1.0;
        if !ok(self.u) || !ok(self.d) {
            return Err(HilError::error(format!(
                "--u {} and --d {} must be in (0, 1]",
                self.u, self.d
            )));
        }
        if !(self.seconds > 0.0 && self.warmup >= 0.0) {
            return Err(HilError::error("--seconds must be > 0 and --warmup >= 0"));
        }
        Ok(())
    }
}

fn no_cuda(why: &str) -> HilError {
    HilError::new(Exit::NoDevice, format!("CUDA not available: {why}"))
}

/// Runs the probe and returns its throughput line.
#[cfg(not(feature = "cuda"))]
pub fn run(args: &BuiltinProbe) -> Result<ProbeLine> {
    args.check()?;
    Err(no_cuda(
        "slicesim was built without the `cuda` feature; use --probe-cmd",
    ))
}

#[cfg(feature = "cuda")]
const KERNEL: &str = r#"
extern "C" __global__ void slicesim_spin(float *out, unsigned int iters) {
    float a = (float)threadIdx.x * 1.0e-3f;
    float b = 1.0f;
    for (unsigned int i = 0; i < iters; ++i) {
        a = fmaf(a, 0.999999f, 1.0e-6f);
        b = fmaf(b, 1.000001f, -1.0e-6f);
    }
    out[blockIdx.x * blockDim.x + threadIdx.x] = a + b;
}
"#;

/// Runs the probe and returns its throughput line.
#[cfg(feature = "cuda")]
pub fn run(args: &BuiltinProbe) -> Result<ProbeLine> {
    args.check()?;
    // SAFETY: only tries to dlopen the libraries.
    let (cuda, nvrtc) = unsafe {
        (
            cudarc::driver::sys::is_culib_present(),
            cudarc::nvrtc::sys::is_culib_present(),
        )
    };
    if !cuda {
        return Err(no_cuda("libcuda (the NVIDIA driver) was not found"));
    }
    if !nvrtc {
        return Err(no_cuda(
            "libnvrtc (NVRTC, from the CUDA toolkit) was not found",
        ));
    }
    // cudarc panics on some missing symbols; turn that into an error too.
    std::panic::catch_unwind(|| cuda_run(args))
        .unwrap_or_else(|_| Err(no_cuda("the CUDA libraries failed to load (see above)")))
}

#[cfg(feature = "cuda")]
fn cuda_run(args: &BuiltinProbe) -> Result<ProbeLine> {
    use cudarc::driver::{CudaContext, LaunchConfig, PushKernelArg, sys::CUdevice_attribute};
    use std::time::{Duration, Instant};
    let err = |what: &str, e: &dyn std::fmt::Debug| HilError::error(format!("CUDA: {what}: {e:?}"));
    let ctx = CudaContext::new(0).map_err(|e| err("open device 0", &e))?;
    let sms = ctx
        .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .map_err(|e| err("SM count", &e))? as u32;
    let gpu_sms = args.gpu_sms.unwrap_or(sms);
    let blocks = ((args.d * f64::from(gpu_sms) * 2.0).round() as u32).max(1);
    let threads = 1024u32;
    let ptx = cudarc::nvrtc::compile_ptx(KERNEL).map_err(|e| err("NVRTC compile", &e))?;
    let module = ctx.load_module(ptx).map_err(|e| err("load module", &e))?;
    let f = module
        .load_function("slicesim_spin")
        .map_err(|e| err("load function", &e))?;
    let stream = ctx.default_stream();
    let mut out = stream
        .alloc_zeros::<f32>((blocks * threads) as usize)
        .map_err(|e| err("alloc", &e))?;
    let cfg = LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    };
    let iters = args.iters;
    let mut launch = || -> Result<Duration> {
        let t0 = Instant::now();
        let mut b = stream.launch_builder(&f);
        b.arg(&mut out);
        b.arg(&iters);
        // SAFETY: the kernel's signature is (float*, unsigned int) and `out` holds
        // blocks x threads floats.
        unsafe { b.launch(cfg) }.map_err(|e| err("launch", &e))?;
        stream.synchronize().map_err(|e| err("synchronize", &e))?;
        Ok(t0.elapsed())
    };
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(args.warmup);
    let end = warm_end + Duration::from_secs_f64(args.seconds);
    let mut warm = Vec::new();
    let mut measured = Vec::new();
    let mut busy = Duration::ZERO;
    loop {
        let t0 = Instant::now();
        let k = launch()?;
        if t0 >= warm_end {
            measured.push(k);
            busy += k;
        } else {
            warm.push(k);
        }
        if Instant::now() >= end {
            break;
        }
        if args.u < 1.0 {
            let alone_ms = args
                .kernel_ms
                .unwrap_or_else(|| median_ms(if warm.is_empty() { &measured } else { &warm }));
            let idle = alone_ms * (1.0 - args.u) / args.u;
            std::thread::sleep(Duration::from_secs_f64(idle / 1000.0));
        }
    }
    let window = Instant::now()
        .saturating_duration_since(warm_end)
        .as_secs_f64();
    Ok(ProbeLine {
        throughput: measured.len() as f64 / window.max(1e-9),
        unit: "kernels/s".into(),
        kernel_ms: Some(median_ms(&measured)),
        duty: Some(busy.as_secs_f64() / window.max(1e-9)),
        synthetic: false,
    })
}

#[cfg(feature = "cuda")]
fn median_ms(v: &[std::time::Duration]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_without_cuda_fails_cleanly_or_runs() {
        // On a host without the CUDA driver (CI) this is the clean "CUDA not available" error
        // with exit code 3; on a GPU host it runs briefly and reports a throughput.
        let args = BuiltinProbe {
            u: 1.0,
            d: 0.1,
            seconds: 0.2,
            warmup: 0.0,
            kernel_ms: None,
            gpu_sms: None,
            iters: 1 << 10,
        };
        match run(&args) {
            Ok(line) => assert!(line.throughput > 0.0),
            Err(e) => {
                assert_eq!(e.exit, Exit::NoDevice, "{e}");
                assert!(e.message.starts_with("CUDA not available"), "{e}");
            }
        }
        let bad = BuiltinProbe { u: 0.0, ..args };
        assert_eq!(run(&bad).unwrap_err().exit, Exit::Error);
    }
}
