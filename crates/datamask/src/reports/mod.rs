//! Run reports for people and tools: a self-contained HTML page (`--report`), and statistics as
//! JSON (`--stats-json`) or CSV (`--stats-csv`).
//!
//! Everything here is built from a [`RunReport`]: table names, column names, strategies,
//! counts, timings, checksums and the verification result. None of it holds a data value or a
//! secret (URLs come already redacted), so a report can be attached to a ticket or a CI job.

mod html;
mod stats;

pub use html::html;
pub use stats::{stats_csv, stats_json, TableStats};

use crate::engine::{RunReport, TableReport};

/// Rows per second of a table (a table done within a millisecond counts as taking one).
pub(crate) fn rows_per_second(t: &TableReport) -> u64 {
    t.rows_read.saturating_mul(1000) / t.elapsed_ms.max(1)
}

/// The verification result of one table: `ok`, `N problems`, or `-` when not verified.
pub(crate) fn table_verdict(report: &RunReport, table: &str) -> String {
    let Some(v) = &report.verification else {
        return "-".into();
    };
    match v.tables.iter().find(|t| t.table == table) {
        None => "-".into(),
        Some(t) if t.findings.is_empty() => "ok".into(),
        Some(t) if t.findings.len() == 1 => "1 problem".into(),
        Some(t) => format!("{} problems", t.findings.len()),
    }
}
