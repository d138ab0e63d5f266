//! The exclusive baseline beside the run: report.html's seed claims compare a run with a second
//! simulation of the same arrivals on dedicated GPUs ([`super::exclusive_baseline`]). The two
//! simulations share nothing, so the baseline runs on a thread of its own while the run
//! simulates, streams `jobs.csv` and renders its plots; the page waits for it. Each simulation
//! is single-threaded and seeded as before, so the files are the same bytes as when the two
//! ran one after the other, on any number of cores.

use super::{RunOptions, simulate_in_memory};
use crate::report::Summary;
use crate::scenario::Loaded;
use crate::sim::progress::Progress;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Runs `main` on this thread and, when `baseline` is given, that scenario's simulation (in
/// memory, its summary only) on another at the same time. The run's error comes first: a
/// baseline that fails after a failed run is not reported. A panic on the baseline's thread
/// is raised again here.
pub(super) fn beside<T>(
    baseline: Option<&Loaded>,
    opts: &RunOptions,
    main: impl FnOnce(&RunOptions) -> Result<T, String>,
) -> Result<(T, Option<Summary>), String> {
    let Some(b) = baseline else {
        return Ok((main(opts)?, None));
    };
    let (run_progress, base_progress) = match &opts.progress {
        Some(p) => {
            let (a, b) = paired(p);
            (Some(a), Some(b))
        }
        None => (None, None),
    };
    let run_opts = RunOptions {
        progress: run_progress,
        ..opts.clone()
    };
    let base_opts = RunOptions {
        progress: base_progress,
        ..opts.clone()
    };
    // Its records are counted, never written: they go without their text fields.
    let base = |o: &RunOptions| {
        simulate_in_memory(b, o, &mut |_| Ok(()), false).map(|(summary, _)| summary)
    };
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("exclusive-baseline".into())
            .spawn_scoped(s, || base(&base_opts));
        let Ok(handle) = spawned else {
            // No thread to be had: the baseline runs after the run, as it always could.
            let out = main(&run_opts)?;
            return Ok((out, Some(base(&base_opts)?)));
        };
        let out = main(&run_opts);
        let summary = match handle.join() {
            Ok(summary) => summary,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok((out?, Some(summary?)))
    })
}

/// Two progress callbacks for two simulations of the same seed running at once: each
/// remembers its own share of the horizon, and `p` is told their mean, so a bar moves once,
/// from 0 to 1, over both.
fn paired(p: &Progress) -> (Progress, Progress) {
    let done: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let one = |i: usize| {
        let (p, done) = (p.clone(), done.clone());
        Progress::new(move |seed, fraction| {
            done[i].store(fraction.to_bits(), Ordering::Relaxed);
            let mean = (f64::from_bits(done[0].load(Ordering::Relaxed))
                + f64::from_bits(done[1].load(Ordering::Relaxed)))
                / 2.0;
            p.report(seed, mean);
        })
    };
    (one(0), one(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn paired_progress_reports_the_mean_of_both() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let p = Progress::new(move |seed, f| log.lock().unwrap().push((seed, f)));
        let (a, b) = paired(&p);
        a.report(7, 0.5); // (0.5 + 0) / 2
        b.report(7, 1.0); // (0.5 + 1) / 2
        a.report(7, 1.0); // (1 + 1) / 2
        assert_eq!(*seen.lock().unwrap(), [(7, 0.25), (7, 0.75), (7, 1.0)]);
    }

    #[test]
    fn records_without_text_give_the_same_summary() {
        // The baseline's records go without class, request, pool and GPUs: its summary (all
        // the page reads of it) is the same, field for field, as with the full records.
        let b = super::super::exclusive_baseline(&crate::scenario::builtin());
        let opts = RunOptions::default();
        let summary = |text| {
            let (s, r) = simulate_in_memory(&b, &opts, &mut |_| Ok(()), text).unwrap();
            (serde_json::to_string(&s).unwrap(), r.events)
        };
        let (full, events) = summary(true);
        assert!(events > 1_000, "a run with jobs: {events} events");
        assert_eq!(summary(false), (full, events));
    }

    #[test]
    fn without_a_baseline_the_run_alone() {
        let (out, base) = beside(None, &RunOptions::default(), |_| Ok(3)).unwrap();
        assert_eq!((out, base.is_none()), (3, true));
    }

    #[test]
    fn the_runs_error_comes_first() {
        // A scenario whose trace does not exist: the baseline fails too, but the run's error
        // is the one returned.
        let mut bad = crate::scenario::builtin();
        bad.scenario.workload =
            crate::scenario::schema::WorkloadSpec::Trace(crate::scenario::schema::TraceSource {
                path: "no-such-trace.csv".into(),
                format: crate::trace::TraceFormat::Native,
                strict: false,
                map: Default::default(),
            });
        let r: Result<((), _), _> =
            beside(Some(&bad), &RunOptions::default(), |_| Err("run".into()));
        assert_eq!(r.err().as_deref(), Some("run"));
        let r = beside(Some(&bad), &RunOptions::default(), |_| Ok(()));
        assert!(r.err().is_some_and(|e| e.contains("no-such-trace.csv")));
    }
}
