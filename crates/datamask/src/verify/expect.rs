//! The source side of verification: what the target should hold, in bounded memory.
//!
//! A [`Collector`] watches one table being masked (during a run, or during `datamask verify`'s
//! own read of the source) and keeps, per masked column, two keyed Bloom filters: the original
//! values, and the pair (row, masked value) the row must have in the target. It also keeps a
//! uniform, deterministic sample of whole masked rows (the rows with the smallest keyed hash of
//! their row key, a bottom-k sample) for the determinism check.
//!
//! At the end of a run the collector is *quick* ([`Collector::new`] with `quick`): instead of
//! the two filters it keeps the sum of one digest per row over the row's key and all its
//! expected masked cells (a keyed multiset hash). The target side sums the same digests; equal
//! sums prove every masked cell is what masking produces for its row (so no original value
//! survived), without a filter lookup per value and with one hash per row rather than per
//! cell. Only when the sums differ does the verifier fall back to the full check, which
//! re-reads the source to build the filters and name the rows and columns.

use super::bloom::{Bloom, Budget, Digest, Hasher};
use super::norm::{normalize, normalize_as, Norm};
use crate::plan::TablePlan;
use datamask_core::{Batch, DataType, Value};
use std::collections::{BinaryHeap, HashMap};

/// How rows of a table are matched between source and target: by the (masked) primary key,
/// or by position when the table has none.
pub(crate) fn row_key<S: AsRef<str>>(
    pk: &[usize],
    value: impl Fn(usize) -> Option<S>,
    ordinal: u64,
) -> Vec<u8> {
    if pk.is_empty() {
        let mut out = vec![b'#'];
        out.extend_from_slice(&ordinal.to_be_bytes());
        return out;
    }
    let mut out = Vec::with_capacity(16 * pk.len());
    for &i in pk {
        match value(i) {
            Some(s) => {
                let s: &str = s.as_ref();
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            None => out.push(0xff),
        }
    }
    out
}

/// The text of a one-column row key made by [`row_key`] (`None` for any other key).
pub(crate) fn single_key(key: &[u8]) -> Option<String> {
    let len = u64::from_be_bytes(key.get(..8)?.try_into().ok()?) as usize;
    let text = key.get(8..)?;
    (text.len() == len).then(|| String::from_utf8(text.to_vec()).ok())?
}

/// The digest of "row `key` holds `value`" for the expected-cell filters.
pub(crate) fn cell_digest(hasher: &Hasher, key: &[u8], value: &str) -> Digest {
    hasher.digest_parts(&[
        &(key.len() as u64).to_be_bytes(),
        key,
        &[0xfe],
        value.as_bytes(),
    ])
}

/// Quick mode: the digest of one row's masked cells (`cells`, in the order of
/// [`TableExpect::masked`], NULL as NULL) under its row `key`.
pub(crate) fn masked_digest<'v>(
    hasher: &Hasher,
    key: &[u8],
    cells: impl Iterator<Item = Option<Norm<'v>>>,
) -> u128 {
    u128::from_le_bytes(hasher.digest_row(key, cells))
}

/// One sampled row: its rank, key, and the digest of every column's masked value.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Sampled {
    rank: u64,
    key: Vec<u8>,
    cells: Vec<Option<Digest>>,
}

/// What the target of one table must hold.
pub struct TableExpect {
    pub table: String,
    pub rows: u64,
    /// Source column names and types, in source order.
    pub(crate) columns: Vec<String>,
    pub(crate) types: Vec<DataType>,
    /// Source indices of the primary-key columns (empty: rows match by position).
    pub(crate) pk: Vec<usize>,
    /// Source indices of the masked columns, and their filters.
    pub(crate) masked: Vec<usize>,
    pub(crate) originals: Vec<Bloom>,
    pub(crate) expected: Vec<Bloom>,
    /// With `all_columns`: the original values of every masked column (long enough to matter).
    pub(crate) any: Option<Bloom>,
    /// Quick mode, when something is masked: the wrapping sum of every row's
    /// [`masked_digest`] (the filters above are then empty). `None` for a table with nothing
    /// masked, whose target the quick check may not read at all.
    pub(crate) sum: Option<u128>,
    /// Sampled rows by key.
    pub(crate) sample: HashMap<Vec<u8>, Vec<Option<Digest>>>,
}

impl TableExpect {
    /// True when a filter ran out of memory budget (checks may then miss problems).
    pub fn saturated(&self) -> bool {
        self.originals
            .iter()
            .chain(&self.expected)
            .chain(&self.any)
            .any(|b| b.saturated)
    }
}

/// Watches one table being masked.
pub struct Collector {
    hasher: Hasher,
    min_length: usize,
    sample_rows: usize,
    expect: TableExpect,
    heap: BinaryHeap<Sampled>,
}

