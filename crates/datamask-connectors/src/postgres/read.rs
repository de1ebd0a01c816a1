//! The PostgreSQL source: introspection plus binary `COPY ... TO STDOUT` on a reader thread.

use super::conn::{describe, quote_ident, quote_list, Target, KIND};
use super::introspect::{self, TableMeta};
use super::types::{decode, Wire};
use crate::FileOptions;
use datamask_core::source::ReadOptions;
use datamask_core::{Batch, BatchIter, Error, Result, Source, TableSchema, Value};
use futures_util::StreamExt;
use postgres::Client;
use std::sync::mpsc::{sync_channel, SyncSender};

/// A PostgreSQL database opened for reading.
pub struct PgSource {
    target: Target,
    client: Client,
    options: FileOptions,
    tables: Option<Vec<TableMeta>>,
    /// The snapshot every reader connection joins: imported (`FileOptions::snapshot`) or
    /// exported by this source's own connection ([`Source::export_snapshot`]).
    snapshot: Option<String>,
}

impl PgSource {
    /// Connects to `url`. Nothing is read until [`Source::tables`] or [`Source::read`].
    pub fn open(url: &str, options: &FileOptions) -> Result<PgSource> {
        let target = Target::parse(url)?;
        let client = target.connect()?;
        Ok(PgSource {
            target,
            client,
            options: options.clone(),
            tables: None,
            snapshot: options.snapshot.clone(),
        })
    }

    fn metas(&mut self, refresh: bool) -> Result<&[TableMeta]> {
        if refresh || self.tables.is_none() {
            self.tables = Some(introspect::load(&mut self.client, &self.target)?);
        }
        Ok(self.tables.as_deref().unwrap_or_default())
    }

    /// The catalog entry for `name`, re-reading the catalog once if it is not known yet.
    fn meta(&mut self, name: &str) -> Result<TableMeta> {
        let known = self
            .tables
            .as_ref()
            .is_some_and(|t| t.iter().any(|m| m.schema.name == name));
        let metas = self.metas(!known)?;
        metas
            .iter()
            .find(|m| m.schema.name == name)
            .cloned()
            .ok_or_else(|| Error::MissingTable(name.to_string()))
    }
}

/// The `SELECT` behind a read: the requested columns (text-carried ones cast to `text`), the
/// filter, and, when `ordered`, primary-key order when the table has a primary key (otherwise
/// physical order, which PostgreSQL does not promise to keep stable).
fn select_sql(
    meta: &TableMeta,
    table: &TableSchema,
    filter: Option<&str>,
    ordered: bool,
) -> Result<(String, Vec<Wire>)> {
    let mut items = Vec::with_capacity(table.columns.len());
    let mut wires = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let i = meta.schema.column_index(&column.name).ok_or_else(|| {
            Error::connector(
                KIND,
                format!(
                    "table `{}` has no column `{}` in the source",
                    table.name, column.name
                ),
            )
        })?;
        let wire = meta.wires[i];
        let ident = quote_ident(&column.name);
        items.push(if wire.needs_text_cast() {
            format!("{ident}::pg_catalog.text")
        } else {
            ident
        });
        wires.push(wire);
    }
    let mut sql = format!("SELECT {} FROM {}", items.join(", "), meta.relation_sql());
    if let Some(filter) = filter.filter(|f| !f.trim().is_empty()) {
        sql.push_str(&format!(" WHERE ({filter})"));
    }
    if ordered && !meta.schema.primary_key.is_empty() {
        sql.push_str(&format!(
            " ORDER BY {}",
            quote_list(&meta.schema.primary_key)
        ));
    }
    Ok((sql, wires))
}

impl Source for PgSource {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn tables(&mut self) -> Result<Vec<TableSchema>> {
        Ok(self.metas(true)?.iter().map(|m| m.schema.clone()).collect())
    }

    fn estimate_rows(&mut self, table: &TableSchema) -> Result<Option<u64>> {
        let meta = self.meta(&table.name)?;
        introspect::estimate_rows(&mut self.client, &self.target, &meta).map(Some)
    }

    fn count_rows(&mut self, table: &TableSchema) -> Result<Option<u64>> {
        let meta = self.meta(&table.name)?;
        let sql = format!("SELECT pg_catalog.count(*) FROM {}", meta.relation_sql());
        let n: i64 = self
            .client
            .query_one(&sql, &[])
            .map_err(|e| self.target.error_in("counting rows", e))?
            .get(0);
        Ok(Some(n.max(0) as u64))
    }

