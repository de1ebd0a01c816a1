//! Small helpers shared by the strategy families.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use datamask_core::strategy::{OptionValue, Options};
use datamask_core::value::{parse_uuid, Value};
use datamask_core::{ApplyCtx, Str};

/// The value a strategy keys its randomness on: the row key when the config set
/// `key_column` (so one person's values move together), otherwise the value itself.
pub fn key_source<'a>(value: &'a Value, ctx: &ApplyCtx<'a>) -> &'a Value {
    ctx.row_key.filter(|k| !k.is_null()).unwrap_or(value)
}

/// A non-negative integer option within `lo..=hi`, or `default`.
pub fn int_in(opts: &Options, name: &str, default: i64, lo: i64, hi: i64) -> Result<i64, String> {
    let v = opts.int_or(name, default);
    if v < lo || v > hi {
        return Err(format!(
            "option `{name}` must be between {lo} and {hi}, got {v}"
        ));
    }
    Ok(v)
}

/// An option that must be exactly one character, or `default`.
pub fn single_char(opts: &Options, name: &str, default: char) -> Result<char, String> {
    match opts.get(name) {
        None => Ok(default),
        Some(OptionValue::String(s)) => {
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(format!("option `{name}` must be exactly one character")),
            }
        }
        Some(_) => Err(format!("option `{name}` must be a one-character string")),
    }
}

/// Applies the capitalisation style of `model` (all caps, all lower, or as given) to `out`.
pub fn match_case(model: &str, out: &str) -> Str {
    if model.is_ascii() && out.is_ascii() {
        // The common case without Unicode case tables or a String per value.
        let has_upper = model.bytes().any(|b| b.is_ascii_uppercase());
        let has_lower = model.bytes().any(|b| b.is_ascii_lowercase());
        let mut s = Str::from(out);
        if has_upper && !has_lower {
            s.make_ascii_uppercase();
        } else if has_lower && !has_upper {
            s.make_ascii_lowercase();
        }
        return s;
    }
    let has_upper = model.chars().any(char::is_uppercase);
    let has_lower = model.chars().any(char::is_lowercase);
    if has_upper && !has_lower {
        out.to_uppercase().into()
    } else if has_lower && !has_upper {
        out.to_lowercase().into()
    } else {
        out.into()
    }
}

/// Lowercase ASCII letters and digits only, transliterating common Latin accents.
pub fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'ä' | 'æ' => out.push_str("ae"),
            'ö' | 'ø' | 'œ' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ą' => out.push('a'),
            'è' | 'é' | 'ê' | 'ë' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ò' | 'ó' | 'ô' | 'õ' => out.push('o'),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ñ' | 'ń' => out.push('n'),
            'ç' | 'ć' => out.push('c'),
            'ł' => out.push('l'),
            'ś' => out.push('s'),
            'ź' | 'ż' => out.push('z'),
            'ÿ' | 'ý' => out.push('y'),
            _ => {}
        }
    }
    out
}

/// Converts an option value to a [`Value`] of the given kind (`text`, `int`, `date`, ...),
/// for strategies such as `constant`, `enum` and `map` whose options take the column's type.
pub fn convert(opt: &OptionValue, kind: &str) -> Result<Value, String> {
    let text = || {
        opt.as_text()
            .ok_or_else(|| "a list or map cannot be used as a cell value".to_string())
    };
    let fail = |what: &str| format!("the value cannot be converted to {what}");
    Ok(match kind {
        "null" => Value::Null,
        "text" => Value::Text(text()?.into()),
        "json" => match opt {
            OptionValue::String(s) if serde_json::from_str::<serde_json::Value>(s).is_ok() => {
                Value::Json(s.as_str().into())
            }
            other => Value::Json(
                serde_json::to_string(other)
                    .map_err(|_| fail("json"))?
                    .into(),
            ),
        },
        "bool" => match opt {
            OptionValue::Bool(b) => Value::Bool(*b),
            _ => match text()?.to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "1" => Value::Bool(true),
                "false" | "f" | "no" | "0" => Value::Bool(false),
                _ => return Err(fail("bool")),
            },
        },
        "int" => match opt {
            OptionValue::Int(i) => Value::Int(*i),
            _ => Value::Int(text()?.trim().parse().map_err(|_| fail("int"))?),
        },
        "uint" => match opt {
            OptionValue::Int(i) if *i >= 0 => Value::UInt(*i as u64),
            _ => Value::UInt(text()?.trim().parse().map_err(|_| fail("uint"))?),
        },
        "float" => match opt {
            OptionValue::Float(f) => Value::Float(*f),
            OptionValue::Int(i) => Value::Float(*i as f64),
            _ => Value::Float(text()?.trim().parse().map_err(|_| fail("float"))?),
        },
        "decimal" => {
            let t = text()?;
            if !is_decimal(t.trim()) {
                return Err(fail("decimal"));
            }
            Value::Decimal(t.trim().into())
        }
        "bytes" => Value::Bytes(text()?.into_bytes()),
        "date" => Value::Date(
            NaiveDate::parse_from_str(text()?.trim(), "%Y-%m-%d").map_err(|_| fail("date"))?,
        ),
        "time" => Value::Time(
            NaiveTime::parse_from_str(text()?.trim(), "%H:%M:%S%.f").map_err(|_| fail("time"))?,
        ),
        "timestamp" => {
            Value::Timestamp(parse_naive_datetime(text()?.trim()).ok_or_else(|| fail("timestamp"))?)
        }
        "timestamptz" => {
            let t = text()?;
            let t = t.trim();
            let ts = DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&Utc))
                .ok()
                .or_else(|| parse_naive_datetime(t).map(|n| n.and_utc()))
                .ok_or_else(|| fail("timestamptz"))?;
            Value::TimestampTz(ts)
        }
        "uuid" => Value::Uuid(parse_uuid(text()?.trim()).ok_or_else(|| fail("uuid"))?),
        other => return Err(format!("unsupported value kind {other}")),
    })
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.f]` or a bare date (midnight).
pub fn parse_naive_datetime(t: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// True for `-?digits[.digits]`.
pub fn is_decimal(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The number of digits after the decimal point of a decimal text.
pub fn decimal_scale(t: &str) -> usize {
    t.split_once('.').map_or(0, |(_, f)| f.len())
}

/// Formats `x` with `scale` decimals; `None` when it is not finite.
pub fn format_decimal(x: f64, scale: usize) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let s = format!("{x:.scale$}", scale = scale.min(30));
    // Avoid "-0" / "-0.00".
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        Some(s[1..].to_string())
    } else {
        Some(s)
    }
}

/// The kind a column family produces: the family itself, except unsigned ints.
pub fn column_kind(col: &datamask_core::Column) -> &'static str {
    match col.data_type {
        datamask_core::DataType::Int { unsigned: true, .. } => "uint",
        ref t => t.family(),
    }
}
