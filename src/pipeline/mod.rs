//! The pipeline: everything between the plan and the tables. [`inventory`] sizes the run
//! before it starts (counts at the source, requests, duration at the budget); [`plan`] decides from the
//! checkpoints what each resource's export does (start, resume, skip); the main pass
//! ([`run`], in `run.rs`) runs those exports concurrently — a *stream* is the running export
//! of one resource — through fetch → map → load, each page committed with its checkpoint in
//! one transaction; [`reconcile`] then makes the tables equal the source as of the end of the
//! run (catch-up passes, id sweeps — by counted id ranges where the API allows, [`deletions`] —
//! and confirmed deletions); [`remap`] re-derives the tables from
//! the raw archive after a mapping change. [`progress`] is the observer every stage reports
//! to (bars on a terminal, log lines elsewhere). The app runs the main pass, then
//! reconciliation: neither calls the other's entry point.

mod deletions;
pub mod inventory;
pub mod plan;
pub mod progress;
pub mod reconcile;
pub mod remap;
mod run;

#[cfg(test)]
mod tests;

pub use run::{
    run, run_stream, Backend, Job, Pass, PipelineError, RunSettings, StopSignal, StreamReport,
};
