-- 0005_reconcile: what the end-of-run reconciliation needs.
-- NationBuilder has no tombstones: a deleted person simply stops appearing. At the end of each
-- run nb-exodus sweeps every stream's ids and removes from core/sensitive/gdpr what the source no
-- longer has, while the raw archive keeps the record (marked, never deleted) so nothing fetched is
-- lost. A catch-up pass re-reads what changed behind the cursor, starting from a mark on the
-- source's own clock.

ALTER TABLE raw.records ADD COLUMN deleted_at_source timestamptz;
COMMENT ON COLUMN raw.records.deleted_at_source IS
    'When a reconciliation sweep found that NationBuilder no longer has this record (deleted or '
    'merged at source after it was archived). The core rows derived from it were removed then; '
    'the archived body stays. NULL: still present at source as of the last sweep.';
CREATE INDEX records_deleted_idx ON raw.records (nation, resource) WHERE deleted_at_source IS NOT NULL;

ALTER TABLE sync.checkpoints ADD COLUMN source_clock text;
COMMENT ON COLUMN sync.checkpoints.source_clock IS
    'A timestamp of the source''s own clock (RFC 3339, the largest updated_at on the first page of '
    'the last full or catch-up pass) below which no later change can fall; the next catch-up pass '
    'asks for records updated since then. NULL: no pass has started yet or the stream has no '
    'updated_at.';
