//! SQLite databases, through rusqlite with a bundled SQLite.
//!
//! **Reading.** Introspection uses `sqlite_master` and the table-valued pragmas (`table_info`,
//! `index_list`, `index_info`, `foreign_key_list`). Values are read by *storage class*
//! (INTEGER -> `Int`, REAL -> `Float`, TEXT -> `Text`, BLOB -> `Bytes`, NULL -> `Null`) rather
//! than declared type, because SQLite lets any column hold any class: reading what is stored
//! makes an unmasked copy exact, even for dates kept as text. Rows come in rowid order (primary
//! key order for `WITHOUT ROWID` tables) from a reader thread with its own read-only connection,
//! behind a channel of two batches, so memory stays bounded and a slow consumer applies
//! back-pressure.
//!
//! **Writing.** The whole run is one transaction, committed in [`Sink::commit`]: a crash, a
//! SIGKILL or a dropped sink leaves the target exactly as it was (SQLite's journal rolls back
//! an interrupted transaction on next open). Each table is dropped and re-created from the
//! source schema; indexes are created after the data is loaded; foreign-key enforcement is off
//! during the load because tables may arrive in any order.

use datamask_core::source::ReadOptions;
use datamask_core::{
    Batch, BatchIter, Column, DataType, Error, ForeignKey, Index, Result, Sink, Source,
    TableSchema, TableWriter, Value,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

const KIND: &str = "sqlite";

fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::connector(KIND, format!("{}: {e}", path.display()))
}

/// Quotes an identifier for SQL: `"name"` with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The logical type of a declared SQLite column type.
///
/// Well-known names are recognised first (BOOLEAN, DATE, TIME, DATETIME/TIMESTAMP,
/// TIMESTAMPTZ, DECIMAL/NUMERIC(p,s), UUID, JSON); the rest follow SQLite's affinity rules
/// (`INT` -> integer, `CHAR`/`CLOB`/`TEXT` -> text with the length of `VARCHAR(n)`, `BLOB` ->
/// bytes, `REAL`/`FLOA`/`DOUB` -> float, anything else -> decimal). A column with no declared
/// type is text.
pub fn logical_type(declared: &str) -> DataType {
    let upper = declared.trim().to_ascii_uppercase();
    let (base, args) = match upper.split_once('(') {
        Some((base, rest)) => {
            let inner = rest.split(')').next().unwrap_or("");
            let args: Vec<u32> = inner
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect();
            (base.to_string(), args)
        }
        None => (upper.clone(), Vec::new()),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    match base.as_str() {
        "" => return DataType::text(),
        "BOOL" | "BOOLEAN" => return DataType::Bool,
        "DATE" => return DataType::Date,
        "TIME" | "TIME WITHOUT TIME ZONE" => return DataType::Time,
        "DATETIME" | "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => return DataType::Timestamp,
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" | "DATETIMETZ" => return DataType::TimestampTz,
        "DECIMAL" | "NUMERIC" => {
            return DataType::Decimal {
                precision: args.first().copied(),
                scale: args.get(1).copied(),
            }
        }
        "UUID" => return DataType::Uuid,
        "JSON" | "JSONB" => return DataType::Json,
        _ => {}
    }
    if base.contains("INT") {
        let bits = if base.starts_with("TINYINT") {
            8
        } else if base.starts_with("SMALLINT") {
            16
        } else if base.starts_with("MEDIUMINT") {
            32
        } else {
            64
        };
        DataType::Int {
            bits,
            unsigned: base.contains("UNSIGNED"),
        }
    } else if base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT") {
        DataType::Text {
            max_len: if base.contains("CHAR") {
                args.first().copied()
            } else {
                None
            },
        }
    } else if base.contains("BLOB") {
        DataType::Bytes
    } else if base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB") {
        DataType::Float { bits: 64 }
    } else {
        DataType::Decimal {
            precision: None,
            scale: None,
        }
    }
}

/// The SQLite declaration written for `column`: its native type when it has a plain one
/// (letters, digits, spaces, `_(),`; an empty one means an untyped column), otherwise a
/// mapping of its logical type.
/// True when `t` fits SQLite's type-name grammar: words, then optionally `(n)` or `(n, m)` at
/// the very end, and no clause keyword. Other engines' declarations (`int(10) unsigned`,
/// `varchar(40) CHARACTER SET latin1 COLLATE ...`) do not, and are mapped from the logical type.
fn is_sqlite_type_name(t: &str) -> bool {
    if t.is_empty() {
        return true; // an untyped column stays untyped
    }
    let (words, args) = match t.find('(') {
        Some(i) => (&t[..i], Some(&t[i..])),
        None => (t, None),
    };
    const CLAUSES: [&str; 11] = [
        "COLLATE",
        "CONSTRAINT",
        "DEFAULT",
        "NOT",
        "NULL",
        "PRIMARY",
        "UNIQUE",
        "CHECK",
        "REFERENCES",
        "GENERATED",
        "AS",
    ];
    let words_ok = !words.trim().is_empty()
        && words.split_whitespace().all(|w| {
            w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !CLAUSES.contains(&w.to_ascii_uppercase().as_str())
        });
    let args_ok = args.is_none_or(|a| {
        a.ends_with(')')
            && a[1..a.len() - 1].split(',').count() <= 2
            && a[1..a.len() - 1]
                .split(',')
                .all(|n| n.trim().parse::<i64>().is_ok())
    });
    words_ok && args_ok
}

