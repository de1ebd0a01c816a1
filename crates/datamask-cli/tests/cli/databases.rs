//! End-to-end tests of `datamask run` against the real PostgreSQL and MariaDB servers on this
//! machine (`scripts/services.sh`): in-place mode, SIGKILL at named points of a run followed by
//! a re-run, cross-engine copies of a type zoo, and the error messages of item 7.
//!
//! The servers come from `DATAMASK_TEST_PG_HOST` style defaults: PostgreSQL on 127.0.0.1:5432
//! as `postgres` without password, MariaDB on 127.0.0.1:3306 as `root` without password. The
//! tests talk to them through `psql`, `pg_dump`, `mariadb` and `mysqldump`. Each test creates
//! its own databases and drops them at the end, also when it fails.
//!
//! Kills are deterministic: `DATAMASK_FAILPOINT=NAME` makes the process stop at that point
//! (`datamask_core::failpoint`), print a line on stderr, and wait to be killed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const PG: &str = "postgres://postgres@127.0.0.1:5432";
const MY: &str = "mysql://root@127.0.0.1:3306";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{nanos}_{n}", std::process::id())
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A PostgreSQL database for one test, dropped on drop.
struct PgDb(String);

impl PgDb {
    fn new() -> PgDb {
        let db = PgDb(unique("dm_cli"));
        psql("postgres", &format!("CREATE DATABASE {}", db.0));
        db
    }
    /// A name only: the run creates the database.
    fn named() -> PgDb {
        PgDb(unique("dm_cli"))
    }
    fn url(&self) -> String {
        format!("{PG}/{}", self.0)
    }
    fn sql(&self, sql: &str) -> String {
        psql(&self.0, sql)
    }
    /// Schema and data, comparable between databases.
    fn dump(&self) -> String {
        let out = sh(Command::new("pg_dump").args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--no-owner",
            "-d",
            &self.0,
        ]));
        out.lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-XqAt",
                "-d",
                "postgres",
            ])
            .args([
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0),
            ])
            .output();
    }
}

fn psql(db: &str, sql: &str) -> String {
    sh(Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-XqAt", "-F", "|"])
        .args(["-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]))
}

/// A MariaDB database for one test, dropped (with its helper databases) on drop.
struct MyDb(String);

impl MyDb {
    fn new() -> MyDb {
        let db = MyDb(unique("dm_cli"));
        mariadb(&format!("CREATE DATABASE {}", db.0));
        db
    }
    fn named() -> MyDb {
        MyDb(unique("dm_cli"))
    }
    fn url(&self) -> String {
        format!("{MY}/{}", self.0)
    }
    fn sql(&self, sql: &str) -> String {
        mariadb(&format!("USE {}; {sql}", self.0))
    }
    fn dump(&self) -> String {
        sh(Command::new("mysqldump").args([
            "-h127.0.0.1",
            "-uroot",
            "--skip-dump-date",
            "--skip-comments",
            "--routines",
            "--triggers",
            &self.0,
        ]))
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        for db in [
            self.0.clone(),
            format!("{}__dm_stage", self.0),
            format!("{}__dm_old", self.0),
        ] {
            let _ = Command::new("mariadb")
                .args(["-h127.0.0.1", "-uroot", "-e"])
                .arg(format!("DROP DATABASE IF EXISTS {db}"))
                .output();
        }
    }
}

fn mariadb(sql: &str) -> String {
    sh(Command::new("mariadb")
        .args(["-h127.0.0.1", "-uroot", "-N", "-B", "-e"])
        .arg(sql))
}

fn datamask(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("datamask"));
    cmd.current_dir(dir)
        .env("DATAMASK_KEY", KEY)
        .env_remove("DATAMASK_FAILPOINT")
        .env("NO_COLOR", "1");
    cmd
}

fn config(dir: &Path, yaml: &str) {
    std::fs::write(dir.join("datamask.yaml"), yaml).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    datamask(dir).arg("run").args(args).output().unwrap()
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs until the failpoint `point`, then kills the process with SIGKILL.
fn run_killed_at(dir: &Path, args: &[&str], point: &str) {
    let mut child = datamask(dir)
        .arg("run")
        .args(args)
        .env("DATAMASK_FAILPOINT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut reached = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains(&format!("paused at failpoint {point}")) {
            reached = true;
            break;
        }
        seen.push(line);
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        reached,
        "failpoint {point} never reached ({status}): {}",
        seen.join("\n")
    );
}

fn assert_fails(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "expected exit 1: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "expected `{n}` in: {stderr}");
    }
    stderr
}

// ---------------------------------------------------------------------------------------------
// In-place mode

pub(super) const PG_SHOP: &str = "
CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL UNIQUE, name text);
CREATE TABLE orders (id serial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    email text, total numeric(10,2));
CREATE TABLE products (id integer PRIMARY KEY, label text);
CREATE TABLE audit (id serial PRIMARY KEY, what text);
CREATE FUNCTION log_insert() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO audit (what) VALUES (TG_TABLE_NAME); RETURN NEW; END$$;
CREATE TRIGGER customers_log AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION log_insert();
INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'Name ' || g FROM generate_series(1, 300) g;
INSERT INTO orders (customer_id, email, total)
  SELECT 1 + g % 300, 'user' || (1 + g % 300) || '@example.com', g * 1.5 FROM generate_series(1, 900) g;
