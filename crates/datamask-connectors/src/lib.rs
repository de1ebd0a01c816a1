//! Sources and sinks for datamask: SQLite, CSV, JSON Lines and Parquet.
//!
//! Everything here implements the [`Source`] and [`Sink`] traits of `datamask-core`, so the
//! engine never knows which format or database it talks to. The entry points are
//! [`parse_location`] (what a URL or path names), [`open_source`] and [`open_sink`].
//!
//! Design choices, and why:
//! - **Atomic sinks.** A sink stages everything and publishes in [`Sink::commit`]: SQLite writes
//!   the whole run in one transaction; file sinks write `.NAME.datamask-tmp` beside the target
//!   and rename it into place. A killed run therefore leaves every target either as it was or
//!   complete (DESIGN.md, invariant 5).
//! - **Bounded memory.** Every reader streams batches; the SQLite reader runs on its own thread
//!   behind a channel of two batches, so a slow consumer applies back-pressure.
//! - **Lossless.** Values are read by what is actually stored (SQLite storage class, JSON kind),
//!   so an unmasked column round-trips exactly. The type mappings are in `docs/types.md`.
//! - **No secrets in messages.** URLs pass through [`redact_url`] before they reach any error.

pub mod checks;
pub mod csv;
pub mod dir;
pub mod jsonl;
pub mod location;
pub mod lock;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod staged;
mod threaded;

pub mod mysql;
pub mod postgres;

use datamask_core::{Error, Result, Sink, Source};

pub use location::{parse_location, redact_url, Format, Location};

/// Options for file sources and sinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    /// CSV field delimiter (default `,`).
    pub delimiter: u8,
    /// Whether CSV files have a header row (default true). Without one, columns are named
    /// `column_1`, `column_2`...
    pub header: bool,
    /// Rows per batch when a read does not say (default 10 000).
    pub batch_size: usize,
    /// For a database sink: the URL of the source database whose schema objects (types,
    /// defaults, constraints, views, functions, triggers, sequences, comments) should be
    /// recreated in the target when both are the same engine (PostgreSQL: `pg_dump
    /// --schema-only`). `None` (the default) creates tables from their `TableSchema` only.
    pub schema_source: Option<String>,
    /// For a database source: a snapshot exported by another source of the same database
    /// ([`Source::export_snapshot`]) that this one's reads join, so tables read on several
    /// connections see one consistent state (PostgreSQL `SET TRANSACTION SNAPSHOT`).
    pub snapshot: Option<String>,
    /// For a database sink: mask the database where it stands (`mode: in_place`). The sink
    /// stages the masked rows and, at commit, replaces the rows of each written table in one
    /// transaction, keeping tables, keys, indexes, triggers and grants (see docs/databases.md).
    pub in_place: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            delimiter: b',',
            header: true,
            batch_size: 10_000,
            schema_source: None,
            snapshot: None,
            in_place: false,
        }
    }
}

impl FileOptions {
    pub(crate) fn batch_size_or(&self, requested: usize) -> usize {
        if requested > 0 {
            requested
        } else if self.batch_size > 0 {
            self.batch_size
        } else {
            10_000
        }
    }
}

/// Fails with a clear error naming `location` when there is nothing to read there.
///
/// Opening a source never creates anything: a missing SQLite file is an error, not a new empty
/// database.
pub fn ensure_source_exists(location: &Location) -> Result<()> {
    let (path, want_dir) = match location {
        Location::Sqlite(p) => (p, false),
        Location::File { path, .. } => (path, false),
        Location::Dir { path, .. } => (path, true),
        Location::Postgres(_) | Location::Mysql(_) => return Ok(()),
    };
    let not_found = |what: &str| {
        Error::io(
            path.clone(),
            std::io::Error::new(std::io::ErrorKind::NotFound, format!("no such {what}")),
        )
    };
    match std::fs::metadata(path) {
        Ok(m) if want_dir && !m.is_dir() => Err(not_found("directory")),
        Ok(m) if !want_dir && m.is_dir() => Err(Error::io(
            path.clone(),
            std::io::Error::other("is a directory, expected a file"),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(not_found(if want_dir { "directory" } else { "file" }))
        }
        Err(e) => Err(Error::io(path.clone(), e)),
    }
}

/// Turns a "next batch" function into a batch iterator that ends after the input ends or after
/// the first error (a reader cannot sensibly continue past malformed input).
pub(crate) fn batch_iter<'a>(
    mut next_batch: impl FnMut() -> Result<Option<datamask_core::Batch>> + 'a,
) -> datamask_core::BatchIter<'a> {
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let item = next_batch().transpose();
        done = !matches!(item, Some(Ok(_)));
        item
    }))
}

/// Opens `location` for reading.
pub fn open_source(location: &Location, options: &FileOptions) -> Result<Box<dyn Source + Send>> {
    ensure_source_exists(location)?;
    match location {
        #[cfg(feature = "sqlite")]
        Location::Sqlite(path) => sqlite::SqliteSource::open(path),
        #[cfg(not(feature = "sqlite"))]
        Location::Sqlite(_) => Err(Error::Unsupported(
            "SQLite support is not compiled in (cargo feature `sqlite`)".into(),
        )),
        Location::File { path, format } => Ok(Box::new(dir::FileSource::single(
            path.clone(),
            *format,
            options.clone(),
        )?)),
        Location::Dir { path, .. } => {
            Ok(Box::new(dir::FileSource::directory(path, options.clone())?))
        }
        Location::Postgres(url) => postgres::open_source(url, options),
        Location::Mysql(url) => mysql::open_source(url, options),
    }
}

