//! The `Source` trait: where data comes from.

use crate::batch::Batch;
use crate::error::{Error, Result};
use crate::schema::TableSchema;

/// A stream of batches. Sources produce batches lazily so memory stays bounded.
pub type BatchIter<'a> = Box<dyn Iterator<Item = Result<Batch>> + 'a>;

/// Options for reading one table.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Rows per batch.
    pub batch_size: usize,
    /// An optional row filter in the source's own dialect (SQL sources only).
    pub filter: Option<String>,
}

/// Constraints a database enforces on the rows of a table: a verifier may rely on them instead
/// of checking every row again (the database refused any row that broke them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enforced {
    /// Column sets under a valid primary key or unique index (plain columns, no predicate).
    pub unique: Vec<Vec<String>>,
    /// Columns declared NOT NULL.
    pub not_null: Vec<String>,
    /// Validated foreign keys: columns, referenced table, referenced columns.
    pub foreign_keys: Vec<(Vec<String>, String, Vec<String>)>,
}

/// A readable dataset: a database or a set of files.
///
/// Introspection comes first (`tables`), so planning and `check` can work from schemas alone.
pub trait Source {
    /// A short name for messages (`sqlite`, `csv`...).
    fn kind(&self) -> &'static str;
    /// Every table with its columns, keys and constraints, in a stable order.
    fn tables(&mut self) -> Result<Vec<TableSchema>>;
    /// A cheap row-count estimate, when the source has one.
    fn estimate_rows(&mut self, _table: &TableSchema) -> Result<Option<u64>> {
        Ok(None)
    }
    /// Streams the rows of `table` in source order.
    fn read<'a>(&'a mut self, table: &TableSchema, options: &ReadOptions) -> Result<BatchIter<'a>>;

    /// Streams the rows of `table` in whatever order is cheapest to produce, the same order
    /// on every read of an unchanged table, for readers that match rows by key (the
    /// verifier). A database walks its storage instead of the primary key's index or a sort;
    /// the default is [`Source::read`].
    fn read_unordered<'a>(
        &'a mut self,
        table: &TableSchema,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        self.read(table, options)
    }

    /// Reads at most `rows` rows of `table` for discovery, deterministically and without
    /// reading the rest of the table.
    ///
    /// The default takes the first rows of [`Source::read`] and then drops the stream, which is
    /// right for sources that read lazily (files): nothing past those rows is read. Database
    /// sources override it with a `LIMIT` on their ordered read (primary-key or rowid order),
    /// so the server stops after `rows` rows as well.
    fn sample<'a>(&'a mut self, table: &TableSchema, rows: usize) -> Result<BatchIter<'a>> {
        let options = ReadOptions {
            batch_size: rows.clamp(1, 10_000),
            filter: None,
        };
        let batches = self.read(table, &options)?;
        Ok(limit_rows(batches, rows))
    }

    /// The shape of a SQL query's result, as a table called `name` (for `query:` entries in
    /// the config). Sources that do not speak SQL say so.
    fn describe_query(&mut self, name: &str, _sql: &str) -> Result<TableSchema> {
        Err(Error::Unsupported(format!(
            "`{name}`: {} sources do not run SQL queries; use a database source",
            self.kind()
        )))
    }

    /// Streams the rows of a query described by [`Source::describe_query`].
    fn read_query<'a>(
        &'a mut self,
        table: &TableSchema,
        _sql: &str,
        _options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        Err(Error::Unsupported(format!(
            "`{}`: {} sources do not run SQL queries",
            table.name,
            self.kind()
        )))
    }

    /// Pins the state this source reads to a snapshot that other sources of the same database
    /// can join (they are opened with the returned token), so that tables read in parallel on
    /// several connections are read as of one moment. `None` when the source has no such
    /// thing (files; MySQL, whose snapshots cannot be shared). The snapshot lives as long as
    /// this source: keep it open until the other sources have started reading.
    fn export_snapshot(&mut self) -> Result<Option<String>> {
        Ok(None)
    }

    /// The constraints this source guarantees for `table`'s rows. Only a database that checks
    /// every row against a declared constraint, always, reports it (PostgreSQL); the default
    /// is none, for files, and for engines where loads can skip checks (SQLite and MySQL
    /// foreign keys can be switched off, MySQL `unique_checks` too).
    fn enforced(&mut self, _table: &TableSchema) -> Result<Enforced> {
        Ok(Enforced::default())
    }

    /// The exact number of rows of `table`, when the source counts them without streaming them
    /// (a database's `count(*)`); `None` otherwise.
    fn count_rows(&mut self, _table: &TableSchema) -> Result<Option<u64>> {
        Ok(None)
    }

    /// A [`ReadOptions::filter`] that keeps the rows whose `column` equals one of `keys` (in
    /// their text form), in this source's dialect; `None` when the source cannot filter.
    fn key_filter(&self, _column: &str, _keys: &[&str]) -> Option<String> {
        None
    }
}

/// Truncates a batch stream after `rows` rows; the inner stream is dropped as soon as the last
/// wanted row has been seen, so a lazy reader stops reading there.
pub fn limit_rows<'a>(batches: BatchIter<'a>, rows: usize) -> BatchIter<'a> {
    let mut inner = Some(batches);
    let mut left = rows;
    Box::new(std::iter::from_fn(move || {
        if left == 0 {
            inner = None;
            return None;
        }
        let next = inner.as_mut()?.next();
        match next {
            Some(Ok(mut batch)) => {
                if batch.len() >= left {
                    for column in &mut batch.columns {
                        column.truncate(left);
                    }
                    left = 0;
                    inner = None;
                } else {
                    left -= batch.len();
                }
                Some(Ok(batch))
            }
            other => {
                inner = None;
                other
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn limit_rows_stops_after_the_last_wanted_row() {
        let pulled = std::cell::Cell::new(0);
        let batches: BatchIter<'_> = Box::new((0..10).map(|i| {
            pulled.set(pulled.get() + 1);
            Ok(Batch::from_rows(1, vec![vec![Value::Int(i)]; 3]))
        }));
        let rows: usize = limit_rows(batches, 7).map(|b| b.unwrap().len()).sum();
        assert_eq!(rows, 7);
        assert_eq!(pulled.get(), 3);
    }
}
