//! The open schema's SQL migrations.
