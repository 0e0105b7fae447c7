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

/// Both registries agree on where API v1 serves each resource: a nation-wide listing, a route
/// per record of another resource, objects inside another route's records, derived from
/// another record (taggings), or nothing.
#[test]
fn both_registries_route_v1_alike() {
    use nb_exodus::resource::{Resource, V1Binding, V1Owner, V1Within};
    fn route_of(resource: Resource) -> String {
        let stars = |route: &str| {
            route
                .split('/')
                .map(|s| if s.starts_with('{') { "*" } else { s })
                .collect::<Vec<_>>()
                .join("/")
        };
        match resource.def().v1 {
            V1Binding::Listing(l) => l.path.to_owned(),
            V1Binding::PerRecord(p) => stars(p.route),
            V1Binding::Within(V1Within {
                of: V1Owner::Listing(l),
                ..
            }) => l.path.to_owned(),
            V1Binding::Within(_) | V1Binding::Embedded(_) => {
                route_of(resource.v1_parent().expect("an owner"))
            }
            V1Binding::None => String::new(),
        }
    }
    let exporter: Vec<(&str, String)> = Resource::all()
        .map(|r| {
            let text = match r.def().v1 {
                V1Binding::Listing(_) => format!("listing {}", route_of(r)),
                V1Binding::PerRecord(_) => format!("per-record {}", route_of(r)),
                V1Binding::Within(_) => format!("within {}", route_of(r)),
                V1Binding::Embedded(_) => "derived".to_owned(),
                V1Binding::None => "none".to_owned(),
            };
            (r.as_str(), text)
        })
        .collect();
    assert_eq!(exporter, nb_exodus::simulator::v1_routes());
}
