//! End-to-end tests of the strategy catalogue through the binary: row strategies, structured
//! values and the external plug-in.

use super::{datamask, KEY};
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
    let out = datamask(dir.path())
        .env("DATAMASK_KEY", KEY)
        .args(["run", "--yes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