INSERT INTO products VALUES (1, 'apple'), (2, 'pear');
DELETE FROM audit;
CREATE MATERIALIZED VIEW customer_emails AS SELECT id, email FROM customers;
";

/// Masks the primary key of `customers` and its foreign key in `orders` with the same domain,
/// so the keys change and must stay consistent.
const SHOP_RULES: &str = "
tables:
  CUSTOMERS:
    columns:
      id: { strategy: fpe, domain: customer_id }
      email: { strategy: email, domain: email }
      name: { strategy: token, length: 6 }
  ORDERS:
    columns:
      customer_id: { strategy: fpe, domain: customer_id }
      email: { strategy: email, domain: email }
";

fn shop_rules(prefix: &str) -> String {
    SHOP_RULES
        .replace("CUSTOMERS", &format!("{prefix}customers"))
        .replace("ORDERS", &format!("{prefix}orders"))
}

fn in_place_config(url: &str, prefix: &str, label: &str) -> String {
    format!(
        "version: 1\nmode: in_place\nsource: {{ url: \"{url}\", environment: {label} }}\n{}",
        shop_rules(prefix)
    )
}

fn check_pg_shop_masked(db: &PgDb) {
    assert_eq!(
        db.sql("SELECT count(*) FROM customers WHERE email LIKE 'user%'"),
        "0\n"
    );
    assert_eq!(db.sql("SELECT count(*) FROM customers"), "300\n");
    assert_eq!(
        db.sql("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id AND c.email = o.email"),
        "900\n",
        "every order still joins its customer, on the masked key and the masked email"
    );
    assert_ne!(
        db.sql("SELECT min(id) FROM customers"),
        "1\n",
        "the key was masked"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM audit"),
        "0\n",
        "triggers did not fire"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM customer_emails WHERE email LIKE 'user%'"),
        "0\n",
        "materialized views are refreshed"
    );
    assert!(db
        .sql("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        .contains("orders_customer_id_fkey"));
}

#[test]
fn pg_in_place_needs_the_flag_refuses_production_and_survives_kills() {
    let db = PgDb::new();
    db.sql(PG_SHOP);
    let dir = tempfile::tempdir().unwrap();
    let before = db.dump();

    config(
        dir.path(),
        &in_place_config(&db.url(), "public.", "production"),
    );
    let out = run(dir.path(), &["--in-place"]);
    assert_fails(&out, &["labelled `environment: production`"]);

    config(dir.path(), &in_place_config(&db.url(), "public.", "test"));
    let out = run(dir.path(), &[]);
    assert_fails(&out, &["pass --in-place"]);
    assert_eq!(db.dump(), before);

    for point in [
        "before-load",
        "mid-load",
        "before-commit",
        "mid-swap",
        "before-swap",
    ] {
        run_killed_at(dir.path(), &["--in-place", "--jobs", "2"], point);
        assert_eq!(db.dump(), before, "killed at {point}: the database changed");
    }
    let summary = run_ok(dir.path(), &["--in-place"]);
    assert!(summary.contains("(in place)"), "{summary}");
    assert!(summary.contains("unchanged"), "{summary}");
    check_pg_shop_masked(&db);

    // The same masking on an untouched copy gives the same database.
    let clean = PgDb::new();
    clean.sql(PG_SHOP);
    let dir2 = tempfile::tempdir().unwrap();
    config(
        dir2.path(),
        &in_place_config(&clean.url(), "public.", "test"),
    );
    run_ok(dir2.path(), &["--in-place", "--jobs", "1"]);
    assert_eq!(
        db.dump().replace(&db.0, "DB"),
        clean.dump().replace(&clean.0, "DB")
    );
}

#[test]
fn pg_in_place_never_breaks_a_foreign_key() {
    let db = PgDb::new();
    db.sql(PG_SHOP);
    let before = db.dump();
    let dir = tempfile::tempdir().unwrap();
    // A child key masked so that it can no longer match its parent: refused before anything is
    // read (the plan shares the parent key's transform with its foreign keys). Should a key
    // still break, the swap re-creates every foreign key, which validates it, and rolls back.
    let yaml = format!(
        "version: 1\nmode: in_place\nsource: \"{}\"\ntables:\n  public.orders:\n    columns:\n      customer_id: {{ strategy: constant, value: 99999 }}\n",
        db.url()
    );
    config(dir.path(), &yaml);
    let out = run(dir.path(), &["--in-place"]);
    assert_fails(&out, &["would break the key"]);
    assert_eq!(db.dump(), before);
}

/// Everything the catalog says about the indexes and constraints of the public schema, by
/// name: definitions, deferrability, `CLUSTER` mark, replica identity, comments.
fn pg_index_catalog(db: &PgDb) -> String {
    db.sql(
        "SELECT 'index', tablename, indexname, indexdef, i.indisclustered, i.indisreplident,
                obj_description(i.indexrelid, 'pg_class')
         FROM pg_indexes x JOIN pg_index i ON i.indexrelid = format('%I.%I', x.schemaname, x.indexname)::regclass
         WHERE schemaname = 'public'
         UNION ALL
         SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid),
                condeferrable, condeferred, obj_description(oid, 'pg_constraint')
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         ORDER BY 1, 2, 3",
    )
}

#[test]
fn pg_in_place_rebuilds_indexes_and_constraints_unchanged() {
    let db = PgDb::new();
    db.sql(
        "CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, code text NOT NULL,
             name text, active boolean NOT NULL DEFAULT true,
             CONSTRAINT customers_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED,
             CONSTRAINT customers_code_key UNIQUE (code));
         CREATE TABLE orders (id integer PRIMARY KEY,
             customer_code text NOT NULL REFERENCES customers (code));
         CREATE UNIQUE INDEX customers_lower_email_idx ON customers (lower(email)) WITH (fillfactor = 70);
         CREATE INDEX customers_active_name_idx ON customers (name text_pattern_ops) WHERE active;
         CREATE INDEX customers_name_desc_idx ON customers (name DESC NULLS LAST) INCLUDE (id);
         ALTER TABLE customers CLUSTER ON customers_name_desc_idx;
         ALTER TABLE customers REPLICA IDENTITY USING INDEX customers_code_key;
         COMMENT ON INDEX customers_lower_email_idx IS 'one address, whatever the case';
         COMMENT ON CONSTRAINT customers_code_key ON customers IS 'the key orders use';
         -- Grouping by the primary key makes the view depend on it: the key stays as it is.
         CREATE VIEW customer_names AS SELECT c.id, c.name FROM customers c GROUP BY c.id;
         INSERT INTO customers SELECT g, 'User' || g || '@example.com', 'C' || g, 'Name ' || g, g % 3 > 0
           FROM generate_series(1, 200) g;
         INSERT INTO orders SELECT g, 'C' || (1 + g % 200) FROM generate_series(1, 400) g;",
    );
    let before = pg_index_catalog(&db);
    let oids = "SELECT relname || '=' || oid FROM pg_class
                WHERE relkind = 'i' AND relname LIKE 'customers%' ORDER BY relname";
    let oids_before = db.sql(oids);
    let dir = tempfile::tempdir().unwrap();
    config(
        dir.path(),
        &format!(
            "version: 1\nmode: in_place\nsource: {{ url: \"{}\", environment: test }}\n\
             tables:\n  public.customers:\n    columns:\n      \
             email: {{ strategy: email, domain: email }}\n      name: {{ strategy: token, length: 6 }}\n",
            db.url()
        ),
    );
    run_ok(dir.path(), &["--in-place"]);
    assert_eq!(
        db.sql("SELECT count(*) FROM customers WHERE email LIKE 'User%' OR name LIKE 'Name%'"),
        "0\n",
        "masked"
    );
    assert_eq!(pg_index_catalog(&db), before);
    // Every index was dropped and built again (a new OID) but the primary key, which the view
    // depends on and so was kept (the same OID).
    let oids_after = db.sql(oids);
    for (before, after) in oids_before.lines().zip(oids_after.lines()) {
        if before.starts_with("customers_pkey=") {
            assert_eq!(before, after, "kept");
        } else {
            assert_ne!(before, after, "rebuilt");
        }
    }
    assert_eq!(oids_before.lines().count(), 6, "{oids_before}");
}

