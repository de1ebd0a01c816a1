//! Schema introspection from `information_schema`: one query per kind of object (tables,
//! columns, keys and indexes, foreign keys, and on MariaDB the `json_valid` checks that mark
//! JSON columns) for the whole database, assembled into [`TableSchema`]s.

use super::conn::{number, rows, text, Target};
use datamask_core::{Column, DataType, ForeignKey, Index, Result, TableSchema};
use mysql::Conn;
use std::collections::{BTreeMap, HashSet};

/// What introspection knows about a table beyond its [`TableSchema`].
#[derive(Debug, Clone)]
pub(crate) struct TableInfo {
    pub schema: TableSchema,
    /// `information_schema.TABLES.TABLE_ROWS` (an estimate for InnoDB).
    pub table_rows: Option<u64>,
}

/// The logical type of a column, from `information_schema.COLUMNS`.
///
/// `data_type` is `DATA_TYPE` (`int`, `varchar`...), `column_type` is `COLUMN_TYPE`
/// (`int(10) unsigned`, `enum('a','b')`...), `max_len` is `CHARACTER_MAXIMUM_LENGTH`, and
/// `json` says that a MariaDB `longtext` carries a `json_valid` check (MariaDB's JSON).
pub fn logical_type(
    data_type: &str,
    column_type: &str,
    max_len: Option<u64>,
    precision: Option<u64>,
    scale: Option<u64>,
    json: bool,
) -> DataType {
    let data_type = data_type.to_ascii_lowercase();
    let unsigned = column_type.to_ascii_lowercase().contains("unsigned");
    let int = |bits| DataType::Int { bits, unsigned };
    let len = max_len.and_then(|n| u32::try_from(n).ok());
    match data_type.as_str() {
        "tinyint" => int(8),
        "smallint" => int(16),
        "mediumint" => int(24),
        "int" | "integer" => int(32),
        "bigint" => int(64),
        "year" => DataType::Int {
            bits: 16,
            unsigned: false,
        },
        "bit" => DataType::Int {
            bits: 64,
            unsigned: true,
        },
        "bool" | "boolean" => DataType::Bool,
        "decimal" | "numeric" | "dec" | "fixed" => DataType::Decimal {
            precision: precision.and_then(|p| u32::try_from(p).ok()),
            scale: scale.and_then(|s| u32::try_from(s).ok()),
        },
        "float" => DataType::Float { bits: 32 },
        "double" | "real" | "double precision" => DataType::Float { bits: 64 },
        "char" | "varchar" | "enum" | "set" => DataType::Text { max_len: len },
        "json" => DataType::Json,
        "longtext" if json => DataType::Json,
        "tinytext" | "text" | "mediumtext" | "longtext" => DataType::text(),
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => DataType::Bytes,
        "date" => DataType::Date,
        "time" => DataType::Time,
        "datetime" => DataType::Timestamp,
        "timestamp" => DataType::TimestampTz,
        "uuid" => DataType::Uuid,
        "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" | "geomcollection" | "vector" => DataType::Bytes,
        // inet4, inet6 and anything newer travel as their text form.
        _ => DataType::text(),
    }
}

/// What a MySQL type itself limits beyond the logical type: the values of an `ENUM`, and the
/// ranges of `DATE`, `DATETIME`, `TIMESTAMP` and `YEAR` (as `>=` / `<=` checks).
pub fn type_limits(data_type: &str, column_type: &str) -> datamask_core::Constraints {
    use datamask_core::{Check, CmpOp, Literal};
    let range = |lo: Literal, hi: Literal| {
        vec![
            Check::Compare {
                op: CmpOp::Ge,
                value: lo,
            },
            Check::Compare {
                op: CmpOp::Le,
                value: hi,
            },
        ]
    };
    let text = |s: &str| Literal::Text(s.to_string());
    let checks = match data_type.to_ascii_lowercase().as_str() {
        "date" => range(text("1000-01-01"), text("9999-12-31")),
        "datetime" => range(
            text("1000-01-01 00:00:00"),
            text("9999-12-31 23:59:59.999999"),
        ),
        // TIMESTAMP values are UTC instants between these two.
        "timestamp" => range(
            text("1970-01-01 00:00:01"),
            text("2038-01-19 03:14:07.999999"),
        ),
        "year" => range(
            Literal::Number("1901".into()),
            Literal::Number("2155".into()),
        ),
        _ => Vec::new(),
    };
    datamask_core::Constraints {
        enum_values: if data_type.eq_ignore_ascii_case("enum") {
            crate::checks::enum_values(column_type)
        } else {
            Vec::new()
        },
        checks,
    }
}

