//! `jobs.csv`, one row per job, streamed while the run simulates. The rows are written field
//! by field through the `csv` crate's writer core (`csv_core`, which quotes text as the crate's
//! serde path does) into a buffer of our own, with integers formatted by `itoa` and floats by
//! `ryu` (the formatting that serde path uses), instead of through serde, which cost the run's
//! thread about a sixth of its time on `bench-100k`. Going to the core directly rather than
//! through `csv::Writer` (whose buffer and per-field bookkeeping sit on top of the same core)
//! took a row from about 6,370 to 5,540 instructions. The bytes are the same as
//! `csv::Writer::serialize` of the [`JobRecord`]: the same header before the first row (none
//! when no job was recorded), an absent value an empty field. The tests hold the two to the
//! same bytes.
//!
//! Most of a row's numbers are times on the simulation's millisecond clock (whole thousandths
//! of a second): [`thousandths`] writes those with integer formatting, the same text as ryu's
//! shortest round trip, which it costs a fraction of; the others go to ryu.

use crate::metrics::JobRecord;
use std::io::Write;

/// The header row: [`JobRecord`]'s fields in order, as serde names them.
const HEADER: [&str; 22] = [
    "id",
    "class",
    "namespace",
    "priority",
    "request",
    "state",
    "submit_s",
    "start_s",
    "end_s",
    "pool",
    "gpus",
    "wait_s",
    "slowdown",
    "work_s",
    "useful_s",
    "lost_s",
    "failures",
    "ooms",
    "preemptions",
    "evictions",
    "cost_usd",
    "reason",
];

/// Streams job records as CSV rows.
pub struct JobsCsv<W: Write> {
    out: W,
    /// The `csv` crate's own writer core: it decides quoting and writes text fields, delimiters
    /// and row ends, with `csv::Writer`'s default configuration.
    core: csv_core::Writer,
    /// Rows not yet handed to `out`: `buf[..pos]`.
    buf: Vec<u8>,
    pos: usize,
    header_written: bool,
}

/// Bytes gathered before they go to the underlying writer.
const BUF_LEN: usize = 1 << 16;

impl<W: Write> JobsCsv<W> {
    pub fn new(w: W) -> Self {
        JobsCsv {
            out: w,
            core: csv_core::Writer::new(),
            buf: vec![0; BUF_LEN],
            pos: 0,
            header_written: false,
        }
    }

    pub fn write(&mut self, r: &JobRecord) -> Result<(), String> {
        if !self.header_written {
            for (i, h) in HEADER.iter().enumerate() {
                if i > 0 {
                    self.delimiter()?;
                }
                self.text(h.as_bytes())?;
            }
            self.end_row()?;
            self.header_written = true;
        }
        let mut int = itoa::Buffer::new();
        let mut float = ryu::Buffer::new();
        let mut exact = [0u8; THOUSANDTHS_LEN];
        let mut number = |me: &mut Self, v: Option<f64>| {
            me.delimiter()?;
            match v {
                Some(v) => match thousandths(v, &mut exact) {
                    Some(text) => me.number(text),
                    None => me.number(float.format(v).as_bytes()),
                },
                None => Ok(()),
            }
        };
        self.number(int.format(r.id).as_bytes())?;
        for t in [&r.class, &r.namespace] {
            self.delimiter()?;
            self.text(t.as_bytes())?;
        }
        self.delimiter()?;
        self.number(int.format(r.priority).as_bytes())?;
        self.delimiter()?;
        self.text(r.request.as_bytes())?;
        self.delimiter()?;
        self.text(r.state.as_str().as_bytes())?;
        number(self, Some(r.submit_s))?;
        number(self, r.start_s)?;
        number(self, Some(r.end_s))?;
        for t in [&r.pool, &r.gpus] {
            self.delimiter()?;
            self.text(t.as_bytes())?;
        }
        number(self, r.wait_s)?;
        number(self, r.slowdown)?;
        number(self, Some(r.work_s))?;
        number(self, Some(r.useful_s))?;
        number(self, Some(r.lost_s))?;
        for n in [r.failures, r.ooms, r.preemptions, r.evictions] {
            self.delimiter()?;
            self.number(int.format(n).as_bytes())?;
        }
        number(self, Some(r.cost_usd))?;
        self.delimiter()?;
        self.text(r.reason.as_bytes())?;
        self.end_row()
    }

