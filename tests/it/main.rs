//! The one integration-test binary: every test here talks to a real PostgreSQL and to the
//! simulator over real HTTP.

#[allow(dead_code)]
mod support;

// Database resolution and the private PostgreSQL cluster.
mod database;
// The open schema and `nb-exodus db migrate`.
mod schema;
