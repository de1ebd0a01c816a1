//! The target side of verification: one or two streaming reads of every target table.
//!
//! Pass 1 counts rows and NULLs, probes every masked value against the source's filters
//! (unexpected values, leak candidates), compares the sampled rows, remembers referenced keys
//! in Bloom filters and notes which unique keys may repeat. It also looks up every foreign key
//! whose parent table was read before (the usual case: tables are read parents first), in
//! the parent's filter (a key absent from the filter is certainly an orphan). Pass 2, only for
//! tables that need it, counts the possible repeats exactly and looks up the foreign keys whose
//! parent was not read yet (self-references, cycles): a child table of millions of rows is
//! then read once, not twice.

use super::bloom::{Bloom, Budget, Digest, Hasher};
use super::expect::{cell_digest, masked_digest, row_key, single_key, TableExpect};
use super::norm::{normalize, normalize_as};
use super::report::{Check, Finding};
use super::VerifyOptions;
use crate::plan::TablePlan;
use datamask_core::source::ReadOptions;
use datamask_core::{Batch, DataType, Enforced, Source, TableSchema};
use std::collections::{HashMap, HashSet};

/// Examples kept per finding.
pub(crate) const EXAMPLES: usize = 5;
/// Leak candidates kept per table before the check gives up on that table.
const MAX_CANDIDATES: usize = 10_000;
/// Possible duplicates kept per unique key before the check gives up on that key.
const MAX_UNIQUE_CANDIDATES: usize = 1_000_000;

/// A value that is not what masking produces and may be an original value.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Index of the table among the copied tables.
    pub table: usize,
    pub column: String,
    /// Source index of the column, when the column itself is masked.
    pub source_column: Option<usize>,
    /// True when found through the all-columns filter (any masked column's originals).
    pub any: bool,
    pub digest: Digest,
    pub row: String,
}

/// A key referenced by some foreign key, filled from its table's target rows.
pub(crate) struct ParentKey {
    pub table: String,
    pub columns: Vec<String>,
    pub bloom: Bloom,
    /// False when the parent table is not in the target (its children are then not checked).
    pub filled: bool,
}

struct Unique {
    columns: Vec<String>,
    idx: Vec<usize>,
    bloom: Bloom,
    candidates: HashMap<Digest, u32>,
    overflow: bool,
}

/// What pass 1 and 2 found in one table.
pub(crate) struct Scanned {
    pub target_rows: Option<u64>,
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
    pub candidates: Vec<Candidate>,
    pub sampled: u64,
    pub constraints: usize,
    /// Of `constraints`, those the target enforces (not checked row by row).
    pub enforced: usize,
    /// Quick mode: the masked cells' digest sum differs from the source's (the full check must
    /// then find out where).
    pub sums_differ: bool,
}

fn finding(
    check: Check,
    columns: Vec<String>,
    count: u64,
    rows: Vec<String>,
    message: String,
) -> Finding {
    Finding {
        check,
        columns,
        count,
        rows,
        message,
    }
}

fn push_example(rows: &mut Vec<String>, label: impl FnOnce() -> String) {
    if rows.len() < EXAMPLES {
        rows.push(label());
    }
}

/// Finds `name` among the target's tables: exactly, or by its unqualified name
/// (`public.customers` from PostgreSQL lands as `customers` in some targets, and back).
pub(crate) fn find_table<'t>(tables: &'t [TableSchema], name: &str) -> Option<&'t TableSchema> {
    let bare = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
    tables
        .iter()
        .find(|t| t.name == name)
        .or_else(|| tables.iter().find(|t| bare(&t.name) == bare(name)))
}

/// Where each source column is in the target table: by name, or by position when no name
/// matches and the counts agree (a CSV target written without a header reads back as
/// `column_1`, `column_2`...).
pub(crate) struct ColumnMap {
    names: Vec<String>,
    map: Vec<Option<usize>>,
}

