//! `jobs.csv` written on a thread of its own: the simulation hands each record over (in
//! batches, through a bounded channel, so memory stays bounded however far the writer falls
//! behind) and goes on simulating while the writer formats and writes the rows. The rows are
//! formatted by the same [`JobsCsv`] as when written in place, so the file is the same bytes.

use super::writer::JobsCsv;
use crate::metrics::JobRecord;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Records per batch handed to the writer.
const BATCH: usize = 1024;
/// Batches in flight: the simulation waits when this many are not yet written.
const IN_FLIGHT: usize = 8;

/// Streams job records to `jobs.csv` on a writer thread; [`JobsCsvThread::finish`] waits for
/// the last row to be written and flushed.
pub struct JobsCsvThread {
    batch: Vec<JobRecord>,
    tx: Option<SyncSender<Vec<JobRecord>>>,
    writer: Option<JoinHandle<Result<(), String>>>,
}

impl JobsCsvThread {
    /// Starts the writer thread on `w` (or, when no thread can be had, returns the error).
    /// After the last row the writer flushes `w` and hands it to `done` (the run syncs the
    /// file to disk there, while the report is still being made).
    pub fn new<W: Write + Send + 'static>(
        w: W,
        done: impl FnOnce(W) -> std::io::Result<()> + Send + 'static,
    ) -> Result<Self, String> {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let writer = std::thread::Builder::new()
            .name("jobs.csv".into())
            .spawn(move || {
                let w = write_all(JobsCsv::new(w), rx)?;
                done(w).map_err(|e| format!("jobs.csv: {e}"))
            })
            .map_err(|e| format!("jobs.csv: cannot start the writer thread: {e}"))?;
        Ok(JobsCsvThread {
            batch: Vec::with_capacity(BATCH),
            tx: Some(tx),
            writer: Some(writer),
        })
    }

    /// Queues the row of `r`. Err when the writer has stopped on an error (its error).
    pub fn write(&mut self, r: &JobRecord) -> Result<(), String> {
        self.batch.push(r.clone());
        if self.batch.len() == BATCH {
            self.send()?;
        }
        Ok(())
    }

    /// Writes the rows still queued and flushes the file; the writer's first error if any.
    pub fn finish(mut self) -> Result<(), String> {
        if !self.batch.is_empty() {
            // A failed send means the writer stopped on an error: `join` returns it.
            let _ = self.send();
        }
        self.join()
    }

    fn send(&mut self) -> Result<(), String> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let sent = self.tx.as_ref().map(|tx| tx.send(batch));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer hung up: it stopped on an error, which `join` returns.
            _ => Err(self
                .join()
                .err()
                .unwrap_or_else(|| "jobs.csv: the writer thread stopped".into())),
        }
    }

    /// Closes the channel and waits for the writer; a panic on it is raised again here.
    fn join(&mut self) -> Result<(), String> {
        self.tx = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err("jobs.csv: the writer thread stopped".into()),
        }
    }
}

impl Drop for JobsCsvThread {
    /// Not finished (the run failed): the writer is told to stop and waited for.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Where a run's job records go: formatted in place, or handed to a writer thread
/// ([`JobsCsvThread`]). The thread pays when a core would otherwise idle: measured on
/// `bench-100k` (2 cores), it takes about a sixth of the work off the simulation's thread but
/// costs more CPU in all (the records are copied over), so a run uses it only when nothing
/// else runs beside it (no exclusive baseline, not one of many runs in a thread pool).
pub enum JobsOut {
    InPlace(Box<JobsCsv<BufWriter<File>>>),
    Thread(JobsCsvThread),
}

impl JobsOut {
    /// Rows to `f`, on a writer thread when `thread` (which also syncs the file to disk).
    pub fn new(f: BufWriter<File>, thread: bool) -> Result<Self, String> {
        if !thread {
            return Ok(JobsOut::InPlace(Box::new(JobsCsv::new(f))));
        }
        JobsCsvThread::new(f, |w| {
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        })
        .map(JobsOut::Thread)
    }

