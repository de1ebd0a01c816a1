//! End-to-end tests of the strategy catalogue through the binary: row strategies, structured
//! values and the external plug-in.

use super::{datamask, run_ok, KEY};
use std::path::Path;

/// Reads a CSV written by a run as rows of fields (no quoting in these tests' data).
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn row_strategies_build_values_from_the_masked_row() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in/people.csv",
        "id,first,last,email,display,username,email_copy,nick\n\
         1,Alice,Smith,alice@corp.test,Alice Smith,alice,alice@corp.test,Al\n\
         2,Bob,Jones,bob@corp.test,Bob Jones,bob,bob@corp.test,\n",
    );
    write(
        dir.path(),
        "datamask.yaml",
        "version: 1\nsource: in/\ntarget: { url: out/, format: csv }\ntables:\n  people:\n    columns:\n      \
         first: first_name\n      last: last_name\n      email: email\n      \
         display: { strategy: template, template: \"{first} {last|upper}\" }\n      \
         username: { strategy: pattern_based, source_field: email, pattern: \"^([^@]+)@\", replacement: \"$1\" }\n      \
         email_copy: { strategy: copy, source_field: email }\n      \
         nick: { strategy: name_fallback, fallback_field: first, keep_null: true }\n",
    );
    run_ok(dir.path(), KEY, &[]);
    let rows = csv_rows(&dir.path().join("out/people.csv"));
    assert_eq!(rows[0][4], "display");
    for r in &rows[1..] {
        let (first, last, email) = (&r[1], &r[2], &r[3]);
        assert_ne!(first, "Alice");
        assert_eq!(r[4], format!("{first} {}", last.to_uppercase()));
        assert_eq!(&r[5], email.split('@').next().unwrap());
        assert_eq!(&r[6], email);
        assert!(!r[7].is_empty() && r[7] != "Al", "{r:?}");
    }
    let all = std::fs::read_to_string(dir.path().join("out/people.csv")).unwrap();
    for original in ["Alice", "Smith", "corp.test", "Jones"] {
        assert!(!all.contains(original), "{original} leaked: {all}");
    }
}

#[test]
fn a_row_strategy_naming_a_missing_column_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/people.csv", "id,first,display\n1,Alice,x\n");
    write(
        dir.path(),
        "datamask.yaml",
        "version: 1\nsource: in/\ntarget: { url: out/, format: csv }\ntables:\n  people:\n    columns:\n      \
         display: { strategy: template, template: \"{frist}\" }\n",
    );
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("datamask.yaml:7:"), "{err}");
    assert!(err.contains("reads column `frist`"), "{err}");
    assert!(err.contains("did you mean `first`?"), "{err}");
}