pub fn declared_type(column: &Column) -> String {
    if let Some(native) = column
        .native_type
        .as_deref()
        .filter(|n| is_sqlite_type_name(n))
    {
        return native.to_string();
    }
    match &column.data_type {
        DataType::Bool => "BOOLEAN".into(),
        DataType::Int { .. } => "INTEGER".into(),
        DataType::Float { .. } => "REAL".into(),
        DataType::Decimal {
            precision: Some(p),
            scale: Some(s),
        } => format!("NUMERIC({p},{s})"),
        DataType::Decimal {
            precision: Some(p),
            scale: None,
        } => format!("NUMERIC({p})"),
        DataType::Decimal { .. } => "NUMERIC".into(),
        DataType::Text { max_len: Some(n) } => format!("VARCHAR({n})"),
        DataType::Text { max_len: None } => "TEXT".into(),
        DataType::Bytes => "BLOB".into(),
        DataType::Date => "DATE".into(),
        DataType::Time => "TIME".into(),
        DataType::Timestamp => "TIMESTAMP".into(),
        DataType::TimestampTz => "TIMESTAMPTZ".into(),
        DataType::Uuid => "UUID".into(),
        DataType::Json => "JSON".into(),
    }
}

fn list_tables(conn: &Connection, path: &Path) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND substr(name, 1, 7) <> 'sqlite_' \
             AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid",
        )
        .map_err(|e| sql_error(path, e))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| sql_error(path, e))?;
    Ok(names)
}

fn introspect(conn: &Connection, path: &Path, table: &str) -> Result<TableSchema> {
    let err = |e| sql_error(path, e);
    let mut stmt = conn
        .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid")
        .map_err(err)?;
    let rows = stmt
        .query_map([table], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, i64>(2)? != 0,
                r.get::<_, i64>(3)?,
            ))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(err)?;
    let mut pk: Vec<(i64, String)> = Vec::new();
    let mut columns = Vec::with_capacity(rows.len());
    for (name, declared, not_null, pk_pos) in rows {
        if pk_pos > 0 {
            pk.push((pk_pos, name.clone()));
        }
        columns.push(Column {
            data_type: logical_type(&declared),
            // Kept even when empty: an untyped column is copied as untyped.
            native_type: Some(declared),
            nullable: !not_null,
            constraints: Default::default(),
            comment: None,
            name,
        });
    }
    pk.sort();
    let mut schema = TableSchema::new(table, columns);
    schema.primary_key = pk.into_iter().map(|(_, n)| n).collect();

    // CHECK constraints: SQLite keeps the CREATE TABLE text, so read them from it.
    let create: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .map_err(err)?;
    for clause in crate::checks::check_clauses(create.as_deref().unwrap_or("")) {
        crate::checks::attach(&mut schema, crate::checks::parse(&clause));
    }

    // Indexes in creation order (sqlite_master order), with their origin from index_list.
    let mut stmt = conn
        .prepare(
            "SELECT m.name, l.\"unique\", l.origin, l.partial \
             FROM sqlite_master m JOIN pragma_index_list(?1) l ON l.name = m.name \
             WHERE m.type = 'index' AND m.tbl_name = ?1 ORDER BY m.rowid",
        )
        .map_err(err)?;
    let indexes = stmt
        .query_map([table], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? != 0,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)? != 0,
            ))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(err)?;
    let mut cols_stmt = conn
        .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
        .map_err(err)?;
    for (name, unique, origin, partial) in indexes {
        if origin == "pk" || partial {
            continue;
        }
        let cols = cols_stmt
            .query_map([&name], |r| r.get::<_, Option<String>>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err)?;
        // An index on an expression has no column name: it cannot be described, so skip it.
        let Some(cols) = cols.into_iter().collect::<Option<Vec<String>>>() else {
            continue;
        };
        if origin == "u" {
            schema.unique.push(cols);
        } else {
            schema.indexes.push(Index {
                name,
                columns: cols,
                unique,
            });
        }
    }

    // Foreign keys, composite ones grouped by id. SQLite numbers them from the last declared,
    // so a descending id gives declaration order.
    let mut stmt = conn
        .prepare(
            "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) \
             ORDER BY id DESC, seq",
        )
        .map_err(err)?;
    let fk_rows = stmt
        .query_map([table], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(err)?;
    let mut current: Option<i64> = None;
    let mut implicit: Vec<usize> = Vec::new();
    for (id, ref_table, from, to) in fk_rows {
        if current != Some(id) {
            current = Some(id);
            schema.foreign_keys.push(ForeignKey {
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
            });
        }
        let fk = schema.foreign_keys.last_mut().expect("pushed above");
        fk.columns.push(from);
        match to {
            Some(to) => fk.ref_columns.push(to),
            None => {
                let i = schema.foreign_keys.len() - 1;
                if !implicit.contains(&i) {
                    implicit.push(i);
                }
            }
        }
    }
    // `REFERENCES parent` without columns means the parent's primary key.
    for i in implicit {
        let parent = schema.foreign_keys[i].ref_table.clone();
        let parent_pk = if parent == table {
            schema.primary_key.clone()
        } else {
            introspect_pk(conn, path, &parent)?
        };
        schema.foreign_keys[i].ref_columns = parent_pk;
    }
    Ok(schema)
}

