//! Run locks: one datamask run per target at a time.
//!
//! Two runs writing the same target at once would interleave their staging and swaps, so a
//! run holds a lock on its target from before it looks at the target until its manifest is
//! written, and a second run is refused with a message naming the first. The lock lives where
//! every writer of the target can see it:
//!
//! - **PostgreSQL:** a session-level advisory lock (`pg_try_advisory_lock`) taken on a
//!   dedicated connection to the server's `postgres` database (the target database may not exist
//!   yet), keyed by the target database's name. The holder's `application_name` names the run,
//!   so a refused run can read it from `pg_stat_activity`.
//! - **MySQL/MariaDB:** a named lock (`GET_LOCK`, the same mechanism the sink uses for its
//!   staging database) on a dedicated connection; the holder's description is kept in a one-row
//!   table of the helper database `<db>__dm_lock`, dropped when the lock is released.
//! - **Files and SQLite:** an exclusive `flock` on `.NAME.datamask-lock` beside the target. The
//!   operating system releases it when the process dies, so a killed run never blocks the next
//!   one; the file holds the holder's description and is removed on release.
//!
//! Database locks are released by the server when the connection closes, so they cannot go
//! stale either.

use crate::Location;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Who holds (or asks for) a lock: one line, shown to the run that is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub run_id: String,
    pub actor: String,
    pub host: String,
    pub pid: u32,
    /// RFC 3339, UTC.
    pub started: String,
}

impl Holder {
    /// `run R by ACTOR@HOST (pid N, started T)`.
    pub fn describe(&self) -> String {
        format!(
            "run {} by {}@{} (pid {}, started {})",
            self.run_id, self.actor, self.host, self.pid, self.started
        )
    }

    /// A form that fits PostgreSQL's 63-byte `application_name`: `datamask run R ACTOR@HOST`,
    /// cut at a character boundary.
    pub fn short(&self) -> String {
        let full = format!("datamask run {} {}@{}", self.run_id, self.actor, self.host);
        let mut out = String::new();
        for c in full.chars() {
            if out.len() + c.len_utf8() > 63 {
                break;
            }
            out.push(c);
        }
        out
    }
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the lock. `holder` describes it when it could be found out.
    #[error("another datamask run is writing to {target}: {}\n  = help: wait for it to finish, then run again", .holder.as_deref().unwrap_or("its details are not available"))]
    Busy {
        target: String,
        holder: Option<String>,
    },
    /// The lock could not be attempted (server unreachable, directory not writable...).
    #[error(transparent)]
    Failed(#[from] datamask_core::Error),
}

/// A held run lock; dropping it releases the lock.
pub struct RunLock {
    inner: Inner,
}

enum Inner {
    File(FileLock),
    #[cfg(feature = "postgres")]
    Postgres(Box<crate::postgres::PgLock>),
    #[cfg(feature = "mysql")]
    Mysql(Box<crate::mysql::MysqlLock>),
}

impl std::fmt::Debug for RunLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.inner {
            Inner::File(l) => format!("file {}", l.path.display()),
            #[cfg(feature = "postgres")]
            Inner::Postgres(l) => l.describe(),
            #[cfg(feature = "mysql")]
            Inner::Mysql(l) => l.describe(),
        };
        write!(f, "RunLock({kind})")
    }
}

/// Takes the run lock of `target` without waiting: a lock held by another run is
/// [`LockError::Busy`] at once.
pub fn acquire(target: &Location, holder: &Holder) -> Result<RunLock, LockError> {
    let inner = match target {
        Location::Postgres(url) => postgres_lock(url, holder)?,
        Location::Mysql(url) => mysql_lock(url, holder)?,
        other => {
            let path = other.path().unwrap_or(Path::new("."));
            Inner::File(FileLock::acquire(
                &lock_path(path),
                &other.to_string(),
                holder,
            )?)
        }
    };
    Ok(RunLock { inner })
}

#[cfg(feature = "postgres")]
fn postgres_lock(url: &str, holder: &Holder) -> Result<Inner, LockError> {
    Ok(Inner::Postgres(Box::new(crate::postgres::PgLock::acquire(
        url, holder,
    )?)))
}

