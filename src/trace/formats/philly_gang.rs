//! Philly's wide jobs (more GPUs than a node has) as gang jobs of node-sized pods
//! (docs/TRACE.md, "Philly"; docs/MODEL.md, "Gang jobs").

use crate::trace::report::ImportReport;

/// Wide jobs (more GPUs than a pod has) replayed as gangs, counted for the import notes.
#[derive(Default)]
pub(super) struct Gangs {
    jobs: u64,
    /// Jobs whose GPUs do not divide evenly among their pods (rounded up per pod).
    rounded: u64,
}

impl Gangs {
    /// A job of `count` GPUs: (pods if a gang, GPUs per pod). `pod_gpus` >= 1 (checked).
    pub(super) fn split(&mut self, count: u32, pod_gpus: u32) -> (Option<u32>, u32) {
        let pod_gpus = pod_gpus.max(1);
        if count <= pod_gpus {
            return (None, count);
        }
        let pods = count.div_ceil(pod_gpus);
        let per_pod = count.div_ceil(pods);
        self.jobs += 1;
        if per_pod * pods != count {
            self.rounded += 1;
        }
        (Some(pods), per_pod)
    }

    pub(super) fn note(&self, pod_gpus: u32, report: &mut ImportReport) {
        if self.jobs == 0 {
            return;
        }
        let mut note = format!(
            "{} jobs asked for more than {pod_gpus} GPUs: each is a gang of ceil(GPUs / {pod_gpus}) \
             pods, placed all or nothing",
            self.jobs
        );
        if self.rounded > 0 {
            note.push_str(&format!(
                " ({} of them do not divide evenly: their pods get the larger share each)",
                self.rounded
            ));
        }
        report.notes.push(note);
    }
}
