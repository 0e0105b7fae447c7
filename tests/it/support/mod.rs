//! Shared helpers for the integration tests.
pub mod db;
pub mod hostile;
pub mod sim;

/// The registry's resource called `name`.
pub fn resource(name: &str) -> nb_exodus::resource::Resource {
    nb_exodus::resource::Resource::named(name).expect("a resource of the registry")
}
