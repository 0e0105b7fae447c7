-- 0014_resource_registry: the resources an export holds are the ones of nb-exodus's resource
-- registry (src/resource/), no longer a list written into the DDL. raw.records.resource and
-- sync.page_spool.stream only checked that a value was one of people, tags, taggings and
-- donations; a resource added to the registry (memberships, lists, events…) brings its own
-- tables and must not need this central check edited. The columns keep a check on the shape of
-- a registry name, and their comments no longer enumerate the resources.

ALTER TABLE raw.records DROP CONSTRAINT records_resource_check;
ALTER TABLE raw.records
    ADD CONSTRAINT records_resource_check CHECK (resource ~ '^[a-z][a-z0-9_]*$');

ALTER TABLE sync.page_spool DROP CONSTRAINT page_spool_stream_check;
ALTER TABLE sync.page_spool
    ADD CONSTRAINT page_spool_stream_check CHECK (stream ~ '^[a-z][a-z0-9_]*$');

COMMENT ON COLUMN raw.records.resource IS
    'Source resource, a name of nb-exodus''s resource registry: ''people'' (v1 people / v2 signups), '
    '''tags'' (signup_tags), ''taggings'' (signup_taggings), ''donations'', and every other resource '
    'the export holds (see the README''s schema section for the list and their v1/v2 routes).';
COMMENT ON COLUMN sync.page_spool.stream IS
    'The resource whose running export (stream) the page belongs to, a name of the resource registry.';
COMMENT ON COLUMN sync.checkpoints.stream IS
    'The resource whose running export (stream) this checkpoint describes, a name of the resource '
    'registry (''people'', ''tags'', ''donations''…).';
COMMENT ON COLUMN sync.rejects.resource IS
    'Source resource of the record, a name of the resource registry (''people'', ''donations''…).';
COMMENT ON COLUMN sync.field_dispositions.resource IS
    'Source resource, a name of the resource registry (''people'', ''donations''…).';
