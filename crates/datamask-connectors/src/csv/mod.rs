//! CSV files: one table per file.
//!
//! Every column is nullable text: CSV has no types, and guessing them would change bytes on the
//! way through. NULL convention: an empty field reads as NULL, and NULL is written as an empty
//! field, so unmasked data round-trips byte for byte. An empty *string* produced by a strategy
//! is written as `""` (it reads back as NULL, like every empty field).
//!
//! Reading works on byte records so invalid UTF-8 can be reported with its line and field,
//! and ragged rows with their line; quoting follows RFC 4180. Writing uses minimal quoting and
//! `\n` line endings.

use crate::staged;
use crate::FileOptions;
use datamask_core::{
    Batch, BatchIter, Column, DataType, Error, Result, TableSchema, TableWriter, Value,
};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

mod records;

use records::Records;

fn reader(path: &Path, options: &FileOptions) -> Result<Records> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(Records::new(file, options.delimiter))
}

/// Reads one record; `Ok(None)` at the end of the file, else the line it starts on.
fn next_record(records: &mut Records, path: &Path) -> Result<Option<u64>> {
    records.next_record().map_err(|e| Error::io(path, e))
}

fn field_text<'r>(field: &'r [u8], path: &Path, line: u64, index: usize) -> Result<&'r str> {
    std::str::from_utf8(field).map_err(|_| {
        Error::malformed(
            format!("{}:{line}", path.display()),
            format!("invalid UTF-8 in field {}", index + 1),
        )
    })
}

/// The fields of the current record as one string, validated once for the whole record (a
/// validation per field cost more than the check itself on short fields). Every field
/// boundary must fall on a character boundary too, so each field is valid on its own, as it
/// must be.
fn record_text<'r>(records: &'r Records, path: &Path, line: u64) -> Result<&'r str> {
    let bytes = records.bytes();
    let bounds = records.bounds();
    if let Ok(text) = std::str::from_utf8(bytes) {
        if bounds
            .iter()
            .all(|&(start, end)| text.is_char_boundary(start) && text.is_char_boundary(end))
        {
            return Ok(text);
        }
    }
    for (i, &(start, end)) in bounds.iter().enumerate() {
        field_text(&bytes[start..end], path, line, i)?;
    }
    Err(Error::Internal(
        "a record of valid UTF-8 fields read as invalid (this is a bug)".into(),
    ))
}

/// The schema of a CSV file: column names from the header (or `column_N`), all nullable text.
pub fn read_schema(path: &Path, table: &str, options: &FileOptions) -> Result<TableSchema> {
    let mut records = reader(path, options)?;
    let Some(line) = next_record(&mut records, path)? else {
        return Ok(TableSchema::new(table, Vec::new()));
    };
    let bytes = records.bytes();
    let mut names: Vec<String> = Vec::with_capacity(records.bounds().len());
    for (i, &(start, end)) in records.bounds().iter().enumerate() {
        let name = if options.header {
            let text = field_text(&bytes[start..end], path, line, i)?;
            let text = if i == 0 {
                text.trim_start_matches('\u{feff}')
            } else {
                text
            };
            if names.iter().any(|n| n == text) {
                return Err(Error::malformed(
                    format!("{}:{line}", path.display()),
                    format!("duplicate column name `{text}` in the header"),
                ));
            }
            text.to_string()
        } else {
            format!("column_{}", i + 1)
        };
        names.push(name);
    }
    let columns = names
        .into_iter()
        .map(|n| Column::new(n, DataType::text()))
        .collect();
    Ok(TableSchema::new(table, columns))
}

/// Streams the rows of a CSV file in batches of `batch_size`.
pub fn read_batches(
    path: &Path,
    schema: &TableSchema,
    options: &FileOptions,
    batch_size: usize,
) -> Result<BatchIter<'static>> {
    let mut batches = CsvBatches {
        records: reader(path, options)?,
        path: path.to_path_buf(),
        width: schema.columns.len(),
        header: options.header,
        batch_size: batch_size.max(1),
    };
    if options.header {
        // Skip the header; read_schema has already validated it.
        next_record(&mut batches.records, path)?;
    }
    Ok(crate::batch_iter(move || batches.next_batch()))
}

