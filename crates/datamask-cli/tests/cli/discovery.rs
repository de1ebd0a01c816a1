//! `datamask scan` and `datamask init` end to end.

use super::*;

fn scan_json(dir: &Path, source: &str) -> Vec<serde_json::Value> {
    let out = datamask(dir)
        .args(["scan", "--source", source, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn finding<'a>(cols: &'a [serde_json::Value], table: &str, column: &str) -> &'a serde_json::Value {
    cols.iter()
        .find(|c| c["table"] == table && c["column"] == column)
        .unwrap_or_else(|| panic!("{table}.{column} missing"))
}

#[test]
fn scan_finds_the_quickstart_pii_with_evidence() {
    let dir = quickstart();
    let cols = scan_json(dir.path(), "sqlite://shop.db");
    assert_eq!(cols.len(), 27, "one object per column");
    let want = [
        ("customers", "first_name", "first_name"),
        ("customers", "last_name", "last_name"),
        ("customers", "email", "email"),
        ("customers", "phone", "phone"),
        ("customers", "ssn", "ssn"),
        ("customers", "birth_date", "date_of_birth"),
        ("customers", "street", "street_address"),
        ("customers", "city", "city"),
        ("customers", "postcode", "postal_code"),
        ("customers", "card_number", "credit_card"),
        ("orders", "shipping_email", "email"),
    ];
    for (t, c, ty) in want {
        let f = finding(&cols, t, c);
        assert_eq!(f["type"], ty, "{t}.{c}: {f}");
        assert!(
            matches!(f["confidence"].as_str(), Some("likely" | "certain")),
            "{t}.{c}: {f}"
        );
        assert!(f["score"].as_f64().unwrap() >= 0.6);
        assert!(f["evidence"]["sampled"].as_u64().unwrap() > 0);
    }
    let card = finding(&cols, "customers", "card_number");
    assert_eq!(card["evidence"]["checksum_share"], 1.0);
    for (t, c) in [
        ("customers", "id"),
        ("products", "sku"),
        ("products", "price_cents"),
        ("orders", "status"),
    ] {
        assert!(finding(&cols, t, c)["type"].is_null(), "{t}.{c}");
    }
    // Product names look like names but fail the name dictionaries: never more than possible.
    let name = finding(&cols, "products", "name");
    assert!(name["confidence"].is_null() || name["confidence"] == "possible");
}

#[test]
fn scan_output_never_contains_a_sampled_value() {
    let dir = quickstart();
    for format in ["table", "json"] {
        let out = datamask(dir.path())
            .args([
                "scan",
                "--source",
                "sqlite://shop.db",
                "--all",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for value in [
            "Danielle",
            "Johnson",
            "danielle.johnson@example.com",
            "756-14-8936",
            "Jason Track",
        ] {
            assert!(!text.contains(value), "{format} output leaks {value}");
        }
    }
}

#[test]
fn scan_is_deterministic_and_bounded() {
    let dir = quickstart();
    let a = scan_json(dir.path(), "sqlite://shop.db");
    let b = scan_json(dir.path(), "sqlite://shop.db");
    assert_eq!(a, b);
    let out = datamask(dir.path())
        .args([
            "scan",
            "--source",
            "sqlite://shop.db",
            "--format",
            "json",
            "--sample",
            "20",
        ])
        .output()
        .unwrap();
    let cols: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let email = finding(&cols, "customers", "email");
    assert_eq!(email["evidence"]["sampled"], 20);
}

#[test]
fn scan_of_a_missing_source_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = datamask(dir.path())
        .args(["scan", "--source", "sqlite://nope.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.db"));
}

/// Runs `init` in `dir`, adds a SQLite target and returns the draft text.
fn init_with_target(dir: &Path, source: &str) -> String {
    let out = datamask(dir)
        .args(["init", "--source", source])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("datamask.yaml");
    let draft = std::fs::read_to_string(&path).unwrap();
    let with_target = draft.replace(
        "# target: { url: \"sqlite://masked.db\", environment: development }",
        "target: { url: \"sqlite://masked.db\", environment: development }",
    );
    assert_ne!(draft, with_target, "the draft offers a target line");
    std::fs::write(&path, &with_target).unwrap();
    draft
}

#[test]
fn init_drafts_a_config_that_checks_runs_and_masks_every_finding() {
    let dir = quickstart();
    std::fs::remove_file(dir.path().join("datamask.yaml")).unwrap();
    let draft = init_with_target(dir.path(), "sqlite://shop.db");
    for value in [
        "Danielle",
        "Johnson",
        "danielle.johnson@example.com",
        "756-14-8936",
    ] {
        assert!(!draft.contains(value), "the draft leaks {value}");
    }
    assert!(draft.contains("REVIEW"), "uncertain findings are marked");
    let check = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    let check_out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{check_out}");
    // `init` recorded the schema lock beside the draft, and the source matches it.
    assert!(dir.path().join("datamask.lock").is_file());
    assert!(
        check_out.contains("the source matches datamask.lock"),
        "{check_out}"
    );
    run_ok(dir.path(), KEY, &[]);
    let (src, dst) = (dir.path().join("shop.db"), dir.path().join("masked.db"));
    let cols = scan_json(dir.path(), "sqlite://shop.db");
    let sensitive: Vec<_> = cols
        .iter()
        .filter(|c| matches!(c["confidence"].as_str(), Some("likely" | "certain")))
        .collect();
    assert!(sensitive.len() >= 10);
    for c in sensitive {
        let (t, name) = (c["table"].as_str().unwrap(), c["column"].as_str().unwrap());
        let sql = format!("SELECT {name} FROM {t} ORDER BY rowid");
        let (before, after) = (rows(&src, &sql), rows(&dst, &sql));
        assert_eq!(before.len(), after.len());
        let same = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a == b && a[0] != Sql::Null)
            .count();
        assert_eq!(same, 0, "{t}.{name}: {same} values unchanged");
    }
    // The unique email column stayed unique.
    let emails = rows(
        &dst,
        "SELECT COUNT(DISTINCT email), COUNT(*) FROM customers",
    );
    assert_eq!(emails[0][0], emails[0][1]);
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = quickstart();
    let out = datamask(dir.path())
        .args(["init", "--source", "sqlite://shop.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
}

/// The quick-start config with `edit` applied, written over the copy in `dir`.
fn edit_config(dir: &Path, edit: impl Fn(String) -> String) {
    let path = dir.join("datamask.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(text.clone());
    assert_ne!(text, edited, "the edit changed nothing");
    std::fs::write(path, edited).unwrap();
}

/// The last manifest's entry for `table.column`.
fn manifest_column(dir: &Path, table: &str, column: &str) -> serde_json::Value {
    let out = datamask(dir).args(["audit", "show", "1"]).output().unwrap();
    assert!(out.status.success());
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = m["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == table)
        .unwrap();
    t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == column)
        .unwrap()
        .clone()
}

#[test]
fn a_run_whose_config_omits_a_detected_email_column_stops_and_names_it() {
    let dir = quickstart();
    // No policy line: the default applies.
    edit_config(dir.path(), |t| {
        t.replace("policy: { unlisted_columns: fail_sensitive }\n", "")
            .replace("      email: { strategy: email, domain: email }   # one domain: same address, same mask\n", "")
    });
    for args in [&["run", "--yes"][..], &["run", "--dry-run"], &["check"]] {
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let text = String::from_utf8_lossy(if args[0] == "check" {
            &out.stdout
        } else {
            &out.stderr
        })
        .to_string();
        assert!(
            text.contains("1 unlisted column looks sensitive"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("customers.email: email certain"),
            "{args:?}: {text}"
        );
        // The suggested rule, ready to paste, and the ways out.
        assert!(
            text.contains("email: { strategy: \"email\", domain: \"email\" }"),
            "{text}"
        );
        assert!(text.contains("unlisted_columns: preserve"), "{text}");
        assert!(!text.contains("danielle.johnson@example.com"), "{text}");
    }
    assert!(!dir.path().join("masked.db").exists(), "nothing written");
    assert!(!dir.path().join(".datamask").exists(), "no manifest");
}

#[test]
fn a_preserve_rule_with_a_reason_lets_a_sensitive_column_through_and_is_recorded() {
    let dir = quickstart();
    edit_config(dir.path(), |t| {
        t.replace(
            "      email: { strategy: email, domain: email }   # one domain: same address, same mask\n",
            "      email: { strategy: preserve, reason: \"test accounts only\" }\n",
        )
    });
    run_ok(dir.path(), KEY, &[]);
    let email = manifest_column(dir.path(), "customers", "email");
    assert_eq!(email["strategy"], "preserve");
    assert_eq!(email["origin"], "rule");
    assert_eq!(email["reason"], "test accounts only");
    // Columns without a reason carry none.
    assert!(manifest_column(dir.path(), "customers", "phone")
        .get("reason")
        .is_none());
}

#[test]
fn policy_preserve_copies_unlisted_sensitive_columns_and_the_manifest_says_so() {
    let dir = quickstart();
    edit_config(dir.path(), |t| {
        t.replace(
            "policy: { unlisted_columns: fail_sensitive }",
            "policy: { unlisted_columns: preserve }",
        )
        .replace("      email: { strategy: email, domain: email }   # one domain: same address, same mask\n", "")
    });
    run_ok(dir.path(), KEY, &[]);
    let out = datamask(dir.path())
        .args(["audit", "show", "1"])
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["unlisted_columns"], "preserve");
    let email = manifest_column(dir.path(), "customers", "email");
    assert_eq!(
        (&email["strategy"], &email["origin"]),
        (&"preserve".into(), &"policy".into())
    );
}

#[test]
fn fail_closed_covers_query_tables() {
    let dir = quickstart();
    edit_config(dir.path(), |t| {
        t.replace(
            "  orders:\n",
            "  contacts:\n    query: \"SELECT id, email AS contact_email FROM customers;\"\n  orders:\n",
        )
    });
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("contacts.contact_email: email"), "{err}");
}

/// A digit string completed with its Luhn check digit.
fn with_luhn(body: &str) -> String {
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A German IBAN with valid check digits for an 18-digit BBAN.
fn de_iban(bban: &str) -> String {
    let digits = format!("{bban}131400"); // "DE00" moved to the end, letters as numbers
    let r = digits.chars().fold(0u64, |r, c| {
        (r * 10 + u64::from(c.to_digit(10).unwrap())) % 97
    });
    format!("DE{:02}{bban}", 98 - r)
}

/// The fixture of the database tests: customers with personal data, a unique email, orders
/// joined to customers by an integer key and by the email, a probe table for sampling, and
/// control columns that are not personal. Written in SQL both engines accept; `date` and
/// `decimal` types are spelled by the caller.
fn pii_fixture() -> String {
    const FIRST: [&str; 12] = [
        "James", "Maria", "Thomas", "Anna", "Lukas", "Sophie", "Pierre", "Lucia", "Marco", "Julia",
        "Piotr", "Ines",
    ];
    const LAST: [&str; 12] = [
        "Smith", "Garcia", "Muller", "Rossi", "Dubois", "Kowalski", "Silva", "Jansen", "Johnson",
        "Martin", "Schmidt", "Lopez",
    ];
    const CITIES: [&str; 8] = [
        "Berlin",
        "Paris",
        "Madrid",
        "Lisbon",
        "Rome",
        "Amsterdam",
        "Warsaw",
        "Chicago",
    ];
    let mut sql = String::from(
        "CREATE TABLE customers (id INT PRIMARY KEY, first_name VARCHAR(40) NOT NULL,
           last_name VARCHAR(40) NOT NULL, email VARCHAR(120) NOT NULL UNIQUE,
           phone VARCHAR(30), ssn CHAR(11), birth_date DATE, city VARCHAR(60),
           iban VARCHAR(34), notes TEXT, signup_day DATE, status VARCHAR(10));
         CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL,
           contact_email VARCHAR(120), card_number VARCHAR(19), total DECIMAL(10,2),
           FOREIGN KEY (customer_id) REFERENCES customers(id),
           FOREIGN KEY (contact_email) REFERENCES customers(email));
         CREATE TABLE probe (id INT PRIMARY KEY, email VARCHAR(120));\n",
    );
    for i in 1..=200u32 {
        let (f, l) = (FIRST[i as usize % 12], LAST[(i as usize * 7) % 12]);
        let notes = match i % 5 {
            0 => format!(
                "'Asked to be called back, reach {}.{l}@mail.example.org'",
                f.to_lowercase()
            ),
            1 => format!("'Prefers delivery before {} in the morning'", 7 + i % 4),
            2 => "NULL".to_string(),
            _ => format!("'Happy with order {i}, wants the catalogue again'"),
        };
        sql.push_str(&format!(
            "INSERT INTO customers VALUES ({i}, '{f}', '{l}', '{}.{}{i}@example.com', '+1 555 {:03} {:04}', '{:03}-{:02}-{:04}', '19{:02}-{:02}-{:02}', '{}', '{}', {notes}, '2024-{:02}-{:02}', '{}');\n",
            f.to_lowercase(),
            l.to_lowercase(),
            100 + i % 800,
            1000 + i * 37 % 9000,
            100 + i % 600,
            10 + i % 89,
            1000 + i,
            40 + i % 60,
            1 + i % 12,
            1 + i % 28,
            CITIES[i as usize % 8],
            de_iban(&format!("{:08}{:010}", 37040044 + i, 532013000 + i * 11)),
            1 + i % 12,
            1 + i % 28,
            ["new", "active", "closed"][i as usize % 3],
        ));
    }
    for i in 1..=300u32 {
        let c = 1 + i % 200;
        let (f, l) = (FIRST[c as usize % 12], LAST[(c as usize * 7) % 12]);
        sql.push_str(&format!(
            "INSERT INTO orders VALUES ({i}, {c}, '{}.{}{c}@example.com', '{}', {}.{:02});\n",
            f.to_lowercase(),
            l.to_lowercase(),
            with_luhn(&format!("4{:014}", 123456789 + u64::from(i) * 7919)),
            10 + i % 400,
            i % 100,
        ));
    }
    // Inserted in descending key order, so the physical order is not the key order: the
    // first 20 rows by key hold emails, the others do not.
    for i in (1..=60u32).rev() {
        let v = if i <= 20 {
            format!("'probe{i}@example.com'")
        } else {
            "'n/a'".to_string()
        };
        sql.push_str(&format!("INSERT INTO probe VALUES ({i}, {v});\n"));
    }
    sql
}

fn mysql_exec(db: &str, sql: &str) -> String {
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
    String::from_utf8(out.stdout).unwrap()
}

/// `scan --sample N` of the probe table: how many values were sampled and the share that are
/// emails.
fn probe_sample(dir: &Path, url: &str, table: &str, n: &str) -> (u64, f64) {
    let out = datamask(dir)
        .args(["scan", "--source", url, "--format", "json", "--sample", n])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cols: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let f = finding(&cols, table, "email");
    (
        f["evidence"]["sampled"].as_u64().unwrap(),
        f["evidence"]["match_share"].as_f64().unwrap(),
    )
}

/// A SQLite value as the text a database client would print (`<NULL>` for NULL).
fn sql_text(v: &Sql) -> String {
    match v {
        Sql::Null => "<NULL>".into(),
        Sql::Integer(i) => i.to_string(),
        Sql::Real(r) => r.to_string(),
        Sql::Text(s) => s.clone(),
        Sql::Blob(b) => format!("{b:?}"),
    }
}

/// `init` on a database source, a SQLite target added, then `check` and `run` pass and every
/// column discovery calls likely or certain is masked; joins and uniqueness survive.
/// `column` reads one source column as text in key order.
fn init_check_run_masks_everything(
    url: &str,
    prefix: &str,
    column: &dyn Fn(&str, &str) -> Vec<String>,
) {
    let dir = tempfile::tempdir().unwrap();
    // Sampling reads the first rows in key order, whatever the physical order.
    let probe = format!("{prefix}probe");
    assert_eq!(probe_sample(dir.path(), url, &probe, "20"), (20, 1.0));
    assert_eq!(probe_sample(dir.path(), url, &probe, "40"), (40, 0.5));
    let draft = init_with_target(dir.path(), url);
    assert!(dir.path().join("datamask.lock").is_file());
    let check = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{out}\n{draft}");
    assert!(out.contains("the source matches datamask.lock"), "{out}");
    run_ok(dir.path(), KEY, &[]);
    let dst = dir.path().join("masked.db");
    let cols = scan_json(dir.path(), url);
    let sensitive: Vec<(String, String, String)> = cols
        .iter()
        .filter(|c| matches!(c["confidence"].as_str(), Some("likely" | "certain")))
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("table"), s("column"), s("type"))
        })
        .collect();
    let names: Vec<String> = sensitive
        .iter()
        .map(|(t, c, _)| format!("{t}.{c}"))
        .collect();
    for want in [
        "customers.first_name",
        "customers.last_name",
        "customers.email",
        "customers.phone",
        "customers.ssn",
        "customers.birth_date",
        "customers.city",
        "customers.iban",
        "customers.notes",
        "orders.contact_email",
        "orders.card_number",
    ] {
        assert!(
            names.contains(&format!("{prefix}{want}")),
            "{want} not found: {names:?}"
        );
    }
    // SQLite targets name tables without the source's schema.
    let target = |t: &str, c: &str| -> Vec<String> {
        let t = t.strip_prefix(prefix).unwrap_or(t);
        rows(&dst, &format!("SELECT \"{c}\" FROM \"{t}\" ORDER BY id"))
            .iter()
            .map(|r| sql_text(&r[0]))
            .collect()
    };
    // Control: columns without a rule arrive as they were, so the comparison below is sound.
    for (t, c) in [
        ("customers", "status"),
        ("customers", "signup_day"),
        ("orders", "customer_id"),
    ] {
        let t = format!("{prefix}{t}");
        assert_eq!(column(&t, c), target(&t, c), "{t}.{c} should be unchanged");
    }
    for (t, c, ty) in &sensitive {
        let (before, after) = (column(t, c), target(t, c));
        assert_eq!(before.len(), after.len(), "{t}.{c}");
        if ty == "free_text" {
            // Free text is redacted where it embeds an entity; the rest may stay as it was.
            for (a, b) in before.iter().zip(&after) {
                assert!(!a.contains('@') || a != b, "{t}.{c}: an email survived");
                assert!(
                    !b.contains("@mail.example.org"),
                    "{t}.{c}: an email survived"
                );
            }
            continue;
        }
        let values = before.iter().filter(|v| *v != "<NULL>").count();
        let same = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a == b && *a != "<NULL>")
            .count();
        // Shuffles draw from a list that may hold the original value; nothing else may.
        assert!(
            same * 10 <= values,
            "{t}.{c}: {same} of {values} values unchanged"
        );
    }
    // The unique email stayed unique and the orders still join on it.
    let (customers, orders) = ("customers", "orders");
    let emails = rows(
        &dst,
        &format!("SELECT COUNT(DISTINCT email), COUNT(*) FROM \"{customers}\""),
    );
    assert_eq!(emails[0][0], emails[0][1]);
    let orphans = rows(
        &dst,
        &format!(
            "SELECT COUNT(*) FROM \"{orders}\" o WHERE o.contact_email NOT IN (SELECT email FROM \"{customers}\")"
        ),
    );
    assert_eq!(orphans[0][0], Sql::Integer(0));
}

