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
//! fixed when sharing stretches the kernels (`--idle exp`: an exponential time with that mean, so
//! that probes do not phase-lock). With `--kernel-ms-target` the probe first calibrates `iters`
//! so that a kernel alone takes about that long (and reports the `iters` it used).
//!
//! Units (review B4): a `fma` kernel does `blocks x 1024 x iters x 4` FLOP (two FMAs of 2 FLOP
//! per loop), so throughput is FLOP/s and comparable across GPUs; `kps=` gives kernels per second
//! and `sms=` the device's SM count. `--kind stream` copies a 1 GiB buffer device-to-device
//! (2 GiB moved per copy, one read and one write): bytes/s, the memory-bound point.
//!
//! Window (B1): with `--start-at`/`--stop-at` (unix ms) the probe initialises, sleeps until
//! `start-at`, warms up for `--warmup`, counts the kernels that *complete* in
//! `[start-at + warmup, stop-at]` and keeps running, uncounted, until `stop-at + 0.5 s`, so every
//! probe of a point measures over the same window with all the others running.
//!
//! Memory (B6): `--mem-mib M` allocates M MiB, sets it to zero, holds it `--hold` seconds and
//! reports `alloc_ok=1|0`, `alloc_ms` and when the allocation began (`ready_ms`, so the order of
//! the probes' allocations can be checked) (exit 0 either way: an out-of-memory is a result).

use super::probe::{Idle, ProbeLine, Work};
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
    /// Loop count per thread per kernel (two multiply-adds each).
    pub iters: u32,
    /// Calibrate `iters` in the warm-up so that a kernel alone takes about this long, ms.
    pub kernel_ms_target: Option<f64>,
    pub work: Work,
    pub idle: Idle,
    /// Common window, unix ms (both or neither).
    pub start_at_ms: Option<u64>,
    pub stop_at_ms: Option<u64>,
    /// Memory probe: MiB to allocate, and how long to hold them (seconds).
    pub mem_mib: Option<u64>,
    pub hold: f64,
}

/// FLOP per thread per loop iteration of the `fma` kernel (two FMAs, 2 FLOP each).
pub const FLOP_PER_ITER: f64 = 4.0;

/// Bytes of each buffer of the `stream` copy (a copy reads one and writes the other).
pub const STREAM_BYTES: usize = 1 << 30;

/// The loop count that makes a kernel that took `measured_ms` with `iters` take `target_ms`
/// (the kernel time is proportional to the loop count), within `[1, 2^30]`.
pub fn scaled_iters(iters: u32, measured_ms: f64, target_ms: f64) -> u32 {
    if measured_ms.is_nan() || measured_ms <= 0.0 {
        return iters.saturating_mul(2).min(1 << 30);
    }
    (f64::from(iters) * target_ms / measured_ms)
        .round()
        .clamp(1.0, f64::from(1u32 << 30)) as u32
}