impl ColumnMap {
    pub(crate) fn new(source: &TableSchema, target: &TableSchema) -> ColumnMap {
        let mut map: Vec<Option<usize>> = source
            .columns
            .iter()
            .map(|c| target.column_index(&c.name))
            .collect();
        if map.iter().all(Option::is_none) && source.columns.len() == target.columns.len() {
            map = (0..source.columns.len()).map(Some).collect();
        }
        ColumnMap {
            names: source.columns.iter().map(|c| c.name.clone()).collect(),
            map,
        }
    }

    /// The target index of source column `c`.
    fn at(&self, c: usize) -> Option<usize> {
        self.map.get(c).copied().flatten()
    }

    /// The target index of the source column called `name`.
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|c| self.at(c))
    }
}

/// Reads one target table batch by batch.
fn for_each_batch(
    source: &mut dyn Source,
    schema: &TableSchema,
    batch_size: usize,
    mut f: impl FnMut(Batch, u64),
) -> datamask_core::Result<u64> {
    let read = ReadOptions {
        batch_size,
        filter: None,
    };
    let mut rows = 0u64;
    for batch in source.read_unordered(schema, &read)? {
        let batch = batch?;
        let n = batch.len() as u64;
        f(batch, rows);
        rows += n;
    }
    Ok(rows)
}

/// Names target rows: by primary key when no key column is masked (keys are then public),
/// else by 1-based position in the target as read ([`Source::read_unordered`]).
struct Labeler {
    pk: Vec<(String, usize)>,
}

impl Labeler {
    fn new(plan: &TablePlan, columns: &ColumnMap) -> Labeler {
        let pk = &plan.schema.primary_key;
        let public = !pk.is_empty()
            && pk.iter().all(|k| {
                plan.columns
                    .iter()
                    .any(|c| &c.name == k && c.is_preserved())
            });
        let pk = if public {
            pk.iter()
                .filter_map(|k| columns.index(k).map(|i| (k.clone(), i)))
                .collect()
        } else {
            Vec::new()
        };
        Labeler { pk }
    }

