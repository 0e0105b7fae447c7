//! Resolves the PostgreSQL database to use.