pub(super) const MY_SHOP: &str = "
CREATE TABLE customers (id int PRIMARY KEY, email varchar(120) NOT NULL UNIQUE, name text,
  shout varchar(200) AS (upper(name)) VIRTUAL) ENGINE=InnoDB;
CREATE TABLE orders (id int PRIMARY KEY AUTO_INCREMENT, customer_id int NOT NULL, email varchar(120),
  total decimal(10,2), CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers(id)
  ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE products (id int PRIMARY KEY, label text) ENGINE=InnoDB;
INSERT INTO customers (id, email, name) SELECT seq, concat('user', seq, '@example.com'), concat('Name ', seq) FROM seq_1_to_300;
INSERT INTO orders (customer_id, email, total) SELECT 1 + seq % 300, concat('user', 1 + seq % 300, '@example.com'), seq * 1.5 FROM seq_1_to_900;
INSERT INTO products VALUES (1, 'apple'), (2, 'pear');
";

fn check_my_shop_masked(db: &MyDb) {
    assert_eq!(
        db.sql("SELECT count(*) FROM customers WHERE email LIKE 'user%'"),
        "0\n"
    );
    assert_eq!(db.sql("SELECT count(*) FROM customers"), "300\n");
    assert_eq!(
        db.sql("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id AND c.email = o.email"),
        "900\n"
    );
    assert_ne!(db.sql("SELECT min(id) FROM customers"), "1\n");
    assert_eq!(
        db.sql("SELECT count(*) FROM customers WHERE shout <> upper(name)"),
        "0\n",
        "generated columns are recomputed"
    );
}

#[test]
fn mysql_in_place_needs_the_flag_and_survives_kills() {
    let db = MyDb::new();
    db.sql(MY_SHOP);
    let dir = tempfile::tempdir().unwrap();
    let before = db.dump();
    config(dir.path(), &in_place_config(&db.url(), "", "test"));
    assert_fails(&run(dir.path(), &[]), &["pass --in-place"]);
    for point in [
        "before-load",
        "mid-load",
        "before-commit",
        "mid-swap",
        "before-swap",
    ] {
        run_killed_at(dir.path(), &["--in-place", "--jobs", "2"], point);
        assert_eq!(db.dump(), before, "killed at {point}: the database changed");
    }
    run_ok(dir.path(), &["--in-place"]);
    check_my_shop_masked(&db);
    assert_eq!(
        mariadb(&format!("SHOW DATABASES LIKE '{}%'", db.0)),
        format!("{}\n", db.0),
        "no staging database is left"
    );

    let clean = MyDb::new();
    clean.sql(MY_SHOP);
    let dir2 = tempfile::tempdir().unwrap();
    config(dir2.path(), &in_place_config(&clean.url(), "", "test"));
    run_ok(dir2.path(), &["--in-place", "--jobs", "1"]);
    assert_eq!(db.dump(), clean.dump());
}

#[test]
fn mysql_in_place_refuses_tables_with_triggers_and_broken_keys() {
    let db = MyDb::new();
    db.sql(MY_SHOP);
    db.sql("CREATE TRIGGER t_ins BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = NEW.total");
    let before = db.dump();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &in_place_config(&db.url(), "", "test"));
    assert_fails(
        &run(dir.path(), &["--in-place"]),
        &["table `orders` has triggers (t_ins)"],
    );
    assert_eq!(db.dump(), before);

    db.sql("DROP TRIGGER t_ins");
    let before = db.dump();
    let yaml = format!(
        "version: 1\nmode: in_place\nsource: \"{}\"\ntables:\n  orders:\n    columns:\n      customer_id: {{ strategy: constant, value: 99999 }}\n",
        db.url()
    );
    config(dir.path(), &yaml);
    assert_fails(&run(dir.path(), &["--in-place"]), &["would break the key"]);
    assert_eq!(db.dump(), before);
}

