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
    let mut columns: Vec<ColumnScan> = table
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
    pair_coordinates(&sample, &mut columns);
    Ok(TableScan {
        schema: table.clone(),
        rows_sampled: sample.len(),
        columns,
        sample,
    })
}

/// Latitude and longitude come in pairs: a column of coordinate-shaped numbers right beside a
/// column found to hold coordinates is the other half (`lat`, then an unhelpfully named `y`),
/// and two coordinate columns side by side confirm each other.
fn pair_coordinates(sample: &Batch, columns: &mut [ColumnScan]) {
    let is_coord = |c: &ColumnScan| {
        c.finding
            .as_ref()
            .is_some_and(|f| f.pii_type == PiiType::Coordinates)
    };
    // Only columns found on their own pair up: no chains of coordinate-shaped neighbours.
    let found: Vec<bool> = columns.iter().map(is_coord).collect();
    for i in 0..columns.len() {
        let neighbours = [i.checked_sub(1), Some(i + 1)];
        let Some(partner) = neighbours
            .into_iter()
            .flatten()
            .find(|&j| found.get(j) == Some(&true))
        else {
            continue;
        };
        let partner_name = columns[partner].column.clone();
        match &mut columns[i].finding {
            Some(f) if f.pii_type == PiiType::Coordinates => {
                if !f.evidence.notes.iter().any(|n| n.starts_with("paired")) {
                    f.evidence
                        .notes
                        .push(format!("paired with `{partner_name}`"));
                    f.score = ((f.score + 0.1).min(1.0) * 100.0).round() / 100.0;
                    f.confidence = Confidence::from_score(f.score).unwrap_or(f.confidence);
                }
            }
            // A name that says what the numbers are (`conversion_rate`, `ratio`) rules it out.
            None if tokens::tokenize(&columns[i].column)
                .iter()
                .any(|t| vocab::is_negative(t)) => {}
            None => {
                let values = classify::texts(&sample.columns[i]);
                let shaped = values
                    .iter()
                    .filter(|v| values::test(PiiType::Coordinates, v).matched)
                    .count();
                let share = shaped as f64 / values.len().max(1) as f64;
                if !values.is_empty() && share >= 0.9 {
                    columns[i].finding = Some(Finding {
                        pii_type: PiiType::Coordinates,
                        confidence: Confidence::Likely,
                        score: 0.7,
                        evidence: Evidence {
                            sampled: values.len(),
                            match_share: Some(share),
                            notes: vec![format!("paired with `{partner_name}`")],
                            ..Evidence::default()
                        },
                    });
                }
            }
            Some(_) => {}
        }
    }
}

/// Scans every table of `source`, in the source's order.
pub fn scan(source: &mut dyn Source, rows: usize) -> datamask_core::Result<Vec<TableScan>> {
    let tables = source.tables()?;
    tables.iter().map(|t| scan_table(source, t, rows)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datamask_core::{Column, DataType, Value};

    fn scan_of(names: &[&str], rows: &[[f64; 3]]) -> Vec<ColumnScan> {
        let table = TableSchema::new(
            "places",
            names
                .iter()
                .map(|n| Column::new(*n, DataType::Float { bits: 64 }))
                .collect(),
        );
        let sample = Batch::from_rows(
            3,
            rows.iter()
                .map(|r| r.iter().map(|x| Value::Float(*x)).collect())
                .collect(),
        );
        let mut columns: Vec<ColumnScan> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ColumnScan {
                table: table.name.clone(),
                column: c.name.clone(),
                data_type: "float".into(),
                finding: classify(&table, c, &sample.columns[i]),
            })
            .collect();
        pair_coordinates(&sample, &mut columns);
        columns
    }

    #[test]
    fn coordinates_pair_up_with_their_neighbour_only() {
        let rows: Vec<[f64; 3]> = (0..50)
            .map(|i| {
                let f = f64::from(i);
                [48.1371 + f / 997.0, 11.5754 + f / 991.0, 1.5 + f / 7.0]
            })
            .collect();
        let cols = scan_of(&["lat", "y", "z"], &rows);
        let lat = cols[0].finding.as_ref().unwrap();
        assert_eq!(lat.pii_type, PiiType::Coordinates);
        let y = cols[1].finding.as_ref().expect("the partner of `lat`");
        assert_eq!(
            (y.pii_type, y.confidence),
            (PiiType::Coordinates, Confidence::Likely)
        );
        assert_eq!(y.evidence.notes, ["paired with `lat`"]);
        // `z` is beside `y`, which was only found through `lat`: no chain.
        assert!(cols[2].finding.is_none());
        // A name that says what the numbers are keeps them out.
        let cols = scan_of(&["lat", "conversion_rate", "z"], &rows);
        assert!(cols[1].finding.is_none());
        // Unnamed columns alone are never coordinates.
        let cols = scan_of(&["a", "b", "c"], &rows);
        assert!(cols.iter().all(|c| c.finding.is_none()));
    }
}