    fn label(&self, batch: &Batch, i: usize, ordinal: u64) -> String {
        if self.pk.is_empty() {
            return format!("row {}", ordinal + 1);
        }
        self.pk
            .iter()
            .map(|(k, idx)| format!("{k}={}", batch.columns[*idx][i]))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Everything pass 1 tracks for one table.
pub(crate) struct TableScan<'a> {
    hasher: &'a Hasher,
    options: &'a VerifyOptions,
    index: usize,
    plan: &'a TablePlan,
    expect: &'a TableExpect,
    target: TableSchema,
    /// Source column index -> target column index.
    map: Vec<Option<usize>>,
    columns: ColumnMap,
    labeler: Labeler,
    not_null: Vec<(usize, u64, Vec<String>)>,
    uniques: Vec<Unique>,
    unexpected: Vec<(u64, Vec<String>)>,
    candidates: Vec<Candidate>,
    candidates_overflow: bool,
    sample_seen: HashSet<Vec<u8>>,
    sample_mismatch: Vec<(u64, Vec<String>)>,
    /// Quick mode: the sum of the rows' masked-cell digests as the target holds them.
    sum: Option<u128>,
    /// Unique keys and NOT NULL columns the target enforces (left out of the checks above).
    enforced: usize,
    /// Whether pass 1 compares the sampled rows; off while a projected read leaves columns
    /// out (the sampled rows are then fetched whole, see [`scan_table`]).
    samples: bool,
}

impl<'a> TableScan<'a> {
    /// The scan of table `index` of the plan against `target`, the table as the target holds
    /// it, with the constraints the target enforces on it (left out of the row-by-row checks).
    pub(crate) fn new(
        hasher: &'a Hasher,
        budget: &Budget,
        options: &'a VerifyOptions,
        index: usize,
        plan: &'a TablePlan,
        expect: &'a TableExpect,
        (target, enforced): (&TableSchema, &Enforced),
    ) -> TableScan<'a> {
        let schema = &plan.schema;
        let columns = ColumnMap::new(schema, target);
        // Generated columns are recomputed by the target from masked values: not compared.
        let map: Vec<Option<usize>> = (0..schema.columns.len())
            .map(|c| columns.at(c))
            .zip(&schema.columns)
            .map(|(t, col)| t.filter(|_| !schema.generated.contains(&col.name)))
            .collect();
        let mut by_target = 0;
        let not_null = schema
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| !c.nullable && map[*i].is_some())
            .filter(|(_, c)| {
                let enforced = enforced.not_null.contains(&c.name);
                by_target += usize::from(enforced);
                !enforced
            })
            .map(|(i, _)| (i, 0, Vec::new()))
            .collect();
        let mut keys: Vec<Vec<String>> = Vec::new();
        let all_keys = std::iter::once(schema.primary_key.clone())
            .chain(schema.unique.iter().cloned())
            .chain(
                schema
                    .indexes
                    .iter()
                    .filter(|i| i.unique)
                    .map(|i| i.columns.clone()),
            );
        for k in all_keys {
            if k.is_empty() || keys.contains(&k) {
                continue;
            }
            if enforced.unique.iter().any(|u| same_set(u, &k)) {
                by_target += 1;
            } else {
                keys.push(k);
            }
        }
        let rows = expect.rows as usize;
        let uniques = keys
            .into_iter()
            .filter_map(|cols| {
                let idx: Option<Vec<usize>> = cols.iter().map(|c| columns.index(c)).collect();
                Some(Unique {
                    idx: idx?,
                    columns: cols,
                    bloom: Bloom::new(rows, budget),
                    candidates: HashMap::new(),
                    overflow: false,
                })
            })
            .collect();
        TableScan {
            hasher,
            options,
            index,
            plan,
            expect,
            labeler: Labeler::new(plan, &columns),
            target: target.clone(),
            map,
            columns,
            not_null,
            uniques,
            unexpected: expect.masked.iter().map(|_| (0, Vec::new())).collect(),
            candidates: Vec::new(),
            candidates_overflow: false,
            sample_seen: HashSet::new(),
            sample_mismatch: schema.columns.iter().map(|_| (0, Vec::new())).collect(),
            sum: expect.sum.map(|_| 0),
            enforced: by_target,
            samples: true,
        }
    }

    /// The key that matches a target row to its source row: the normalised values of the
    /// primary key as written (masked or not), or the row's position.
    fn key(&self, batch: &Batch, i: usize, ordinal: u64) -> Vec<u8> {
        let types = &self.expect.types;
        row_key(
            &self.expect.pk,
            |c| self.map[c].and_then(|t| normalize_as(&batch.columns[t][i], &types[c])),
            ordinal,
        )
    }

    /// Pass 1 over one batch.
    pub(crate) fn observe(
        &mut self,
        batch: &Batch,
        first: u64,
        parents: &mut [ParentKey],
        anys: &[Option<&Bloom>],
    ) {
        for i in 0..batch.len() {
            let ordinal = first + i as u64;
            let key = self.key(batch, i, ordinal);
            self.not_null_row(batch, i, ordinal);
            self.unique_row(batch, i);
            self.parent_row(batch, i, parents);
            self.masked_row(batch, i, ordinal, &key, anys);
            if self.samples {
                self.sample_row(batch, i, ordinal, &key);
            }
        }
    }

    /// Reads the sampled rows whole, by key ([`TableScan::sample_filters`]), and compares
    /// them (labels come from the public primary key, so their position does not matter).
    fn fetch_samples(
        &mut self,
        source: &mut dyn Source,
        filters: Vec<String>,
        batch_size: usize,
    ) -> datamask_core::Result<()> {
        let whole = self.target.clone();
        for filter in filters {
            let read = ReadOptions {
                batch_size,
                filter: Some(filter),
            };
            for batch in source.read(&whole, &read)? {
                let batch = batch?;
                for i in 0..batch.len() {
                    let key = self.key(&batch, i, 0);
                    self.sample_row(&batch, i, 0, &key);
                }
            }
        }
        Ok(())
    }

    /// The target columns pass 1 reads when the sampled rows can be fetched apart: the primary
    /// key, the masked columns and every column with a row check or a foreign key. `None`
    /// when that is every column, or when the sampled rows cannot be fetched by key (no
    /// public single integer key, or the all-columns leak check, which looks at every value).
    fn projection(
        &self,
        parents: &[ParentKey],
        children: &[ChildKey],
        anys: &[Option<&Bloom>],
    ) -> Option<Vec<usize>> {
        let e = self.expect;
        let keyed = matches!(e.pk.as_slice(), [c] if matches!(e.types[*c], DataType::Int { .. }));
        if !keyed || self.labeler.pk.is_empty() || anys.iter().any(Option::is_some) {
            return None;
        }
        let mut needed = vec![false; self.target.columns.len()];
        let mut need = |t: Option<usize>| t.map(|t| needed[t] = true);
        for &c in e.pk.iter().chain(&e.masked) {
            need(self.map[c]);
        }
        for (c, _, _) in &self.not_null {
            need(self.map[*c]);
        }
        for &t in self.uniques.iter().flat_map(|u| &u.idx) {
            need(Some(t));
        }
        let keyed_columns = parents
            .iter()
            .filter(|p| p.table == self.plan.name)
            .flat_map(|p| &p.columns)
            .chain(children.iter().flat_map(|k| &k.columns));
        for name in keyed_columns {
            need(self.columns.index(name));
        }
        let keep: Vec<usize> = (0..needed.len()).filter(|&t| needed[t]).collect();
        (keep.len() < needed.len()).then_some(keep)
    }

    /// `filter`s that fetch the sampled rows by primary key, `KEYS_PER_FETCH` keys each
    /// (`None` when the target cannot filter by key).
    fn sample_filters(&self, source: &dyn Source) -> Option<Vec<String>> {
        let pk = self
            .columns
            .index(&self.expect.columns[*self.expect.pk.first()?])?;
        let column = &self.target.columns[pk].name;
        let mut keys: Vec<String> = self
            .expect
            .sample
            .keys()
            .filter_map(|k| single_key(k))
            .collect();
        keys.sort();
        keys.chunks(KEYS_PER_FETCH)
            .map(|chunk| {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                source.key_filter(column, &refs)
            })
            .collect()
    }

    fn not_null_row(&mut self, batch: &Batch, i: usize, ordinal: u64) {
        for (c, count, rows) in &mut self.not_null {
            if let Some(t) = self.map[*c] {
                if batch.columns[t][i].is_null() {
                    *count += 1;
                    push_example(rows, || self.labeler.label(batch, i, ordinal));
                }
            }
        }
    }

    fn unique_row(&mut self, batch: &Batch, i: usize) {
        for u in &mut self.uniques {
            let Some(d) = tuple_digest(self.hasher, batch, i, &u.idx) else {
                continue;
            };
            if u.bloom.check_and_insert(&d) {
                if u.candidates.len() < MAX_UNIQUE_CANDIDATES {
                    u.candidates.insert(d, 0);
                } else {
                    u.overflow = true;
                }
            }
        }
    }

    fn parent_row(&mut self, batch: &Batch, i: usize, parents: &mut [ParentKey]) {
        for p in parents.iter_mut().filter(|p| p.table == self.plan.name) {
            let idx: Option<Vec<usize>> = p.columns.iter().map(|c| self.columns.index(c)).collect();
            if let Some(d) = idx.and_then(|idx| tuple_digest(self.hasher, batch, i, &idx)) {
                p.bloom.insert(&d);
            }
        }
    }

    fn masked_row(
        &mut self,
        batch: &Batch,
        i: usize,
        ordinal: u64,
        key: &[u8],
        anys: &[Option<&Bloom>],
    ) {
        let e = self.expect;
        if let Some(sum) = self.sum {
            // Quick mode (never with the all-columns check: `anys` is empty).
            let map = &self.map;
            let cells = e
                .masked
                .iter()
                .map(|&c| map[c].and_then(|t| normalize_as(&batch.columns[t][i], &e.types[c])));
            self.sum = Some(sum.wrapping_add(masked_digest(self.hasher, key, cells)));
            return;
        }
        for (slot, &c) in e.masked.iter().enumerate() {
            let Some(t) = self.map[c] else { continue };
            let value = &batch.columns[t][i];
            let Some(v) = normalize_as(value, &e.types[c]) else {
                continue;
            };
            let d = cell_digest(self.hasher, key, &v);
            if e.expected[slot].contains(&d) {
                continue;
            }
            let (count, rows) = &mut self.unexpected[slot];
            *count += 1;
            push_example(rows, || self.labeler.label(batch, i, ordinal));
            let d = self.hasher.digest(v.as_bytes());
            if e.originals[slot].contains(&d) {
                self.candidate(&e.columns[c], Some(c), false, d, batch, i, ordinal);
            } else if let Some((g, dg)) = self.generic(value) {
                if self.in_any(&g, &dg, anys) {
                    self.candidate(&e.columns[c], Some(c), true, dg, batch, i, ordinal);
                }
            }
        }
        if anys.iter().all(Option::is_none) {
            return;
        }
        for (c, name) in e.columns.iter().enumerate() {
            if e.masked.contains(&c) {
                continue;
            }
            let Some((v, d)) = self.map[c].and_then(|t| self.generic(&batch.columns[t][i])) else {
                continue;
            };
            if self.in_any(&v, &d, anys) {
                self.candidate(name, None, true, d, batch, i, ordinal);
            }
        }
    }

    /// The type-independent normal form of a value and its digest (for the all-columns check,
    /// which compares values across columns of any type).
    fn generic<'v>(
        &self,
        value: &'v datamask_core::Value,
    ) -> Option<(super::norm::Norm<'v>, Digest)> {
        let v = normalize(value)?;
        let d = self.hasher.digest(v.as_bytes());
        Some((v, d))
    }

    fn in_any(&self, v: &str, d: &Digest, anys: &[Option<&Bloom>]) -> bool {
        v.chars().count() >= self.options.min_length && anys.iter().flatten().any(|b| b.contains(d))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per kind of candidate"
    )]
    fn candidate(
        &mut self,
        column: &str,
        source_column: Option<usize>,
        any: bool,
        digest: Digest,
        batch: &Batch,
        i: usize,
        ordinal: u64,
    ) {
        if self.candidates.len() >= MAX_CANDIDATES {
            self.candidates_overflow = true;
            return;
        }
        self.candidates.push(Candidate {
            table: self.index,
            column: column.to_string(),
            source_column,
            any,
            digest,
            row: self.labeler.label(batch, i, ordinal),
        });
    }

    fn sample_row(&mut self, batch: &Batch, i: usize, ordinal: u64, key: &[u8]) {
        let Some(cells) = self.expect.sample.get(key) else {
            return;
        };
        if !self.sample_seen.insert(key.to_vec()) {
            return;
        }
        for (c, want) in cells.iter().enumerate() {
            let Some(t) = self.map[c] else { continue };
            let got = normalize_as(&batch.columns[t][i], &self.expect.types[c])
                .map(|s| self.hasher.digest(s.as_bytes()));
            if &got != want {
                let (count, rows) = &mut self.sample_mismatch[c];
                *count += 1;
                push_example(rows, || self.labeler.label(batch, i, ordinal));
            }
        }
    }

    /// Findings of pass 1, and the state pass 2 needs.
    pub(crate) fn finish(self, target_rows: u64) -> (Scanned, Pass2) {
        let e = self.expect;
        let constraints = self.not_null.len() + self.uniques.len() + self.enforced;
        let mut findings = Vec::new();
        let mut warnings = Vec::new();
        if target_rows != e.rows {
            findings.push(finding(
                Check::RowCount,
                Vec::new(),
                target_rows.abs_diff(e.rows),
                Vec::new(),
                format!("the target has {target_rows} rows, the source {}", e.rows),
            ));
        }
        for (slot, (count, rows)) in self.unexpected.into_iter().enumerate() {
            if count > 0 {
                findings.push(finding(
                    Check::Unexpected,
                    vec![e.columns[e.masked[slot]].clone()],
                    count,
                    rows,
                    format!("{count} value(s) are not what masking produces for their rows"),
                ));
            }
        }
        for (c, count, rows) in self.not_null {
            if count > 0 {
                findings.push(finding(
                    Check::NotNull,
                    vec![e.columns[c].clone()],
                    count,
                    rows,
                    format!("{count} NULL(s) in a NOT NULL column"),
                ));
            }
        }
        let missing = e.sample.len().saturating_sub(self.sample_seen.len()) as u64;
        if missing > 0 {
            findings.push(finding(
                Check::Determinism,
                Vec::new(),
                missing,
                Vec::new(),
                format!("{missing} sampled source row(s) have no matching row in the target"),
            ));
        }
        for (c, (count, rows)) in self.sample_mismatch.into_iter().enumerate() {
            if count > 0 {
                findings.push(finding(
                    Check::Determinism,
                    vec![e.columns[c].clone()],
                    count,
                    rows,
                    format!("{count} sampled row(s) differ from the source re-masked"),
                ));
            }
        }
        if self.candidates_overflow {
            warnings.push(format!(
                "more than {MAX_CANDIDATES} values may be original values; only the first were confirmed"
            ));
        }
        if e.saturated() {
            warnings.push("the memory budget (verify.memory_mb) ran out: some leaks or altered values may have gone unseen".into());
        }
        let sampled = self.sample_seen.len() as u64;
        let sums_differ = self.sum.is_some() && self.sum != e.sum;
        (
            Scanned {
                target_rows: Some(target_rows),
                findings,
                warnings,
                candidates: self.candidates,
                sampled,
                constraints,
                enforced: self.enforced,
                sums_differ,
            },
            Pass2 {
                uniques: self
                    .uniques
                    .into_iter()
                    .filter(|u| !u.candidates.is_empty() || u.overflow)
                    .collect(),
                labeler: self.labeler,
                columns: self.columns,
            },
        )
    }
}

