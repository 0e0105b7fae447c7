-- 0016_memberships: the party's member register (schema `core`), and the membership a donation
-- pays for.
-- NationBuilder v2 `/memberships` lists every membership nation-wide with its own id; v1 serves
-- them only per person (`/people/:id/memberships`), without an id and with the type's name
-- instead of its id, so the two APIs fill different columns and give different source_ids.
-- NationBuilder returns each membership's current state only: there is no status history, and
-- its membership import overwrites. Membership of a political party reveals a political opinion
-- (GDPR Art. 9) although the table lives in `core` with the rest of the register's entities; the
-- comments say so, and the schema comment is amended. Like the other core tables: no foreign
-- keys (a membership of a deleted person or of a deleted type is kept as the source has it),
-- run_id not a declared foreign key (see 0007).
-- donations.membership_source_id links a dues payment to its membership (v2 only).

CREATE TABLE core.memberships (
    id                            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                        text        NOT NULL,
    source_id                     text        NOT NULL,
    person_source_id              text        NOT NULL,
    membership_type_source_id     text,
    membership_type_name          text,
    status                        text,
    status_reason                 text,
    started_at                    timestamptz,
    expires_on                    date,
    grace_period_num_time_periods integer,
    grace_period_time_period_type text,
    suspended_on                  date,
    created_date                  timestamptz,
    modified_date                 timestamptz,
    run_id                        bigint,
    raw_sha256                    text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memberships_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX memberships_person_idx ON core.memberships (nation, person_source_id);
COMMENT ON TABLE core.memberships IS
    'The party''s member register: one row per NationBuilder membership (v2 memberships, v1 '
    '/people/:id/memberships), whatever its status. For a party a statutory record (who may vote, '
    'quorum, dues). Membership of a political party is itself GDPR Art. 9 data (it reveals a '
    'political opinion): although in core, grant it like schema sensitive (every role that reads '
    'core reads it). NationBuilder returns the current state only, no history of status changes: '
    'earlier statuses are not recoverable from the source. A membership whose person or type was '
    'deleted at source is kept as received. OSDI has only a draft person-organisation membership '
    '(no type, status or expiry). Privacy: special category (Art. 9).';
COMMENT ON COLUMN core.memberships.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.memberships.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.memberships.source_id IS 'NationBuilder membership id (v2) as text. v1 gives memberships no id: ''<person id>:<type name>:<created_at>'' with the texts as received (e.g. ''2:premier:2014-07-21T13:48:51-07:00''), so the same membership has another source_id in a v1 export than in a v2 one.';
COMMENT ON COLUMN core.memberships.person_source_id IS 'NationBuilder id of the member (core.people.source_id). NB signup_id (v2) / person_id (v1). Not a foreign key: a member deleted at source keeps the id (v2 only; v1 reaches memberships through people). Privacy: Art. 9.';
COMMENT ON COLUMN core.memberships.membership_type_source_id IS 'NationBuilder id of the membership type (core.membership_types.source_id). NB membership_type_id (v2). NULL: exported through v1, which names the type instead (membership_type_name). A type deleted at source keeps its id here with no core.membership_types row.';
COMMENT ON COLUMN core.memberships.membership_type_name IS 'Name of the membership type as received. NB name (v1 only). NULL: exported through v2, whose membership carries the type id only (the name is core.membership_types.name). Privacy: Art. 9.';
COMMENT ON COLUMN core.memberships.status IS 'NB status as received: ''active'' | ''canceled'' | ''expired'' | ''grace period'' (not checked: the API may add values). The current status only. Privacy: Art. 9. NULL: not reported.';
COMMENT ON COLUMN core.memberships.status_reason IS 'NB status_reason: short free text why the membership has its status (e.g. ''Did not renew''). Privacy: Art. 9 (free text may say more). NULL: none given.';
COMMENT ON COLUMN core.memberships.started_at IS 'NB started_at: when the membership went into effect. Privacy: Art. 9. NULL: not reported.';
COMMENT ON COLUMN core.memberships.expires_on IS 'NB expires_on: the date the membership expires (a date, no time). NULL: does not expire, or not set.';
COMMENT ON COLUMN core.memberships.grace_period_num_time_periods IS 'NB grace_period_num_time_periods: how long, in grace_period_time_period_type units, the member may still renew after expiry (the membership''s own copy; its type has a default). NULL: not set, or exported through v1 (not in v1).';
COMMENT ON COLUMN core.memberships.grace_period_time_period_type IS 'NB grace_period_time_period_type: unit of grace_period_num_time_periods, ''days'' | ''weeks'' | ''months'' | ''years'' as received. NULL: not set, or exported through v1 (not in v1).';
COMMENT ON COLUMN core.memberships.suspended_on IS 'NB suspended_at (a date, despite the name): when the membership was suspended. NULL: not suspended, or exported through v1 (not in v1).';
COMMENT ON COLUMN core.memberships.created_date IS 'NB created_at: when the membership was created in NationBuilder (not necessarily when it started). NULL: not reported.';
COMMENT ON COLUMN core.memberships.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.memberships.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.memberships.raw_sha256 IS 'Provenance: raw.records.sha256 of the membership record this row was derived from.';
COMMENT ON COLUMN core.memberships.loaded_at IS 'Provenance: when this row was last written.';

ALTER TABLE core.donations ADD COLUMN membership_source_id text;
COMMENT ON COLUMN core.donations.membership_source_id IS 'NationBuilder id of the membership this donation pays for (core.memberships.source_id; dues payments). NB membership_id (v2 only; v1 donations carry no membership id). Not a foreign key. NULL: not a membership payment, or exported through v1.';

COMMENT ON SCHEMA core IS
    'OSDI-shaped supporter data: people, email addresses, phone numbers, postal addresses, tags, '
    'taggings, donations, membership types and memberships. Personal data (GDPR Art. 6); '
    'Art. 9 special-category and inferred attributes are in schema sensitive and consent in '
    'schema gdpr, with one exception: core.memberships, the party''s member register, is Art. 9 '
    'data (party membership reveals a political opinion) and needs the grants of schema '
    'sensitive. Note that being on a party''s supporter list can itself reveal a political '
    'opinion. Privacy classes used in column comments: operational, personal, contact, '
    'financial, Art. 9.';
