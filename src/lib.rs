//! nb-exodus moves a political party's supporter data out of NationBuilder into a PostgreSQL
//! database the party runs itself, completely and provably.
//!
//! The pipeline, one stage per module:
//!
//! 1. [`fetch`] pulls pages from the NationBuilder API (v2 JSON:API or v1 legacy) through one
//!    shared rate limiter, classifying every failure as transient (retry with backoff) or fatal
//!    (stop at once).
//! 2. [`checkpoint`] records, in the same transaction as the data, how far each stream got, so a
//!    crash at any instant resumes without losing or duplicating a record.
//! 3. [`mapping`] turns each source record into rows of the open schema through the declarative
//!    files in `mappings/`; it is pure and synchronous.
//! 4. [`load`] writes the raw archive, the mapped rows and the rejects into PostgreSQL.
//!
//! Around the pipeline: [`schema`] owns the SQL migrations of the open schema, [`database`]
//! resolves which PostgreSQL to use (or starts a private throwaway cluster), [`redact`] strips
//! credentials from every URL before it is shown or stored, and [`simulator`]
//! serves a synthetic nation over HTTP that follows the API reference, so that everything can be
//! rehearsed and tested without the real NationBuilder.

pub mod app;
pub mod auth;
pub mod canonical;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod database;
pub mod error;
pub mod failpoint;
pub mod fetch;
pub mod load;
pub mod mapping;
pub mod pipeline;
pub mod redact;
pub mod resource;
pub mod schema;
pub mod simulator;
pub mod verify;

pub use error::{Error, Result};
