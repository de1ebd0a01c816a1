//! End-to-end tests of the `datamask` binary: exit codes, messages and the data it writes.

#[path = "cli/relations.rs"]
mod relations;

use assert_cmd::Command;
use rusqlite::types::Value as Sql;
use std::path::{Path, PathBuf};

#[path = "cli/discovery.rs"]
mod discovery;

#[path = "cli/databases.rs"]
mod databases;

#[path = "cli/strategies.rs"]
mod strategies;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER_KEY: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

fn datamask(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("datamask").unwrap();
    cmd.current_dir(dir)
        .env_remove("DATAMASK_KEY")
        .env("NO_COLOR", "1");
    cmd
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart")
}

/// A temp dir holding a copy of the quick-start example.
fn quickstart() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["shop.db", "datamask.yaml"] {
        std::fs::copy(examples().join(f), dir.path().join(f)).unwrap();
    }
    dir
}

fn run_ok(dir: &Path, key: &str, extra: &[&str]) -> String {
    let out = datamask(dir)
        .env("DATAMASK_KEY", key)
        .args(["run", "--yes"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn rows(db: &Path, sql: &str) -> Vec<Vec<Sql>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn table(db: &Path, t: &str) -> Vec<Vec<Sql>> {
    rows(db, &format!("SELECT * FROM {t} ORDER BY rowid"))
}

fn column_index(db: &Path, t: &str, c: &str) -> usize {
    rows(
        db,
        &format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"),
    )
    .iter()
    .position(|r| r[0] == Sql::Text(c.into()))
    .unwrap()
}

#[test]
fn quickstart_masks_what_it_should_and_nothing_else() {
    let dir = quickstart();
    let out = run_ok(dir.path(), KEY, &[]);
    assert!(out.contains("customers"), "{out}");
    let (src, dst) = (dir.path().join("shop.db"), dir.path().join("masked.db"));
    let masked = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "ssn",
        "birth_date",
        "street",
        "card_number",
        "notes",
    ];
    for t in ["customers", "products", "orders", "order_items"] {
        let (a, b) = (table(&src, t), table(&dst, t));
        assert_eq!(a.len(), b.len(), "row count of {t}");
        let cols = rows(
            &src,
            &format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"),
        );
        for (ci, c) in cols.iter().enumerate() {
            let Sql::Text(name) = &c[0] else { panic!() };
            let is_masked = (t == "customers" && masked.contains(&name.as_str()))
                || (t == "orders" && name == "shipping_email");
            for (ra, rb) in a.iter().zip(&b) {
                if !is_masked {
                    assert_eq!(ra[ci], rb[ci], "{t}.{name} must be unchanged");
                } else if ra[ci] != Sql::Null && name != "notes" {
                    assert_ne!(ra[ci], rb[ci], "{t}.{name} must change in every row");
                }
            }
        }
    }
    // Foreign keys still join, unique columns stay unique, shapes are kept.
    let orphans = rows(&dst, "SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL");
    assert_eq!(orphans[0][0], Sql::Integer(0));
    let dup = rows(
        &dst,
        "SELECT COUNT(*) - COUNT(DISTINCT email) FROM customers",
    );
    assert_eq!(dup[0][0], Sql::Integer(0));
    let same_email = "SELECT COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id AND c.email = o.shipping_email";
    assert_eq!(
        rows(&src, same_email),
        rows(&dst, same_email),
        "a shared domain keeps equal values equal"
    );
    let fk = rows(&dst, "PRAGMA foreign_key_check");
    assert!(fk.is_empty(), "foreign key violations: {fk:?}");
    let ssn = column_index(&dst, "customers", "ssn");
    for r in table(&dst, "customers") {
        if let Sql::Text(s) = &r[ssn] {
            let shape: String = s
                .chars()
                .map(|c| if c.is_ascii_digit() { 'd' } else { c })
                .collect();
            assert_eq!(shape, "ddd-dd-dddd");
        }
    }
    let notes = rows(
        &dst,
        "SELECT COUNT(*) FROM customers WHERE notes IS NOT NULL",
    );
    assert_eq!(notes[0][0], Sql::Integer(0));
}

#[test]
fn same_key_same_bytes_other_key_other_values() {
    let (a, b, c) = (quickstart(), quickstart(), quickstart());
    // Small batches on 4 jobs: tables and the batches of each table masked on several
    // threads, against one thread.
    run_ok(a.path(), KEY, &["--jobs", "4", "--batch-size", "13"]);
    run_ok(b.path(), KEY, &["--batch-size", "7", "--jobs", "1"]);
    run_ok(c.path(), OTHER_KEY, &[]);
    let db = |d: &tempfile::TempDir| d.path().join("masked.db");
    for t in ["customers", "orders", "order_items", "products"] {
        assert_eq!(
            table(&db(&a), t),
            table(&db(&b), t),
            "{t} differs between runs"
        );
    }
    let email = column_index(&db(&a), "customers", "email");
    let (ka, kc) = (table(&db(&a), "customers"), table(&db(&c), "customers"));
    let same = ka
        .iter()
        .zip(&kc)
        .filter(|(x, y)| x[email] == y[email])
        .count();
    assert_eq!(same, 0, "a different key must give different emails");
}

#[test]
fn file_targets_are_byte_identical_across_runs() {
    for format in ["csv", "jsonl", "parquet"] {
        let mut outputs = Vec::new();
        for (batch, jobs) in [("5", "3"), ("8192", "1")] {
            let dir = quickstart();
            let cfg = std::fs::read_to_string(dir.path().join("datamask.yaml"))
                .unwrap()
                .replace(
                    "target: { url: \"sqlite://masked.db\", environment: development }",
                    &format!("target: {{ url: \"out/\", format: {format} }}"),
                );
            std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
            run_ok(dir.path(), KEY, &["--batch-size", batch, "--jobs", jobs]);
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path().join("out"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect();
            files.sort();
            assert_eq!(files.len(), 4, "{format}: one file per table");
            outputs.push(files);
        }
        assert!(
            outputs[0] == outputs[1],
            "{format} output differs between runs"
        );
    }
}

#[test]
fn three_mistakes_one_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("datamask.yaml"),
        "version: 1\nsource: \"sqlite://shop.db\"\npolcy: { unlisted_columns: preserve }\ntables:\n  customers:\n    columns:\n      email: emial\n      ssn: { strategy: fpe, alphabet: 7 }\n",
    )
    .unwrap();
    let out = datamask(dir.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    insta::assert_snapshot!("three_mistakes", stderr);
}

#[test]
fn missing_key_is_a_clear_error() {
    let dir = quickstart();
    let out = datamask(dir.path()).arg("run").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("missing_key", String::from_utf8(out.stderr).unwrap());
    assert!(!dir.path().join("masked.db").exists());
}

#[test]
fn existing_target_needs_yes_and_dry_run_writes_nothing() {
    let dir = quickstart();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!dir.path().join("masked.db").exists());
    assert!(!dir.path().join(".datamask").exists());
    run_ok(dir.path(), KEY, &[]);
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--yes"), "{err}");
}

#[test]
fn production_target_is_refused() {
    let dir = quickstart();
    let cfg = std::fs::read_to_string(dir.path().join("datamask.yaml"))
        .unwrap()
        .replace("environment: development", "environment: production");
    std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("production"));
    assert!(!dir.path().join("masked.db").exists());
}