#[test]
fn sqlite_in_place_survives_kills() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let make = |path: &Path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), email TEXT, total NUMERIC);
             CREATE TABLE audit (what TEXT);
             CREATE TRIGGER log AFTER INSERT ON customers BEGIN INSERT INTO audit VALUES ('x'); END;
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 300)
             INSERT INTO customers SELECT n, 'user' || n || '@example.com', 'Name ' || n FROM g;
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 900)
             INSERT INTO orders SELECT n, 1 + n % 300, 'user' || (1 + n % 300) || '@example.com', n * 1.5 FROM g;
             DELETE FROM audit;",
        )
        .unwrap();
    };
    make(&db);
    let bytes = std::fs::read(&db).unwrap();
    config(dir.path(), &in_place_config("sqlite://shop.db", "", "test"));
    for point in [
        "before-load",
        "mid-load",
        "before-commit",
        "mid-swap",
        "before-swap",
    ] {
        run_killed_at(dir.path(), &["--in-place"], point);
        let conn = rusqlite::Connection::open(&db).unwrap(); // rolls a hot journal back
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM customers WHERE email LIKE 'user%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 300, "killed at {point}");
    }
    run_ok(dir.path(), &["--in-place"]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        q("SELECT count(*) FROM customers WHERE email LIKE 'user%'"),
        0
    );
    assert_eq!(
        q("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id AND c.email = o.email"),
        900
    );
    assert_eq!(q("SELECT count(*) FROM audit"), 0);
    assert_eq!(
        q("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
        1
    );

    let dir2 = tempfile::tempdir().unwrap();
    std::fs::write(dir2.path().join("shop.db"), bytes).unwrap();
    config(
        dir2.path(),
        &in_place_config("sqlite://shop.db", "", "test"),
    );
    run_ok(dir2.path(), &["--in-place"]);
    let dump = |p: &Path| {
        let c = rusqlite::Connection::open(p).unwrap();
        let mut st = c
            .prepare("SELECT id, email, name FROM customers ORDER BY id")
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
    };
    assert_eq!(dump(&db), dump(&dir2.path().join("shop.db")));
}

// ---------------------------------------------------------------------------------------------
// Kill and re-run of copies

fn copy_config(source: &str, target: &str, prefix: &str) -> String {
    format!(
        "version: 1\nsource: \"{source}\"\ntarget: {{ url: \"{target}\", environment: development }}\n{}",
        shop_rules(prefix)
    )
}

#[test]
fn pg_copy_killed_at_any_point_leaves_the_target_unchanged() {
    let source = PgDb::new();
    source.sql(PG_SHOP);
    let target = PgDb::named();
    let dir = tempfile::tempdir().unwrap();
    // A first run makes the target; then the source changes, and killed runs must leave the
    // first run's copy as it was.
    config(
        dir.path(),
        &copy_config(&source.url(), &target.url(), "public."),
    );
    run_ok(dir.path(), &["--yes"]);
    source.sql("UPDATE products SET label = 'plum' WHERE id = 2");
    let before = target.dump();
    for point in ["before-load", "mid-load", "before-commit", "before-swap"] {
        run_killed_at(dir.path(), &["--yes", "--jobs", "2"], point);
        assert_eq!(
            target.dump(),
            before,
            "killed at {point}: the target changed"
        );
    }
    run_ok(dir.path(), &["--yes"]);
    check_pg_shop_masked(&target);
    assert_eq!(
        target.sql("SELECT label FROM products WHERE id = 2"),
        "plum\n"
    );

    let clean = PgDb::named();
    let dir2 = tempfile::tempdir().unwrap();
    config(
        dir2.path(),
        &copy_config(&source.url(), &clean.url(), "public."),
    );
    let out = run_ok(dir2.path(), &["--yes", "--jobs", "1", "--format", "json"]);
    assert_eq!(target.dump(), clean.dump());
    // A clean copy passes the quick check (masked and unmasked tables alike) without reading
    // the source a second time.
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["verification"]["ok"], true, "{out}");
    assert_eq!(summary["verification"]["full_recheck"], false, "{out}");
}

