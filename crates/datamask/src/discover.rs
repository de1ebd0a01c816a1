//! Discovery wired to sources given by URL: `datamask scan` and `datamask init` start here.
//!
//! The recognisers live in `datamask-discovery`; this module opens the source, samples it and
//! returns per-column results. It also holds the fail-closed check of `run` and `check`
//! ([`sensitive_unlisted`]): a column no rule names that discovery classifies `likely` or
//! `certain` is not copied silently. Nothing here prints or writes.

use crate::plan::{Origin, Plan, TablePlan};
use datamask_connectors::{FileOptions, Location};
use datamask_core::source::ReadOptions;
use datamask_core::{Batch, Source};
pub use datamask_discovery::{ColumnScan, Confidence, Finding, PiiType, TableScan};
use serde::Serialize;

/// Opens a source named by a URL or path (relative paths against the working directory).
pub fn open_url(url: &str) -> datamask_core::Result<(Location, Box<dyn Source + Send>)> {
    let location =
        datamask_connectors::parse_location(url, None)?.resolve(std::path::Path::new(""));
    let source = datamask_connectors::open_source(&location, &FileOptions::default())?;
    Ok((location, source))
}

/// Samples every table of the source at `url` (at most `rows` rows each) and classifies each
/// column.
pub fn scan_url(url: &str, rows: usize) -> datamask_core::Result<Vec<TableScan>> {
    let (_, mut source) = open_url(url)?;
    datamask_discovery::scan(source.as_mut(), rows)
}

/// An unlisted column that discovery classifies `likely` or `certain`: under the default
/// `policy.unlisted_columns` (`fail_sensitive`) it stops the run.
#[derive(Debug, Clone, Serialize)]
pub struct SensitiveColumn {
    pub table: String,
    pub column: String,
    pub finding: Finding,
    /// The suggested rule as a YAML value (`{ strategy: "email", domain: "email" }`).
    pub rule: String,
}

/// What the fail-closed check looked at and found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnlistedScan {
    /// Unlisted columns sampled and classified.
    pub checked: usize,
    /// Tables they belong to.
    pub tables: usize,
    /// The ones that stop the run, in plan order.
    pub sensitive: Vec<SensitiveColumn>,
}

/// Samples the columns no rule names (at most `rows` rows per table, as `scan` does) and
/// returns those discovery classifies `likely` or `certain`, each with the rule `init` would
/// suggest for it. Columns linked to a column with a rule (foreign keys, relations, domains)
/// inherit that rule in the plan and are not unlisted.
pub fn sensitive_unlisted(
    plan: &Plan,
    source: &mut dyn Source,
    rows: usize,
) -> datamask_core::Result<UnlistedScan> {
    let mut out = UnlistedScan::default();
    for table in plan.copied() {
        let unlisted: Vec<usize> = (0..table.columns.len())
            .filter(|&i| table.columns[i].origin == Origin::Policy)
            .collect();
        if unlisted.is_empty() {
            continue;
        }
        out.tables += 1;
        out.checked += unlisted.len();
        let sample = sample(table, source, rows)?;
        for i in unlisted {
            let column = &table.schema.columns[i];
            let Some(finding) =
                datamask_discovery::classify(&table.schema, column, &sample.columns[i])
            else {
                continue;
            };
            if finding.confidence < Confidence::Likely {
                continue;
            }
            let s =
                datamask_discovery::suggest(&finding, &table.schema, column, &sample.columns[i]);
            let rule = crate::init::rule_yaml(s.strategy, &s.options);
            out.sensitive.push(SensitiveColumn {
                table: table.name.clone(),
                column: column.name.clone(),
                finding,
                rule,
            });
        }
    }
    Ok(out)
}

/// The first `rows` rows of a planned table: the table's own sample, or the head of its query.
fn sample(table: &TablePlan, source: &mut dyn Source, rows: usize) -> datamask_core::Result<Batch> {
    let width = table.schema.columns.len();
    let batches = match &table.query {
        Some(sql) => {
            // The LIMIT lets the server stop early; `collect_sample` bounds the rows anyway.
            let sql = sql.trim().trim_end_matches(';');
            let limited = format!("SELECT * FROM ({sql}) AS datamask_sample LIMIT {rows}");
            let options = ReadOptions {
                batch_size: rows.clamp(1, 10_000),
                filter: None,
            };
            source.read_query(&table.schema, &limited, &options)?
        }
        None => source.sample(&table.schema, rows)?,
    };
    datamask_discovery::collect_sample(batches, width, rows)
}

/// The message that stops a run: every sensitive column with its evidence, then the rules to
/// paste into the config, grouped by table.
pub fn render_sensitive(columns: &[SensitiveColumn]) -> String {
    let mut out =
        format!(
        "{} unlisted {} {} sensitive; datamask does not copy {} unchanged without a decision:\n",
        columns.len(),
        if columns.len() == 1 { "column" } else { "columns" },
        if columns.len() == 1 { "looks" } else { "look" },
        if columns.len() == 1 { "it" } else { "them" },
    );
    for c in columns {
        let f = &c.finding;
        out.push_str(&format!(
            "  - {}.{}: {} {} ({:.2}): {}\n",
            c.table,
            c.column,
            f.pii_type,
            f.confidence,
            f.score,
            f.evidence.summary()
        ));
    }
    out.push_str("  suggested rules (under `tables:` in the config):\n");
    let mut last_table: Option<&str> = None;
    for c in columns {
        if last_table != Some(c.table.as_str()) {
            out.push_str(&format!(
                "      {}:\n        columns:\n",
                crate::init::yaml_key(&c.table)
            ));
            last_table = Some(&c.table);
        }
        out.push_str(&format!(
            "          {}: {}\n",
            crate::init::yaml_key(&c.column),
            c.rule
        ));
    }
    out.push_str(
        "  = help: add these rules (or your own); to copy a column as it is, write `COLUMN: { strategy: preserve, reason: \"...\" }`; to copy every unlisted column, set `policy: { unlisted_columns: preserve }`",
    );
    out
}