/// Opens `location` for writing. Nothing is visible there until [`Sink::commit`].
pub fn open_sink(location: &Location, options: &FileOptions) -> Result<Box<dyn Sink + Send>> {
    match location {
        #[cfg(feature = "sqlite")]
        Location::Sqlite(path) if options.in_place => sqlite::SqliteSink::open_in_place(path),
        #[cfg(feature = "sqlite")]
        Location::Sqlite(path) => sqlite::SqliteSink::open(path),
        #[cfg(not(feature = "sqlite"))]
        Location::Sqlite(_) => Err(Error::Unsupported(
            "SQLite support is not compiled in (cargo feature `sqlite`)".into(),
        )),
        Location::File { .. } | Location::Dir { .. } if options.in_place => {
            Err(Error::Unsupported(
                "in-place mode needs a database (PostgreSQL, MySQL/MariaDB or SQLite)".into(),
            ))
        }
        Location::File { path, format } => Ok(Box::new(dir::FileSink::single(
            path.clone(),
            *format,
            options.clone(),
        )?)),
        Location::Dir { path, format } => {
            let format = format.ok_or_else(|| {
                Error::Unsupported(format!(
                    "{}: a directory target needs a format (csv, jsonl or parquet)",
                    path.display()
                ))
            })?;
            Ok(Box::new(dir::FileSink::directory(
                path.clone(),
                format,
                options.clone(),
            )?))
        }
        Location::Postgres(url) => postgres::open_sink(url, options),
        Location::Mysql(url) => mysql::open_sink(url, options),
    }
}

/// Checks that `location` can be reached (a database answers; a file target's directory
/// exists) without reading or writing any data.
pub fn probe(location: &Location) -> Result<()> {
    match location {
        Location::Postgres(url) => postgres::probe(url),
        Location::Mysql(url) => mysql::probe(url),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(all(feature = "sqlite", feature = "parquet"))]
    use datamask_core::{source::ReadOptions, Value};

    #[cfg(all(feature = "sqlite", feature = "parquet"))]
    fn copy_all(from: &Location, to: &Location) -> Result<()> {
        let options = FileOptions::default();
        let mut source = open_source(from, &options)?;
        let mut sink = open_sink(to, &options)?;
        for table in source.tables()? {
            let mut writer = sink.table(&table)?;
            for batch in source.read(&table, &ReadOptions::default())? {
                writer.write(&batch?)?;
            }
            writer.finish()?;
        }
        sink.commit()
    }

    #[cfg(all(feature = "sqlite", feature = "parquet"))]
    fn dump(location: &Location) -> Vec<(String, Vec<Vec<Value>>)> {
        let mut source = open_source(location, &FileOptions::default()).unwrap();
        let mut out = Vec::new();
        for table in source.tables().unwrap() {
            let mut rows = Vec::new();
            for batch in source.read(&table, &ReadOptions::default()).unwrap() {
                let batch = batch.unwrap();
                rows.extend((0..batch.len()).map(|r| batch.row(r).cloned().collect()));
            }
            out.push((table.name.clone(), rows));
        }
        out
    }

    #[test]
    fn missing_sources_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        for url in ["sqlite://missing.db", "missing.csv", "missing/"] {
            let loc = parse_location(url, None).unwrap().resolve(dir.path());
            let err = open_source(&loc, &FileOptions::default())
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains("missing"), "{url}: {err}");
        }
        assert!(!dir.path().join("missing.db").exists());
    }

    #[test]
    fn directory_target_needs_format() {
        let dir = tempfile::tempdir().unwrap();
        let loc = parse_location("out/", None).unwrap().resolve(dir.path());
        assert!(open_sink(&loc, &FileOptions::default()).is_err());
    }

    #[cfg(all(feature = "sqlite", feature = "parquet"))]
    #[test]
    fn sqlite_to_files_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("src.db");
        {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.execute_batch(
                "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, score REAL);
                 INSERT INTO a VALUES (2, 'x,y', 1.5), (1, NULL, -2.0);
                 CREATE TABLE b (k TEXT, v BLOB);
                 INSERT INTO b VALUES ('k', x'0001');",
            )
            .unwrap();
        }
        let src = Location::Sqlite(db);
        let original = dump(&src);
        for format in [Format::Csv, Format::Jsonl, Format::Parquet] {
            let out = Location::Dir {
                path: dir.path().join(format!("out-{format}")),
                format: Some(format),
            };
            copy_all(&src, &out).unwrap();
            let back = dump(&out);
            assert_eq!(back.len(), 2, "{format}");
            assert_eq!(back[0].0, "a");
            assert_eq!(back[0].1.len(), 2);
            if format == Format::Parquet {
                // Parquet keeps types, so values survive exactly.
                assert_eq!(back[0].1, original[0].1);
            }
            // And back into SQLite.
            let db2 = Location::Sqlite(dir.path().join(format!("back-{format}.db")));
            copy_all(&out, &db2).unwrap();
            assert_eq!(dump(&db2)[0].1.len(), 2);
        }
    }
}
