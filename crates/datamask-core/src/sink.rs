//! The `Sink` trait: where masked data goes, atomically.

use crate::batch::Batch;
use crate::error::Result;
use crate::schema::TableSchema;

/// Writes the rows of one table.
pub trait TableWriter {
    /// Appends a batch.
    fn write(&mut self, batch: &Batch) -> Result<()>;
    /// Finishes the table; the data becomes visible only at [`Sink::commit`].
    fn finish(self: Box<Self>) -> Result<()>;
}

/// A writable dataset.
///
/// A sink stages everything it writes and makes it visible in [`Sink::commit`]. Dropping a sink
/// without committing, or a process killed at any point, leaves the target as it was: each table
/// is either untouched or complete.
pub trait Sink {
    /// A short name for messages.
    fn kind(&self) -> &'static str;
    /// Names of the tables that already exist in the target (used to ask before replacing).
    fn existing_tables(&mut self) -> Result<Vec<String>>;
    /// Starts writing `table`, replacing it if it exists.
    fn table<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>>;
    /// Publishes everything written.
    fn commit(self: Box<Self>) -> Result<()>;
}
