//! The simulator over real HTTP: paging every collection against the manifest, determinism,
//! filters and variants of the reference's [U] behaviour, auth, rate limits, faults, churn,
//! admin routes, and the key sets of its responses against the fixtures in `fixtures/`.

mod admin;
mod churn;
mod contacts_paths;
mod faults;
mod fixtures;
mod members;
mod rate_limit;
mod v1;
mod v2;

/// The exporter's resource registry and the simulator's (an independent model of the API,
/// written from the reference) name the same resources, in the same order.
#[test]
fn both_registries_name_the_same_resources() {
    let exporter: Vec<&str> = nb_exodus::resource::names().collect();
    let simulator = nb_exodus::simulator::resource_names();
    assert_eq!(exporter, simulator);
}