#[cfg(not(feature = "postgres"))]
fn postgres_lock(url: &str, _holder: &Holder) -> Result<Inner, LockError> {
    Err(not_compiled(url, "PostgreSQL", "postgres"))
}

#[cfg(feature = "mysql")]
fn mysql_lock(url: &str, holder: &Holder) -> Result<Inner, LockError> {
    Ok(Inner::Mysql(Box::new(crate::mysql::MysqlLock::acquire(
        url, holder,
    )?)))
}

#[cfg(not(feature = "mysql"))]
fn mysql_lock(url: &str, _holder: &Holder) -> Result<Inner, LockError> {
    Err(not_compiled(url, "MySQL", "mysql"))
}

#[cfg(not(all(feature = "postgres", feature = "mysql")))]
fn not_compiled(url: &str, what: &str, feature: &str) -> LockError {
    LockError::Failed(datamask_core::Error::Unsupported(format!(
        "{}: {what} support is not compiled in (cargo feature `{feature}`)",
        crate::redact_url(url)
    )))
}

/// `dir/.NAME.datamask-lock` for a file or directory `dir/NAME`; `PATH/.datamask-lock` for a
/// path with no name (`.`).
pub fn lock_path(target: &Path) -> PathBuf {
    match target.file_name() {
        Some(name) => target.with_file_name(format!(".{}.datamask-lock", name.to_string_lossy())),
        None => target.join(".datamask-lock"),
    }
}

/// An exclusive `flock` on a lock file, removed on release.
struct FileLock {
    path: PathBuf,
    file: File,
}

impl FileLock {
    /// Opens (or creates) the lock file and locks it; retries when the file was removed or
    /// replaced between opening and locking (a previous holder releasing it).
    fn acquire(path: &Path, target: &str, holder: &Holder) -> Result<FileLock, LockError> {
        let io = |e| LockError::Failed(datamask_core::Error::io(path, e));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    let text = text.trim();
                    return Err(LockError::Busy {
                        target: target.to_string(),
                        holder: (!text.is_empty()).then(|| text.to_string()),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            if !same_file(&file, path) {
                continue;
            }
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            file.write_all(format!("{}\n", holder.describe()).as_bytes())
                .and_then(|()| file.flush())
                .map_err(io)?;
            return Ok(FileLock {
                path: path.to_path_buf(),
                file,
            });
        }
    }
}

/// True when `path` still names the file `file` is open on.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Removed while still locked, so a run that opened the old file finds it replaced and
        // retries (see `acquire`); the lock itself goes with the file handle.
        if cfg!(unix) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(run: &str) -> Holder {
        Holder {
            run_id: run.into(),
            actor: "alice".into(),
            host: "box".into(),
            pid: 42,
            started: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn second_lock_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let target = Location::Sqlite(dir.path().join("out.db"));
        let first = acquire(&target, &holder("r1")).unwrap();
        match acquire(&target, &holder("r2")) {
            Err(LockError::Busy { holder, target }) => {
                assert!(holder.unwrap().contains("run r1 by alice@box"));
                assert!(target.contains("out.db"));
            }
            other => panic!("expected busy, got {other:?}"),
        }
        drop(first);
        assert!(!dir.path().join(".out.db.datamask-lock").exists());
        let again = acquire(&target, &holder("r3")).unwrap();
        drop(again);
    }

    #[test]
    fn a_stale_lock_file_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let target = Location::Dir {
            path: dir.path().join("out"),
            format: None,
        };
        // What a killed run leaves: the file with its description, but no lock on it.
        std::fs::write(dir.path().join(".out.datamask-lock"), "run dead by x@y\n").unwrap();
        let lock = acquire(&target, &holder("r1")).unwrap();
        let text = std::fs::read_to_string(dir.path().join(".out.datamask-lock")).unwrap();
        assert!(text.starts_with("run r1 "), "{text}");
        drop(lock);
    }

    #[test]
    fn short_form_fits_application_name() {
        let mut h = holder("20261121T165911Z-9d5ac5da");
        h.host = "a-very-long-host-name.example.internal.corp".into();
        assert!(h.short().len() <= 63);
        assert!(h
            .short()
            .starts_with("datamask run 20261121T165911Z-9d5ac5da alice@"));
    }
}
