//! Run statistics as JSON and CSV.

use super::{rows_per_second, table_verdict};
use crate::engine::RunReport;
use serde::Serialize;
use std::collections::BTreeMap;

/// One table's statistics.
#[derive(Debug, Clone, Serialize)]
pub struct TableStats {
    pub table: String,
    pub action: crate::plan::TableAction,
    pub rows_read: u64,
    pub rows_written: u64,
    pub masked_columns: usize,
    pub elapsed_ms: u64,
    pub rows_per_second: u64,
    /// `ok`, `N problems`, or `-` when the run did not verify.
    pub verification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_checksum: Option<String>,
    /// How many columns use each strategy.
    pub strategies: BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct Totals {
    tables: usize,
    tables_copied: usize,
    rows_read: u64,
    rows_written: u64,
    masked_columns: usize,
    rows_per_second: u64,
}

#[derive(Serialize)]
struct Stats<'a> {
    run_id: &'a str,
    dry_run: bool,
    started_at: &'a str,
    elapsed_ms: u64,
    source: &'a str,
    target: &'a str,
    tool_version: &'a str,
    key_fingerprint: &'a str,
    config_hash: &'a str,
    totals: Totals,
    verification: Option<Verification>,
    tables: Vec<TableStats>,
}

#[derive(Serialize)]
struct Verification {
    ok: bool,
    problems: usize,
    sampled_rows: u64,
}

/// The per-table statistics of a run.
pub fn table_stats(report: &RunReport) -> Vec<TableStats> {
    report
        .tables
        .iter()
        .map(|t| {
            let mut strategies = BTreeMap::new();
            for c in &t.columns {
                *strategies.entry(c.strategy.clone()).or_insert(0) += 1;
            }
            TableStats {
                table: t.table.clone(),
                action: t.action,
                rows_read: t.rows_read,
                rows_written: t.rows_written,
                masked_columns: t.masked_columns,
                elapsed_ms: t.elapsed_ms,
                rows_per_second: rows_per_second(t),
                verification: table_verdict(report, &t.table),
                output_checksum: t.output_checksum.clone(),
                strategies,
            }
        })
        .collect()
}

/// `--stats-json`: the run, totals, verification summary and one entry per table.
pub fn stats_json(report: &RunReport) -> String {
    let tables = table_stats(report);
    let rows_read: u64 = tables.iter().map(|t| t.rows_read).sum();
    let stats = Stats {
        run_id: &report.run_id,
        dry_run: report.dry_run,
        started_at: &report.started_at,
        elapsed_ms: report.elapsed_ms,
        source: &report.source,
        target: &report.target,
        tool_version: &report.tool_version,
        key_fingerprint: &report.key_fingerprint,
        config_hash: &report.config_hash,
        totals: Totals {
            tables: tables.len(),
            tables_copied: tables
                .iter()
                .filter(|t| t.action == crate::plan::TableAction::Copy)
                .count(),
            rows_read,
            rows_written: tables.iter().map(|t| t.rows_written).sum(),
            masked_columns: tables.iter().map(|t| t.masked_columns).sum(),
            rows_per_second: rows_read.saturating_mul(1000) / report.elapsed_ms.max(1),
        },
        verification: report.verification.as_ref().map(|v| Verification {
            ok: v.ok,
            problems: v.problems,
            sampled_rows: v.tables.iter().map(|t| t.sampled_rows).sum(),
        }),
        tables,
    };
    serde_json::to_string_pretty(&stats).unwrap_or_default() + "\n"
}

/// `--stats-csv`: a header and one line per table (RFC 4180 quoting).
pub fn stats_csv(report: &RunReport) -> String {
    let mut out = String::from(
        "run_id,table,action,rows_read,rows_written,masked_columns,elapsed_ms,rows_per_second,verification,output_checksum\n",
    );
    for t in table_stats(report) {
        let action = match t.action {
            crate::plan::TableAction::Copy => "copy",
            crate::plan::TableAction::Skip => "skip",
        };
        let fields = [
            report.run_id.clone(),
            t.table,
            action.to_string(),
            t.rows_read.to_string(),
            t.rows_written.to_string(),
            t.masked_columns.to_string(),
            t.elapsed_ms.to_string(),
            t.rows_per_second.to_string(),
            t.verification,
            t.output_checksum.unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
