//! Binary `COPY ... FROM STDIN` encoding, for the common column types.
//!
//! Why: with text COPY the server parses every value with the type's input function, and for
//! integers, timestamps and numerics that parsing is most of its work (a 3M-row table of
//! bigints and timestamps loads about 40% faster in binary on the benchmark machine); the
//! client also skips formatting digits and dates. The server's *receive* functions apply the
//! same checks as the input functions (length and typmod of `varchar(n)`/`numeric(p,s)`,
//! ranges, domain constraints, encoding), so what lands is the same.
//!
//! Only a value whose logical variant is the column's own is encoded here (an integer for a
//! `bigint`, a timestamp with zone for a `timestamptz`, ...). Anything else (a date carried as
//! text from SQLite, an integer for a `text` column) reports [`Incompatible`], and the writer
//! sends that batch and the rest of the table as text COPY, where the server's input function
//! decides exactly as before.

use super::types::{classify, oid, Wire};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use datamask_core::Value;

/// The header of a binary COPY stream: signature, flags, header extension length.
pub const HEADER: &[u8; 19] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end-of-data marker: a field count of -1.
pub const TRAILER: &[u8; 2] = &(-1i16).to_be_bytes();

/// How a column of the target is sent in binary: its [`Wire`] form (the one binary COPY
/// output uses, with `numeric` in its own binary form rather than as text), or `None` when its
/// type is sent as text only (and so is its whole table). `name` is left to text: its
/// receive function refuses what its input function truncates.
pub fn wire_of(type_oid: u32) -> Option<Wire> {
    match classify(type_oid, -1).1 {
        Wire::Cast => None,
        _ if type_oid == oid::NAME => None,
        wire => Some(wire),
    }
}

/// A value that has no binary form for its column here; the caller falls back to text COPY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incompatible;

