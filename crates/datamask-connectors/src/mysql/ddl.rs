//! DDL for the MySQL sink: the source's own `SHOW CREATE TABLE` when the source is MySQL too,
//! otherwise a `CREATE TABLE` generated from the [`TableSchema`] by a documented type mapping.
//! Either way the statement is split in three: the table with its primary key (created before
//! the data), the secondary indexes (added after the data) and the foreign keys (added once
//! every table is loaded, just before the swap).

use super::conn::{fit_ident, qualified, quote, quote_list};
use datamask_core::{Column, DataType, TableSchema};
use std::collections::HashSet;

/// A table's DDL, split for loading.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableDdl {
    /// `CREATE TABLE` of the staging table: columns, primary key, checks, table options.
    pub create: String,
    /// `ADD ...` clauses of the secondary indexes.
    pub indexes: Vec<String>,
    /// The foreign keys.
    pub foreign_keys: Vec<FkDef>,
}

/// A foreign key whose referenced table is resolved at commit time (staged or already there).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FkDef {
    /// `CONSTRAINT `name` FOREIGN KEY (`a`, `b`) REFERENCES ` (with the trailing space).
    pub head: String,
    /// The referenced database, when the source named one (a cross-database key).
    pub ref_db: Option<String>,
    pub ref_table: String,
    /// ` (`x`, `y`) ON DELETE CASCADE`: the referenced columns and actions.
    pub tail: String,
}

impl FkDef {
    /// The constraint's name, when the definition gives one.
    pub(crate) fn name(&self) -> Option<String> {
        let rest = self.head.strip_prefix("CONSTRAINT ")?;
        parse_ident(rest).map(|(name, _)| name)
    }

    /// The `ADD ...` clause, with the referenced table qualified by `resolve` (given the
    /// table name when the key names no database).
    pub(crate) fn clause(&self, resolve: impl Fn(&str) -> String) -> String {
        let reference = match &self.ref_db {
            Some(db) => qualified(db, &self.ref_table),
            None => resolve(&self.ref_table),
        };
        format!("ADD {}{reference}{}", self.head, self.tail)
    }
}

/// Parses a backtick-quoted identifier at the start of `s`; returns it and the rest.
fn parse_ident(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('`')?;
    let mut name = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '`' {
            if s[i + 1..].starts_with('`') {
                name.push('`');
                chars.next();
            } else {
                return Some((name, &s[i + 1..]));
            }
        } else {
            name.push(c);
        }
    }
    None
}

/// Splits the output of `SHOW CREATE TABLE` for a staging table called `stage_name`
/// (qualified). Returns `None` when the text is not in the expected shape.
///
/// The server prints one column, key or constraint per line, indented by two spaces, between
/// `CREATE TABLE `t` (` and the line starting with `)` that carries the table options (engine,
/// `AUTO_INCREMENT=`, charset, collation, comment, partitioning), all of which are kept.
pub(crate) fn split_show_create(ddl: &str, stage_name: &str) -> Option<TableDdl> {
    let mut lines = ddl.lines();
    let first = lines.next()?;
    let rest_of_first = first.strip_prefix("CREATE TABLE ")?;
    let (_, after_name) = parse_ident(rest_of_first)?;
    if after_name.trim() != "(" {
        return None;
    }
    let mut items: Vec<String> = Vec::new();
    let mut tail: Vec<&str> = Vec::new();
    for line in lines {
        if !tail.is_empty() || line.starts_with(')') {
            tail.push(line);
        } else if let Some(item) = line.strip_prefix("  ") {
            items.push(item.to_string());
        } else {
            // A continuation of the previous item (a literal holding a newline).
            items.last_mut()?.push_str(&format!("\n{line}"));
        }
    }
    if tail.is_empty() {
        return None;
    }
    let mut kept = Vec::new();
    let mut indexes = Vec::new();
    let mut foreign_keys = Vec::new();
    for item in items {
        let item = item.strip_suffix(',').unwrap_or(&item).to_string();
        let upper = item.to_ascii_uppercase();
        let is_index = [
            "UNIQUE KEY ",
            "UNIQUE INDEX ",
            "KEY ",
            "INDEX ",
            "FULLTEXT ",
            "SPATIAL ",
        ]
        .iter()
        .any(|p| upper.starts_with(p))
            || upper.starts_with("VECTOR ");
        if is_index {
            indexes.push(format!("ADD {item}"));
        } else if let Some(fk) = parse_fk(&item) {
            foreign_keys.push(fk);
        } else {
            kept.push(item);
        }
    }
    Some(TableDdl {
        create: format!(
            "CREATE TABLE {stage_name} (\n  {}\n{}",
            kept.join(",\n  "),
            tail.join("\n")
        ),
        indexes,
        foreign_keys,
    })
}

