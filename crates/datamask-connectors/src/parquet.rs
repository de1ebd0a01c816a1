//! Parquet files, through the arrow-rs `parquet` crate.
//!
//! Reading maps Arrow types onto datamask's logical types (see `docs/types.md`) and streams
//! record batches. Writing maps logical types back onto Arrow types, compresses with zstd,
//! and is deterministic: the same batches give the same bytes (`created_by` is a fixed string,
//! and nothing time-dependent goes into the metadata). Row groups hold at most
//! [`ROW_GROUP_ROWS`] rows so the writer's buffer stays bounded.

use crate::staged;
use crate::FileOptions;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array,
    Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, Time64MicrosecondArray,
    TimestampMicrosecondArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType as Arrow, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use datamask_core::value::{days_from_epoch, format_uuid};
use datamask_core::{
    Batch, BatchIter, Column, DataType, Error, Result, TableSchema, TableWriter, Value,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Maximum rows per row group written.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The `created_by` string written into every file (fixed, for reproducible bytes).
pub const CREATED_BY: &str = "datamask";

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::connector("parquet", format!("{}: {e}", path.display()))
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, e))
}

/// The logical type of an Arrow type, or `None` when datamask cannot represent it.
pub fn logical_type(arrow: &Arrow) -> Option<DataType> {
    let int = |bits, unsigned| DataType::Int { bits, unsigned };
    Some(match arrow {
        Arrow::Boolean => DataType::Bool,
        Arrow::Int8 => int(8, false),
        Arrow::Int16 => int(16, false),
        Arrow::Int32 => int(32, false),
        Arrow::Int64 => int(64, false),
        Arrow::UInt8 => int(8, true),
        Arrow::UInt16 => int(16, true),
        Arrow::UInt32 => int(32, true),
        Arrow::UInt64 => int(64, true),
        Arrow::Float32 => DataType::Float { bits: 32 },
        Arrow::Float64 => DataType::Float { bits: 64 },
        Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View => DataType::text(),
        Arrow::Binary | Arrow::LargeBinary | Arrow::BinaryView => DataType::Bytes,
        Arrow::FixedSizeBinary(16) => DataType::Uuid,
        Arrow::FixedSizeBinary(_) => DataType::Bytes,
        Arrow::Date32 | Arrow::Date64 => DataType::Date,
        Arrow::Time32(_) | Arrow::Time64(_) => DataType::Time,
        Arrow::Timestamp(_, None) => DataType::Timestamp,
        Arrow::Timestamp(_, Some(_)) => DataType::TimestampTz,
        Arrow::Decimal128(p, s) => DataType::Decimal {
            precision: Some(u32::from(*p)),
            scale: u32::try_from(*s).ok(),
        },
        _ => return None,
    })
}

/// The Arrow type written for a logical type.
pub fn arrow_type(data_type: &DataType) -> Arrow {
    match data_type {
        DataType::Bool => Arrow::Boolean,
        DataType::Int {
            bits,
            unsigned: false,
        } if *bits <= 32 => Arrow::Int32,
        DataType::Int {
            unsigned: false, ..
        } => Arrow::Int64,
        DataType::Int { bits, .. } if *bits <= 32 => Arrow::UInt32,
        DataType::Int { .. } => Arrow::UInt64,
        DataType::Float { bits } if *bits <= 32 => Arrow::Float32,
        DataType::Float { .. } => Arrow::Float64,
        DataType::Decimal {
            precision: Some(p),
            scale,
        } if (1..=38).contains(p) && scale.unwrap_or(0) <= *p => {
            Arrow::Decimal128(*p as u8, scale.unwrap_or(0) as i8)
        }
        DataType::Decimal { .. } => Arrow::Utf8,
        DataType::Text { .. } | DataType::Uuid | DataType::Json => Arrow::Utf8,
        DataType::Bytes => Arrow::Binary,
        DataType::Date => Arrow::Date32,
        DataType::Time => Arrow::Time64(TimeUnit::Microsecond),
        DataType::Timestamp => Arrow::Timestamp(TimeUnit::Microsecond, None),
        DataType::TimestampTz => Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    }
}

