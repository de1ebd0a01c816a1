//! The MySQL/MariaDB source: introspection and streaming reads.

use super::conn::{
    describe, number, qualified, quote, quote_list, rows, server_code, Target, KIND,
};
use super::introspect::{introspect, TableInfo};
use crate::FileOptions;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use datamask_core::source::ReadOptions;
use datamask_core::{
    Batch, BatchIter, Column, DataType, Error, Result, Source, TableSchema, Value,
};
use mysql::prelude::Queryable;
use mysql::{Conn, Statement};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// A MySQL or MariaDB database opened for reading.
///
/// All reads share one connection inside one `REPEATABLE READ`, read-only transaction started
/// `WITH CONSISTENT SNAPSHOT`, so every table is read as of the same moment and foreign keys
/// between tables hold in the copy even while production keeps writing. (A read abandoned
/// before its end closes that connection; the next read opens a new snapshot.)
pub struct MysqlSource {
    target: Target,
    database: String,
    mariadb: bool,
    /// The connection; lent to the reader thread while a read is in progress.
    conn: Option<Conn>,
    batch_size: usize,
    cache: Option<Vec<TableInfo>>,
}

impl std::fmt::Debug for MysqlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlSource")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl MysqlSource {
    /// Connects to the database named in `url`; a missing database is an error.
    pub fn open(url: &str, options: &FileOptions) -> Result<MysqlSource> {
        let target = Target::parse(url)?;
        let database = target.require_database()?.to_string();
        let mut source = MysqlSource {
            target,
            database,
            mariadb: false,
            conn: None,
            batch_size: options.batch_size_or(0),
            cache: None,
        };
        let conn = source.connection()?;
        source.mariadb = super::conn::is_mariadb(conn)
            .map_err(|e| source.target.error("reading the server version", e))?;
        Ok(source)
    }

    /// The shared connection, opened (with a fresh snapshot) when there is none.
    fn connection(&mut self) -> Result<&mut Conn> {
        if self.conn.is_none() {
            let mut conn = self.target.connect()?;
            if !super::conn::database_exists(&mut conn, &self.database)
                .map_err(|e| self.target.error("looking up the database", e))?
            {
                return Err(Error::connector(
                    KIND,
                    format!(
                        "{}: database `{}` does not exist, or this user has no privileges on it \
                         (check the name in the URL and the user's grants)",
                        self.target.redacted, self.database
                    ),
                ));
            }
            // Queries (`query:` inputs) name tables without their database.
            conn.query_drop(format!("USE {}", quote(&self.database)))
                .map_err(|e| self.target.error("selecting the database", e))?;
            // One statement per call: the driver reports only the first statement's error.
            for sql in [
                "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
            ] {
                conn.query_drop(sql)
                    .map_err(|e| self.target.error("starting a consistent snapshot", e))?;
            }
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("just set"))
    }

    fn infos(&mut self) -> Result<&[TableInfo]> {
        if self.cache.is_none() {
            let (db, mariadb, target) = (self.database.clone(), self.mariadb, self.target.clone());
            let conn = self.connection()?;
            self.cache = Some(introspect(conn, &target, &db, mariadb)?);
        }
        Ok(self.cache.as_deref().expect("just set"))
    }

    /// `SELECT cols FROM db.t [WHERE (filter)] ORDER BY <primary key>`.
    fn select_sql(&self, table: &TableSchema, filter: Option<&str>) -> String {
        let columns = if table.columns.is_empty() {
            "NULL".to_string()
        } else {
            table
                .columns
                .iter()
                .map(|c| quote(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut sql = format!(
            "SELECT {columns} FROM {}",
            qualified(&self.database, &table.name)
        );
        if let Some(filter) = filter.filter(|f| !f.trim().is_empty()) {
            sql.push_str(&format!(" WHERE ({filter})"));
        }
        // Primary-key order makes the output order stable; without one, the first unique key
        // whose columns are all NOT NULL serves.
        let order = if table.primary_key.is_empty() {
            table
                .unique
                .iter()
                .find(|cols| {
                    cols.iter()
                        .all(|c| table.column(c).is_some_and(|col| !col.nullable))
                })
                .cloned()
                .unwrap_or_default()
        } else {
            table.primary_key.clone()
        };
        if !order.is_empty() {
            sql.push_str(&format!(" ORDER BY {}", quote_list(&order)));
        }
        sql
    }

    fn stream<'a>(
        &'a mut self,
        table: &TableSchema,
        sql: String,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        let batch_size = if options.batch_size > 0 {
            options.batch_size
        } else {
            self.batch_size
        };
        let target = self.target.clone();
        let conn = self.connection()?;
        // Prepare here so a bad filter or a missing table fails now, not on the reader thread.
        let stmt = match conn.prep(&sql) {
            Ok(stmt) => stmt,
            Err(e) if server_code(&e) == Some(1146) => {
                return Err(Error::MissingTable(table.name.clone()))
            }
            Err(e) => {
                return Err(target.error(&format!("reading table `{}`", table.name), e));
            }
        };
        let mut conn = self.conn.take().expect("connection opened above");
        let (tx, rx) = sync_channel::<Result<Batch>>(2);
        let reader = Reader {
            target,
            table: table.clone(),
            decoders: table.columns.iter().map(Decoder::for_column).collect(),
            batch_size,
        };
        let handle = std::thread::Builder::new()
            .name(format!("mysql-read-{}", table.name))
            .spawn(move || reader.run(&mut conn, &stmt, &tx).then_some(conn))
            .map_err(|e| Error::Internal(format!("cannot start the MySQL reader thread: {e}")))?;
        Ok(Box::new(MysqlBatches {
            rx: Some(rx),
            handle: Some(handle),
            slot: &mut self.conn,
        }))
    }
}

impl Source for MysqlSource {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn tables(&mut self) -> Result<Vec<TableSchema>> {
        Ok(self.infos()?.iter().map(|i| i.schema.clone()).collect())
    }

    /// Exact (`COUNT(*)` in the snapshot) for tables InnoDB estimates below 200 000 rows,
    /// `information_schema.TABLES.TABLE_ROWS` above.
    fn estimate_rows(&mut self, table: &TableSchema) -> Result<Option<u64>> {
        let estimate = self
            .infos()?
            .iter()
            .find(|i| i.schema.name == table.name)
            .and_then(|i| i.table_rows);
        if estimate.is_some_and(|n| n >= 200_000) {
            return Ok(estimate);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM {}",
            qualified(&self.database, &table.name)
        );
        let target = self.target.clone();
        let conn = self.connection()?;
        match rows(conn, &sql, ()) {
            Ok(r) => Ok(r.first().and_then(|r| number(&r[0]))),
            Err(e) if server_code(&e) == Some(1146) => Err(Error::MissingTable(table.name.clone())),
            Err(e) => Err(target.error(&format!("counting rows of `{}`", table.name), e)),
        }
    }

    fn read<'a>(&'a mut self, table: &TableSchema, options: &ReadOptions) -> Result<BatchIter<'a>> {
        let sql = self.select_sql(table, options.filter.as_deref());
        self.stream(table, sql, options)
    }

    /// The first `rows` rows in key order, with a `LIMIT`: the server stops there.
    fn sample<'a>(&'a mut self, table: &TableSchema, rows: usize) -> Result<BatchIter<'a>> {
        let mut sql = self.select_sql(table, None);
        sql.push_str(&format!(" LIMIT {rows}"));
        let options = ReadOptions {
            batch_size: rows.clamp(1, 10_000),
            filter: None,
        };
        self.stream(table, sql, &options)
    }

    /// Prepares the query (inside the read-only snapshot, so it cannot write) and describes
    /// its result columns from the server's metadata.
    fn describe_query(&mut self, name: &str, sql: &str) -> Result<TableSchema> {
        let sql = trim_query(sql);
        let target = self.target.clone();
        let conn = self.connection()?;
        let stmt = conn.prep(sql).map_err(|e| query_error(&target, name, e))?;
        let columns: Vec<Column> = stmt.columns().iter().map(describe_column).collect();
        let _ = conn.close(stmt);
        if columns.is_empty() {
            return Err(Error::Unsupported(format!(
                "query `{name}` returns no rows; only SELECT queries can be copied"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = columns.iter().find(|c| !seen.insert(c.name.as_str())) {
            return Err(Error::Unsupported(format!(
                "query `{name}` returns two columns called `{}`; give them distinct aliases",
                dup.name
            )));
        }
        Ok(TableSchema::new(name, columns))
    }

    fn read_query<'a>(
        &'a mut self,
        table: &TableSchema,
        sql: &str,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        let sql = trim_query(sql);
        let sql = match options.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(filter) => format!("SELECT * FROM ({sql}) AS dm_query WHERE ({filter})"),
            None => sql.to_string(),
        };
        self.stream(table, sql, options)
    }
}

/// A query without surrounding blanks and trailing semicolons.
fn trim_query(sql: &str) -> &str {
    sql.trim().trim_end_matches(';').trim_end()
}

fn query_error(target: &Target, name: &str, e: mysql::Error) -> Error {
    Error::connector(
        KIND,
        format!("{}: query `{name}`: {}", target.redacted, describe(&e)),
    )
}

/// A result column of a query, from the protocol's column metadata.
fn describe_column(c: &mysql::Column) -> Column {
    use mysql::consts::{ColumnFlags, ColumnType as T};
    let flags = c.flags();
    let unsigned = flags.contains(ColumnFlags::UNSIGNED_FLAG);
    let binary = c.character_set() == 63;
    let int = |bits| DataType::Int { bits, unsigned };
    let mut native = None;
    let data_type = match c.column_type() {
        T::MYSQL_TYPE_TINY => int(8),
        T::MYSQL_TYPE_SHORT => int(16),
        T::MYSQL_TYPE_INT24 => int(24),
        T::MYSQL_TYPE_LONG => int(32),
        T::MYSQL_TYPE_LONGLONG => int(64),
        T::MYSQL_TYPE_YEAR => DataType::Int {
            bits: 16,
            unsigned: false,
        },
        T::MYSQL_TYPE_BIT => {
            native = Some(format!("bit({})", c.column_length()));
            DataType::Int {
                bits: 64,
                unsigned: true,
            }
        }
        T::MYSQL_TYPE_FLOAT => DataType::Float { bits: 32 },
        T::MYSQL_TYPE_DOUBLE => DataType::Float { bits: 64 },
        T::MYSQL_TYPE_DECIMAL | T::MYSQL_TYPE_NEWDECIMAL => {
            let scale = u32::from(c.decimals());
            // The display length counts the sign and the point.
            let length = c.column_length();
            let precision = length
                .saturating_sub(u32::from(!unsigned))
                .saturating_sub(u32::from(scale > 0));
            DataType::Decimal {
                precision: Some(precision),
                scale: Some(scale),
            }
        }
        T::MYSQL_TYPE_DATE | T::MYSQL_TYPE_NEWDATE => DataType::Date,
        T::MYSQL_TYPE_TIME | T::MYSQL_TYPE_TIME2 => DataType::Time,
        T::MYSQL_TYPE_DATETIME | T::MYSQL_TYPE_DATETIME2 => DataType::Timestamp,
        T::MYSQL_TYPE_TIMESTAMP | T::MYSQL_TYPE_TIMESTAMP2 => DataType::TimestampTz,
        T::MYSQL_TYPE_JSON => DataType::Json,
        T::MYSQL_TYPE_GEOMETRY | T::MYSQL_TYPE_VECTOR => DataType::Bytes,
        T::MYSQL_TYPE_TINY_BLOB
        | T::MYSQL_TYPE_MEDIUM_BLOB
        | T::MYSQL_TYPE_LONG_BLOB
        | T::MYSQL_TYPE_BLOB
        | T::MYSQL_TYPE_VAR_STRING
        | T::MYSQL_TYPE_STRING
        | T::MYSQL_TYPE_VARCHAR
            if binary =>
        {
            DataType::Bytes
        }
        _ => DataType::text(),
    };
    Column {
        name: c.name_str().into_owned(),
        data_type,
        native_type: native,
        nullable: !flags.contains(ColumnFlags::NOT_NULL_FLAG),
        constraints: Default::default(),
        comment: None,
    }
}

/// How one column's driver values become [`Value`]s.
#[derive(Debug, Clone, Copy)]
enum Decoder {
    Int,
    UInt,
    /// `BIT(n)`: big-endian bytes.
    Bit,
    Float32,
    Float64,
    Decimal,
    Text,
    Json,
    Bytes,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Uuid,
    Bool,
}

impl Decoder {
    fn for_column(column: &Column) -> Decoder {
        let native = column.native_type.as_deref().unwrap_or("");
        if native.len() >= 3 && native[..3].eq_ignore_ascii_case("bit") {
            return Decoder::Bit;
        }
        match &column.data_type {
            DataType::Bool => Decoder::Bool,
            DataType::Int { unsigned: true, .. } => Decoder::UInt,
            DataType::Int { .. } => Decoder::Int,
            DataType::Float { bits: 32 } => Decoder::Float32,
            DataType::Float { .. } => Decoder::Float64,
            DataType::Decimal { .. } => Decoder::Decimal,
            DataType::Text { .. } => Decoder::Text,
            DataType::Json => Decoder::Json,
            DataType::Bytes => Decoder::Bytes,
            DataType::Date => Decoder::Date,
            DataType::Time => Decoder::Time,
            DataType::Timestamp => Decoder::Timestamp,
            DataType::TimestampTz => Decoder::TimestampTz,
            DataType::Uuid => Decoder::Uuid,
        }
    }

    /// Decodes one value; the error message never contains the value.
    fn decode(self, v: mysql::Value) -> std::result::Result<Value, &'static str> {
        use mysql::Value as M;
        Ok(match (self, v) {
            (_, M::NULL) => Value::Null,
            (Decoder::Int, M::Int(i)) => Value::Int(i),
            (Decoder::Int, M::UInt(u)) => {
                Value::Int(i64::try_from(u).map_err(|_| "integer out of range")?)
            }
            (Decoder::UInt, M::UInt(u)) => Value::UInt(u),
            (Decoder::UInt, M::Int(i)) => {
                Value::UInt(u64::try_from(i).map_err(|_| "negative value in an unsigned column")?)
            }
            (Decoder::Bit, M::Bytes(b)) if b.len() <= 8 => {
                Value::UInt(b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
            }
            (Decoder::Bit, M::Int(i)) => Value::UInt(i as u64),
            (Decoder::Bit, M::UInt(u)) => Value::UInt(u),
            (Decoder::Int | Decoder::UInt | Decoder::Bool, M::Bytes(b)) => {
                let s = std::str::from_utf8(&b).map_err(|_| "not a number")?.trim();
                match self {
                    Decoder::UInt => Value::UInt(s.parse().map_err(|_| "not a number")?),
                    Decoder::Bool => {
                        Value::Bool(s.parse::<i64>().map_err(|_| "not a number")? != 0)
                    }
                    _ => Value::Int(s.parse().map_err(|_| "not a number")?),
                }
            }
            (Decoder::Bool, M::Int(i)) => Value::Bool(i != 0),
            (Decoder::Bool, M::UInt(u)) => Value::Bool(u != 0),
            // A FLOAT is widened through its shortest decimal form, so 1.1 stays 1.1 (not
            // 1.100000023841858) and narrows back to the same FLOAT.
            (Decoder::Float32 | Decoder::Float64, M::Float(f)) => {
                Value::Float(f.to_string().parse().map_err(|_| "not a number")?)
            }
            (Decoder::Float32 | Decoder::Float64, M::Double(f)) => Value::Float(f),
            (Decoder::Float32 | Decoder::Float64, M::Bytes(b)) => Value::Float(
                std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .ok_or("not a number")?,
            ),
            (Decoder::Decimal, M::Bytes(b)) => Value::Decimal(utf8(b)?.into()),
            (Decoder::Decimal, M::Int(i)) => Value::Decimal(i.to_string().into()),
            (Decoder::Decimal, M::UInt(u)) => Value::Decimal(u.to_string().into()),
            (Decoder::Text, M::Bytes(b)) => Value::Text(utf8(b)?.into()),
            (Decoder::Json, M::Bytes(b)) => Value::Json(utf8(b)?.into()),
            (Decoder::Bytes, M::Bytes(b)) => Value::Bytes(b),
            (Decoder::Uuid, M::Bytes(b)) => {
                if b.len() == 16 {
                    let mut u = [0u8; 16];
                    u.copy_from_slice(&b);
                    Value::Uuid(u)
                } else {
                    let s = utf8(b)?;
                    Value::Uuid(datamask_core::value::parse_uuid(&s).ok_or("not a UUID")?)
                }
            }
            (Decoder::Date, M::Date(y, m, d, ..)) => Value::Date(date(y, m, d)?),
            (Decoder::Timestamp | Decoder::TimestampTz, M::Date(y, m, d, h, mi, s, us)) => {
                let ts = date(y, m, d)?
                    .and_hms_micro_opt(h.into(), mi.into(), s.into(), us)
                    .ok_or("invalid date-time")?;
                if matches!(self, Decoder::TimestampTz) {
                    Value::TimestampTz(DateTime::<Utc>::from_naive_utc_and_offset(ts, Utc))
                } else {
                    Value::Timestamp(ts)
                }
            }
            (Decoder::Time, M::Time(negative, days, h, m, s, us)) => {
                match (negative, days) {
                    (false, 0) => Value::Time(
                        NaiveTime::from_hms_micro_opt(h.into(), m.into(), s.into(), us)
                            .ok_or("invalid time")?,
                    ),
                    // MySQL TIME is a duration (-838:59:59 to 838:59:59): values outside a
                    // day travel as their text form.
                    _ => {
                        let hours = u64::from(days) * 24 + u64::from(h);
                        let mut t = format!(
                            "{}{hours:02}:{m:02}:{s:02}",
                            if negative { "-" } else { "" }
                        );
                        if us > 0 {
                            t.push_str(&format!(".{us:06}"));
                        }
                        Value::Text(t.into())
                    }
                }
            }
            (_, M::Bytes(b)) => Value::Text(utf8(b)?.into()),
            (_, M::Int(i)) => Value::Int(i),
            (_, M::UInt(u)) => Value::UInt(u),
            (_, M::Float(f)) => Value::Float(f.into()),
            (_, M::Double(f)) => Value::Float(f),
            (_, M::Date(y, m, d, h, mi, s, us)) => Value::Timestamp(
                date(y, m, d)?
                    .and_hms_micro_opt(h.into(), mi.into(), s.into(), us)
                    .ok_or("invalid date-time")?,
            ),
            (_, M::Time(..)) => return Err("unexpected TIME value"),
        })
    }
}

fn utf8(b: Vec<u8>) -> std::result::Result<String, &'static str> {
    String::from_utf8(b).map_err(|_| "text is not valid UTF-8")
}

