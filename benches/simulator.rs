//! Simulator throughput benchmark.
fn main() {}