#[test]
fn mysql_copy_killed_at_any_point_leaves_the_target_unchanged() {
    // The after-run verification leaves `customers.shout` (generated: upper(name)) alone: the
    // target recomputes it from the masked name, as it should.
    let source = MyDb::new();
    source.sql(MY_SHOP);
    let target = MyDb::named();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &copy_config(&source.url(), &target.url(), ""));
    run_ok(dir.path(), &["--yes"]);
    source.sql("UPDATE products SET label = 'plum' WHERE id = 2");
    let before = target.dump();
    for point in ["before-load", "mid-load", "before-commit", "before-swap"] {
        run_killed_at(dir.path(), &["--yes", "--jobs", "2", "--no-verify"], point);
        assert_eq!(
            target.dump(),
            before,
            "killed at {point}: the target changed"
        );
    }
    run_ok(dir.path(), &["--yes"]);
    check_my_shop_masked(&target);
    assert_eq!(
        target.sql("SELECT label FROM products WHERE id = 2"),
        "plum\n"
    );

    let clean = MyDb::named();
    let dir2 = tempfile::tempdir().unwrap();
    config(dir2.path(), &copy_config(&source.url(), &clean.url(), ""));
    run_ok(dir2.path(), &["--yes", "--jobs", "1"]);
    assert_eq!(target.dump(), clean.dump());
}

// ---------------------------------------------------------------------------------------------
// Cross-engine copies of a type zoo (docs/types.md)

pub(super) const PG_ZOO: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE customers (
  id bigint PRIMARY KEY, email email_address NOT NULL UNIQUE, name varchar(80), code char(4),
  small smallint, medium integer, big bigint, price numeric(10,2), ratio real,
  score double precision, active boolean, born date, wakes time, created timestamp,
  seen timestamptz, uid uuid, doc jsonb, raw bytea, ip inet, tags text[], feeling mood,
  span interval);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),
  total numeric(12,2), note text);
