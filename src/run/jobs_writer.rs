//! `jobs.csv` written on a thread of its own. The simulation hands each job's record over in
//! batches through a bounded channel and goes on; the writer formats and writes them (on
//! `bench-100k` formatting was a quarter of the simulation thread's instructions). One writer
//! taking batches in the order they were sent: the same rows in the same order as writing them
//! inline. Batches come back to be refilled in place (`JobRecord::copy_from`), so a record
//! costs a copy of its few short strings into buffers that already exist, not an allocation.

use crate::metrics::JobRecord;
use crate::report::writer::JobsCsv;
use crate::sim::RecordSink;
use std::io::Write;
use std::sync::mpsc::{channel, sync_channel};

/// Records per batch.
const BATCH: usize = 1024;
/// Full batches that may wait for the writer before the simulation waits for it.
const IN_FLIGHT: usize = 4;

/// What the sink answers once the writer has stopped; the writer's own error replaces it.
const STOPPED: &str = "jobs.csv: the writer stopped";

/// Runs `body` with a sink that writes job records to `w` as `jobs.csv`: on a thread of its own
/// ([`with_writer`]) for a run alone, inline for a run among parallel ones (on a rayon worker:
/// replications and sweeps), whose cores the other runs already take. The same bytes either way.
pub(super) fn write_jobs<W: Write + Send, T>(
    w: W,
    body: impl FnOnce(RecordSink<'_>) -> Result<T, String>,
) -> Result<T, String> {
    if rayon::current_thread_index().is_some() {
        let mut jobs = JobsCsv::new(w);
        let value = body(&mut |r| jobs.write(r))?;
        jobs.finish()?;
        Ok(value)
    } else {
        with_writer(w, body)
    }
}

/// Runs `body` with a sink for job records while a scoped thread writes them to `w` as
/// `jobs.csv`. Returns `body`'s value once every record is written and `w` flushed. A failure of
/// the writer (an I/O error) is returned before `body`'s own, since it is the cause of the
/// sink's refusal; a panic on the writer's thread is resumed here.
pub(super) fn with_writer<W: Write + Send, T>(
    w: W,
    body: impl FnOnce(RecordSink<'_>) -> Result<T, String>,
) -> Result<T, String> {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = sync_channel::<Vec<JobRecord>>(IN_FLIGHT);
        let (empty_tx, empty_rx) = channel::<Vec<JobRecord>>();
        let writer = std::thread::Builder::new()
            .name("jobs-csv".into())
            .spawn_scoped(s, move || {
                let mut jobs = JobsCsv::new(w);
                for batch in full_rx {
                    for r in &batch {
                        jobs.write(r)?;
                    }
                    // The simulation may have finished: then nothing is refilled.
                    let _ = empty_tx.send(batch);
                }
                jobs.finish()
            })
            .map_err(|e| format!("jobs.csv: cannot start its writer thread: {e}"))?;
        let mut batch: Vec<JobRecord> = Vec::with_capacity(BATCH);
        let mut filled = 0;
        let out = {
            let mut sink = |r: &JobRecord| -> Result<(), String> {
                match batch.get_mut(filled) {
                    Some(slot) => slot.copy_from(r),
                    None => batch.push(r.clone()),
                }
                filled += 1;
                if filled == BATCH {
                    let next = empty_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    filled = 0;
                    full_tx
                        .send(std::mem::replace(&mut batch, next))
                        .map_err(|_| STOPPED.to_string())?;
                }
                Ok(())
            };
            body(&mut sink)
        };
        // The last, partial batch; then the closed channel ends the writer's loop.
        batch.truncate(filled);
        let last = if batch.is_empty() {
            Ok(())
        } else {
            full_tx.send(batch).map_err(|_| STOPPED.to_string())
        };
        drop(full_tx);
        let written = match writer.join() {
            Ok(w) => w,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        written?;
        let value = out?;
        last?;
        Ok(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::JobState;
    use std::sync::{Arc, Mutex};

    fn record(id: u64) -> JobRecord {
        JobRecord {
            id,
            class: format!("class{}", id % 3),
            namespace: "ns".into(),
            priority: (id % 5) as i32,
            request: "gpu:1".repeat(1 + (id % 4) as usize),
            state: JobState::Completed,
            submit_s: id as f64 / 1000.0,
            start_s: id.is_multiple_of(2).then_some(id as f64),
            end_s: id as f64 * 2.5,
            pool: "a100".into(),
            gpus: format!("n{id}/g0"),
            wait_s: None,
            slowdown: Some(1.0 / (1 + id) as f64),
            work_s: 3.0,
            useful_s: 3.0,
            lost_s: 0.0,
            failures: 0,
            ooms: 1,
            preemptions: 2,
            evictions: 3,
            cost_usd: 0.1,
            // Long and short in turn: a refilled slot holds longer and shorter strings.
            reason: if id.is_multiple_of(7) {
                "x,\"y\"".repeat(30)
            } else {
                String::new()
            },
        }
    }

    /// A writer whose bytes the test reads back; fails once `fail_after` bytes are written.
    #[derive(Clone)]
    struct Shared {
        bytes: Arc<Mutex<Vec<u8>>>,
        fail_after: usize,
    }

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let mut v = self.bytes.lock().unwrap();
            if v.len() + b.len() > self.fail_after {
                return Err(std::io::Error::other("disk full"));
            }
            v.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn inline(n: u64) -> Vec<u8> {
        let mut w = JobsCsv::new(Vec::new());
        for id in 0..n {
            w.write(&record(id)).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn the_same_bytes_as_writing_inline() {
        // 0 records (no header), fewer than a batch, exactly one, and several with a partial
        // last one (refilled batches).
        for n in [0, 1, 1023, 1024, 1025, 5 * 1024 + 7] {
            let w = Shared {
                bytes: Arc::default(),
                fail_after: usize::MAX,
            };
            let got = with_writer(w.clone(), |sink| {
                for id in 0..n {
                    sink(&record(id))?;
                }
                Ok(n)
            });
            assert_eq!(got, Ok(n));
            assert_eq!(*w.bytes.lock().unwrap(), inline(n), "{n} records");
        }
    }

    #[test]
    fn the_writers_error_is_reported_not_a_stopped_sink() {
        // The writer fails at its first write of 64 KiB; the simulation keeps handing records
        // over until its sends fail, and the answer is the writer's error.
        let w = Shared {
            bytes: Arc::default(),
            fail_after: 1000,
        };
        let got = with_writer(w, |sink| {
            for id in 0..200_000 {
                sink(&record(id))?;
            }
            Ok(())
        });
        assert_eq!(got, Err("jobs.csv: disk full".to_string()));
        // The body's own error when the writer is fine.
        let w = Shared {
            bytes: Arc::default(),
            fail_after: usize::MAX,
        };
        let got: Result<(), String> = with_writer(w, |sink| {
            sink(&record(1))?;
            Err("the run failed".into())
        });
        assert_eq!(got, Err("the run failed".to_string()));
    }

    #[test]
    fn inline_on_a_rayon_worker_and_the_same_bytes() {
        let run = || {
            let w = Shared {
                bytes: Arc::default(),
                fail_after: usize::MAX,
            };
            // Whether the body ran on a rayon worker (then the rows were written inline).
            let on_worker = write_jobs(w.clone(), |sink| {
                for id in 0..3000 {
                    sink(&record(id))?;
                }
                Ok(rayon::current_thread_index().is_some())
            })
            .unwrap();
            let bytes = w.bytes.lock().unwrap().clone();
            (on_worker, bytes)
        };
        let (on_worker, inline_bytes) = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(run);
        let (off_worker, thread_bytes) = run();
        assert!(on_worker && !off_worker);
        assert_eq!(inline_bytes, thread_bytes);
        assert_eq!(inline_bytes, inline(3000));
    }

    #[test]
    fn copy_from_is_a_clone() {
        let mut slot = record(7);
        for id in [0, 14, 3, 700] {
            slot.copy_from(&record(id));
            assert_eq!(slot, record(id));
        }
    }
}