/// PostgreSQL arrays element by element, JSONB paths, free-text redaction and an external
/// plug-in, in one PostgreSQL-to-PostgreSQL run.
#[test]
fn structured_values_and_plugins_on_postgres() {
    use super::{psql, PgDb};
    let src = PgDb::new("strsrc");
    psql(
        &src.0,
        "CREATE TABLE people (id int PRIMARY KEY, emails text[], scores int[], profile jsonb,
           note text, code text);
         INSERT INTO people VALUES
           (1, ARRAY['alice@corp.test', NULL, 'al@corp.test'], ARRAY[10, 20],
            '{\"name\": \"Alice\", \"email\": \"alice@corp.test\", \"ssn\": \"123-45-6789\", \"vip\": true}',
            'Call +1 (415) 555-0132 or mail alice@corp.test. Card 4111 1111 1111 1111.', 'A-1'),
           (2, '{}', NULL, '{\"name\": \"Bob\"}', 'nothing personal here', 'B-2');",
    );
    let dst = PgDb::new("strdst");
    let dir = tempfile::tempdir().unwrap();
    let plugin = format!(
        "{}/../datamask-strategies/testdata/plugins/keyed_token.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let cfg = format!(
        "version: 1\nsource: \"{}\"\ntarget: \"{}\"\ntables:\n  public.people:\n    columns:\n      \
         emails: {{ strategy: email, domain: email }}\n      \
         scores: {{ strategy: numeric, min: 0, max: 9 }}\n      \
         profile:\n        strategy: json_path\n        paths:\n          \
         - {{ path: \"$.email\", strategy: email }}\n          \
         - {{ path: \"$.name\", strategy: first_name }}\n          \
         - {{ path: \"$.ssn\", delete: true }}\n      \
         note: redact_text\n      \
         code: {{ strategy: external, command: [python3, \"{plugin}\"] }}\n",
        src.url(),
        dst.url()
    );
    std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
    run_ok(dir.path(), KEY, &[]);
    let get = |sql: &str| psql(&dst.0, sql).trim().to_string();
    // Arrays: same length, NULL elements kept, every element masked like the email column.
    assert_eq!(
        get("SELECT array_length(emails, 1) FROM people WHERE id = 1"),
        "3"
    );
    assert_eq!(
        get("SELECT emails[2] IS NULL FROM people WHERE id = 1"),
        "t"
    );
    let first = get("SELECT emails[1] FROM people WHERE id = 1");
    assert!(
        first.contains('@') && !first.contains("corp.test"),
        "{first}"
    );
    assert_eq!(get("SELECT emails FROM people WHERE id = 2"), "{}");
    let scores = get("SELECT scores FROM people WHERE id = 1");
    assert!(
        scores.starts_with('{') && scores.split(',').count() == 2,
        "{scores}"
    );
    // JSONB: paths masked, ssn deleted, the rest kept.
    assert_eq!(get("SELECT profile ? 'ssn' FROM people WHERE id = 1"), "f");
    assert_eq!(
        get("SELECT profile->>'vip' FROM people WHERE id = 1"),
        "true"
    );
    let masked_email = get("SELECT profile->>'email' FROM people WHERE id = 1");
    assert!(
        masked_email.contains('@') && !masked_email.contains("corp.test"),
        "{masked_email}"
    );
    assert_ne!(
        get("SELECT profile->>'name' FROM people WHERE id = 1"),
        "Alice"
    );
    // Free text: personal data replaced in place, the rest of the text kept.
    let note = get("SELECT note FROM people WHERE id = 1");
    assert!(
        note.starts_with("Call +1 (") && note.contains(" or mail "),
        "{note}"
    );
    assert!(!note.contains("alice@corp.test"), "{note}");
    assert!(
        !note.contains("555-0132") && !note.contains("4111 1111 1111 1111"),
        "{note}"
    );
    assert_eq!(
        get("SELECT note FROM people WHERE id = 2"),
        "nothing personal here"
    );
    // The plug-in's keyed tokens.
    let code = get("SELECT string_agg(code, ',' ORDER BY id) FROM people");
    assert!(
        code.split(',')
            .all(|c| c.starts_with("tok-") && c.len() == 16),
        "{code}"
    );
}

/// A plug-in that misbehaves stops the run with a clear error and writes nothing.
#[test]
fn a_misbehaving_plugin_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/people.csv", "id,code\n1,A-1\n2,B-2\n");
    let plugin = format!(
        "{}/../datamask-strategies/testdata/plugins/drop_last_line.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    write(
        dir.path(),
        "datamask.yaml",
        &format!(
            "version: 1\nsource: in/\ntarget: {{ url: out/, format: csv }}\ntables:\n  people:\n    columns:\n      \
             code: {{ strategy: service, command: [sh, \"{plugin}\"] }}\n"
        ),
    );
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("column `code`") && err.contains("answered 1 line(s) for 2 value(s)"),
        "{err}"
    );
    assert!(!err.contains("A-1") && !err.contains("B-2"), "{err}");
    assert!(!dir.path().join("out/people.csv").exists());
}

fn sqlite(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

fn sqlite_rows(path: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                    rusqlite::types::Value::Null => "NULL".to_string(),
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Real(f) => f.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Blob(_) => "<blob>".to_string(),
                })
            })
            .collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// `where` patterns (with a path through a foreign key) pick the rows kept, `exclude` the rows
