-- 0017_custom_field_definitions: the nation's custom-field definitions (schema `core`).
-- NationBuilder v2 `/custom_fields` (v1 has none): the name, slug, type, multiple-choice options,
-- position and owning resource of each custom field. They make the `custom_fields` jsonb of
-- core.people and core.donations interpretable: the keys there are these slugs. NationBuilder
-- lets neither slug nor type change, and deleting a field deletes its values, so a definition
-- missing here means the field was deleted at source. Like the other core tables: no foreign
-- keys, run_id not a declared foreign key (see 0007).

CREATE TABLE core.custom_field_definitions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation        text        NOT NULL,
    source_id     text        NOT NULL,
    name          text,
    slug          text,
    field_type    text,
    options       jsonb,
    position      integer,
    resource_type text,
    created_date  timestamptz,
    modified_date timestamptz,
    run_id        bigint,
    raw_sha256    text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT custom_field_definitions_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.custom_field_definitions IS
    'The nation''s custom-field definitions (NB v2 custom_fields; not in v1): one row per field of '
    'people (resource_type ''Signup'') or donations (''Donation''). They make the custom_fields '
    'jsonb of core.people and core.donations interpretable: the keys there are these slugs. A key '
    'without a definition belongs to a field deleted at source. No OSDI equivalent (OSDI '
    'custom_fields carry no definitions). Privacy: operational (but a field''s name can show what '
    'the party records about people).';
COMMENT ON COLUMN core.custom_field_definitions.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.custom_field_definitions.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.custom_field_definitions.source_id IS 'NationBuilder custom field id (v2) as text.';
COMMENT ON COLUMN core.custom_field_definitions.name IS 'NB name: the field''s label as shown in NationBuilder (e.g. ''Membership number''). Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.custom_field_definitions.slug IS 'NB slug, exactly as received: the field''s key in core.people.custom_fields / core.donations.custom_fields (v2 custom_values; v1 top-level person keys). Cannot change at source. NULL: empty at source.';
COMMENT ON COLUMN core.custom_field_definitions.field_type IS 'NB field_type as received (e.g. ''text'', ''number'', ''checkbox'', ''multiple_choice''): how to read the field''s values. Cannot change at source. NULL: not reported.';
COMMENT ON COLUMN core.custom_field_definitions.options IS 'NB options: the choices of a multiple-choice field, as received, a JSON object of choice key to label (e.g. {"1": "option1"}). NULL: the field has no options (not multiple choice).';
COMMENT ON COLUMN core.custom_field_definitions.position IS 'NB position: order of the field among the custom fields of its resource_type. NULL: not reported.';
COMMENT ON COLUMN core.custom_field_definitions.resource_type IS 'NB resource_type as received: ''Signup'' (a person field, core.people.custom_fields) or ''Donation'' (core.donations.custom_fields). NULL: not reported.';
COMMENT ON COLUMN core.custom_field_definitions.created_date IS 'NB created_at: when the field was created in NationBuilder. NULL: not reported.';
COMMENT ON COLUMN core.custom_field_definitions.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.custom_field_definitions.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.custom_field_definitions.raw_sha256 IS 'Provenance: raw.records.sha256 of the custom field record this row was derived from.';
COMMENT ON COLUMN core.custom_field_definitions.loaded_at IS 'Provenance: when this row was last written.';

COMMENT ON SCHEMA core IS
    'OSDI-shaped supporter data: people, email addresses, phone numbers, postal addresses, tags, '
    'taggings, donations, membership types, memberships and custom-field definitions. Personal '
    'data (GDPR Art. 6); Art. 9 special-category and inferred attributes are in schema sensitive '
    'and consent in schema gdpr, with one exception: core.memberships, the party''s member '
    'register, is Art. 9 data (party membership reveals a political opinion) and needs the '
    'grants of schema sensitive. Note that being on a party''s supporter list can itself reveal a '
    'political opinion. Privacy classes used in column comments: operational, personal, contact, '
    'financial, Art. 9.';