#[test]
fn audit_verifies_and_detects_any_changed_byte() {
    let dir = quickstart();
    run_ok(dir.path(), KEY, &[]);
    run_ok(dir.path(), KEY, &[]);
    let ok = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["audit", "verify", "-c", "datamask.yaml"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8(ok.stdout)
        .unwrap()
        .contains("2 manifests verified"));
    let list = datamask(dir.path())
        .args(["audit", "list"])
        .output()
        .unwrap();
    assert!(list.status.success());
    let show = datamask(dir.path())
        .args(["audit", "show", "1"])
        .output()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    for field in [
        "run_id",
        "started_at",
        "finished_at",
        "actor",
        "tool",
        "config_hash",
        "key_fingerprint",
        "source_schema_fingerprint",
        "tables",
        "signature",
        "previous_manifest_hash",
    ] {
        assert!(manifest.get(field).is_some(), "manifest lacks {field}");
    }
    let runs = dir.path().join(".datamask/runs");
    let first = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let original = std::fs::read(&first).unwrap();
    for i in (0..original.len()).step_by(37) {
        let mut bytes = original.clone();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        std::fs::write(&first, &bytes).unwrap();
        let out = datamask(dir.path())
            .args(["audit", "verify"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "changing byte {i} went unnoticed"
        );
        assert!(String::from_utf8(out.stderr).unwrap().contains("000001-"));
    }
}

/// The head hash `audit verify` prints.
fn audit_head(dir: &Path) -> String {
    let out = datamask(dir).args(["audit", "verify"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("head: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no head line in {text}"))
        .to_string()
}

/// Deleting the newest runs leaves a valid, shorter chain; the head hash printed by
/// `audit verify`, kept elsewhere and passed back as `--anchor`, catches it.
#[test]
fn audit_anchor_catches_removed_newest_runs() {
    let dir = quickstart();
    run_ok(dir.path(), KEY, &[]);
    let first = audit_head(dir.path());
    run_ok(dir.path(), KEY, &[]);
    let second = audit_head(dir.path());
    assert_eq!((first.len(), second.len()), (64, 64));
    let verify = |anchor: &str| {
        datamask(dir.path())
            .args(["audit", "verify", "--anchor", anchor])
            .output()
            .unwrap()
    };
    assert!(verify(&first).status.success());
    assert!(verify(&second[..16]).status.success());
    let newest = std::fs::read_dir(dir.path().join(".datamask/runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    std::fs::remove_file(newest).unwrap();
    assert_eq!(
        audit_head(dir.path()),
        first,
        "a shorter chain is still valid"
    );
    let anchored = verify(&second);
    assert_eq!(anchored.status.code(), Some(1));
    assert!(String::from_utf8(anchored.stderr)
        .unwrap()
        .contains("anchored hash"));
}

#[test]
fn scan_expands_variables_in_the_source() {
    let dir = quickstart();
    let out = datamask(dir.path())
        .env("DM_TEST_SHOP", "shop.db")
        .args(["scan", "--source", "${DM_TEST_SHOP}", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = datamask(dir.path())
        .env_remove("DM_TEST_UNSET")
        .args(["scan", "--source", "postgres://u:${DM_TEST_UNSET}@h/db"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8(missing.stderr)
        .unwrap()
        .contains("DM_TEST_UNSET is not set"));
}

#[test]
fn secrets_never_reach_output_or_files() {
    let dir = quickstart();
    let cfg = std::fs::read_to_string(dir.path().join("datamask.yaml"))
        .unwrap()
        .replace("key: { env: DATAMASK_KEY }", "key: { env: MY_SECRET_KEY }");
    std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
    let mut printed = Vec::new();
    for args in [
        &["run", "--yes"][..],
        &["check"],
        &["plan"],
        &["plan", "--format", "json"],
        &["run", "--yes", "--format", "json"],
        &["audit", "list"],
        &["audit", "show", "1"],
    ] {
        let out = datamask(dir.path())
            .env("MY_SECRET_KEY", KEY)
            .args(args)
            .output()
            .unwrap();
        printed.extend(out.stdout);
        printed.extend(out.stderr);
    }
    let mut written = printed;
    for entry in walk(dir.path()) {
        written.extend(std::fs::read(entry).unwrap());
    }
    let hay = String::from_utf8_lossy(&written).to_lowercase();
    assert!(!hay.contains(KEY), "the master key leaked");
    assert!(!hay.contains(&KEY[..16]), "part of the master key leaked");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn malformed_csv_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::write(
        dir.path().join("in/people.csv"),
        "id,email\n1,a@example.com\n2,b@example.com,extra\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("datamask.yaml"),
        "version: 1\nsource: in/\ntarget: { url: out/, format: csv }\ntables:\n  people:\n    columns:\n      email: email\n",
    )
    .unwrap();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("people.csv:3"), "{err}");
    assert!(
        !dir.path().join("out/people.csv").exists(),
        "nothing half-written"
    );
}

#[test]
fn plan_and_strategies_speak_json() {
    let dir = quickstart();
    let out = datamask(dir.path())
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let customers = plan["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "customers")
        .unwrap();
    let ssn = customers["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ssn")
        .unwrap();
    assert_eq!(ssn["strategy"], "fpe");
    assert_eq!(ssn["domain"], "customers.ssn");

    let out = datamask(dir.path())
        .args(["strategies", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = json.to_string();
    for name in [
        "token",
        "fpe",
        "keep_last",
        "partial",
        "email",
        "first_name",
        "last_name",
        "phone",
        "date_shift",
        "noise",
        "constant",
        "null",
        "preserve",
        "hash_preserve",
        "uuid",
        "numeric",
        "enum",
        "map",
    ] {
        assert!(
            text.contains(&format!("\"{name}\"")),
            "strategy {name} missing"
        );
    }
}

#[test]
fn keygen_prints_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = datamask(dir.path()).arg("keygen").output().unwrap();
    let key = String::from_utf8(out.stdout).unwrap();
    assert_eq!(key.trim().len(), 64);
    assert!(key.trim().chars().all(|c| c.is_ascii_hexdigit()));
}

/// `domain: example.com` on `email` (how STRATEGIES.md spells the addresses' domain) is the
/// token domain here: `check` still passes, and warns at the option with the fix.
#[test]
fn check_warns_when_a_host_name_is_given_as_token_domain() {
    let dir = quickstart();
    let path = dir.path().join("datamask.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = "      email: { strategy: email, domain: email }";
    assert!(text.contains(line));
    std::fs::write(
        &path,
        text.replace(
            line,
            "      email: { strategy: email, domain: example.com }",
        ),
    )
    .unwrap();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("ok  warnings  1 warning:")
            && stdout.contains("`domain: example.com` is the token domain of `email`")
            && stdout.contains("write `email_domain: example.com`"),
        "{stdout}"
    );
}

#[test]
fn check_passes_on_the_quickstart() {
    let dir = quickstart();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn docs_strategies_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/strategies.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = datamask_strategies::render_markdown();
    if std::env::var_os("DATAMASK_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(current == fresh, "docs/strategies.md is stale: run `DATAMASK_BLESS=1 cargo test -p datamask-cli docs_strategies`");
}

#[test]
fn passwords_in_urls_never_reach_messages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("datamask.yaml"),
        "version: 1\nsource: \"postgres://app:hunter2@db.internal/app\"\ntarget: \"mysql://root:s3cr3t@localhost/dev\"\n",
    )
    .unwrap();
    for args in [&["check"][..], &["plan"], &["run", "--yes"]] {
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("hunter2") && !all.contains("s3cr3t"),
            "{args:?} leaked a password: {all}"
        );
    }
}

#[test]
fn query_inputs_become_tables() {
    let dir = quickstart();
    std::fs::write(
        dir.path().join("q.yaml"),
        "version: 1\nsource: sqlite://shop.db\ntarget: { url: out/, format: csv }\npolicy: { unlisted_columns: preserve }\ntables:\n  spend:\n    query: \"SELECT c.id, c.email, SUM(o.total_cents) AS total FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id\"\n    columns:\n      email: email\n  customers: { skip: true }\n",
    )
    .unwrap();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "-c", "q.yaml", "--yes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.path().join("out/spend.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,email,total"));
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("1,") && !first.contains("danielle.johnson@example.com"),
        "{first}"
    );
    assert!(!dir.path().join("out/customers.csv").exists());
    assert!(dir.path().join("out/orders.csv").exists());
}

/// A PostgreSQL database that exists for one test (created with a unique name, dropped on
/// drop). The server comes from `scripts/services.sh`.
struct PgDb(String);

impl PgDb {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("dm_cli_{tag}_{}_{nanos}", std::process::id());
        psql("postgres", &format!("CREATE DATABASE {name}"));
        PgDb(name)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.0)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0))
            .output();
    }
}

fn psql(db: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            db,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn postgres_to_postgres_and_sqlite_masks_deterministically() {
    let src = PgDb::new("src");
    psql(
        &src.0,
        "CREATE TYPE mood AS ENUM ('happy', 'sad');
         CREATE TABLE customers (id serial PRIMARY KEY, email varchar(120) NOT NULL UNIQUE, name text, mood mood, tags text[]);
         CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2), note jsonb);
         INSERT INTO customers (email, name, mood, tags) SELECT 'user' || g || '@corp.example', 'Name ' || g, 'happy', ARRAY['a', 'b'] FROM generate_series(1, 500) g;
         INSERT INTO orders (customer_id, total, note) SELECT (g % 500) + 1, g * 1.5, '{\"k\": 1}' FROM generate_series(1, 1500) g;
         CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;",
    );
    let (dst1, dst2) = (PgDb::new("dst1"), PgDb::new("dst2"));
    let dir = tempfile::tempdir().unwrap();
    let digest = "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM customers t";
    for (i, target) in [dst1.url(), dst2.url(), "sqlite://out.db".to_string()]
        .iter()
        .enumerate()
    {
        let cfg = format!(
            "version: 1\nsource: \"{}\"\ntarget: \"{target}\"\ntables:\n  public.customers:\n    columns:\n      email: email\n      name: first_name\n",
            src.url()
        );
        std::fs::write(dir.path().join(format!("c{i}.yaml")), cfg).unwrap();
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(["run", "--yes", "-c", &format!("c{i}.yaml")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        psql(&dst1.0, digest),
        psql(&dst2.0, digest),
        "reruns must be identical"
    );
    assert_ne!(psql(&src.0, digest), psql(&dst1.0, digest));
    let same = psql(
        &dst1.0,
        "SELECT count(*) FROM customers WHERE email LIKE 'user%@corp.example'",
    );
    assert_eq!(same.trim(), "0", "every email is masked");
    let orders = "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM orders t";
    assert_eq!(
        psql(&src.0, orders),
        psql(&dst1.0, orders),
        "unmasked tables are identical"
    );
    assert_eq!(
        psql(&dst1.0, "SELECT count(*) FROM big_orders").trim(),
        psql(&src.0, "SELECT count(*) FROM big_orders").trim()
    );
    let sqlite = rows(&dir.path().join("out.db"), "SELECT COUNT(*) FROM orders");
    assert_eq!(sqlite[0][0], Sql::Integer(1500));
}

#[test]
fn deny_listed_targets_are_refused_and_stay_untouched() {
    let dir = quickstart();
    let before = b"not a database, and it must stay exactly like this".to_vec();
    std::fs::write(dir.path().join("live.db"), &before).unwrap();
    let write_cfg = |target: &str, policy: &str| {
        let cfg = std::fs::read_to_string(examples().join("datamask.yaml"))
            .unwrap()
            .replace(
                "target: { url: \"sqlite://masked.db\", environment: development }",
                &format!("target: {target}"),
            )
            .replace("policy: { unlisted_columns: fail_sensitive }", policy);
        std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
    };
    let run = || {
        datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(["run", "--yes"])
            .output()
            .unwrap()
    };
    write_cfg(
        "\"sqlite://live.db\"",
        "policy: { unlisted_columns: preserve }",
    );
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("the word `live`") && err.contains("deny-list"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.path().join("live.db")).unwrap(), before);
    assert!(!dir.path().join(".datamask").exists(), "no manifest");
    // `check` reports the same refusal.
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("deny-list"));
    // A configured deny-list replaces the default one.
    write_cfg(
        "\"sqlite://masked.db\"",
        "policy: { unlisted_columns: preserve, production_deny_list: [masked] }",
    );
    assert_eq!(run().status.code(), Some(1));
    assert!(!dir.path().join("masked.db").exists());
    // An explicit non-production label wins over the deny-list.
    write_cfg(
        "{ url: \"sqlite://prod-copy.db\", environment: test }",
        "policy: { unlisted_columns: preserve }",
    );
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `psql` session kept open on stdin, to hold a lock while a test does something else.
struct PsqlSession(std::process::Child);

impl PsqlSession {
    fn open(db: &str, sql: &str) -> Self {
        use std::io::Write;
        let mut child = std::process::Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAt"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("psql runs");
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "{sql}").unwrap();
        stdin.flush().unwrap();
        PsqlSession(child)
    }

    fn finish(mut self, sql: &str) {
        use std::io::Write;
        let mut stdin = self.0.stdin.take().unwrap();
        writeln!(stdin, "{sql}").unwrap();
        drop(stdin);
        self.0.wait().unwrap();
    }
}