/// True when both name the same columns, in any order (a unique index on `(a, b)` makes the
/// pair unique whichever way round it is declared).
fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(c))
}

/// True when the target enforces foreign key `fk` (same columns, same referenced table by its
/// bare name, as [`find_table`] matches tables, same referenced columns).
pub(crate) fn fk_enforced(fk: &datamask_core::ForeignKey, enforced: &Enforced) -> bool {
    let bare = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
    enforced.foreign_keys.iter().any(|(cols, table, refs)| {
        *cols == fk.columns && bare(table) == bare(&fk.ref_table) && *refs == fk.ref_columns
    })
}

/// The digest of a tuple of values, `None` when one of them is NULL (NULLs never collide
/// under SQL unique or foreign-key rules).
fn tuple_digest(hasher: &Hasher, batch: &Batch, i: usize, idx: &[usize]) -> Option<Digest> {
    if idx.iter().any(|&c| batch.columns[c][i].is_null()) {
        return None;
    }
    let norm: Vec<Option<super::norm::Norm<'_>>> = idx
        .iter()
        .map(|&c| normalize(&batch.columns[c][i]))
        .collect();
    let positions: Vec<usize> = (0..idx.len()).collect();
    Some(hasher.digest(&row_key(&positions, |p| norm[p].clone(), 0)))
}

