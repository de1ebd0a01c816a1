//! The relationship fixture of docs/relations.md, on SQLite, PostgreSQL and MariaDB: an email
//! primary key referenced by declared foreign keys, a multi-hop chain and an undeclared
//! relation; a composite key; a self-reference; a masked surrogate key. After masking, every
//! join returns the same pairs of rows as in the source, nothing is orphaned, keys stay
//! unique, and no source value of a masked key survives anywhere it was referenced.

use super::{datamask, psql, rows, run_ok, PgDb, KEY};
use rusqlite::types::Value as Sql;
use std::path::Path;

/// The fixture's schema, in a dialect-neutral subset. Ids are sparse on purpose (seven
/// digits): `fpe` keeps the digit count, so on dense ids a masked id can equal another row's
/// original id, which would make "no source value survives" a matter of luck.
const SCHEMA: &str = "
CREATE TABLE people (email VARCHAR(80) PRIMARY KEY, name VARCHAR(40) NOT NULL, tag VARCHAR(8) NOT NULL UNIQUE);
CREATE TABLE employees (id INTEGER PRIMARY KEY, email VARCHAR(80) REFERENCES people(email), manager_id INTEGER REFERENCES employees(id), tag VARCHAR(8) NOT NULL UNIQUE);
CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner_email VARCHAR(80) NOT NULL UNIQUE REFERENCES people(email), opened_by INTEGER REFERENCES employees(id), tag VARCHAR(8) NOT NULL UNIQUE);
CREATE TABLE logins (id INTEGER PRIMARY KEY, account_email VARCHAR(80) NOT NULL REFERENCES accounts(owner_email), tag VARCHAR(8) NOT NULL UNIQUE);
CREATE TABLE messages (id INTEGER PRIMARY KEY, recipient VARCHAR(80), body VARCHAR(200), tag VARCHAR(8) NOT NULL UNIQUE);
CREATE TABLE courses (code VARCHAR(12) NOT NULL, term INTEGER NOT NULL, title VARCHAR(80), tag VARCHAR(8) NOT NULL UNIQUE, PRIMARY KEY (code, term));
CREATE TABLE enrolments (person_email VARCHAR(80) NOT NULL REFERENCES people(email), course_code VARCHAR(12) NOT NULL, course_term INTEGER NOT NULL, tag VARCHAR(8) NOT NULL UNIQUE, PRIMARY KEY (person_email, course_code, course_term), FOREIGN KEY (course_code, course_term) REFERENCES courses(code, term));
";

/// Rows: 40 people, 20 employees in a three-level hierarchy, 30 accounts, 90 logins, 60
/// messages (some to unknown addresses, some NULL), 6 courses in 2 terms, 80 enrolments.
fn data() -> Vec<String> {
    let mut sql = Vec::new();
    for p in 1..=40 {
        sql.push(format!(
            "INSERT INTO people VALUES ('person{p}@corp.example', 'Name{p}', 'P{p}')"
        ));
    }
    for e in 1..=20 {
        let manager = match e {
            1 => "NULL".to_string(),
            2..=5 => "1000001".to_string(),
            _ => format!("{}", 1000000 + 2 + (e % 4)),
        };
        sql.push(format!(
            "INSERT INTO employees VALUES ({}, 'person{e}@corp.example', {manager}, 'E{e}')",
            1000000 + e
        ));
    }
    for a in 1..=30 {
        sql.push(format!(
            "INSERT INTO accounts VALUES ({a}, 'person{}@corp.example', {}, 'A{a}')",
            a + 5,
            1000000 + (a % 20) + 1
        ));
    }
    for l in 1..=90 {
        sql.push(format!(
            "INSERT INTO logins VALUES ({l}, 'person{}@corp.example', 'L{l}')",
            (l % 30) + 6
        ));
    }
    for m in 1..=60 {
        let to = match m % 6 {
            0 => "NULL".to_string(),
            1 => format!("'stranger{m}@elsewhere.example'"),
            _ => format!("'person{}@corp.example'", (m % 40) + 1),
        };
        sql.push(format!(
            "INSERT INTO messages VALUES ({m}, {to}, 'hello {m}', 'M{m}')"
        ));
    }
    let codes = ["CS101", "CS102", "MA201"];
    for (i, code) in codes.iter().enumerate() {
        for term in [2024, 2025] {
            sql.push(format!(
                "INSERT INTO courses VALUES ('{code}', {term}, 'Course {i}', 'C{i}{term}')"
            ));
        }
    }
    let mut n = 0;
    for p in 1..=40 {
        for k in 0..2 {
            n += 1;
            let code = codes[(p + k) % 3];
            let term = if (p + k) % 2 == 0 { 2024 } else { 2025 };
            sql.push(format!(
                "INSERT INTO enrolments VALUES ('person{p}@corp.example', '{code}', {term}, 'N{n}')"
            ));
        }
    }
    sql
}

