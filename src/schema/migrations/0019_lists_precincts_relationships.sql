-- 0019_lists_precincts_relationships: the party's lists and who is on them, its precincts
-- (local branches), the relationships between people, and the references people carry to
-- them and to each other (schema `core`).
-- NationBuilder v2 `/lists` (with `signups_count`, kept as source_total_items: the control total
-- verify checks the loaded items against), `/lists/{id}/signups` read list by list (the items:
-- which person is on which list; the API gives neither an id of the pairing nor the date a person
-- was added), `/precincts` (no timestamps at all) and `/relationships` (v2 only). People's
-- precinct_id, recruiter_id, parent_id and author_id become *_source_id columns of core.people.
-- Like the other core tables: no foreign keys (a list of a deleted author, an item of a person
-- deleted since, a relationship naming a deleted person are kept as the source has them; verify
-- looks them up), run_id not a declared foreign key (see 0007).

CREATE TABLE core.lists (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                text        NOT NULL,
    source_id             text        NOT NULL,
    name                  text,
    slug                  text,
    description           text,
    author_source_id      text,
    assignee_source_id    text,
    parent_list_source_id text,
    is_sharing_writable   boolean,
    source_total_items    integer,
    created_date          timestamptz,
    modified_date         timestamptz,
    run_id                bigint,
    raw_sha256            text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lists_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.lists IS
    'The party''s saved lists of people (OSDI list): call lists, canvass turfs, committees, one '
    'row per NationBuilder list (v2 lists; v1 /lists is not read yet). Who is on a list is '
    'core.list_items. source_total_items is NationBuilder''s own count of the list''s people, '
    'checked against the items loaded. Privacy: operational (a list''s name can say what the '
    'party thinks of the people on it).';
COMMENT ON COLUMN core.lists.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.lists.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.lists.source_id IS 'NationBuilder list id (v2) as text.';
COMMENT ON COLUMN core.lists.name IS 'NB name: the list''s name as shown in NationBuilder (e.g. ''Door knockers Lyon''). Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.lists.slug IS 'NB slug as received: the list''s unique identifier in the nation (not required for groups). NULL: none.';
COMMENT ON COLUMN core.lists.description IS 'NB description: free text saying what the list is for. Privacy: operational (free text). NULL: none given.';
COMMENT ON COLUMN core.lists.author_source_id IS 'NationBuilder id of the person who made the list (core.people.source_id). NB author_id. Not a foreign key: an author deleted at source keeps the id. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.lists.assignee_source_id IS 'NationBuilder id of the person the list is assigned to, not its author (core.people.source_id). NB signup_id. Not a foreign key. Privacy: personal. NULL: not assigned.';
COMMENT ON COLUMN core.lists.parent_list_source_id IS 'NationBuilder id of the list this one was split off from (core.lists.source_id). NB parent_id. Not a foreign key: the original list may have been deleted. NULL: not a split list.';
COMMENT ON COLUMN core.lists.is_sharing_writable IS 'NB is_sharing_writable: whether people the list is shared with may edit it. NULL: not reported.';
COMMENT ON COLUMN core.lists.source_total_items IS 'NB signups_count at export time (OSDI total_items): NationBuilder''s count of the people on the list, the control total verify compares with the core.list_items rows of the list. NULL: not reported.';
COMMENT ON COLUMN core.lists.created_date IS 'NB created_at: when the list was created. NULL: not reported.';
COMMENT ON COLUMN core.lists.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.lists.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.lists.raw_sha256 IS 'Provenance: raw.records.sha256 of the list record this row was derived from.';
COMMENT ON COLUMN core.lists.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.list_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    list_source_id   text        NOT NULL,
    person_source_id text        NOT NULL,
    item_type        text,
    run_id           bigint,
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT list_items_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX list_items_list_idx ON core.list_items (nation, list_source_id);
CREATE INDEX list_items_person_idx ON core.list_items (nation, person_source_id);
COMMENT ON TABLE core.list_items IS
    'Who is on each list (OSDI list item): one row per person on a list, read list by list from '
    'NB v2 /lists/{id}/signups (resource list_members). NationBuilder gives the pairing no id and '
    'no date (when the person was added is not recoverable), and serves each member as a whole '
    'person record, archived raw but not mapped here (the person is core.people). Privacy: '
    'personal; being on a party''s list (e.g. ''Congress delegates'') can itself reveal a political '
    'opinion.';
COMMENT ON COLUMN core.list_items.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.list_items.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.list_items.source_id IS '''<list id>:<person id>'': NationBuilder gives the pairing no id of its own.';
COMMENT ON COLUMN core.list_items.list_source_id IS 'NationBuilder id of the list (core.lists.source_id). Not a foreign key.';
COMMENT ON COLUMN core.list_items.person_source_id IS 'NationBuilder id of the person on the list (core.people.source_id), the id of the signup served. Not a foreign key: a person deleted since keeps the id. Privacy: personal.';
COMMENT ON COLUMN core.list_items.item_type IS 'OSDI item_type: always ''osdi:person'' (NationBuilder lists hold people only).';
COMMENT ON COLUMN core.list_items.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.list_items.raw_sha256 IS 'Provenance: raw.records.sha256 of the archived member record (the signup wrapped with its list id) this row was derived from.';
COMMENT ON COLUMN core.list_items.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.precincts (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                 text        NOT NULL,
    source_id              text        NOT NULL,
    code                   text,
    name                   text,
    point_person_source_id text,
    run_id                 bigint,
    raw_sha256             text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT precincts_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.precincts IS
    'The party''s precincts: local branches or polling districts, one row per NationBuilder '
    'precinct (v2 precincts; v1 /precincts is not read yet), with a point person. People name '
    'theirs in core.people.precinct_source_id. NationBuilder gives precincts no timestamps (no '
    'created or modified date exists). No OSDI equivalent. Privacy: operational.';
COMMENT ON COLUMN core.precincts.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.precincts.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.precincts.source_id IS 'NationBuilder precinct id (v2) as text.';
COMMENT ON COLUMN core.precincts.code IS 'NB code as received (e.g. ''1007''): the precinct''s code. NULL: none.';
COMMENT ON COLUMN core.precincts.name IS 'NB name: the precinct''s name (e.g. ''Ortsverband Köln 3''). NULL: none.';
COMMENT ON COLUMN core.precincts.point_person_source_id IS 'NationBuilder id of the precinct''s point person (core.people.source_id). NB point_person_id. Not a foreign key: a point person deleted at source keeps the id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.precincts.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.precincts.raw_sha256 IS 'Provenance: raw.records.sha256 of the precinct record this row was derived from.';
COMMENT ON COLUMN core.precincts.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.relationships (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                  text        NOT NULL,
    source_id               text        NOT NULL,
    first_person_source_id  text        NOT NULL,
    second_person_source_id text        NOT NULL,
    relationship_type       text,
    title                   text,
    created_date            timestamptz,
    modified_date           timestamptz,
    run_id                  bigint,
    raw_sha256              text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT relationships_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX relationships_first_idx ON core.relationships (nation, first_person_source_id);
CREATE INDEX relationships_second_idx ON core.relationships (nation, second_person_source_id);
COMMENT ON TABLE core.relationships IS
    'Relationships between two people (NB v2 relationships; not in v1): households and family '
    '(spouse-spouse, child-parent…), friends, and a person and an organisation (an organisation '
    'is a person of party_kind organization: member-organization, employee-employer…). The '
    'first and second person fill the two roles of relationship_type in its order. OSDI has only '
    'a draft person-organisation membership. Privacy: personal (family ties); a link to a trade '
    'union or another party can reveal Art. 9 data.';
COMMENT ON COLUMN core.relationships.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.relationships.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.relationships.source_id IS 'NationBuilder relationship id (v2) as text.';
COMMENT ON COLUMN core.relationships.first_person_source_id IS 'NationBuilder id of the person in the first role of relationship_type (core.people.source_id). NB first_signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: personal.';
COMMENT ON COLUMN core.relationships.second_person_source_id IS 'NationBuilder id of the person (or organisation) in the second role of relationship_type (core.people.source_id). NB second_signup_id. Not a foreign key. Privacy: personal.';
COMMENT ON COLUMN core.relationships.relationship_type IS 'NB relationship_type as received, ''<first role>-<second role>'' (e.g. ''spouse-spouse'', ''member-organization'', ''child-parent''; not checked: the API may add values). Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.relationships.title IS 'NB title: optional short free text describing the relationship (e.g. ''Treasurer''). Privacy: personal (free text). NULL: none.';
COMMENT ON COLUMN core.relationships.created_date IS 'NB created_at: when the relationship was recorded. NULL: not reported.';
COMMENT ON COLUMN core.relationships.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.relationships.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.relationships.raw_sha256 IS 'Provenance: raw.records.sha256 of the relationship record this row was derived from.';
COMMENT ON COLUMN core.relationships.loaded_at IS 'Provenance: when this row was last written.';

ALTER TABLE core.people ADD COLUMN precinct_source_id text;
ALTER TABLE core.people ADD COLUMN recruiter_source_id text;
ALTER TABLE core.people ADD COLUMN parent_source_id text;
ALTER TABLE core.people ADD COLUMN author_source_id text;
COMMENT ON COLUMN core.people.precinct_source_id IS 'NationBuilder id of the person''s precinct (core.precincts.source_id). NB precinct_id (v2 and v1). Not a foreign key. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.people.recruiter_source_id IS 'NationBuilder id of the person who recruited this one (core.people.source_id). NB recruiter_id (v2 and v1). Not a foreign key: a recruiter deleted at source keeps the id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.people.parent_source_id IS 'NationBuilder id of the person''s parent in the nation''s hierarchy, their point person (core.people.source_id). NB parent_id (v2; v1 full person records). Not a foreign key. Privacy: personal. NULL: none, or an abbreviated v1 record.';
COMMENT ON COLUMN core.people.author_source_id IS 'NationBuilder id of the person (usually staff) who created this record (core.people.source_id). NB author_id (v2; v1 full person records). Not a foreign key. Privacy: personal. NULL: none, or an abbreviated v1 record.';

COMMENT ON SCHEMA core IS
    'OSDI-shaped supporter data: people, email addresses, phone numbers, postal addresses, tags, '
    'taggings, donations, membership types, memberships, custom-field definitions, lists and '
    'their items, precincts and relationships. Personal data (GDPR Art. 6); Art. 9 '
    'special-category and inferred attributes are in schema sensitive and consent in schema '
    'gdpr, with one exception: core.memberships, the party''s member register, is Art. 9 data '
    '(party membership reveals a political opinion) and needs the grants of schema sensitive. '
    'Note that being on a party''s supporter list can itself reveal a political opinion. Privacy '
    'classes used in column comments: operational, personal, contact, financial, Art. 9.';