    /// Makes room for `need` more bytes: hands what is gathered to the writer when short, and
    /// grows the buffer for a field longer than it.
    fn room(&mut self, need: usize) -> Result<(), String> {
        if self.buf.len() - self.pos < need {
            self.drain()?;
            if self.buf.len() < need {
                self.buf.resize(need, 0);
            }
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<(), String> {
        self.out
            .write_all(&self.buf[..self.pos])
            .map_err(|e| format!("jobs.csv: {e}"))?;
        self.pos = 0;
        Ok(())
    }

    /// A text field, quoted by the crate's rule (at most `2 + 2 len` bytes, its docs say).
    fn text(&mut self, t: &[u8]) -> Result<(), String> {
        self.room(2 + 2 * t.len())?;
        let (res, nin, nout) = self.core.field(t, &mut self.buf[self.pos..]);
        debug_assert!(res == csv_core::WriteResult::InputEmpty && nin == t.len());
        self.pos += nout;
        Ok(())
    }

    /// A number field, copied as it is: what itoa and ryu write (digits, `.`, `-`, `e`, `NaN`,
    /// `inf`) holds no byte the crate quotes for (delimiter, quote, line ends), so its writer
    /// would copy it unchanged too.
    fn number(&mut self, t: &[u8]) -> Result<(), String> {
        debug_assert!(!t.iter().any(|&b| self.core.is_special_byte(b)));
        self.room(t.len())?;
        self.buf[self.pos..self.pos + t.len()].copy_from_slice(t);
        self.pos += t.len();
        Ok(())
    }

    /// The delimiter, after the closing quote of a quoted field.
    fn delimiter(&mut self) -> Result<(), String> {
        self.room(2)?;
        let (_, n) = self.core.delimiter(&mut self.buf[self.pos..]);
        self.pos += n;
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), String> {
        self.room(4)?;
        let (_, n) = self.core.terminator(&mut self.buf[self.pos..]);
        self.pos += n;
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), String> {
        self.drain()?;
        self.out.flush().map_err(|e| format!("jobs.csv: {e}"))
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(mut self) -> Result<W, String> {
        self.drain()?;
        self.out.flush().map_err(|e| format!("jobs.csv: {e}"))?;
        Ok(self.out)
    }
}

/// Room for [`thousandths`]' text: 13 integer digits, the point, 3 decimals.
const THOUSANDTHS_LEN: usize = 17;

/// `v` as ryu's shortest round trip writes it (`171.479`, `908.23`, `0.0`), if `v` is a whole
/// number of thousandths in [0, 2^42) (`v` is the double nearest `m / 1000` for an integer
/// `m`); None otherwise. Why it is the same text: below 2^42 a double's spacing is under 0.001,
/// so `m / 1000` is the only decimal with at most 3 decimals that rounds to `v`, and every
/// other decimal that does has a nonzero digit past the third decimal, hence more digits; ryu
/// writes numbers this size without an exponent, with at least one decimal.
fn thousandths(v: f64, buf: &mut [u8; THOUSANDTHS_LEN]) -> Option<&[u8]> {
    const LIMIT: f64 = (1u64 << 42) as f64;
    if !(v.is_sign_positive() && v < LIMIT) {
        return None;
    }
    // The nearest whole number of thousandths (v is not negative; `as` truncates, and is an
    // instruction where `f64::round` is a call into libm).
    let m = (v * 1000.0 + 0.5) as u64;
    // Division is correctly rounded: `m / 1000.0` is the double nearest `m / 1000`.
    if m as f64 / 1000.0 != v {
        return None;
    }
    let (int, frac) = (m / 1000, (m % 1000) as usize);
    let mut digits = itoa::Buffer::new();
    let int = digits.format(int).as_bytes();
    buf[..int.len()].copy_from_slice(int);
    buf[int.len()] = b'.';
    let mut len = int.len() + 1;
    // Three decimals without trailing zeros, at least one.
    let d = [
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ];
    let keep = match frac {
        f if f % 100 == 0 => 1,
        f if f % 10 == 0 => 2,
        _ => 3,
    };
    buf[len..len + keep].copy_from_slice(&d[..keep]);
    len += keep;
    Some(&buf[..len])
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

    #[test]
    fn a_field_longer_than_the_buffer() {
        // 3 x 40,000 bytes with a quote in each part: quoted, longer than the 64 KiB buffer
        // even before the quotes are doubled.
        let mut r = record();
        r.gpus = "n1/g0;\"".repeat(40_000 / 7);
        r.reason = "x,\"y\"".repeat(20_000);
        let rows = [r.clone(), record(), r];
        assert_eq!(by_rows(&rows), by_serde(&rows));
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

    /// What ryu writes for `v`.
    fn by_ryu(v: f64) -> String {
        ryu::Buffer::new().format(v).to_string()
    }

    #[test]
    fn thousandths_as_ryu_writes_them() {
        let mut buf = [0u8; THOUSANDTHS_LEN];
        // Worked by hand: the decimals kept, trailing zeros dropped, one kept for whole numbers.
        for (v, want) in [
            (0.0, "0.0"),
            (0.001, "0.001"),
            (0.05, "0.05"),
            (0.5, "0.5"),
            (171.479, "171.479"),
            (908.23, "908.23"),
            (736.0, "736.0"),
            (604_800.0, "604800.0"),
            (4_398_046_511.103, "4398046511.103"),
            // The largest below 2^42 s, where a double's spacing is 2^-10 s, just under 0.001.
            (4_398_046_511_103.999, "4398046511103.999"),
        ] {
            let got = thousandths(v, &mut buf).map(|b| String::from_utf8(b.to_vec()).unwrap());
            assert_eq!(got.as_deref(), Some(want), "{v}");
            assert_eq!(by_ryu(v), want);
        }
        // Not whole thousandths, negative, or too large: left to ryu.
        for v in [
            0.0005,
            0.23398666018518516,
            1.0 / 3.0,
            -1.5,
            -0.0,
            5e12,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(thousandths(v, &mut buf), None, "{v}");
        }
    }

    proptest! {
        /// Every whole number of milliseconds below 2^42 s, and any float: where `thousandths`
        /// answers, it writes what ryu writes.
        #[test]
        fn thousandths_writes_what_ryu_writes(
            ms in 0u64..(1u64 << 42) * 1000,
            v in any::<f64>(),
            scale in 0u32..4,
        ) {
            let mut buf = [0u8; THOUSANDTHS_LEN];
            let t = ms as f64 / 1000.0;
            let got = thousandths(t, &mut buf).map(|b| String::from_utf8(b.to_vec()).unwrap());
            prop_assert_eq!(got, Some(by_ryu(t)));
            // Smaller numbers too (a whole number of milliseconds of few digits).
            let small = (ms % 10u64.pow(scale + 1)) as f64 / 1000.0;
            let got = thousandths(small, &mut buf).map(|b| String::from_utf8(b.to_vec()).unwrap());
            prop_assert_eq!(got, Some(by_ryu(small)));
            if let Some(b) = thousandths(v, &mut buf) {
                prop_assert_eq!(String::from_utf8(b.to_vec()).unwrap(), by_ryu(v));
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
