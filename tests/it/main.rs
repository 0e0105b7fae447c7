//! The one integration-test binary: every test here talks to a real PostgreSQL and to the
//! simulator over real HTTP (except `mapping`, which is offline by design).

#![allow(clippy::unwrap_used)]

mod simulator;
#[allow(dead_code)]
mod support;

// OAuth (issue 13): login by callback and paste, refresh across expiries, rotation kept safe.
mod auth;
// The analysis views against the core tables, and the roles of `db grants --print`.
mod analysis;
// The shape of the house, read from src/: no import cycles, resources named only in their unit.
mod architecture;
// Database resolution and the private PostgreSQL cluster.
mod database;
// The hostile-API campaign (issue 9): hostile records, paging loops, short sweeps, waits,
// sizes, redirects, redaction, messages, against a scripted server of raw bytes.
mod hostile;
// The PostgreSQL sink on its own: COPY of new records, the fallback to upserts.
mod load;
// Mapping files, the pure mapping engine and `mappings check` (offline).
mod mapping;
// Error lines by their exact text: the cause once, the fix last.
mod messages;
// `migrate` end to end against the simulator.
mod migrate;
// The progress display: log lines piped to a file, bars in a terminal (tmux).
mod progress;
// The open schema and `nb-exodus db migrate`.
mod schema;
// What verify and demo leave untouched: the audited database, a real database demo is pointed at.
mod untouched;
// PostgreSQL restarts, crashes and read-only switches, signals, failpoints, source binding.
mod resilience;
// Transport security: verified TLS to a remote database, across a network namespace.
mod tls;
// The README's commands parse and, where they need no nation, run as written.
mod readme;
// API v1 as a second source: identical core tables, guarantees, verify's operations.
mod v1;
// `verify` and `keygen`: count equations, tampering, changes at source, offline re-check.
mod verify;
// `verify --api v1`: the auditor's second enumeration, against v1 and v2 exports.
mod verify_v1;
// Sites, pages, events, RSVPs and ticket levels: the simulator's quirks and their export.
mod events;
// Broadcasters, mailings, automations, enrollments and imports; /imports paged or not.
mod outreach;
// Lists and their members, precincts, relationships and people's references (issue 12, B).
mod lists_precincts_relationships;
// Surveys, tracking codes, pledges and petitions in the simulator (issue 12, group D).
mod surveys_pledges_petitions;
