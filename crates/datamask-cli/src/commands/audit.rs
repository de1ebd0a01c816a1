//! `datamask audit list | show RUN | verify | diff RUN1 RUN2`: the signed run history.

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
    Verify {
        /// A head hash printed by an earlier `audit verify` and kept elsewhere: fail unless
        /// that manifest is still in the chain (catches removal of the newest runs)
        #[arg(long, value_name = "HASH")]
        anchor: Option<String>,
    },
    /// What changed between two runs (config, key, schema, rows, checksums, strategies)
    Diff {
        from: String,
        to: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

pub fn run(args: Args) -> Result<(), Failure> {
    let (dir, expected_key) = resolve(&args)?;
    match args.command {
        AuditCommand::List { format } => list(&dir, format),
        AuditCommand::Show { run } => {
            let e = audit::find(&dir, &run).map_err(Failure::user)?;
            super::print(&String::from_utf8_lossy(&e.bytes))
        }
        AuditCommand::Diff { from, to, format } => {
            let body = |run: &str| {
                audit::find(&dir, run)
                    .map_err(Failure::user)?
                    .body
                    .ok_or_else(|| {
                        Failure::user(format!("run `{run}`: the manifest is not valid JSON"))
                    })
            };
            let d = audit::diff::diff(&body(&from)?, &body(&to)?);
            match format {
                Format::Json => super::print_json(&d),
                Format::Text => super::print(&render_diff(&d, &from, &to)),
            }
        }
        AuditCommand::Verify { anchor } => {
            let v = audit::verify(&dir, expected_key.as_deref())
                .map_err(|e| Failure::user(format!("audit verification failed: {e}")))?;
            if let Some(anchor) = anchor.filter(|a| !v.contains(a)) {
                return Err(Failure::user(format!(
                    "audit verification failed: no manifest in {} has the anchored hash {anchor} \
                     (runs were removed, or the anchor belongs to another audit directory)",
                    dir.display()
                )));
            }
            let signer = match expected_key {
                Some(_) => "signed by this config's key",
                None => {
                    "signer not pinned (pass -c with DATAMASK_KEY set to check the signing key)"
                }
            };
            let head = v.head().map_or(String::new(), |h| {
                format!("head: {h} (keep it elsewhere; `audit verify --anchor HASH` later proves no newer run was removed)\n")
            });
            super::print(&format!(
                "ok: {} manifest{} verified in {}, chain intact, {signer}\n{head}",
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

fn render_diff(d: &audit::diff::Diff, from: &str, to: &str) -> String {
    let mut out = format!("diff {from} ({}) -> {to} ({})\n\n", d.from_run, d.to_run);
    let mut rows: Vec<Vec<String>> = d
        .changes
        .iter()
        .map(|c| vec![c.field.clone(), format!("{} -> {}", c.from, c.to)])
        .collect();
    let mut same = 0;
    for t in &d.tables {
        if t.status == "same" {
            same += 1;
            continue;
        }
        rows.push(vec![format!("table {}", t.table), t.status.to_string()]);
        for c in &t.changes {
            rows.push(vec![
                format!("  {}", c.field),
                format!("{} -> {}", c.from, c.to),
            ]);
        }
    }
    if rows.is_empty() {
        out.push_str("no differences: same tool, config, key, schema, rows and checksums\n");
        return out;
    }
    out.push_str(&table::render(&["what", "change"], &rows));
    if same > 0 {
        out.push_str(&format!(
            "\n{same} other table{} unchanged\n",
            if same == 1 { "" } else { "s" }
        ));
    }
    out
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
                verified(e),
                e.field("target").unwrap_or("?").to_string(),
            ]
        })
        .collect();
    super::print(&table::render(
        &[
            "#", "run", "started", "actor", "tables", "rows", "verified", "target",
        ],
        &rows,
    ))
}

/// The verification result of a run, as `audit list` shows it.
fn verified(e: &audit::Entry) -> String {
    let v = e.body.as_ref().and_then(|b| b.get("verification"));
    match v.and_then(|v| v.get("problems")).and_then(|p| p.as_u64()) {
        Some(0) => "ok".into(),
        Some(1) => "1 problem".into(),
        Some(n) => format!("{n} problems"),
        None => "-".into(),
    }
}
