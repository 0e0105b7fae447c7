-- 0001_sync: bookkeeping of the export itself (schema `sync`).
-- Created first because every other table points its `run_id` at sync.runs. Holds one row per
-- run, the per-stream resume checkpoints, the records or fields that could not be mapped, and
-- what happened to every source field. Apart from sync.rejects.body (which holds source records
-- verbatim) nothing here is personal data.

CREATE SCHEMA sync;
COMMENT ON SCHEMA sync IS
    'nb-exodus bookkeeping: runs, resume checkpoints, rejects and field dispositions. '
    'Operational metadata, except sync.rejects.body which holds source records verbatim and must '
    'be treated like schema raw (may contain GDPR Art. 9 data). Written only by nb-exodus.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE sync.runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation         text        NOT NULL,
    api            text        CHECK (api IN ('v1', 'v2')),
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    status         text        NOT NULL DEFAULT 'running'
                               CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    tool_version   text,
    mapping_sha256 text        CHECK (mapping_sha256 ~ '^[0-9a-f]{64}$'),
    options        jsonb       NOT NULL DEFAULT '{}'::jsonb
                               CHECK (jsonb_typeof(options) = 'object'),
    error          text
);
COMMENT ON TABLE sync.runs IS
    'One row per invocation of nb-exodus against a nation (fetch, load, remap). Every row in '
    'raw/core/sensitive/gdpr points here through run_id, so each value can be traced to the run '
    'that wrote it. Privacy: operational.';
COMMENT ON COLUMN sync.runs.id IS 'Run number, assigned by the database; referenced as run_id everywhere else.';
COMMENT ON COLUMN sync.runs.nation IS 'NationBuilder nation slug the run exported (the <slug> in <slug>.nationbuilder.com).';
COMMENT ON COLUMN sync.runs.api IS 'NationBuilder API generation used: ''v1'' (legacy /api/v1) or ''v2'' (JSON:API /api/v2). NULL: not decided yet.';
COMMENT ON COLUMN sync.runs.started_at IS 'When the run started (server clock).';
COMMENT ON COLUMN sync.runs.finished_at IS 'When the run ended, whatever its outcome. NULL: still running, or the process died (see status).';
COMMENT ON COLUMN sync.runs.status IS '''running'' | ''done'' (all streams complete) | ''failed'' (stopped on an error, see error) | ''interrupted'' (stopped by the operator or a crash; resumable).';
COMMENT ON COLUMN sync.runs.tool_version IS 'nb-exodus version (and git commit when known) that performed the run.';
COMMENT ON COLUMN sync.runs.mapping_sha256 IS 'Lower-case hex SHA-256 over the mapping files used; rows loaded under another mapping must be remapped. NULL: fetch-only run.';
COMMENT ON COLUMN sync.runs.options IS 'Command-line flags and settings of the run as a JSON object, for reproducibility. Never contains tokens or passwords.';
COMMENT ON COLUMN sync.runs.error IS 'One-line description of the error that stopped the run. NULL: no error.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE sync.checkpoints (
    nation          text        NOT NULL,
    stream          text        NOT NULL,
    api             text        CHECK (api IN ('v1', 'v2')),
    cursor          jsonb,
    pages           bigint      NOT NULL DEFAULT 0 CHECK (pages >= 0),
    records         bigint      NOT NULL DEFAULT 0 CHECK (records >= 0),
    rejects         bigint      NOT NULL DEFAULT 0 CHECK (rejects >= 0),
    status          text        NOT NULL DEFAULT 'running'
                                CHECK (status IN ('running', 'done', 'interrupted', 'failed')),
    last_error      text,
    mapping_sha256  text        CHECK (mapping_sha256 ~ '^[0-9a-f]{64}$'),
    total_reported  bigint,
    run_id          bigint      REFERENCES sync.runs (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nation, stream)
);
COMMENT ON TABLE sync.checkpoints IS
    'Resume point of each stream (one paginated resource, e.g. people or donations) of a nation. '
    'Updated in the same transaction as the data of the page it describes, so after a crash the '
    'export resumes exactly after the last committed page. Privacy: operational.';
COMMENT ON COLUMN sync.checkpoints.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sync.checkpoints.stream IS 'Stream name, usually the resource (''people'', ''tags'', ''taggings'', ''donations'').';
COMMENT ON COLUMN sync.checkpoints.api IS 'API generation the cursor belongs to (''v1''|''v2''); a cursor is meaningless for the other one.';
COMMENT ON COLUMN sync.checkpoints.cursor IS 'Opaque position of the next page to fetch (v1 __token/__nonce, v2 page[number] or next link) as JSON. NULL: start from the beginning, or stream finished.';
COMMENT ON COLUMN sync.checkpoints.pages IS 'Number of pages committed so far for this stream (count).';
COMMENT ON COLUMN sync.checkpoints.records IS 'Number of source records committed to raw.records so far (count).';
COMMENT ON COLUMN sync.checkpoints.rejects IS 'Number of rows written to sync.rejects for this stream so far (count).';
COMMENT ON COLUMN sync.checkpoints.status IS '''running'' | ''done'' (last page committed) | ''interrupted'' (resumable) | ''failed'' (see last_error).';
COMMENT ON COLUMN sync.checkpoints.last_error IS 'Last error seen on this stream, one line. NULL: none.';
COMMENT ON COLUMN sync.checkpoints.mapping_sha256 IS 'Lower-case hex SHA-256 of the mapping the committed pages were loaded with. NULL: nothing loaded yet.';
COMMENT ON COLUMN sync.checkpoints.total_reported IS 'Record total announced by the API (v1 total/total_pages when present), for reconciliation. NULL: the API did not report one (v2 never does).';
COMMENT ON COLUMN sync.checkpoints.run_id IS 'Run that last advanced this checkpoint (sync.runs.id).';
COMMENT ON COLUMN sync.checkpoints.updated_at IS 'When this checkpoint last changed.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE sync.rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation      text        NOT NULL,
    resource    text        NOT NULL,
    source_id   text,
    field       text,
    reason      text        NOT NULL,
    body        json,
    run_id      bigint      REFERENCES sync.runs (id),
    rejected_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rejects_record_field_key
        UNIQUE NULLS NOT DISTINCT (nation, resource, source_id, field)
);
CREATE INDEX rejects_run_id_idx ON sync.rejects (run_id);
COMMENT ON TABLE sync.rejects IS
    'Source records, or single fields of them, that could not be mapped into core/sensitive/gdpr, '
    'with the reason. Nothing is dropped silently: a record is either loaded or listed here (its '
    'raw copy stays in raw.records either way). Privacy: body is a verbatim source record and may '
    'hold GDPR Art. 9 data; grant like schema raw.';