    fn key_filter(&self, column: &str, keys: &[&str]) -> Option<String> {
        let literals: Vec<String> = keys
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "''")))
            .collect();
        // Untyped literals take the column's type, so the primary key's index serves the lookup.
        Some(format!(
            "{} IN ({})",
            quote_ident(column),
            literals.join(", ")
        ))
    }

    fn enforced(&mut self, table: &TableSchema) -> Result<datamask_core::Enforced> {
        let meta = self.meta(&table.name)?;
        introspect::enforced(&mut self.client, &self.target, &meta)
    }

    fn read<'a>(&'a mut self, table: &TableSchema, options: &ReadOptions) -> Result<BatchIter<'a>> {
        self.read_table(table, options, true)
    }

    /// Physical order: a sequential scan, where key order walks the primary key's index (or
    /// sorts). Readers' sessions switch synchronised scans off, so the order is the same on
    /// every read of an unchanged table.
    fn read_unordered<'a>(
        &'a mut self,
        table: &TableSchema,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        self.read_table(table, options, false)
    }

    /// The first `rows` rows in primary-key order (physical order without a key), with a
    /// `LIMIT`: the server stops there, through the key's index when there is one.
    fn sample<'a>(&'a mut self, table: &TableSchema, rows: usize) -> Result<BatchIter<'a>> {
        let meta = self.meta(&table.name)?;
        let (mut select, wires) = select_sql(&meta, table, None, true)?;
        select.push_str(&format!(" LIMIT {rows}"));
        let context = format!("table `{}`", table.name);
        let options = ReadOptions {
            batch_size: rows.clamp(1, 10_000),
            filter: None,
        };
        self.stream(&context, table, select, wires, &options)
    }

    fn describe_query(&mut self, name: &str, sql: &str) -> Result<TableSchema> {
        Ok(self.describe(name, sql)?.0)
    }

    /// Opens a `REPEATABLE READ READ ONLY` transaction on this source's connection and exports
    /// its snapshot (`pg_export_snapshot`); every reader connection of this source, and of
    /// sources opened with the token, runs `SET TRANSACTION SNAPSHOT` with it. A server that
    /// cannot export one (a standby of an old version) gets `None`: each read then has its
    /// own snapshot.
    fn export_snapshot(&mut self) -> Result<Option<String>> {
        if self.snapshot.is_some() {
            return Ok(self.snapshot.clone());
        }
        let exported = self
            .client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .and_then(|()| {
                self.client
                    .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            });
        match exported {
            Ok(row) => self.snapshot = Some(row.get(0)),
            Err(_) => {
                let _ = self.client.batch_execute("ROLLBACK");
            }
        }
        Ok(self.snapshot.clone())
    }

    fn read_query<'a>(
        &'a mut self,
        table: &TableSchema,
        sql: &str,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        let (described, wires) = self.describe(&table.name, sql)?;
        let mut items = Vec::with_capacity(table.columns.len());
        let mut picked = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let i = described.column_index(&column.name).ok_or_else(|| {
                Error::connector(
                    KIND,
                    format!("query `{}` returns no column `{}`", table.name, column.name),
                )
            })?;
            let ident = format!("q.{}", quote_ident(&column.name));
            items.push(if wires[i].needs_text_cast() {
                format!("{ident}::pg_catalog.text")
            } else {
                ident
            });
            picked.push(wires[i]);
        }
        let mut select = format!(
            "SELECT {} FROM ({}\n) AS q",
            items.join(", "),
            trim_query(sql)
        );
        if let Some(filter) = options.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            select.push_str(&format!(" WHERE ({filter})"));
        }
        let context = format!("query `{}`", table.name);
        self.stream(&context, table, select, picked, options)
    }
}

