-- 0007_load_speed: lighter row tables for bulk loading.
-- Every row written by a page used to fire a foreign-key trigger on run_id (a lookup and a
-- KEY SHARE lock on sync.runs per row) and, for raw.records, maintain an index on run_id that
-- no query uses. Measured on 100,000 consent rows, the trigger alone cost about a fifth of the
-- insert. run_id stays as provenance: the loader always writes the id of the run in progress,
-- which sync.runs holds before any page is written, so the reference holds by construction.
-- sync.* keeps its foreign keys (a handful of rows per page).
-- Raw bodies over 2 kB (people records average about 5 kB) are compressed; lz4 compresses
-- about as well as the default pglz here at a third less load time. A server built without
-- lz4 keeps pglz.

ALTER TABLE raw.records                 DROP CONSTRAINT records_run_id_fkey;
ALTER TABLE core.people                 DROP CONSTRAINT people_run_id_fkey;
ALTER TABLE core.email_addresses        DROP CONSTRAINT email_addresses_run_id_fkey;
ALTER TABLE core.phone_numbers          DROP CONSTRAINT phone_numbers_run_id_fkey;
ALTER TABLE core.postal_addresses       DROP CONSTRAINT postal_addresses_run_id_fkey;
ALTER TABLE core.tags                   DROP CONSTRAINT tags_run_id_fkey;
ALTER TABLE core.taggings               DROP CONSTRAINT taggings_run_id_fkey;
ALTER TABLE core.donations              DROP CONSTRAINT donations_run_id_fkey;
ALTER TABLE sensitive.person_attributes DROP CONSTRAINT person_attributes_run_id_fkey;
ALTER TABLE gdpr.consent_facts          DROP CONSTRAINT consent_facts_run_id_fkey;
DROP INDEX raw.records_run_id_idx;
DO $$
BEGIN
    ALTER TABLE raw.records ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server; raw.records.body keeps pglz';
END
$$;

COMMENT ON COLUMN raw.records.run_id IS 'Run that fetched this version (sync.runs.id; not a declared foreign key, for load speed: always the run in progress).';
COMMENT ON COLUMN core.people.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.email_addresses.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.phone_numbers.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.postal_addresses.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.tags.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.taggings.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.donations.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN sensitive.person_attributes.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN gdpr.consent_facts.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
