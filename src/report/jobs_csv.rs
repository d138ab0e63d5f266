//! `jobs.csv`, one row per job, streamed while the run simulates. The rows are formatted
//! field by field into one reused line (integers with `itoa`, floats with `ryu`, the
//! formatting the `csv` crate's serde path uses) instead of through serde, which cost the
//! run's thread about a sixth of its time on `bench-100k`. The bytes are the same as
//! `csv::Writer::serialize` of the [`JobRecord`]: the same header before the first row (none
//! when no job was recorded), `\n` after each row, a text field quoted when it holds `,`, `"`,
//! `\r` or `\n` (the `csv` crate's `QuoteStyle::Necessary`) with its quotes doubled, an absent
//! value an empty field. The tests hold the two to the same bytes.

use crate::metrics::JobRecord;
use std::io::Write;

/// The header row: [`JobRecord`]'s fields in order, as serde names them.
const HEADER: &[u8] = b"id,class,namespace,priority,request,state,submit_s,start_s,end_s,pool,\
gpus,wait_s,slowdown,work_s,useful_s,lost_s,failures,ooms,preemptions,evictions,cost_usd,reason\n";

/// Streams job records as CSV rows.
pub struct JobsCsv<W: Write> {
    w: W,
    /// The row being formatted (reused).
    line: Vec<u8>,
    header_written: bool,
}

impl<W: Write> JobsCsv<W> {
    pub fn new(w: W) -> Self {
        JobsCsv {
            w,
            line: Vec::with_capacity(256),
            header_written: false,
        }
    }

    pub fn write(&mut self, r: &JobRecord) -> Result<(), String> {
        let line = &mut self.line;
        line.clear();
        if !self.header_written {
            line.extend_from_slice(HEADER);
            self.header_written = true;
        }
        let mut int = itoa::Buffer::new();
        let mut float = ryu::Buffer::new();
        line.extend_from_slice(int.format(r.id).as_bytes());
        line.push(b',');
        text(line, &r.class);
        text(line, &r.namespace);
        line.extend_from_slice(int.format(r.priority).as_bytes());
        line.push(b',');
        text(line, &r.request);
        line.extend_from_slice(r.state.as_str().as_bytes());
        line.push(b',');
        number(line, &mut float, Some(r.submit_s));
        number(line, &mut float, r.start_s);
        number(line, &mut float, Some(r.end_s));
        text(line, &r.pool);
        text(line, &r.gpus);
        number(line, &mut float, r.wait_s);
        number(line, &mut float, r.slowdown);
        number(line, &mut float, Some(r.work_s));
        number(line, &mut float, Some(r.useful_s));
        number(line, &mut float, Some(r.lost_s));
        for n in [r.failures, r.ooms, r.preemptions, r.evictions] {
            line.extend_from_slice(int.format(n).as_bytes());
            line.push(b',');
        }
        number(line, &mut float, Some(r.cost_usd));
        text(line, &r.reason);
        // The last field's separator becomes the row's end.
        *line.last_mut().expect("a row has fields") = b'\n';
        self.w.write_all(line).map_err(|e| format!("jobs.csv: {e}"))
    }