/// The schema of a Parquet file.
pub fn read_schema(path: &Path, table: &str) -> Result<TableSchema> {
    let builder = builder(path)?;
    let mut columns = Vec::new();
    for field in builder.schema().fields() {
        let data_type = logical_type(field.data_type()).ok_or_else(|| unsupported(path, field))?;
        columns.push(Column {
            name: field.name().clone(),
            data_type,
            native_type: None,
            nullable: field.is_nullable(),
            constraints: Default::default(),
            comment: None,
        });
    }
    Ok(TableSchema::new(table, columns))
}

fn unsupported(path: &Path, field: &Field) -> Error {
    Error::Unsupported(format!(
        "{}: column `{}` has Arrow type {}, which datamask cannot read yet; convert it (for \
         example to a string) before masking",
        path.display(),
        field.name(),
        field.data_type()
    ))
}

/// The number of rows recorded in the file's footer.
pub fn row_count(path: &Path) -> Result<u64> {
    let builder = builder(path)?;
    Ok(builder.metadata().file_metadata().num_rows().max(0) as u64)
}

/// Streams the rows of a Parquet file in batches of about `batch_size` rows.
pub fn read_batches(
    path: &Path,
    schema: &TableSchema,
    batch_size: usize,
) -> Result<BatchIter<'static>> {
    let builder = builder(path)?;
    let arrow_schema = builder.schema().clone();
    for field in arrow_schema.fields() {
        logical_type(field.data_type()).ok_or_else(|| unsupported(path, field))?;
    }
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let wanted: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    if names != wanted {
        return Err(Error::Internal(format!(
            "{}: the file's columns changed since its schema was read",
            path.display()
        )));
    }
    let reader = builder
        .with_batch_size(batch_size.max(1))
        .build()
        .map_err(|e| parquet_error(path, e))?;
    let path = path.to_path_buf();
    Ok(Box::new(reader.map(move |batch| {
        let batch = batch.map_err(|e| parquet_error(&path, e))?;
        convert_batch(&path, &batch)
    })))
}