/// What the second read of a table needs.
pub(crate) struct Pass2 {
    uniques: Vec<Unique>,
    labeler: Labeler,
    columns: ColumnMap,
}

/// A foreign key of a table, with the parent filter it is checked against.
pub(crate) struct ChildKey {
    pub columns: Vec<String>,
    pub parent: usize,
    pub orphans: u64,
    pub rows: Vec<String>,
    /// Checked during pass 1 (its parent's filter was complete by then).
    pub early: bool,
}

impl ChildKey {
    /// Looks up the key of row `i` in its parent's filter, counting an orphan when absent.
    fn check(
        &mut self,
        hasher: &Hasher,
        parents: &[ParentKey],
        batch: &Batch,
        i: usize,
        idx: &[usize],
        label: impl FnOnce() -> String,
    ) {
        if let Some(d) = tuple_digest(hasher, batch, i, idx) {
            if !parents[self.parent].bloom.contains(&d) {
                self.orphans += 1;
                push_example(&mut self.rows, label);
            }
        }
    }
}

impl Pass2 {
    /// True when a second read is needed.
    pub(crate) fn needed(&self, children: &[ChildKey]) -> bool {
        !self.uniques.is_empty() || children.iter().any(|k| !k.early)
    }

    /// Second read: exact counts of possible duplicates, foreign keys against their parents.
    pub(crate) fn run(
        mut self,
        hasher: &Hasher,
        source: &mut dyn Source,
        target: &TableSchema,
        batch_size: usize,
        children: &mut [ChildKey],
        parents: &[ParentKey],
    ) -> datamask_core::Result<Vec<Finding>> {
        let child_idx: Vec<Option<Vec<usize>>> = children
            .iter()
            .map(|k| k.columns.iter().map(|c| self.columns.index(c)).collect())
            .collect();
        let mut dup_rows: Vec<Vec<String>> = self.uniques.iter().map(|_| Vec::new()).collect();
        for_each_batch(source, target, batch_size, |batch, first| {
            let batch = &batch;
            for i in 0..batch.len() {
                for (u, rows) in self.uniques.iter_mut().zip(&mut dup_rows) {
                    if let Some(d) = tuple_digest(hasher, batch, i, &u.idx) {
                        if let Some(n) = u.candidates.get_mut(&d) {
                            *n += 1;
                            if *n == 2 {
                                push_example(rows, || {
                                    self.labeler.label(batch, i, first + i as u64)
                                });
                            }
                        }
                    }
                }
                for (k, idx) in children.iter_mut().zip(&child_idx) {
                    let Some(idx) = idx.as_ref().filter(|_| !k.early) else {
                        continue;
                    };
                    k.check(hasher, parents, batch, i, idx, || {
                        self.labeler.label(batch, i, first + i as u64)
                    });
                }
            }
        })?;
        let mut findings = Vec::new();
        for (u, rows) in self.uniques.into_iter().zip(dup_rows) {
            let extra: u64 = u
                .candidates
                .values()
                .map(|n| u64::from(n.saturating_sub(1)))
                .sum();
            if extra > 0 {
                findings.push(finding(
                    Check::Unique,
                    u.columns.clone(),
                    extra,
                    rows,
                    format!("{extra} row(s) repeat a key that must be unique"),
                ));
            }
        }
        Ok(findings)
    }
}