/// left unmasked, and `when` the rows a column's strategy applies to.
#[test]
fn row_rules_select_kept_and_masked_rows() {
    let dir = tempfile::tempdir().unwrap();
    sqlite(
        &dir.path().join("src.db"),
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, country TEXT, role TEXT);
         INSERT INTO customers VALUES (1, 'ana@corp.test', 'ES', 'user'), (2, 'bob@corp.test', 'FR', 'admin'),
                                      (3, 'cy@corp.test', 'DE', 'user');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                              status TEXT, total REAL, channel TEXT, note TEXT);
         INSERT INTO orders VALUES
           (10, 1, 'paid', 150, 'email', 'mail ana@corp.test'),
           (11, 1, 'paid', 50, 'phone', 'call ana@corp.test'),
           (12, 2, 'shipped', 300, 'phone', 'call bob@corp.test'),
           (13, 3, 'paid', 500, 'email', 'mail cy@corp.test'),
           (14, 1, 'cancelled', 900, 'email', 'mail ana@corp.test'),
           (15, 2, 'paid', 120, 'email', 'mail bob@corp.test');",
    );
    write(
        dir.path(),
        "datamask.yaml",
        "version: 1\nsource: sqlite://src.db\ntarget: sqlite://out.db\npolicy: { unlisted_columns: preserve }\n\
         tables:\n  customers:\n    exclude: { role: admin }\n    columns:\n      email: email\n  \
         orders:\n    where: { status: \"paid|shipped\", total: \">= 100\", customer_id.country: \"ES|FR\" }\n    \
         columns:\n      note: { strategy: redact_text, mode: label, when: { channel: email } }\n",
    );
    run_ok(dir.path(), KEY, &[]);
    let db = dir.path().join("out.db");
    let orders = sqlite_rows(&db, "SELECT id, note FROM orders ORDER BY id");
    assert_eq!(
        orders,
        vec![
            vec!["10".to_string(), "mail [EMAIL]".to_string()],
            vec!["12".to_string(), "call bob@corp.test".to_string()],
            vec!["15".to_string(), "mail [EMAIL]".to_string()],
        ]
    );
    let customers = sqlite_rows(&db, "SELECT id, email FROM customers ORDER BY id");
    assert_eq!(customers.len(), 3);
    assert_ne!(customers[0][1], "ana@corp.test");
    assert_eq!(
        customers[1][1], "bob@corp.test",
        "excluded rows are copied as they are"
    );
    assert_ne!(customers[2][1], "cy@corp.test");
    // The plan shows the rules.
    let plan = datamask(dir.path())
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let orders = plan["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "orders")
        .unwrap();
    assert_eq!(
        orders["rows"]["where"]["any_of"][0][2]["field"],
        "customer_id.country"
    );
}

#[test]
fn row_rules_are_checked_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    sqlite(
        &dir.path().join("src.db"),
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, country TEXT);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), note TEXT);",
    );
    write(
        dir.path(),
        "datamask.yaml",
        "version: 1\nsource: sqlite://src.db\ntarget: sqlite://out.db\npolicy: { unlisted_columns: preserve }\n\
         tables:\n  orders:\n    where: { customer_id.contry: ES }\n    include: [ { nte: x } ]\n    columns:\n      \
         customer_id: { strategy: fpe, when: { note: x } }\n",
    );
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    for expected in [
        "datamask.yaml:7:14",
        "`contry` is not a column of `customers`",
        "datamask.yaml:8:18",
        "did you mean `note`?",
        "which is linked to other columns",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    write(
        dir.path(),
        "bad.yaml",
        "version: 1\nsource: sqlite://src.db\ntarget: sqlite://out.db\ntables:\n  orders:\n    columns:\n      \
         note: { strategy: text, when: \"oops\" }\n",
    );
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["check", "-c", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:7:37") && err.contains("`when` must be a map"),
        "{err}"
    );
}