/// Waits (up to two minutes) until `cond` holds; the test fails otherwise. Used only to wait
/// for another process to reach a state, never to assert on timing.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if cond() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("gave up waiting for {what}");
}

#[test]
fn a_second_concurrent_run_is_refused_while_the_first_completes() {
    let src = PgDb::new("lock");
    psql(
        &src.0,
        "CREATE TABLE customers (id int PRIMARY KEY, email text);
         INSERT INTO customers SELECT g, 'user' || g || '@corp.example' FROM generate_series(1, 50) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("datamask.yaml"),
        format!(
            "version: 1\nsource: \"{}\"\ntarget: \"sqlite://masked.db\"\ntables:\n  public.customers:\n    columns:\n      email: email\n",
            src.url()
        ),
    )
    .unwrap();
    // The first run blocks reading `customers` until this session lets go of it, and holds
    // the target's run lock all that time.
    let blocker = PsqlSession::open(
        &src.0,
        "BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE;",
    );
    let first = std::process::Command::new(assert_cmd::cargo::cargo_bin("datamask"))
        .current_dir(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes", "--actor", "first-runner"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lock_file = dir.path().join(".masked.db.datamask-lock");
    wait_until("the first run to take the lock", || {
        std::fs::read_to_string(&lock_file).is_ok_and(|s| s.starts_with("run "))
    });
    let second = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes", "--actor", "second-runner"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8(second.stderr).unwrap();
    assert!(
        err.contains("another datamask run is writing to sqlite://")
            && err.contains("by first-runner@"),
        "{err}"
    );
    blocker.finish("COMMIT;");
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(!lock_file.exists(), "the lock file is removed on release");
    let n = rows(
        &dir.path().join("masked.db"),
        "SELECT COUNT(*) FROM customers",
    );
    assert_eq!(n[0][0], Sql::Integer(50));
    let runs = std::fs::read_dir(dir.path().join(".datamask/runs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(runs, 1, "only the first run wrote a manifest");
}

/// Regression for "PII leaks through new columns": a column added to the source after
/// `check --record` must stop the next run until someone looks at it.
#[test]
fn new_source_column_after_record_stops_the_run() {
    let dir = quickstart();
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["check", "--record"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("recorded datamask.lock (4 tables)"),
        "{stdout}"
    );
    let lock = std::fs::read_to_string(dir.path().join("datamask.lock")).unwrap();
    assert!(lock.contains("\"customers\""), "{lock}");
    run_ok(dir.path(), KEY, &[]);

    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    conn.execute_batch("ALTER TABLE customers ADD COLUMN passport_no TEXT")
        .unwrap();
    drop(conn);
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("column `customers.passport_no` is new (TEXT)"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept-schema-change"), "{stderr}");
    // `check` reports the same drift.
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("ERR schema"), "{stdout}");
    // Accepting the change for one run works; recording it makes it the new normal.
    run_ok(dir.path(), KEY, &["--accept-schema-change"]);
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["check", "--record"])
        .output()
        .unwrap();
    assert!(out.status.success());
    run_ok(dir.path(), KEY, &[]);
}

fn sqlite_exec(db: &Path, sql: &str) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

fn verify_json(dir: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = datamask(dir)
        .env("DATAMASK_KEY", KEY)
        .args(["verify", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (
        out.status.code(),
        json,
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The findings of table `t` as `(check, columns, count, rows)`.
fn findings(report: &serde_json::Value, t: &str) -> Vec<(String, String, u64, String)> {
    let table = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["table"] == t)
        .unwrap_or_else(|| panic!("no table {t}"));
    table["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let join = |v: &serde_json::Value| {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| x.as_str().unwrap().to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            };
            (
                f["check"].as_str().unwrap().to_string(),
                join(&f["columns"]),
                f["count"].as_u64().unwrap(),
                join(&f["rows"]),
            )
        })
        .collect()
}

#[test]
fn verify_passes_a_clean_run_and_names_a_planted_original_value() {
    let dir = quickstart();
    let out = run_ok(dir.path(), KEY, &[]);
    assert!(out.contains("verified: no leaks"), "{out}");
    let ok = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("verify")
        .output()
        .unwrap();
    let text = String::from_utf8(ok.stdout).unwrap();
    assert!(ok.status.success(), "{text}");
    assert!(
        text.contains("ok: 4 tables verified, no problems"),
        "{text}"
    );
    // Clean: the quick comparison settles it, with one read of the source.
    let (code, clean, _) = verify_json(dir.path(), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(clean["full_recheck"], false, "{clean}");
    // Plant the original email of customer 5 into customer 7, and customer 9's original
    // first name into customer 8 (first names are a small vocabulary: the check must tell a
    // planted value from a masked one that happens to equal some original).
    let (src, dst) = (dir.path().join("shop.db"), dir.path().join("masked.db"));
    let original = |col: &str, id: i64| match &rows(
        &src,
        &format!("SELECT {col} FROM customers WHERE id = {id}"),
    )[0][0]
    {
        Sql::Text(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    let (email, name) = (original("email", 5), original("first_name", 9));
    sqlite_exec(
        &dst,
        &format!(
            "UPDATE customers SET email = '{email}' WHERE id = 7;
             UPDATE customers SET first_name = '{name}' WHERE id = 8;"
        ),
    );
    let (code, report, stderr) = verify_json(dir.path(), &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("verification found"), "{stderr}");
    assert_eq!(report["full_recheck"], true, "{report}");
    let found = findings(&report, "customers");
    assert!(
        found.contains(&("leak".into(), "email".into(), 1, "id=7".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("leak".into(), "first_name".into(), 1, "id=8".into())),
        "{found:?}"
    );
    assert!(found
        .iter()
        .all(|f| f.0 != "leak" || f.3 == "id=7" || f.3 == "id=8"));
    for t in ["products", "orders", "order_items"] {
        assert!(findings(&report, t).is_empty(), "{t}");
    }
    let text = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("verify")
        .output()
        .unwrap();
    let all = format!(
        "{}{}{}",
        String::from_utf8_lossy(&text.stdout),
        String::from_utf8_lossy(&text.stderr),
        report
    );
    assert!(
        all.contains(
            "FAIL customers.email: 1 original value(s) found in the masked output (rows: id=7)"
        ),
        "{all}"
    );
    assert!(
        !all.contains(&email) && !all.contains(&name),
        "a report shows a value"
    );
}

#[test]
fn verify_reports_broken_integrity() {
    let dir = quickstart();
    run_ok(dir.path(), KEY, &[]);
    let dst = dir.path().join("masked.db");
    // Tables rebuilt without their constraints, so the damage can be done.
    sqlite_exec(
        &dst,
        "PRAGMA foreign_keys = OFF;
         UPDATE orders SET customer_id = 99999 WHERE id = 3;
         CREATE TABLE oi AS SELECT * FROM order_items;
         INSERT INTO oi SELECT * FROM order_items WHERE rowid <= 2;
         DROP TABLE order_items; ALTER TABLE oi RENAME TO order_items;
         CREATE TABLE c2 AS SELECT * FROM customers;
         UPDATE c2 SET last_name = NULL WHERE id = 4;
         DROP TABLE customers; ALTER TABLE c2 RENAME TO customers;
         DROP TABLE products;",
    );
    let (code, report, _) = verify_json(dir.path(), &["--sample-rows", "0"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report, "customers"),
        [("not_null".into(), "last_name".into(), 1, "id=4".into())]
    );
    assert_eq!(
        findings(&report, "orders"),
        [("foreign_key".into(), "customer_id".into(), 1, "id=3".into())]
    );
    assert_eq!(
        findings(&report, "order_items"),
        [
            ("row_count".into(), String::new(), 2, String::new()),
            (
                "unique".into(),
                "order_id,product_id".into(),
                2,
                "order_id=1, product_id=10,order_id=1, product_id=12".into()
            )
        ]
    );
    assert_eq!(
        findings(&report, "products"),
        [("missing_table".into(), String::new(), 1, String::new())]
    );
    let warnings = report["tables"][3]["warnings"].to_string();
    assert!(
        warnings.contains(
            "foreign key (product_id) not checked: `products` is missing from the target"
        ),
        "{warnings}"
    );
}

#[test]
fn runs_record_their_verification_in_the_manifest() {
    let dir = quickstart();
    run_ok(dir.path(), KEY, &[]);
    run_ok(dir.path(), KEY, &["--no-verify"]);
    let show = |n: &str| -> serde_json::Value {
        let out = datamask(dir.path())
            .args(["audit", "show", n])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = show("1");
    assert_eq!(first["verification"]["ok"], true);
    assert_eq!(first["verification"]["mode"], "after_run");
    assert_eq!(first["verification"]["tables"][0]["sampled_rows"], 1000);
    assert!(show("2")["verification"].is_null());
}

/// A MariaDB/MySQL database name for one test, dropped (with datamask's helper databases)
/// at the end. The server comes from `scripts/services.sh`.
struct MyDb(String);

impl MyDb {
    fn named(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        MyDb(format!("dm_cli_{tag}_{}_{nanos}", std::process::id()))
    }

    fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.0)
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        for suffix in ["", "__dm_stage", "__dm_old", "__dm_lock"] {
            let _ = std::process::Command::new("mysql")
                .args(["-h", "127.0.0.1", "-u", "root", "-e"])
                .arg(format!("DROP DATABASE IF EXISTS `{}{suffix}`", self.0))
                .output();
        }
    }
}

#[test]
fn verification_is_clean_across_engines() {
    let src = PgDb::new("vsrc");
    psql(
        &src.0,
        "CREATE TYPE mood AS ENUM ('happy', 'sad');
         CREATE TABLE customers (id serial PRIMARY KEY, email varchar(120) NOT NULL UNIQUE,
           name text, mood mood, tags text[], active boolean, score numeric(10,2),
           seen timestamptz, born date, uid uuid, doc jsonb, ratio real, precise float8,
           at time, b bytea, shout text GENERATED ALWAYS AS (upper(name)) STORED);
         CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2), note jsonb);
         INSERT INTO customers (email, name, mood, tags, active, score, seen, born, uid, doc,
           ratio, precise, at, b)
         SELECT 'user' || g || '@corp.example', 'Name ' || g, 'happy', ARRAY['a', 'b'],
           g % 2 = 0, g * 1.25, timestamptz '2024-01-01 00:00:00+00' - g * interval '1 hour',
           date '2000-01-01' + g, md5(g::text)::uuid, '{\"k\": 1, \"a\": [1, 2]}', g / 3.0,
           g / 7.0, time '10:00:00' + g * interval '1 second', '\\x0102'
         FROM generate_series(1, 300) g;
         INSERT INTO orders (customer_id, total, note)
         SELECT (g % 300) + 1, g * 1.5, '{\"k\": 1}' FROM generate_series(1, 900) g;",
    );
    let (pg_out, my_out) = (PgDb::new("vdst"), MyDb::named("vdst"));
    let dir = tempfile::tempdir().unwrap();
    let targets = [
        "sqlite://out.db".to_string(),
        "{ url: csv/, format: csv }".into(),
        "{ url: csvnh/, format: csv, header: false, delimiter: \";\" }".into(),
        "{ url: jsonl/, format: jsonl }".into(),
        "{ url: parquet/, format: parquet }".into(),
        format!("\"{}\"", pg_out.url()),
        format!("\"{}\"", my_out.url()),
    ];
    for (i, target) in targets.iter().enumerate() {
        let cfg = format!(
            "version: 1\nsource: \"{}\"\ntarget: {target}\ntables:\n  public.customers:\n    columns:\n      email: email\n      name: first_name\n      born: {{ strategy: date_shift, max_days: 30 }}\n      score: noise\n",
            src.url()
        );
        let file = format!("c{i}.yaml");
        std::fs::write(dir.path().join(&file), cfg).unwrap();
        let run = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(["run", "--yes", "-c", &file])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success() && out.contains("verified: no leaks"),
            "{target}: {out}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let verify = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(["verify", "-c", &file])
            .output()
            .unwrap();
        assert!(
            verify.status.success(),
            "{target}: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }
}

/// PostgreSQL enforces its valid unique indexes, NOT NULL columns and validated foreign keys
/// on every row: verification takes them from the target's catalog instead of checking rows,
/// and still checks row by row what the target no longer vouches for (a `NOT VALID` key, a
/// dropped unique constraint).
#[test]
fn verification_relies_only_on_constraints_the_postgres_target_enforces() {
    let (src, dst) = (PgDb::new("esrc"), PgDb::new("edst"));
    psql(
        &src.0,
        "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text,
           note text);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id));
         INSERT INTO customers SELECT g, 'user' || g || '@corp.example', 'Name ' || g, 'n' || g
         FROM generate_series(1, 50) g;
         INSERT INTO orders SELECT g, (g % 50) + 1 FROM generate_series(1, 120) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        "version: 1\nsource: \"{}\"\ntarget: \"{}\"\ntables:\n  public.customers:\n    columns:\n      email: email\n      name: first_name\n",
        src.url(),
        dst.url()
    );
    std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
    run_ok(dir.path(), KEY, &[]);
    let (code, report, _) = verify_json(dir.path(), &["--sample-rows", "0"]);
    assert_eq!(code, Some(0), "{report}");
    let table = |name: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap()
            .clone()
    };
    // customers: primary key, unique email, NOT NULL id and email; orders: primary key, NOT
    // NULL id and customer_id, the foreign key.
    assert_eq!(
        table("public.customers")["constraints_enforced_by_target"],
        4
    );
    assert_eq!(table("public.orders")["constraints_enforced_by_target"], 4);
    // orders (nothing masked, every constraint enforced) is counted by the target and its
    // sampled rows fetched by key, not read whole: a changed or missing row is still found.
    // customers is read without its unmasked `note` (nothing checks it row by row), and its
    // sampled rows are fetched whole by key: a changed note is still found.
    psql(
        &dst.0,
        "UPDATE orders SET customer_id = 1 WHERE id = 7; DELETE FROM orders WHERE id = 8;
         UPDATE customers SET note = 'changed' WHERE id = 5;",
    );
    let (code, report, _) = verify_json(dir.path(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report, "public.orders"),
        [
            ("row_count".into(), String::new(), 1, String::new()),
            ("determinism".into(), String::new(), 1, String::new()),
            ("determinism".into(), "customer_id".into(), 1, "id=7".into())
        ]
    );
    assert_eq!(
        findings(&report, "public.customers"),
        [("determinism".into(), "note".into(), 1, "id=5".into())]
    );
    psql(
        &dst.0,
        "ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
         UPDATE orders SET customer_id = 999 WHERE id = 3;
         ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
           FOREIGN KEY (customer_id) REFERENCES customers(id) NOT VALID;
         ALTER TABLE customers DROP CONSTRAINT customers_email_key;
         UPDATE customers SET email = (SELECT email FROM customers WHERE id = 1) WHERE id = 2;",
    );
    let (code, report, _) = verify_json(dir.path(), &["--sample-rows", "0"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report, "public.orders"),
        [
            ("row_count".into(), String::new(), 1, String::new()),
            ("foreign_key".into(), "customer_id".into(), 1, "id=3".into())
        ]
    );
    // The altered email also fails the quick digest sum, so the full check names the row.
    assert_eq!(
        findings(&report, "public.customers"),
        [
            ("unexpected".into(), "email".into(), 1, "id=2".into()),
            ("unique".into(), "email".into(), 1, "id=2".into())
        ]
    );
}

#[test]
fn audit_diff_names_what_changed_and_tampering_breaks_the_chain() {
    let dir = quickstart();
    run_ok(dir.path(), KEY, &["--actor", "ci-bot"]);
    run_ok(dir.path(), KEY, &[]);
    let cfg = dir.path().join("datamask.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "      phone: phone",
            "      phone: { strategy: token, length: 12 }",
        ),
    )
    .unwrap();
    run_ok(dir.path(), KEY, &[]);
    let audit = |args: &[&str]| {
        datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .arg("audit")
            .args(args)
            .output()
            .unwrap()
    };
    let same = String::from_utf8(audit(&["diff", "1", "2"]).stdout).unwrap();
    assert!(same.contains("no differences"), "{same}");
    let out = audit(&["diff", "2", "3", "--format", "json"]);
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["changes"][0]["field"], "config hash");
    let customers = d["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "customers")
        .unwrap();
    assert_eq!(customers["status"], "changed");
    let changes = customers["changes"].to_string();
    assert!(
        changes.contains(r#"{"field":"phone.strategy","from":"phone","to":"token"}"#),
        "{changes}"
    );
    let list = String::from_utf8(audit(&["list"]).stdout).unwrap();
    assert!(
        list.contains("ci-bot") && list.contains("verified"),
        "{list}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&audit(&["show", "1"]).stdout).unwrap();
    assert_eq!(manifest["actor"], "ci-bot");
    assert!(manifest["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(manifest["command"][1], "run");
    // Removing, reordering or editing a manifest breaks the chain, naming where.
    let runs = dir.path().join(".datamask/runs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let verify = || {
        let out = audit(&["verify"]);
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    assert_eq!(verify().0, Some(0));
    let second = std::fs::read(&files[1]).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    let (code, err) = verify();
    assert_eq!(code, Some(1));
    assert!(err.contains("000003-") && err.contains("removed"), "{err}");
    std::fs::write(&files[1], &second).unwrap();
    let first = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &second).unwrap();
    std::fs::write(&files[1], &first).unwrap();
    let (code, err) = verify();
    assert_eq!(code, Some(1), "reordering went unnoticed");
    assert!(err.contains("000001-"), "{err}");
    std::fs::write(&files[0], &first).unwrap();
    std::fs::write(&files[1], &second).unwrap();
    assert_eq!(verify().0, Some(0));
}

/// Checks that every element of `html` is closed in the right order (void and self-closed
/// elements aside), which is what a browser needs to build the intended tree.
fn assert_well_nested(html: &str) {
    const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name.trim(), "</{name}> closes <{open}>");
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" {
            let close = rest.find("</style>").expect("style closed");
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        stack.push(name);
    }
    assert!(stack.is_empty(), "never closed: {stack:?}");
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "headless_shell",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// Runs headless Chromium on `html`, returning (screenshot PNG, rendered DOM).
fn chromium_render(chromium: &Path, html: &Path, dir: &Path) -> (Vec<u8>, String) {
    let url = format!("file://{}", html.display());
    let png = dir.join("report.png");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        "--window-size=1280,2000",
    ];
    let run = |extra: &[String]| {
        let mut child = std::process::Command::new(chromium)
            .args(common)
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .args(extra)
            .arg(&url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
            s
        });
        for _ in 0..1200 {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if child.try_wait().unwrap().is_none() {
            let _ = child.kill();
            panic!("chromium did not finish within two minutes");
        }
        reader.join().unwrap()
    };
    run(&[format!("--screenshot={}", png.display())]);
    let dom = run(&["--dump-dom".to_string()]);
    (
        std::fs::read(&png).expect("chromium wrote the screenshot"),
        dom,
    )
}

#[test]
fn run_writes_a_self_contained_html_report_and_stats() {
    let dir = quickstart();
    run_ok(
        dir.path(),
        KEY,
        &[
            "--batch-size",
            "150",
            "--report",
            "report.html",
            "--stats-json",
            "stats.json",
            "--stats-csv",
            "stats.csv",
        ],
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_well_nested(&html);
    for needle in [
        "Verified: no problems",
        "customers",
        "order_items",
        "first_name",
        "keep_last",
        "date_shift",
        "sqlite://masked.db",
        "Throughput (rows per second)",
        "<polyline",
        "10,054",
    ] {
        assert!(html.contains(needle), "the report lacks {needle}");
    }
    // Self-contained: nothing is fetched from anywhere.
    for external in [
        "http://", "https://", "<script", "<link", "src=", "url(", "@import",
    ] {
        assert!(!html.contains(external), "the report references {external}");
    }
    // Names and counts only: no original value of a masked column.
    let src = dir.path().join("shop.db");
    for row in rows(
        &src,
        "SELECT email, phone, ssn, street FROM customers LIMIT 50",
    ) {
        for v in row {
            if let Sql::Text(s) = v {
                assert!(!html.contains(&s), "the report shows an original value");
            }
        }
    }
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["totals"]["rows_written"], 10054);
    assert_eq!(stats["verification"]["ok"], true);
    assert_eq!(stats["tables"][0]["table"], "customers");
    assert_eq!(stats["tables"][0]["strategies"]["preserve"], 5);
    let csv = std::fs::read_to_string(dir.path().join("stats.csv")).unwrap();
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert_eq!(lines[0][1], "table");
    assert!(lines.iter().all(|l| l.len() == 10), "{csv}");
    assert_eq!(lines[4][1..5], ["order_items", "copy", "6004", "6004"]);

    // The page as a browser renders it. Only this part needs Chromium.
    let Some(chromium) = find_chromium() else {
        eprintln!("skipping the browser rendering: no chromium in PATH");
        return;
    };
    let (png, dom) = chromium_render(&chromium, &dir.path().join("report.html"), dir.path());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG screenshot");
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert_eq!(width, 1280);
    assert!(
        png.len() > 30_000,
        "the screenshot is blank ({} bytes)",
        png.len()
    );
    assert!(
        dom.contains("Verified: no problems") && dom.contains("<svg"),
        "{dom}"
    );
    if std::env::var_os("DATAMASK_BLESS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        std::fs::write(docs.join("report.png"), &png).unwrap();
        std::fs::write(docs.join("report-example.html"), &html).unwrap();
    }
}

/// Regression for "secrets and personal data in artifacts": a password in every URL, a master
/// key and distinctive personal data are planted; every command runs (successes and
/// failures); not one byte datamask printed or wrote (files, manifests, reports, stats, the
/// target database) may contain the password, the key, any part of the key, or an original
/// value of a masked column.
#[test]
fn secrets_and_original_values_never_reach_any_artifact() {
    const PASSWORD: &str = "Pw9-hunter2-Qx7";
    const SECRET_KEY: &str = "7a3f9c2e8b1d4f6a0c5e7b9d2f4a6c8e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a";
    let src = PgDb::new("hyg");
    psql(
        &src.0,
        "CREATE TABLE customers (id int PRIMARY KEY, full_name text NOT NULL,
           email text NOT NULL UNIQUE, ssn char(11), phone text, card text, notes text);
         INSERT INTO customers SELECT g,
           'Zorblax' || g || ' Quuxington',
           'zelda.quartz.' || (7000 + g) || '@pii-planted.example',
           lpad((987000000 + g * 7)::text, 9, '0'),
           '+1 555 01' || lpad(g::text, 4, '0') || ' x77',
           '4929' || lpad((g * 982451)::text, 12, '0'),
           'planted secret note ' || md5(g::text)
         FROM generate_series(1, 60) g;
         UPDATE customers SET ssn = substr(ssn, 1, 3) || '-' || substr(ssn, 4, 2) || '-' || substr(ssn, 6, 4);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id),
           contact text);
         INSERT INTO orders SELECT g, (g % 60) + 1, 'zelda.quartz.' || (7000 + (g % 60) + 1) || '@pii-planted.example'
         FROM generate_series(1, 120) g;",
    );
    let pg_target = PgDb::new("hygout");
    let with_password = |url: &str| url.replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
    let (src_url, dst_url) = (with_password(&src.url()), with_password(&pg_target.url()));
    let dir = tempfile::tempdir().unwrap();
    let rules = "tables:\n  public.customers:\n    columns:\n      full_name: { strategy: token, prefix: \"n-\" }\n      email: { strategy: email, domain: email }\n      ssn: { strategy: fpe, alphabet: digits }\n      phone: phone\n      card: { strategy: keep_last, n: 4 }\n      notes: \"null\"\n  public.orders:\n    columns:\n      contact: { strategy: email, domain: email }\n";
    let configs = [
        ("pg.yaml", format!("version: 1\nsource: \"{src_url}\"\ntarget: \"{dst_url}\"\n{rules}")),
        ("lite.yaml", format!("version: 1\nsource: \"{src_url}\"\ntarget: \"sqlite://out.db\"\n{rules}")),
        ("csv.yaml", format!("version: 1\nsource: {{ url: \"{}\", password: {{ env: DM_HYGIENE_PW }} }}\ntarget: {{ url: csvout/, format: csv }}\n{rules}", src.url())),
        ("prod.yaml", format!("version: 1\nsource: \"{src_url}\"\ntarget: \"postgres://app:{PASSWORD}@db-prod.internal/app\"\n{rules}")),
        ("down.yaml", format!("version: 1\nsource: \"postgres://app:{PASSWORD}@127.0.0.1:1/nowhere\"\ntarget: \"sqlite://x.db\"\n")),
        ("badrule.yaml", format!("version: 1\nsource: \"{src_url}\"\ntarget: \"sqlite://bad.db\"\ntables:\n  public.customers:\n    columns:\n      email: {{ strategy: numeric }}\n      nope: email\n")),
        ("badvalue.yaml", format!("version: 1\nsource: \"{src_url}\"\ntarget: \"sqlite://bad2.db\"\npolicy: {{ unlisted_columns: preserve }}\ntables:\n  public.customers:\n    columns:\n      notes: date_shift\n")),
    ];
    let written_by_test: Vec<PathBuf> = configs.iter().map(|(f, _)| dir.path().join(f)).collect();
    for (file, text) in &configs {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let mut printed: Vec<u8> = Vec::new();
    let mut codes = Vec::new();
    let commands: Vec<Vec<&str>> = vec![
        vec!["check", "-c", "pg.yaml"],
        vec!["plan", "-c", "pg.yaml"],
        vec!["plan", "-c", "pg.yaml", "--format", "json"],
        vec![
            "run",
            "-c",
            "pg.yaml",
            "--yes",
            "--report",
            "r1.html",
            "--stats-json",
            "s1.json",
            "--stats-csv",
            "s1.csv",
        ],
        vec![
            "run", "-c", "pg.yaml", "--yes", "--format", "json", "--actor", "hygiene",
        ],
        vec!["run", "-c", "lite.yaml", "--yes", "--report", "r2.html"],
        vec!["run", "-c", "csv.yaml", "--yes", "--stats-json", "s3.json"],
        vec!["run", "-c", "lite.yaml", "--dry-run", "--report", "r4.html"],
        vec!["run", "-c", "pg.yaml"],
        vec!["verify", "-c", "pg.yaml"],
        vec![
            "verify",
            "-c",
            "lite.yaml",
            "--all-columns",
            "--format",
            "json",
        ],
        vec!["verify", "-c", "csv.yaml"],
        vec!["audit", "list", "-c", "pg.yaml"],
        vec!["audit", "list", "-c", "pg.yaml", "--format", "json"],
        vec!["audit", "show", "1", "-c", "pg.yaml"],
        vec!["audit", "verify", "-c", "pg.yaml"],
        vec!["audit", "diff", "1", "2", "-c", "pg.yaml"],
        vec![
            "audit", "diff", "1", "3", "-c", "pg.yaml", "--format", "json",
        ],
        vec!["run", "-c", "prod.yaml", "--yes"],
        vec!["check", "-c", "prod.yaml"],
        vec!["check", "-c", "down.yaml"],
        vec!["plan", "-c", "down.yaml"],
        vec!["run", "-c", "down.yaml", "--yes"],
        vec!["verify", "-c", "down.yaml"],
        vec!["check", "-c", "badrule.yaml"],
        vec!["run", "-c", "badrule.yaml", "--yes"],
        vec!["run", "-c", "badvalue.yaml", "--yes"],
        vec!["scan", "--source", &src_url],
        vec!["scan", "--source", &src_url, "--format", "json"],
        vec!["init", "--source", &src_url, "-o", "drafted.yaml"],
    ];
    for args in &commands {
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", SECRET_KEY)
            .env("DM_HYGIENE_PW", PASSWORD)
            .args(args)
            .output()
            .unwrap();
        codes.push((args.join(" ").replace(PASSWORD, "PW"), out.status.code()));
        printed.extend(&out.stdout);
        printed.extend(&out.stderr);
    }
    // A target with an original value planted back: the failure report names the row only.
    let tampered = dir.path().join("tampered.db");
    std::fs::copy(dir.path().join("out.db"), &tampered).unwrap();
    let planted = psql(&src.0, "SELECT email FROM customers WHERE id = 3");
    sqlite_exec(
        &tampered,
        &format!(
            "UPDATE customers SET email = '{}' WHERE id = 5",
            planted.trim()
        ),
    );
    let tamper_cfg = dir.path().join("tamper.yaml");
    std::fs::write(
        &tamper_cfg,
        configs[1]
            .1
            .replace("sqlite://out.db", "sqlite://tampered.db"),
    )
    .unwrap();
    let mut written_by_test = written_by_test;
    written_by_test.extend([tamper_cfg, tampered]);
    for format in ["text", "json"] {
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", SECRET_KEY)
            .args(["verify", "-c", "tamper.yaml", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        printed.extend(&out.stdout);
        printed.extend(&out.stderr);
    }
    // The failures are the expected ones (so their messages were exercised).
    for (cmd, code) in &codes {
        let fails = ["prod.yaml", "down.yaml", "badrule.yaml", "badvalue.yaml"]
            .iter()
            .any(|f| cmd.contains(f))
            || cmd == "run -c pg.yaml";
        assert_eq!(*code, Some(if fails { 1 } else { 0 }), "{cmd}");
    }
    let mut haystack = printed;
    for f in walk(dir.path()) {
        if !written_by_test.contains(&f) {
            haystack.extend(std::fs::read(&f).unwrap());
        }
    }
    for table in ["customers", "orders"] {
        haystack.extend(psql(&pg_target.0, &format!("COPY {table} TO STDOUT")).into_bytes());
    }
    let messages = String::from_utf8_lossy(&haystack).to_string();
    for expected in [
        "column `notes`, row 1 (id=1): not a date",
        "postgres://app:***@db-prod.internal/app",
        "postgres://app:***@127.0.0.1:1/nowhere",
        "verification found",
        "public.customers.email: 1 original value(s) found in the masked output (rows: id=5)",
    ] {
        assert!(messages.contains(expected), "no message with {expected}");
    }
    let hay = String::from_utf8_lossy(&haystack).to_lowercase();
    assert!(!hay.contains(&PASSWORD.to_lowercase()), "a password leaked");
    for i in 0..SECRET_KEY.len() - 12 {
        assert!(
            !hay.contains(&SECRET_KEY[i..i + 12]),
            "part of the master key leaked"
        );
    }
    let originals = psql(
        &src.0,
        "SELECT full_name, email, ssn, phone, card, notes FROM customers",
    );
    for value in originals.lines().flat_map(|l| l.split('|')) {
        assert!(
            !hay.contains(&value.to_lowercase()),
            "an original value of a masked column leaked: {value}"
        );
    }
    // Something was checked: the run wrote manifests, reports and a target.
    assert!(hay.contains("datamask-manifest/1") && hay.contains("<!doctype html>"));
}

#[test]
fn password_references_reach_the_server_and_nothing_else() {
    const WRONG: &str = "not-the-root-pw-31337";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("datamask.yaml"),
        "version: 1\nsource: { url: \"mysql://root@127.0.0.1:3306/mysql\", password: { env: DM_TEST_MYSQL_PW } }\ntarget: \"sqlite://out.db\"\n",
    )
    .unwrap();
    let check = |pw: Option<&str>| {
        let mut cmd = datamask(dir.path());
        cmd.env("DATAMASK_KEY", KEY).arg("check");
        match pw {
            Some(pw) => cmd.env("DM_TEST_MYSQL_PW", pw),
            None => cmd.env_remove("DM_TEST_MYSQL_PW"),
        };
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    // The test server's root has no password: a wrong one proves the reference was used.
    let (code, all) = check(Some(WRONG));
    assert_eq!(code, Some(1));
    assert!(all.contains("refused the login"), "{all}");
    assert!(
        all.contains("mysql://root:***@127.0.0.1:3306/mysql"),
        "{all}"
    );
    assert!(!all.contains(WRONG), "{all}");
    let (code, all) = check(None);
    assert_eq!(code, Some(1));
    assert!(
        all.contains("`password` of the source: environment variable DM_TEST_MYSQL_PW is not set"),
        "{all}"
    );
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// The audit trail can be checked without datamask (docs/security.md): the independent
/// checker in scripts/ agrees with `audit verify` on a good chain and on every kind of
/// tampering. Skipped when python3, openssl or b3sum is missing.
#[test]
fn audit_trail_checks_out_with_standard_tools() {
    if !["python3", "openssl", "b3sum"].iter().all(|t| on_path(t)) {
        eprintln!("skipping: python3, openssl and b3sum are needed");
        return;
    }
    let dir = quickstart();
    for actor in ["Zoë Ünïcode", "ci", "ci"] {
        run_ok(dir.path(), KEY, &["--actor", actor, "--no-verify"]);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check-audit.sh");
    let runs = dir.path().join(".datamask/runs");
    let check = |key: Option<&str>| {
        let mut cmd = std::process::Command::new(&script);
        cmd.arg(&runs);
        cmd.args(key);
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = check(None);
    assert_eq!(code, Some(0), "{err}");
    let manifest: serde_json::Value = serde_json::from_slice(
        &datamask(dir.path())
            .args(["audit", "show", "1"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let public_key = manifest["signature"]["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(check(Some(&public_key)).0, Some(0));
    assert_eq!(
        check(Some(&"ab".repeat(32))).0,
        Some(1),
        "a foreign key passed"
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let original: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let restore = || {
        for (f, b) in files.iter().zip(&original) {
            std::fs::write(f, b).unwrap();
        }
    };
    // Edit a value (keeping the file canonical), a byte of whitespace, remove, reorder.
    let edited = String::from_utf8(original[1].clone())
        .unwrap()
        .replace("\"rows_written\": 1000", "\"rows_written\": 1001");
    type Tamper<'a> = Box<dyn Fn() + 'a>;
    let tampering: Vec<(&str, Tamper)> = vec![
        (
            "value",
            Box::new(|| std::fs::write(&files[1], edited.as_bytes()).unwrap()),
        ),
        (
            "space",
            Box::new(|| {
                let mut b = original[0].clone();
                b.insert(2, b' ');
                std::fs::write(&files[0], b).unwrap();
            }),
        ),
        (
            "removed",
            Box::new(|| std::fs::remove_file(&files[1]).unwrap()),
        ),
        (
            "reordered",
            Box::new(|| {
                std::fs::write(&files[1], &original[2]).unwrap();
                std::fs::write(&files[2], &original[1]).unwrap();
            }),
        ),
    ];
    for (what, tamper) in tampering {
        tamper();
        let (code, err) = check(None);
        assert_eq!(code, Some(1), "{what} went unnoticed by the script");
        assert!(err.starts_with("FAIL "), "{what}: {err}");
        let ours = datamask(dir.path())
            .args(["audit", "verify"])
            .output()
            .unwrap();
        assert_eq!(
            ours.status.code(),
            Some(1),
            "{what} went unnoticed by datamask"
        );
        restore();
    }
    assert_eq!(check(None).0, Some(0));
}
