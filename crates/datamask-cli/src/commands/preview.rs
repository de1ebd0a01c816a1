//! `datamask preview`: a few rows of one table before and after masking, on the terminal.

use crate::{table, ConfigArg, Failure, Format};
use datamask::preview::{self, Preview, PreviewError};
use datamask_core::Value;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// The table to preview
    #[arg(long)]
    table: String,
    /// Rows to show (the first ones in key order)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    rows: u64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = super::load_config(&args.config.config)?;
    let key = datamask::keys::load(&config).map_err(Failure::user)?;
    let p =
        preview::preview(&config, &key, &args.table, args.rows as usize).map_err(|e| match e {
            PreviewError::Run(r) => Failure::from(anyhow::Error::new(r)),
            other => Failure::user(other),
        })?;
    eprintln!(
        "preview shows original values: they are printed here only, never written to a file or the audit"
    );
    match args.format {
        Format::Json => super::print_json(&p),
        Format::Text => super::print(&render(&p)),
    }
}

/// A cell for the terminal: NULL shown as such, long values cut.
fn cell(v: &Value) -> String {
    if v.is_null() {
        return "NULL".into();
    }
    let s = v.to_string().replace(['\n', '\r', '\t'], " ");
    if s.chars().count() > 48 {
        format!("{}...", s.chars().take(45).collect::<String>())
    } else {
        s
    }
}

/// One block per row: column, strategy, before, after.
pub fn render(p: &Preview) -> String {
    let masked = p.columns.iter().filter(|c| c.masked).count();
    let of = p
        .estimated_rows
        .map(|n| format!(" of about {n}"))
        .unwrap_or_default();
    let first = match p.rows.len() {
        1 => "the first row".to_string(),
        n => format!("the first {n} rows"),
    };
    let mut out = format!(
        "{}: {first} in key order{of}; {masked} of {} columns masked\n",
        p.table,
        p.columns.len()
    );
    for (n, row) in p.rows.iter().enumerate() {
        out.push_str(&format!("\nrow {}\n", n + 1));
        let lines: Vec<Vec<String>> = p
            .columns
            .iter()
            .zip(row.before.iter().zip(&row.after))
            .map(|(c, (b, a))| {
                let strategy = match (&c.inherited_from, c.masked) {
                    (_, false) => String::new(),
                    (Some(from), true) => format!("{} <- {from}", c.strategy),
                    (None, true) => c.strategy.clone(),
                };
                vec![format!("  {}", c.name), strategy, cell(b), cell(a)]
            })
            .collect();
        out.push_str(&table::render(
            &["  column", "strategy", "before", "after"],
            &lines,
        ));
    }
    out
}
