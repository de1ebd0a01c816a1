//! Column-major record batches: the unit that flows from sources through strategies to sinks.

use crate::value::Value;

/// A slice of a table's rows stored column by column.
///
/// Column-major storage lets the engine hand a whole column to a strategy at once (compile the
/// rule once, apply it to many values) and lets sinks read row by row through [`Batch::row`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// One vector per column, all of the same length, in the table's column order.
    pub columns: Vec<Vec<Value>>,
}

impl Batch {
    /// An empty batch with `width` columns and room for `capacity` rows.
    pub fn with_capacity(width: usize, capacity: usize) -> Self {
        Batch {
            columns: (0..width).map(|_| Vec::with_capacity(capacity)).collect(),
        }
    }

    /// Builds a batch from rows (row-major); handy in tests and row-oriented readers.
    pub fn from_rows(width: usize, rows: Vec<Vec<Value>>) -> Self {
        let mut batch = Batch::with_capacity(width, rows.len());
        for row in rows {
            batch.push_row(row);
        }
        batch
    }

    /// Appends one row; `row` must have exactly one value per column.
    pub fn push_row(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(value);
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// True when the batch holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the values of row `i`.
    pub fn row(&self, i: usize) -> impl Iterator<Item = &Value> + '_ {
        self.columns.iter().map(move |c| &c[i])
    }
}