#[test]
fn init_on_postgres_checks_runs_and_masks_every_sensitive_column() {
    let db = PgDb::new("disc");
    psql(&db.0, &pii_fixture());
    let read = |t: &str, c: &str| -> Vec<String> {
        psql(
            &db.0,
            &format!("SELECT COALESCE(\"{c}\"::text, '<NULL>') FROM {t} ORDER BY id"),
        )
        .lines()
        .map(str::to_string)
        .collect()
    };
    init_check_run_masks_everything(&db.url(), "public.", &read);
}

#[test]
fn init_on_mariadb_checks_runs_and_masks_every_sensitive_column() {
    let db = MyDb::named("disc");
    mysql_exec("mysql", &format!("CREATE DATABASE {}", db.0));
    mysql_exec(&db.0, &pii_fixture());
    let read = |t: &str, c: &str| -> Vec<String> {
        mysql_exec(
            &db.0,
            &format!("SELECT COALESCE(CAST(`{c}` AS CHAR), '<NULL>') FROM `{t}` ORDER BY id"),
        )
        .lines()
        .map(str::to_string)
        .collect()
    };
    init_check_run_masks_everything(&db.url(), "", &read);
}

/// Customers whose personal columns carry their rules in column comments (`phone_rule` is the
/// rule of the phone column). `comment` writes one comment in the engine's dialect.
fn commented_fixture(comment: &dyn Fn(&str, &str) -> String, phone_rule: &str) -> String {
    let mut sql = String::from(
        "CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE,
           ssn CHAR(11), phone VARCHAR(30), status VARCHAR(10));\n",
    );
    sql.push_str(&comment("email", "Login address. datamask: email"));
    sql.push_str(&comment(
        "ssn",
        "US social security number\ndatamask: { strategy: fpe, alphabet: digits }",
    ));
    sql.push_str(&comment("phone", &format!("datamask: {phone_rule}")));
    sql.push_str(&comment("status", "Lifecycle state, not personal"));
    for i in 1..=50u32 {
        sql.push_str(&format!(
            "INSERT INTO customers VALUES ({i}, 'person{i}@example.com', '{:03}-{:02}-{:04}', '+1 555 {:04} {:03}', 'active');\n",
            100 + i,
            10 + i,
            1000 + i,
            2000 + i * 7,
            100 + i
        ));
    }
    sql
}

