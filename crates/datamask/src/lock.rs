//! The schema lock: the source schema as it was when the config was last reviewed.
//!
//! A config names the columns it masks; a column added to the source later would be copied by
//! a `preserve` policy without anyone deciding so. The lock closes that gap (DESIGN invariant
//! "fail closed"): `datamask check --record` (and `datamask init`) write the source's tables,
//! columns, types, keys and checks to a file beside the config, and `datamask run` stops when
//! the source no longer matches it, listing what appeared, disappeared or changed, unless
//! `--accept-schema-change` is given.
//!
//! The file is JSON meant to be committed and reviewed with the config: tables sorted by name,
//! columns in table order, one line per fact where possible, plus a BLAKE3 fingerprint of the
//! whole. It never holds data, only names and types.
//!
//! The public entry points for other commands are [`record`] (write or replace the lock for a
//! config from a set of schemas) and [`status`] (compare schemas with the recorded lock).

use crate::config::Config;
use datamask_core::{Column, TableSchema};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Format version of the lock file.
pub const LOCK_VERSION: u32 = 1;

/// Why the lock could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a datamask schema lock ({message}); delete it and run `datamask check --record`")]
    Invalid { path: PathBuf, message: String },
}

/// The recorded schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaLock {
    pub version: u32,
    /// The source it was recorded from (password redacted), for the reader's information.
    pub source: String,
    /// BLAKE3 over `tables` (hex).
    pub fingerprint: String,
    pub tables: BTreeMap<String, TableLock>,
}

/// One table as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableLock {
    pub columns: Vec<ColumnLock>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique: Vec<Vec<String>>,
    /// `cols -> table(cols)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<String>,
}

/// One column as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnLock {
    pub name: String,
    /// The native declaration when the source has one, else the logical type family.
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    /// Enum values and checks, as SQL-like text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
}

/// One difference between the lock and the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SchemaChange {
    TableAdded {
        table: String,
    },
    TableRemoved {
        table: String,
    },
    ColumnAdded {
        table: String,
        column: String,
        ty: String,
    },
    ColumnRemoved {
        table: String,
        column: String,
    },
    ColumnChanged {
        table: String,
        column: String,
        before: String,
        after: String,
    },
    KeysChanged {
        table: String,
    },
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaChange::TableAdded { table } => write!(f, "table `{table}` is new"),
            SchemaChange::TableRemoved { table } => write!(f, "table `{table}` is gone"),
            SchemaChange::ColumnAdded { table, column, ty } => {
                write!(f, "column `{table}.{column}` is new ({ty})")
            }
            SchemaChange::ColumnRemoved { table, column } => {
                write!(f, "column `{table}.{column}` is gone")
            }
            SchemaChange::ColumnChanged {
                table,
                column,
                before,
                after,
            } => write!(f, "column `{table}.{column}` changed: {before} -> {after}"),
            SchemaChange::KeysChanged { table } => {
                write!(
                    f,
                    "keys of table `{table}` changed (primary, unique or foreign)"
                )
            }
        }
    }
}

/// How the source compares with the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockStatus {
    /// No lock was recorded for this config.
    Unrecorded,
    /// The source matches the lock.
    Matches,
    /// The source differs; every difference, tables in name order.
    Changed(Vec<SchemaChange>),
}

/// The lock file of a config: beside it, same name, extension `.lock`
/// (`datamask.yaml` -> `datamask.lock`).
pub fn path(config: &Config) -> PathBuf {
    lock_path(&config.path)
}

fn lock_path(config_path: &Path) -> PathBuf {
    config_path.with_extension("lock")
}

/// Builds the lock for `schemas` (as introspected from the config's source).
pub fn build(source: &str, schemas: &[TableSchema]) -> SchemaLock {
    let tables: BTreeMap<String, TableLock> = schemas
        .iter()
        .map(|t| (t.name.clone(), table_lock(t)))
        .collect();
    let bytes = serde_json::to_vec(&tables).unwrap_or_default();
    SchemaLock {
        version: LOCK_VERSION,
        source: source.to_string(),
        fingerprint: blake3::hash(&bytes).to_hex().to_string(),
        tables,
    }
}

