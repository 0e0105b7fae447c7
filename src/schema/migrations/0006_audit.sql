-- 0006_audit: what `nb-exodus verify` keeps in the database (schema `audit`).
-- The manifest salt of each nation's export: the Merkle roots in a verify report are computed
-- over salted leaves, so that a published root does not let anyone test whether a guessed
-- record (a guessed supporter) is in the database. The salt must therefore stay here, never in
-- the report; without it the roots cannot be recomputed. Each verification is logged too.

CREATE SCHEMA IF NOT EXISTS audit;
COMMENT ON SCHEMA audit IS
    'nb-exodus audit evidence: the manifest salt of each export and the log of verifications. '
    'audit.export_salts.salt is secret (it protects the published Merkle roots against '
    'membership tests); grant it like schema raw. Written only by nb-exodus.';

CREATE TABLE audit.export_salts (
    nation     text        PRIMARY KEY,
    salt       bytea       NOT NULL CHECK (octet_length(salt) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE audit.export_salts IS
    'One random 32-byte salt per exported nation, created by the first `nb-exodus verify`. '
    'Every Merkle leaf of the verify report is SHA-256(0x00 || salt || id || record hash). '
    'Privacy: secret; never copy it into a report.';
COMMENT ON COLUMN audit.export_salts.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN audit.export_salts.salt IS 'The salt, 32 random bytes from the operating system. Its public identifier in reports is SHA-256(''nb-exodus manifest salt id\n'' || salt).';
COMMENT ON COLUMN audit.export_salts.created_at IS 'When the salt was created (first verification of the export).';

CREATE TABLE audit.verifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation        text        NOT NULL,
    mode          text        NOT NULL CHECK (mode IN ('online', 'offline')),
    verified_at   timestamptz NOT NULL DEFAULT now(),
    outcome       text        NOT NULL CHECK (outcome IN ('balanced', 'findings', 'error')),
    defects       bigint      CHECK (defects >= 0),
    report_sha256 text        CHECK (report_sha256 ~ '^[0-9a-f]{64}$'),
    roots         jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(roots) = 'object'),
    tool_version  text
);
CREATE INDEX verifications_nation_idx ON audit.verifications (nation, verified_at);
COMMENT ON TABLE audit.verifications IS
    'One row per `nb-exodus verify` run against this database: outcome, defect count, the '
    'SHA-256 of the report written and the Merkle roots. Privacy: operational (no personal data).';
COMMENT ON COLUMN audit.verifications.id IS 'Internal row number.';
COMMENT ON COLUMN audit.verifications.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN audit.verifications.mode IS '''online'' (API and database) or ''offline'' (database only).';
COMMENT ON COLUMN audit.verifications.verified_at IS 'When the verification finished.';
COMMENT ON COLUMN audit.verifications.outcome IS '''balanced'' (exit 0) | ''findings'' (exit 1: unexplained gaps) | ''error'' (exit 2: could not verify).';
COMMENT ON COLUMN audit.verifications.defects IS 'Number of defect findings (count). NULL: the verification did not finish.';
COMMENT ON COLUMN audit.verifications.report_sha256 IS 'Lower-case hex SHA-256 of the canonical report.json. NULL: no report.';
COMMENT ON COLUMN audit.verifications.roots IS 'Merkle root per entity, e.g. {"people": "<hex>"}.';
COMMENT ON COLUMN audit.verifications.tool_version IS 'nb-exodus version that verified.';