/// A config with a source, a SQLite target and no rules (they live in the comments).
fn no_rules_config(dir: &Path, url: &str, tables: &str) {
    std::fs::write(
        dir.join("datamask.yaml"),
        format!(
            "version: 1\nsource: \"{url}\"\ntarget: {{ url: \"sqlite://masked.db\", environment: development }}\n{tables}"
        ),
    )
    .unwrap();
}

/// Rules in column comments: a config without per-column rules checks, plans and runs with
/// them; a config rule overrides a comment rule with a warning; a bad comment rule is an
/// error placed in its comment.
fn comment_rules_apply(url: &str, prefix: &str, recreate: &dyn Fn(&str)) {
    let customers = format!("{prefix}customers");
    recreate("phone");
    let dir = tempfile::tempdir().unwrap();
    no_rules_config(dir.path(), url, "");
    let check = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "3 rules from column comments ({customers}.email, {customers}.ssn, {customers}.phone)"
        )),
        "{out}"
    );
    let plan = datamask(dir.path()).arg("plan").output().unwrap();
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.contains("email (column comment)"), "{plan}");
    run_ok(dir.path(), KEY, &[]);
    let dst = dir.path().join("masked.db");
    let masked = rows(
        &dst,
        "SELECT email, ssn, phone, status FROM customers ORDER BY id",
    );
    assert_eq!(masked.len(), 50);
    let text = |v: &Sql| sql_text(v);
    assert_ne!(text(&masked[0][0]), "person1@example.com");
    assert_ne!(text(&masked[0][1]), "101-11-1001");
    let ssn = text(&masked[0][1]);
    assert!(
        ssn.len() == 11 && ssn.as_bytes()[3] == b'-',
        "fpe keeps the shape: {ssn}"
    );
    assert_ne!(text(&masked[0][2]), "+1 555 2007 101");
    assert_eq!(text(&masked[0][3]), "active");
    let out = datamask(dir.path())
        .args(["audit", "show", "1"])
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let email = manifest_column(dir.path(), &customers, "email");
    assert_eq!(email["origin"], "comment", "{m}");
    // The config's rule wins over the comment's, with a warning at the config rule.
    no_rules_config(
        dir.path(),
        url,
        &format!(
            "tables:\n  {customers}:\n    columns:\n      ssn: {{ strategy: keep_last, n: 4 }}\n"
        ),
    );
    let check = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{out}");
    assert!(out.contains(&format!("warning: the rule for `{customers}.ssn` overrides the rule in its column comment (`datamask: {{ strategy: fpe, alphabet: digits }}`)")), "{out}");
    assert!(out.contains("--> datamask.yaml:7:7"), "{out}");
    run_ok(dir.path(), KEY, &[]);
    let ssn = text(&rows(&dst, "SELECT ssn FROM customers WHERE id = 1")[0][0]);
    assert!(ssn.ends_with("1001") && ssn != "101-11-1001", "{ssn}");
    // A broken comment rule stops check and run, pointing into the comment.
    recreate("phnoe");
    no_rules_config(dir.path(), url, "");
    for args in [&["check"][..], &["run", "--yes"]] {
        let out = datamask(dir.path())
            .env("DATAMASK_KEY", KEY)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("unknown strategy `phnoe`"), "{text}");
        assert!(
            text.contains(&format!("--> comment on column {customers}.phone:1:11")),
            "{text}"
        );
        assert!(text.contains("did you mean `phone`?"), "{text}");
    }
}

