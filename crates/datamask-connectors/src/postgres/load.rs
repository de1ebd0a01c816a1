//! Loading one table: `COPY ... FROM STDIN` on a loader thread that owns the sink's connection
//! while the table is written.
//!
//! Why a thread: a table is loaded in binary COPY while its values have a binary form, and
//! switches to text COPY (a second `COPY` statement, same transaction) at the first batch
//! that does not ([`super::binary`]). Ending one COPY and starting another needs the
//! connection again, which a writer borrowing it cannot hand out, so the thread owns it and
//! gives it back when the table is finished. It also takes the protocol work (framing,
//! socket writes) off the engine's thread.

use super::binary::{self, Incompatible};
use super::conn::{describe, KIND};
use super::types::{encode_text, Wire};
use datamask_core::{Batch, Error, Result, TableWriter};
use postgres::{Client, CopyInWriter};
use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// What loading a table needs besides the connection.
pub(super) struct Load {
    /// The table's name, for messages.
    pub table: String,
    /// The URL without its password, for messages.
    pub display: String,
    /// `COPY target (columns) FROM STDIN`, without options.
    pub copy: String,
    /// Positions of the batch columns that are loaded (generated columns are not).
    pub positions: Vec<usize>,
    /// Columns in a batch.
    pub width: usize,
    /// The binary form of each loaded column; `None` when one of them has none, and once the
    /// table has switched to text.
    pub wires: Option<Vec<Wire>>,
}

/// A batch's rows, encoded, for the loader thread.
enum Message {
    Rows {
        binary: bool,
        data: Vec<u8>,
        rows: u64,
    },
    /// Every batch was sent: complete the COPY.
    Finish,
}

/// Starts loading: takes the connection out of `slot` (it goes back when the writer finishes
/// or is dropped) and opens the first COPY, binary when every column has a binary form.
pub(super) fn start<'a>(
    slot: &'a mut Option<Client>,
    load: Load,
) -> Result<Box<dyn TableWriter + 'a>> {
    let client = slot
        .take()
        .ok_or_else(|| Error::Internal("PostgreSQL sink used after commit".into()))?;
    let (tx, rx) = sync_channel::<Message>(2);
    let (ready_tx, ready_rx) = sync_channel::<bool>(1);
    let loader = Loader {
        table: load.table.clone(),
        display: load.display.clone(),
        copy: load.copy.clone(),
    };
    let binary = load.wires.is_some();
    let handle = std::thread::Builder::new()
        .name(format!("pg-load-{}", load.table))
        .spawn(move || loader.run(client, binary, &rx, &ready_tx))
        .map_err(|e| Error::Internal(format!("cannot start the PostgreSQL loader thread: {e}")))?;
    let mut writer = PgTableWriter {
        slot,
        tx: Some(tx),
        handle: Some(handle),
        load,
        capacity: 0,
    };
    match ready_rx.recv() {
        Ok(true) => Ok(Box::new(writer)),
        // The loader could not open the COPY: its result says why.
        Ok(false) | Err(_) => Err(writer
            .join()
            .err()
            .unwrap_or_else(|| Error::Internal("the PostgreSQL loader stopped early".into()))),
    }
}

/// The engine's side: encodes batches and hands them to the loader thread.
struct PgTableWriter<'a> {
    /// Where the connection goes back.
    slot: &'a mut Option<Client>,
    tx: Option<SyncSender<Message>>,
    handle: Option<JoinHandle<(Client, Result<()>)>>,
    load: Load,
    /// The size of the last batch sent, to size the next one's buffer.
    capacity: usize,
}

impl PgTableWriter<'_> {
    /// Waits for the loader, puts the connection back and returns the loader's result.
    fn join(&mut self) -> Result<()> {
        self.tx = None;
        let Some(handle) = self.handle.take() else {
            return Ok(());
        };
        match handle.join() {
            Ok((client, result)) => {
                *self.slot = Some(client);
                result
            }
            Err(_) => Err(Error::Internal(format!(
                "the PostgreSQL loader of table `{}` panicked",
                self.load.table
            ))),
        }
    }

    /// The batch in binary while its values allow, else (and for the rest of the table) in
    /// text; true for binary.
    fn encode(&mut self, batch: &Batch) -> (bool, Vec<u8>) {
        let positions = &self.load.positions;
        if let Some(wires) = &self.load.wires {
            let mut out = Vec::with_capacity(self.capacity);
            if encode_binary(&mut out, batch, positions, wires).is_ok() {
                return (true, out);
            }
            self.load.wires = None;
        }
        let mut out = String::with_capacity(self.capacity);
        for r in 0..batch.len() {
            for (k, &i) in self.load.positions.iter().enumerate() {
                if k > 0 {
                    out.push('\t');
                }
                encode_text(&mut out, &batch.columns[i][r]);
            }
            out.push('\n');
        }
        (false, out.into_bytes())
    }

    fn send(&mut self, message: Message) -> Result<()> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(message).is_ok());
        if sent {
            return Ok(());
        }
        // The loader stopped: its result holds the reason.
        self.join()?;
        Err(Error::Internal(format!(
            "the PostgreSQL loader of table `{}` stopped early",
            self.load.table
        )))
    }
}