struct CsvBatches {
    records: Records,
    path: PathBuf,
    width: usize,
    header: bool,
    batch_size: usize,
}

impl CsvBatches {
    fn next_batch(&mut self) -> Result<Option<Batch>> {
        let mut batch = Batch::with_capacity(self.width, self.batch_size);
        let mut rows = 0;
        while rows < self.batch_size {
            let Some(line) = next_record(&mut self.records, &self.path)? else {
                break;
            };
            let bounds = self.records.bounds();
            if bounds.len() != self.width {
                let whose = if self.header { "header" } else { "first row" };
                return Err(Error::malformed(
                    format!("{}:{line}", self.path.display()),
                    format!(
                        "row has {} fields, expected {} ({whose} has {})",
                        bounds.len(),
                        self.width,
                        self.width
                    ),
                ));
            }
            let text = record_text(&self.records, &self.path, line)?;
            for (column, &(start, end)) in batch.columns.iter_mut().zip(bounds) {
                column.push(if start == end {
                    Value::Null
                } else {
                    Value::Text(text[start..end].into())
                });
            }
            rows += 1;
        }
        Ok((rows > 0).then_some(batch))
    }
}

/// Writes one table as CSV: an optional header, then one line per row.
pub struct CsvWriter {
    out: BufWriter<File>,
    path: PathBuf,
    table: String,
    width: usize,
    delimiter: u8,
    line: Vec<u8>,
}