fn introspect_pk(conn: &Connection, path: &Path, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")
        .map_err(|e| sql_error(path, e))?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| sql_error(path, e))?;
    Ok(names)
}

/// An existing database opened for writing (never created).
fn open_existing(path: &Path) -> Result<Connection> {
    open_file(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
}

fn open_read_only(path: &Path) -> Result<Connection> {
    open_file(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
}

/// An existing database file opened with `mode` (never created), waiting up to 10 s for a
/// lock another connection holds.
fn open_file(path: &Path, mode: OpenFlags) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such SQLite database"),
        ));
    }
    let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| sql_error(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| sql_error(path, e))?;
    Ok(conn)
}

/// A SQLite database opened read-only.
pub struct SqliteSource {
    path: PathBuf,
    conn: Connection,
}

impl SqliteSource {
    /// Opens the database at `path` read-only; a missing file is an error (nothing is created).
    pub fn open(path: &Path) -> Result<Box<dyn Source + Send>> {
        Ok(Box::new(SqliteSource::open_typed(path)?))
    }

    /// Like [`SqliteSource::open`], returning the concrete type.
    pub fn open_typed(path: &Path) -> Result<SqliteSource> {
        Ok(SqliteSource {
            path: path.to_path_buf(),
            conn: open_read_only(path)?,
        })
    }

    fn select_sql(&self, table: &TableSchema, filter: Option<&str>) -> String {
        let columns = table
            .columns
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let columns = if columns.is_empty() {
            "NULL".to_string()
        } else {
            columns
        };
        let name = quote_ident(&table.name);
        let mut sql = format!("SELECT {columns} FROM {name}");
        if let Some(filter) = filter.filter(|f| !f.trim().is_empty()) {
            sql.push_str(&format!(" WHERE ({filter})"));
        }
        let has_rowid = self
            .conn
            .prepare(&format!("SELECT _rowid_ FROM {name} LIMIT 0"))
            .is_ok();
        if has_rowid {
            sql.push_str(" ORDER BY _rowid_");
        } else if !table.primary_key.is_empty() {
            sql.push_str(&format!(" ORDER BY {}", quote_list(&table.primary_key)));
        }
        sql
    }
}

impl Source for SqliteSource {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn tables(&mut self) -> Result<Vec<TableSchema>> {
        list_tables(&self.conn, &self.path)?
            .iter()
            .map(|t| introspect(&self.conn, &self.path, t))
            .collect()
    }

    fn estimate_rows(&mut self, table: &TableSchema) -> Result<Option<u64>> {
        let sql = format!("SELECT COUNT(*) FROM {}", quote_ident(&table.name));
        let n: i64 = self
            .conn
            .query_row(&sql, [], |r| r.get(0))
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(Some(n.max(0) as u64))
    }

    fn read<'a>(&'a mut self, table: &TableSchema, options: &ReadOptions) -> Result<BatchIter<'a>> {
        if !list_tables(&self.conn, &self.path)?.contains(&table.name) {
            return Err(Error::MissingTable(table.name.clone()));
        }
        let sql = self.select_sql(table, options.filter.as_deref());
        self.stream(table, sql, options)
    }

    /// The first `rows` rows in rowid (or primary-key) order, with a `LIMIT`.
    fn sample<'a>(&'a mut self, table: &TableSchema, rows: usize) -> Result<BatchIter<'a>> {
        if !list_tables(&self.conn, &self.path)?.contains(&table.name) {
            return Err(Error::MissingTable(table.name.clone()));
        }
        let mut sql = self.select_sql(table, None);
        sql.push_str(&format!(" LIMIT {rows}"));
        let options = ReadOptions {
            batch_size: rows.clamp(1, 10_000),
            filter: None,
        };
        self.stream(table, sql, &options)
    }

    fn describe_query(&mut self, name: &str, sql: &str) -> Result<TableSchema> {
        let stmt = self.conn.prepare(sql).map_err(|e| query_error(name, e))?;
        if !stmt.readonly() {
            return Err(Error::Unsupported(format!(
                "query `{name}` would modify the database; only SELECT queries are allowed"
            )));
        }
        let columns = stmt
            .columns()
            .map(|c| {
                let declared = c.decl_type().unwrap_or("").to_string();
                Column {
                    name: c.name().to_string(),
                    data_type: logical_type(&declared),
                    native_type: Some(declared),
                    nullable: true,
                    constraints: Default::default(),
                    comment: None,
                }
            })
            .collect();
        Ok(TableSchema::new(name, columns))
    }

    fn read_query<'a>(
        &'a mut self,
        table: &TableSchema,
        sql: &str,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        self.stream(table, sql.to_string(), options)
    }
}