/// The charset of a collation name (`latin1_swedish_ci` -> `latin1`).
fn charset_of(collation: &str) -> &str {
    collation.split('_').next().unwrap_or(collation)
}

/// Every base table of `db` with its columns, keys, indexes and foreign keys, by name.
pub(crate) fn introspect(
    conn: &mut Conn,
    target: &Target,
    db: &str,
    mariadb: bool,
) -> Result<Vec<TableInfo>> {
    let err = |what: &str, e| target.error(&format!("reading the schema ({what})"), e);

    // Tables.
    let table_rows = rows(
        conn,
        "SELECT TABLE_NAME, TABLE_ROWS, TABLE_COLLATION FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        (db,),
    )
    .map_err(|e| err("tables", e))?;
    let mut tables: BTreeMap<String, (TableInfo, String)> = BTreeMap::new();
    for r in &table_rows {
        let Some(name) = text(&r[0]) else { continue };
        let collation = text(&r[2]).unwrap_or_default();
        tables.insert(
            name.clone(),
            (
                TableInfo {
                    schema: TableSchema::new(name, Vec::new()),
                    table_rows: number(&r[1]),
                },
                collation,
            ),
        );
    }

    // CHECK constraints, by table. MariaDB lists the table in CHECK_CONSTRAINTS (constraint
    // names are only unique per table there); MySQL names them per schema, so join.
    let check_sql = if mariadb {
        "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME"
    } else {
        "SELECT tc.TABLE_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc \
         JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA \
         AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
         WHERE tc.CONSTRAINT_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK' \
         ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME"
    };
    let checks: Vec<(String, String)> = rows(conn, check_sql, (db,))
        .map_err(|e| err("check constraints", e))?
        .iter()
        .filter_map(|r| Some((text(&r[0])?, text(&r[1])?)))
        .collect();
    // MariaDB's JSON is a longtext with a json_valid() check.
    let mut json_columns: HashSet<(String, String)> = HashSet::new();
    if mariadb {
        for (table, clause) in &checks {
            let clause = clause.trim();
            if let Some(inner) = clause
                .strip_prefix("json_valid(`")
                .and_then(|s| s.strip_suffix("`)"))
            {
                json_columns.insert((table.clone(), inner.replace("``", "`")));
            }
        }
    }

    // Columns in ordinal order.
    let column_rows = rows(
        conn,
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, \
         CHARACTER_SET_NAME, COLLATION_NAME, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, \
         NUMERIC_SCALE, EXTRA, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? \
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
        (db,),
    )
    .map_err(|e| err("columns", e))?;
    for r in &column_rows {
        let (Some(table), Some(name)) = (text(&r[0]), text(&r[1])) else {
            continue;
        };
        let Some((info, table_collation)) = tables.get_mut(&table) else {
            continue; // a view
        };
        let data_type = text(&r[2]).unwrap_or_default();
        let column_type = text(&r[3]).unwrap_or_else(|| data_type.clone());
        let json = json_columns.contains(&(table.clone(), name.clone()));
        let logical = logical_type(
            &data_type,
            &column_type,
            number(&r[7]),
            number(&r[8]),
            number(&r[9]),
            json,
        );
        let mut native = if logical == DataType::Json {
            "json".to_string()
        } else {
            column_type
        };
        if let (Some(charset), Some(collation)) = (text(&r[5]), text(&r[6])) {
            if logical != DataType::Json && collation != *table_collation {
                if charset != charset_of(table_collation) {
                    native.push_str(&format!(" CHARACTER SET {charset}"));
                }
                native.push_str(&format!(" COLLATE {collation}"));
            }
        }
        let constraints = type_limits(&data_type, &text(&r[3]).unwrap_or_default());
        // `VIRTUAL GENERATED`, `STORED GENERATED`, `PERSISTENT GENERATED` (never MySQL 8's
        // `DEFAULT_GENERATED`, which marks an ordinary column with a DEFAULT expression).
        let extra = text(&r[10]).unwrap_or_default().to_ascii_uppercase();
        if extra
            .split_whitespace()
            .any(|w| matches!(w, "VIRTUAL" | "STORED" | "PERSISTENT"))
        {
            info.schema.generated.push(name.clone());
        }
        info.schema.columns.push(Column {
            name,
            data_type: logical,
            native_type: Some(native),
            nullable: text(&r[4]).as_deref() != Some("NO"),
            constraints,
            comment: text(&r[11]).filter(|c| !c.trim().is_empty()),
        });
    }

    for (table, clause) in &checks {
        if let Some((info, _)) = tables.get_mut(table) {
            crate::checks::attach(&mut info.schema, crate::checks::parse(clause));
        }
    }

    // Primary keys, unique keys and indexes.
    let index_rows = rows(
        conn,
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME <> 'PRIMARY', NON_UNIQUE, \
         INDEX_NAME, SEQ_IN_INDEX",
        (db,),
    )
    .map_err(|e| err("indexes", e))?;
    // (table, index) -> (unique, columns; None when a part is an expression)
    let mut indexes: Vec<(String, String, bool, Option<Vec<String>>)> = Vec::new();
    for r in &index_rows {
        let (Some(table), Some(index)) = (text(&r[0]), text(&r[1])) else {
            continue;
        };
        let unique = number(&r[2]) == Some(0);
        let column = text(&r[3]);
        match indexes.last_mut() {
            Some((t, i, _, cols)) if *t == table && *i == index => {
                if let (Some(c), Some(list)) = (column, cols.as_mut()) {
                    list.push(c);
                } else {
                    *cols = None;
                }
            }
            _ => indexes.push((table, index, unique, column.map(|c| vec![c]))),
        }
    }
    for (table, index, unique, columns) in indexes {
        let (Some((info, _)), Some(columns)) = (tables.get_mut(&table), columns) else {
            continue;
        };
        if index == "PRIMARY" {
            info.schema.primary_key = columns;
        } else if unique {
            info.schema.unique.push(columns);
        } else {
            info.schema.indexes.push(Index {
                name: index,
                columns,
                unique: false,
            });
        }
    }

    // Foreign keys, composite ones grouped by constraint.
    let fk_rows = rows(
        conn,
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, \
         REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        (db,),
    )
    .map_err(|e| err("foreign keys", e))?;
    let mut last: Option<(String, String)> = None;
    for r in &fk_rows {
        let (Some(table), Some(constraint), Some(column), Some(ref_table), Some(ref_column)) = (
            text(&r[0]),
            text(&r[1]),
            text(&r[2]),
            text(&r[4]),
            text(&r[5]),
        ) else {
            continue;
        };
        let ref_schema = text(&r[3]).unwrap_or_else(|| db.to_string());
        let Some((info, _)) = tables.get_mut(&table) else {
            continue;
        };
        let key = (table.clone(), constraint);
        if last.as_ref() != Some(&key) {
            info.schema.foreign_keys.push(ForeignKey {
                columns: Vec::new(),
                ref_table: if ref_schema == db {
                    ref_table
                } else {
                    format!("{ref_schema}.{ref_table}")
                },
                ref_columns: Vec::new(),
            });
            last = Some(key);
        }
        let fk = info.schema.foreign_keys.last_mut().expect("pushed above");
        fk.columns.push(column);
        fk.ref_columns.push(ref_column);
    }

    Ok(tables.into_values().map(|(info, _)| info).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_mapping() {
        let t = |dt: &str, ct: &str| logical_type(dt, ct, Some(20), Some(10), Some(2), false);
        assert_eq!(
            t("bigint", "bigint(20) unsigned"),
            DataType::Int {
                bits: 64,
                unsigned: true
            }
        );
        assert_eq!(
            t("tinyint", "tinyint(1)"),
            DataType::Int {
                bits: 8,
                unsigned: false
            }
        );
        assert_eq!(
            t("mediumint", "mediumint(8) unsigned"),
            DataType::Int {
                bits: 24,
                unsigned: true
            }
        );
        assert_eq!(
            t("decimal", "decimal(10,2)"),
            DataType::Decimal {
                precision: Some(10),
                scale: Some(2)
            }
        );
        assert_eq!(t("float", "float"), DataType::Float { bits: 32 });
        assert_eq!(t("double", "double"), DataType::Float { bits: 64 });
        assert_eq!(
            t("varchar", "varchar(20)"),
            DataType::Text { max_len: Some(20) }
        );
        assert_eq!(
            t("enum", "enum('a','b')"),
            DataType::Text { max_len: Some(20) }
        );
        assert_eq!(t("mediumtext", "mediumtext"), DataType::text());
        assert_eq!(t("varbinary", "varbinary(8)"), DataType::Bytes);
        assert_eq!(t("datetime", "datetime(6)"), DataType::Timestamp);
        assert_eq!(t("timestamp", "timestamp"), DataType::TimestampTz);
        assert_eq!(t("json", "json"), DataType::Json);
        assert_eq!(
            logical_type("longtext", "longtext", None, None, None, true),
            DataType::Json
        );
        assert_eq!(t("longtext", "longtext"), DataType::text());
        assert_eq!(t("point", "point"), DataType::Bytes);
        assert_eq!(t("uuid", "uuid"), DataType::Uuid);
        assert_eq!(t("inet6", "inet6"), DataType::text());
        assert_eq!(charset_of("latin1_swedish_ci"), "latin1");
    }
}
