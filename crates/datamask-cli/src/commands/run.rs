//! `datamask run`: mask the source into the target.

use crate::progress::Bars;
use crate::{table, ConfigArg, Failure, Format};
use datamask::engine::{self, RunError, RunOptions, RunReport};
use datamask::reports;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Tables processed in parallel (default: the number of cores)
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Read and mask everything but write nothing (no target, no manifest)
    #[arg(long)]
    dry_run: bool,
    /// Replace tables that already exist in the target without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// Rows per batch (output does not depend on it)
    #[arg(long, default_value_t = engine::DEFAULT_BATCH_SIZE as u64, value_parser = clap::value_parser!(u64).range(1..))]
    batch_size: u64,
    /// Run even if the source schema changed since `datamask check --record`
    #[arg(long)]
    accept_schema_change: bool,
    /// Confirm that a `mode: in_place` config may replace the data of its source database
    /// with the masked values (refused for a database labelled production)
    #[arg(long)]
    in_place: bool,
    /// Summary format on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Who runs this, for the manifest (default: the operating-system user)
    #[arg(long)]
    actor: Option<String>,
    /// Skip the check of the target at the end (verify.after_run: false does the same)
    #[arg(long)]
    no_verify: bool,
    /// Write a self-contained HTML report of the run to this file
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Write the run's statistics as JSON to this file
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// Write the run's statistics as CSV (one line per table) to this file
    #[arg(long, value_name = "FILE")]
    stats_csv: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = super::load_config(&args.config.config)?;
    let key = datamask::keys::load(&config).map_err(Failure::user)?;
    let defaults = RunOptions::default();
    let mut options = RunOptions {
        dry_run: args.dry_run,
        replace_existing: args.yes,
        batch_size: args.batch_size as usize,
        command: std::env::args().collect(),
        jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
        actor: args.actor.clone().filter(|a| !a.trim().is_empty()),
        accept_schema_change: args.accept_schema_change,
        verify: config.verify.after_run && !args.no_verify,
        in_place: args.in_place,
    };
    let bars = Bars::new();
    let report = match engine::run(&config, &key, &options, &bars) {
        Err(RunError::TargetNotEmpty(tables)) if interactive() && confirm(&tables) => {
            options.replace_existing = true;
            engine::run(&config, &key, &options, &bars)
        }
        other => other,
    }
    .map_err(|e| Failure::from(anyhow::Error::new(e)))?;
    match args.format {
        Format::Json => super::print_json(&report)?,
        Format::Text => super::print(&summary(&report))?,
    }
    let outputs = [
        (&args.report, reports::html as fn(&RunReport) -> String),
        (&args.stats_json, reports::stats_json),
        (&args.stats_csv, reports::stats_csv),
    ];
    for (path, render) in outputs {
        if let Some(path) = path {
            std::fs::write(path, render(&report))
                .map_err(|e| Failure::user(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    match &report.verification {
        Some(v) if !v.ok => {
            eprint!("{}", super::verify::problems(v));
            Err(Failure::user(format!(
                "the target was written, but verifying it found {} problem{} (recorded in the manifest)",
                v.problems,
                if v.problems == 1 { "" } else { "s" }
            )))
        }
        _ => Ok(()),
    }
}

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn confirm(tables: &[String]) -> bool {
    eprint!(
        "The target already holds {}. Replace? [y/N] ",
        tables.join(", ")
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes")
}

/// The text summary: one row per table, then totals and the manifest path.
pub fn summary(report: &RunReport) -> String {
    let in_place = report.mode == datamask::config::Mode::InPlace;
    let rows: Vec<Vec<String>> = report
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table.clone(),
                match (t.action, in_place) {
                    (datamask::plan::TableAction::Copy, false) => "copied".into(),
                    (datamask::plan::TableAction::Skip, false) => "skipped".into(),
                    (datamask::plan::TableAction::Copy, true) => "masked".into(),
                    (datamask::plan::TableAction::Skip, true) => "unchanged".into(),
                },
                t.rows_read.to_string(),
                t.rows_written.to_string(),
                t.masked_columns.to_string(),
            ]
        })
        .collect();
    let mut out = if in_place {
        format!(
            "{} {} (in place)\n\n",
            if report.dry_run { "dry run" } else { "run" },
            report.source
        )
    } else {
        format!(
            "{} {} -> {}\n\n",
            if report.dry_run { "dry run" } else { "run" },
            report.source,
            report.target
        )
    };
    out.push_str(&table::render(
        &[
            "table",
            "action",
            "rows read",
            "rows written",
            "masked columns",
        ],
        &rows,
    ));
    let rows: u64 = report.tables.iter().map(|t| t.rows_written).sum();
    out.push_str(&format!(
        "\n{} tables, {} rows written in {:.2}s\n",
        report.tables.len(),
        rows,
        report.elapsed_ms as f64 / 1000.0
    ));
    if let Some(v) = &report.verification {
        let checked: u64 = v.tables.iter().map(|t| t.sampled_rows).sum();
        out.push_str(&if v.ok {
            format!(
                "verified: no leaks, counts and keys intact, {checked} sampled rows re-masked identically\n"
            )
        } else {
            format!(
                "verification FAILED: {} problem{}\n",
                v.problems,
                if v.problems == 1 { "" } else { "s" }
            )
        });
    }
    match &report.manifest {
        Some(m) => out.push_str(&format!("manifest: {}\n", m.display())),
        None => out.push_str("dry run: nothing was written\n"),
    }
    out
}
