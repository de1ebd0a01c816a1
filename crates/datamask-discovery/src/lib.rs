//! PII discovery for datamask: which columns hold personal or secret data, how sure that is,
//! and why.
//!
//! Discovery is advice with evidence, never silent action (shared/PII_TYPES.md). Each column is
//! scored from two independent sources:
//!
//! * its **name**, split into tokens and matched as whole tokens against per-type vocabularies
//!   in eight languages, with negative tokens (`count`, `status`, `verified`...) that turn a
//!   hint off ([`vocab`]);
//! * a **bounded, deterministic sample of its values**, tested against per-type patterns,
//!   checksum validators (Luhn, IBAN mod 97, national id check digits: [`checksum`]), value
//!   profiles and bundled dictionaries of names and places ([`dict`]); free text is scanned for
//!   embedded entities ([`text`]).
//!
//! [`classify`] turns both into a [`Finding`] (type, confidence `possible` / `likely` /
//! `certain`, numeric score, [`Evidence`]). [`suggest`] picks a masking rule for it from the
//! strategy registry as it is at that moment.
//!
//! Sampling reads at most `sample_rows` rows per table through [`Source::sample`]: the first
//! rows in primary-key (or rowid) order with a `LIMIT` for databases, the first rows of the
//! file for files. The same data therefore always gives the same report, and a large table is
//! never read in full. Sampled values stay in memory: reports and drafts carry shares and
//! counts, never a value.

pub mod checksum;
pub mod classify;
pub mod dict;
pub mod suggest;
pub mod text;
pub mod tokens;
pub mod types;
pub mod values;
pub mod vocab;

pub use classify::{classify, Evidence, Finding};
pub use suggest::{suggest, Suggestion};
pub use types::{Confidence, PiiType};

use datamask_core::source::BatchIter;
use datamask_core::{Batch, Source, TableSchema};
use serde::Serialize;

/// Rows sampled per table unless told otherwise.
pub const DEFAULT_SAMPLE_ROWS: usize = 1000;

/// One column's result.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnScan {
    pub table: String,
    pub column: String,
    /// The column's declared type (`VARCHAR(120)`, or the type family).
    pub data_type: String,
    pub finding: Option<Finding>,
}

/// One table's result, with the sample (kept in memory for `init` to try strategies on).
#[derive(Debug, Clone)]
pub struct TableScan {
    pub schema: TableSchema,
    pub rows_sampled: usize,
    pub columns: Vec<ColumnScan>,
    pub sample: Batch,
}

/// Gathers at most `rows` rows of a batch stream of `width` columns into one batch.
pub fn collect_sample(
    batches: BatchIter<'_>,
    width: usize,
    rows: usize,
) -> datamask_core::Result<Batch> {
    let mut sample = Batch::with_capacity(width, rows.min(10_000));
    if rows > 0 {
        for batch in batches {
            let batch = batch?;
            for (into, from) in sample.columns.iter_mut().zip(batch.columns) {
                into.extend(from);
            }
            if sample.len() >= rows {
                break;
            }
        }
    }
    for c in &mut sample.columns {
        c.truncate(rows);
    }
    Ok(sample)
}

/// Samples `table` (at most `rows` rows) and classifies every column.
pub fn scan_table(
    source: &mut dyn Source,
    table: &TableSchema,
    rows: usize,
) -> datamask_core::Result<TableScan> {
    let sample = if rows > 0 {
        collect_sample(source.sample(table, rows)?, table.columns.len(), rows)?
    } else {
        Batch::with_capacity(table.columns.len(), 0)
    };
    let columns = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| ColumnScan {
            table: table.name.clone(),
            column: column.name.clone(),
            data_type: column
                .native_type
                .clone()
                .unwrap_or_else(|| column.data_type.family().to_string()),
            finding: classify(table, column, &sample.columns[i]),
        })
        .collect();
    Ok(TableScan {
        schema: table.clone(),
        rows_sampled: sample.len(),
        columns,
        sample,
    })
}

/// Scans every table of `source`, in the source's order.
pub fn scan(source: &mut dyn Source, rows: usize) -> datamask_core::Result<Vec<TableScan>> {
    let tables = source.tables()?;
    tables.iter().map(|t| scan_table(source, t, rows)).collect()
}
