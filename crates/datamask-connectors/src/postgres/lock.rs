//! The run lock of a PostgreSQL target: a session advisory lock (see [`crate::lock`]).

use super::conn::Target;
use crate::lock::{Holder, LockError};
use postgres::Client;

/// First half of the advisory lock key: "dmsk", so datamask's locks are recognisable in
/// `pg_locks` and do not collide with an application's single-key locks.
const CLASS: i32 = 0x646d_736b;

/// Holds `pg_try_advisory_lock(CLASS, hash(database))` on its own connection; the server
/// releases it when the connection closes, so dropping this (or the process dying) frees it.
pub struct PgLock {
    client: Client,
    key: (i32, i32),
}

/// The second half of the key: 31 bits of BLAKE3 of the target database's name.
fn object_key(dbname: &str) -> i32 {
    let h = blake3::hash(format!("datamask run lock {dbname}").as_bytes());
    let b = h.as_bytes();
    i32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]])
}

impl PgLock {
    /// Takes the lock for the database of `url`, on a connection to the server's `postgres`
    /// database (the target database may not exist yet, and every run must lock in the same
    /// database); falls back to the target database itself when `postgres` is not reachable.
    pub(crate) fn acquire(url: &str, holder: &Holder) -> Result<PgLock, LockError> {
        let target = Target::parse(url)?;
        let dbname = target.dbname();
        let mut lock_target = target.with_dbname("postgres");
        lock_target.config.application_name(holder.short());
        let mut client = match lock_target.connect() {
            Ok(c) => c,
            Err(_) => {
                lock_target = target.clone();
                lock_target.config.application_name(holder.short());
                lock_target.connect()?
            }
        };
        let key = (CLASS, object_key(&dbname));
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&key.0, &key.1])
            .map_err(|e| target.error_in("taking the run lock", e))?
            .get(0);
        if got {
            return Ok(PgLock { client, key });
        }
        let holder = client
            .query_opt(
                "SELECT a.application_name, to_char(a.backend_start AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(host(a.client_addr), 'a local socket') \
                 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
                 AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid \
                 AND l.database = (SELECT oid FROM pg_catalog.pg_database \
                                   WHERE datname = current_database()) LIMIT 1",
                &[&key.0, &key.1],
            )
            .ok()
            .flatten()
            .map(|row| {
                let name: Option<String> = row.get(0);
                let since: Option<String> = row.get(1);
                let from: Option<String> = row.get(2);
                format!(
                    "{} (connected from {} since {})",
                    name.filter(|n| !n.is_empty())
                        .unwrap_or_else(|| "an unnamed session".into()),
                    from.unwrap_or_default(),
                    since.unwrap_or_default()
                )
            });
        Err(LockError::Busy {
            target: target.display.clone(),
            holder,
        })
    }
}

impl PgLock {
    /// The lock's key, for debugging output.
    pub fn describe(&self) -> String {
        format!("postgres advisory lock ({}, {})", self.key.0, self.key.1)
    }
}

impl Drop for PgLock {
    fn drop(&mut self) {
        let _ = self.client.execute(
            "SELECT pg_advisory_unlock($1, $2)",
            &[&self.key.0, &self.key.1],
        );
    }
}