#[test]
fn rules_in_postgres_column_comments_apply() {
    let db = PgDb::new("cmt");
    let comment = |c: &str, text: &str| {
        format!(
            "COMMENT ON COLUMN customers.{c} IS '{}';\n",
            text.replace('\'', "''")
        )
    };
    let recreate = |phone_rule: &str| {
        psql(
            &db.0,
            &format!(
                "DROP TABLE IF EXISTS customers;\n{}",
                commented_fixture(&comment, phone_rule)
            ),
        );
    };
    comment_rules_apply(&db.url(), "public.", &recreate);
}

#[test]
fn rules_in_mariadb_column_comments_apply() {
    let db = MyDb::named("cmt");
    mysql_exec("mysql", &format!("CREATE DATABASE {}", db.0));
    let comment = |c: &str, text: &str| {
        let ty = match c {
            "email" => "VARCHAR(120) NOT NULL",
            "ssn" => "CHAR(11)",
            "phone" => "VARCHAR(30)",
            _ => "VARCHAR(10)",
        };
        format!(
            "ALTER TABLE customers MODIFY {c} {ty} COMMENT '{}';\n",
            text.replace('\'', "''").replace('\n', "\\n")
        )
    };
    let recreate = |phone_rule: &str| {
        mysql_exec(
            &db.0,
            &format!(
                "DROP TABLE IF EXISTS customers;\n{}",
                commented_fixture(&comment, phone_rule)
            ),
        );
    };
    comment_rules_apply(&db.url(), "", &recreate);
}

