//! Traces: reading and writing job traces. The job record ([`TraceJob`]), the formats (one
//! module each under [`formats`]), and the dispatcher ([`import`]) that opens a trace of any
//! format as a stream of jobs.
//!
//! Every source yields [`TraceJob`]s in submit order, one at a time, so the engine can read the
//! next arrival only when the previous one is due and never hold a whole trace in memory.
//! The formats are described for users in `docs/TRACE.md`. Dependencies point one way: the
//! dispatcher uses the formats, the formats use the shared pieces here (error, report, rows,
//! clock, format names), never the dispatcher.

pub mod clock;
pub mod error;
pub mod format;
pub mod formats;
pub mod import;
pub mod job;
pub mod report;
pub(crate) mod rows;

pub use error::{BadRow, TraceError};
pub use format::TraceFormat;
pub use formats::native::{NativeReader, NativeWriter, write_native};
pub use import::ImportMap;
pub use job::TraceJob;
pub use report::ImportReport;
