//! The one integration-test binary: every test here talks to a real PostgreSQL and to the
//! simulator over real HTTP.

mod simulator;
#[allow(dead_code)]
mod support;