/// Typed column-level counts over a labelled corpus: (true positives, false positives, false
/// negatives) overall and for the given types. A column is detected when its finding is
/// likely or certain, and right when the type is the label's (bench/discovery/evaluate.py).
fn quality(
    cols: &[serde_json::Value],
    labels: &serde_json::Map<String, serde_json::Value>,
    types: &[&str],
) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for c in cols {
        let key = format!(
            "{}.{}",
            c["table"].as_str().unwrap(),
            c["column"].as_str().unwrap()
        );
        let label = labels[&key].as_str();
        let detected = matches!(c["confidence"].as_str(), Some("likely" | "certain"))
            .then(|| c["type"].as_str().unwrap());
        let counts = |t: Option<&str>| t.is_some_and(|t| types.is_empty() || types.contains(&t));
        if detected == label {
            tp += usize::from(counts(label));
        } else {
            fp += usize::from(counts(detected));
            fn_ += usize::from(counts(label));
        }
    }
    (tp, fp, fn_)
}

#[test]
fn discovery_meets_its_quality_targets_on_the_committed_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/discovery/corpus");
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("labels.json")).unwrap())
            .unwrap();
    let labels = labels.as_object().unwrap();
    // A copy: SQLite may leave journal files beside a database it opens.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(corpus.join("corpus.db"), dir.path().join("corpus.db")).unwrap();
    let cols = scan_json(dir.path(), "sqlite://corpus.db");
    assert_eq!(cols.len(), labels.len());
    let ratio = |a: usize, b: usize| a as f64 / (a + b).max(1) as f64;
    let (tp, fp, fn_) = quality(&cols, labels, &[]);
    let (precision, recall) = (ratio(tp, fp), ratio(tp, fn_));
    assert!(precision >= 0.90, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
    for (group, types) in [
        ("names", &["first_name", "last_name", "person_name"][..]),
        (
            "places",
            &["street_address", "postal_code", "city", "region", "country"],
        ),
        ("free text", &["free_text"]),
    ] {
        let (tp, _, fn_) = quality(&cols, labels, types);
        let recall = ratio(tp, fn_);
        assert!(recall >= 0.85, "{group}: recall {recall:.3}");
    }
}

