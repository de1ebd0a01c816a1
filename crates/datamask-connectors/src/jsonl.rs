//! JSON Lines files: one object per line, one table per file.
//!
//! Schema inference: the columns are the keys in first-seen order across the first
//! [`INFER_ROWS`] rows; a key first seen later is an error naming its line (the schema is
//! decided before streaming starts). A column's type comes from the kinds of its non-null
//! values in those rows: all integers -> `Int` (unsigned when some exceed `i64`), numbers ->
//! `Float`, booleans -> `Bool`, strings -> `Text`, objects/arrays -> `Json`, only nulls ->
//! `Text`, and a mix of kinds -> `Json`.
//!
//! Values keep their own JSON kind whatever the column type (an integer is `Value::Int`, a
//! string `Value::Text`...), except in `Json` columns where every non-null value is its compact
//! JSON text. A missing key reads as NULL; NULL is written as an explicit `null`. Blank lines
//! are skipped.

use crate::staged;
use datamask_core::{
    Batch, BatchIter, Column, DataType, Error, Result, TableSchema, TableWriter, Value,
};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Rows examined to decide columns and types.
pub const INFER_ROWS: usize = 1000;

/// Reads the file line by line, yielding (line number, parsed object) for non-blank lines.
struct Lines {
    reader: BufReader<File>,
    path: PathBuf,
    line: u64,
    buf: Vec<u8>,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 16, file),
            path: path.to_path_buf(),
            line: 0,
            buf: Vec::with_capacity(1024),
        })
    }

    fn location(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }

    fn next_object(&mut self) -> Result<Option<serde_json::Map<String, Json>>> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| Error::io(&self.path, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let text = self.buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            if std::str::from_utf8(text).is_err() {
                return Err(Error::malformed(self.location(), "invalid UTF-8"));
            }
            let parsed: Json = serde_json::from_slice(text).map_err(|e| {
                Error::malformed(
                    self.location(),
                    format!("invalid JSON at column {}", e.column()),
                )
            })?;
            return match parsed {
                Json::Object(map) => Ok(Some(map)),
                _ => Err(Error::malformed(
                    self.location(),
                    "expected a JSON object, one per line",
                )),
            };
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Kinds {
    int: bool,
    uint: bool,
    float: bool,
    bool: bool,
    string: bool,
    nested: bool,
}

impl Kinds {
    fn add(&mut self, v: &Json) {
        match v {
            Json::Null => {}
            Json::Bool(_) => self.bool = true,
            Json::Number(n) if n.is_i64() => self.int = true,
            Json::Number(n) if n.is_u64() => self.uint = true,
            Json::Number(_) => self.float = true,
            Json::String(_) => self.string = true,
            Json::Array(_) | Json::Object(_) => self.nested = true,
        }
    }

    fn data_type(self) -> DataType {
        let numeric = self.int || self.uint || self.float;
        let families = [numeric, self.bool, self.string, self.nested]
            .iter()
            .filter(|b| **b)
            .count();
        if families > 1 {
            return DataType::Json;
        }
        if self.float {
            DataType::Float { bits: 64 }
        } else if self.uint {
            DataType::Int {
                bits: 64,
                unsigned: !self.int,
            }
        } else if self.int {
            DataType::Int {
                bits: 64,
                unsigned: false,
            }
        } else if self.bool {
            DataType::Bool
        } else if self.nested {
            DataType::Json
        } else {
            DataType::text()
        }
    }
}

/// Infers the schema of a JSON Lines file from its first [`INFER_ROWS`] rows.
pub fn read_schema(path: &Path, table: &str) -> Result<TableSchema> {
    let mut lines = Lines::open(path)?;
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut kinds: Vec<Kinds> = Vec::new();
    let mut rows = 0;
    while rows < INFER_ROWS {
        let Some(object) = lines.next_object()? else {
            break;
        };
        for (key, value) in &object {
            let i = *index.entry(key.clone()).or_insert_with(|| {
                names.push(key.clone());
                kinds.push(Kinds::default());
                names.len() - 1
            });
            kinds[i].add(value);
        }
        rows += 1;
    }
    let columns = names
        .into_iter()
        .zip(kinds)
        .map(|(name, k)| Column::new(name, k.data_type()))
        .collect();
    Ok(TableSchema::new(table, columns))
}

/// Streams the rows of a JSON Lines file as batches of `batch_size`, in `schema`'s columns.
pub fn read_batches(
    path: &Path,
    schema: &TableSchema,
    batch_size: usize,
) -> Result<BatchIter<'static>> {
    let mut batches = JsonlBatches {
        lines: Lines::open(path)?,
        index: schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect(),
        json_columns: schema
            .columns
            .iter()
            .map(|c| c.data_type == DataType::Json)
            .collect(),
        batch_size: batch_size.max(1),
    };
    Ok(crate::batch_iter(move || batches.next_batch()))
}