const CONFIG: &str = "
tables:
  people:
    columns:
      email: email
      name: first_name
  employees:
    columns:
      id: fpe
  courses:
    columns:
      code: { strategy: fpe, alphabet: alnum }
relations:
  - { from: messages.recipient, to: people.email }
";

/// A join: (child table, child columns, parent table, parent columns).
type Join = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static [&'static str],
);

/// A masked key: (table, column, the columns that refer to it).
type Key = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Every join of the fixture.
const JOINS: &[Join] = &[
    ("employees", &["email"], "people", &["email"]),
    ("employees", &["manager_id"], "employees", &["id"]),
    ("accounts", &["owner_email"], "people", &["email"]),
    ("accounts", &["opened_by"], "employees", &["id"]),
    ("logins", &["account_email"], "accounts", &["owner_email"]),
    ("messages", &["recipient"], "people", &["email"]),
    ("enrolments", &["person_email"], "people", &["email"]),
    (
        "enrolments",
        &["course_code", "course_term"],
        "courses",
        &["code", "term"],
    ),
];

/// Masked key columns and every column that refers to them.
const KEYS: &[Key] = &[
    (
        "people",
        "email",
        &[
            ("employees", "email"),
            ("accounts", "owner_email"),
            ("logins", "account_email"),
            ("messages", "recipient"),
            ("enrolments", "person_email"),
        ],
    ),
    (
        "employees",
        "id",
        &[("employees", "manager_id"), ("accounts", "opened_by")],
    ),
    ("courses", "code", &[("enrolments", "course_code")]),
];

/// SQL for the (child tag, parent tag) pairs a join produces, in a stable order.
fn join_sql(q: &dyn Fn(&str) -> String, join: &Join) -> String {
    let (child, ccols, parent, pcols) = join;
    let on: Vec<String> = ccols
        .iter()
        .zip(pcols.iter())
        .map(|(c, p)| format!("c.{} = p.{}", q(c), q(p)))
        .collect();
    format!(
        "SELECT c.tag, p.tag FROM {} c JOIN {} p ON {} ORDER BY c.tag, p.tag",
        q(child),
        q(parent),
        on.join(" AND ")
    )
}

/// SQL counting child rows whose (non-NULL) reference finds no parent.
fn orphan_sql(q: &dyn Fn(&str) -> String, join: &Join) -> String {
    let (child, ccols, parent, pcols) = join;
    let on: Vec<String> = ccols
        .iter()
        .zip(pcols.iter())
        .map(|(c, p)| format!("c.{} = p.{}", q(c), q(p)))
        .collect();
    let present: Vec<String> = ccols
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", q(c)))
        .collect();
    format!(
        "SELECT COUNT(*) FROM {} c LEFT JOIN {} p ON {} WHERE {} AND p.tag IS NULL",
        q(child),
        q(parent),
        on.join(" AND "),
        present.join(" AND ")
    )
}

/// One database the fixture can live in, queried as lists of text rows.
trait Db {
    fn query(&self, sql: &str) -> Vec<String>;
    fn quote(&self, ident: &str) -> String;
}

struct Lite<'a>(&'a Path);

