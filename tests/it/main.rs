//! The one integration-test binary: every test here talks to a real PostgreSQL and to the
//! simulator over real HTTP (except `mapping`, which is offline by design).

#[allow(dead_code)]
mod support;

// Mapping files, the pure mapping engine and `mappings check` (offline).
mod mapping;