struct JsonlBatches {
    lines: Lines,
    index: HashMap<String, usize>,
    json_columns: Vec<bool>,
    batch_size: usize,
}

fn to_value(v: Json, as_json: bool) -> Value {
    match v {
        Json::Null => Value::Null,
        other if as_json => Value::Json(other.to_string().into()),
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::Text(s.into()),
        nested => Value::Json(nested.to_string().into()),
    }
}

impl JsonlBatches {
    fn next_batch(&mut self) -> Result<Option<Batch>> {
        let width = self.json_columns.len();
        let mut batch = Batch::with_capacity(width, self.batch_size);
        let mut row: Vec<Value> = Vec::with_capacity(width);
        let mut rows = 0;
        while rows < self.batch_size {
            let Some(object) = self.lines.next_object()? else {
                break;
            };
            row.clear();
            row.resize(width, Value::Null);
            for (key, value) in object {
                let Some(&i) = self.index.get(&key) else {
                    return Err(Error::malformed(
                        self.lines.location(),
                        format!(
                            "key `{key}` does not appear in the first {INFER_ROWS} rows, which \
                             decide the columns; add it to an early row"
                        ),
                    ));
                };
                row[i] = to_value(value, self.json_columns[i]);
            }
            batch.push_row(std::mem::take(&mut row));
            rows += 1;
        }
        Ok((rows > 0).then_some(batch))
    }
}

/// Writes one table as JSON Lines, keys in column order.
pub struct JsonlWriter {
    out: BufWriter<File>,
    path: PathBuf,
    table: String,
    columns: Vec<String>,
    keys: Vec<String>,
    line: String,
    rows: u64,
}

impl JsonlWriter {
    /// Starts a JSON Lines file on `file`; `path` names the target in messages.
    pub fn new(file: File, path: &Path, schema: &TableSchema) -> JsonlWriter {
        JsonlWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            path: path.to_path_buf(),
            table: schema.name.clone(),
            columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
            keys: schema
                .columns
                .iter()
                .map(|c| Json::String(c.name.clone()).to_string())
                .collect(),
            line: String::with_capacity(256),
            rows: 0,
        }
    }

    fn value_error(&self, column: usize, message: &str) -> Error {
        Error::Value {
            table: self.table.clone(),
            column: self.columns[column].clone(),
            row: self.rows.to_string(),
            message: message.to_string(),
        }
    }
}

fn quoted(s: &str) -> String {
    Json::String(s.to_string()).to_string()
}

/// The JSON text of a value, or an error message.
fn json_text(value: &Value) -> std::result::Result<String, &'static str> {
    Ok(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => n.to_string(),
            None => return Err("NaN and infinity cannot be written to JSON"),
        },
        Value::Decimal(s) | Value::Text(s) => quoted(s),
        Value::Bytes(b) => quoted(&hex::encode(b)),
        Value::Date(d) => quoted(&d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => quoted(&t.format("%H:%M:%S%.f").to_string()),
        Value::Timestamp(t) => quoted(&t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        Value::TimestampTz(t) => quoted(&t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()),
        Value::Uuid(u) => quoted(&datamask_core::value::format_uuid(u)),
        Value::Json(s) => serde_json::from_str::<Json>(s)
            .map_err(|_| "the value is not valid JSON")?
            .to_string(),
    })
}

