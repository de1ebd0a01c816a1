//! Verification: does the target hold what it should, and nothing it should not?
//!
//! `datamask verify` (and, by default, the end of every run) checks a finished target against
//! its source:
//!
//! - **Leaks.** Every value of every masked column is looked up among the source's original
//!   values of that column (with `all_columns`, every value of every column among the original
//!   values of all masked columns). Realistic fakers legitimately produce values that also occur
//!   in the source (a masked first name may well be some other customer's real one), so a value
//!   counts as a leak only when it is *also* not what masking produces for its row. Both lookups
//!   go through keyed Bloom filters ([`bloom`]), so memory stays bounded whatever the table
//!   size; every possible leak is then confirmed exactly with a second read of the source.
//! - **Integrity.** Row counts, NULLs in NOT NULL columns, repeated primary or unique keys and
//!   foreign keys without a parent, on the target as written.
//! - **Determinism.** A uniform sample of source rows (bottom-k by a keyed hash of the row key)
//!   is re-masked and compared with the target row by row, every column.
//!
//! At the end of a run the check is *quick* first: the masked columns are compared through a
//! sum of keyed digests, one per row over all its masked cells, instead of the filters (see
//! [`expect`]); only a difference there costs a second read of the source, by the full check.
//!
//! Rows are matched by primary key (masked as the target has it) or, without one, by position.
//! Values are compared in a normalised form ([`norm`]) so a cross-engine copy is not reported
//! for typing differences. Reports hold counts, column names and public row keys, never values.

pub mod bloom;
mod confirm;
mod expect;
pub mod norm;
mod report;
mod target;

pub use expect::{Collector, TableExpect};
pub use report::{Check, Finding, TableVerification, VerifyReport};

use crate::config::Config;
use crate::engine::{self, RunError};
use crate::plan::{Plan, TablePlan};
use bloom::{Bloom, Budget, Hasher};
use datamask_core::{Enforced, MasterKey};
use std::time::Instant;
use target::{find_table, Candidate, ChildKey, ParentKey, Pass2, TableScan, EXAMPLES};

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Rows per table re-masked and compared in full (0: no determinism sample).
    pub sample_rows: usize,
    /// Look for original values of masked columns in every output column.
    pub all_columns: bool,
    /// With `all_columns`, values shorter than this (in characters) are not looked up: short
    /// values ("1", "yes", "NY") recur across columns by nature.
    pub min_length: usize,
    /// Memory for the filters, in MiB; past it they fill up (and may miss problems, which the
    /// report then says).
    pub memory_mb: usize,
    /// Rows per batch while reading.
    pub batch_size: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            sample_rows: 1000,
            all_columns: false,
            min_length: 6,
            memory_mb: 256,
            batch_size: crate::engine::DEFAULT_BATCH_SIZE,
        }
    }
}

impl VerifyOptions {
    /// The options the config's `verify:` section sets.
    pub fn from_config(config: &Config) -> Self {
        let v = &config.verify;
        VerifyOptions {
            sample_rows: v.sample_rows,
            all_columns: v.all_columns,
            min_length: v.min_length,
            memory_mb: v.memory_mb,
            ..VerifyOptions::default()
        }
    }
}

/// Shared state of one verification: the keyed hasher and the memory budget.
pub struct Verifier {
    hasher: Hasher,
    budget: Budget,
    options: VerifyOptions,
    /// Masked columns compared by digest sums, not filters (the end of a run).
    quick: bool,
}

impl Verifier {
    /// A verifier whose digests are keyed with a key derived from the master key.
    pub fn new(key: &MasterKey, options: VerifyOptions) -> Self {
        Verifier {
            hasher: Hasher::new(key.derive("verify v1 value digests")),
            budget: Budget::new(options.memory_mb.saturating_mul(1 << 20)),
            options,
            quick: false,
        }
    }

    /// A quick verifier (digest sums for the masked columns), unless `all_columns` needs the
    /// filters of original values anyway.
    pub fn quick(key: &MasterKey, options: VerifyOptions) -> Self {
        let quick = !options.all_columns;
        Verifier {
            quick,
            ..Verifier::new(key, options)
        }
    }

    /// A collector for one table's masked batches.
    pub fn collector(&self, table: &TablePlan) -> Collector {
        Collector::new(table, &self.hasher, &self.budget, &self.options, self.quick)
    }

    /// The check at the end of a run: the target of `config` against `expects` (one per copied
    /// table, in plan order). When the quick comparison of a masked column differs, the full
    /// check runs instead (it reads and masks the source again), so the report names the rows.
    pub fn check_after_run(
        &self,
        config: &Config,
        key: &MasterKey,
        plan: &Plan,
        expects: &[TableExpect],
    ) -> Result<VerifyReport, RunError> {
        let (report, sums_differ) = self.check(config, plan, expects, "after_run")?;
        if !sums_differ {
            return Ok(report);
        }
        let (mut full, _) = collect_and_check(config, key, self.options.clone(), false)?;
        full.mode = "after_run".into();
        full.full_recheck = true;
        full.elapsed_ms += report.elapsed_ms;
        Ok(full)
    }

