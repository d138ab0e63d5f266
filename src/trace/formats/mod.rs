//! One module per trace format. Each takes its own mapping options (`PhillyMap`,
//! `AzureLlmMap`, `OpenbMap`) and the workload class, and returns entries and an import report;
//! none knows the dispatcher (`trace::import`) that chooses between them.

pub mod azure_llm;
pub mod native;
pub mod openb;
pub mod philly;
mod philly_gang;
