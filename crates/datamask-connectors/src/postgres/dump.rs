//! The source's schema as SQL, from `pg_dump --schema-only`, split around the data load.
//!
//! One `pg_dump --format=custom --schema-only` snapshot of the source is turned into two
//! scripts by `pg_restore`: the *pre-data* section (schemas, types, domains, functions,
//! sequences, tables with defaults and checks, views, comments), run before the data is loaded,
//! and the *post-data* section (primary keys, unique and foreign keys, indexes, triggers, rules,
//! policies), run after it. Both run inside the sink's single transaction.

use super::conn::{Target, KIND};
use datamask_core::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The source schema, ready to replay in a target.
#[derive(Debug, Default)]
pub(crate) struct SchemaScript {
    /// Session settings and `DROP ... IF EXISTS` statements for what pre-data creates.
    pub(crate) pre_drops: String,
    /// Everything that must exist before the data is loaded.
    pub(crate) pre_create: String,
    /// Keys, indexes, triggers...: created after the data.
    pub(crate) post_create: String,
    /// Tables (`schema.table`) that pre-data creates.
    pub(crate) tables: HashSet<String>,
    /// Those of `tables` that are partitions (loaded through their parent).
    pub(crate) partitions: HashSet<String>,
    /// Materialized views (`schema.name`) populated in the source, in creation order.
    pub(crate) matviews: Vec<(String, String)>,
    /// Sequences (`(schema, name)`) of the source with their `last_value`, when used.
    pub(crate) sequences: HashMap<(String, String), i64>,
}

/// Dumps the schema of `source`.
pub(crate) fn dump(source: &Target) -> Result<SchemaScript> {
    let pg_dump = find_tool("pg_dump")?;
    let pg_restore = pg_dump.with_file_name("pg_restore");
    let pg_restore = if pg_restore.is_file() {
        pg_restore
    } else {
        find_tool("pg_restore")?
    };
    let password = source
        .config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let url = strip_password(&source.url);

    let archive = run(
        source,
        password.as_deref(),
        Command::new(&pg_dump).args([
            "--schema-only",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--no-publications",
            "--no-subscriptions",
            "--no-security-labels",
            "--no-tablespaces",
            "--dbname",
            &url,
        ]),
        None,
    )?;
    let restore = |section: &str, clean: bool| -> Result<String> {
        let mut cmd = Command::new(&pg_restore);
        cmd.args([
            &format!("--section={section}"),
            "--no-owner",
            "--no-privileges",
            "--file=-",
        ]);
        if clean {
            cmd.args(["--clean", "--if-exists"]);
        }
        let out = run(source, password.as_deref(), &mut cmd, Some(&archive))?;
        String::from_utf8(out).map_err(|_| {
            Error::connector(
                KIND,
                format!("{}: pg_restore printed invalid UTF-8", source.display),
            )
        })
    };
    let pre = restore("pre-data", true)?;
    let post = restore("post-data", false)?;

    let (pre_drops, pre_create) = split_drops(&pre);
    let (_, post_create) = split_drops(&post);
    let mut script = SchemaScript {
        pre_drops: rewrite_drops(&pre_drops),
        pre_create: rewrite_creates(&pre_create),
        post_create: rewrite_creates(&post_create),
        ..SchemaScript::default()
    };
    let mut matviews = Vec::new();
    for (name, kind, schema) in toc_entries(&pre_create) {
        match kind {
            "TABLE" => {
                script.tables.insert(format!("{schema}.{name}"));
            }
            "TABLE ATTACH" => {
                script.partitions.insert(format!("{schema}.{name}"));
            }
            "MATERIALIZED VIEW" => matviews.push((schema.to_string(), name.to_string())),
            _ => {}
        }
    }

    // Source state the schema dump does not carry: which materialized views hold data, and
    // where the sequences stand.
    let mut client = source.connect()?;
    let err = |e| source.error_in("reading sequences and materialized views", e);
    let populated: HashSet<(String, String)> = client
        .query(
            "SELECT schemaname::text, matviewname::text FROM pg_catalog.pg_matviews \
             WHERE ispopulated",
            &[],
        )
        .map_err(err)?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    script.matviews = matviews
        .into_iter()
        .filter(|m| populated.contains(m))
        .collect();
    script.sequences = client
        .query(
            "SELECT schemaname::text, sequencename::text, last_value FROM pg_catalog.pg_sequences \
             WHERE last_value IS NOT NULL",
            &[],
        )
        .map_err(err)?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    Ok(script)
}