    /// Checks the target of `config` against `expects`; true when a quick digest sum differed.
    fn check(
        &self,
        config: &Config,
        plan: &Plan,
        expects: &[TableExpect],
        mode: &str,
    ) -> Result<(VerifyReport, bool), RunError> {
        let clock = Instant::now();
        let conn = config.target.as_ref().ok_or(RunError::NoTarget)?;
        let loc = engine::location(config, conn)?;
        let batch_size = self.options.batch_size;
        let mut target =
            datamask_connectors::open_source(&loc, &engine::file_options(conn, batch_size))?;
        let target_tables = target.tables()?;
        let copied: Vec<&TablePlan> = plan.copied().collect();
        let schemas: Vec<Option<&datamask_core::TableSchema>> = copied
            .iter()
            .map(|t| find_table(&target_tables, &t.name))
            .collect();
        let enforced = schemas
            .iter()
            .map(|schema| match schema {
                Some(schema) => target.enforced(schema),
                None => Ok(Enforced::default()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (mut parents, mut children, mut tables) = self.keys(&copied, expects, &enforced);
        let anys: Vec<Option<&Bloom>> = expects.iter().map(|e| e.any.as_ref()).collect();
        let mut second: Vec<Option<(Pass2, datamask_core::TableSchema)>> = Vec::new();
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut sums_differ = false;
        for (i, (table, expect)) in copied.iter().zip(expects).enumerate() {
            let t = &mut tables[i];
            let Some(schema) = schemas[i] else {
                t.findings.push(Finding {
                    check: Check::MissingTable,
                    columns: Vec::new(),
                    count: 1,
                    rows: Vec::new(),
                    message: "the table is missing from the target".into(),
                });
                second.push(None);
                continue;
            };
            let mut scan = TableScan::new(
                &self.hasher,
                &self.budget,
                &self.options,
                i,
                table,
                expect,
                (schema, &enforced[i]),
            );
            let light = target::light_scan(
                &mut scan,
                target.as_mut(),
                batch_size,
                &mut parents,
                &children[i],
                &anys,
            )?;
            let rows = match light {
                Some(rows) => rows,
                None => target::scan_table(
                    &mut scan,
                    target.as_mut(),
                    batch_size,
                    &mut parents,
                    &mut children[i],
                    &anys,
                )?,
            };
            for p in parents.iter_mut().filter(|p| p.table == table.name) {
                p.filled = true;
            }
            let (scanned, pass2) = scan.finish(rows);
            t.target_rows = scanned.target_rows;
            t.sampled_rows = scanned.sampled;
            t.constraints_checked += scanned.constraints;
            t.constraints_enforced_by_target += scanned.enforced;
            sums_differ |= scanned.sums_differ;
            t.findings.extend(scanned.findings);
            t.warnings.extend(scanned.warnings);
            candidates.extend(scanned.candidates);
            second.push(Some((pass2, schema.clone())));
        }
        for (i, slot) in second.into_iter().enumerate() {
            let Some((pass2, schema)) = slot else {
                continue;
            };
            let kids = &mut children[i];
            for k in kids.iter().filter(|k| !parents[k.parent].filled) {
                tables[i].warnings.push(format!(
                    "foreign key ({}) not checked: `{}` is missing from the target",
                    k.columns.join(", "),
                    parents[k.parent].table
                ));
            }
            kids.retain(|k| parents[k.parent].filled);
            if pass2.needed(kids) {
                let found = pass2.run(
                    &self.hasher,
                    target.as_mut(),
                    &schema,
                    batch_size,
                    kids,
                    &parents,
                )?;
                tables[i].findings.extend(found);
            }
            for k in kids.iter().filter(|k| k.orphans > 0) {
                tables[i].findings.push(Finding {
                    check: Check::ForeignKey,
                    columns: k.columns.clone(),
                    count: k.orphans,
                    rows: k.rows.clone(),
                    message: format!(
                        "{} row(s) reference a missing `{}` ({})",
                        k.orphans,
                        parents[k.parent].table,
                        parents[k.parent].columns.join(", ")
                    ),
                });
            }
        }
        drop(target);
        if !candidates.is_empty() {
            let mut source = engine::open_source(config, batch_size)?;
            let confirmed = confirm::confirm(
                &self.hasher,
                source.as_mut(),
                &copied,
                &candidates,
                self.options.min_length,
                batch_size,
            )?;
            leak_findings(&mut tables, &candidates, &confirmed);
        }
        for t in &mut tables {
            t.findings.sort_by_key(|f| f.check);
        }
        let report = VerifyReport {
            ok: true,
            mode: mode.to_string(),
            source: plan.source.clone(),
            target: plan.target.clone().unwrap_or_default(),
            sample_rows: self.options.sample_rows,
            all_columns: self.options.all_columns,
            tables,
            problems: 0,
            full_recheck: false,
            elapsed_ms: clock.elapsed().as_millis() as u64,
        }
        .seal();
        Ok((report, sums_differ))
    }

    /// The referenced keys, each table's foreign keys (but those the target enforces), and an
    /// empty result per table.
    fn keys(
        &self,
        copied: &[&TablePlan],
        expects: &[TableExpect],
        enforced: &[Enforced],
    ) -> (Vec<ParentKey>, Vec<Vec<ChildKey>>, Vec<TableVerification>) {
        let mut parents: Vec<ParentKey> = Vec::new();
        let mut children = Vec::new();
        let mut tables = Vec::new();
        for ((table, expect), enforced) in copied.iter().zip(expects).zip(enforced) {
            let mut kids = Vec::new();
            let mut warnings = Vec::new();
            let mut by_target = 0;
            for fk in &table.schema.foreign_keys {
                if target::fk_enforced(fk, enforced) {
                    by_target += 1;
                    continue;
                }
                let Some(p) = copied.iter().position(|t| t.name == fk.ref_table) else {
                    warnings.push(format!(
                        "foreign key ({}) not checked: `{}` is not copied",
                        fk.columns.join(", "),
                        fk.ref_table
                    ));
                    continue;
                };
                let parent = match parents
                    .iter()
                    .position(|k| k.table == fk.ref_table && k.columns == fk.ref_columns)
                {
                    Some(i) => i,
                    None => {
                        parents.push(ParentKey {
                            table: fk.ref_table.clone(),
                            columns: fk.ref_columns.clone(),
                            bloom: Bloom::new(expects[p].rows as usize, &self.budget),
                            filled: false,
                        });
                        parents.len() - 1
                    }
                };
                kids.push(ChildKey {
                    columns: fk.columns.clone(),
                    parent,
                    orphans: 0,
                    rows: Vec::new(),
                    early: false,
                });
            }
            tables.push(TableVerification {
                table: table.name.clone(),
                ok: true,
                source_rows: expect.rows,
                target_rows: None,
                leak_checked_columns: expect.masked.len(),
                sampled_rows: 0,
                constraints_checked: kids.len() + by_target,
                constraints_enforced_by_target: by_target,
                findings: Vec::new(),
                warnings,
            });
            children.push(kids);
        }
        (parents, children, tables)
    }
}

/// One leak finding per (table, column) with confirmed original values.
fn leak_findings(tables: &mut [TableVerification], candidates: &[Candidate], confirmed: &[bool]) {
    let mut groups: Vec<(usize, String, bool, u64, Vec<String>)> = Vec::new();
    for (c, _) in candidates.iter().zip(confirmed).filter(|(_, ok)| **ok) {
        let masked = c.source_column.is_some();
        match groups
            .iter_mut()
            .find(|g| g.0 == c.table && g.1 == c.column)
        {
            Some(g) => {
                g.3 += 1;
                if g.4.len() < EXAMPLES {
                    g.4.push(c.row.clone());
                }
            }
            None => groups.push((c.table, c.column.clone(), masked, 1, vec![c.row.clone()])),
        }
    }
    for (t, column, masked, count, rows) in groups {
        let message = if masked {
            format!("{count} original value(s) found in the masked output")
        } else {
            format!("{count} value(s) equal an original value of a masked column, unmasked")
        };
        tables[t].findings.push(Finding {
            check: Check::Leak,
            columns: vec![column],
            count,
            rows,
            message,
        });
    }
}

/// `datamask verify`: reads and masks the source again (without writing anything), then
/// checks the target against it: quickly first, and in full (a second read of the source)
/// only when the digest sums differ.
pub fn verify(
    config: &Config,
    key: &MasterKey,
    options: VerifyOptions,
) -> Result<VerifyReport, RunError> {
    let clock = Instant::now();
    let (mut report, sums_differ) = collect_and_check(config, key, options.clone(), true)?;
    if sums_differ {
        (report, _) = collect_and_check(config, key, options, false)?;
        report.full_recheck = true;
    }
    report.elapsed_ms = clock.elapsed().as_millis() as u64;
    Ok(report)
}

/// Reads and masks the source, collecting what the target should hold, then checks it; true
/// when a quick digest sum differed.
fn collect_and_check(
    config: &Config,
    key: &MasterKey,
    options: VerifyOptions,
    quick: bool,
) -> Result<(VerifyReport, bool), RunError> {
    let mut source = engine::open_source(config, options.batch_size)?;
    let (plan, _) = engine::plan(config, source.as_mut())?;
    let verifier = if quick {
        Verifier::quick(key, options)
    } else {
        Verifier::new(key, options)
    };
    let mut expects = Vec::new();
    for table in plan.copied() {
        let mut collector = verifier.collector(table);
        engine::mask_table(
            table,
            key,
            source.as_mut(),
            verifier.options.batch_size,
            engine::cores(),
            |masked, originals| {
                collector.observe(&masked, &originals);
                Ok(true)
            },
        )?;
        expects.push(collector.finish());
    }
    drop(source);
    verifier.check(config, &plan, &expects, "full")
}