impl Db for Lite<'_> {
    fn query(&self, sql: &str) -> Vec<String> {
        rows(self.0, sql)
            .into_iter()
            .map(|r| {
                r.iter()
                    .map(|v| match v {
                        Sql::Null => "NULL".to_string(),
                        Sql::Integer(i) => i.to_string(),
                        Sql::Text(s) => s.clone(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }
    fn quote(&self, ident: &str) -> String {
        format!("\"{ident}\"")
    }
}

/// Checks the four promises between a source and a masked target.
fn assert_relations_hold(src: &dyn Db, dst: &dyn Db) {
    let qs = |s: &str| src.quote(s);
    let qd = |s: &str| dst.quote(s);
    for j in JOINS {
        let before = src.query(&join_sql(&qs, j));
        let after = dst.query(&join_sql(&qd, j));
        assert!(!before.is_empty(), "join {j:?} has rows in the source");
        assert_eq!(before, after, "join {j:?} pairs the same rows");
        // The undeclared relation has orphans in the source (messages to strangers); masking
        // must not add any, and declared keys have none at all.
        let orphans = dst.query(&orphan_sql(&qd, j));
        assert_eq!(orphans, src.query(&orphan_sql(&qs, j)), "orphans in {j:?}");
        if j.0 != "messages" {
            assert_eq!(orphans, ["0"], "orphans in {j:?}");
        }
    }
    for (table, column, refs) in KEYS {
        // Keys stay unique (the course code is unique together with the term).
        let key = if *table == "courses" {
            format!("{}, {}", qd(column), qd("term"))
        } else {
            qd(column)
        };
        let dup = format!(
            "SELECT COUNT(*) FROM (SELECT {key} FROM {t} GROUP BY {key} HAVING COUNT(*) > 1) d",
            t = qd(table)
        );
        assert_eq!(dst.query(&dup), ["0"], "{table}.{column} stays unique");
        let originals = src.query(&format!("SELECT {} FROM {}", qs(column), qs(table)));
        for (rt, rc) in refs.iter().chain([(*table, *column)].iter()) {
            let values = dst.query(&format!(
                "SELECT {} FROM {} WHERE {} IS NOT NULL",
                qd(rc),
                qd(rt),
                qd(rc)
            ));
            assert!(!values.is_empty());
            for v in &values {
                assert!(
                    !originals.contains(v),
                    "a source value of {table}.{column} survives in {rt}.{rc}"
                );
            }
        }
    }
    // Messages to addresses outside `people` are masked like any address of the domain.
    let strangers = "SELECT COUNT(*) FROM messages WHERE recipient LIKE 'stranger%'";
    assert_eq!(dst.query(strangers), ["0"]);
}

fn run_config(dir: &Path, source: &str, target: &str) -> String {
    let cfg = format!("version: 1\nsource: \"{source}\"\ntarget: \"{target}\"\n{CONFIG}");
    std::fs::write(dir.join("datamask.yaml"), cfg).unwrap();
    run_ok(dir, KEY, &[])
}

#[test]
fn relations_fixture_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("fixture.db");
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(&(data().join(";\n") + ";")).unwrap();
    drop(conn);
    let out = run_config(dir.path(), "sqlite://fixture.db", "sqlite://masked.db");
    // Load order: parents first.
    let order: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            [
                "people",
                "employees",
                "accounts",
                "logins",
                "messages",
                "courses",
                "enrolments",
            ]
            .contains(w)
        })
        .collect();
    assert_eq!(
        order,
        [
            "people",
            "employees",
            "accounts",
            "logins",
            "messages",
            "courses",
            "enrolments"
        ]
    );
    let dst = dir.path().join("masked.db");
    assert_relations_hold(&Lite(&src), &Lite(&dst));
    let fk = rows(&dst, "PRAGMA foreign_key_check");
    assert!(fk.is_empty(), "{fk:?}");
}

/// A MariaDB database that exists for one test.
struct MyDb(String);

fn mysql(db: &str, sql: &str) -> Vec<String> {
    let out = std::process::Command::new("mysql")
        .args([
            "-h",
            "127.0.0.1",
            "-P",
            "3306",
            "-u",
            "root",
            "-N",
            "-B",
            "-e",
            sql,
            db,
        ])
        .output()
        .expect("mysql runs");
    assert!(
        out.status.success(),
        "mysql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.replace('\t', "|"))
        .collect()
}

impl MyDb {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("dm_rel_{tag}_{}_{nanos}", std::process::id());
        mysql("mysql", &format!("CREATE DATABASE {name}"));
        MyDb(name)
    }
    fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.0)
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        let _ = std::process::Command::new("mysql")
            .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-e"])
            .arg(format!("DROP DATABASE IF EXISTS {}", self.0))
            .output();
    }
}

impl Db for MyDb {
    fn query(&self, sql: &str) -> Vec<String> {
        mysql(&self.0, sql)
    }
    fn quote(&self, ident: &str) -> String {
        format!("`{ident}`")
    }
}