/// `init` on `url`, the draft given `target`, then `check` and `run` pass, and the plan masks
/// every column `scan` calls likely or certain.
fn init_runs_and_masks_every_finding(url: &str, target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = datamask(dir.path())
        .args(["init", "--source", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("datamask.yaml");
    let draft = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        draft.replace(
            "# target: { url: \"sqlite://masked.db\", environment: development }",
            &format!("target: {target}"),
        ),
    )
    .unwrap();
    let check = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .arg("check")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{url}: {out}\n{draft}");
    run_ok(dir.path(), KEY, &[]);
    let plan = datamask(dir.path())
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let mut masked = 0;
    for c in scan_json(dir.path(), url) {
        if !matches!(c["confidence"].as_str(), Some("likely" | "certain")) {
            continue;
        }
        let (t, name) = (c["table"].as_str().unwrap(), c["column"].as_str().unwrap());
        let table = plan["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == t)
            .unwrap();
        let col = table["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap();
        assert_ne!(
            col["strategy"], "preserve",
            "{t}.{name} is not masked: {draft}"
        );
        masked += 1;
    }
    assert!(masked >= 2, "{url}: only {masked} findings");
}

#[test]
fn init_runs_on_the_database_fixtures() {
    for (tag, sql) in [
        ("shop", super::databases::PG_SHOP),
        ("zoo", super::databases::PG_ZOO),
    ] {
        let db = PgDb::new(tag);
        psql(&db.0, sql);
        init_runs_and_masks_every_finding(
            &db.url(),
            "{ url: \"sqlite://masked.db\", environment: development }",
        );
    }
    for (tag, sql) in [
        ("shop", super::databases::MY_SHOP),
        ("zoo", super::databases::MY_ZOO),
    ] {
        let db = MyDb::named(tag);
        mysql_exec("mysql", &format!("CREATE DATABASE {}", db.0));
        mysql_exec(&db.0, sql);
        init_runs_and_masks_every_finding(
            &db.url(),
            "{ url: \"out/\", format: csv, environment: development }",
        );
    }
}
