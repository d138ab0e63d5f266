//! What goes wrong reading or writing a trace: [`TraceError`] for a whole read, [`BadRow`]
//! for one row a reader could not use.

use serde::Serialize;

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

/// One row a reader could not use: where it is and why. Every reader words its bad rows with
/// this type; importers list them in their report, fail-fast readers turn the first one into a
/// [`TraceError::At`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BadRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The column (field) the problem is in, when it is in one.
    pub column: Option<String>,
    /// The reason, worded for a user.
    pub message: String,
}

impl BadRow {
    /// The row as the error of a whole read of `source_name`.
    pub fn into_error(self, source_name: &str) -> TraceError {
        TraceError::At {
            source_name: source_name.to_string(),
            line: self.line,
            column: self.column,
            message: self.message,
        }
    }
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}: column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}
