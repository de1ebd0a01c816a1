//! MySQL and MariaDB databases, through the synchronous `mysql` driver (pure Rust: no C
//! library, no OpenSSL). `mariadb://` URLs are accepted as `mysql://`.
//!
//! **Reading.** Introspection reads `information_schema` with one query per kind of object
//! (tables, columns, keys and indexes, foreign keys, MariaDB's JSON checks) for the database
//! named in the URL. Rows are streamed in primary-key order over the binary protocol by a
//! reader thread, behind a channel of two batches (bounded memory, back-pressure), inside one
//! read-only transaction `WITH CONSISTENT SNAPSHOT`, so every table is read as of the same
//! moment. Values keep their exact meaning: unsigned `BIGINT` as `UInt`, `DECIMAL` as exact
//! text, `TIMESTAMP` in UTC.
//!
//! **Writing.** Everything is loaded into a staging database (`<db>__dm_stage`) with batched
//! multi-row prepared `INSERT`s and swapped into the target in one atomic `RENAME TABLE` at
//! commit; see [`write`] for the sequence. When the source is MySQL too
//! ([`crate::FileOptions::schema_source`]), each table is created from the source's own
//! `SHOW CREATE TABLE` (charsets, collations, defaults, `AUTO_INCREMENT`, checks, partitions);
//! otherwise from its [`datamask_core::TableSchema`] by the mapping in docs/databases.md.

use crate::FileOptions;
use datamask_core::{Result, Sink, Source};

#[cfg(feature = "mysql")]
mod conn;
#[cfg(feature = "mysql")]
mod ddl;
#[cfg(feature = "mysql")]
mod introspect;
#[cfg(feature = "mysql")]
mod lock;
#[cfg(feature = "mysql")]
mod objects;
#[cfg(feature = "mysql")]
mod read;
#[cfg(feature = "mysql")]
pub mod write;

#[cfg(feature = "mysql")]
pub use ddl::mysql_type;
#[cfg(feature = "mysql")]
pub use introspect::logical_type;
#[cfg(feature = "mysql")]
pub use lock::MysqlLock;
#[cfg(feature = "mysql")]
pub use read::MysqlSource;
#[cfg(feature = "mysql")]
pub use write::MysqlSink;

/// Opens a MySQL/MariaDB database for reading. A missing database is an error.
#[cfg(feature = "mysql")]
pub fn open_source(url: &str, options: &FileOptions) -> Result<Box<dyn Source + Send>> {
    Ok(Box::new(MysqlSource::open(url, options)?))
}

/// Opens a MySQL/MariaDB database for writing: nothing is visible there until
/// [`Sink::commit`]; the database is created then if it does not exist.
#[cfg(feature = "mysql")]
pub fn open_sink(url: &str, options: &FileOptions) -> Result<Box<dyn Sink + Send>> {
    Ok(Box::new(MysqlSink::open(url, options)?))
}

/// Checks that the server answers and accepts the login (`SELECT 1`), and that the URL names
/// a database that exists or that the user may create (a sink creates it).
#[cfg(feature = "mysql")]
pub fn probe(url: &str) -> Result<()> {
    use datamask_core::Error;
    use mysql::prelude::Queryable;
    let target = conn::Target::parse(url)?;
    let db = target.require_database()?.to_string();
    let mut c = target.connect()?;
    c.query_drop("SELECT 1")
        .map_err(|e| target.error("checking the connection", e))?;
    if conn::database_exists(&mut c, &db).map_err(|e| target.error("looking up the database", e))? {
        return Ok(());
    }
    // CREATE granted globally, or on a database pattern matching the name.
    let can_create = conn::rows(
        &mut c,
        "SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'CREATE' \
         AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', \
         SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') \
         UNION ALL SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES \
         WHERE PRIVILEGE_TYPE = 'CREATE' AND ? LIKE TABLE_SCHEMA \
         AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', \
         SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')",
        (&db,),
    )
    .map_err(|e| target.error("checking privileges", e))?;
    if can_create.is_empty() {
        return Err(Error::connector(
            conn::KIND,
            format!(
                "{}: database `{db}` does not exist and this user may not create it",
                target.redacted
            ),
        ));
    }
    Ok(())
}

#[cfg(not(feature = "mysql"))]
fn not_compiled(url: &str) -> datamask_core::Error {
    datamask_core::Error::Unsupported(format!(
        "{}: MySQL/MariaDB support is not compiled in (cargo feature `mysql`)",
        crate::redact_url(url)
    ))
}

/// Opens a MySQL/MariaDB database for reading.
#[cfg(not(feature = "mysql"))]
pub fn open_source(url: &str, _options: &FileOptions) -> Result<Box<dyn Source + Send>> {
    Err(not_compiled(url))
}

/// Opens a MySQL/MariaDB database for writing.
#[cfg(not(feature = "mysql"))]
pub fn open_sink(url: &str, _options: &FileOptions) -> Result<Box<dyn Sink + Send>> {
    Err(not_compiled(url))
}

/// Checks that the server answers.
#[cfg(not(feature = "mysql"))]
pub fn probe(url: &str) -> Result<()> {
    Err(not_compiled(url))
}
