//! Progress reporting. Libraries never print: they call a [`Reporter`], and only the CLI
//! decides whether to draw bars (and hides them when stderr is not a terminal).

/// Receives progress events from a run. Implementations must be cheap and thread-safe because
/// tables may be processed in parallel.
pub trait Reporter: Send + Sync {
    /// A table starts; `estimated_rows` is known for databases and unknown for most files.
    fn table_started(&self, _table: &str, _estimated_rows: Option<u64>) {}
    /// `rows` more rows of `table` were written.
    fn rows_written(&self, _table: &str, _rows: u64) {}
    /// A table finished with `rows` rows in total.
    fn table_finished(&self, _table: &str, _rows: u64) {}
}

/// A reporter that ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopReporter;

impl Reporter for NoopReporter {}