/// Parses `[CONSTRAINT `name` ]FOREIGN KEY (...) REFERENCES [`db`.]`t` (...) [actions]`.
fn parse_fk(item: &str) -> Option<FkDef> {
    let upper = item.to_ascii_uppercase();
    let fk_at = upper.find("FOREIGN KEY")?;
    let prefix = upper[..fk_at].trim();
    if !(prefix.is_empty() || prefix.starts_with("CONSTRAINT ")) {
        return None;
    }
    let refs_at = upper.find(" REFERENCES ")? + " REFERENCES ".len();
    let head = item[..refs_at].to_string();
    let (first, rest) = parse_ident(&item[refs_at..])?;
    let (ref_db, ref_table, tail) = match rest.strip_prefix('.') {
        Some(after_dot) => {
            let (table, tail) = parse_ident(after_dot)?;
            (Some(first), table, tail)
        }
        None => (None, first, rest),
    };
    Some(FkDef {
        head,
        ref_db,
        ref_table,
        tail: tail.to_string(),
    })
}

/// The MySQL type written for a column of a non-MySQL source (docs/databases.md).
///
/// `in_key` says the column takes part in a key or index: MySQL cannot index unbounded
/// `LONGTEXT`/`LONGBLOB`, so such columns become `VARCHAR(255)`/`VARBINARY(255)`.
pub fn mysql_type(data_type: &DataType, in_key: bool) -> String {
    match data_type {
        DataType::Bool => "TINYINT(1)".into(),
        DataType::Int { bits, unsigned } => {
            let base = match bits {
                0..=8 => "TINYINT",
                9..=16 => "SMALLINT",
                17..=24 => "MEDIUMINT",
                25..=32 => "INT",
                _ => "BIGINT",
            };
            if *unsigned {
                format!("{base} UNSIGNED")
            } else {
                base.into()
            }
        }
        DataType::Float { bits } if *bits <= 32 => "FLOAT".into(),
        DataType::Float { .. } => "DOUBLE".into(),
        DataType::Decimal {
            precision: Some(p),
            scale,
        } if *p <= 65 && scale.unwrap_or(0) <= 30 && scale.unwrap_or(0) <= *p => {
            format!("DECIMAL({p},{})", scale.unwrap_or(0))
        }
        DataType::Decimal { .. } => "DECIMAL(65,30)".into(),
        DataType::Text { max_len: Some(n) } if *n <= 16_383 => format!("VARCHAR({n})"),
        DataType::Text { .. } if in_key => "VARCHAR(255)".into(),
        DataType::Text { .. } => "LONGTEXT".into(),
        DataType::Bytes if in_key => "VARBINARY(255)".into(),
        DataType::Bytes => "LONGBLOB".into(),
        DataType::Date => "DATE".into(),
        DataType::Time => "TIME(6)".into(),
        DataType::Timestamp | DataType::TimestampTz => "DATETIME(6)".into(),
        DataType::Uuid => "CHAR(36)".into(),
        DataType::Json => "JSON".into(),
    }
}