INSERT INTO customers VALUES
 (1, 'ann@example.com', 'Ann', 'AB12', -5, 100000, 9000000000, 12.50, 1.5, 2.25, true,
  '1980-01-31', '07:30:00', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '\x00ff', '10.0.0.1', '{x,y}',
  'happy', '1 day 02:00:00'),
 (2, 'bob@example.com', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders (customer_id, total, note) VALUES (1, 99.99, 'first'), (2, 0.01, NULL), (1, 5, 'third');
"#;

pub(super) const MY_ZOO: &str = "
CREATE TABLE customers (id int unsigned PRIMARY KEY, email varchar(120) NOT NULL UNIQUE,
  name varchar(80), flag tinyint(1), big bigint unsigned, price decimal(10,2), ratio float,
  score double, kind enum('a','b'), tags set('x','y'), born date, wakes time, created datetime(6),
  seen timestamp NULL, yr year, bits bit(4), doc json, raw blob, fixed binary(2)) ENGINE=InnoDB;
CREATE TABLE orders (id int PRIMARY KEY AUTO_INCREMENT, customer_id int unsigned NOT NULL,
  total decimal(12,2), FOREIGN KEY (customer_id) REFERENCES customers(id)) ENGINE=InnoDB;
INSERT INTO customers VALUES (1, 'ann@example.com', 'Ann', 1, 18446744073709551615, 12.50, 1.5,
  2.25, 'b', 'x,y', '1980-01-31', '07:30:00', '2024-01-02 03:04:05.123456',
  '2024-01-02 01:04:05', 2024, b'1010', '{\"a\": [1, 2]}', x'00ff', x'0102');
INSERT INTO customers (id, email) VALUES (2, 'bob@example.com');
INSERT INTO orders (customer_id, total) VALUES (1, 99.99), (2, 0.01), (1, 5);
";

fn zoo_config(source: &str, target: &str, prefix: &str) -> String {
    format!(
        "version: 1\nsource: \"{source}\"\ntarget: {target}\npolicy: {{ unlisted_columns: preserve }}\ntables:\n  {prefix}customers:\n    columns:\n      email: email\n      name: {{ strategy: token, length: 6 }}\n"
    )
}

#[test]
fn pg_zoo_to_sqlite_mysql_and_csv() {
    let pg = PgDb::new();
    pg.sql(PG_ZOO);
    let dir = tempfile::tempdir().unwrap();

    // PostgreSQL -> SQLite: `public.customers` becomes `customers`.
    config(
        dir.path(),
        &zoo_config(&pg.url(), "\"sqlite://out.db\"", "public."),
    );
    let summary = run_ok(dir.path(), &["--yes"]);
    assert!(summary.contains("public.customers"), "{summary}");
    let conn = rusqlite::Connection::open(dir.path().join("out.db")).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(names, ["customers", "orders"]);
    let row: (String, String, i64, String, String, Vec<u8>, String, String) = conn
        .query_row(
            "SELECT email, born, active, uid, doc, raw, tags, span FROM customers WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .unwrap();
    assert_ne!(row.0, "ann@example.com");
    assert_eq!(
        (
            row.1.as_str(),
            row.2,
            row.3.as_str(),
            row.4.as_str(),
            row.5,
            row.6.as_str(),
            row.7.as_str()
        ),
        (
            "1980-01-31",
            1,
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            r#"{"a": [1, 2]}"#,
            vec![0, 255],
            "{x,y}",
            "1 day 02:00:00"
        )
    );
    let fk: String = conn
        .query_row(
            "SELECT \"table\" FROM pragma_foreign_key_list('orders')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fk, "customers");

    // PostgreSQL -> MariaDB.
    let my = MyDb::named();
    config(
        dir.path(),
        &zoo_config(&pg.url(), &format!("\"{}\"", my.url()), "public."),
    );
    run_ok(dir.path(), &["--yes"]);
    let types = my.sql(
        "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers' ORDER BY ORDINAL_POSITION",
    );
    for expected in [
        "id\tbigint(20)",
        "name\tvarchar(80)",
        "small\tsmallint(6)",
        "price\tdecimal(10,2)",
        "ratio\tfloat",
        "score\tdouble",
        "active\ttinyint(1)",
        "born\tdate",
        "wakes\ttime(6)",
        "created\tdatetime(6)",
        "seen\tdatetime(6)",
        "uid\tchar(36)",
        "raw\tlongblob",
        "span\tlongtext",
    ] {
        assert!(types.contains(expected), "{expected} in:\n{types}");
    }
    assert_eq!(
        my.sql("SELECT price, born, wakes, created, seen, uid, active, HEX(raw), ip, tags, feeling, span FROM customers WHERE id = 1"),
        "12.50\t1980-01-31\t07:30:00.000000\t2024-01-02 03:04:05.123456\t2024-01-02 01:04:05.000000\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t1\t00FF\t10.0.0.1/32\t{x,y}\thappy\t1 day 02:00:00\n"
    );
    assert_eq!(
        my.sql("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id"),
        "3\n"
    );
    assert!(my
        .sql("SELECT REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()")
        .contains("customers"));

    // PostgreSQL -> CSV: `customers.csv`, not `public.customers.csv`.
    config(
        dir.path(),
        &zoo_config(&pg.url(), "{ url: \"csv/\", format: csv }", "public."),
    );
    run_ok(dir.path(), &["--yes"]);
    let csv = std::fs::read_to_string(dir.path().join("csv/customers.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,email,name,code,small,medium,big,price,ratio,score,active,born,wakes,created,seen,uid,doc,raw,ip,tags,feeling,span"
    );
    let first = lines.next().unwrap();
    assert!(first.starts_with("1,"), "{first}");
    assert!(
        first.contains(",12.50,1.5,2.25,true,1980-01-31,07:30:00,2024-01-02 03:04:05.123456,"),
        "{first}"
    );
    assert!(!first.contains("ann@example.com"));
    assert!(dir.path().join("csv/orders.csv").is_file());
}

#[test]
fn mysql_zoo_to_pg_parquet_and_csv() {
    let my = MyDb::new();
    my.sql(MY_ZOO);
    let dir = tempfile::tempdir().unwrap();

    // MariaDB -> PostgreSQL: `customers` lands in `public`.
    let pg = PgDb::named();
    config(
        dir.path(),
        &zoo_config(&my.url(), &format!("\"{}\"", pg.url()), ""),
    );
    run_ok(dir.path(), &["--yes"]);
    let types = pg.sql(
        "SELECT column_name || ' ' || format_type(atttypid, atttypmod) FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = 'public.customers'::regclass AND a.attname = c.column_name WHERE c.table_name = 'customers' ORDER BY c.ordinal_position",
    );
    for expected in [
        "id bigint",
        "email character varying(120)",
        "flag smallint",
        "big numeric(20,0)",
        "price numeric(10,2)",
        "ratio real",
        "score double precision",
        "kind character varying(1)",
        "born date",
        "wakes time without time zone",
        "created timestamp without time zone",
        "seen timestamp with time zone",
        "yr smallint",
        "doc json",
        "raw bytea",
    ] {
        assert!(types.contains(expected), "{expected} in:\n{types}");
    }
    assert_eq!(
        pg.sql("SELECT flag, big, price, ratio, score, kind, tags, born, wakes, created, seen, yr, bits, doc, raw, fixed FROM customers WHERE id = 1"),
        "1|18446744073709551615|12.50|1.5|2.25|b|x,y|1980-01-31|07:30:00|2024-01-02 03:04:05.123456|2024-01-02 01:04:05+00|2024|10|{\"a\": [1, 2]}|\\x00ff|\\x0102\n"
    );
    assert_ne!(
        pg.sql("SELECT email FROM customers WHERE id = 1"),
        "ann@example.com\n"
    );
    assert_eq!(
        pg.sql("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id"),
        "3\n"
    );
    assert!(pg
        .sql("SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'")
        .contains("customers"));

    // MariaDB -> Parquet, read back into SQLite by a second run.
    config(
        dir.path(),
        &zoo_config(&my.url(), "{ url: \"pq/\", format: parquet }", ""),
    );
    run_ok(dir.path(), &["--yes"]);
    assert!(dir.path().join("pq/customers.parquet").is_file());
    assert!(dir.path().join("pq/orders.parquet").is_file());
    std::fs::write(
        dir.path().join("back.yaml"),
        // The Parquet files hold masked data already: copy it back as it is.
        "version: 1\nsource: { url: \"pq/\", format: parquet }\ntarget: \"sqlite://back.db\"\npolicy: { unlisted_columns: preserve }\n",
    )
    .unwrap();
    // `--no-verify`: SQLite cannot hold the unsigned 18446744073709551615 exactly (it becomes a
    // REAL, docs/types.md), which the after-run verification rightly reports.
    let out = datamask(dir.path())
        .args(["run", "-c", "back.yaml", "--yes", "--no-verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(dir.path().join("back.db")).unwrap();
    let row: (String, String, String, Vec<u8>, String) = conn
        .query_row(
            "SELECT price, born, created, raw, doc FROM customers WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, rusqlite::types::Value>(0)
                        .map(|v| format!("{v:?}"))?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            },
        )
        .unwrap();
    assert!(row.0.contains("12.5"), "{row:?}");
    assert_eq!(row.1, "1980-01-31");
    assert_eq!(row.2, "2024-01-02 03:04:05.123456");
    assert_eq!(row.3, vec![0, 255]);
    assert_eq!(row.4, r#"{"a": [1, 2]}"#);

    // MariaDB -> CSV.
    config(
        dir.path(),
        &zoo_config(&my.url(), "{ url: \"csv/\", format: csv }", ""),
    );
    run_ok(dir.path(), &["--yes"]);
    let csv = std::fs::read_to_string(dir.path().join("csv/orders.csv")).unwrap();
    assert_eq!(csv, "id,customer_id,total\n1,1,99.99\n2,2,0.01\n3,1,5.00\n");
}

// ---------------------------------------------------------------------------------------------
// TLS

const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/// The DNS name of the server certificate PostgreSQL uses, when it has TLS on with Debian's
/// self-signed certificate (the default of Debian's `postgresql` package).
fn pg_tls_name() -> Option<String> {
    if psql("postgres", "SHOW ssl") != "on\n"
        || psql("postgres", "SHOW ssl_cert_file") != format!("{SNAKEOIL}\n")
    {
        return None;
    }
    let out = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "multiline",
            "-in",
            SNAKEOIL,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let cn = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("commonName"))?;
    Some(cn.trim_start_matches([' ', '=']).trim().to_string())
}

#[test]
fn pg_tls_modes() {
    let Some(name) = pg_tls_name() else {
        eprintln!("skipped: the local PostgreSQL has no TLS with Debian's snakeoil certificate");
        return;
    };
    let db = PgDb::new();
    db.sql("CREATE TABLE t (id int PRIMARY KEY, email text); INSERT INTO t VALUES (1, 'a@b.c')");
    let dir = tempfile::tempdir().unwrap();
    let check = |query: &str| {
        config(
            dir.path(),
            &format!("version: 1\nsource: \"{}?{query}\"\n", db.url()),
        );
        datamask(dir.path()).arg("check").output().unwrap()
    };
    let ok = |out: &Output| {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(stdout.contains("ok  source"), "{stdout}");
    };
    let encrypted = |application: &str| {
        psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE s.ssl AND a.application_name = '{application}'"
            ),
        )
    };
    let _ = encrypted;
    ok(&check("sslmode=require"));
    ok(&check(&format!("sslmode=verify-ca&sslrootcert={SNAKEOIL}")));
    ok(&check("sslmode=disable"));
    // verify-full checks the host name: the certificate names `name`, not 127.0.0.1.
    let out = check(&format!("sslmode=verify-full&sslrootcert={SNAKEOIL}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("not issued for the host in the URL"),
        "{stdout}"
    );
    let url = format!(
        "postgres://postgres@{name}:5432/{}?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={SNAKEOIL}",
        db.0
    );
    config(dir.path(), &format!("version: 1\nsource: \"{url}\"\n"));
    let out = datamask(dir.path()).arg("check").output().unwrap();
    ok(&out);
    // A CA that did not sign the server's certificate.
    let other = dir.path().join("other-ca.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other",
        ])
        .arg("-keyout")
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success());
    let out = check(&format!(
        "sslmode=verify-ca&sslrootcert={}",
        other.display()
    ));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("not signed by the CA of sslrootcert"),
        "{stdout}"
    );
    // verify-* without a CA says how to give one.
    let out = check("sslmode=verify-full");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("add sslrootcert="), "{stdout}");
    // A run over TLS copies the data.
    let yaml = format!(
        "version: 1\nsource: \"{}?sslmode=require\"\ntarget: \"sqlite://out.db\"\ntables:\n  public.t:\n    columns:\n      email: email\n",
        db.url()
    );
    config(dir.path(), &yaml);
    run_ok(dir.path(), &["--yes"]);
}

