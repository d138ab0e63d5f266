//! CUDA Multi-Process Service (MPS): `N` clients per GPU whose kernels run concurrently, each
//! limited to `1/N` of the SMs (`CUDA_MPS_ACTIVE_THREAD_PERCENTAGE` = 100/N) and sharing the
//! GPU's memory bandwidth; no time slices, so no context-switch overhead (docs/MODEL.md, "MPS").
//!
//! For client `i` with relative speed `s`, duty cycle `u`, SM fill `d` and bandwidth fill `b`:
//!
//! ```text
//! σ_i = max(1, d_i · N)                  kernel stretch from the SM cap (MIG's d/f, f = 1/N)
//! W_i = (1 − u_i) + u_i · σ_i            wall time per unit of alone-time, SMs only
//! a_i = b_i · u_i / W_i                  bandwidth it then asks for, averaged over wall time
//! β   = water_fill(a, capacity 1)         max-min fair division of the GPU's bandwidth
//! x_i = s_i / W_i · min(1, β_i / a_i)     (x_i = s_i / W_i when a_i = 0)
//! ```

use super::water_fill;
use smallvec::SmallVec;

/// The most MPS clients one GPU takes (the CUDA MPS documentation: 48 client contexts per
/// device on Volta and later GPUs).
pub const MPS_MAX_CLIENTS: u32 = 48;

/// Why `replicas` is not a valid MPS replica count (at least 2: one client is the GPU alone;
/// at most [`MPS_MAX_CLIENTS`]), or None.
pub fn replicas_problem(replicas: u32) -> Option<String> {
    (!(2..=MPS_MAX_CLIENTS).contains(&replicas)).then(|| {
        format!(
            "{replicas} is not in 2..={MPS_MAX_CLIENTS} (MPS takes at most {MPS_MAX_CLIENTS} clients per GPU; 1 replica is exclusive)"
        )
    })
}

/// One MPS client on a GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MpsClient {
    /// Relative speed of the job on this GPU model.
    pub s: f64,
    /// Duty cycle alone on the whole GPU.
    pub u: f64,
    /// SM fill alone.
    pub d: f64,
    /// Memory-bandwidth fill alone.
    pub b: f64,
}

/// Rate of one MPS client.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct MpsRate {
    /// Work-seconds per second.
    pub speed: f64,
    /// Fraction of wall time its kernels run.
    pub kernel: f64,
    /// Fraction of the GPU's SMs its kernels occupy while they run (`min(d, 1/N)`).
    pub sm: f64,
    /// Share of the GPU's memory bandwidth it gets, time-averaged.
    pub bandwidth: f64,
}

/// Kernel stretch of a client limited to `1/replicas` of the SMs: `max(1, d · replicas)`.
pub fn mps_sm_stretch(d: f64, replicas: u32) -> f64 {
    (d * f64::from(replicas)).max(1.0)
}

/// Speeds of all clients of one MPS GPU with `replicas` replicas (`out` is overwritten).
pub fn mps_gpu(replicas: u32, clients: &[MpsClient], out: &mut Vec<MpsRate>) {
    out.clear();
    let n = f64::from(replicas.max(1));
    // On the stack for up to 8 clients, as in `shared_gpu`: no allocation per re-rating.
    let walls: SmallVec<[f64; 8]> = clients
        .iter()
        .map(|c| (1.0 - c.u) + c.u * mps_sm_stretch(c.d, replicas))
        .collect();
    let demand: SmallVec<[f64; 8]> = clients
        .iter()
        .zip(&walls)
        .map(|(c, w)| (c.b * c.u / w).max(0.0))
        .collect();
    let mut bw: SmallVec<[f64; 8]> = smallvec::smallvec![0.0; clients.len()];
    water_fill(&demand, 1.0, &mut bw);
    for ((c, &w), (&a, &g)) in clients.iter().zip(&walls).zip(demand.iter().zip(&bw)) {
        // The bandwidth throttle stretches the whole kernel part: wall time w · a / g.
        let throttle = if a > 0.0 { (g / a).min(1.0) } else { 1.0 };
        let wall = if throttle > 0.0 {
            w / throttle
        } else {
            f64::INFINITY
        };
        let kernel = if wall.is_finite() && wall > 0.0 {
            ((wall - (1.0 - c.u)) / wall).clamp(0.0, 1.0)
        } else {
            1.0
        };
        out.push(MpsRate {
            speed: c.s / w * throttle,
            kernel,
            sm: c.d.min(1.0 / n).max(0.0),
            bandwidth: g,
        });
    }
}

/// Speed at which an MPS client serves requests (all kernel time, `u` = 1), given the
/// bandwidth throttle `throttle` it has now: `s / max(1, d · N) · throttle`.
pub fn mps_server_speed(s: f64, d: f64, replicas: u32, throttle: f64) -> f64 {
    s / mps_sm_stretch(d, replicas) * throttle.clamp(0.0, 1.0)
}

/// nvidia-smi's busy fraction of a GPU whose clients' kernels run `kernel[i]` of the time,
/// taken as independent: `1 − Π (1 − k_i)` (assumption).
pub fn mps_busy(kernel: impl IntoIterator<Item = f64>) -> f64 {
    1.0 - kernel
        .into_iter()
        .fold(1.0, |idle, k| idle * (1.0 - k.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests;
