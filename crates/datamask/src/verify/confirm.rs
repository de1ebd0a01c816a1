//! Confirming leak candidates exactly, with one more read of the source.
//!
//! A candidate is a target value that is not what masking produces for its row and that the
//! source's Bloom filter says *may* be an original value. Only tables with candidates are read
//! again, and only their masked columns are looked at: a candidate is a leak when its digest
//! equals the digest of an original value (in the same column, or with `all_columns` in any
//! masked column of any table).

use super::bloom::{Digest, Hasher};
use super::norm::{normalize, normalize_as};
use super::target::Candidate;
use crate::plan::TablePlan;
use datamask_core::source::ReadOptions;
use datamask_core::Source;
use std::collections::HashSet;

/// Marks which candidates are original values. `tables` are the copied tables in plan order.
pub(crate) fn confirm(
    hasher: &Hasher,
    source: &mut dyn Source,
    tables: &[&TablePlan],
    candidates: &[Candidate],
    min_length: usize,
    batch_size: usize,
) -> datamask_core::Result<Vec<bool>> {
    let any: HashSet<Digest> = candidates
        .iter()
        .filter(|c| c.any)
        .map(|c| c.digest)
        .collect();
    let mut found: HashSet<(usize, usize, Digest)> = HashSet::new();
    let mut found_any: HashSet<Digest> = HashSet::new();
    for (t, table) in tables.iter().enumerate() {
        let same: HashSet<(usize, Digest)> = candidates
            .iter()
            .filter(|c| c.table == t && !c.any)
            .filter_map(|c| c.source_column.map(|col| (col, c.digest)))
            .collect();
        if same.is_empty() && any.is_empty() {
            continue;
        }
        let masked: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_preserved())
            .map(|(i, _)| i)
            .collect();
        if masked.is_empty() {
            continue;
        }
        let read = ReadOptions {
            batch_size,
            filter: table.filter.clone(),
        };
        let batches = match &table.query {
            Some(sql) => source.read_query(&table.schema, sql, &read)?,
            None => source.read(&table.schema, &read)?,
        };
        for batch in batches {
            let batch = batch?;
            for &c in &masked {
                let ty = &table.schema.columns[c].data_type;
                for value in &batch.columns[c] {
                    if let Some(v) = normalize_as(value, ty) {
                        let d = hasher.digest(v.as_bytes());
                        if same.contains(&(c, d)) {
                            found.insert((t, c, d));
                        }
                    }
                    match normalize(value) {
                        Some(g) if !any.is_empty() && g.chars().count() >= min_length => {
                            let d = hasher.digest(g.as_bytes());
                            if any.contains(&d) {
                                found_any.insert(d);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(candidates
        .iter()
        .map(|c| {
            if c.any {
                found_any.contains(&c.digest)
            } else {
                c.source_column
                    .is_some_and(|col| found.contains(&(c.table, col, c.digest)))
            }
        })
        .collect())
}