/// Appends one row: the field count, then each field's length and bytes (`-1` for NULL).
pub fn encode_row<'v>(
    out: &mut Vec<u8>,
    fields: impl ExactSizeIterator<Item = (Wire, &'v Value)>,
) -> Result<(), Incompatible> {
    let count = i16::try_from(fields.len()).map_err(|_| Incompatible)?;
    out.extend_from_slice(&count.to_be_bytes());
    for (wire, value) in fields {
        if matches!(value, Value::Null) {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        encode_value(out, wire, value)?;
        let len = i32::try_from(out.len() - at - 4).map_err(|_| Incompatible)?;
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// Appends the binary form of a non-NULL `value` for a column of `wire` form.
fn encode_value(out: &mut Vec<u8>, wire: Wire, value: &Value) -> Result<(), Incompatible> {
    match (wire, value) {
        (Wire::Bool, Value::Bool(b)) => out.push(u8::from(*b)),
        (Wire::Int2, v) => out.extend_from_slice(&int::<i16>(v)?.to_be_bytes()),
        (Wire::Int4, v) => out.extend_from_slice(&int::<i32>(v)?.to_be_bytes()),
        (Wire::Int8, v) => out.extend_from_slice(&int::<i64>(v)?.to_be_bytes()),
        (Wire::Float8, Value::Float(f)) => out.extend_from_slice(&f.to_be_bytes()),
        // Only floats a `real` holds exactly: rounding here could differ from the server's
        // rounding of the decimal text.
        (Wire::Float4, Value::Float(f)) if f.is_nan() || f64::from(*f as f32) == *f => {
            out.extend_from_slice(&(*f as f32).to_be_bytes())
        }
        (Wire::Text | Wire::Json, Value::Text(s) | Value::Decimal(s) | Value::Json(s)) => {
            out.extend_from_slice(s.as_bytes())
        }
        (Wire::Jsonb, Value::Json(s) | Value::Text(s)) => {
            out.push(1);
            out.extend_from_slice(s.as_bytes());
        }
        (Wire::Numeric, Value::Decimal(s)) => numeric(out, s)?,
        (Wire::Numeric, Value::Int(i)) => numeric(out, &i.to_string())?,
        (Wire::Numeric, Value::UInt(u)) => numeric(out, &u.to_string())?,
        (Wire::Bytea, Value::Bytes(b)) => out.extend_from_slice(b),
        (Wire::Date, Value::Date(d)) => {
            let days = d.signed_duration_since(epoch()).num_days();
            out.extend_from_slice(&i32::try_from(days).map_err(|_| Incompatible)?.to_be_bytes());
        }
        (Wire::Time, Value::Time(t)) => {
            let micros = i64::from(t.num_seconds_from_midnight()) * 1_000_000
                + i64::from(sub_micros(t.nanosecond()));
            out.extend_from_slice(&micros.to_be_bytes());
        }
        (Wire::Timestamp, Value::Timestamp(ts)) => timestamp(out, ts)?,
        (Wire::TimestampTz, Value::TimestampTz(ts)) => timestamp(out, &ts.naive_utc())?,
        (Wire::Uuid, Value::Uuid(u)) => out.extend_from_slice(u),
        _ => return Err(Incompatible),
    }
    Ok(())
}

fn int<T: TryFrom<i64> + TryFrom<u64>>(value: &Value) -> Result<T, Incompatible> {
    match value {
        Value::Int(i) => T::try_from(*i).map_err(|_| Incompatible),
        Value::UInt(u) => T::try_from(*u).map_err(|_| Incompatible),
        _ => Err(Incompatible),
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}

/// Microseconds of a time's fraction, truncated like the text form (a leap second's
/// nanoseconds past one second count as .999999).
fn sub_micros(nanos: u32) -> u32 {
    nanos.min(999_999_999) / 1000
}

/// Microseconds since 2000-01-01 00:00, the on-wire form of `timestamp` and (in UTC) of
/// `timestamptz`.
fn timestamp(out: &mut Vec<u8>, ts: &NaiveDateTime) -> Result<(), Incompatible> {
    let days = ts.date().signed_duration_since(epoch()).num_days();
    let micros = days
        .checked_mul(86_400_000_000)
        .and_then(|d| {
            d.checked_add(
                i64::from(ts.time().num_seconds_from_midnight()) * 1_000_000
                    + i64::from(sub_micros(ts.nanosecond())),
            )
        })
        .ok_or(Incompatible)?;
    out.extend_from_slice(&micros.to_be_bytes());
    Ok(())
}

/// A decimal `-?digits(.digits)?` as a binary numeric: digit count, weight (of the first
/// base-10000 digit), sign, display scale, then the base-10000 digits. Anything else
/// (exponents, `NaN`, blanks) is left to the server's text input.
fn numeric(out: &mut Vec<u8>, text: &str) -> Result<(), Incompatible> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty()
        || !digits_only(int_part)
        || !digits_only(frac_part)
        || (unsigned.contains('.') && frac_part.is_empty())
        // The limits of numeric's binary form (weight and scale fit in 16 bits).
        || int_part.len() > 131_072
        || frac_part.len() > 16_383
    {
        return Err(Incompatible);
    }
    let int_part = int_part.trim_start_matches('0');
    // Base-10000 digits, aligned on the decimal point.
    let lead = (4 - int_part.len() % 4) % 4;
    let trail = (4 - frac_part.len() % 4) % 4;
    let padded: Vec<u8> = std::iter::repeat_n(b'0', lead)
        .chain(int_part.bytes())
        .chain(frac_part.bytes())
        .chain(std::iter::repeat_n(b'0', trail))
        .collect();
    let mut groups: Vec<i16> = padded
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + i16::from(d - b'0')))
        .collect();
    let mut weight = ((lead + int_part.len()) / 4) as i32 - 1;
    let leading_zeros = groups.iter().take_while(|&&g| g == 0).count();
    groups.drain(..leading_zeros);
    weight -= leading_zeros as i32;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let sign: u16 = if negative && !groups.is_empty() {
        0x4000
    } else {
        0
    };
    let ndigits = i16::try_from(groups.len()).map_err(|_| Incompatible)?;
    let weight = i16::try_from(weight).map_err(|_| Incompatible)?;
    out.extend_from_slice(&ndigits.to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(frac_part.len() as i16).to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Option<(i16, i16, u16, i16, Vec<i16>)> {
        let mut out = Vec::new();
        numeric(&mut out, text).ok()?;
        let word = |i: usize| [out[i], out[i + 1]];
        let digits = (8..out.len())
            .step_by(2)
            .map(|i| i16::from_be_bytes(word(i)))
            .collect();
        Some((
            i16::from_be_bytes(word(0)),
            i16::from_be_bytes(word(2)),
            u16::from_be_bytes(word(4)),
            i16::from_be_bytes(word(6)),
            digits,
        ))
    }

    #[test]
    fn numerics_take_the_base_10000_form() {
        assert_eq!(num("0"), Some((0, 0, 0, 0, vec![])));
        assert_eq!(num("-0.00"), Some((0, 0, 0, 2, vec![])));
        assert_eq!(num("12.50"), Some((2, 0, 0, 2, vec![12, 5000])));
        assert_eq!(num("-12.5"), Some((2, 0, 0x4000, 1, vec![12, 5000])));
        assert_eq!(num("123456789"), Some((3, 2, 0, 0, vec![1, 2345, 6789])));
        assert_eq!(num("10000"), Some((1, 1, 0, 0, vec![1])));
        assert_eq!(num("0.0001"), Some((1, -1, 0, 4, vec![1])));
        assert_eq!(num("0.00000123"), Some((1, -2, 0, 8, vec![123])));
        assert_eq!(num("007.10"), Some((2, 0, 0, 2, vec![7, 1000])));
        for bad in ["", "-", ".5", "5.", "1e5", "NaN", " 1", "1,5", "+1", "--1"] {
            assert_eq!(num(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_and_timestamps_count_from_2000() {
        let mut out = Vec::new();
        encode_value(
            &mut out,
            Wire::Date,
            &Value::Date(epoch().pred_opt().unwrap()),
        )
        .unwrap();
        assert_eq!(out, (-1i32).to_be_bytes());
        let ts = NaiveDate::from_ymd_opt(2000, 1, 2)
            .unwrap()
            .and_hms_nano_opt(0, 0, 1, 2_999)
            .unwrap();
        out.clear();
        encode_value(&mut out, Wire::Timestamp, &Value::Timestamp(ts)).unwrap();
        assert_eq!(out, (86_400_000_000i64 + 1_000_002).to_be_bytes());
        out.clear();
        let before = NaiveDate::from_ymd_opt(1999, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .unwrap();
        encode_value(&mut out, Wire::Timestamp, &Value::Timestamp(before)).unwrap();
        assert_eq!(out, (-1i64).to_be_bytes());
    }

    #[test]
    fn only_the_columns_own_variant_is_encoded() {
        let mut out = Vec::new();
        let cases = [
            (Wire::Int4, Value::Int(1 << 40)),
            (Wire::Int2, Value::UInt(70_000)),
            (Wire::Int8, Value::UInt(u64::MAX)),
            (Wire::Int8, Value::text("42")),
            (Wire::Date, Value::text("2024-01-05")),
            (
                Wire::TimestampTz,
                Value::Timestamp(epoch().and_hms_opt(0, 0, 0).unwrap()),
            ),
            (Wire::Text, Value::Int(5)),
            (Wire::Bytea, Value::text("\\x00")),
            (Wire::Float4, Value::Float(0.1)),
            (Wire::Float8, Value::Int(1)),
            (Wire::Numeric, Value::Float(1.5)),
        ];
        for (wire, value) in cases {
            assert_eq!(
                encode_value(&mut out, wire, &value),
                Err(Incompatible),
                "{wire:?} {value:?}"
            );
        }
        encode_value(&mut out, Wire::Float4, &Value::Float(0.5)).unwrap();
        encode_value(&mut out, Wire::Int2, &Value::Int(-32768)).unwrap();
        encode_value(&mut out, Wire::Numeric, &Value::Int(-42)).unwrap();
    }

    #[test]
    fn columns_without_a_binary_form_are_sent_as_text() {
        assert_eq!(wire_of(oid::INT8), Some(Wire::Int8));
        assert_eq!(wire_of(oid::NUMERIC), Some(Wire::Numeric));
        assert_eq!(wire_of(oid::VARCHAR), Some(Wire::Text));
        assert_eq!(wire_of(oid::NAME), None);
        assert_eq!(wire_of(1186), None, "interval");
    }

    #[test]
    fn rows_carry_counts_lengths_and_nulls() {
        let mut out = Vec::new();
        let values = [Value::Int(7), Value::Null, Value::text("ab")];
        let wires = [Wire::Int4, Wire::Text, Wire::Text];
        encode_row(&mut out, wires.into_iter().zip(values.iter())).unwrap();
        let mut expected = vec![0, 3, 0, 0, 0, 4, 0, 0, 0, 7];
        expected.extend_from_slice(&(-1i32).to_be_bytes());
        expected.extend_from_slice(&[0, 0, 0, 2, b'a', b'b']);
        assert_eq!(out, expected);
    }
}