impl Db for PgDb {
    fn query(&self, sql: &str) -> Vec<String> {
        psql(&self.0, sql).lines().map(str::to_string).collect()
    }
    fn quote(&self, ident: &str) -> String {
        format!("\"{ident}\"")
    }
}

#[test]
fn relations_fixture_postgres() {
    let src = PgDb::new("relsrc");
    psql(&src.0, &(SCHEMA.to_string() + &data().join(";\n") + ";"));
    let dst = PgDb::new("reldst");
    let dir = tempfile::tempdir().unwrap();
    // PostgreSQL names are schema-qualified; bare names (`people`, `messages.recipient`)
    // mean `public.` as in psql, so both spellings are used here.
    let config = CONFIG
        .replace("  employees:", "  public.employees:")
        .replace("  courses:", "  public.courses:")
        .replace("to: people.email", "to: public.people.email");
    let cfg = format!(
        "version: 1\nsource: \"{}\"\ntarget: \"{}\"\n{config}",
        src.url(),
        dst.url()
    );
    std::fs::write(dir.path().join("datamask.yaml"), cfg).unwrap();
    run_ok(dir.path(), KEY, &[]);
    assert_relations_hold(&src, &dst);
}

#[test]
fn relations_fixture_mariadb() {
    let src = MyDb::new("src");
    mysql(&src.0, &(SCHEMA.to_string() + &data().join(";\n") + ";"));
    let dst = MyDb::new("dst");
    let dir = tempfile::tempdir().unwrap();
    run_config(dir.path(), &src.url(), &dst.url());
    assert_relations_hold(&src, &dst);
}

/// The constraints fixture: each engine declares the same limits its own way (CHECK, ENUM,
/// enum type, domain). Returns the DDL and rows for `engine`.
fn constrained(engine: &str) -> String {
    let (status, price, pre) = match engine {
        "mariadb" => ("ENUM('new','sold')", "DECIMAL(6,2) CHECK (price > 0)", ""),
        "postgres" => (
            "status_t",
            "positive_price",
            "CREATE TYPE status_t AS ENUM ('new', 'sold');
             CREATE DOMAIN positive_price AS numeric(6,2) CHECK (VALUE > 0);",
        ),
        _ => (
            "VARCHAR(10) CHECK (status IN ('new', 'sold'))",
            "DECIMAL(6,2) CHECK (price > 0)",
            "",
        ),
    };
    let mut sql = format!(
        "{pre}
        CREATE TABLE products (id INTEGER PRIMARY KEY, code VARCHAR(6) NOT NULL CHECK (code LIKE 'P%'),
          status {status}, price {price}, qty INTEGER CHECK (qty BETWEEN 1 AND 99));"
    );
    for i in 1..=50 {
        let status = if i % 3 == 0 { "sold" } else { "new" };
        sql.push_str(&format!(
            "INSERT INTO products VALUES ({i}, 'P{:05}', '{status}', {}.{:02}, {});",
            i * 7,
            i % 9 + 1,
            i % 100,
            i % 99 + 1
        ));
    }
    sql
}

const CONSTRAINED_RULES: &str = "
    columns:
      code: CODE
      status: { strategy: enum, values: [new, sold] }
      price: { strategy: noise, relative: 2.0 }
      qty: { strategy: noise, absolute: 500 }
";

/// Runs `datamask` with the constraints fixture config and `code` rule; returns the output.
fn run_constrained(
    dir: &Path,
    source: &str,
    target: &str,
    table: &str,
    code: &str,
) -> std::process::Output {
    let rules = CONSTRAINED_RULES.replace("CODE", code);
    let cfg = format!(
        "version: 1\nsource: \"{source}\"\ntarget: \"{target}\"\ntables:\n  {table}:{rules}"
    );
    std::fs::write(dir.join("datamask.yaml"), cfg).unwrap();
    datamask(dir)
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes"])
        .output()
        .unwrap()
}