impl TableWriter for JsonlWriter {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns.len() != self.keys.len() {
            return Err(Error::Internal(format!(
                "table `{}`: batch has {} columns, schema has {}",
                self.table,
                batch.columns.len(),
                self.keys.len()
            )));
        }
        for r in 0..batch.len() {
            self.rows += 1;
            self.line.clear();
            self.line.push('{');
            for (c, value) in batch.row(r).enumerate() {
                if c > 0 {
                    self.line.push(',');
                }
                self.line.push_str(&self.keys[c]);
                self.line.push(':');
                let text = json_text(value).map_err(|m| self.value_error(c, m))?;
                self.line.push_str(&text);
            }
            self.line.push_str("}\n");
            self.out
                .write_all(self.line.as_bytes())
                .map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        staged::sync(&file, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dir::{FileSink, FileSource};
    use crate::{FileOptions, Format};
    use datamask_core::source::ReadOptions;
    use datamask_core::{Sink, Source};

    fn read(path: &Path, batch_size: usize) -> Result<(TableSchema, Vec<Batch>)> {
        let mut source =
            FileSource::single(path.to_path_buf(), Format::Jsonl, FileOptions::default())?;
        let table = source.tables()?.remove(0);
        let options = ReadOptions {
            batch_size,
            filter: None,
        };
        let batches = source.read(&table, &options)?.collect::<Result<Vec<_>>>()?;
        Ok((table, batches))
    }

    #[test]
    fn inference_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("events.jsonl");
        let text = concat!(
            "{\"id\":1,\"name\":\"Ann\",\"tags\":[\"a\",{\"b\":1}],\"score\":1.5,\"ok\":true,\"mixed\":1}\n",
            "\n",
            "{\"id\":2,\"name\":null,\"tags\":{\"z\":1,\"a\":2},\"score\":2,\"ok\":false,\"mixed\":\"x\"}\n",
            "{\"id\":3,\"score\":-0.25,\"ok\":null,\"mixed\":null,\"name\":\"B\\\"\",\"tags\":null}\n",
        );
        std::fs::write(&input, text).unwrap();
        let (table, batches) = read(&input, 2).unwrap();
        let types: Vec<&str> = table.columns.iter().map(|c| c.data_type.family()).collect();
        assert_eq!(types, ["int", "text", "json", "float", "bool", "json"]);
        assert_eq!(batches.len(), 2);
        assert_eq!(
            batches[0].columns[2][1],
            Value::Json("{\"z\":1,\"a\":2}".into())
        );
        assert_eq!(batches[0].columns[3][1], Value::Int(2));
        assert_eq!(batches[0].columns[5][1], Value::Json("\"x\"".into()));
        assert_eq!(batches[1].columns[1][0], Value::text("B\""));

        let output = dir.path().join("out.jsonl");
        let mut sink: Box<dyn Sink> = Box::new(
            FileSink::single(output.clone(), Format::Jsonl, FileOptions::default()).unwrap(),
        );
        let mut w = sink.table(&table).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        sink.commit().unwrap();
        let written = std::fs::read_to_string(&output).unwrap();
        let expected = concat!(
            "{\"id\":1,\"name\":\"Ann\",\"tags\":[\"a\",{\"b\":1}],\"score\":1.5,\"ok\":true,\"mixed\":1}\n",
            "{\"id\":2,\"name\":null,\"tags\":{\"z\":1,\"a\":2},\"score\":2,\"ok\":false,\"mixed\":\"x\"}\n",
            "{\"id\":3,\"name\":\"B\\\"\",\"tags\":null,\"score\":-0.25,\"ok\":null,\"mixed\":null}\n",
        );
        assert_eq!(written, expected);
        let (_, again) = read(&output, 10).unwrap();
        let flat: Vec<Batch> = vec![Batch {
            columns: (0..6)
                .map(|c| batches.iter().flat_map(|b| b.columns[c].clone()).collect())
                .collect(),
        }];
        assert_eq!(again, flat);
    }

    #[test]
    fn malformed_json_names_line() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("e.jsonl");
        std::fs::write(&input, "{\"a\":1}\n\n{\"a\":2\n").unwrap();
        let err = read(&input, 10).unwrap_err().to_string();
        assert!(err.contains("e.jsonl:3: invalid JSON"), "{err}");
        std::fs::write(&input, "{\"a\":1}\n[1]\n").unwrap();
        let err = read(&input, 10).unwrap_err().to_string();
        assert!(err.contains("e.jsonl:2: expected a JSON object"), "{err}");
    }

    #[test]
    fn late_new_key_names_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("e.jsonl");
        let mut text = String::new();
        for i in 0..INFER_ROWS + 5 {
            text.push_str(&format!("{{\"a\":{i}}}\n"));
        }
        text.push_str("{\"a\":1,\"secret_new\":2}\n");
        std::fs::write(&input, text).unwrap();
        let err = read(&input, 100).unwrap_err().to_string();
        assert!(err.contains("e.jsonl:1006: key `secret_new`"), "{err}");
    }

    #[test]
    fn writer_types() {
        let values = [
            (Value::Bytes(vec![0xde, 0xad]), "\"dead\""),
            (Value::Decimal("1.50".into()), "\"1.50\""),
            (Value::Json("{ \"a\" : [1, 2] }".into()), "{\"a\":[1,2]}"),
            (
                Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
                "\"2024-02-29\"",
            ),
            (Value::UInt(u64::MAX), "18446744073709551615"),
        ];
        for (v, want) in values {
            assert_eq!(json_text(&v).unwrap(), want);
        }
        assert!(json_text(&Value::Float(f64::NAN)).is_err());
        assert!(json_text(&Value::Json("{".into())).is_err());
    }
}