fn convert_batch(path: &Path, batch: &RecordBatch) -> Result<Batch> {
    let columns = batch
        .columns()
        .iter()
        .zip(batch.schema().fields())
        .map(|(array, field)| convert_array(path, field, array.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    Ok(Batch { columns })
}

fn time_from_nanos(nanos: i64) -> Value {
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    NaiveTime::from_num_seconds_from_midnight_opt(secs as u32, sub as u32)
        .map_or(Value::Null, Value::Time)
}

fn timestamp_from_micros(micros: i64, tz: bool) -> Value {
    match DateTime::<Utc>::from_timestamp_micros(micros) {
        Some(t) if tz => Value::TimestampTz(t),
        Some(t) => Value::Timestamp(t.naive_utc()),
        None => Value::Null,
    }
}

fn timestamp_from_nanos(nanos: i64, tz: bool) -> Value {
    let t = DateTime::<Utc>::from_timestamp_nanos(nanos);
    if tz {
        Value::TimestampTz(t)
    } else {
        Value::Timestamp(t.naive_utc())
    }
}

/// Formats an unscaled decimal with `scale` fractional digits.
pub fn format_decimal(unscaled: i128, scale: i8) -> String {
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return if unscaled == 0 {
            "0".into()
        } else {
            format!("{unscaled}{zeros}")
        };
    }
    let scale = scale as usize;
    let digits = unscaled.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    format!("{sign}{int}.{frac}")
}

/// Parses decimal text into an unscaled integer with `scale` digits; `None` if it does not fit.
pub fn parse_decimal(text: &str, precision: u8, scale: i8) -> Option<i128> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || scale < 0
    {
        return None;
    }
    let scale = scale as usize;
    let frac = if frac.len() > scale {
        let (keep, extra) = frac.split_at(scale);
        if !extra.bytes().all(|b| b == b'0') {
            return None; // would lose digits
        }
        keep.to_string()
    } else {
        format!("{frac:0<scale$}")
    };
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > usize::from(precision) {
        return None;
    }
    let value: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

fn convert_array(path: &Path, field: &Field, array: &dyn Array) -> Result<Vec<Value>> {
    macro_rules! prim {
        ($t:ty, $f:expr) => {{
            let a = array.as_primitive::<$t>();
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::Null
                    } else {
                        $f(a.value(i))
                    }
                })
                .collect()
        }};
    }
    macro_rules! each {
        ($a:expr, $f:expr) => {{
            let a = $a;
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::Null
                    } else {
                        $f(a.value(i))
                    }
                })
                .collect()
        }};
    }
    let values: Vec<Value> = match field.data_type() {
        Arrow::Boolean => each!(array.as_boolean(), Value::Bool),
        Arrow::Int8 => prim!(Int8Type, |v| Value::Int(i64::from(v))),
        Arrow::Int16 => prim!(Int16Type, |v| Value::Int(i64::from(v))),
        Arrow::Int32 => prim!(Int32Type, |v| Value::Int(i64::from(v))),
        Arrow::Int64 => prim!(Int64Type, Value::Int),
        Arrow::UInt8 => prim!(UInt8Type, |v| Value::UInt(u64::from(v))),
        Arrow::UInt16 => prim!(UInt16Type, |v| Value::UInt(u64::from(v))),
        Arrow::UInt32 => prim!(UInt32Type, |v| Value::UInt(u64::from(v))),
        Arrow::UInt64 => prim!(UInt64Type, Value::UInt),
        Arrow::Float32 => prim!(Float32Type, |v| Value::Float(f64::from(v))),
        Arrow::Float64 => prim!(Float64Type, Value::Float),
        Arrow::Utf8 => each!(array.as_string::<i32>(), |s: &str| Value::text(s)),
        Arrow::LargeUtf8 => each!(array.as_string::<i64>(), |s: &str| Value::text(s)),
        Arrow::Utf8View => each!(array.as_string_view(), |s: &str| Value::text(s)),
        Arrow::Binary => each!(array.as_binary::<i32>(), |b: &[u8]| Value::Bytes(
            b.to_vec()
        )),
        Arrow::LargeBinary => {
            each!(array.as_binary::<i64>(), |b: &[u8]| Value::Bytes(
                b.to_vec()
            ))
        }
        Arrow::BinaryView => each!(array.as_binary_view(), |b: &[u8]| Value::Bytes(b.to_vec())),
        Arrow::FixedSizeBinary(16) => each!(array.as_fixed_size_binary(), |b: &[u8]| {
            let mut u = [0u8; 16];
            u.copy_from_slice(b);
            Value::Uuid(u)
        }),
        Arrow::FixedSizeBinary(_) => {
            each!(array.as_fixed_size_binary(), |b: &[u8]| Value::Bytes(
                b.to_vec()
            ))
        }
        Arrow::Date32 => prim!(Date32Type, |d: i32| {
            NaiveDate::from_num_days_from_ce_opt(d + 719_163).map_or(Value::Null, Value::Date)
        }),
        Arrow::Date64 => prim!(Date64Type, |ms: i64| {
            DateTime::<Utc>::from_timestamp_millis(ms)
                .map_or(Value::Null, |t| Value::Date(t.date_naive()))
        }),
        Arrow::Time32(TimeUnit::Second) => {
            prim!(Time32SecondType, |s: i32| time_from_nanos(
                i64::from(s) * 1_000_000_000
            ))
        }
        Arrow::Time32(_) => prim!(Time32MillisecondType, |ms: i32| time_from_nanos(
            i64::from(ms) * 1_000_000
        )),
        Arrow::Time64(TimeUnit::Microsecond) => {
            prim!(Time64MicrosecondType, |us: i64| time_from_nanos(us * 1000))
        }
        Arrow::Time64(_) => prim!(Time64NanosecondType, time_from_nanos),
        Arrow::Timestamp(unit, tz) => {
            let tz = tz.is_some();
            match unit {
                TimeUnit::Second => prim!(TimestampSecondType, |s: i64| timestamp_from_micros(
                    s.saturating_mul(1_000_000),
                    tz
                )),
                TimeUnit::Millisecond => {
                    prim!(TimestampMillisecondType, |ms: i64| timestamp_from_micros(
                        ms.saturating_mul(1000),
                        tz
                    ))
                }
                TimeUnit::Microsecond => {
                    prim!(TimestampMicrosecondType, |us| timestamp_from_micros(us, tz))
                }
                TimeUnit::Nanosecond => {
                    prim!(TimestampNanosecondType, |ns| timestamp_from_nanos(ns, tz))
                }
            }
        }
        Arrow::Decimal128(_, scale) => {
            let scale = *scale;
            prim!(Decimal128Type, |v| Value::Decimal(
                format_decimal(v, scale).into()
            ))
        }
        _ => return Err(unsupported(path, field)),
    };
    Ok(values)
}

/// Writes one table as a Parquet file.
pub struct ParquetWriter {
    writer: Option<ArrowWriter<File>>,
    path: PathBuf,
    table: TableSchema,
    schema: SchemaRef,
    rows: u64,
}