impl CsvWriter {
    /// Starts a CSV file on `file`; `path` names the target in messages.
    pub fn new(
        file: File,
        path: &Path,
        schema: &TableSchema,
        options: &FileOptions,
    ) -> Result<CsvWriter> {
        let mut writer = CsvWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            path: path.to_path_buf(),
            table: schema.name.clone(),
            width: schema.columns.len(),
            delimiter: options.delimiter,
            line: Vec::with_capacity(256),
        };
        if options.header && writer.width > 0 {
            let names: Vec<Option<String>> = schema
                .columns
                .iter()
                .map(|c| Some(c.name.clone()))
                .collect();
            writer.write_line(names.iter().map(|n| n.as_deref()))?;
        }
        Ok(writer)
    }

    fn write_line<'s>(&mut self, fields: impl Iterator<Item = Option<&'s str>>) -> Result<()> {
        self.line.clear();
        for (i, field) in fields.enumerate() {
            if i > 0 {
                self.line.push(self.delimiter);
            }
            match field {
                None if self.width == 1 => self.line.extend_from_slice(b"\"\""),
                None => {}
                Some(text) => push_field(&mut self.line, text, self.delimiter),
            }
        }
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// True when `bytes` holds the delimiter, a quote, CR or LF: the field must be quoted.
///
/// No early exit: the compiler turns the whole scan into vector compares, which on short
/// fields beat stopping at the first special byte, as fields rarely have one.
fn has_special(bytes: &[u8], delimiter: u8) -> bool {
    bytes.iter().fold(false, |found, &b| {
        found | (b == delimiter) | (b == b'"') | (b == b'\n') | (b == b'\r')
    })
}

/// Appends `text` with RFC 4180 quoting when needed; an empty string is written as `""`.
fn push_field(out: &mut Vec<u8>, text: &str, delimiter: u8) {
    if !text.is_empty() && !has_special(text.as_bytes(), delimiter) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    // Runs between quotes are copied whole; each quote is doubled.
    let mut rest = text.as_bytes();
    while let Some(k) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=k]);
        out.push(b'"');
        rest = &rest[k + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

impl TableWriter for CsvWriter {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns.len() != self.width {
            return Err(Error::Internal(format!(
                "table `{}`: batch has {} columns, schema has {}",
                self.table,
                batch.columns.len(),
                self.width
            )));
        }
        use std::fmt::Write as _;
        // Textual values are written straight from the batch; only other types are formatted,
        // into one reused buffer: no allocation per field.
        let mut scratch = String::new();
        // The whole batch goes to the file in one write (a write per row copied every line
        // once more into the file buffer).
        self.line.clear();
        for row in 0..batch.len() {
            for (i, column) in batch.columns.iter().enumerate() {
                if i > 0 {
                    self.line.push(self.delimiter);
                }
                let value = &column[row];
                let text = match value {
                    Value::Null if self.width == 1 => {
                        self.line.extend_from_slice(b"\"\"");
                        continue;
                    }
                    Value::Null => continue,
                    other => match other.as_str() {
                        Some(text) => text,
                        None => {
                            scratch.clear();
                            let _ = write!(scratch, "{other}");
                            &scratch
                        }
                    },
                };
                push_field(&mut self.line, text, self.delimiter);
            }
            self.line.push(b'\n');
        }
        self.out
            .write_all(&self.line)
            .map_err(|e| Error::io(&self.path, e))
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
    use crate::Format;
    use datamask_core::source::ReadOptions;
    use datamask_core::{Sink, Source, Value};

    /// The word-at-a-time scan finds every special byte wherever it falls, and nothing else
    /// (bytes next to the special ones, UTF-8 continuation bytes, 0x80).
    #[test]
    fn special_bytes_are_found_at_every_position() {
        for delimiter in [b',', b';', b'\t'] {
            let naive = |t: &[u8]| {
                t.iter()
                    .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
            };
            for len in 0..20 {
                for at in 0..len {
                    for b in [
                        delimiter,
                        b'"',
                        b'\n',
                        b'\r',
                        delimiter + 1,
                        b'!',
                        0x80,
                        0xc3,
                        0xff,
                        0,
                    ] {
                        let mut t = vec![b'a'; len];
                        t[at] = b;
                        assert_eq!(has_special(&t, delimiter), naive(&t), "{delimiter} {t:?}");
                    }
                }
            }
        }
    }

    fn read_all(path: &Path, options: &FileOptions, batch_size: usize) -> Result<Vec<Batch>> {
        let mut source = FileSource::single(path.to_path_buf(), Format::Csv, options.clone())?;
        let tables = source.tables()?;
        let read = ReadOptions {
            batch_size,
            filter: None,
        };
        let batches = source.read(&tables[0], &read)?.collect::<Result<Vec<_>>>();
        batches
    }

    fn copy(input: &Path, output: &Path, options: &FileOptions) -> Result<()> {
        let mut source = FileSource::single(input.to_path_buf(), Format::Csv, options.clone())?;
        let mut sink: Box<dyn Sink> = Box::new(FileSink::single(
            output.to_path_buf(),
            Format::Csv,
            options.clone(),
        )?);
        for table in source.tables()? {
            let read = ReadOptions {
                batch_size: 2,
                filter: None,
            };
            let mut writer = sink.table(&table)?;
            for batch in source.read(&table, &read)? {
                writer.write(&batch?)?;
            }
            writer.finish()?;
        }
        sink.commit()
    }

    #[test]
    fn round_trip_is_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("customers.csv");
        let text = "id,name,note,empty\n1,Ann,\"has, comma\",\n2,,\"quote \"\"q\"\"\",x\n3,Émile,\"two\nlines\",\n";
        std::fs::write(&input, text).unwrap();
        let output = dir.path().join("out.csv");
        copy(&input, &output, &FileOptions::default()).unwrap();
        assert_eq!(std::fs::read_to_string(&output).unwrap(), text);
        let batches = read_all(&input, &FileOptions::default(), 100).unwrap();
        assert_eq!(batches[0].columns[1][1], Value::Null);
        assert_eq!(batches[0].columns[2][2], Value::text("two\nlines"));
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn delimiter_and_no_header() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("t.csv");
        std::fs::write(&input, "a;b\nc;\"d;e\"\n").unwrap();
        let options = FileOptions {
            delimiter: b';',
            header: false,
            ..FileOptions::default()
        };
        let mut source = FileSource::single(input.clone(), Format::Csv, options.clone()).unwrap();
        let tables = source.tables().unwrap();
        assert_eq!(tables[0].name, "t");
        assert_eq!(tables[0].columns[1].name, "column_2");
        let batches = read_all(&input, &options, 10).unwrap();
        assert_eq!(batches[0].len(), 2);
        let output = dir.path().join("o.csv");
        copy(&input, &output, &options).unwrap();
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "a;b\nc;\"d;e\"\n"
        );
    }

    #[test]
    fn ragged_row_names_line() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("customers.csv");
        std::fs::write(&input, "a,b,c\n1,2,3\n\"x\ny\",2,3\n4,5\n").unwrap();
        let err = read_all(&input, &FileOptions::default(), 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("customers.csv:5: row has 2 fields, expected 3 (header has 3)"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_names_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("customers.csv");
        // The second: `é` cut in two by the delimiter, so the record's bytes without
        // delimiters are valid UTF-8 while its fields are not.
        let cases: [(&[u8], &str); 2] = [
            (
                b"a,b\n1,2\n3,\xff\xfe\n",
                "customers.csv:3: invalid UTF-8 in field 2",
            ),
            (
                b"a,b,c\n1,\xc3,\xa9\n",
                "customers.csv:2: invalid UTF-8 in field 2",
            ),
        ];
        for (bytes, expected) in cases {
            std::fs::write(&input, bytes).unwrap();
            let err = read_all(&input, &FileOptions::default(), 10)
                .unwrap_err()
                .to_string();
            assert!(err.ends_with(expected), "{err}");
            assert!(!err.contains('\u{fffd}'));
        }
        std::fs::write(&input, b"a,b\n\xc3\xa9,x\xe2\x82\xac\n").unwrap();
        let batches = read_all(&input, &FileOptions::default(), 10).unwrap();
        assert_eq!(batches[0].columns[0][0], Value::text("\u{e9}"));
        assert_eq!(batches[0].columns[1][0], Value::text("x\u{20ac}"));
    }

    #[test]
    fn empty_string_and_single_column_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.csv");
        let schema = TableSchema::new(
            "o",
            vec![
                Column::new("a", DataType::text()),
                Column::new("b", DataType::text()),
            ],
        );
        let mut sink: Box<dyn Sink> =
            Box::new(FileSink::single(out.clone(), Format::Csv, FileOptions::default()).unwrap());
        let mut w = sink.table(&schema).unwrap();
        w.write(&Batch::from_rows(
            2,
            vec![
                vec![Value::text(""), Value::Null],
                vec![Value::Int(7), Value::Bytes(vec![1, 255])],
            ],
        ))
        .unwrap();
        w.finish().unwrap();
        sink.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "a,b\n\"\",\n7,\\x01ff\n"
        );
    }

    #[test]
    fn dropped_sink_leaves_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.csv");
        std::fs::write(&out, "old\n1\n").unwrap();
        let schema = TableSchema::new("o", vec![Column::new("new", DataType::text())]);
        {
            let mut sink =
                FileSink::single(out.clone(), Format::Csv, FileOptions::default()).unwrap();
            let mut w = sink.table(&schema).unwrap();
            w.write(&Batch::from_rows(1, vec![vec![Value::text("x")]]))
                .unwrap();
            w.finish().unwrap();
            assert!(staged::temp_path(&out).exists());
        }
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n1\n");
        assert!(!staged::temp_path(&out).exists());
    }

    #[test]
    fn large_file_streams_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("big.csv");
        let mut text = String::from("id,v\n");
        for i in 0..200_000 {
            text.push_str(&format!("{i},v{i}\n"));
        }
        std::fs::write(&input, &text).unwrap();
        let mut source =
            FileSource::single(input.clone(), Format::Csv, FileOptions::default()).unwrap();
        let table = source.tables().unwrap().remove(0);
        let read = ReadOptions {
            batch_size: 4096,
            filter: None,
        };
        let mut rows = 0;
        let mut max = 0;
        for batch in source.read(&table, &read).unwrap() {
            let batch = batch.unwrap();
            max = max.max(batch.len());
            rows += batch.len();
        }
        assert_eq!(rows, 200_000);
        assert_eq!(max, 4096);
    }
}
