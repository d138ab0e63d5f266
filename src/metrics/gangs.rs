//! Gang jobs (N pods scheduled all or nothing) counted apart: how many, how many started, and
//! their waits over every submitted gang with the censored-wait rules of [`WaitSamples`].

use super::waits::WaitSamples;

/// Totals over the gangs of a run; each gang counts once, whatever its pod count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GangStats {
    /// Gangs submitted before the horizon.
    pub count: u64,
    /// Gangs that started (all their pods placed at once) at least once.
    pub started: u64,
    pub completed: u64,
    /// Gangs no pool could ever hold.
    pub unschedulable: u64,
    /// Pods and GPUs (devices) asked for, over all gangs.
    pub pods: u64,
    pub devices: u64,
    /// Times a gang was preempted (each time all its pods went).
    pub preemptions: u64,
    /// Reference GPU-hours of work the gangs asked for (work per device × devices).
    pub work_gpu_hours: f64,
    /// Reference GPU-hours lost to evictions (work since the last checkpoint, every pod).
    pub lost_gpu_hours: f64,
    /// Waits until the first start; never-started gangs censored at the horizon.
    pub waits_ms: WaitSamples,
}