#[test]
fn mysql_tls_required_against_a_server_without_tls_is_a_clear_error() {
    let my = MyDb::new();
    if mariadb("SHOW VARIABLES LIKE 'have_ssl'").contains("YES") {
        eprintln!("skipped: this MariaDB has TLS on");
        return;
    }
    my.sql("CREATE TABLE t (id int PRIMARY KEY, email text); INSERT INTO t VALUES (1, 'a@b.c')");
    let dir = tempfile::tempdir().unwrap();
    let target = PgDb::named();
    let yaml = format!(
        "version: 1\nsource: \"{}?ssl-mode=REQUIRED\"\ntarget: \"{}\"\n",
        my.url(),
        target.url()
    );
    config(dir.path(), &yaml);
    assert_fails(
        &run(dir.path(), &["--yes"]),
        &["does not offer TLS, and the URL requires it (ssl-mode=REQUIRED)"],
    );
    assert_eq!(
        psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{}'",
                target.0
            )
        ),
        "0\n",
        "nothing was written"
    );
    // PREFERRED (the default) falls back to plain TCP.
    let yaml = format!(
        "version: 1\nsource: \"{}?ssl-mode=PREFERRED\"\ntarget: \"sqlite://out.db\"\n",
        my.url()
    );
    config(dir.path(), &yaml);
    run_ok(dir.path(), &["--yes"]);
}