/// The idle time after a kernel, ms: `alone x (1 - u) / u`, or for exponential idle the same
/// mean drawn by inversion from `uniform` in [0, 1).
pub fn idle_ms(alone_ms: f64, u: f64, idle: Idle, uniform: f64) -> f64 {
    let mean = alone_ms * (1.0 - u) / u;
    match idle {
        Idle::Fixed => mean,
        Idle::Exp => -mean * (1.0 - uniform.clamp(0.0, 1.0 - 1e-12)).ln(),
    }
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
        match (self.start_at_ms, self.stop_at_ms) {
            (Some(a), Some(b)) if b > a => {}
            (None, None) => {}
            _ => {
                return Err(HilError::error(
                    "--start-at and --stop-at go together, and stop after start",
                ));
            }
        }
        if self
            .kernel_ms_target
            .is_some_and(|k| k.is_nan() || k <= 0.0)
            || self.iters == 0
        {
            return Err(HilError::error(
                "--kernel-ms-target and --iters must be > 0",
            ));
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
    use rand::{RngExt as _, SeedableRng as _};
    use std::time::{Duration, Instant};
    let err = |what: &str, e: &dyn std::fmt::Debug| HilError::error(format!("CUDA: {what}: {e:?}"));
    let ctx = CudaContext::new(0).map_err(|e| err("open device 0", &e))?;
    let sms = ctx
        .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .map_err(|e| err("SM count", &e))? as u32;
    let stream = ctx.default_stream();
    if let Some(mib) = args.mem_mib {
        return memory_run(&stream, mib, args.hold).map(|l| (l, "none"));
    }
    let gpu_sms = args.gpu_sms.unwrap_or(sms);
    let blocks = ((args.d * f64::from(gpu_sms) * 2.0).round() as u32).max(1);
    let threads = 1024u32;
    let (module, ptx_from) = load_kernel(&ctx)?;
    let f = module
        .load_function("slicesim_spin")
        .map_err(|e| err("load function", &e))?;
    let cfg = LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    };
    let mut out = stream
        .alloc_zeros::<f32>((blocks * threads) as usize)
        .map_err(|e| err("alloc", &e))?;
    let copy_len = if args.work == Work::Stream {
        STREAM_BYTES / 4
    } else {
        1
    };
    let src = stream
        .alloc_zeros::<f32>(copy_len)
        .map_err(|e| err("alloc", &e))?;
    let mut dst = stream
        .alloc_zeros::<f32>(copy_len)
        .map_err(|e| err("alloc", &e))?;
    let mut launch = |iters: u32| -> Result<Duration> {
        let t0 = Instant::now();
        if args.work == Work::Stream {
            stream
                .memcpy_dtod(&src, &mut dst)
                .map_err(|e| err("copy", &e))?;
        } else {
            let mut b = stream.launch_builder(&f);
            b.arg(&mut out);
            b.arg(&iters);
            // SAFETY: the kernel's signature is (float*, unsigned int) and `out` holds
            // blocks x threads floats.
            unsafe { b.launch(cfg) }.map_err(|e| err("launch", &e))?;
        }
        stream.synchronize().map_err(|e| err("synchronize", &e))?;
        Ok(t0.elapsed())
    };
    // The window: common (barrier) or from now. The probe is ready to launch now.
    let now_unix = unix_ms();
    let now = Instant::now();
    let at = |ms: u64| {
        if ms >= now_unix {
            now + Duration::from_millis(ms - now_unix)
        } else {
            now.checked_sub(Duration::from_millis(now_unix - ms))
                .unwrap_or(now)
        }
    };
    let barrier = args.start_at_ms.zip(args.stop_at_ms);
    let (start, stop) = match barrier {
        Some((a, b)) => (at(a), at(b)),
        None => (
            now,
            now + Duration::from_secs_f64(args.warmup + args.seconds),
        ),
    };
    std::thread::sleep(start.saturating_duration_since(Instant::now()));
    let count_from = (start + Duration::from_secs_f64(args.warmup)).min(stop);
    let end = if barrier.is_some() {
        stop + Duration::from_millis(500)
    } else {
        stop
    };
    // Kernel length: calibrated in the warm-up to the target, alone.
    let mut iters = args.iters;
    if let (Some(target), Work::Fma) = (args.kernel_ms_target, args.work) {
        for _ in 0..8 {
            let k = launch(iters)?.as_secs_f64() * 1000.0;
            if (k - target).abs() <= 0.05 * target {
                break;
            }
            iters = scaled_iters(iters, k, target);
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(std::process::id()) ^ now_unix);
    let mut warm = Vec::new();
    let mut measured = Vec::new();
    let mut busy = Duration::ZERO;
    loop {
        let k = launch(iters)?;
        let done = Instant::now();
        if done < count_from {
            warm.push(k);
        } else if done <= stop {
            measured.push(k);
            busy += k;
        }
        if done >= end {
            break;
        }
        if args.u < 1.0 {
            let alone_ms = args
                .kernel_ms
                .unwrap_or_else(|| median_ms(if warm.is_empty() { &measured } else { &warm }));
            let idle = idle_ms(alone_ms, args.u, args.idle, rng.random::<f64>());
            let left = end.saturating_duration_since(Instant::now());
            std::thread::sleep(Duration::from_secs_f64(idle / 1000.0).min(left));
        }
    }
    let window = stop
        .saturating_duration_since(count_from)
        .as_secs_f64()
        .max(1e-9);
    let kps = measured.len() as f64 / window;
    let work_per_kernel = match args.work {
        Work::Fma => f64::from(blocks) * f64::from(threads) * f64::from(iters) * FLOP_PER_ITER,
        Work::Stream => 2.0 * STREAM_BYTES as f64,
    };
    let unix_of = |t: Instant| now_unix + t.saturating_duration_since(now).as_millis() as u64;
    let line = ProbeLine {
        kernel_ms: Some(median_ms(&measured)),
        duty: Some(busy.as_secs_f64() / window),
        kps: Some(kps),
        sms: Some(sms),
        iters: (args.work == Work::Fma).then_some(iters),
        start_ms: Some(unix_of(count_from)),
        stop_ms: Some(unix_of(stop)),
        ready_ms: Some(now_unix),
        ..ProbeLine::new(kps * work_per_kernel, args.work.unit())
    };
    Ok((line, ptx_from))
}

/// Milliseconds since the Unix epoch.
#[cfg(feature = "cuda")]
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The memory probe: allocate `mib` MiB and zero them; out of memory is a result, not an error.
#[cfg(feature = "cuda")]
fn memory_run(
    stream: &std::sync::Arc<cudarc::driver::CudaStream>,
    mib: u64,
    hold: f64,
) -> Result<ProbeLine> {
    use cudarc::driver::sys::CUresult;
    use std::time::{Duration, Instant};
    let t0 = Instant::now();
    let ready_ms = unix_ms();
    let bytes = usize::try_from(mib << 20)
        .map_err(|_| HilError::error(format!("--mem-mib {mib} is too large")))?;
    let got = stream
        .alloc_zeros::<u8>(bytes)
        .and_then(|b| stream.synchronize().map(|()| b));
    let alloc_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (ok, buf) = match got {
        Ok(b) => (true, Some(b)),
        Err(e) if e.0 == CUresult::CUDA_ERROR_OUT_OF_MEMORY => (false, None),
        Err(e) => return Err(HilError::error(format!("CUDA: alloc {mib} MiB: {e:?}"))),
    };
    std::thread::sleep(Duration::from_secs_f64(hold.max(0.0)));
    drop(buf);
    Ok(ProbeLine {
        mem_mib: Some(mib),
        alloc_ok: Some(ok),
        alloc_ms: Some(alloc_ms),
        ready_ms: Some(ready_ms),
        ..ProbeLine::new(0.0, "none")
    })
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
#[path = "cuda_probe_tests.rs"]
mod tests;
