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
}
