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
