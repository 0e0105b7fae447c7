//! Shared helpers for the integration tests.
pub mod db;
pub mod hostile;
pub mod sim;