/// Sampled keys fetched per query by [`light_scan`].
const KEYS_PER_FETCH: usize = 1000;

/// Pass 1 without reading the whole table, when nothing needs every row: a table without
/// masked columns whose keys and NOT NULL columns the target enforces, with no foreign key left
/// to check from or to it. The target counts its rows, and the sampled rows are fetched by
/// primary key (a single integer column: its text form is its normal form, which text keys
/// need not be).
/// `Ok(None)` when the table does not qualify or the target cannot do either.
pub(crate) fn light_scan(
    scan: &mut TableScan<'_>,
    source: &mut dyn Source,
    batch_size: usize,
    parents: &mut [ParentKey],
    children: &[ChildKey],
    anys: &[Option<&Bloom>],
) -> datamask_core::Result<Option<u64>> {
    let e = scan.expect;
    let keyed = match e.pk.as_slice() {
        [c] => matches!(e.types[*c], DataType::Int { .. }),
        _ => false,
    };
    let row_checks = !scan.not_null.is_empty() || !scan.uniques.is_empty();
    if !keyed
        || !e.masked.is_empty()
        || row_checks
        || !children.is_empty()
        || parents.iter().any(|p| p.table == scan.plan.name)
        || anys.iter().any(Option::is_some)
    {
        return Ok(None);
    }
    let filters = scan.sample_filters(source);
    let (Some(filters), Some(rows)) = (filters, source.count_rows(&scan.target)?) else {
        return Ok(None);
    };
    scan.fetch_samples(source, filters, batch_size)?;
    Ok(Some(rows))
}

