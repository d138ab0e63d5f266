//! Traces: the job record, readers for each trace format, and the synthetic generator.
//!
//! Every source yields [`TraceJob`]s in submit order, one at a time, so the engine can read the
//! next arrival only when the previous one is due and never hold a whole trace in memory.
//! The formats are described for users in `docs/TRACE.md`.

pub mod azure_llm;
pub mod clock;
pub mod fit;
pub mod import;
pub mod import_openb;
pub mod job;
pub mod native;
pub mod openb;
pub mod philly;
mod rows;
pub mod stats;
pub mod synthetic;

pub use import::{ImportMap, ImportReport, TraceFormat};
pub use job::TraceJob;
pub use native::{NativeReader, NativeWriter, write_native};
pub use synthetic::{SyntheticJobs, SyntheticSpec};

/// Why a trace could not be read or written.
///
/// Every variant names where the problem is (the file, and for row problems the 1-based line
/// and the column) so a user can go straight to it.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The operating system could not read or write the trace.
    #[error("{source_name}: {error}")]
    Io {
        source_name: String,
        #[source]
        error: std::io::Error,
    },
    /// A problem at one line of the file, optionally in one column.
    #[error("{source_name}:{line}: {}", at_message(.column.as_deref(), .message))]
    At {
        source_name: String,
        /// 1-based line number (the header is line 1).
        line: u64,
        column: Option<String>,
        message: String,
    },
    /// A problem with the file as a whole, such as an empty file.
    #[error("{source_name}: {message}")]
    File {
        source_name: String,
        message: String,
    },
    /// A job handed to a writer that the format cannot hold, or that would not read back equal.
    #[error("cannot write job {id}: column {column}: {message}")]
    InvalidJob {
        id: u64,
        column: &'static str,
        message: String,
    },
}

fn at_message(column: Option<&str>, message: &str) -> String {
    match column {
        Some(c) => format!("column {c}: {message}"),
        None => message.to_string(),
    }
}