    pub fn write(&mut self, r: &JobRecord) -> Result<(), String> {
        match self {
            JobsOut::InPlace(w) => w.write(r),
            JobsOut::Thread(w) => w.write(r),
        }
    }

    /// Every row written and flushed.
    pub fn finish(self) -> Result<(), String> {
        match self {
            JobsOut::InPlace(w) => w.finish(),
            JobsOut::Thread(w) => w.finish(),
        }
    }
}

/// The writer thread: every batch in order, then the flush; the writer back. Stops at the
/// first error (the channel then closes, and the simulation's next hand-over fails).
fn write_all<W: Write>(mut csv: JobsCsv<W>, rx: Receiver<Vec<JobRecord>>) -> Result<W, String> {
    for batch in rx {
        for r in &batch {
            csv.write(r)?;
        }
    }
    csv.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::JobState;
    use std::sync::{Arc, Mutex};

    fn record(id: u64) -> JobRecord {
        JobRecord {
            id,
            class: "train".into(),
            namespace: "ml, \"research\"".into(),
            priority: -3,
            request: "gpu x1".into(),
            state: JobState::Completed,
            submit_s: id as f64 / 1000.0,
            start_s: (!id.is_multiple_of(3)).then_some(1.5),
            end_s: 7.25,
            pool: "a100".into(),
            gpus: "0/1;0/2".into(),
            wait_s: None,
            slowdown: Some(1.0 / 3.0),
            work_s: 1e21,
            useful_s: 0.0,
            lost_s: -0.0,
            failures: 1,
            ooms: 0,
            preemptions: 2,
            evictions: 0,
            cost_usd: 0.1 + 0.2,
            reason: "line\nbreak".into(),
        }
    }

    /// A `Write` whose bytes the test can read after the writer thread has finished.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn same_bytes_as_writing_in_place() {
        // Across batch boundaries: 2.5 batches.
        let n = BATCH as u64 * 5 / 2;
        let mut direct = JobsCsv::new(Vec::new());
        let out = Shared::default();
        let mut threaded = JobsCsvThread::new(out.clone(), |_| Ok(())).unwrap();
        for id in 0..n {
            direct.write(&record(id)).unwrap();
            threaded.write(&record(id)).unwrap();
        }
        threaded.finish().unwrap();
        let mut expect = Vec::new();
        let mut w = csv::Writer::from_writer(&mut expect);
        for id in 0..n {
            w.serialize(record(id)).unwrap();
        }
        drop(w);
        assert_eq!(*out.0.lock().unwrap(), expect);
        // Header plus one row per record (the quoted reason holds one more line break each).
        let text = String::from_utf8(expect).unwrap();
        assert_eq!(text.lines().count() as u64, 1 + 2 * n);
    }

    /// Fails every write after the first `ok` bytes.
    struct Full {
        ok: usize,
    }
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.ok {
                return Err(std::io::Error::other("disk full"));
            }
            self.ok -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_error_reaches_the_simulation_or_finish() {
        let mut w = JobsCsvThread::new(Full { ok: 0 }, |_| Ok(())).unwrap();
        let mut failed = None;
        for id in 0..(BATCH * (IN_FLIGHT + 4)) as u64 {
            if let Err(e) = w.write(&record(id)) {
                failed = Some(e);
                break;
            }
        }
        let e = match failed {
            Some(e) => e,
            None => w.finish().unwrap_err(),
        };
        assert!(
            e.starts_with("jobs.csv: ") && e.contains("disk full"),
            "{e}"
        );
    }

    #[test]
    fn dropped_unfinished_stops_the_writer() {
        let out = Shared::default();
        let mut w = JobsCsvThread::new(out.clone(), |_| Ok(())).unwrap();
        w.write(&record(1)).unwrap();
        drop(w); // joins: nothing left running
        assert_eq!(Arc::strong_count(&out.0), 1);
    }
}
