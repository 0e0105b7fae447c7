-- 0010_salt_by_migrate: the manifest salt is now created by `nb-exodus migrate` when a run
-- starts, no longer by the first `nb-exodus verify` (verify writes nothing into the database it
-- checks but its own log row). Only the comments that said otherwise change.

COMMENT ON TABLE audit.export_salts IS
    'One random 32-byte salt per exported nation, created by `nb-exodus migrate` when its first '
    'run starts (databases exported by older versions get it from their next migrate) and never '
    'replaced; `nb-exodus verify` only reads it. Every Merkle leaf of the verify report is '
    'SHA-256(0x00 || salt || id || record hash). Privacy: secret; never copy it into a report.';
COMMENT ON COLUMN audit.export_salts.created_at IS
    'When the salt was created (the first migrate run of the nation with a version that makes it).';
COMMENT ON TABLE audit.verifications IS
    'One row per `nb-exodus verify` run against this database that got past its checks (schema '
    'current, a finished export, the salt): outcome, defect count, the SHA-256 of the report '
    'written and the Merkle roots. The only row verify writes. Privacy: operational (no personal data).';
