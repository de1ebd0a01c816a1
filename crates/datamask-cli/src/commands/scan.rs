//! `datamask scan`: which columns hold personal data, how sure, and why.

use crate::{table, Failure};
use datamask::discover::{self, TableScan};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// The database or files to scan (postgres://, mysql://, sqlite://PATH, a file or
    /// directory); `${VAR}` is expanded, so a password can stay out of the process list
    #[arg(long)]
    source: String,
    /// Output: a table for people, or JSON (one object per column)
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    format: ScanFormat,
    /// Rows sampled per table (the first rows in key order; never the whole table)
    #[arg(long, default_value_t = datamask_discovery::DEFAULT_SAMPLE_ROWS)]
    sample: usize,
    /// Also list columns where nothing was found (table format)
    #[arg(long)]
    all: bool,
}

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
}

/// One column in `--format json`.
#[derive(Serialize)]
struct ColumnJson<'a> {
    table: &'a str,
    column: &'a str,
    data_type: &'a str,
    #[serde(rename = "type")]
    pii_type: Option<&'static str>,
    confidence: Option<&'static str>,
    score: f64,
    evidence: Option<&'a datamask_discovery::Evidence>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let source = datamask::config::expand_env(&args.source).map_err(Failure::user)?;
    let scans = discover::scan_url(&source, args.sample).map_err(Failure::user)?;
    match args.format {
        ScanFormat::Json => super::print_json(&json(&scans)),
        ScanFormat::Table => super::print(&render(&scans, args.all)),
    }
}

fn json(scans: &[TableScan]) -> Vec<ColumnJson<'_>> {
    scans
        .iter()
        .flat_map(|t| &t.columns)
        .map(|c| ColumnJson {
            table: &c.table,
            column: &c.column,
            data_type: &c.data_type,
            pii_type: c.finding.as_ref().map(|f| f.pii_type.name()),
            confidence: c.finding.as_ref().map(|f| f.confidence.name()),
            score: c.finding.as_ref().map_or(0.0, |f| f.score),
            evidence: c.finding.as_ref().map(|f| &f.evidence),
        })
        .collect()
}

/// The table form: one row per finding (or per column with `--all`), then a summary.
pub fn render(scans: &[TableScan], all: bool) -> String {
    let mut rows = Vec::new();
    for c in scans.iter().flat_map(|t| &t.columns) {
        match &c.finding {
            Some(f) => rows.push(vec![
                c.table.clone(),
                c.column.clone(),
                f.pii_type.name().to_string(),
                f.confidence.name().to_string(),
                format!("{:.2}", f.score),
                f.evidence.summary(),
            ]),
            None if all => rows.push(vec![
                c.table.clone(),
                c.column.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                String::new(),
            ]),
            None => {}
        }
    }
    let count = |c: datamask_discovery::Confidence| {
        scans
            .iter()
            .flat_map(|t| &t.columns)
            .filter(|col| col.finding.as_ref().is_some_and(|f| f.confidence == c))
            .count()
    };
    let columns: usize = scans.iter().map(|t| t.columns.len()).sum();
    let mut out = table::render(
        &["table", "column", "type", "confidence", "score", "evidence"],
        &rows,
    );
    out.push_str(&format!(
        "\n{} tables, {columns} columns: {} certain, {} likely, {} possible\n",
        scans.len(),
        count(datamask_discovery::Confidence::Certain),
        count(datamask_discovery::Confidence::Likely),
        count(datamask_discovery::Confidence::Possible),
    ));
    out
}
