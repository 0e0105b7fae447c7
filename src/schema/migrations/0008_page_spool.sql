-- 0008_page_spool: fetched pages waiting to be loaded (schema `sync`).
-- A stream fetches its next page while the previous one is still being loaded. Each fetched
-- page is written here before the next request goes out, and deleted by the transaction that
-- loads it; so a run killed at any instant has at most the one request in flight to repeat,
-- and a resumed run loads what it finds here (following the chain of cursors from the
-- checkpoint) before it fetches anything. UNLOGGED: nothing here is needed for correctness,
-- only to save requests, so it skips the write-ahead log; a server crash empties it, and the
-- pages are simply fetched again.

CREATE UNLOGGED TABLE sync.page_spool (
    nation     text        NOT NULL,
    stream     text        NOT NULL CHECK (stream IN ('people', 'tags', 'taggings', 'donations')),
    cursor     jsonb       NOT NULL,
    next       jsonb       NOT NULL,
    total      bigint,
    source_ids text[]      NOT NULL,
    bodies     text[]      NOT NULL,
    run_id     bigint,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nation, stream, cursor)
);
DO $$
BEGIN
    ALTER TABLE sync.page_spool ALTER COLUMN bodies SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server; sync.page_spool.bodies keeps pglz';
END
$$;
COMMENT ON TABLE sync.page_spool IS
    'Pages fetched from NationBuilder and not yet loaded: written before the next request, deleted '
    'by the transaction that loads the page, read back by a resumed run so it does not fetch them '
    'again. Unlogged (emptied by a server crash, which only costs requests). Privacy: special '
    'category while it holds a page (verbatim source records).';
COMMENT ON COLUMN sync.page_spool.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sync.page_spool.stream IS 'Stream the page belongs to: people, tags, taggings or donations.';
COMMENT ON COLUMN sync.page_spool.cursor IS 'The cursor the page was fetched with (same JSON as sync.checkpoints.cursor); a resumed stream loads the page whose cursor equals its checkpoint, then the page whose cursor equals that page''s next, and so on.';
COMMENT ON COLUMN sync.page_spool.next IS 'The cursor after this page.';
COMMENT ON COLUMN sync.page_spool.total IS 'The total the API reported with the page, if any.';
COMMENT ON COLUMN sync.page_spool.source_ids IS 'The id of each record on the page, in order (NULL for a record without one).';
COMMENT ON COLUMN sync.page_spool.bodies IS 'Each record''s JSON text exactly as received, in order. Personal data, possibly GDPR Art. 9.';
COMMENT ON COLUMN sync.page_spool.run_id IS 'Run that fetched the page (sync.runs.id).';
COMMENT ON COLUMN sync.page_spool.fetched_at IS 'When the page was received.';
