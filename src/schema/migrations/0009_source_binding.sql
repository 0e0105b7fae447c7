-- 0009_source_binding: a nation is bound to the source it is read from, and each stream keeps
-- what the run learned about the API.
-- Migrating a rehearsal nation (the simulator) and then running the same nation slug against
-- another API base used to mix the two sources under one name: reconciliation "deleted at
-- source" whatever the second one lacked, and overlapping ids kept the first one's data. Now a
-- nation remembers its source, and a run against another one is refused (or re-binds with
-- --restart). The API profile lets a resumed run, the catch-up and the sweeps ask the API the
-- way it accepted (no keyset paging, no updated_at filter, smaller pages).

CREATE TABLE sync.nations (
    nation   text        PRIMARY KEY,
    source   text        NOT NULL,
    bound_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sync.nations IS
    'The source each nation of this database is exported from; a run against another source is '
    'refused unless it re-binds the nation (--restart). Privacy: operational.';
COMMENT ON COLUMN sync.nations.nation IS 'NationBuilder nation slug (as used for --nation).';
COMMENT ON COLUMN sync.nations.source IS 'The API base URL the nation is read from, without credentials (e.g. https://slug.nationbuilder.com/).';
COMMENT ON COLUMN sync.nations.bound_at IS 'When the nation was bound to this source (its first run, or the --restart that re-bound it).';

ALTER TABLE sync.checkpoints ADD COLUMN learned jsonb NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(learned) = 'object');
COMMENT ON COLUMN sync.checkpoints.learned IS
    'What runs learned about how the API treats this stream, shared by every request path: '
    '{"keyset": false} once sort=id/filter[id][gt] was refused or ignored (page[number] paging), '
    '{"updated_filter": false} once filter[updated_at][gte] was refused (catch-up re-reads the '
    'stream), {"page_size": n} once a larger page size was refused. Empty: nothing refused.';