/// The CREATE TABLE of a table from a non-MySQL source (or a MySQL table whose columns no
/// longer match the source's), with its indexes and foreign keys split off.
///
/// With `native` (the columns' `native_type`s are MySQL declarations) the columns keep them.
pub(crate) fn generate(table: &TableSchema, stage_name: &str, native: bool) -> TableDdl {
    let mut keyed: HashSet<&str> = HashSet::new();
    keyed.extend(table.primary_key.iter().map(String::as_str));
    for cols in &table.unique {
        keyed.extend(cols.iter().map(String::as_str));
    }
    for index in &table.indexes {
        keyed.extend(index.columns.iter().map(String::as_str));
    }
    for fk in &table.foreign_keys {
        keyed.extend(fk.columns.iter().map(String::as_str));
    }
    let column_sql = |c: &Column| {
        let declared = match (&c.native_type, native) {
            (Some(n), true) if !n.is_empty() => n.clone(),
            _ => mysql_type(&c.data_type, keyed.contains(c.name.as_str())),
        };
        let mut def = format!("{} {declared}", quote(&c.name));
        if !c.nullable {
            def.push_str(" NOT NULL");
        }
        def
    };
    let mut parts: Vec<String> = table.columns.iter().map(column_sql).collect();
    if !table.primary_key.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", quote_list(&table.primary_key)));
    }
    let mut names: HashSet<String> = HashSet::new();
    let mut unique_name = |wanted: String| {
        let mut name = fit_ident(&wanted);
        let mut n = 2;
        while !names.insert(name.to_ascii_lowercase()) {
            name = fit_ident(&format!("{wanted}_{n}"));
            n += 1;
        }
        name
    };
    let mut indexes = Vec::new();
    for cols in &table.unique {
        let name = unique_name(cols.join("_"));
        indexes.push(format!(
            "ADD UNIQUE KEY {} ({})",
            quote(&name),
            quote_list(cols)
        ));
    }
    for index in &table.indexes {
        let name = unique_name(index.name.clone());
        indexes.push(format!(
            "ADD {}KEY {} ({})",
            if index.unique { "UNIQUE " } else { "" },
            quote(&name),
            quote_list(&index.columns)
        ));
    }
    let foreign_keys = table
        .foreign_keys
        .iter()
        .enumerate()
        .map(|(i, fk)| {
            let (ref_db, ref_table) = match fk.ref_table.split_once('.') {
                Some((db, t)) if native => (Some(db.to_string()), t.to_string()),
                _ => (None, fk.ref_table.clone()),
            };
            FkDef {
                head: format!(
                    "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES ",
                    quote(&fit_ident(&format!("fk_{}_{}", table.name, i + 1))),
                    quote_list(&fk.columns)
                ),
                ref_db,
                ref_table,
                tail: format!(" ({})", quote_list(&fk.ref_columns)),
            }
        })
        .collect();
    let create = format!(
        "CREATE TABLE {stage_name} (\n  {}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 \
         COLLATE=utf8mb4_bin",
        parts.join(",\n  ")
    );
    TableDdl {
        create,
        indexes,
        foreign_keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datamask_core::{ForeignKey, Index};

    const SHOW: &str = "CREATE TABLE `order items` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `order_id` int(11) NOT NULL,
  `note` varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT 'a,\\nb',
  `parent` int(10) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq` (`order_id`,`note`),
  KEY `parent` (`parent`),
  FULLTEXT KEY `ft` (`note`),
  CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE,
  CONSTRAINT `fk``self` FOREIGN KEY (`parent`) REFERENCES `other`.`order items` (`id`),
  CONSTRAINT `chk` CHECK (`order_id` > 0)
) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";

    #[test]
    fn show_create_is_split() {
        let ddl = split_show_create(SHOW, "`s`.`order items`").unwrap();
        assert_eq!(
            ddl.create,
            "CREATE TABLE `s`.`order items` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `order_id` int(11) NOT NULL,
  `note` varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT 'a,\\nb',
  `parent` int(10) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `chk` CHECK (`order_id` > 0)
) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
        );
        assert_eq!(
            ddl.indexes,
            [
                "ADD UNIQUE KEY `uq` (`order_id`,`note`)",
                "ADD KEY `parent` (`parent`)",
                "ADD FULLTEXT KEY `ft` (`note`)"
            ]
        );
        assert_eq!(ddl.foreign_keys.len(), 2);
        assert_eq!(
            ddl.foreign_keys[0].clause(|t| qualified("stage", t)),
            "ADD CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `stage`.`orders` \
             (`id`) ON DELETE CASCADE"
        );
        assert_eq!(ddl.foreign_keys[1].ref_db.as_deref(), Some("other"));
        assert_eq!(ddl.foreign_keys[1].name().as_deref(), Some("fk`self"));
        assert_eq!(
            ddl.foreign_keys[1].clause(|t| qualified("stage", t)),
            "ADD CONSTRAINT `fk``self` FOREIGN KEY (`parent`) REFERENCES `other`.`order items` \
             (`id`)"
        );
        assert!(split_show_create("CREATE VIEW `v` AS select 1", "`s`.`v`").is_none());
    }

    #[test]
    fn generated_ddl() {
        let mut t = TableSchema::new(
            "t",
            vec![
                Column {
                    name: "id".into(),
                    data_type: DataType::Int {
                        bits: 64,
                        unsigned: false,
                    },
                    native_type: Some("INTEGER".into()),
                    nullable: false,
                    constraints: Default::default(),
                    comment: None,
                },
                Column::new("email", DataType::text()),
                Column::new("body", DataType::text()),
                Column::new(
                    "parent",
                    DataType::Int {
                        bits: 32,
                        unsigned: true,
                    },
                ),
            ],
        );
        t.primary_key = vec!["id".into()];
        t.unique = vec![vec!["email".into()]];
        t.indexes = vec![Index {
            name: "email".into(),
            columns: vec!["parent".into()],
            unique: false,
        }];
        t.foreign_keys = vec![ForeignKey {
            columns: vec!["parent".into()],
            ref_table: "t".into(),
            ref_columns: vec!["id".into()],
        }];
        let ddl = generate(&t, "`s`.`t`", false);
        assert_eq!(
            ddl.create,
            "CREATE TABLE `s`.`t` (
  `id` BIGINT NOT NULL,
  `email` VARCHAR(255),
  `body` LONGTEXT,
  `parent` INT UNSIGNED,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        );
        assert_eq!(
            ddl.indexes,
            [
                "ADD UNIQUE KEY `email` (`email`)",
                "ADD KEY `email_2` (`parent`)"
            ]
        );
        assert_eq!(
            ddl.foreign_keys[0].clause(|n| qualified("d", n)),
            "ADD CONSTRAINT `fk_t_1` FOREIGN KEY (`parent`) REFERENCES `d`.`t` (`id`)"
        );
        assert_eq!(
            mysql_type(
                &DataType::Decimal {
                    precision: Some(10),
                    scale: Some(2)
                },
                false
            ),
            "DECIMAL(10,2)"
        );
        assert_eq!(
            mysql_type(
                &DataType::Decimal {
                    precision: None,
                    scale: None
                },
                false
            ),
            "DECIMAL(65,30)"
        );
    }
}
