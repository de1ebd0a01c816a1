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
