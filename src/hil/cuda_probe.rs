//! The built-in GPU probe (`slicesim hil probe`): a compute-bound kernel with a controllable duty
//! cycle `u` and SM fill `d`, compiled at run time with NVRTC and launched through the CUDA driver
//! API (cudarc, loading `libcuda` and `libnvrtc` dynamically: it builds anywhere, and answers
//! "CUDA not available" with exit code 3 on a host without them).
//!
//! The kernel ships as hand-written PTX (ISA 7.0, `sm_52`), loaded with `cuModuleLoadData`: the
//! driver JIT-compiles it for any GPU it supports, and no CUDA toolkit (NVRTC) is needed. NVRTC
//! is only a fallback when the driver refuses the embedded PTX; NVRTC emits the PTX version of
//! its own toolkit, which a driver older than that toolkit cannot load, so it is not the default.
//! The throughput line says which was used (`ptx=embedded|nvrtc`).
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

/// Runs the probe and returns its throughput line and where its PTX came from (`embedded` or
/// `nvrtc`).
#[cfg(not(feature = "cuda"))]
pub fn run(args: &BuiltinProbe) -> Result<(ProbeLine, &'static str)> {
    args.check()?;
    Err(no_cuda(
        "slicesim was built without the `cuda` feature; use --probe-cmd",
    ))
}

/// The kernel as PTX: the CUDA C of [`KERNEL`] written out by hand (two dependent `fma.rn.f32`
/// chains per thread, `iters` times, then one store), ISA 7.0 so that drivers from R450 load it.
pub const PTX: &str = r#"
.version 7.0
.target sm_52
.address_size 64

.visible .entry slicesim_spin(
    .param .u64 slicesim_spin_out,
    .param .u32 slicesim_spin_iters
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<8>;
    .reg .f32 %f<4>;
    .reg .b64 %rd<4>;

    ld.param.u64 %rd1, [slicesim_spin_out];
    ld.param.u32 %r1, [slicesim_spin_iters];
    mov.u32 %r2, %tid.x;
    cvt.rn.f32.u32 %f1, %r2;
    mul.rn.f32 %f1, %f1, 0f3A83126F;
    mov.f32 %f2, 0f3F800000;
    mov.u32 %r3, 0;
    setp.eq.u32 %p1, %r1, 0;
    @%p1 bra DONE;
LOOP:
    fma.rn.f32 %f1, %f1, 0f3F7FFFEF, 0f358637BD;
    fma.rn.f32 %f2, %f2, 0f3F800008, 0fB58637BD;
    add.u32 %r3, %r3, 1;
    setp.lt.u32 %p1, %r3, %r1;
    @%p1 bra LOOP;
DONE:
    mov.u32 %r4, %ctaid.x;
    mov.u32 %r5, %ntid.x;
    mad.lo.u32 %r6, %r4, %r5, %r2;
    cvta.to.global.u64 %rd2, %rd1;
    mul.wide.u32 %rd3, %r6, 4;
    add.s64 %rd2, %rd2, %rd3;
    add.f32 %f3, %f1, %f2;
    st.global.f32 [%rd2], %f3;
    ret;
}
"#;

/// The CUDA C source of the kernel (what NVRTC compiles when the driver refuses [`PTX`]).
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

/// Runs the probe and returns its throughput line and where its PTX came from (`embedded` or
/// `nvrtc`).
#[cfg(feature = "cuda")]
pub fn run(args: &BuiltinProbe) -> Result<(ProbeLine, &'static str)> {
    args.check()?;
    // SAFETY: only tries to dlopen the library.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(no_cuda("libcuda (the NVIDIA driver) was not found"));
    }
    // cudarc panics on some missing symbols; turn that into an error too.
    std::panic::catch_unwind(|| cuda_run(args))
        .unwrap_or_else(|_| Err(no_cuda("the CUDA libraries failed to load (see above)")))
}

#[cfg(feature = "cuda")]
fn cuda_run(args: &BuiltinProbe) -> Result<(ProbeLine, &'static str)> {
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
    let (module, ptx_from) = load_kernel(&ctx)?;
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
    let line = ProbeLine {
        throughput: measured.len() as f64 / window.max(1e-9),
        unit: "kernels/s".into(),
        kernel_ms: Some(median_ms(&measured)),
        duty: Some(busy.as_secs_f64() / window.max(1e-9)),
        synthetic: false,
    };
    Ok((line, ptx_from))
}

/// The kernel's module: the embedded PTX, else (driver refused it) NVRTC's when NVRTC is there.
#[cfg(feature = "cuda")]
fn load_kernel(
    ctx: &std::sync::Arc<cudarc::driver::CudaContext>,
) -> Result<(std::sync::Arc<cudarc::driver::CudaModule>, &'static str)> {
    let embedded = match ctx.load_module(cudarc::nvrtc::Ptx::from_src(PTX)) {
        Ok(m) => return Ok((m, "embedded")),
        Err(e) => format!("{e:?}"),
    };
    // SAFETY: only tries to dlopen the library.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(HilError::error(format!(
            "CUDA: the driver refused the embedded PTX ({embedded}) and there is no NVRTC to \
             compile the kernel instead"
        )));
    }
    let ptx = cudarc::nvrtc::compile_ptx(KERNEL)
        .map_err(|e| HilError::error(format!("CUDA: NVRTC compile: {e:?}")))?;
    let m = ctx.load_module(ptx).map_err(|e| {
        HilError::error(format!(
            "CUDA: load module: embedded PTX refused ({embedded}); NVRTC's too: {e:?}"
        ))
    })?;
    Ok((m, "nvrtc"))
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
    fn embedded_ptx_is_old_enough_and_matches_the_launch() {
        // ISA <= 7.0 (CUDA 11.0, drivers from R450), a target every supported GPU JIT-compiles
        // from, the entry point the probe loads, and its two parameters (float*, unsigned int).
        let version: f64 = PTX
            .lines()
            .find_map(|l| l.trim().strip_prefix(".version "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(version <= 7.0, "{version}");
        assert!(PTX.contains(".target sm_52"));
        assert!(PTX.contains(".visible .entry slicesim_spin("));
        assert_eq!(PTX.matches(".param ").count(), 2);
        assert!(PTX.contains(".param .u64 slicesim_spin_out"));
        assert!(PTX.contains(".param .u32 slicesim_spin_iters"));
        // Every label branched to is defined once.
        for label in ["LOOP", "DONE"] {
            assert_eq!(PTX.matches(&format!("\n{label}:")).count(), 1, "{label}");
        }
    }

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
            Ok((line, _)) => assert!(line.throughput > 0.0),
            Err(e) => {
                assert_eq!(e.exit, Exit::NoDevice, "{e}");
                assert!(e.message.starts_with("CUDA not available"), "{e}");
            }
        }
        let bad = BuiltinProbe { u: 0.0, ..args };
        assert_eq!(run(&bad).unwrap_err().exit, Exit::Error);
    }
}