fn date(y: u16, m: u8, d: u8) -> std::result::Result<NaiveDate, &'static str> {
    NaiveDate::from_ymd_opt(y.into(), m.into(), d.into()).ok_or(
        "a zero or invalid date (such as 0000-00-00) has no representation; \
         NULL it in the source or filter the row out with `where:`",
    )
}

/// Runs on the reader thread.
struct Reader {
    target: Target,
    table: TableSchema,
    decoders: Vec<Decoder>,
    batch_size: usize,
}

impl Reader {
    /// Streams the rows of `stmt` into `tx`. Returns whether `conn` can be reused: a read
    /// abandoned half-way (the consumer stopped, or a value could not be decoded) gives the
    /// connection up rather than draining the rest of the table from the server.
    fn run(&self, conn: &mut Conn, stmt: &Statement, tx: &SyncSender<Result<Batch>>) -> bool {
        let width = self.decoders.len();
        let mut result = match conn.exec_iter(stmt, ()) {
            Ok(result) => result,
            Err(e) => {
                let _ = tx.send(Err(self.error(e)));
                return true;
            }
        };
        let mut batch = Batch::with_capacity(width, self.batch_size.min(4096));
        let mut row_number: u64 = 0;
        let mut failure: Option<Error> = None;
        for row in result.by_ref() {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let _ = tx.send(Err(self.error(e)));
                    return false;
                }
            };
            row_number += 1;
            for (i, value) in row.unwrap().into_iter().enumerate().take(width) {
                match self.decoders[i].decode(value) {
                    Ok(v) => batch.columns[i].push(v),
                    Err(message) => {
                        failure = Some(Error::Value {
                            table: self.table.name.clone(),
                            column: self.table.columns[i].name.clone(),
                            row: row_number.to_string(),
                            message: message.to_string(),
                        });
                        break;
                    }
                }
            }
            if failure.is_some() {
                break;
            }
            if width == 0 {
                continue;
            }
            if batch.len() >= self.batch_size {
                let full = std::mem::replace(
                    &mut batch,
                    Batch::with_capacity(width, self.batch_size.min(4096)),
                );
                if tx.send(Ok(full)).is_err() {
                    // The consumer stopped reading: drop the connection without draining.
                    std::mem::forget(result);
                    return false;
                }
            }
        }
        if let Some(e) = failure {
            let _ = tx.send(Err(e));
            std::mem::forget(result);
            return false;
        }
        drop(result);
        if !batch.is_empty() {
            let _ = tx.send(Ok(batch));
        }
        true
    }

    fn error(&self, e: mysql::Error) -> Error {
        Error::connector(
            KIND,
            format!(
                "{}: reading table `{}`: {}",
                self.target.redacted,
                self.table.name,
                describe(&e)
            ),
        )
    }
}

