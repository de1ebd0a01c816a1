//! File sources and sinks: one file, or a directory of files with one table per file.
//!
//! A directory source lists files with a recognised extension (`.csv`, `.jsonl`, `.ndjson`,
//! `.parquet`) in sorted name order; formats may be mixed, and the file stem is the table name.
//! A directory sink writes `<table>.<ext>` in its one format, creating the directory if needed.
//! Every file is staged as `.NAME.datamask-tmp` and renamed into place at commit.

use crate::location::Format;
use crate::staged::StagedFile;
use crate::FileOptions;
use datamask_core::source::ReadOptions;
use datamask_core::{Batch, BatchIter, Error, Result, Sink, Source, TableSchema, TableWriter};
use std::path::{Path, PathBuf};

/// One table backed by one file.
#[derive(Debug, Clone)]
struct FileTable {
    name: String,
    path: PathBuf,
    format: Format,
    schema: Option<TableSchema>,
}

/// A [`Source`] over one file or a directory of files.
#[derive(Debug)]
pub struct FileSource {
    tables: Vec<FileTable>,
    options: FileOptions,
    kind: &'static str,
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn kind_of(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
        Format::Parquet => "parquet",
    }
}

impl FileSource {
    /// A source holding the single file `path`.
    pub fn single(path: PathBuf, format: Format, options: FileOptions) -> Result<FileSource> {
        Ok(FileSource {
            tables: vec![FileTable {
                name: stem(&path),
                path,
                format,
                schema: None,
            }],
            options,
            kind: kind_of(format),
        })
    }

    /// A source holding every recognised file of the directory `dir`, in name order.
    pub fn directory(dir: &Path, options: FileOptions) -> Result<FileSource> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !path.is_file() {
                continue;
            }
            if let Some(format) = Format::from_path(&path) {
                files.push((name, path, format));
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tables: Vec<FileTable> = Vec::with_capacity(files.len());
        for (_, path, format) in files {
            let name = stem(&path);
            if let Some(other) = tables.iter().find(|t| t.name == name) {
                return Err(Error::Unsupported(format!(
                    "{} and {} would both be table `{name}`; keep one of them",
                    other.path.display(),
                    path.display()
                )));
            }
            tables.push(FileTable {
                name,
                path,
                format,
                schema: None,
            });
        }
        let first = tables.first().map(|t| t.format);
        let kind = match first {
            Some(f) if tables.iter().all(|t| t.format == f) => kind_of(f),
            _ => "files",
        };
        Ok(FileSource {
            tables,
            options,
            kind,
        })
    }

    fn schema_of(&mut self, index: usize) -> Result<TableSchema> {
        let table = &mut self.tables[index];
        if let Some(schema) = &table.schema {
            return Ok(schema.clone());
        }
        let schema = match table.format {
            Format::Csv => crate::csv::read_schema(&table.path, &table.name, &self.options)?,
            Format::Jsonl => crate::jsonl::read_schema(&table.path, &table.name)?,
            #[cfg(feature = "parquet")]
            Format::Parquet => crate::parquet::read_schema(&table.path, &table.name)?,
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => return Err(no_parquet()),
        };
        table.schema = Some(schema.clone());
        Ok(schema)
    }
}

#[cfg(not(feature = "parquet"))]
fn no_parquet() -> Error {
    Error::Unsupported("Parquet support is not compiled in (cargo feature `parquet`)".into())
}

impl Source for FileSource {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn tables(&mut self) -> Result<Vec<TableSchema>> {
        (0..self.tables.len()).map(|i| self.schema_of(i)).collect()
    }

    fn estimate_rows(&mut self, table: &TableSchema) -> Result<Option<u64>> {
        #[cfg(feature = "parquet")]
        if let Some(t) = self.tables.iter().find(|t| t.name == table.name) {
            if t.format == Format::Parquet {
                return crate::parquet::row_count(&t.path).map(Some);
            }
        }
        let _ = table;
        Ok(None)
    }