impl ParquetWriter {
    /// Starts a Parquet file on `file`; `path` names the target in messages.
    pub fn new(
        file: File,
        path: &Path,
        table: &TableSchema,
        _options: &FileOptions,
    ) -> Result<ParquetWriter> {
        let fields: Vec<Field> = table
            .columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(&c.data_type), c.nullable))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_created_by(CREATED_BY.to_string())
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| parquet_error(path, e))?;
        Ok(ParquetWriter {
            writer: Some(writer),
            path: path.to_path_buf(),
            table: table.clone(),
            schema,
            rows: 0,
        })
    }

    fn build_array(&self, index: usize, values: &[Value]) -> Result<ArrayRef> {
        let column = &self.table.columns[index];
        let bad = |row: usize, what: &str| Error::Value {
            table: self.table.name.clone(),
            column: column.name.clone(),
            row: (self.rows + row as u64 + 1).to_string(),
            message: format!(
                "a {what} value cannot be written as {}",
                column.data_type.family()
            ),
        };
        let target = self.schema.field(index).data_type().clone();
        macro_rules! collect {
            ($conv:expr) => {{
                let mut out = Vec::with_capacity(values.len());
                for (row, v) in values.iter().enumerate() {
                    out.push(if v.is_null() {
                        None
                    } else {
                        Some($conv(v).ok_or_else(|| bad(row, v.kind()))?)
                    });
                }
                out
            }};
        }
        let array: ArrayRef = match &target {
            Arrow::Boolean => Arc::new(BooleanArray::from(collect!(to_bool))),
            Arrow::Int32 => Arc::new(Int32Array::from(collect!(
                |v| to_i64(v).and_then(|i| i32::try_from(i).ok())
            ))),
            Arrow::Int64 => Arc::new(Int64Array::from(collect!(to_i64))),
            Arrow::UInt32 => Arc::new(UInt32Array::from(collect!(
                |v| to_u64(v).and_then(|i| u32::try_from(i).ok())
            ))),
            Arrow::UInt64 => Arc::new(UInt64Array::from(collect!(to_u64))),
            Arrow::Float32 => Arc::new(Float32Array::from(collect!(
                |v| to_f64(v).map(|f| f as f32)
            ))),
            Arrow::Float64 => Arc::new(Float64Array::from(collect!(to_f64))),
            Arrow::Decimal128(p, s) => {
                let (p, s) = (*p, *s);
                let unscaled =
                    collect!(|v: &Value| to_decimal_text(v).and_then(|t| parse_decimal(&t, p, s)));
                Arc::new(
                    Decimal128Array::from(unscaled)
                        .with_precision_and_scale(p, s)
                        .map_err(|e| Error::Internal(format!("decimal type: {e}")))?,
                )
            }
            Arrow::Utf8 => Arc::new(StringArray::from(collect!(|v: &Value| Some(match v {
                Value::Uuid(u) => format_uuid(u),
                other => other.to_string(),
            })))),
            Arrow::Binary => {
                let bytes: Vec<Option<Vec<u8>>> = collect!(|v: &Value| match v {
                    Value::Bytes(b) => Some(b.clone()),
                    Value::Text(s) => Some(s.as_bytes().to_vec()),
                    _ => None,
                });
                Arc::new(BinaryArray::from_iter(bytes))
            }
            Arrow::Date32 => Arc::new(Date32Array::from(collect!(
                |v| to_date(v).map(days_from_epoch)
            ))),
            Arrow::Time64(_) => Arc::new(Time64MicrosecondArray::from(collect!(|v| to_time(v)
                .map(|t| i64::from(t.num_seconds_from_midnight()) * 1_000_000
                    + i64::from(t.nanosecond() / 1000))))),
            Arrow::Timestamp(_, tz) => {
                let micros = collect!(|v| to_timestamp(v).map(|t| t.and_utc().timestamp_micros()));
                let array = TimestampMicrosecondArray::from(micros);
                Arc::new(match tz {
                    Some(tz) => array.with_timezone(tz.clone()),
                    None => array,
                })
            }
            other => {
                return Err(Error::Internal(format!(
                    "no Parquet writer for Arrow type {other}"
                )))
            }
        };
        Ok(array)
    }
}

fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Int(0) | Value::UInt(0) => Some(false),
        Value::Int(1) | Value::UInt(1) => Some(true),
        Value::Text(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Some(true),
            "false" | "f" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::UInt(u) => i64::try_from(*u).ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Text(s) | Value::Decimal(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::UInt(u) => Some(*u),
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::Bool(b) => Some(u64::from(*b)),
        Value::Text(s) | Value::Decimal(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Text(s) | Value::Decimal(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn to_decimal_text(v: &Value) -> Option<String> {
    match v {
        Value::Decimal(s) | Value::Text(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) if f.is_finite() => Some(f.to_string()),
        _ => None,
    }
}

fn to_date(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Date(d) => Some(*d),
        Value::Text(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

fn to_time(v: &Value) -> Option<NaiveTime> {
    match v {
        Value::Time(t) => Some(*t),
        Value::Text(s) => NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f").ok(),
        _ => None,
    }
}

/// A timestamp as UTC wall-clock time (zoned timestamps are stored in UTC).
fn to_timestamp(v: &Value) -> Option<NaiveDateTime> {
    match v {
        Value::Timestamp(t) => Some(*t),
        Value::TimestampTz(t) => Some(t.naive_utc()),
        Value::Date(d) => d.and_hms_opt(0, 0, 0),
        Value::Text(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.naive_utc())
                .ok()
                .or_else(|| {
                    DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z")
                        .ok()
                        .map(|t| t.naive_utc())
                })
                .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok())
                .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok())
        }
        _ => None,
    }
}

impl TableWriter for ParquetWriter {
    fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns.len() != self.table.columns.len() {
            return Err(Error::Internal(format!(
                "table `{}`: batch has {} columns, schema has {}",
                self.table.name,
                batch.columns.len(),
                self.table.columns.len()
            )));
        }
        if batch.is_empty() {
            return Ok(());
        }
        let arrays = batch
            .columns
            .iter()
            .enumerate()
            .map(|(i, values)| self.build_array(i, values))
            .collect::<Result<Vec<_>>>()?;
        let record =
            RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| Error::Value {
                table: self.table.name.clone(),
                column: String::new(),
                row: (self.rows + 1).to_string(),
                message: format!("cannot build an Arrow batch: {e}"),
            })?;
        self.rows += batch.len() as u64;
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::Internal("Parquet writer used after finish".into()))?;
        writer
            .write(&record)
            .map_err(|e| parquet_error(&self.path, e))
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| Error::Internal("Parquet writer finished twice".into()))?;
        let file = writer
            .into_inner()
            .map_err(|e| parquet_error(&self.path, e))?;
        staged::sync(&file, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dir::{FileSink, FileSource};
    use crate::Format;
    use datamask_core::source::ReadOptions;
    use datamask_core::{Sink, Source};

    fn schema() -> TableSchema {
        let col = |n: &str, t: DataType| Column::new(n, t);
        TableSchema::new(
            "all",
            vec![
                col("b", DataType::Bool),
                col(
                    "i",
                    DataType::Int {
                        bits: 64,
                        unsigned: false,
                    },
                ),
                col(
                    "i32",
                    DataType::Int {
                        bits: 32,
                        unsigned: false,
                    },
                ),
                col(
                    "u",
                    DataType::Int {
                        bits: 64,
                        unsigned: true,
                    },
                ),
                col("f", DataType::Float { bits: 64 }),
                col(
                    "d",
                    DataType::Decimal {
                        precision: Some(10),
                        scale: Some(2),
                    },
                ),
                col("t", DataType::text()),
                col("by", DataType::Bytes),
                col("dt", DataType::Date),
                col("tm", DataType::Time),
                col("ts", DataType::Timestamp),
                col("tz", DataType::TimestampTz),
            ],
        )
    }

    fn rows(n: usize) -> Vec<Vec<Value>> {
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let ts = date.and_hms_micro_opt(13, 14, 15, 123_456).unwrap();
        (0..n)
            .map(|i| {
                if i % 7 == 3 {
                    return vec![Value::Null; 12];
                }
                let i64v = i as i64;
                vec![
                    Value::Bool(i % 2 == 0),
                    Value::Int(-i64v * 1_000_000_007),
                    Value::Int(i64v),
                    Value::UInt(u64::MAX - i as u64),
                    Value::Float(i as f64 / 3.0),
                    Value::Decimal(format!("{}.{:02}", i64v - 50, i % 100).into()),
                    Value::text(format!("row é {i}")),
                    Value::Bytes(vec![0, 255, i as u8]),
                    Value::Date(date + chrono::Days::new(i as u64)),
                    Value::Time(ts.time()),
                    Value::Timestamp(ts),
                    Value::TimestampTz(ts.and_utc()),
                ]
            })
            .collect()
    }

    fn write(path: &Path, table: &TableSchema, rows: Vec<Vec<Value>>) -> Result<()> {
        let mut sink: Box<dyn Sink> = Box::new(FileSink::single(
            path.to_path_buf(),
            Format::Parquet,
            FileOptions::default(),
        )?);
        let mut w = sink.table(table)?;
        for chunk in rows.chunks(1000) {
            w.write(&Batch::from_rows(table.columns.len(), chunk.to_vec()))?;
        }
        w.finish()?;
        sink.commit()
    }

    fn read(path: &Path, batch_size: usize) -> (TableSchema, Vec<Vec<Value>>, usize) {
        let mut source =
            FileSource::single(path.to_path_buf(), Format::Parquet, FileOptions::default())
                .unwrap();
        let table = source.tables().unwrap().remove(0);
        let options = ReadOptions {
            batch_size,
            filter: None,
        };
        let mut out = Vec::new();
        let mut batches = 0;
        for batch in source.read(&table, &options).unwrap() {
            let batch = batch.unwrap();
            batches += 1;
            for r in 0..batch.len() {
                out.push(batch.row(r).cloned().collect());
            }
        }
        (table, out, batches)
    }

    #[test]
    fn round_trip_and_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.parquet");
        let table = schema();
        let data = rows(2500);
        write(&path, &table, data.clone()).unwrap();
        let (read_table, back, batches) = read(&path, 1024);
        assert_eq!(batches, 3);
        assert_eq!(back.len(), 2500);
        assert_eq!(back, data);
        let types: Vec<DataType> = read_table
            .columns
            .iter()
            .map(|c| c.data_type.clone())
            .collect();
        let expected: Vec<DataType> = table.columns.iter().map(|c| c.data_type.clone()).collect();
        assert_eq!(types, expected);
        let mut source =
            FileSource::single(path.clone(), Format::Parquet, FileOptions::default()).unwrap();
        assert_eq!(source.estimate_rows(&read_table).unwrap(), Some(2500));
    }

    #[test]
    fn output_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.parquet");
        let b = dir.path().join("b.parquet");
        write(&a, &schema(), rows(300)).unwrap();
        write(&b, &schema(), rows(300)).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }

    #[test]
    fn uuid_json_and_text_coercions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        let table = TableSchema::new(
            "c",
            vec![
                Column::new("id", DataType::Uuid),
                Column::new("j", DataType::Json),
                Column::new("d", DataType::Date),
            ],
        );
        let uuid =
            datamask_core::value::parse_uuid("123e4567-e89b-12d3-a456-426614174000").unwrap();
        write(
            &path,
            &table,
            vec![vec![
                Value::Uuid(uuid),
                Value::Json("{\"a\":1}".into()),
                Value::text("2020-01-02"),
            ]],
        )
        .unwrap();
        let (_, back, _) = read(&path, 10);
        assert_eq!(
            back[0],
            vec![
                Value::text("123e4567-e89b-12d3-a456-426614174000"),
                Value::text("{\"a\":1}"),
                Value::Date(NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()),
            ]
        );
        let err = write(
            &path,
            &table,
            vec![vec![Value::Null, Value::Null, Value::text("nope")]],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("column `d`, row 1"), "{err}");
        assert!(!err.contains("nope"), "{err}");
    }

    #[test]
    fn decimals() {
        assert_eq!(format_decimal(-1250, 2), "-12.50");
        assert_eq!(format_decimal(5, 3), "0.005");
        assert_eq!(format_decimal(-5, 3), "-0.005");
        assert_eq!(format_decimal(12, -2), "1200");
        assert_eq!(parse_decimal("-12.5", 10, 2), Some(-1250));
        assert_eq!(parse_decimal("12.500", 10, 2), Some(1250));
        assert_eq!(parse_decimal("12.505", 10, 2), None);
        assert_eq!(parse_decimal("123456", 5, 0), None);
        assert_eq!(parse_decimal("abc", 5, 0), None);
        assert_eq!(parse_decimal(".5", 5, 1), Some(5));
    }
}