impl SqliteSource {
    /// Streams the rows of `sql` on a reader thread with its own connection.
    fn stream<'a>(
        &'a mut self,
        table: &TableSchema,
        sql: String,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        // Prepare once here so a bad filter or query fails now, not inside the reader thread.
        self.conn
            .prepare(&sql)
            .map_err(|e| sql_error(&self.path, e))?;
        let batch_size = if options.batch_size == 0 {
            10_000
        } else {
            options.batch_size
        };
        let (tx, rx) = sync_channel::<Result<Batch>>(2);
        let path = self.path.clone();
        let table = table.clone();
        let handle = std::thread::Builder::new()
            .name(format!("sqlite-read-{}", table.name))
            .spawn(move || {
                if let Err(e) = stream_rows(&path, &table, &sql, batch_size, &tx) {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(|e| Error::Internal(format!("cannot start the SQLite reader thread: {e}")))?;
        Ok(Box::new(crate::threaded::ThreadedBatches::new(rx, handle)))
    }
}

fn query_error(name: &str, e: rusqlite::Error) -> Error {
    Error::Connector {
        connector: KIND,
        message: format!("query `{name}`: {e}"),
    }
}

/// Runs on the reader thread: sends batches until the table ends or the receiver goes away.
fn stream_rows(
    path: &Path,
    table: &TableSchema,
    sql: &str,
    batch_size: usize,
    tx: &std::sync::mpsc::SyncSender<Result<Batch>>,
) -> Result<()> {
    let conn = open_read_only(path)?;
    let mut stmt = conn.prepare(sql).map_err(|e| sql_error(path, e))?;
    let width = table.columns.len();
    let mut rows = stmt.query([]).map_err(|e| sql_error(path, e))?;
    let mut batch = Batch::with_capacity(width, batch_size);
    let mut row_number: u64 = 0;
    while let Some(row) = rows.next().map_err(|e| sql_error(path, e))? {
        row_number += 1;
        for (i, column) in batch.columns.iter_mut().enumerate() {
            let value = match row.get_ref(i).map_err(|e| sql_error(path, e))? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Float(v),
                ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
                    Ok(s) => Value::Text(s.into()),
                    Err(_) => {
                        return Err(Error::Value {
                            table: table.name.clone(),
                            column: table.columns[i].name.clone(),
                            row: row_number.to_string(),
                            message: "text is not valid UTF-8".into(),
                        })
                    }
                },
                ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
            };
            column.push(value);
        }
        if batch.len() >= batch_size {
            let full = std::mem::replace(&mut batch, Batch::with_capacity(width, batch_size));
            if tx.send(Ok(full)).is_err() {
                return Ok(()); // the consumer stopped reading
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch));
    }
    Ok(())
}

/// A SQLite database written in one transaction.
pub struct SqliteSink {
    path: PathBuf,
    conn: Option<Connection>,
    created: bool,
    committed: bool,
    /// `mode: in_place`: (table, temporary stage table, quoted column list) per table.
    in_place: Option<Vec<(String, String, String)>>,
}

impl SqliteSink {
    /// Opens (or creates) the database at `path` and starts the run's transaction.
    pub fn open(path: &Path) -> Result<Box<dyn Sink + Send>> {
        Ok(Box::new(SqliteSink::open_typed(path)?))
    }

    /// Like [`SqliteSink::open`], returning the concrete type.
    pub fn open_typed(path: &Path) -> Result<SqliteSink> {
        let created = !path.exists();
        let mut sink = SqliteSink {
            path: path.to_path_buf(),
            conn: None,
            created,
            committed: false,
            in_place: None,
        };
        let conn = Connection::open(path).map_err(|e| sql_error(path, e))?;
        sink.conn = Some(conn);
        let conn = sink.conn.as_ref().expect("just set");
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| sql_error(path, e))?;
        // foreign_keys can only change outside a transaction.
        conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE;")
            .map_err(|e| sql_error(path, e))?;
        Ok(sink)
    }

    /// Opens an existing database to mask in place: rows are staged in temporary tables (the
    /// database file is not locked while the source reads it) and replaced in one transaction
    /// at commit.
    pub fn open_in_place(path: &Path) -> Result<Box<dyn Sink + Send>> {
        let conn = open_existing(path)?;
        conn.execute_batch("PRAGMA foreign_keys = OFF;")
            .map_err(|e| sql_error(path, e))?;
        Ok(Box::new(SqliteSink {
            path: path.to_path_buf(),
            conn: Some(conn),
            created: false,
            committed: false,
            in_place: Some(Vec::new()),
        }))
    }

    /// In place: a temporary table without column types (values keep what they were bound
    /// as; the real table's affinity applies once, at commit) to stage `table` in.
    fn stage<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>> {
        let path = self.path.as_path();
        let (Some(conn), Some(staged)) = (self.conn.as_ref(), self.in_place.as_mut()) else {
            return Err(Error::Internal("SQLite sink used after commit".into()));
        };
        if !list_tables(conn, path)?.contains(&table.name) {
            return Err(Error::MissingTable(table.name.clone()));
        }
        let stage = format!("datamask_stage_{}", staged.len() + 1);
        let columns = quote_list(
            &table
                .columns
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
        );
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{stage}; CREATE TEMP TABLE {stage} ({columns});"
        ))
        .map_err(|e| sql_error(path, e))?;
        staged.push((table.name.clone(), stage.clone(), columns.clone()));
        let params = vec!["?"; table.columns.len()].join(", ");
        let insert = conn
            .prepare(&format!(
                "INSERT INTO temp.{stage} ({columns}) VALUES ({params})"
            ))
            .map_err(|e| sql_error(path, e))?;
        Ok(Box::new(SqliteTableWriter {
            conn,
            path,
            insert,
            table: TableSchema {
                indexes: Vec::new(),
                ..table.clone()
            },
            rows: 0,
        }))
    }

    /// In place, at commit: in one `BEGIN IMMEDIATE` transaction, each table's triggers are set
    /// aside, its rows are replaced by the staged ones, the triggers come back, and foreign
    /// keys are checked: a violation that was not there before is an error, and nothing is
    /// changed.
    fn replace_staged(&mut self, staged: &[(String, String, String)]) -> Result<()> {
        let path = self.path.clone();
        let conn = self.conn()?;
        let err = |e| sql_error(&path, e);
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let before = foreign_key_violations(conn).map_err(err)?;
        for (i, (table, stage, columns)) in staged.iter().enumerate() {
            if i == 1 {
                datamask_core::failpoint("mid-swap");
            }
            let triggers: Vec<(String, String)> = conn
                .prepare(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
                )
                .and_then(|mut st| {
                    st.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(err)?;
            let mut sql = String::new();
            for (name, _) in &triggers {
                sql.push_str(&format!("DROP TRIGGER main.{};\n", quote_ident(name)));
            }
            let t = quote_ident(table);
            sql.push_str(&format!(
                "DELETE FROM main.{t};\n\
                 INSERT INTO main.{t} ({columns}) SELECT {columns} FROM temp.{stage};\n\
                 DROP TABLE temp.{stage};\n"
            ));
            for (_, create) in &triggers {
                sql.push_str(create);
                sql.push_str(";\n");
            }
            conn.execute_batch(&sql).map_err(|e| {
                Error::connector(
                    KIND,
                    format!("{}: replacing the rows of `{table}`: {e}", path.display()),
                )
            })?;
        }
        let after = foreign_key_violations(conn).map_err(err)?;
        if let Some(((child, parent), _)) = after
            .iter()
            .find(|(k, n)| before.get(*k).is_none_or(|b| *n > b))
        {
            return Err(Error::connector(
                KIND,
                format!(
                    "{}: after masking, rows of `{child}` no longer match their parent \
                     `{parent}`: mask both sides of the foreign key with the same strategy and \
                     domain (or leave them unmasked). Nothing was changed",
                    path.display()
                ),
            ));
        }
        datamask_core::failpoint("before-swap");
        conn.execute_batch("COMMIT").map_err(err)?;
        Ok(())
    }

    fn conn(&self) -> Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| Error::Internal("SQLite sink used after commit".into()))
    }
}

