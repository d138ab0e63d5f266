//! Errors name the file, the line and the column.

use super::*;

#[test]
fn row_errors_name_file_line_column_and_expectation() {
    let head = "id,submit,class,duration,u,d,mem_gib,gpus,gpu_milli,mig_profile,checkpoint\n";
    let ok = "1,0,c,10,,,,,,,\n";
    let cases = [
        (
            "2,1,c,10,1.7,,,,,,",
            "traces/x.csv:3: column u: 1.7 is not in (0, 1]",
        ),
        (
            "2,1,c,10,,0,,,,,",
            "traces/x.csv:3: column d: 0 is not in (0, 1]",
        ),
        (
            "2,1,c,10,x,,,,,,",
            "traces/x.csv:3: column u: `x` is not a number",
        ),
        (
            "2,1,c,10,,,-1,,,,",
            "traces/x.csv:3: column mem_gib: -1 is not >= 0 GiB",
        ),
        (
            "2,1,c,10,,,NaN,,,,",
            "traces/x.csv:3: column mem_gib: `NaN` is not a number",
        ),
        (
            "abc,1,c,10,,,,,,,",
            "traces/x.csv:3: column id: `abc` is not a whole number in 0..=18446744073709551615",
        ),
        (
            ",1,c,10,,,,,,,",
            "traces/x.csv:3: column id: missing value (expected a whole-number job id)",
        ),
        (
            "2,1,,10,,,,,,,",
            "traces/x.csv:3: column class: missing value (expected a workload class name)",
        ),
        (
            "2,-1,c,10,,,,,,,",
            "traces/x.csv:3: column submit: -1 is negative (expected seconds >= 0)",
        ),
        (
            "2,soon,c,10,,,,,,,",
            "traces/x.csv:3: column submit: soon is not a number of seconds",
        ),
        (
            "2,1,c,0,,,,,,,",
            "traces/x.csv:3: column duration: 0 is not > 0 seconds (the smallest is 0.001)",
        ),
        (
            "2,1,c,0.0004,,,,,,,",
            "traces/x.csv:3: column duration: 0.0004 is not > 0 seconds (the smallest is 0.001)",
        ),
        (
            "2,1,c,10,,,,-1,,,",
            "traces/x.csv:3: column gpus: `-1` is not a whole number in 0..=4294967295",
        ),
        (
            "2,1,c,10,,,,,0,,",
            "traces/x.csv:3: column gpu_milli: 0 is not in 1..=1000 (leave it empty for whole \
             GPUs, or set gpus = 0 for a CPU-only job)",
        ),
        (
            "2,1,c,10,,,,,1500,,",
            "traces/x.csv:3: column gpu_milli: 1500 is not in 1..=1000 (leave it empty for \
             whole GPUs, or set gpus = 0 for a CPU-only job)",
        ),
        (
            "2,1,c,10,,,,,500,3g.40gb,",
            "traces/x.csv:3: column gpu_milli: 500 is set together with mig_profile 3g.40gb; \
             a job asks for one or the other",
        ),
        (
            "2,1,c,10,,,,0,,1g.10gb,",
            "traces/x.csv:3: column gpus: 0 with mig_profile 1g.10gb: it needs at least 1 \
             device (leave gpus empty for 1)",
        ),
        (
            "2,1,c,10,,,,0,300,,",
            "traces/x.csv:3: column gpus: 0 with gpu_milli 300: it needs at least 1 device \
             (leave gpus empty for 1)",
        ),
        (
            "2,1,c,10,,,,,,,-5",
            "traces/x.csv:3: column checkpoint: -5 is negative (expected seconds >= 0)",
        ),
        (
            "2,1,c,10,,",
            "traces/x.csv:3: found 6 fields but the header has 11 (a value containing a \
             comma must be in double quotes)",
        ),
    ];
    for (row, expected) in cases {
        let text = format!("{head}{ok}{row}\n");
        assert_eq!(read_err(&text), expected);
    }
}

#[test]
fn out_of_order_submit_is_an_error_with_both_lines() {
    let text = "id,submit,class,duration\n1,10,c,1\n2,12.5,c,1\n3,12,c,1\n";
    let mut reader = NativeReader::from_reader(text.as_bytes(), "t.csv").unwrap();
    assert_eq!(reader.next().unwrap().unwrap().id, 1);
    assert_eq!(reader.next().unwrap().unwrap().id, 2);
    let e = reader.next().unwrap().unwrap_err().to_string();
    assert_eq!(
        e,
        "t.csv:4: column submit: 12 is earlier than 12.5 on line 3; rows must be in submit \
         order (sort the file by the submit column)"
    );
    // Iteration stops after an error.
    assert!(reader.next().is_none());
}

#[test]
fn equal_submit_times_are_in_order() {
    let text = "id,submit,class,duration\n1,5,c,1\n2,5,c,1\n";
    assert_eq!(read_all(text).unwrap().len(), 2);
}