impl TableWriter for PgTableWriter<'_> {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns.len() != self.load.width {
            return Err(Error::Internal(format!(
                "table `{}`: batch has {} columns, schema has {}",
                self.load.table,
                batch.columns.len(),
                self.load.width
            )));
        }
        let (binary, data) = self.encode(batch);
        self.capacity = data.len();
        self.send(Message::Rows {
            binary,
            data,
            rows: batch.len() as u64,
        })
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.send(Message::Finish)?;
        self.join()
    }
}

impl Drop for PgTableWriter<'_> {
    /// A writer dropped before `finish` (an error elsewhere): the loader abandons its COPY and
    /// the connection goes back to the sink, which rolls the transaction back.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// Appends `batch` in binary, or stops at the first value without a binary form for its column.
fn encode_binary(
    out: &mut Vec<u8>,
    batch: &Batch,
    positions: &[usize],
    wires: &[Wire],
) -> Result<(), Incompatible> {
    for r in 0..batch.len() {
        let fields = positions
            .iter()
            .zip(wires)
            .map(|(&i, &wire)| (wire, &batch.columns[i][r]));
        binary::encode_row(out, fields)?;
    }
    Ok(())
}

/// The loader thread's side.
struct Loader {
    table: String,
    display: String,
    copy: String,
}

impl Loader {
    /// Runs COPY statements until `Finish` (or until the writer goes away: the COPY is then
    /// abandoned), switching format when a batch arrives in the other one. Always returns the
    /// connection.
    fn run(
        self,
        mut client: Client,
        binary: bool,
        rx: &Receiver<Message>,
        ready: &SyncSender<bool>,
    ) -> (Client, Result<()>) {
        let result = self.segments(&mut client, binary, rx, ready);
        (client, result)
    }

    fn segments(
        &self,
        client: &mut Client,
        mut binary: bool,
        rx: &Receiver<Message>,
        ready: &SyncSender<bool>,
    ) -> Result<()> {
        // Rows loaded by the COPY statements before the current one: the server numbers the
        // rows of each COPY from 1.
        let mut before: u64 = 0;
        let mut pending = None;
        let mut first = true;
        loop {
            let opened = self.open(client, binary, before);
            if first {
                first = false;
                let _ = ready.send(opened.is_ok());
            }
            let mut copy = opened?;
            let mut rows_here: u64 = 0;
            loop {
                let message = match pending.take() {
                    Some(m) => m,
                    None => match rx.recv() {
                        Ok(m) => m,
                        // The writer was dropped: abandon the COPY (the sink rolls back).
                        Err(_) => return Ok(()),
                    },
                };
                match message {
                    Message::Finish => return self.close(copy, binary, before),
                    Message::Rows { binary: b, .. } if b != binary => {
                        self.close(copy, binary, before)?;
                        before += rows_here;
                        binary = b;
                        pending = Some(message);
                        break;
                    }
                    Message::Rows { data, rows, .. } => {
                        copy.write_all(&data)
                            .map_err(|e| self.io_error(e, before))?;
                        rows_here += rows;
                    }
                }
            }
        }
    }

    /// Opens a COPY (binary: with its header).
    fn open<'c>(
        &self,
        client: &'c mut Client,
        binary: bool,
        before: u64,
    ) -> Result<CopyInWriter<'c>> {
        let sql = if binary {
            format!("{} (FORMAT binary)", self.copy)
        } else {
            self.copy.clone()
        };
        let mut copy = client
            .copy_in(&sql)
            .map_err(|e| self.copy_error(&e, before))?;
        if binary {
            copy.write_all(binary::HEADER)
                .map_err(|e| self.io_error(e, before))?;
        }
        Ok(copy)
    }

    /// Completes a COPY (binary: after its trailer).
    fn close(&self, mut copy: CopyInWriter<'_>, binary: bool, before: u64) -> Result<()> {
        if binary {
            copy.write_all(binary::TRAILER)
                .map_err(|e| self.io_error(e, before))?;
        }
        copy.finish().map_err(|e| self.copy_error(&e, before))?;
        Ok(())
    }

    /// A load error: names table, column and row from the server's report, never the value.
    fn copy_error(&self, e: &postgres::Error, before: u64) -> Error {
        if let Some(context) = e.as_db_error().and_then(|db| db.where_()) {
            if let Some(line) = copy_line(context) {
                return Error::Value {
                    table: self.table.clone(),
                    column: copy_column(context)
                        .or(e.as_db_error().and_then(|db| db.column()))
                        .unwrap_or("?")
                        .to_string(),
                    row: (before + line).to_string(),
                    message: describe(e),
                };
            }
        }
        Error::connector(
            KIND,
            format!(
                "{}: loading table `{}`: {}",
                self.display,
                self.table,
                describe(e)
            ),
        )
    }

    fn io_error(&self, e: std::io::Error, before: u64) -> Error {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<postgres::Error>())
        {
            Some(pg) => self.copy_error(pg, before),
            None => Error::connector(
                KIND,
                format!("{}: loading table `{}`: {e}", self.display, self.table),
            ),
        }
    }
}

/// `N` from a COPY context `COPY t, line N, column c: "..."`.
fn copy_line(context: &str) -> Option<u64> {
    let rest = &context[context.find(", line ")? + 7..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `c` from a COPY context `COPY t, line N, column c: "..."`.
fn copy_column(context: &str) -> Option<&str> {
    let rest = &context[context.find(", column ")? + 9..];
    Some(rest.split(':').next().unwrap_or(rest))
}