impl Collector {
    pub(crate) fn new(
        table: &TablePlan,
        hasher: &Hasher,
        budget: &Budget,
        options: &super::VerifyOptions,
        quick: bool,
    ) -> Collector {
        let schema = &table.schema;
        let expected_rows = table.estimated_rows.unwrap_or(0) as usize;
        let masked: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_preserved())
            .map(|(i, _)| i)
            .collect();
        let bloom = || Bloom::new(expected_rows, budget);
        let filters = if quick { 0 } else { masked.len() };
        Collector {
            hasher: hasher.clone(),
            min_length: options.min_length,
            sample_rows: options.sample_rows,
            heap: BinaryHeap::new(),
            expect: TableExpect {
                table: table.name.clone(),
                rows: 0,
                columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
                types: schema.columns.iter().map(|c| c.data_type.clone()).collect(),
                pk: schema
                    .primary_key
                    .iter()
                    .filter_map(|k| schema.column_index(k))
                    .collect(),
                originals: (0..filters).map(|_| bloom()).collect(),
                expected: (0..filters).map(|_| bloom()).collect(),
                any: (options.all_columns && !masked.is_empty())
                    .then(|| Bloom::new(expected_rows * masked.len(), budget)),
                sum: (quick && !masked.is_empty()).then_some(0),
                masked,
                sample: HashMap::new(),
            },
        }
    }

    /// Records a masked batch; `originals` holds the replaced input of each masked column
    /// (`(column index, values)`, as the engine's masking returns them).
    pub fn observe(&mut self, masked: &Batch, originals: &[(usize, Vec<Value>)]) {
        for i in 0..masked.len() {
            let e = &mut self.expect;
            let types = &e.types;
            let norm = |c: usize| normalize_as(&masked.columns[c][i], &types[c]);
            let key = row_key(&e.pk, norm, e.rows + i as u64);
            if let Some(sum) = e.sum.as_mut() {
                let d = masked_digest(&self.hasher, &key, e.masked.iter().map(|&c| norm(c)));
                *sum = sum.wrapping_add(d);
            } else {
                self.filter_row(masked, originals, i, &key);
            }
            self.sample(masked, i, key);
        }
        self.expect.rows += masked.len() as u64;
    }

    /// Full mode: row `i`'s masked cells into the filters (the expected pair, the original
    /// value and, with `all_columns`, the original among all masked columns').
    fn filter_row(
        &mut self,
        masked: &Batch,
        originals: &[(usize, Vec<Value>)],
        i: usize,
        key: &[u8],
    ) {
        let e = &mut self.expect;
        for (slot, &c) in e.masked.iter().enumerate() {
            let Some(value) = originals
                .iter()
                .find(|(idx, _)| *idx == c)
                .and_then(|(_, v)| v.get(i))
            else {
                continue;
            };
            // A NULL original can still mask to a value (`keep_null: false`,
            // `name_fallback`): the expected cell is recorded either way.
            if let Some(out) = normalize_as(&masked.columns[c][i], &e.types[c]) {
                e.expected[slot].insert(&cell_digest(&self.hasher, key, &out));
            }
            let Some(original) = normalize_as(value, &e.types[c]) else {
                continue;
            };
            e.originals[slot].insert(&self.hasher.digest(original.as_bytes()));
            if let Some(any) = e.any.as_mut() {
                match normalize(value) {
                    Some(g) if g.chars().count() >= self.min_length => {
                        any.insert(&self.hasher.digest(g.as_bytes()));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Keeps the row if its rank is among the `sample_rows` smallest seen so far.
    fn sample(&mut self, masked: &Batch, i: usize, key: Vec<u8>) {
        if self.sample_rows == 0 {
            return;
        }
        let rank = self.hasher.rank(&key);
        if self.heap.len() >= self.sample_rows
            && self.heap.peek().is_some_and(|top| top.rank <= rank)
        {
            return;
        }
        let cells = masked
            .columns
            .iter()
            .zip(&self.expect.types)
            .map(|(col, ty)| normalize_as(&col[i], ty).map(|s| self.hasher.digest(s.as_bytes())))
            .collect();
        self.heap.push(Sampled { rank, key, cells });
        if self.heap.len() > self.sample_rows {
            self.heap.pop();
        }
    }

    /// The expectations for the table.
    pub fn finish(mut self) -> TableExpect {
        self.expect.sample = self.heap.into_iter().map(|s| (s.key, s.cells)).collect();
        self.expect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_keys_read_back_and_others_do_not() {
        let one = row_key(&[0], |_| Some("12345"), 7);
        assert_eq!(single_key(&one).as_deref(), Some("12345"));
        let two = row_key(&[0, 1], |i| Some(if i == 0 { "1" } else { "2" }), 7);
        assert_eq!(single_key(&two), None);
        assert_eq!(single_key(&row_key::<&str>(&[], |_| None, 7)), None);
    }
}
