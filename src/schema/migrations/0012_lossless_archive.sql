-- 0012_lossless_archive: the archive keeps every record's bytes exactly as received (issue 9,
-- items 4 and 5, and "one record stops the whole export").
-- A record whose bytes are not valid UTF-8, that holds a lone surrogate escape (\ud800) or a
-- \u0000 escape, or that nests deeper than nb-exodus reads, cannot be kept in a json column as
-- it is (or could not be read back out of one): its bytes go to body_bytes instead, and body
-- is NULL. Exactly one of the two holds each record. The same holds for the records kept in
-- sync.rejects because they have no usable id, and for the page spool. core.tags.name and the
-- custom_fields columns become nullable: a value that cannot be stored as it is (text too long
-- for its index, NUL, a number beyond the double range) is loaded as NULL and listed, with the
-- reason, in sync.rejects.

ALTER TABLE raw.records
    ALTER COLUMN body DROP NOT NULL,
    ADD COLUMN body_bytes bytea,
    ADD CONSTRAINT records_body_or_bytes CHECK ((body IS NULL) <> (body_bytes IS NULL));
DO $$
BEGIN
    ALTER TABLE raw.records ALTER COLUMN body_bytes SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server; raw.records.body_bytes keeps pglz';
END
$$;
COMMENT ON COLUMN raw.records.body IS 'The record object exactly as received (type json keeps the original text: key order, duplicates, whitespace). NULL: the text cannot be kept in a json column as it is (not valid UTF-8, a lone surrogate or \u0000 escape, nested too deep); then body_bytes holds it. Personal data, possibly GDPR Art. 9.';
COMMENT ON COLUMN raw.records.body_bytes IS 'The record''s bytes exactly as received, for a record that body (json) cannot hold as it is: not valid UTF-8, a lone surrogate or \u0000 escape, or nested too deep to be read. NULL: the record is in body. sha256 is then the SHA-256 of these bytes when they do not parse as JSON. Personal data, possibly GDPR Art. 9.';
COMMENT ON COLUMN raw.records.sha256 IS 'Lower-case hex SHA-256 of the RFC 8785 (JCS) canonical form of the record; of its exact bytes when they do not parse as JSON (see body_bytes). Equals raw_sha256 of the rows derived from it.';

-- Records without a usable id were all keyed (nation, resource, NULL, 'id'): a second one
-- replaced the first. Each is now told apart by the SHA-256 of its bytes.
ALTER TABLE sync.rejects
    ADD COLUMN body_bytes bytea,
    ADD COLUMN record_sha256 text CHECK (record_sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT rejects_body_or_bytes CHECK (body IS NULL OR body_bytes IS NULL),
    DROP CONSTRAINT rejects_record_field_key,
    ADD CONSTRAINT rejects_record_field_key
        UNIQUE NULLS NOT DISTINCT (nation, resource, source_id, field, record_sha256);
COMMENT ON COLUMN sync.rejects.record_sha256 IS 'For a record without a usable id (source_id NULL): lower-case hex SHA-256 of its bytes as received, which tells such records apart (re-fetching the same record updates its row). NULL: the record has an id.';
COMMENT ON COLUMN sync.rejects.body IS 'The record as received (exact JSON text), for a record that could not be archived under an id. Personal data, possibly GDPR Art. 9. NULL: not kept here (see raw.records), or kept in body_bytes.';
COMMENT ON COLUMN sync.rejects.body_bytes IS 'The record''s bytes exactly as received, for a record without a usable id whose text body (json) cannot hold as it is (not valid UTF-8, a lone surrogate or \u0000 escape, nested too deep). NULL: not kept here, or kept in body. Personal data, possibly GDPR Art. 9.';
COMMENT ON COLUMN sync.rejects.field IS 'Source field that failed, as a JSON Pointer (e.g. ''/attributes/last_name''), ''id'' for a record without a usable id, ''(record)'' when the whole record could not be read or mapped.';
COMMENT ON COLUMN sync.rejects.reason IS 'Why it was rejected, one human-readable line that never quotes the value (e.g. ''contains NUL (U+0000), which PostgreSQL text cannot store'', ''not valid UTF-8'', ''too long for the column''''s index'', or the database''s own message).';

ALTER TABLE sync.page_spool
    ALTER COLUMN bodies DROP NOT NULL,
    ADD COLUMN body_bytes bytea[],
    ADD CONSTRAINT page_spool_bodies_or_bytes CHECK ((bodies IS NULL) <> (body_bytes IS NULL));
DO $$
BEGIN
    ALTER TABLE sync.page_spool ALTER COLUMN body_bytes SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server; sync.page_spool.body_bytes keeps pglz';
END
$$;
COMMENT ON COLUMN sync.page_spool.bodies IS 'Each record''s JSON text exactly as received, in order, for pages spooled before migration 0012. NULL: the page is in body_bytes. Personal data, possibly GDPR Art. 9.';
COMMENT ON COLUMN sync.page_spool.body_bytes IS 'Each record''s bytes exactly as received, in order (whether or not they are valid UTF-8). NULL: a page spooled before migration 0012 (see bodies). Personal data, possibly GDPR Art. 9.';

ALTER TABLE core.tags ALTER COLUMN name DROP NOT NULL;
COMMENT ON COLUMN core.tags.name IS 'OSDI name: the tag exactly as received (case and spaces kept). NULL: the name could not be stored (too long for its index, or holding NUL); see sync.rejects.';

ALTER TABLE core.people ALTER COLUMN custom_fields DROP NOT NULL;
COMMENT ON COLUMN core.people.custom_fields IS 'OSDI custom_fields: nation-defined person fields (NB custom fields / v2 custom_values) as a JSON object keyed by field slug. Never holds Art. 9 data (routed to sensitive.person_attributes). Privacy: personal. Empty object: none. NULL: they could not be stored as received (NUL in a name or value, a number beyond the double range); see sync.rejects and raw.records.';
ALTER TABLE core.donations ALTER COLUMN custom_fields DROP NOT NULL;
COMMENT ON COLUMN core.donations.custom_fields IS 'Nation-defined donation fields (NB v2 custom_values) as a JSON object. Privacy: financial. Empty object: none. NULL: they could not be stored as received (NUL in a name or value, a number beyond the double range); see sync.rejects and raw.records.';
