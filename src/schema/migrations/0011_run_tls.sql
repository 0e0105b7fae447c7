-- 0011_run_tls: how each run's database connection was protected (issue 9, item 10).
-- nb-exodus reaches a remote database only over verified TLS (sslmode=verify-full) unless the
-- operator opts out with --insecure-database-connection; an auditor must be able to see, per
-- run, whether the data travelled encrypted, how, and whether verification was switched off.
-- The TLS columns are the server's own view of the run's session (pg_stat_ssl), read by the
-- statement that opens the run. Runs recorded before this migration keep NULL in every column.

ALTER TABLE sync.runs
    ADD COLUMN db_tls          boolean,
    ADD COLUMN db_tls_version  text,
    ADD COLUMN db_tls_cipher   text,
    ADD COLUMN db_tls_bits     integer CHECK (db_tls_bits > 0),
    ADD COLUMN db_sslmode      text
                               CHECK (db_sslmode IN ('disable', 'allow', 'prefer', 'require',
                                                     'verify-ca', 'verify-full')),
    ADD COLUMN db_insecure     boolean;

COMMENT ON COLUMN sync.runs.db_tls IS 'Whether the run''s database session used TLS, as the server saw it (pg_stat_ssl.ssl). false: plaintext (normal on loopback and Unix sockets). NULL: run recorded before nb-exodus recorded it.';
COMMENT ON COLUMN sync.runs.db_tls_version IS 'TLS protocol version of the run''s database session (pg_stat_ssl.version, e.g. ''TLSv1.3''). NULL: no TLS, or not recorded.';
COMMENT ON COLUMN sync.runs.db_tls_cipher IS 'TLS cipher suite of the run''s database session (pg_stat_ssl.cipher, e.g. ''TLS_AES_256_GCM_SHA384''). NULL: no TLS, or not recorded.';
COMMENT ON COLUMN sync.runs.db_tls_bits IS 'Key length in bits of the cipher of the run''s database session (pg_stat_ssl.bits). NULL: no TLS, or not recorded.';
COMMENT ON COLUMN sync.runs.db_sslmode IS 'sslmode nb-exodus connected with: ''verify-full'' (certificate chain and host name checked) for every host that is not loopback, else the database URL''s own (sqlx default ''prefer''). Only verify-full proves the server''s identity. NULL: not recorded.';
COMMENT ON COLUMN sync.runs.db_insecure IS 'true: the run was started with --insecure-database-connection, so a remote database was reached without verifying its certificate (possibly in plaintext; see db_tls). false: no opt-out. NULL: not recorded.';