/// A query without the trailing semicolons and blanks that would break `COPY (query)`.
fn trim_query(sql: &str) -> &str {
    sql.trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

impl PgSource {
    /// The columns a query returns, as a table called `name`: types from the server's result
    /// description (with their modifiers), native types from `format_type`. Every column is
    /// nullable (a query's result says nothing about it).
    fn describe(&mut self, name: &str, sql: &str) -> Result<(TableSchema, Vec<Wire>)> {
        let display = self.target.display.clone();
        let err = |e: postgres::Error| {
            Error::connector(KIND, format!("{display}: query `{name}`: {}", describe(&e)))
        };
        let statement = self.client.prepare(trim_query(sql)).map_err(err)?;
        let domains = introspect::domains(&mut self.client).map_err(err)?;
        let mut columns = Vec::with_capacity(statement.columns().len());
        let mut wires = Vec::with_capacity(statement.columns().len());
        let mut seen = std::collections::HashSet::new();
        for c in statement.columns() {
            if !seen.insert(c.name().to_string()) {
                return Err(Error::connector(
                    KIND,
                    format!(
                        "query `{name}` returns two columns named `{}`; give them distinct \
                         names with AS",
                        c.name()
                    ),
                ));
            }
            let (type_oid, typmod) =
                introspect::resolve_domain(&domains, c.type_().oid(), c.type_modifier());
            let (data_type, wire) = super::types::classify(type_oid, typmod);
            let native: String = self
                .client
                .query_one(
                    "SELECT pg_catalog.format_type($1, $2)",
                    &[&c.type_().oid(), &c.type_modifier()],
                )
                .map_err(err)?
                .get(0);
            columns.push(datamask_core::Column {
                name: c.name().to_string(),
                data_type,
                native_type: Some(native),
                nullable: true,
                constraints: Default::default(),
                comment: None,
            });
            wires.push(wire);
        }
        Ok((TableSchema::new(name, columns), wires))
    }

    /// Streams `select` through binary COPY on a reader thread.
    /// Streams `table` (see [`select_sql`] for `ordered`).
    fn read_table<'a>(
        &'a mut self,
        table: &TableSchema,
        options: &ReadOptions,
        ordered: bool,
    ) -> Result<BatchIter<'a>> {
        let meta = self.meta(&table.name)?;
        let (select, wires) = select_sql(&meta, table, options.filter.as_deref(), ordered)?;
        let context = format!("table `{}`", table.name);
        self.stream(&context, table, select, wires, options)
    }

    fn stream<'a>(
        &'a mut self,
        context: &str,
        table: &TableSchema,
        select: String,
        wires: Vec<Wire>,
        options: &ReadOptions,
    ) -> Result<BatchIter<'a>> {
        // Prepared here so a bad filter or query fails now, with a clear message, not on the
        // reader thread.
        self.client.prepare(&select).map_err(|e| {
            Error::connector(
                KIND,
                format!("{}: {context}: {}", self.target.display, describe(&e)),
            )
        })?;
        let copy = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
        let batch_size = self.options.batch_size_or(options.batch_size);
        let (tx, rx) = sync_channel::<Result<Batch>>(2);
        let target = self.target.clone();
        let reader = Reader {
            snapshot: self.snapshot.clone(),
            table: table.name.clone(),
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
            wires,
            batch_size,
        };
        let handle = std::thread::Builder::new()
            .name(format!("pg-read-{}", table.name))
            .spawn(move || {
                if let Err(e) = reader.run(&target, &copy, &tx) {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(|e| {
                Error::Internal(format!("cannot start the PostgreSQL reader thread: {e}"))
            })?;
        Ok(Box::new(crate::threaded::ThreadedBatches::new(rx, handle)))
    }
}

/// What the reader thread needs to decode one table.
struct Reader {
    /// A snapshot to join (`SET TRANSACTION SNAPSHOT`).
    snapshot: Option<String>,
    table: String,
    columns: Vec<String>,
    wires: Vec<Wire>,
    batch_size: usize,
}

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

impl Reader {
    /// Runs on the reader thread: sends batches until the table ends or the receiver goes away.
    ///
    /// The thread drives its connection on its own single-threaded tokio runtime, in one
    /// `block_on` for the whole table: through the synchronous client every row (one COPY
    /// message) cost a blocking call, about a seventh of a table copy's CPU.
    fn run(&self, target: &Target, copy: &str, tx: &SyncSender<Result<Batch>>) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the PostgreSQL reader: {e}")))?;
        runtime.block_on(self.run_async(target, copy, tx))
    }

    async fn run_async(
        &self,
        target: &Target,
        copy: &str,
        tx: &SyncSender<Result<Batch>>,
    ) -> Result<()> {
        let client = target.connect_async().await.map_err(|e| target.error(e))?;
        // Reads never write: a query with a data-modifying part fails instead of running. A
        // sequential scan starts at the table's first page, not wherever a concurrent scan of
        // the same table is (PostgreSQL's default for large tables): physical order, read
        // without a key (or unordered), stays the same from one read to the next.
        client
            .batch_execute(
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; \
                 SET synchronize_seqscans = off",
            )
            .await
            .map_err(|e| target.error(e))?;
        if let Some(id) = &self.snapshot {
            client
                .batch_execute(&format!(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
                     SET TRANSACTION SNAPSHOT '{}'",
                    id.replace('\'', "''")
                ))
                .await
                .map_err(|e| target.error_in("joining the source's snapshot", e))?;
        }
        let cancel = client.cancel_token();
        let result = self.stream(&client, target, copy, tx).await;
        if !matches!(result, Ok(true)) {
            // Stopped early (error, or the consumer went away): stop the server's side too
            // rather than let it produce the rest of the table into a closed socket.
            target.cancel(&cancel).await;
        }
        result.map(|_| ())
    }

    /// Streams the COPY output; `Ok(true)` when the table was read to its end.
    async fn stream(
        &self,
        client: &tokio_postgres::Client,
        target: &Target,
        copy: &str,
        tx: &SyncSender<Result<Batch>>,
    ) -> Result<bool> {
        let data_error = |e: postgres::Error| {
            Error::connector(
                KIND,
                format!(
                    "{}: reading table `{}`: {}",
                    target.display,
                    self.table,
                    describe(&e)
                ),
            )
        };
        let stream = client.copy_out(copy).await.map_err(data_error)?;
        let mut stream = std::pin::pin!(stream);
        let mut parser = Parser::new(self);
        let mut ended = false;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(data_error)?;
            if ended {
                continue; // read to the end of the stream so the COPY completes cleanly
            }
            match parser.feed(&chunk, tx)? {
                State::More => {}
                State::Ended => ended = true,
                State::Stopped => return Ok(false), // the consumer stopped reading
            }
        }
        if !ended {
            return Err(self.malformed("the stream ended before its end marker"));
        }
        if !parser.carry.is_empty() {
            return Err(self.malformed("data after the end marker"));
        }
        if !parser.batch.is_empty() {
            let _ = tx.send(Ok(parser.batch));
        }
        Ok(true)
    }

    fn malformed(&self, message: &str) -> Error {
        Error::malformed(
            format!("PostgreSQL COPY of table `{}`", self.table),
            message,
        )
    }
}

