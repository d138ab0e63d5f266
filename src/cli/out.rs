//! Printing that never panics: `out!`/`outln!` write to stdout and `err!`/`errln!` to stderr
//! (the `print!` family panics when a write fails). A failed stdout (a closed pipe, a full
//! device) is remembered and later output to it is skipped; the command then ends quietly with
//! a non-zero exit ([`finish`]). A failed stderr is ignored: there is nowhere left to say so.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

/// The first error writing to stdout (its kind and text), if any.
static STDOUT_ERROR: Mutex<Option<(io::ErrorKind, String)>> = Mutex::new(None);

fn failed() -> bool {
    STDOUT_ERROR.lock().is_ok_and(|e| e.is_some())
}

fn record(e: &io::Error) {
    if let Ok(mut slot) = STDOUT_ERROR.lock()
        && slot.is_none()
    {
        *slot = Some((e.kind(), e.to_string()));
    }
}

/// Writes to stdout unless an earlier write failed.
pub fn stdout(args: fmt::Arguments) {
    if failed() {
        return;
    }
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        record(&e);
    }
}

/// Writes to stderr, ignoring a failure.
pub fn stderr(args: fmt::Arguments) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Flushes stdout. `None` when every write succeeded; otherwise the message to print for the
/// failure (`None` inside: a closed pipe, which is said nothing about).
pub fn finish() -> Option<Option<String>> {
    if let Err(e) = io::stdout().lock().flush() {
        record(&e);
    }
    let slot = STDOUT_ERROR.lock().ok()?.clone()?;
    Some(match slot {
        (io::ErrorKind::BrokenPipe, _) => None,
        (_, text) => Some(format!("cannot write to stdout: {text}")),
    })
}

/// `print!` that does not panic.
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::out::stdout(format_args!($($t)*)) };
}

/// `println!` that does not panic.
macro_rules! outln {
    () => { $crate::cli::out::stdout(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cli::out::stdout(format_args!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` that does not panic.
macro_rules! err {
    ($($t:tt)*) => { $crate::cli::out::stderr(format_args!($($t)*)) };
}

/// `eprintln!` that does not panic.
macro_rules! errln {
    () => { $crate::cli::out::stderr(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cli::out::stderr(format_args!("{}\n", format_args!($($t)*))) };
}
