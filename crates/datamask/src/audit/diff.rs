//! `datamask audit diff RUN1 RUN2`: what changed between two runs.
//!
//! Compares the parts of two manifests that say *what was done*: tool version, config, key
//! fingerprint, source schema, source and target, and per table the action, row counts,
//! output checksum, verification result and each column's strategy, options and domain.
//! Timestamps, run ids, actors and signatures always differ and are shown, not compared.

use serde::Serialize;
use serde_json::Value;

/// One changed field: its name and both values (as JSON text; `null` when absent).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// How a table differs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableDiff {
    pub table: String,
    /// `added` (only in the second run), `removed` (only in the first), `changed` or `same`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// The difference between two manifests.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub from_run: String,
    pub to_run: String,
    /// Run-level fields that differ.
    pub changes: Vec<Change>,
    pub tables: Vec<TableDiff>,
}

impl Diff {
    /// True when the two runs did the same thing to the same data.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.tables.iter().all(|t| t.status == "same")
    }
}

/// Run-level fields compared, by JSON pointer, with the name shown.
const RUN_FIELDS: &[(&str, &str)] = &[
    ("/tool/version", "tool version"),
    ("/config_hash", "config hash"),
    ("/key_fingerprint", "key fingerprint"),
    ("/source_schema_fingerprint", "source schema"),
    ("/source", "source"),
    ("/target", "target"),
    ("/unlisted_columns", "unlisted columns"),
    ("/verification/ok", "verification ok"),
    ("/verification/problems", "verification problems"),
];

/// Table-level fields compared.
const TABLE_FIELDS: &[&str] = &["action", "rows_read", "rows_written", "output_checksum"];

/// Column-level fields compared.
const COLUMN_FIELDS: &[&str] = &["strategy", "options", "domain", "origin"];

fn text(v: Option<&Value>) -> String {
    v.map_or_else(
        || "null".into(),
        |v| match v {
            Value::String(s) => s.clone(),
            other => crate::audit::canonical(other, false),
        },
    )
}

fn change(field: impl Into<String>, a: Option<&Value>, b: Option<&Value>) -> Option<Change> {
    (a != b).then(|| Change {
        field: field.into(),
        from: text(a),
        to: text(b),
    })
}

fn named<'v>(list: Option<&'v Value>, key: &str) -> Vec<(&'v str, &'v Value)> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get(key).and_then(Value::as_str).map(|n| (n, i)))
                .collect()
        })
        .unwrap_or_default()
}

/// Compares manifest bodies `a` (the earlier run) and `b`.
pub fn diff(a: &Value, b: &Value) -> Diff {
    let changes = RUN_FIELDS
        .iter()
        .filter_map(|(ptr, name)| change(*name, a.pointer(ptr), b.pointer(ptr)))
        .collect();
    let ta = named(a.get("tables"), "name");
    let tb = named(b.get("tables"), "name");
    let verification = |m: &Value, t: &str| {
        named(m.pointer("/verification/tables"), "table")
            .into_iter()
            .find(|(n, _)| *n == t)
            .and_then(|(_, v)| v.get("findings"))
            .and_then(Value::as_array)
            .map(|f| Value::from(f.len()))
    };
    let mut tables = Vec::new();
    for (name, x) in &ta {
        let Some((_, y)) = tb.iter().find(|(n, _)| n == name) else {
            tables.push(TableDiff {
                table: name.to_string(),
                status: "removed",
                changes: Vec::new(),
            });
            continue;
        };
        let mut ch: Vec<Change> = TABLE_FIELDS
            .iter()
            .filter_map(|f| change(*f, x.get(f), y.get(f)))
            .collect();
        ch.extend(change(
            "verification problems",
            verification(a, name).as_ref(),
            verification(b, name).as_ref(),
        ));
        ch.extend(column_changes(x, y));
        tables.push(TableDiff {
            table: name.to_string(),
            status: if ch.is_empty() { "same" } else { "changed" },
            changes: ch,
        });
    }
    for (name, _) in tb.iter().filter(|(n, _)| !ta.iter().any(|(m, _)| m == n)) {
        tables.push(TableDiff {
            table: name.to_string(),
            status: "added",
            changes: Vec::new(),
        });
    }
    Diff {
        from_run: text(a.get("run_id")),
        to_run: text(b.get("run_id")),
        changes,
        tables,
    }
}

fn column_changes(x: &Value, y: &Value) -> Vec<Change> {
    let ca = named(x.get("columns"), "name");
    let cb = named(y.get("columns"), "name");
    let mut out = Vec::new();
    for (name, c) in &ca {
        match cb.iter().find(|(n, _)| n == name) {
            Some((_, d)) => out.extend(
                COLUMN_FIELDS
                    .iter()
                    .filter_map(|f| change(format!("{name}.{f}"), c.get(f), d.get(f))),
            ),
            None => out.push(Change {
                field: name.to_string(),
                from: "column".into(),
                to: "(removed)".into(),
            }),
        }
    }
    for (name, _) in cb.iter().filter(|(n, _)| !ca.iter().any(|(m, _)| m == n)) {
        out.push(Change {
            field: name.to_string(),
            from: "(absent)".into(),
            to: "column".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(strategy: &str, rows: u64, extra: bool) -> Value {
        let mut tables = vec![json!({
            "name": "customers", "action": "copy", "rows_read": rows, "rows_written": rows,
            "output_checksum": format!("c{rows}"),
            "columns": [
                { "name": "id", "strategy": "preserve", "options": {}, "domain": "customers.id", "origin": "policy" },
                { "name": "email", "strategy": strategy, "options": {}, "domain": "email", "origin": "rule" }
            ]
        })];
        if extra {
            tables.push(json!({ "name": "audit_log", "action": "skip", "columns": [] }));
        }
        json!({
            "run_id": format!("r{rows}"), "tool": { "version": "0.1.0" }, "config_hash": strategy,
            "key_fingerprint": "dmk1:aa", "source": "s", "target": "t", "tables": tables,
            "verification": { "ok": true, "problems": 0, "tables": [] }
        })
    }

    #[test]
    fn identical_runs_differ_in_nothing_that_matters() {
        let d = diff(&manifest("email", 10, false), &manifest("email", 10, false));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn changes_are_named() {
        let d = diff(&manifest("email", 10, true), &manifest("token", 12, false));
        assert!(!d.is_empty());
        assert_eq!(d.changes[0].field, "config hash");
        let customers = &d.tables[0];
        assert_eq!(customers.status, "changed");
        let fields: Vec<&str> = customers.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rows_read",
                "rows_written",
                "output_checksum",
                "email.strategy"
            ]
        );
        assert_eq!(customers.changes[3].from, "email");
        assert_eq!(customers.changes[3].to, "token");
        assert_eq!(d.tables[1].status, "removed");
    }
}