/// How far [`Parser::parse`] got in one piece of data.
struct Step {
    /// Bytes of complete rows (and header) taken; the rest waits for more data.
    consumed: usize,
    state: State,
}

impl Step {
    /// Everything from `consumed` on waits for more data.
    fn more(consumed: usize) -> Step {
        Step {
            consumed,
            state: State::More,
        }
    }
}

enum State {
    More,
    /// The end marker was read.
    Ended,
    /// The receiver of the batches went away.
    Stopped,
}

/// Decodes binary COPY rows into batches.
struct Parser<'r> {
    reader: &'r Reader,
    /// The start of a row split across messages, until its end arrives: rows are otherwise
    /// parsed straight from each message, without copying.
    carry: Vec<u8>,
    header_done: bool,
    batch: Batch,
    row: u64,
    /// Field offsets of the row being decoded (start, length; -1 for NULL).
    fields: Vec<(usize, i32)>,
}

impl<'r> Parser<'r> {
    fn new(reader: &'r Reader) -> Self {
        Parser {
            reader,
            carry: Vec::new(),
            header_done: false,
            batch: Batch::with_capacity(reader.wires.len(), reader.batch_size),
            row: 0,
            fields: Vec::with_capacity(reader.wires.len()),
        }
    }

    /// Takes in one COPY message.
    fn feed(&mut self, chunk: &[u8], tx: &SyncSender<Result<Batch>>) -> Result<State> {
        if self.carry.is_empty() {
            let step = self.parse(chunk, tx)?;
            self.carry.extend_from_slice(&chunk[step.consumed..]);
            return Ok(step.state);
        }
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        let step = self.parse(&data, tx)?;
        data.drain(..step.consumed);
        self.carry = data;
        Ok(step.state)
    }

