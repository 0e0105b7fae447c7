//! Database faults: whether a failed statement can succeed if tried again after a pause.
//!
//! A restarted or crashed server, a failover, a dropped connection, a serialization failure or
//! a deadlock are *transient*: the page transaction is rolled back, so it is simply run again
//! (every write is an idempotent upsert) once the database answers. A full disk, a read-only
//! database that stays read-only, a missing privilege or a value the server refuses are
//! *fatal*: retrying cannot help, and the run stops with one line naming the fix. One pure,
//! table-tested function decides ([`classify`]), like [`crate::fetch::retry::classify`] does for
//! HTTP; the retry loop itself bounds how long a transient fault may last ([`RetryPolicy`]).

use std::time::Duration;

/// The verdict on a failed statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFault {
    /// Try again after a pause (the database is restarting, failing over, or the
    /// transaction lost a race).
    Transient,
    /// Retrying cannot help.
    Fatal,
}

/// Classifies a driver error.
pub fn classify(err: &sqlx::Error) -> DbFault {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            DbFault::Transient
        }
        // A TLS failure on reconnect is a configuration problem, not an outage.
        sqlx::Error::Tls(_) => DbFault::Fatal,
        sqlx::Error::Protocol(_) => DbFault::Transient,
        sqlx::Error::Database(db) => classify_code(db.code().as_deref().unwrap_or("")),
        _ => DbFault::Fatal,
    }
}

/// Classifies a SQLSTATE.
pub fn classify_code(code: &str) -> DbFault {
    match code {
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => DbFault::Transient,
        // admin_shutdown, crash_shutdown, cannot_connect_now, idle_session_timeout
        "57P01" | "57P02" | "57P03" | "57P05" => DbFault::Transient,
        // read_only_sql_transaction: a failover may have left us on the old primary for a
        // moment; the retry window decides whether it was one
        "25006" => DbFault::Transient,
        // lock_not_available (our lock_timeout while a previous attempt's transaction ends)
        "55P03" => DbFault::Transient,
        // too_many_connections during a restart storm
        "53300" => DbFault::Transient,
        // connection_exception class
        c if c.starts_with("08") => DbFault::Transient,
        _ => DbFault::Fatal,
    }
}

/// Whether `err` is worth retrying.
pub fn is_transient(err: &sqlx::Error) -> bool {
    classify(err) == DbFault::Transient
}

/// What a fatal database error means for the user, when it has a known fix: a full disk, a
/// read-only database, a missing privilege.
pub fn advice(err: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    match db.code().as_deref()? {
        "53100" => Some("the database server's disk is full: free space on it, then run the same command again to resume"),
        "25006" => Some("the database is read-only: point --database-url at the primary (read-write) server, then run the same command again to resume"),
        "42501" => Some("the database role lacks a privilege nb-exodus needs: see the README's section on privileges, GRANT it, then run the same command again"),
        "53200" => Some("the database server is out of memory: then run the same command again to resume"),
        _ => None,
    }
}

/// How long transient database faults are ridden out before the run stops (resumably).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The longest outage ridden through.
    pub window: Duration,
    /// The first pause; it doubles up to [`RetryPolicy::max_pause`].
    pub first_pause: Duration,
    /// The longest single pause.
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(60),
            first_pause: Duration::from_millis(200),
            max_pause: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `n` (2-based: the first retry).
    pub fn pause(&self, retry: u32) -> Duration {
        let exp = self
            .first_pause
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        exp.min(self.max_pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_classified() {
        let cases = [
            ("40001", DbFault::Transient),
            ("40P01", DbFault::Transient),
            ("57P01", DbFault::Transient),
            ("57P02", DbFault::Transient),
            ("57P03", DbFault::Transient),
            ("08006", DbFault::Transient),
            ("08001", DbFault::Transient),
            ("25006", DbFault::Transient),
            ("53100", DbFault::Fatal),
            ("42501", DbFault::Fatal),
            ("22P02", DbFault::Fatal),
            ("23505", DbFault::Fatal),
            ("54000", DbFault::Fatal),
            ("", DbFault::Fatal),
        ];
        for (code, want) in cases {
            assert_eq!(classify_code(code), want, "{code}");
        }
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&io), DbFault::Transient);
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), DbFault::Transient);
        assert_eq!(classify(&sqlx::Error::RowNotFound), DbFault::Fatal);
    }

    #[test]
    fn pauses_grow_and_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.pause(1), Duration::from_millis(200));
        assert_eq!(p.pause(2), Duration::from_millis(400));
        assert_eq!(p.pause(30), Duration::from_secs(5));
    }
}