/// Records `schemas` as the config's schema lock (replacing any previous one) and returns the
/// file written. Used by `datamask check --record` and `datamask init`. The file is written to
/// a temporary name and renamed, so a reader never sees half a lock.
pub fn record(config: &Config, schemas: &[TableSchema]) -> Result<PathBuf, LockError> {
    record_beside(&config.path, &config.source.url.redacted(), schemas)
}

/// Records `schemas` as the lock of the config file at `config_path` without loading that
/// config: `datamask init` writes the draft and its lock together, before the draft can be
/// loaded (it has no target yet and may reference a password variable that is not set).
/// `source` is the source address with any password redacted.
pub fn record_beside(
    config_path: &Path,
    source: &str,
    schemas: &[TableSchema],
) -> Result<PathBuf, LockError> {
    let lock = build(source, schemas);
    let path = lock_path(config_path);
    write(&path, &lock)?;
    Ok(path)
}

fn write(path: &Path, lock: &SchemaLock) -> Result<(), LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = serde_json::to_string_pretty(lock).map_err(|e| LockError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    let tmp = path.with_extension("lock.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads the config's lock, if one was recorded.
pub fn load(config: &Config) -> Result<Option<SchemaLock>, LockError> {
    let path = path(config);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(LockError::Io { path, source }),
    };
    let lock: SchemaLock = serde_json::from_str(&text).map_err(|e| LockError::Invalid {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if lock.version != LOCK_VERSION {
        return Err(LockError::Invalid {
            path,
            message: format!(
                "version {} (this datamask writes {LOCK_VERSION})",
                lock.version
            ),
        });
    }
    Ok(Some(lock))
}

/// Compares `schemas` with the config's recorded lock.
pub fn status(config: &Config, schemas: &[TableSchema]) -> Result<LockStatus, LockError> {
    let Some(lock) = load(config)? else {
        return Ok(LockStatus::Unrecorded);
    };
    let changes = changes(&lock, &build(&lock.source, schemas));
    Ok(if changes.is_empty() {
        LockStatus::Matches
    } else {
        LockStatus::Changed(changes)
    })
}

/// Every difference from `old` to `new`, tables in name order, columns in table order.
pub fn changes(old: &SchemaLock, new: &SchemaLock) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        old.tables.keys().chain(new.tables.keys()).collect();
    for name in names {
        let table = name.clone();
        match (old.tables.get(name), new.tables.get(name)) {
            (None, Some(_)) => out.push(SchemaChange::TableAdded { table }),
            (Some(_), None) => out.push(SchemaChange::TableRemoved { table }),
            (Some(a), Some(b)) => table_changes(&table, a, b, &mut out),
            (None, None) => {}
        }
    }
    out
}

fn table_changes(table: &str, a: &TableLock, b: &TableLock, out: &mut Vec<SchemaChange>) {
    for c in &b.columns {
        match a.columns.iter().find(|o| o.name == c.name) {
            None => out.push(SchemaChange::ColumnAdded {
                table: table.into(),
                column: c.name.clone(),
                ty: c.ty.clone(),
            }),
            Some(o) if o != c => out.push(SchemaChange::ColumnChanged {
                table: table.into(),
                column: c.name.clone(),
                before: describe(o),
                after: describe(c),
            }),
            Some(_) => {}
        }
    }
    for o in &a.columns {
        if !b.columns.iter().any(|c| c.name == o.name) {
            out.push(SchemaChange::ColumnRemoved {
                table: table.into(),
                column: o.name.clone(),
            });
        }
    }
    if (&a.primary_key, &a.unique, &a.foreign_keys) != (&b.primary_key, &b.unique, &b.foreign_keys)
    {
        out.push(SchemaChange::KeysChanged {
            table: table.into(),
        });
    }
}

fn describe(c: &ColumnLock) -> String {
    let mut s = c.ty.clone();
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    for k in &c.constraints {
        s.push_str(&format!(" CHECK {k}"));
    }
    s
}

fn table_lock(t: &TableSchema) -> TableLock {
    TableLock {
        columns: t.columns.iter().map(column_lock).collect(),
        primary_key: t.primary_key.clone(),
        unique: t.unique.clone(),
        foreign_keys: t
            .foreign_keys
            .iter()
            .map(|fk| {
                format!(
                    "{} -> {}({})",
                    fk.columns.join(", "),
                    fk.ref_table,
                    fk.ref_columns.join(", ")
                )
            })
            .collect(),
    }
}

fn column_lock(c: &Column) -> ColumnLock {
    let mut constraints = Vec::new();
    if !c.constraints.enum_values.is_empty() {
        let values: Vec<String> = c
            .constraints
            .enum_values
            .iter()
            .map(|v| datamask_core::Literal::Text(v.clone()).to_string())
            .collect();
        constraints.push(format!("IN ({})", values.join(", ")));
    }
    constraints.extend(c.constraints.checks.iter().map(ToString::to_string));
    ColumnLock {
        name: c.name.clone(),
        ty: c
            .native_type
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| c.data_type.family().to_string()),
        nullable: c.nullable,
        constraints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datamask_core::{DataType, ForeignKey};

    fn schemas() -> Vec<TableSchema> {
        let mut c = TableSchema::new(
            "customers",
            vec![
                Column::new(
                    "id",
                    DataType::Int {
                        bits: 64,
                        unsigned: false,
                    },
                ),
                Column::new("email", DataType::Text { max_len: Some(80) }),
            ],
        );
        c.primary_key = vec!["id".into()];
        let mut o = TableSchema::new(
            "orders",
            vec![Column::new(
                "customer_id",
                DataType::Int {
                    bits: 64,
                    unsigned: false,
                },
            )],
        );
        o.foreign_keys.push(ForeignKey {
            columns: vec!["customer_id".into()],
            ref_table: "customers".into(),
            ref_columns: vec!["id".into()],
        });
        vec![c, o]
    }

    #[test]
    fn same_schema_no_changes_and_stable_fingerprint() {
        let a = build("sqlite://a.db", &schemas());
        let b = build("sqlite://a.db", &schemas());
        assert_eq!(a, b);
        assert!(changes(&a, &b).is_empty());
        // The fingerprint covers the tables only, not where they were read from.
        assert_eq!(a.fingerprint, build("x", &schemas()).fingerprint);
    }

    #[test]
    fn every_kind_of_change_is_listed() {
        let old = build("s", &schemas());
        let mut s = schemas();
        s[0].columns.push(Column::new("ssn", DataType::text()));
        s[0].columns[1].data_type = DataType::Text { max_len: Some(120) };
        s[0].columns[1].native_type = Some("VARCHAR(120)".into());
        s[1].foreign_keys.clear();
        s.push(TableSchema::new("audit", vec![]));
        let got: Vec<String> = changes(&old, &build("s", &s))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "table `audit` is new",
                "column `customers.email` changed: text -> VARCHAR(120)",
                "column `customers.ssn` is new (text)",
                "keys of table `orders` changed (primary, unique or foreign)",
            ]
        );
    }

    #[test]
    fn lock_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("datamask.lock");
        let lock = build("s", &schemas());
        write(&p, &lock).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("\"customer_id -> customers(id)\""), "{text}");
        assert_eq!(serde_json::from_str::<SchemaLock>(&text).unwrap(), lock);
        assert_eq!(
            lock_path(Path::new("x/datamask.yaml")),
            Path::new("x/datamask.lock")
        );
    }
}