    /// Takes the header and every complete row of `data`, sending full batches.
    fn parse(&mut self, data: &[u8], tx: &SyncSender<Result<Batch>>) -> Result<Step> {
        let mut at = 0;
        if !self.header_done {
            let Some(header) = data.get(..19) else {
                return Ok(Step::more(0));
            };
            if &header[..11] != SIGNATURE {
                return Err(self.reader.malformed("not a binary COPY stream"));
            }
            let extension = u32::from_be_bytes(header[15..19].try_into().expect("4 bytes"));
            let end = 19 + extension as usize;
            if data.len() < end {
                return Ok(Step::more(0));
            }
            at = end;
            self.header_done = true;
        }
        let width = self.reader.wires.len();
        loop {
            let Some(count) = data.get(at..at + 2) else {
                return Ok(Step::more(at));
            };
            let count = i16::from_be_bytes([count[0], count[1]]);
            if count == -1 {
                return Ok(Step {
                    consumed: at + 2,
                    state: State::Ended,
                });
            }
            if count as usize != width {
                return Err(self
                    .reader
                    .malformed("row has an unexpected number of fields"));
            }
            // Find the row's end before decoding anything of it.
            self.fields.clear();
            let mut pos = at + 2;
            for _ in 0..width {
                let Some(len) = data.get(pos..pos + 4) else {
                    return Ok(Step::more(at));
                };
                let len = i32::from_be_bytes(len.try_into().expect("4 bytes"));
                pos += 4;
                self.fields.push((pos, len));
                if len > 0 {
                    pos += len as usize;
                }
            }
            if pos > data.len() {
                return Ok(Step::more(at));
            }
            self.row += 1;
            self.decode_row(data)?;
            at = pos;
            if self.batch.len() >= self.reader.batch_size {
                let full = std::mem::replace(
                    &mut self.batch,
                    Batch::with_capacity(width, self.reader.batch_size),
                );
                if tx.send(Ok(full)).is_err() {
                    return Ok(Step {
                        consumed: at,
                        state: State::Stopped,
                    });
                }
            }
        }
    }

    fn decode_row(&mut self, data: &[u8]) -> Result<()> {
        for (i, (&(start, len), wire)) in self.fields.iter().zip(&self.reader.wires).enumerate() {
            let value = if len < 0 {
                Value::Null
            } else {
                decode(*wire, &data[start..start + len as usize]).map_err(|message| {
                    Error::Value {
                        table: self.reader.table.clone(),
                        column: self.reader.columns[i].clone(),
                        row: self.row.to_string(),
                        message: message.to_string(),
                    }
                })?
            };
            self.batch.columns[i].push(value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_bytes(rows: &[(i32, Option<&str>)]) -> Vec<u8> {
        let mut out = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\x03xyz".to_vec();
        for (n, text) in rows {
            out.extend_from_slice(&2i16.to_be_bytes());
            out.extend_from_slice(&4i32.to_be_bytes());
            out.extend_from_slice(&n.to_be_bytes());
            match text {
                Some(t) => {
                    out.extend_from_slice(&(t.len() as i32).to_be_bytes());
                    out.extend_from_slice(t.as_bytes());
                }
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    /// Rows come out the same however the stream is cut into messages.
    #[test]
    fn rows_split_across_messages_are_decoded_whole() {
        let reader = Reader {
            snapshot: None,
            table: "t".into(),
            columns: vec!["n".into(), "s".into()],
            wires: vec![Wire::Int4, Wire::Text],
            batch_size: 2,
        };
        let rows = [
            (1, Some("one")),
            (-2, None),
            (3, Some("")),
            (4, Some("vier")),
        ];
        let bytes = stream_bytes(&rows);
        for size in 1..=bytes.len() {
            let (tx, rx) = sync_channel(16);
            let mut parser = Parser::new(&reader);
            let mut states = Vec::new();
            for chunk in bytes.chunks(size) {
                states.push(matches!(parser.feed(chunk, &tx).unwrap(), State::Ended));
            }
            assert_eq!(states.iter().filter(|e| **e).count(), 1, "size {size}");
            assert!(*states.last().unwrap(), "size {size}");
            assert!(parser.carry.is_empty() && parser.batch.is_empty());
            drop(tx);
            let got: Vec<Vec<Value>> = rx
                .iter()
                .flat_map(|b| {
                    let b = b.unwrap();
                    (0..b.len())
                        .map(|r| b.columns.iter().map(|c| c[r].clone()).collect())
                        .collect::<Vec<_>>()
                })
                .collect();
            let want: Vec<Vec<Value>> = rows
                .iter()
                .map(|(n, t)| vec![Value::Int((*n).into()), t.map_or(Value::Null, Value::text)])
                .collect();
            assert_eq!(got, want, "size {size}");
        }
    }

    #[test]
    fn malformed_streams_are_refused() {
        let reader = Reader {
            snapshot: None,
            table: "t".into(),
            columns: vec!["n".into()],
            wires: vec![Wire::Int4],
            batch_size: 2,
        };
        let (tx, _rx) = sync_channel(4);
        let mut bad = stream_bytes(&[]);
        bad[0] = b'X';
        assert!(Parser::new(&reader).feed(&bad, &tx).is_err());
        // Two fields where the table has one.
        let two = stream_bytes(&[(1, Some("x"))]);
        assert!(Parser::new(&reader).feed(&two, &tx).is_err());
    }
}
