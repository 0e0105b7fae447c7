//! The simulator over real HTTP: paging every collection against the manifest, determinism,
//! filters and variants of the reference's [U] behaviour, auth, rate limits, faults, churn,
//! admin routes, and the key sets of its responses against the fixtures in `fixtures/`.

mod admin;
mod churn;
mod faults;
mod fixtures;
mod members;
mod rate_limit;
mod v1;
mod v2;