/// What every engine must show: the limits were read, a value that breaks a pattern check
/// stops the run before anything is committed, and values that can be fitted are.
fn assert_constraints_fit(dir: &Path, source: &str, target: &str, table: &str, dst: &dyn Db) {
    // A token breaks `code LIKE 'P%'`: the run stops, naming table, column and row.
    let out = run_constrained(dir, source, target, table, "token");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "table `{table}`, column `code`, row 1 (id=1): the masked value does not meet CHECK (LIKE 'P%')"
        )),
        "{err}"
    );
    // `check` and `plan` see the limits too: enum values, the length, the ranges.
    let plan = datamask(dir)
        .env("DATAMASK_KEY", KEY)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let cols = &plan["tables"][0]["columns"];
    let fit = |i: usize| cols[i]["fit"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        fit(1),
        "at most 6 of 6 characters; each value checked: LIKE 'P%'"
    );
    assert_eq!(fit(2), "within the 2 allowed values");
    assert_eq!(fit(4), "kept within 1..=99");
    // A prefixed token fits the pattern and the width; noise is clamped into the ranges.
    let out = run_constrained(
        dir,
        source,
        target,
        table,
        "{ strategy: token, prefix: P, alphabet: digits }",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q = |s: &str| dst.quote(s);
    let bad = format!(
        "SELECT COUNT(*) FROM {} WHERE {code} NOT LIKE 'P%' OR LENGTH({code}) <> 6 \
         OR {status} NOT IN ('new', 'sold') OR {price} <= 0 OR {qty} NOT BETWEEN 1 AND 99",
        q("products"),
        code = q("code"),
        status = q("status"),
        price = q("price"),
        qty = q("qty"),
    );
    assert_eq!(dst.query(&bad), ["0"]);
    let masked = format!(
        "SELECT COUNT(*) FROM {} WHERE {} = 'P00007'",
        q("products"),
        q("code")
    );
    assert_eq!(dst.query(&masked), ["0"]);
}

#[test]
fn constraints_are_read_and_values_fit_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("src.db")).unwrap();
    conn.execute_batch(&constrained("sqlite")).unwrap();
    drop(conn);
    let dst = dir.path().join("out.db");
    // The failing run (first in the helper) must leave no target behind: check it alone.
    let out = run_constrained(
        dir.path(),
        "sqlite://src.db",
        "sqlite://out.db",
        "products",
        "token",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!dst.exists(), "a failed run left a target behind");
    assert_constraints_fit(
        dir.path(),
        "sqlite://src.db",
        "sqlite://out.db",
        "products",
        &Lite(&dst),
    );
}

#[test]
fn constraints_are_read_and_values_fit_postgres() {
    let src = PgDb::new("consrc");
    psql(&src.0, &constrained("postgres"));
    let dst = PgDb::new("condst");
    let dir = tempfile::tempdir().unwrap();
    assert_constraints_fit(dir.path(), &src.url(), &dst.url(), "public.products", &dst);
    // The failed run committed nothing before the successful one: PostgreSQL enforced
    // every CHECK, the enum and the domain on the rows it accepted.
}

#[test]
fn constraints_are_read_and_values_fit_mariadb() {
    let src = MyDb::new("consrc");
    mysql(&src.0, &constrained("mariadb"));
    let dst = MyDb::new("condst");
    let dir = tempfile::tempdir().unwrap();
    assert_constraints_fit(dir.path(), &src.url(), &dst.url(), "products", &dst);
}

/// `preview` shows the same rows every time, masked exactly as a run masks them, and leaves
/// no trace: no target, no manifest, no file.
#[test]
fn preview_is_deterministic_and_writes_nothing() {
    let dir = super::quickstart();
    let before: Vec<_> = super::walk(dir.path());
    let preview = |format: &str| {
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args([
                "preview",
                "--table",
                "customers",
                "--rows",
                "3",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = preview("text");
    assert_eq!(text, preview("text"));
    assert!(
        text.starts_with(
            "customers: the first 3 rows in key order of about 1000; 9 of 14 columns masked"
        ),
        "{text}"
    );
    assert!(text.contains("danielle.johnson@example.com"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&preview("json")).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(super::walk(dir.path()), before, "preview wrote a file");
    // The masked side is what a run writes.
    super::run_ok(dir.path(), KEY, &[]);
    let email = super::column_index(&dir.path().join("masked.db"), "customers", "email");
    let written = super::table(&dir.path().join("masked.db"), "customers");
    for (i, row) in rows.iter().enumerate() {
        let Sql::Text(w) = &written[i][email] else {
            panic!()
        };
        assert_eq!(row["after"][email].as_str(), Some(w.as_str()));
        assert_ne!(row["before"][email], row["after"][email]);
    }
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["preview", "--table", "customer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `customers`?"));
}