#[test]
fn bad_load_and_model_columns_are_named() {
    let head = "id,submit,class,duration,load\n";
    let cases = [
        (
            "1,0,c,1,0.5",
            "column load: step 1 `0.5` is not `seconds:u` (steps look like 0:0.4;60:0.55)",
        ),
        ("1,0,c,1,0:0", "column load: step 1: u `0` is not in (0, 1]"),
        (
            "1,0,c,1,0:1.5",
            "column load: step 1: u `1.5` is not in (0, 1]",
        ),
        (
            "1,0,c,1,0:0.5;x:0.2",
            "column load: step 2: offset x is not a number of seconds",
        ),
        (
            "1,0,c,1,10:0.5;10:0.2",
            "column load: step 2: offset 10 s is not after the previous step's 10 s",
        ),
    ];
    for (row, expected) in cases {
        assert_eq!(
            read_err(&format!("{head}{row}\n")),
            format!("traces/x.csv:2: {expected}")
        );
    }
    let e = write_native(
        Vec::new(),
        [TraceJob {
            gpu_models: vec!["T4|P100".into()],
            ..job(3, 0, "c", 1)
        }],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "cannot write job 3: column gpu_models: \"T4|P100\" is empty, has surrounding spaces \
         or contains `|`"
    );
}

#[test]
fn header_problems_are_all_named() {
    let e = read_err("id,submit,Class,durration,u,u\n");
    assert_eq!(
        e,
        "traces/x.csv:1: unknown columns `Class` (did you mean `class`?), `durration` (the \
         native format has: id, submit, class, namespace, priority_class, gpus, gpu_milli, \
         mig_profile, mem_gib, duration, u, d, checkpoint, gpu_models, load); column `u` \
         appears more than once; missing required columns `class`, `duration`"
    );
}

#[test]
fn a_trailing_comma_in_the_header_is_named() {
    assert_eq!(
        read_err("id,submit,class,duration,\n"),
        "traces/x.csv:1: unknown column with no name (field 5; is there a stray comma?) (the \
         native format has: id, submit, class, namespace, priority_class, gpus, gpu_milli, \
         mig_profile, mem_gib, duration, u, d, checkpoint, gpu_models, load)"
    );
}

#[test]
fn line_numbers_count_blank_lines_and_quoted_newlines() {
    // Line 1 header, line 2 blank, lines 3-4 one row with a quoted newline, line 5 blank,
    // line 6 the bad row.
    let text = "id,submit,class,duration,namespace\n\n1,0,c,1,\"a\nb\"\n\n2,0,c,1,,\n";
    assert_eq!(
        read_err(text),
        "traces/x.csv:6: found 6 fields but the header has 5 (a value containing a comma \
         must be in double quotes)"
    );
}

#[test]
fn line_numbers_are_right_with_crlf_line_ends() {
    let text = "id,submit,class,duration\r\n1,0,c,1\r\n\r\n2,0,\"c\r\nd\",1\r\n3,0,c,x\r\n";
    assert_eq!(
        read_err(text),
        "traces/x.csv:6: column duration: x is not a number of seconds"
    );
    let text = "\n\nid,submit,class\n";
    assert_eq!(
        read_err(text),
        "traces/x.csv:3: missing required column `duration`"
    );
}

#[test]
fn invalid_utf8_names_the_column() {
    let mut bytes = b"id,submit,class,duration\n1,0,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b",1\n");
    let e = NativeReader::from_reader(bytes.as_slice(), "t.csv")
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.csv:2: column class: is not valid UTF-8 (save the file as UTF-8)"
    );
}

#[test]
fn open_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.csv");
    std::fs::write(&path, "id,submit,class,duration\n1,0,c,1.5\n2,1,c,2,\n").unwrap();
    let mut reader = NativeReader::open(&path).unwrap();
    assert_eq!(reader.source_name(), path.display().to_string());
    assert_eq!(reader.next().unwrap().unwrap(), job(1, 0, "c", 1_500));
    let e = reader.next().unwrap().unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:3: found 5 fields but the header has 4 (a value containing a comma must be \
             in double quotes)",
            path.display()
        )
    );
    let missing = dir.path().join("nope.csv");
    let e = NativeReader::open(&missing).err().unwrap().to_string();
    assert!(e.starts_with(&format!("{}: ", missing.display())), "{e}");
}

/// An endless trace: proves rows are read on demand (collecting it would never finish).
struct Endless {
    pending: Vec<u8>,
    next_id: u64,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            self.pending = format!("{},{},c,1\n", self.next_id, self.next_id).into_bytes();
            self.next_id += 1;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[test]
fn reads_lazily() {
    let source = Endless {
        pending: b"id,submit,class,duration\n".to_vec(),
        next_id: 0,
    };
    let mut reader = NativeReader::from_reader(source, "endless").unwrap();
    let ids: Vec<u64> = reader
        .by_ref()
        .skip(99_997)
        .take(3)
        .map(|j| j.unwrap().id)
        .collect();
    assert_eq!(ids, vec![99_997, 99_998, 99_999]);
    // Line tracking keeps only newlines the parser has read ahead (its buffer is 8 KiB),
    // not one per row so far.
    assert!(reader.csv.get_ref().newlines.len() < 8 * 1024);
}
