//! The run lock of a MySQL/MariaDB target: a named lock (see [`crate::lock`]).

use super::conn::{fit_ident, quote, Target};
use super::write::helper_database;
use crate::lock::{Holder, LockError};
use mysql::prelude::Queryable;
use mysql::Conn;

/// Holds `GET_LOCK('datamask:run:<db>')` on its own connection. MySQL releases named locks
/// when the connection closes, so dropping this (or the process dying) frees it. Named locks
/// are invisible to other sessions, so the holder's description is kept in a one-row table of
/// the helper database `<db>__dm_lock`, where a refused run reads it.
pub struct MysqlLock {
    conn: Conn,
    name: String,
    info_db: String,
}

impl MysqlLock {
    /// Takes the lock for the database of `url` without waiting.
    pub(crate) fn acquire(url: &str, holder: &Holder) -> Result<MysqlLock, LockError> {
        let target = Target::parse(url)?;
        let database = target.require_database()?.to_string();
        let mut conn = target.connect()?;
        let name = fit_ident(&format!("datamask:run:{database}"));
        let info_db = helper_database(&database, "lock");
        let got: Option<Option<i64>> = conn
            .exec_first("SELECT GET_LOCK(?, 0)", (&name,))
            .map_err(|e| target.error("taking the run lock", e))?;
        if got.flatten() != Some(1) {
            let sql = format!("SELECT holder FROM {}.holder WHERE id = 1", quote(&info_db));
            let holder: Option<String> = conn.query_first(sql).ok().flatten();
            return Err(LockError::Busy {
                target: target.redacted.clone(),
                holder,
            });
        }
        let record = [
            format!("CREATE DATABASE IF NOT EXISTS {}", quote(&info_db)),
            format!(
                "CREATE TABLE IF NOT EXISTS {}.holder (id INT PRIMARY KEY, holder VARCHAR(1024))",
                quote(&info_db)
            ),
        ];
        for sql in &record {
            conn.query_drop(sql)
                .map_err(|e| target.error("recording the run lock's holder", e))?;
        }
        conn.exec_drop(
            format!("REPLACE INTO {}.holder VALUES (1, ?)", quote(&info_db)),
            (holder.describe(),),
        )
        .map_err(|e| target.error("recording the run lock's holder", e))?;
        Ok(MysqlLock {
            conn,
            name,
            info_db,
        })
    }
}

impl MysqlLock {
    /// The lock's name, for debugging output.
    pub fn describe(&self) -> String {
        format!("mysql named lock `{}`", self.name)
    }
}

impl Drop for MysqlLock {
    fn drop(&mut self) {
        let _ = self
            .conn
            .query_drop(format!("DROP DATABASE IF EXISTS {}", quote(&self.info_db)));
        let _ = self.conn.exec_drop("SELECT RELEASE_LOCK(?)", (&self.name,));
    }
}
