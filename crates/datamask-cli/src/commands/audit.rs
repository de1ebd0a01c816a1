//! `datamask audit list | show RUN | verify`: the signed run history.

use crate::{table, Failure, Format};
use datamask::audit;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
    /// Read the audit directory of this config
    #[arg(short = 'c', long = "config", global = true)]
    config: Option<PathBuf>,
    /// Read this audit directory
    #[arg(long, global = true, conflicts_with = "config")]
    dir: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// One line per run, oldest first
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print one manifest (by number, run id, or a unique prefix)
    Show { run: String },
    /// Check every signature and the hash chain; exit 1 naming the first broken manifest
    Verify,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let (dir, expected_key) = resolve(&args)?;
    match args.command {
        AuditCommand::List { format } => list(&dir, format),
        AuditCommand::Show { run } => {
            let e = audit::find(&dir, &run).map_err(Failure::user)?;
            super::print(&String::from_utf8_lossy(&e.bytes))
        }
        AuditCommand::Verify => {
            let v = audit::verify(&dir, expected_key.as_deref())
                .map_err(|e| Failure::user(format!("audit verification failed: {e}")))?;
            let signer = match expected_key {
                Some(_) => "signed by this config's key",
                None => {
                    "signer not pinned (pass -c with DATAMASK_KEY set to check the signing key)"
                }
            };
            super::print(&format!(
                "ok: {} manifest{} verified in {}, chain intact, {signer}\n",
                v.manifests,
                if v.manifests == 1 { "" } else { "s" },
                dir.display()
            ))
        }
    }
}

/// The audit directory, and the public key manifests must carry when the config's key is
/// available.
fn resolve(args: &Args) -> Result<(PathBuf, Option<String>), Failure> {
    if let Some(d) = &args.dir {
        return Ok((d.clone(), None));
    }
    let Some(path) = &args.config else {
        return Ok((PathBuf::from(".datamask/runs"), None));
    };
    let config = super::load_config(path)?;
    let expected = datamask::keys::load(&config)
        .ok()
        .and_then(|k| datamask::engine::signer(&config, &k).ok())
        .map(|s| s.public_key_hex());
    Ok((config.audit_dir(), expected))
}

fn list(dir: &std::path::Path, format: Format) -> Result<(), Failure> {
    let entries = audit::entries(dir).map_err(Failure::user)?;
    if format == Format::Json {
        let bodies: Vec<_> = entries.iter().filter_map(|e| e.body.clone()).collect();
        return super::print_json(&bodies);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let tables = e
                .body
                .as_ref()
                .and_then(|b| b.get("tables"))
                .and_then(|t| t.as_array());
            let rows: u64 = tables
                .map(|ts| {
                    ts.iter()
                        .filter_map(|t| t.get("rows_written").and_then(|r| r.as_u64()))
                        .sum()
                })
                .unwrap_or(0);
            vec![
                e.seq.to_string(),
                e.field("run_id").unwrap_or("?").to_string(),
                e.field("started_at").unwrap_or("?").to_string(),
                e.field("actor").unwrap_or("?").to_string(),
                tables.map_or(0, Vec::len).to_string(),
                rows.to_string(),
                e.field("target").unwrap_or("?").to_string(),
            ]
        })
        .collect();
    super::print(&table::render(
        &["#", "run", "started", "actor", "tables", "rows", "target"],
        &rows,
    ))
}
