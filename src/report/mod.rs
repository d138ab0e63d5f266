//! Writing a run's outputs: `summary.json`, `jobs.csv`, `pools.csv`, `classes.csv`,
//! `report.html` with its plots, and the terminal table. Files are written to temporary names and renamed only when all succeeded,
//! so an error never leaves a partial report behind.

pub mod brief;
pub mod claims;
pub mod figures;
pub mod gangs;
pub mod html;
mod jobs_csv;
pub mod latency_table;
pub mod openmetrics;
pub mod operations;
pub mod plot;
pub mod provenance;
pub mod summary;
pub mod table;
pub mod writer;

mod page;

pub use figures::{PriorityNames, figures, figures_of_value, is_count_entry, priority_names};
pub use page::{HtmlReport, RenderedPlots, html_report};
pub use provenance::{Provenance, scenario_sha256};
pub use summary::{Summary, summarize};
pub use writer::{OutputDir, write_tables};
