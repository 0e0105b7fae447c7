-- 0015_membership_types: the kinds of membership a nation offers (schema `core`).
-- NationBuilder v2 `/membership_types` (v1 has no such list: a v1 membership names its type
-- instead). A type carries the renewal page and the grace-period and expiration-warning settings
-- that new memberships of the type start with; each membership keeps its own copy of the grace
-- period (core.memberships, 0016). A type deleted at source disappears from this list while
-- memberships may still refer to it. Like the other core tables: no foreign keys, run_id not a
-- declared foreign key (see 0007).

CREATE TABLE core.membership_types (
    id                                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                              text        NOT NULL,
    source_id                           text        NOT NULL,
    name                                text,
    description                         text,
    page_source_id                      text,
    grace_period_num_time_periods       integer,
    grace_period_time_period_type       text,
    expiration_warning_num_time_periods integer,
    expiration_warning_time_period_type text,
    created_date                        timestamptz,
    modified_date                       timestamptz,
    run_id                              bigint,
    raw_sha256                          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT membership_types_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.membership_types IS
    'The nation''s membership types (NB v2 membership_types; not in v1, whose memberships name '
    'their type instead): name, renewal page, grace period and expiration warning. A type '
    'deleted at source is not listed, though core.memberships may still refer to it. No OSDI '
    'equivalent (OSDI memberships have no type). Privacy: operational.';
COMMENT ON COLUMN core.membership_types.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.membership_types.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.membership_types.source_id IS 'NationBuilder membership type id (v2) as text; core.memberships.membership_type_source_id refers to it.';
COMMENT ON COLUMN core.membership_types.name IS 'NB name of the type (e.g. ''Full member''), as received; v1 memberships carry this name (core.memberships.membership_type_name). Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.membership_types.description IS 'NB description: short explanation of the type, free text as received. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.membership_types.page_source_id IS 'NB page_id: id of the page members renew through (a NationBuilder page; pages are not exported). NULL: no renewal page.';
COMMENT ON COLUMN core.membership_types.grace_period_num_time_periods IS 'NB grace_period_num_time_periods: how long, in grace_period_time_period_type units, a member may still renew after the membership expires; the default for new memberships of this type. NULL: not set.';
COMMENT ON COLUMN core.membership_types.grace_period_time_period_type IS 'NB grace_period_time_period_type: unit of grace_period_num_time_periods, ''days'' | ''weeks'' | ''months'' | ''years'' as received. NULL: not set.';
COMMENT ON COLUMN core.membership_types.expiration_warning_num_time_periods IS 'NB expiration_warning_num_time_periods: how long, in expiration_warning_time_period_type units, before expiry a member is warned. NULL: not set.';
COMMENT ON COLUMN core.membership_types.expiration_warning_time_period_type IS 'NB expiration_warning_time_period_type: unit of expiration_warning_num_time_periods, ''days'' | ''weeks'' | ''months'' | ''years'' as received. NULL: not set.';
COMMENT ON COLUMN core.membership_types.created_date IS 'NB created_at: when the type was created in NationBuilder. NULL: not reported.';
COMMENT ON COLUMN core.membership_types.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.membership_types.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.membership_types.raw_sha256 IS 'Provenance: raw.records.sha256 of the membership type record this row was derived from.';
COMMENT ON COLUMN core.membership_types.loaded_at IS 'Provenance: when this row was last written.';