/// The CREATE TABLE statement for `table`.
pub fn create_table_sql(table: &TableSchema) -> String {
    let mut parts: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let mut def = format!("{} {}", quote_ident(&c.name), declared_type(c));
            if !c.nullable {
                def.push_str(" NOT NULL");
            }
            def
        })
        .collect();
    if !table.primary_key.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", quote_list(&table.primary_key)));
    }
    for unique in &table.unique {
        parts.push(format!("UNIQUE ({})", quote_list(unique)));
    }
    for fk in &table.foreign_keys {
        parts.push(format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            quote_list(&fk.columns),
            quote_ident(&fk.ref_table),
            quote_list(&fk.ref_columns)
        ));
    }
    format!(
        "CREATE TABLE {} (\n  {}\n)",
        quote_ident(&table.name),
        parts.join(",\n  ")
    )
}

struct Bind<'v>(&'v Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as Sql;
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Bool(b) => ToSqlOutput::Owned(Sql::Integer(i64::from(*b))),
            Value::Int(i) => ToSqlOutput::Owned(Sql::Integer(*i)),
            Value::UInt(u) => match i64::try_from(*u) {
                Ok(i) => ToSqlOutput::Owned(Sql::Integer(i)),
                Err(_) => ToSqlOutput::Owned(Sql::Text(u.to_string())),
            },
            Value::Float(f) => ToSqlOutput::Owned(Sql::Real(*f)),
            Value::Decimal(s) | Value::Text(s) | Value::Json(s) => {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            // Dates, times and UUIDs as ISO / hyphenated text (Value's Display).
            other => ToSqlOutput::Owned(Sql::Text(other.to_string())),
        })
    }
}

struct SqliteTableWriter<'a> {
    conn: &'a Connection,
    path: &'a Path,
    insert: rusqlite::Statement<'a>,
    table: TableSchema,
    rows: u64,
}

impl TableWriter for SqliteTableWriter<'_> {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns.len() != self.table.columns.len() {
            return Err(Error::Internal(format!(
                "table `{}`: batch has {} columns, schema has {}",
                self.table.name,
                batch.columns.len(),
                self.table.columns.len()
            )));
        }
        for r in 0..batch.len() {
            self.rows += 1;
            self.insert
                .execute(rusqlite::params_from_iter(batch.row(r).map(Bind)))
                .map_err(|e| {
                    Error::connector(
                        KIND,
                        format!(
                            "{}: table `{}`, row {}: {e}",
                            self.path.display(),
                            self.table.name,
                            self.rows
                        ),
                    )
                })?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let SqliteTableWriter {
            conn,
            path,
            insert,
            table,
            ..
        } = *self;
        drop(insert);
        for index in &table.indexes {
            let sql = format!(
                "CREATE {}INDEX {} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                quote_ident(&index.name),
                quote_ident(&table.name),
                quote_list(&index.columns)
            );
            conn.execute_batch(&sql).map_err(|e| sql_error(path, e))?;
        }
        Ok(())
    }
}

impl Sink for SqliteSink {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn existing_tables(&mut self) -> Result<Vec<String>> {
        list_tables(self.conn()?, &self.path)
    }

