//! PostgreSQL source and sink, through the synchronous `postgres` crate (cargo feature
//! `postgres`, on by default).
//!
//! **Reading.** Introspection is a handful of catalog queries, one per kind of object (tables,
//! columns, domains, constraints, indexes), never one per table, so a schema with thousands of
//! tables introspects in a few round trips. Tables of every non-system schema are listed with
//! schema-qualified names (`public.customers`); a partitioned table is listed once, as its
//! parent, and read through the parent. Rows are streamed by `COPY (SELECT ...) TO STDOUT
//! (FORMAT binary)` on a reader thread with its own connection (driven by a single-threaded
//! tokio runtime, rows parsed straight from the protocol messages), behind a channel of two batches
//! (bounded memory, back-pressure), in primary-key order when the table has one. Types with no
//! logical counterpart (interval, inet, arrays, enums, ranges...) are read through a `::text`
//! cast and written back as text, which PostgreSQL parses again: lossless.
//!
//! **Writing.** The whole run is one transaction on one connection. PostgreSQL DDL is
//! transactional, so tables are dropped, re-created and loaded (`COPY ... FROM STDIN`, binary
//! while the values have a binary form, by a loader thread that holds the connection for the
//! table) inside it;
//! indexes and constraints are added after the data; sequences are moved past the loaded keys;
//! everything becomes visible at [`Sink::commit`](datamask_core::Sink::commit). A dropped sink
//! or a killed process rolls back. When [`FileOptions::schema_source`] names a PostgreSQL
//! database, its schema (`pg_dump --schema-only`: types, domains, defaults, checks, sequences,
//! views, functions, triggers, comments...) is replayed in the same transaction around the load.
//!
//! **Connections** use TLS as libpq's `sslmode` says (rustls; `prefer` by default, see
//! `tls.rs`). Passwords never appear in messages
//! ([`crate::redact_url`]), and database errors are reported without the row values PostgreSQL
//! puts in its `DETAIL` lines.

use crate::FileOptions;
use datamask_core::{Result, Sink, Source};

#[cfg(feature = "postgres")]
mod binary;
#[cfg(feature = "postgres")]
mod conn;
#[cfg(feature = "postgres")]
mod dump;
#[cfg(feature = "postgres")]
mod introspect;
#[cfg(feature = "postgres")]
mod load;
#[cfg(feature = "postgres")]
mod lock;
#[cfg(feature = "postgres")]
mod read;
#[cfg(feature = "postgres")]
mod tls;
#[cfg(feature = "postgres")]
pub mod types;
#[cfg(feature = "postgres")]
mod write;

#[cfg(feature = "postgres")]
pub use lock::PgLock;
#[cfg(feature = "postgres")]
pub use read::PgSource;
#[cfg(feature = "postgres")]
pub use write::PgSink;

/// Opens a PostgreSQL database for reading.
#[cfg(feature = "postgres")]
pub fn open_source(url: &str, options: &FileOptions) -> Result<Box<dyn Source + Send>> {
    Ok(Box::new(PgSource::open(url, options)?))
}

/// Opens a PostgreSQL database for writing. The database is created if it does not exist.
#[cfg(feature = "postgres")]
pub fn open_sink(url: &str, options: &FileOptions) -> Result<Box<dyn Sink + Send>> {
    Ok(Box::new(PgSink::open(url, options)?))
}

/// Checks that the server answers and the database exists: connects and runs `SELECT 1`.
#[cfg(feature = "postgres")]
pub fn probe(url: &str) -> Result<()> {
    let target = conn::Target::parse(url)?;
    let mut client = target.connect()?;
    client
        .batch_execute("SELECT 1")
        .map_err(|e| target.error(e))?;
    Ok(())
}

/// Checks a *target*: like [`probe`], except that a database that does not exist yet is fine
/// when the server answers and the user may create it (the sink creates it on open). Returns
/// `Ok(true)` when the database exists, `Ok(false)` when it will be created.
#[cfg(feature = "postgres")]
pub fn probe_target(url: &str) -> Result<bool> {
    use ::postgres::error::SqlState;
    let target = conn::Target::parse(url)?;
    match target.try_connect() {
        Ok(mut client) => {
            client
                .batch_execute("SELECT 1")
                .map_err(|e| target.error(e))?;
            Ok(true)
        }
        Err(e) if conn::sqlstate(&e) == Some(&SqlState::INVALID_CATALOG_NAME) => {
            let maintenance = target.with_dbname("postgres");
            let mut client = maintenance.connect()?;
            let may_create: bool = client
                .query_one(
                    "SELECT rolcreatedb OR rolsuper FROM pg_catalog.pg_roles \
                     WHERE rolname = current_user",
                    &[],
                )
                .map_err(|e| maintenance.error(e))?
                .get(0);
            if may_create {
                Ok(false)
            } else {
                Err(datamask_core::Error::connector(
                    conn::KIND,
                    format!(
                        "{}: database `{}` does not exist and this user may not create it \
                         (CREATEDB); create it first",
                        target.display,
                        target.dbname()
                    ),
                ))
            }
        }
        Err(e) => Err(target.error(e)),
    }
}

#[cfg(not(feature = "postgres"))]
fn not_compiled(url: &str) -> datamask_core::Error {
    datamask_core::Error::Unsupported(format!(
        "{}: PostgreSQL support is not compiled in (cargo feature `postgres`)",
        crate::redact_url(url)
    ))
}

/// Opens a PostgreSQL database for reading.
#[cfg(not(feature = "postgres"))]
pub fn open_source(url: &str, _options: &FileOptions) -> Result<Box<dyn Source + Send>> {
    Err(not_compiled(url))
}

/// Opens a PostgreSQL database for writing.
#[cfg(not(feature = "postgres"))]
pub fn open_sink(url: &str, _options: &FileOptions) -> Result<Box<dyn Sink + Send>> {
    Err(not_compiled(url))
}

/// Checks that the server answers.
#[cfg(not(feature = "postgres"))]
pub fn probe(url: &str) -> Result<()> {
    Err(not_compiled(url))
}

/// Checks a target.
#[cfg(not(feature = "postgres"))]
pub fn probe_target(url: &str) -> Result<bool> {
    Err(not_compiled(url))
}