/// Runs a PostgreSQL client tool, feeding `input` on stdin; errors carry its stderr with any
/// password removed.
fn run(
    source: &Target,
    password: Option<&str>,
    cmd: &mut Command,
    input: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let tool = Path::new(cmd.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    cmd.env("PGCONNECT_TIMEOUT", "10")
        .env("PGAPPNAME", "datamask")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match password {
        Some(p) => cmd.env("PGPASSWORD", p),
        None => cmd.env_remove("PGPASSWORD"),
    };
    let mut child = cmd.spawn().map_err(|e| {
        Error::connector(
            KIND,
            format!("cannot run {tool} ({e}); install the PostgreSQL client tools or set DATAMASK_PG_DUMP"),
        )
    })?;
    let feeder = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let output = child
        .wait_with_output()
        .map_err(|e| Error::connector(KIND, format!("{tool} failed: {e}")))?;
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    if !output.status.success() {
        let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if let Some(p) = password.filter(|p| !p.is_empty()) {
            stderr = stderr.replace(p, "***");
        }
        return Err(Error::connector(
            KIND,
            format!(
                "{}: {tool} could not dump the source schema: {stderr}",
                source.display
            ),
        ));
    }
    Ok(output.stdout)
}

/// `pg_dump` from `DATAMASK_PG_DUMP`, the `PATH`, or the newest `/usr/lib/postgresql/*/bin`.
fn find_tool(name: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("DATAMASK_PG_DUMP") {
        let path = PathBuf::from(path);
        let candidate = path.with_file_name(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let candidate = e.path().join("bin").join(name);
            candidate.is_file().then_some((version, candidate))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).ok_or_else(|| {
        Error::connector(
            KIND,
            format!(
                "{name} not found (looked in DATAMASK_PG_DUMP, PATH and /usr/lib/postgresql/*/bin): \
                 it is needed to copy the schema of a PostgreSQL source; install the PostgreSQL \
                 client tools (the same major version as the server, or newer)"
            ),
        )
    })
}

/// The URL without its password (passed to the tools through `PGPASSWORD` instead, so it
/// does not show in the process list).
pub(crate) fn strip_password(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let auth_start = scheme_end + 3;
        let auth_end = url[auth_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| auth_start + i);
        let mut out = url.to_string();
        if let Some(at) = url[auth_start..auth_end].rfind('@') {
            if let Some(colon) = url[auth_start..auth_start + at].find(':') {
                out.replace_range(auth_start + colon..auth_start + at, "");
            }
        }
        if let Some(q) = out.find('?') {
            let (head, query) = out.split_at(q + 1);
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| {
                    !kv.split('=')
                        .next()
                        .is_some_and(|k| k.eq_ignore_ascii_case("password"))
                })
                .collect();
            out = format!("{head}{}", kept.join("&"));
            if out.ends_with('?') {
                out.pop();
            }
        }
        out
    } else {
        // key=value form
        url.split_whitespace()
            .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const TOC_MARK: &str = "\n--\n-- Name: ";

/// Splits a pg_restore script at its first object: (settings and drops, creates).
fn split_drops(script: &str) -> (String, String) {
    let script = strip_meta_commands(script);
    match script.find(TOC_MARK) {
        Some(i) => (script[..i].to_string(), script[i + 1..].to_string()),
        None => (script, String::new()),
    }
}

/// Removes psql meta-commands (`\restrict KEY` and `\unrestrict KEY`, which pg_dump 15.14 and
/// later write): the server does not understand them.
fn strip_meta_commands(script: &str) -> String {
    script
        .lines()
        .filter(|l| !(l.starts_with("\\restrict ") || l.starts_with("\\unrestrict ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Drops become `CASCADE` for tables and views (so keys, views and triggers of an earlier run
/// that depend on them go too); schemas and extensions are never dropped.
fn rewrite_drops(drops: &str) -> String {
    let mut out = String::with_capacity(drops.len());
    for line in drops.lines() {
        if line.starts_with("DROP SCHEMA ") || line.starts_with("DROP EXTENSION ") {
            continue;
        }
        let cascade = [
            "DROP TABLE ",
            "DROP VIEW ",
            "DROP MATERIALIZED VIEW ",
            "DROP FOREIGN TABLE ",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        match line.strip_suffix(';') {
            Some(stmt) if cascade => {
                out.push_str(stmt);
                out.push_str(" CASCADE;");
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `CREATE SCHEMA x;` becomes `CREATE SCHEMA IF NOT EXISTS x;` (schemas are kept, not
/// dropped, so other objects in them survive).
fn rewrite_creates(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + 64);
    for line in script.lines() {
        match line.strip_prefix("CREATE SCHEMA ") {
            Some(rest) if !rest.starts_with("IF NOT EXISTS") => {
                out.push_str("CREATE SCHEMA IF NOT EXISTS ");
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The `(name, type, schema)` of each `-- Name: N; Type: T; Schema: S; Owner: O` header.
fn toc_entries(script: &str) -> Vec<(&str, &str, &str)> {
    script
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("-- Name: ")?;
            let (name, rest) = rest.split_once("; Type: ")?;
            let (kind, rest) = rest.split_once("; Schema: ")?;
            let (schema, _) = rest.split_once("; Owner: ")?;
            Some((name, kind, schema))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_stripped() {
        assert_eq!(
            strip_password("postgres://u:pw@h:5432/db?sslmode=disable&password=x"),
            "postgres://u@h:5432/db?sslmode=disable"
        );
        assert_eq!(strip_password("postgres://h/db"), "postgres://h/db");
        assert_eq!(
            strip_password("host=h password=pw dbname=d"),
            "host=h dbname=d"
        );
    }

    #[test]
    fn scripts_are_split_and_rewritten() {
        let script = "SET x = 1;\n\\restrict abc\nDROP TABLE IF EXISTS public.t;\nDROP SCHEMA IF EXISTS s;\n\
                      --\n-- Name: s; Type: SCHEMA; Schema: -; Owner: -\n--\n\nCREATE SCHEMA s;\n\
                      --\n-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\nCREATE TABLE public.t ();\n\\unrestrict abc\n";
        let (drops, creates) = split_drops(script);
        assert_eq!(
            rewrite_drops(&drops),
            "SET x = 1;\nDROP TABLE IF EXISTS public.t CASCADE;\n"
        );
        let creates = rewrite_creates(&creates);
        assert!(creates.contains("CREATE SCHEMA IF NOT EXISTS s;"));
        assert!(!creates.contains("unrestrict"));
        assert_eq!(
            toc_entries(&creates),
            [("s", "SCHEMA", "-"), ("t", "TABLE", "public")]
        );
    }
}
