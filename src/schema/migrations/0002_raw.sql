-- 0002_raw: the lossless archive (schema `raw`).
-- Every source record is stored exactly as received, with the SHA-256 of its canonical JSON,
-- before any mapping happens. core/sensitive/gdpr can always be rebuilt from here (`remap`), and
-- the hashes let an auditor prove that nothing was altered. Because it is verbatim, this schema
-- holds everything NationBuilder held, GDPR Art. 9 data included.

CREATE SCHEMA raw;
COMMENT ON SCHEMA raw IS
    'Lossless archive of every NationBuilder record as received. Contains ALL personal data of the '
    'source, including GDPR Art. 9 special-category data (party, religion, ethnicity, notes): '
    'grant USAGE only to roles that may see schema sensitive. Insert-only by convention.';

CREATE TABLE raw.records (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation     text        NOT NULL,
    resource   text        NOT NULL
                           CHECK (resource IN ('people', 'tags', 'taggings', 'donations')),
    source_id  text        NOT NULL,
    api        text        CHECK (api IN ('v1', 'v2')),
    body       json        NOT NULL,
    sha256     text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    fetched_at timestamptz NOT NULL DEFAULT now(),
    run_id     bigint      REFERENCES sync.runs (id),
    CONSTRAINT records_nation_resource_source_id_key UNIQUE (nation, resource, source_id)
);
CREATE INDEX records_run_id_idx ON raw.records (run_id);
CREATE INDEX records_sha256_idx ON raw.records (sha256);
COMMENT ON TABLE raw.records IS
    'One row per source record (person, tag, tagging, donation), latest version as received. '
    'Unique per (nation, resource, source_id) because NationBuilder ids are unique only per '
    'resource. Core rows point back here through their raw_sha256. Privacy: special category '
    '(verbatim source, may contain GDPR Art. 9 data).';
COMMENT ON COLUMN raw.records.id IS 'Internal row number.';
COMMENT ON COLUMN raw.records.nation IS 'NationBuilder nation slug the record came from.';
COMMENT ON COLUMN raw.records.resource IS 'Source resource: ''people'' (v1 people / v2 signups), ''tags'' (signup_tags), ''taggings'' (signup_taggings), ''donations''.';
COMMENT ON COLUMN raw.records.source_id IS 'NationBuilder id of the record, as text (v1 integers are rendered in decimal; v1 tags, which have no id, use the tag name).';
COMMENT ON COLUMN raw.records.api IS 'API generation it was fetched from: ''v1'' or ''v2''. NULL: unknown (imported).';
COMMENT ON COLUMN raw.records.body IS 'The record object exactly as received (type json keeps the original text: key order, duplicates, whitespace). Personal data, possibly GDPR Art. 9.';
COMMENT ON COLUMN raw.records.sha256 IS 'Lower-case hex SHA-256 of the RFC 8785 (JCS) canonical form of body; equals raw_sha256 of the rows derived from it.';
COMMENT ON COLUMN raw.records.fetched_at IS 'When the page holding this record was received from NationBuilder.';
COMMENT ON COLUMN raw.records.run_id IS 'Run that fetched this version (sync.runs.id).';
