//! Test databases: a fresh database per test.