// ---------------------------------------------------------------------------------------------
// Errors (issue item 7): clear message, exit 1, nothing written, no password in the message

/// Runs `yaml` (with a SQLite target that must not appear) and checks the failure.
fn fails_cleanly(yaml_source: &str, tables: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let yaml =
        format!("version: 1\nsource: \"{yaml_source}\"\ntarget: \"sqlite://out.db\"\n{tables}");
    config(dir.path(), &yaml);
    let stderr = assert_fails(&run(dir.path(), &["--yes"]), needles);
    assert!(!stderr.contains("s3cret-pw"), "password leaked: {stderr}");
    assert!(!dir.path().join("out.db").exists(), "something was written");
}

#[test]
fn pg_errors_are_clear() {
    let db = PgDb::new();
    db.sql("CREATE TABLE customers (id int PRIMARY KEY, email text, photo bytea); INSERT INTO customers VALUES (1, 'a@b.c', NULL)");
    let base = format!("postgres://postgres:s3cret-pw@127.0.0.1:5432/{}", db.0);
    // Unreachable server.
    fails_cleanly(
        "postgres://postgres:s3cret-pw@127.0.0.1:1/x",
        "",
        &[
            "postgres://postgres:***@127.0.0.1:1/x",
            "Connection refused",
        ],
    );
    // Wrong password (scripts/services.sh gives this one role password authentication).
    let role = "dm_password_test";
    psql(
        "postgres",
        &format!(
            "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
             CREATE ROLE {role} LOGIN PASSWORD 'right-pw'; END IF; END$$"
        ),
    );
    fails_cleanly(
        &format!("postgres://{role}:s3cret-pw@127.0.0.1:5432/{}", db.0),
        "",
        &[
            "password authentication failed",
            "check the user name and password",
        ],
    );
    // Missing database.
    fails_cleanly(
        "postgres://postgres:s3cret-pw@127.0.0.1:5432/dm_no_such_database",
        "",
        &["database \"dm_no_such_database\" does not exist"],
    );
    // Missing table and column named in the config.
    fails_cleanly(
        &base,
        "tables:\n  public.nope: { columns: { x: email } }\n  public.customers:\n    columns:\n      mail: email\n",
        &["table `public.nope` not found in the source", "column `public.customers.mail` not found"],
    );
    // A strategy the column's type cannot take: the hint names preserve and null.
    fails_cleanly(
        &base,
        "tables:\n  public.customers:\n    columns:\n      photo: email\n",
        &[
            "does not accept column `public.customers.photo` of type bytes",
            "`preserve`",
            "`null`",
        ],
    );
    // Permission denied.
    let user = unique("dm_noperm");
    psql("postgres", &format!("CREATE ROLE {user} LOGIN"));
    let denied = std::panic::catch_unwind(|| {
        fails_cleanly(
            &format!("postgres://{user}:s3cret-pw@127.0.0.1:5432/{}", db.0),
            "",
            &["permission denied for table customers"],
        )
    });
    psql("postgres", &format!("DROP ROLE {user}"));
    denied.unwrap();
}

#[test]
fn mysql_errors_are_clear() {
    let db = MyDb::new();
    db.sql("CREATE TABLE customers (id int PRIMARY KEY, email text, photo blob); INSERT INTO customers VALUES (1, 'a@b.c', NULL)");
    let base = format!("mysql://root@127.0.0.1:3306/{}", db.0);
    fails_cleanly(
        "mysql://root:s3cret-pw@127.0.0.1:1/x",
        "",
        &[
            "mysql://root:***@127.0.0.1:1/x",
            "cannot connect to the server at 127.0.0.1:1",
        ],
    );
    let user = unique("dm_u");
    mariadb(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY 'right-pw'"
    ));
    let result = std::panic::catch_unwind(|| {
        fails_cleanly(
            &format!("mysql://{user}:s3cret-pw@127.0.0.1:3306/{}", db.0),
            "",
            &["refused the login", "check the user name and password"],
        );
        // Right password, no privileges on the database.
        fails_cleanly(
            &format!("mysql://{user}:right-pw@127.0.0.1:3306/{}", db.0),
            "",
            &["this user has no privileges on it"],
        );
    });
    mariadb(&format!("DROP USER '{user}'@'%'"));
    result.unwrap();
    fails_cleanly(
        "mysql://root@127.0.0.1:3306/dm_no_such_database",
        "",
        &["database `dm_no_such_database` does not exist"],
    );
    fails_cleanly(
        &base,
        "tables:\n  nope: { columns: { x: email } }\n  customers:\n    columns:\n      mail: email\n",
        &["table `nope` not found in the source", "column `customers.mail` not found"],
    );
    fails_cleanly(
        &base,
        "tables:\n  customers:\n    columns:\n      photo: email\n",
        &[
            "does not accept column `customers.photo` of type bytes",
            "`preserve`",
            "`null`",
        ],
    );
}
