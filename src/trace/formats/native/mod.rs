//! The native CSV trace format: a header row naming the columns, then one job per row in submit
//! order. `docs/TRACE.md` describes it for users; this module reads it lazily (one row in memory
//! at a time, so a trace of any length streams) and writes it so that it reads back unchanged.

//!
//! `layout` reads the header and turns a row into a job, `values` converts the column texts,
//! `reader` streams a file and `writer` writes one.

mod layout;
mod reader;
mod values;
mod writer;

pub use reader::NativeReader;
pub use writer::{NativeWriter, write_native};

/// Every column of the native format, in the order [`write_native`] writes them.
pub const COLUMNS: [&str; 15] = [
    "id",
    "submit",
    "class",
    "namespace",
    "priority_class",
    "gpus",
    "gpu_milli",
    "mig_profile",
    "mem_gib",
    "duration",
    "u",
    "d",
    "checkpoint",
    "gpu_models",
    "load",
];

// Indices into COLUMNS.
const ID: usize = 0;
const SUBMIT: usize = 1;
const CLASS: usize = 2;
const NAMESPACE: usize = 3;
const PRIORITY_CLASS: usize = 4;
const GPUS: usize = 5;
const GPU_MILLI: usize = 6;
const MIG_PROFILE: usize = 7;
const MEM_GIB: usize = 8;
const DURATION: usize = 9;
const U: usize = 10;
const D: usize = 11;
const CHECKPOINT: usize = 12;
const GPU_MODELS: usize = 13;
const LOAD: usize = 14;

/// Columns a row cannot do without; the rest inherit from the workload class when absent.
const REQUIRED: [usize; 4] = [ID, SUBMIT, CLASS, DURATION];

#[cfg(test)]
mod tests;
