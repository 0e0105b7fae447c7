//! Planning: from the committed checkpoints, the streams asked for, the mapping checksum and
//! `--restart`, decide what each resource does — start, resume from its cursor, or skip because it
//! is finished — or refuse the whole run because the mapping files changed since the data was
//! loaded (mixing rows of two mapping versions would make the export unprovable; `remap` is the
//! way to apply a new mapping). Pure and deterministic: no I/O, output sorted by resource.

use crate::checkpoint::Checkpoint;
use crate::fetch::Cursor;
use crate::resource::Resource;

/// What one resource will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Read from the start.
    Start(Resource, Cursor),
    /// Continue after the last committed page.
    Resume(Resource, Cursor),
    /// Already read to the end.
    Skip(Resource),
}

impl Step {
    /// The resource this step is about.
    pub fn resource(&self) -> Resource {
        match self {
            Step::Start(s, _) | Step::Resume(s, _) | Step::Skip(s) => *s,
        }
    }
}

/// Why a run cannot go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The mapping files differ from those the loaded data was made with.
    #[error(
        "the mapping files changed since resource {resource} was loaded (loaded with {loaded}, now \
         {current}); run `nb-exodus remap` to re-map the archive, or `migrate --restart`"
    )]
    MappingChanged {
        /// The resource whose checkpoint disagrees.
        resource: Resource,
        /// Checksum recorded with the data (first 12 hex digits).
        loaded: String,
        /// Checksum of the current files (first 12 hex digits).
        current: String,
    },
    /// The checkpoints were written through the other API version.
    #[error(
        "resource {resource} was exported through API {loaded}, this run asks for {current}; use \
         --restart to start over with {current}, or keep --api {loaded}"
    )]
    ApiChanged {
        /// The resource concerned.
        resource: Resource,
        /// The API recorded in the checkpoint.
        loaded: String,
        /// The API asked for.
        current: String,
    },
}

/// Plans a run.
pub fn plan(
    checkpoints: &[Checkpoint],
    streams: &[Resource],
    start: impl Fn(Resource) -> Cursor,
    api: &str,
    mapping_sha256: impl Fn(Resource) -> String,
    restart: bool,
) -> Result<Vec<Step>, PlanError> {
    let mut wanted: Vec<Resource> = streams.to_vec();
    wanted.sort();
    wanted.dedup();
    let mut steps = Vec::with_capacity(wanted.len());
    for resource in wanted {
        let found = checkpoints.iter().find(|c| c.stream == resource);
        let step = match found {
            Some(cp) if !restart && cp.pages > 0 => {
                if !cp.api.is_empty() && cp.api != api {
                    return Err(PlanError::ApiChanged {
                        resource,
                        loaded: cp.api.clone(),
                        current: api.to_owned(),
                    });
                }
                if let Some(loaded) = &cp.mapping_sha256 {
                    let current = mapping_sha256(resource);
                    if *loaded != current {
                        return Err(PlanError::MappingChanged {
                            resource,
                            loaded: short(loaded),
                            current: short(&current),
                        });
                    }
                }
                if cp.cursor == Cursor::Done {
                    Step::Skip(resource)
                } else {
                    Step::Resume(resource, cp.cursor.clone())
                }
            }
            _ => Step::Start(resource, start(resource)),
        };
        steps.push(step);
    }
    Ok(steps)
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(resource: Resource, cursor: Cursor, sha: &str) -> Checkpoint {
        Checkpoint {
            stream: resource,
            api: "v2".into(),
            cursor,
            pages: 3,
            records: 300,
            rejects: 0,
            status: "running".into(),
            last_error: None,
            mapping_sha256: Some(sha.into()),
            total_reported: None,
            updated_at: None,
            source_clock: None,
            learned: Default::default(),
        }
    }

    fn start(_: Resource) -> Cursor {
        Cursor::Keyset { after: None }
    }

    #[test]
    fn starts_resumes_and_skips() {
        let cps = [
            cp(
                Resource::of("people"),
                Cursor::Keyset {
                    after: Some("300".into()),
                },
                "abc",
            ),
            cp(Resource::of("tags"), Cursor::Done, "abc"),
        ];
        let wanted = ["donations", "taggings", "people", "tags"].map(Resource::of);
        let steps = plan(&cps, &wanted, start, "v2", |_| "abc".to_owned(), false).unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Resume(
                    Resource::of("people"),
                    Cursor::Keyset {
                        after: Some("300".into())
                    }
                ),
                Step::Skip(Resource::of("tags")),
                Step::Start(Resource::of("taggings"), Cursor::Keyset { after: None }),
                Step::Start(Resource::of("donations"), Cursor::Keyset { after: None }),
            ]
        );
    }

    #[test]
    fn restart_ignores_checkpoints() {
        let cps = [cp(Resource::of("tags"), Cursor::Done, "old")];
        let steps = plan(
            &cps,
            &[Resource::of("tags")],
            start,
            "v2",
            |_| "new".to_owned(),
            true,
        )
        .unwrap();
        assert_eq!(
            steps,
            vec![Step::Start(
                Resource::of("tags"),
                Cursor::Keyset { after: None }
            )]
        );
    }

    #[test]
    fn refuses_mixed_mappings_and_apis() {
        let cps = [cp(Resource::of("people"), Cursor::Done, "old")];
        assert!(matches!(
            plan(
                &cps,
                &[Resource::of("people")],
                start,
                "v2",
                |_| "new".to_owned(),
                false
            ),
            Err(PlanError::MappingChanged { .. })
        ));
        assert!(matches!(
            plan(
                &cps,
                &[Resource::of("people")],
                start,
                "v1",
                |_| "old".to_owned(),
                false
            ),
            Err(PlanError::ApiChanged { .. })
        ));
        // A resource's own file decides: another resource's new or changed file does not.
        let own = |r: Resource| if r.as_str() == "people" { "old" } else { "new" }.to_owned();
        assert!(plan(&cps, &[Resource::of("people")], start, "v2", own, false).is_ok());
        // Streams not asked for are not checked.
        assert!(plan(
            &cps,
            &[Resource::of("tags")],
            start,
            "v2",
            |_| "new".to_owned(),
            false
        )
        .is_ok());
    }
}
