//! JSON Lines framing: one `{"value": V}` line per value, each way.

use crate::util::convert;
use datamask_core::strategy::OptionValue;
use datamask_core::Value;
use serde_json::{json, Value as Json};

/// A value as the JSON the plug-in receives.
fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or_else(|| json!(f.to_string()), Json::Number)
        }
        Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
        Value::Bytes(b) => json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        other => json!(other.to_string()),
    }
}

/// The plug-in's answer as a value of `kind`.
fn from_json(j: &Json, kind: &str) -> Option<Value> {
    if j.is_null() {
        return Some(Value::Null);
    }
    if kind == "json" {
        return Some(Value::Json(j.to_string().into()));
    }
    if kind == "bytes" {
        let h = j.as_str()?;
        if h.len() % 2 != 0 {
            return None;
        }
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
            .map(Value::Bytes);
    }
    let opt = match j {
        Json::Bool(b) => OptionValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => OptionValue::Int(i),
            None => OptionValue::Float(n.as_f64()?),
        },
        Json::String(s) => OptionValue::String(s.clone()),
        _ => return None,
    };
    convert(&opt, kind).ok()
}

/// The program's input: one line per value.
pub(super) fn encode(values: &[Value]) -> Result<Vec<u8>, String> {
    let mut input = Vec::with_capacity(values.len() * 32);
    for v in values {
        serde_json::to_writer(&mut input, &json!({ "value": to_json(v) }))
            .map_err(|_| "a value could not be written as JSON".to_string())?;
        input.push(b'\n');
    }
    Ok(input)
}

/// The program's answer: exactly `expected` non-empty lines of `{"value": V}`, as values of
/// `kind`. Errors complete the sentence "plug-in `x` ...".
pub(super) fn decode(output: &[u8], kind: &str, expected: usize) -> Result<Vec<Value>, String> {
    let text =
        std::str::from_utf8(output).map_err(|_| "wrote output that is not UTF-8".to_string())?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() != expected {
        return Err(format!(
            "answered {} line(s) for {expected} value(s); it must write exactly one line per input line",
            lines.len()
        ));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let j: Json = serde_json::from_str(l)
                .map_err(|_| format!("output line {} is not JSON", i + 1))?;
            let v = j
                .get("value")
                .ok_or_else(|| format!("output line {} has no \"value\" member", i + 1))?;
            from_json(v, kind)
                .ok_or_else(|| format!("output line {} is not a value of type {kind}", i + 1))
        })
        .collect()
}