    fn read<'a>(&'a mut self, table: &TableSchema, options: &ReadOptions) -> Result<BatchIter<'a>> {
        let t = self
            .tables
            .iter()
            .find(|t| t.name == table.name)
            .ok_or_else(|| Error::MissingTable(table.name.clone()))?;
        if options.filter.is_some() {
            return Err(Error::Unsupported(format!(
                "{}: a `where` filter needs a SQL source; files are read whole",
                t.path.display()
            )));
        }
        let batch_size = self.options.batch_size_or(options.batch_size);
        match t.format {
            Format::Csv => crate::csv::read_batches(&t.path, table, &self.options, batch_size),
            Format::Jsonl => crate::jsonl::read_batches(&t.path, table, batch_size),
            #[cfg(feature = "parquet")]
            Format::Parquet => crate::parquet::read_batches(&t.path, table, batch_size),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => Err(no_parquet()),
        }
    }
}

/// Where a [`FileSink`] writes.
#[derive(Debug)]
enum Target {
    /// One file: the sink accepts exactly one table.
    Single(PathBuf),
    /// A directory: `<table>.<ext>` per table.
    Dir(PathBuf),
}

/// A [`Sink`] writing one file, or one file per table in a directory.
#[derive(Debug)]
pub struct FileSink {
    target: Target,
    format: Format,
    options: FileOptions,
    staged: Vec<(String, StagedFile)>,
}

impl FileSink {
    /// A sink writing the single file `path`.
    pub fn single(path: PathBuf, format: Format, options: FileOptions) -> Result<FileSink> {
        Ok(FileSink {
            target: Target::Single(path),
            format,
            options,
            staged: Vec::new(),
        })
    }

    /// A sink writing `<table>.<ext>` files into `dir` (created if missing).
    pub fn directory(dir: PathBuf, format: Format, options: FileOptions) -> Result<FileSink> {
        Ok(FileSink {
            target: Target::Dir(dir),
            format,
            options,
            staged: Vec::new(),
        })
    }

    fn path_for(&self, table: &str) -> Result<PathBuf> {
        match &self.target {
            Target::Single(path) => {
                if let Some((other, _)) = self.staged.first() {
                    return Err(Error::Unsupported(format!(
                        "{}: a single-file target holds one table, and `{other}` is already \
                         written there; use a directory target for `{table}`",
                        path.display()
                    )));
                }
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                Ok(path.clone())
            }
            Target::Dir(dir) => {
                let bad =
                    table.is_empty() || table.starts_with('.') || table.contains(['/', '\\', '\0']);
                if bad {
                    return Err(Error::Unsupported(format!(
                        "table name `{table}` cannot be a file name in {}",
                        dir.display()
                    )));
                }
                if self.staged.iter().any(|(t, _)| t == table) {
                    return Err(Error::Internal(format!(
                        "table `{table}` written twice to {}",
                        dir.display()
                    )));
                }
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                Ok(dir.join(format!("{table}.{}", self.format.extension())))
            }
        }
    }
}

/// Wraps a format writer and marks its staged file complete on finish.
struct StagedWriter<'a> {
    inner: Box<dyn TableWriter + Send>,
    finished: &'a mut bool,
}

impl TableWriter for StagedWriter<'_> {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        self.inner.write(batch)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.inner.finish()?;
        *self.finished = true;
        Ok(())
    }
}