    fn table<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>> {
        if table.columns.is_empty() {
            return Err(Error::Unsupported(format!(
                "table `{}` has no columns; SQLite cannot create it",
                table.name
            )));
        }
        if self.in_place.is_some() {
            return self.stage(table);
        }
        let path = self.path.as_path();
        let conn = self
            .conn
            .as_ref()
            .ok_or_else(|| Error::Internal("SQLite sink used after commit".into()))?;
        let name = quote_ident(&table.name);
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS {name};\n{};",
            create_table_sql(table)
        ))
        .map_err(|e| sql_error(path, e))?;
        let columns = table
            .columns
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let params = vec!["?"; table.columns.len()].join(", ");
        let insert = conn
            .prepare(&format!("INSERT INTO {name} ({columns}) VALUES ({params})"))
            .map_err(|e| sql_error(path, e))?;
        Ok(Box::new(SqliteTableWriter {
            conn,
            path,
            insert,
            table: table.clone(),
            rows: 0,
        }))
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if let Some(staged) = self.in_place.take() {
            self.replace_staged(&staged)?;
            self.committed = true;
            return Ok(());
        }
        datamask_core::failpoint("before-swap");
        let conn = self.conn()?;
        conn.execute_batch("COMMIT; PRAGMA foreign_keys = ON;")
            .map_err(|e| sql_error(&self.path, e))?;
        self.committed = true;
        Ok(())
    }
}

/// Foreign-key violations per (child, parent) table, as `PRAGMA foreign_key_check` counts them.
fn foreign_key_violations(
    conn: &Connection,
) -> rusqlite::Result<std::collections::HashMap<(String, String), u64>> {
    let mut out = std::collections::HashMap::new();
    let mut st = conn.prepare("SELECT \"table\", parent FROM pragma_foreign_key_check")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        *out.entry(row?).or_insert(0) += 1;
    }
    Ok(out)
}

