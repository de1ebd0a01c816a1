//! `datamask verify`: check a finished target against its source.

use crate::{table, ConfigArg, Failure, Format};
use datamask::verify::{self, VerifyOptions, VerifyReport};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Rows per table re-masked and compared in full (default: verify.sample_rows, 1000)
    #[arg(long)]
    sample_rows: Option<usize>,
    /// Also look for original values of masked columns in every output column
    #[arg(long)]
    all_columns: bool,
    /// Report format on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = super::load_config(&args.config.config)?;
    let key = datamask::keys::load(&config).map_err(Failure::user)?;
    let mut options = VerifyOptions::from_config(&config);
    if let Some(n) = args.sample_rows {
        options.sample_rows = n;
    }
    options.all_columns |= args.all_columns;
    let report =
        verify::verify(&config, &key, options).map_err(|e| Failure::from(anyhow::Error::new(e)))?;
    match args.format {
        Format::Json => super::print_json(&report)?,
        Format::Text => super::print(&render(&report))?,
    }
    outcome(&report)
}

/// Exit 1, naming the number of problems, when verification found any.
pub fn outcome(report: &VerifyReport) -> Result<(), Failure> {
    if report.ok {
        return Ok(());
    }
    Err(Failure::user(format!(
        "verification found {} problem{}",
        report.problems,
        if report.problems == 1 { "" } else { "s" }
    )))
}

/// The text report: a line per table, then every problem and warning.
pub fn render(report: &VerifyReport) -> String {
    let mut out = format!("verify {} -> {}\n\n", report.source, report.target);
    out.push_str(&table_lines(report));
    out.push('\n');
    out.push_str(&problems(report));
    if report.ok {
        out.push_str(&format!(
            "ok: {} table{} verified, no problems ({:.2}s)\n",
            report.tables.len(),
            if report.tables.len() == 1 { "" } else { "s" },
            report.elapsed_ms as f64 / 1000.0
        ));
    }
    out
}

/// The per-table summary.
pub fn table_lines(report: &VerifyReport) -> String {
    let rows: Vec<Vec<String>> = report
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table.clone(),
                t.source_rows.to_string(),
                t.target_rows.map_or_else(|| "-".into(), |n| n.to_string()),
                t.leak_checked_columns.to_string(),
                t.sampled_rows.to_string(),
                t.constraints_checked.to_string(),
                match t.findings.len() {
                    0 => "ok".into(),
                    1 => "1 problem".into(),
                    n => format!("{n} problems"),
                },
            ]
        })
        .collect();
    table::render(
        &[
            "table",
            "source rows",
            "target rows",
            "leak-checked columns",
            "sampled rows",
            "constraints",
            "result",
        ],
        &rows,
    )
}

/// `FAIL table.column: ...` and `warn table: ...` lines.
pub fn problems(report: &VerifyReport) -> String {
    let mut out = String::new();
    for line in report.problem_lines() {
        out.push_str(&format!("FAIL {line}\n"));
    }
    for t in &report.tables {
        for w in &t.warnings {
            out.push_str(&format!("warn {}: {w}\n", t.table));
        }
    }
    out
}