impl Sink for FileSink {
    fn kind(&self) -> &'static str {
        kind_of(self.format)
    }

    fn existing_tables(&mut self) -> Result<Vec<String>> {
        match &self.target {
            Target::Single(path) => Ok(if path.exists() {
                vec![stem(path)]
            } else {
                Vec::new()
            }),
            Target::Dir(dir) => {
                let entries = match std::fs::read_dir(dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(Error::io(dir, e)),
                };
                let mut names = Vec::new();
                for entry in entries {
                    let path = entry.map_err(|e| Error::io(dir, e))?.path();
                    let hidden = path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                    if !hidden && path.is_file() && Format::from_path(&path) == Some(self.format) {
                        names.push(stem(&path));
                    }
                }
                names.sort();
                Ok(names)
            }
        }
    }

    fn table<'a>(&'a mut self, table: &TableSchema) -> Result<Box<dyn TableWriter + 'a>> {
        let path = self.path_for(&table.name)?;
        let (staged, file) = StagedFile::create(&path)?;
        let inner: Box<dyn TableWriter + Send> = match self.format {
            Format::Csv => Box::new(crate::csv::CsvWriter::new(
                file,
                &path,
                table,
                &self.options,
            )?),
            Format::Jsonl => Box::new(crate::jsonl::JsonlWriter::new(file, &path, table)),
            #[cfg(feature = "parquet")]
            Format::Parquet => Box::new(crate::parquet::ParquetWriter::new(
                file,
                &path,
                table,
                &self.options,
            )?),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => return Err(no_parquet()),
        };
        self.staged.push((table.name.clone(), staged));
        let finished = &mut self.staged.last_mut().expect("just pushed").1.finished;
        Ok(Box::new(StagedWriter { inner, finished }))
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if let Some((table, _)) = self.staged.iter().find(|(_, s)| !s.finished) {
            return Err(Error::Internal(format!(
                "table `{table}` was not finished before commit"
            )));
        }
        for (_, staged) in &mut self.staged {
            staged.publish()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datamask_core::{Column, DataType, Value};

    #[test]
    fn directory_source_lists_sorted_mixed_formats() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.csv"), "x\n1\n").unwrap();
        std::fs::write(dir.path().join("a.jsonl"), "{\"y\":2}\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        std::fs::write(dir.path().join(".c.csv.datamask-tmp"), "ignored").unwrap();
        let mut source = FileSource::directory(dir.path(), FileOptions::default()).unwrap();
        assert_eq!(source.kind(), "files");
        let names: Vec<String> = source
            .tables()
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        let b = &source.tables().unwrap()[1];
        let rows: Vec<Batch> = source
            .read(b, &ReadOptions::default())
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(rows[0].columns[0], vec![Value::text("1")]);
    }

    #[test]
    fn duplicate_stems_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), "x\n").unwrap();
        std::fs::write(dir.path().join("a.jsonl"), "").unwrap();
        assert!(FileSource::directory(dir.path(), FileOptions::default()).is_err());
    }

    #[test]
    fn directory_sink_writes_one_file_per_table_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut sink: Box<dyn Sink> = Box::new(
            FileSink::directory(out.clone(), Format::Csv, FileOptions::default()).unwrap(),
        );
        assert!(sink.existing_tables().unwrap().is_empty());
        for name in ["t1", "t2"] {
            let schema = TableSchema::new(name, vec![Column::new("c", DataType::text())]);
            let mut w = sink.table(&schema).unwrap();
            w.write(&Batch::from_rows(1, vec![vec![Value::text(name)]]))
                .unwrap();
            w.finish().unwrap();
        }
        assert!(!out.join("t1.csv").exists());
        sink.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("t2.csv")).unwrap(),
            "c\nt2\n"
        );
        let mut sink =
            FileSink::directory(out.clone(), Format::Csv, FileOptions::default()).unwrap();
        assert_eq!(sink.existing_tables().unwrap(), ["t1", "t2"]);
        let bad = TableSchema::new("../evil", vec![]);
        assert!(sink.table(&bad).is_err());
    }

    #[test]
    fn single_file_sink_takes_one_table() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FileSink::single(
            dir.path().join("new/sub/o.csv"),
            Format::Csv,
            FileOptions::default(),
        )
        .unwrap();
        let schema = TableSchema::new("a", vec![Column::new("c", DataType::text())]);
        sink.table(&schema).unwrap().finish().unwrap();
        assert!(sink.table(&TableSchema::new("b", vec![])).is_err());
    }

    #[test]
    fn unfinished_table_is_not_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.csv");
        let mut sink: Box<dyn Sink> =
            Box::new(FileSink::single(path.clone(), Format::Csv, FileOptions::default()).unwrap());
        let schema = TableSchema::new("a", vec![Column::new("c", DataType::text())]);
        drop(sink.table(&schema).unwrap());
        assert!(sink.commit().is_err());
        assert!(!path.exists());
    }
}