impl Drop for SqliteSink {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !self.committed {
                let _ = conn.execute_batch("ROLLBACK");
            }
            drop(conn);
        }
        if !self.committed && self.created {
            // Nothing was published: do not leave an empty database behind.
            let _ = std::fs::remove_file(&self.path);
            for suffix in ["-journal", "-wal", "-shm"] {
                let mut p = self.path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            email VARCHAR(80) NOT NULL UNIQUE,
            name TEXT,
            balance DECIMAL(10,2),
            born DATE,
            active BOOLEAN,
            photo BLOB,
            meta JSON,
            untyped
        );
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            code TEXT,
            region TEXT,
            seq INT,
            UNIQUE (customer_id, code),
            FOREIGN KEY (region, seq) REFERENCES regions(name, n)
        );
        CREATE TABLE regions (name TEXT, n INT, label TEXT, PRIMARY KEY (name, n)) WITHOUT ROWID;
        CREATE INDEX idx_orders_code ON orders (code);
        CREATE UNIQUE INDEX idx_orders_region ON orders (region, seq, id);
        CREATE TABLE notes (id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customers, body TEXT);
        CREATE VIEW v AS SELECT * FROM customers;
    "#;

    fn make_source(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            r#"
            INSERT INTO customers VALUES
              (3, 'c@x.io', 'Cé', 12.5, '2001-02-03', 1, x'00ff10', '{"a": [1, 2]}', 'free'),
              (1, 'a@x.io', NULL, '12.50', 'not a date', 0, NULL, NULL, 42),
              (2, 'b@x.io', 'B', 7, 19000, NULL, x'', '[]', 1.25);
            INSERT INTO regions VALUES ('west', 2, 'W2'), ('east', 1, 'E1'), ('west', 1, 'W1');
            INSERT INTO orders VALUES (10, 3, 'X', 'west', 1), (5, 1, 'Y', 'east', 1),
              (7, 1, NULL, NULL, NULL);
            INSERT INTO notes VALUES (1, 2, 'hello');
            "#,
        )
        .unwrap();
    }

    fn read_all(
        source: &mut dyn Source,
        table: &TableSchema,
        batch_size: usize,
    ) -> Vec<Vec<Value>> {
        let options = ReadOptions {
            batch_size,
            filter: None,
        };
        let mut rows = Vec::new();
        for batch in source.read(table, &options).unwrap() {
            let batch = batch.unwrap();
            for r in 0..batch.len() {
                rows.push(batch.row(r).cloned().collect());
            }
        }
        rows
    }

    fn copy(from: &Path, to: &Path, reverse: bool) -> Result<()> {
        let mut source = SqliteSource::open(from)?;
        let mut tables = source.tables()?;
        if reverse {
            tables.reverse(); // children before parents: FK checks must be off during the load
        }
        let mut sink = SqliteSink::open(to)?;
        for table in &tables {
            let mut writer = sink.table(table)?;
            let options = ReadOptions {
                batch_size: 2,
                filter: None,
            };
            for batch in source.read(table, &options)? {
                writer.write(&batch?)?;
            }
            writer.finish()?;
        }
        sink.commit()
    }

    #[test]
    fn foreign_declarations_are_mapped_not_copied() {
        let col = |native: &str, data_type| Column {
            native_type: Some(native.into()),
            ..Column::new("c", data_type)
        };
        let int = DataType::Int {
            bits: 32,
            unsigned: true,
        };
        assert_eq!(
            declared_type(&col("VARCHAR(80)", DataType::text())),
            "VARCHAR(80)"
        );
        assert_eq!(
            declared_type(&col("NUMERIC(10, 2)", DataType::text())),
            "NUMERIC(10, 2)"
        );
        assert_eq!(
            declared_type(&col("int(10) unsigned", int.clone())),
            "INTEGER"
        );
        let latin = "varchar(40) CHARACTER SET latin1 COLLATE latin1_swedish_ci";
        assert_eq!(
            declared_type(&col(latin, DataType::Text { max_len: Some(40) })),
            "VARCHAR(40)"
        );
        assert_eq!(declared_type(&col("integer[]", int)), "INTEGER");
    }

    #[test]
    fn introspection() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("src.db");
        make_source(&db);
        let mut source = SqliteSource::open(&db).unwrap();
        let tables = source.tables().unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["customers", "orders", "regions", "notes"]);
        let c = &tables[0];
        assert_eq!(c.primary_key, ["id"]);
        assert_eq!(c.unique, vec![vec!["email".to_string()]]);
        let email = c.column("email").unwrap();
        assert_eq!(email.data_type, DataType::Text { max_len: Some(80) });
        assert_eq!(email.native_type.as_deref(), Some("VARCHAR(80)"));
        assert!(!email.nullable);
        let families: Vec<&str> = c.columns.iter().map(|c| c.data_type.family()).collect();
        assert_eq!(
            families,
            ["int", "text", "text", "decimal", "date", "bool", "bytes", "json", "text"]
        );
        let o = &tables[1];
        assert_eq!(
            o.unique,
            vec![vec!["customer_id".to_string(), "code".into()]]
        );
        assert_eq!(
            o.foreign_keys,
            vec![
                ForeignKey {
                    columns: vec!["customer_id".into()],
                    ref_table: "customers".into(),
                    ref_columns: vec!["id".into()],
                },
                ForeignKey {
                    columns: vec!["region".into(), "seq".into()],
                    ref_table: "regions".into(),
                    ref_columns: vec!["name".into(), "n".into()],
                },
            ]
        );
        assert_eq!(
            o.indexes,
            vec![
                Index {
                    name: "idx_orders_code".into(),
                    columns: vec!["code".into()],
                    unique: false
                },
                Index {
                    name: "idx_orders_region".into(),
                    columns: vec!["region".into(), "seq".into(), "id".into()],
                    unique: true
                },
            ]
        );
        assert_eq!(tables[2].primary_key, ["name", "n"]);
        assert_eq!(tables[3].foreign_keys[0].ref_columns, ["id"]);
        assert_eq!(source.estimate_rows(&tables[0]).unwrap(), Some(3));
    }

    #[test]
    fn round_trip_keeps_values_order_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.db");
        let dst = dir.path().join("dst.db");
        make_source(&src);
        copy(&src, &dst, true).unwrap();
        let mut a = SqliteSource::open(&src).unwrap();
        let mut b = SqliteSource::open(&dst).unwrap();
        let mut ta = a.tables().unwrap();
        let mut tb = b.tables().unwrap();
        tb.reverse(); // written in reverse order
        ta.sort_by(|x, y| x.name.cmp(&y.name));
        tb.sort_by(|x, y| x.name.cmp(&y.name));
        assert_eq!(ta, tb);
        for t in &ta {
            assert_eq!(
                read_all(&mut *a, t, 1),
                read_all(&mut *b, t, 1000),
                "{}",
                t.name
            );
        }
        let rows = read_all(&mut *a, &ta[0], 2);
        // rowid order, storage classes kept.
        assert_eq!(rows[0][0], Value::Int(1));
        assert_eq!(rows[0][3], Value::Float(12.5));
        assert_eq!(rows[0][4], Value::text("not a date"));
        assert_eq!(rows[0][8], Value::Int(42));
        assert_eq!(rows[1][4], Value::Int(19000));
        assert_eq!(rows[2][6], Value::Bytes(vec![0, 255, 16]));
        // WITHOUT ROWID table in primary-key order.
        let regions = ta.iter().find(|t| t.name == "regions").unwrap();
        let rows = read_all(&mut *b, regions, 10);
        assert_eq!(rows[0][0], Value::text("east"));
        assert_eq!(rows[2][2], Value::text("W2"));
    }

    #[test]
    fn foreign_keys_hold_after_copy() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.db");
        let dst = dir.path().join("dst.db");
        make_source(&src);
        copy(&src, &dst, true).unwrap();
        let conn = Connection::open(&dst).unwrap();
        let violations: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(violations, 0);
    }

    #[test]
    fn dropped_sink_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("dst.db");
        {
            let conn = Connection::open(&dst).unwrap();
            conn.execute_batch("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('old');")
                .unwrap();
        }
        let schema = TableSchema::new(
            "t",
            vec![Column::new(
                "b",
                DataType::Int {
                    bits: 64,
                    unsigned: false,
                },
            )],
        );
        {
            let mut sink = SqliteSink::open(&dst).unwrap();
            assert_eq!(sink.existing_tables().unwrap(), ["t"]);
            let mut w = sink.table(&schema).unwrap();
            w.write(&Batch::from_rows(1, vec![vec![Value::Int(1)]]))
                .unwrap();
            w.finish().unwrap();
            // dropped without commit
        }
        let mut source = SqliteSource::open(&dst).unwrap();
        let tables = source.tables().unwrap();
        assert_eq!(tables[0].columns[0].name, "a");
        assert_eq!(
            read_all(&mut *source, &tables[0], 10),
            vec![vec![Value::text("old")]]
        );

        // An absent target is not left behind as an empty database.
        let fresh = dir.path().join("fresh.db");
        {
            let mut sink = SqliteSink::open(&fresh).unwrap();
            assert!(sink.existing_tables().unwrap().is_empty());
            sink.table(&schema).unwrap().finish().unwrap();
        }
        assert!(!fresh.exists());
    }

    #[test]
    fn missing_source_is_an_error_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nope.db");
        let err = SqliteSource::open(&db).err().unwrap().to_string();
        assert!(err.contains("nope.db"), "{err}");
        assert!(!db.exists());
    }

    #[test]
    fn values_are_bound_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("dst.db");
        let schema = TableSchema::new(
            "t",
            vec![
                Column::new("b", DataType::Bool),
                Column::new(
                    "u",
                    DataType::Int {
                        bits: 64,
                        unsigned: true,
                    },
                ),
                Column::new("d", DataType::Date),
                Column::new("u2", DataType::Uuid),
                Column::new("dec", DataType::text()),
            ],
        );
        let mut sink = SqliteSink::open(&dst).unwrap();
        let mut w = sink.table(&schema).unwrap();
        let uuid =
            datamask_core::value::parse_uuid("123e4567-e89b-12d3-a456-426614174000").unwrap();
        w.write(&Batch::from_rows(
            5,
            vec![vec![
                Value::Bool(true),
                Value::UInt(u64::MAX),
                Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 1, 31).unwrap()),
                Value::Uuid(uuid),
                Value::Decimal("1.50".into()),
            ]],
        ))
        .unwrap();
        w.finish().unwrap();
        sink.commit().unwrap();
        let mut source = SqliteSource::open(&dst).unwrap();
        let t = source.tables().unwrap().remove(0);
        assert_eq!(t.columns[2].data_type, DataType::Date);
        assert_eq!(t.columns[3].data_type, DataType::Uuid);
        assert_eq!(
            read_all(&mut *source, &t, 10)[0],
            vec![
                Value::Int(1),
                // Bound as text; the INTEGER column's affinity turns it into a REAL.
                Value::Float(18446744073709551615.0),
                Value::text("2024-01-31"),
                Value::text("123e4567-e89b-12d3-a456-426614174000"),
                Value::text("1.50"),
            ]
        );
    }

    #[test]
    fn filter_and_large_stream() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("big.db");
        {
            let conn = Connection::open(&db).unwrap();
            conn.execute_batch(
                "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
                 INSERT INTO big SELECT i, 'v' || i FROM n;",
            )
            .unwrap();
        }
        let mut source = SqliteSource::open(&db).unwrap();
        let t = source.tables().unwrap().remove(0);
        let options = ReadOptions {
            batch_size: 5000,
            filter: None,
        };
        let mut total = 0;
        let mut last = 0;
        for batch in source.read(&t, &options).unwrap() {
            let batch = batch.unwrap();
            assert!(batch.len() <= 5000);
            total += batch.len();
            let Value::Int(id) = batch.columns[0][batch.len() - 1] else {
                panic!()
            };
            assert!(id > last);
            last = id;
        }
        assert_eq!(total, 200_000);
        // Stopping early ends the reader thread cleanly.
        let first = source.read(&t, &options).unwrap().next().unwrap().unwrap();
        assert_eq!(first.len(), 5000);
        let filtered = ReadOptions {
            batch_size: 10,
            filter: Some("id % 50000 = 0".into()),
        };
        assert_eq!(read_all(&mut *source, &t, 10).len(), 200_000);
        let rows: usize = source
            .read(&t, &filtered)
            .unwrap()
            .map(|b| b.unwrap().len())
            .sum();
        assert_eq!(rows, 4);
        let bad = ReadOptions {
            batch_size: 10,
            filter: Some("no_such_column = 1".into()),
        };
        assert!(source.read(&t, &bad).is_err());
    }

    #[test]
    fn type_mapping() {
        let cases = [
            (
                "INTEGER",
                DataType::Int {
                    bits: 64,
                    unsigned: false,
                },
            ),
            (
                "tinyint",
                DataType::Int {
                    bits: 8,
                    unsigned: false,
                },
            ),
            (
                "BIGINT UNSIGNED",
                DataType::Int {
                    bits: 64,
                    unsigned: true,
                },
            ),
            ("NVARCHAR(12)", DataType::Text { max_len: Some(12) }),
            ("CLOB", DataType::text()),
            ("DOUBLE PRECISION", DataType::Float { bits: 64 }),
            (
                "NUMERIC(8, 3)",
                DataType::Decimal {
                    precision: Some(8),
                    scale: Some(3),
                },
            ),
            ("DATETIME", DataType::Timestamp),
            ("timestamp with time zone", DataType::TimestampTz),
            (
                "MONEY",
                DataType::Decimal {
                    precision: None,
                    scale: None,
                },
            ),
            ("", DataType::text()),
        ];
        for (decl, want) in cases {
            assert_eq!(logical_type(decl), want, "{decl}");
        }
        let col = Column::new("x", DataType::Text { max_len: Some(5) });
        assert_eq!(declared_type(&col), "VARCHAR(5)");
        let mut weird = col.clone();
        weird.native_type = Some("integer[]".into());
        assert_eq!(declared_type(&weird), "VARCHAR(5)");
    }
}