struct MysqlBatches<'a> {
    rx: Option<Receiver<Result<Batch>>>,
    handle: Option<JoinHandle<Option<Conn>>>,
    /// Where the connection goes back when the reader is done.
    slot: &'a mut Option<Conn>,
}

impl Iterator for MysqlBatches<'_> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.rx.as_ref()?.recv().ok();
        if item.is_none() {
            self.stop();
        }
        item
    }
}

impl MysqlBatches<'_> {
    fn stop(&mut self) {
        self.rx = None; // makes the reader's next send fail, so it stops
        if let Some(handle) = self.handle.take() {
            if let Ok(Some(conn)) = handle.join() {
                *self.slot = Some(conn);
            }
        }
    }
}

impl Drop for MysqlBatches<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql::Value as M;

    #[test]
    fn decoding() {
        assert_eq!(
            Decoder::UInt.decode(M::UInt(u64::MAX)).unwrap(),
            Value::UInt(u64::MAX)
        );
        assert_eq!(Decoder::UInt.decode(M::Int(7)).unwrap(), Value::UInt(7));
        assert_eq!(
            Decoder::Bit.decode(M::Bytes(vec![1, 0])).unwrap(),
            Value::UInt(256)
        );
        assert_eq!(
            Decoder::Float32.decode(M::Float(1.1)).unwrap(),
            Value::Float(1.1)
        );
        assert_eq!(
            Decoder::Decimal
                .decode(M::Bytes(b"-12.50".to_vec()))
                .unwrap(),
            Value::Decimal("-12.50".into())
        );
        assert_eq!(
            Decoder::Time.decode(M::Time(true, 1, 2, 3, 4, 5)).unwrap(),
            Value::text("-26:03:04.000005")
        );
        let err = Decoder::Date
            .decode(M::Date(0, 0, 0, 0, 0, 0, 0))
            .unwrap_err();
        assert!(err.contains("0000-00-00"));
        assert!(Decoder::Text.decode(M::Bytes(vec![0xff])).is_err());
        let ts = Decoder::TimestampTz
            .decode(M::Date(2024, 2, 29, 23, 59, 58, 123456))
            .unwrap();
        assert_eq!(ts.to_string(), "2024-02-29 23:59:58.123456+00:00");
    }
}