/// Pass 1 over a whole table.
///
/// The foreign keys in `children` whose parent is already filled are checked on the way (and
/// marked `early`); the others are left to pass 2. When a database target can fetch rows by
/// key, only the columns pass 1 needs are read ([`TableScan::projection`]: the unmasked
/// columns of a masked table are most of its bytes) and the sampled rows are fetched whole
/// afterwards, by primary key, for the sample comparison.
pub(crate) fn scan_table(
    scan: &mut TableScan<'_>,
    source: &mut dyn Source,
    batch_size: usize,
    parents: &mut [ParentKey],
    children: &mut [ChildKey],
    anys: &[Option<&Bloom>],
) -> datamask_core::Result<u64> {
    for k in children.iter_mut() {
        k.early = parents[k.parent].filled;
    }
    let fetch = scan
        .projection(parents, children, anys)
        .and_then(|keep| Some((keep, scan.sample_filters(source)?)));
    let mut target = scan.target.clone();
    if let Some((keep, _)) = &fetch {
        target.columns = keep
            .iter()
            .map(|&t| scan.target.columns[t].clone())
            .collect();
        scan.samples = false;
    }
    let child_idx: Vec<Option<Vec<usize>>> = children
        .iter()
        .map(|k| {
            k.columns
                .iter()
                .map(|c| scan.columns.index(c))
                .collect::<Option<Vec<usize>>>()
                .filter(|_| k.early)
        })
        .collect();
    let width = scan.target.columns.len();
    let rows = for_each_batch(source, &target, batch_size, |batch, first| {
        let batch = match &fetch {
            Some((keep, _)) => widen(batch, keep, width),
            None => batch,
        };
        let batch = &batch;
        scan.observe(batch, first, parents, anys);
        for (k, idx) in children.iter_mut().zip(&child_idx) {
            let Some(idx) = idx else { continue };
            for i in 0..batch.len() {
                k.check(scan.hasher, parents, batch, i, idx, || {
                    scan.labeler.label(batch, i, first + i as u64)
                });
            }
        }
    })?;
    if let Some((_, filters)) = fetch {
        scan.samples = true;
        scan.fetch_samples(source, filters, batch_size)?;
    }
    Ok(rows)
}

/// A batch of the projected columns `keep` back in the table's shape (`width` columns), NULL
/// in the columns left out (pass 1 does not look at them).
fn widen(batch: Batch, keep: &[usize], width: usize) -> Batch {
    let rows = batch.len();
    let mut columns: Vec<Vec<datamask_core::Value>> = Vec::with_capacity(width);
    let mut read = batch.columns.into_iter();
    let mut next = keep.iter().peekable();
    for t in 0..width {
        if next.next_if(|&&k| k == t).is_some() {
            columns.push(read.next().unwrap_or_default());
        } else {
            columns.push(vec![datamask_core::Value::Null; rows]);
        }
    }
    Batch { columns }
}