COMMENT ON COLUMN sync.rejects.id IS 'Internal row number.';
COMMENT ON COLUMN sync.rejects.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sync.rejects.resource IS 'Source resource of the record (''people'', ''tags'', ''taggings'', ''donations'').';
COMMENT ON COLUMN sync.rejects.source_id IS 'NationBuilder id of the record, as text. NULL: the record had no usable id.';
COMMENT ON COLUMN sync.rejects.field IS 'Source field that failed (e.g. ''birthdate''). NULL: the whole record was rejected.';
COMMENT ON COLUMN sync.rejects.reason IS 'Why it was rejected, one human-readable line (e.g. ''not a date: "31/02/1990"'').';
COMMENT ON COLUMN sync.rejects.body IS 'The record as received (exact JSON text). Personal data, possibly GDPR Art. 9. NULL: not kept (see raw.records).';
COMMENT ON COLUMN sync.rejects.run_id IS 'Run that rejected it (sync.runs.id).';
COMMENT ON COLUMN sync.rejects.rejected_at IS 'When it was (last) rejected.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE sync.field_dispositions (
    nation       text   NOT NULL,
    resource     text   NOT NULL,
    source_field text   NOT NULL,
    disposition  text   NOT NULL
                        CHECK (disposition IN ('mapped', 'custom_fields', 'sensitive', 'consent', 'raw_only')),
    target       text,
    seen_count   bigint NOT NULL DEFAULT 0 CHECK (seen_count >= 0),
    run_id       bigint REFERENCES sync.runs (id),
    PRIMARY KEY (nation, resource, source_field)
);
COMMENT ON TABLE sync.field_dispositions IS
    'Where every source field seen in the export went, so an auditor can check that no field was '
    'lost or put in the wrong place (e.g. an Art. 9 field in core). Privacy: operational (field '
    'names and counts only, no values).';
COMMENT ON COLUMN sync.field_dispositions.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sync.field_dispositions.resource IS 'Source resource (''people'', ''tags'', ''taggings'', ''donations'').';
COMMENT ON COLUMN sync.field_dispositions.source_field IS 'NationBuilder field name as it appears in the API (e.g. ''email_opt_in'', ''custom_values.shirt_size'').';
COMMENT ON COLUMN sync.field_dispositions.disposition IS '''mapped'' (to a core column) | ''custom_fields'' (into a custom_fields jsonb) | ''sensitive'' (sensitive.person_attributes) | ''consent'' (gdpr.consent_facts) | ''raw_only'' (kept only in raw.records).';
COMMENT ON COLUMN sync.field_dispositions.target IS 'Destination as schema.table.column (or jsonb key). NULL: raw_only.';
COMMENT ON COLUMN sync.field_dispositions.seen_count IS 'Number of records in which the field was present and non-null (count).';
COMMENT ON COLUMN sync.field_dispositions.run_id IS 'Run that last updated this row (sync.runs.id).';