    pub fn finish(mut self) -> Result<(), String> {
        self.w.flush().map_err(|e| format!("jobs.csv: {e}"))
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(mut self) -> Result<W, String> {
        self.w.flush().map_err(|e| format!("jobs.csv: {e}"))?;
        Ok(self.w)
    }
}

/// A float field and its separator (empty when absent).
fn number(line: &mut Vec<u8>, buf: &mut ryu::Buffer, v: Option<f64>) {
    if let Some(v) = v {
        line.extend_from_slice(buf.format(v).as_bytes());
    }
    line.push(b',');
}

/// A text field and its separator, quoted when it holds a separator, a quote or a line end.
fn text(line: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if !b.iter().any(|&c| matches!(c, b',' | b'"' | b'\r' | b'\n')) {
        line.extend_from_slice(b);
    } else {
        line.push(b'"');
        for &c in b {
            if c == b'"' {
                line.push(b'"');
            }
            line.push(c);
        }
        line.push(b'"');
    }
    line.push(b',');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::JobState;
    use proptest::prelude::*;

    /// What `jobs.csv` held before: the `csv` crate's serde path.
    fn by_serde(rows: &[JobRecord]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in rows {
            w.serialize(r).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn by_rows(rows: &[JobRecord]) -> Vec<u8> {
        let mut w = JobsCsv::new(Vec::new());
        for r in rows {
            w.write(r).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn record() -> JobRecord {
        JobRecord {
            id: 20,
            class: "research".into(),
            namespace: "res".into(),
            priority: 100,
            request: "gpu:1".into(),
            state: JobState::Completed,
            submit_s: 171.479,
            start_s: Some(171.479),
            end_s: 908.23,
            pool: "a100-ts".into(),
            gpus: "n5/g0".into(),
            wait_s: Some(0.0),
            slowdown: Some(1.0),
            work_s: 736.751,
            useful_s: 736.751,
            lost_s: 0.0,
            failures: 0,
            ooms: 0,
            preemptions: 0,
            evictions: 0,
            cost_usd: 0.23398666018518516,
            reason: String::new(),
        }
    }

    #[test]
    fn a_row_as_jobs_csv_had_it() {
        // A row of bench-100k's jobs.csv, written by the serde path before.
        let want = "id,class,namespace,priority,request,state,submit_s,start_s,end_s,pool,gpus,\
wait_s,slowdown,work_s,useful_s,lost_s,failures,ooms,preemptions,evictions,cost_usd,reason\n\
20,research,res,100,gpu:1,completed,171.479,171.479,908.23,a100-ts,n5/g0,0.0,1.0,736.751,\
736.751,0.0,0,0,0,0,0.23398666018518516,\n";
        assert_eq!(String::from_utf8(by_rows(&[record()])).unwrap(), want);
    }

    #[test]
    fn no_job_no_header() {
        assert!(by_rows(&[]).is_empty());
        assert_eq!(by_serde(&[]), by_rows(&[]));
    }

    #[test]
    fn quoted_as_the_csv_crate_quotes() {
        // A separator, a quote, line ends: quoted, the quote doubled.
        let mut r = record();
        r.reason = "no pool: \"x\", then\r\nmore".into();
        r.gpus = "n1/g0;n1/g1".into();
        r.start_s = None;
        let got = by_rows(std::slice::from_ref(&r));
        assert!(String::from_utf8_lossy(&got).contains(",\"no pool: \"\"x\"\", then\r\nmore\"\n"));
        assert_eq!(got, by_serde(&[r]));
    }

    fn state() -> impl Strategy<Value = JobState> {
        proptest::sample::select(JobState::ALL.to_vec())
    }

    /// Any float ryu formats, the odd ones included.
    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(0.0),
            Just(-0.0),
            Just(f64::INFINITY),
            Just(f64::NAN),
            Just(1e16),
            Just(1e-7),
            (0u64..10_000_000_000).prop_map(|ms| ms as f64 / 1000.0),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z0-9/:;._-]{0,12}", any::<String>(), "[,\"\r\n a]{0,6}"]
    }

    prop_compose! {
        fn any_record()(
            id in any::<u64>(),
            strings in proptest::collection::vec(text(), 7),
            priority in any::<i32>(),
            state in state(),
            floats in proptest::collection::vec(float(), 9),
            some in proptest::collection::vec(any::<bool>(), 3),
            counts in proptest::collection::vec(any::<u32>(), 4),
        ) -> JobRecord {
            JobRecord {
                id,
                class: strings[0].clone(),
                namespace: strings[1].clone(),
                priority,
                request: strings[2].clone(),
                state,
                submit_s: floats[0],
                start_s: some[0].then_some(floats[1]),
                end_s: floats[2],
                pool: strings[3].clone(),
                gpus: strings[4].clone(),
                wait_s: some[1].then_some(floats[3]),
                slowdown: some[2].then_some(floats[4]),
                work_s: floats[5],
                useful_s: floats[6],
                lost_s: floats[7],
                failures: counts[0],
                ooms: counts[1],
                preemptions: counts[2],
                evictions: counts[3],
                cost_usd: floats[8],
                reason: strings[5].clone() + &strings[6],
            }
        }
    }

    proptest! {
        /// Any records, any text in them: the same bytes as the serde path.
        #[test]
        fn the_same_bytes_as_serde(rows in proptest::collection::vec(any_record(), 0..8)) {
            prop_assert_eq!(by_rows(&rows), by_serde(&rows));
        }
    }
}
