//! The `datamask` command-line tool.
//!
//! The only crate in the workspace that prints or uses `anyhow`. Exit codes are a contract:
//! 0 success, 1 a problem the user can fix (bad config, failed check, refused target, bad
//! data), 2 an unexpected error (a bug). A closed stdout (`datamask plan | head`) exits 0.

mod commands;
mod progress;
mod table;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: masking allocates a small string per value on the
/// reader threads and frees it on the writer thread, a pattern glibc's malloc serves slowly
/// (a quarter of the CPU of a PostgreSQL copy went to it; see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "datamask",
    version,
    about = "Deterministic, relationship-safe masking of production data into safe copies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format for commands that print data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Write a draft config from the source's schema and a discovery scan
    Init(commands::init::Args),
    /// Find columns holding personal data: type, confidence and evidence per column
    Scan(commands::scan::Args),
    /// Copy the source to the target, masking as the config says
    Run(commands::run::Args),
    /// Pre-flight: validate the config, the key, the source and the target; write nothing
    Check(commands::check::Args),
    /// Show what a run would do (tables, and each column's strategy and domain)
    Plan(commands::plan::Args),
    /// Show a few rows of one table before and after masking (terminal only, never recorded)
    Preview(commands::preview::Args),
    /// List the strategy catalogue with options and docs
    Strategies(commands::strategies::Args),
    /// Print a new random master key (64 hex digits)
    Keygen,
    /// Check a finished target against its source: leaks, integrity, determinism
    Verify(commands::verify::Args),
    /// Inspect and verify the signed run history
    Audit(commands::audit::Args),
}

/// Where the config is, shared by the commands that read one.
#[derive(clap::Args, Debug, Clone)]
pub struct ConfigArg {
    /// The config file
    #[arg(short = 'c', long = "config", default_value = "datamask.yaml")]
    pub config: PathBuf,
}

/// An error with the exit code it deserves.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// A user-level problem (exit 1).
    pub fn user(message: impl std::fmt::Display) -> Self {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        let code = match e.downcast_ref::<datamask::engine::RunError>() {
            Some(r) if r.is_internal() => 2,
            _ => 1,
        };
        Failure {
            code,
            message: format!("{e:#}"),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Init(a) => commands::init::run(a),
        Command::Scan(a) => commands::scan::run(a),
        Command::Run(a) => commands::run::run(a),
        Command::Check(a) => commands::check::run(a),
        Command::Plan(a) => commands::plan::run(a),
        Command::Preview(a) => commands::preview::run(a),
        Command::Strategies(a) => commands::strategies::run(a),
        Command::Keygen => commands::keygen(),
        Command::Verify(a) => commands::verify::run(a),
        Command::Audit(a) => commands::audit::run(a),
    });
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(f)) if is_broken_pipe(&f.message) => ExitCode::SUCCESS,
        Ok(Err(f)) => {
            let msg = f.message.trim_end();
            if msg.starts_with("error:") {
                eprintln!("{msg}");
            } else {
                eprintln!("error: {msg}");
            }
            ExitCode::from(f.code)
        }
        Err(_) => {
            eprintln!("error: datamask hit an internal error (this is a bug; please report it)");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(msg: &str) -> bool {
    msg.contains("Broken pipe")
}
