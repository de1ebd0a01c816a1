//! `datamask init`: write a draft config from the source's schema and a discovery scan.

use crate::Failure;
use datamask::{discover, init};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The database or files to scan (postgres://, mysql://, sqlite://PATH, a file or
    /// directory); `${VAR}` is expanded and kept as a reference in the draft
    #[arg(long)]
    source: String,
    /// Where to write the draft config
    #[arg(short = 'o', long = "output", default_value = "datamask.yaml")]
    output: PathBuf,
    /// Rows sampled per table (the first rows in key order; never the whole table)
    #[arg(long, default_value_t = datamask_discovery::DEFAULT_SAMPLE_ROWS)]
    sample: usize,
    /// Replace the output file if it exists
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    if args.output.exists() && !args.force {
        return Err(Failure::user(format!(
            "{} already exists; pass --force to replace it",
            args.output.display()
        )));
    }
    let source = datamask::config::expand_env(&args.source).map_err(Failure::user)?;
    let scans = discover::scan_url(&source, args.sample).map_err(Failure::user)?;
    let dir_is_cwd = args
        .output
        .parent()
        .is_none_or(|p| p.as_os_str().is_empty() || p == std::path::Path::new("."));
    let (url, had_password) = init::config_url(&args.source, dir_is_cwd);
    let draft = init::draft(&url, &scans, args.sample);
    std::fs::write(&args.output, draft.render())
        .map_err(|e| Failure::user(format!("cannot write {}: {e}", args.output.display())))?;
    // The lock pins the schema the draft was written for: a column added later stops `run`
    // until someone gives it a rule (or accepts it).
    let schemas: Vec<datamask_core::TableSchema> = scans.iter().map(|s| s.schema.clone()).collect();
    let lock = datamask::lock::record_beside(
        &args.output,
        &datamask::config::ConnectionUrl::new(args.source.as_str()).redacted(),
        &schemas,
    )
    .map_err(Failure::user)?;
    let review = draft
        .active()
        .filter(|r| r.comment.ends_with("REVIEW"))
        .count();
    eprintln!(
        "wrote {}: {} rules for {} tables ({review} marked REVIEW)",
        args.output.display(),
        draft.active().count(),
        scans.len()
    );
    eprintln!(
        "recorded the source schema in {} ({} tables): `run` stops if it changes",
        lock.display(),
        schemas.len()
    );
    if had_password {
        eprintln!("the source password was replaced by ${{DATAMASK_SOURCE_PASSWORD}}: export it before running");
    }
    eprintln!(
        "next: add a `target`, then run `datamask check -c {}`",
        args.output.display()
    );
    Ok(())
}
