//! Arrow IPC framing: one IPC stream each way, holding record batches with a single column
//! `value`. Numbers, booleans and bytes travel natively (Int64, UInt64, Float64, Boolean,
//! Binary); every other kind travels as Utf8 text (ISO 8601 dates, canonical decimals, JSON
//! documents as text), as in the JSON Lines protocol.

use crate::util::convert;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    UInt64Array,
};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType as ArrowType, Field, Schema};
use datamask_core::strategy::OptionValue;
use datamask_core::Value;
use std::sync::Arc;

/// The Arrow type a value kind travels as.
fn arrow_type(kind: &str) -> ArrowType {
    match kind {
        "int" => ArrowType::Int64,
        "uint" => ArrowType::UInt64,
        "float" => ArrowType::Float64,
        "bool" => ArrowType::Boolean,
        "bytes" => ArrowType::Binary,
        _ => ArrowType::Utf8,
    }
}

/// The values as one IPC stream.
pub(super) fn encode(values: &[Value], kind: &str) -> Result<Vec<u8>, String> {
    let column: ArrayRef = match arrow_type(kind) {
        ArrowType::Int64 => Arc::new(Int64Array::from_iter(values.iter().map(|v| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }))),
        ArrowType::UInt64 => Arc::new(UInt64Array::from_iter(values.iter().map(|v| match v {
            Value::UInt(u) => Some(*u),
            _ => None,
        }))),
        ArrowType::Float64 => Arc::new(Float64Array::from_iter(values.iter().map(|v| match v {
            Value::Float(f) => Some(*f),
            _ => None,
        }))),
        ArrowType::Boolean => Arc::new(BooleanArray::from_iter(values.iter().map(|v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        }))),
        ArrowType::Binary => Arc::new(BinaryArray::from_iter(values.iter().map(|v| match v {
            Value::Bytes(b) => Some(b.as_slice()),
            _ => None,
        }))),
        _ => Arc::new(StringArray::from_iter(
            values.iter().map(|v| (!v.is_null()).then(|| v.to_string())),
        )),
    };
    let schema = Arc::new(Schema::new(vec![Field::new(
        "value",
        column.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(schema.clone(), vec![column])
        .map_err(|_| "the values could not be put in an Arrow batch".to_string())?;
    let mut out = Vec::new();
    let mut w = StreamWriter::try_new(&mut out, &schema)
        .map_err(|_| "the Arrow stream could not be written".to_string())?;
    w.write(&batch)
        .and_then(|()| w.finish())
        .map_err(|_| "the Arrow stream could not be written".to_string())?;
    drop(w);
    Ok(out)
}

/// One answer cell as a value of `kind`.
fn cell(column: &dyn Array, i: usize, kind: &str) -> Option<Value> {
    if column.is_null(i) {
        return Some(Value::Null);
    }
    let opt = match column.data_type() {
        ArrowType::Int64 => OptionValue::Int(column.as_primitive::<Int64Type>().value(i)),
        ArrowType::UInt64 => {
            let u = column.as_primitive::<UInt64Type>().value(i);
            if kind == "uint" {
                return Some(Value::UInt(u));
            }
            OptionValue::Int(i64::try_from(u).ok()?)
        }
        ArrowType::Float64 => OptionValue::Float(column.as_primitive::<Float64Type>().value(i)),
        ArrowType::Boolean => OptionValue::Bool(column.as_boolean().value(i)),
        ArrowType::Binary if kind == "bytes" => {
            return Some(Value::Bytes(column.as_binary::<i32>().value(i).to_vec()))
        }
        ArrowType::Utf8 => {
            let s = column.as_string::<i32>().value(i);
            if kind == "json" {
                return serde_json::from_str::<serde_json::Value>(s)
                    .ok()
                    .map(|_| Value::Json(s.into()));
            }
            OptionValue::String(s.to_string())
        }
        _ => return None,
    };
    convert(&opt, kind).ok()
}

/// The program's answer: an IPC stream of batches with one column, `expected` rows in all,
/// as values of `kind`. Errors complete the sentence "plug-in `x` ...".
pub(super) fn decode(output: &[u8], kind: &str, expected: usize) -> Result<Vec<Value>, String> {
    let reader = StreamReader::try_new(output, None)
        .map_err(|_| "did not answer with an Arrow IPC stream".to_string())?;
    let mut out = Vec::with_capacity(expected);
    for batch in reader {
        let batch = batch.map_err(|_| "answered a broken Arrow IPC stream".to_string())?;
        if batch.num_columns() != 1 {
            return Err(format!(
                "answered batches with {} columns; it must answer one column, `value`",
                batch.num_columns()
            ));
        }
        let column = batch.column(0);
        for i in 0..batch.num_rows() {
            let row = out.len() + 1;
            out.push(
                cell(column.as_ref(), i, kind)
                    .ok_or_else(|| format!("answer row {row} is not a value of type {kind}"))?,
            );
        }
    }
    if out.len() != expected {
        return Err(format!(
            "answered {} row(s) for {expected} value(s); it must answer exactly one row per value",
            out.len()
        ));
    }
    Ok(out)
}
