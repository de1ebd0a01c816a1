//! PostgreSQL types <-> logical types, binary COPY decoding and text COPY encoding.
//!
//! Reading uses binary COPY for the types that have a logical counterpart; everything else is
//! selected through a `::text` cast and carried as text. Writing uses binary COPY while every
//! value has its column's own binary form (`binary.rs`), and text COPY otherwise: PostgreSQL
//! then parses the value with its own input function, so a value carried as text (an
//! interval, an array, an enum label) lands exactly as it was read, and values from other
//! engines (a SQLite date stored as text, a 0/1 boolean) are accepted wherever PostgreSQL
//! accepts their text form.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use datamask_core::{Column, DataType, Str, Value};

/// Well-known type OIDs (stable across PostgreSQL versions: `pg_type.dat`).
pub mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const JSON: u32 = 114;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
}

/// How a column travels in binary COPY: read from COPY output (see [`decode`]) and written
/// to COPY input (see `binary.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// UTF-8 text (text, varchar, bpchar, name).
    Text,
    /// numeric: read as `::text` and kept exact as a decimal string; written in numeric's
    /// binary form.
    Numeric,
    Json,
    /// jsonb: a version byte, then the JSON text.
    Jsonb,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Uuid,
    /// Any other type, selected through a `::text` cast and carried as text.
    Cast,
}

impl Wire {
    /// True when the column is selected as `col::text`.
    pub fn needs_text_cast(self) -> bool {
        matches!(self, Wire::Numeric | Wire::Cast)
    }
}

/// The logical type and wire form of a column whose (domain-resolved) base type is `type_oid`
/// with modifier `typmod`.
pub fn classify(type_oid: u32, typmod: i32) -> (DataType, Wire) {
    let len = (typmod >= 4).then(|| (typmod - 4) as u32);
    match type_oid {
        oid::BOOL => (DataType::Bool, Wire::Bool),
        oid::INT2 => (int(16), Wire::Int2),
        oid::INT4 => (int(32), Wire::Int4),
        oid::INT8 => (int(64), Wire::Int8),
        oid::FLOAT4 => (DataType::Float { bits: 32 }, Wire::Float4),
        oid::FLOAT8 => (DataType::Float { bits: 64 }, Wire::Float8),
        oid::NUMERIC => {
            let (precision, scale) = match typmod {
                m if m >= 4 => {
                    let m = (m - 4) as u32;
                    let precision = (m >> 16) & 0xffff;
                    // PostgreSQL 15 stores the scale as an 11-bit two's-complement number; a
                    // negative scale has no logical counterpart.
                    let raw = m & 0x7ff;
                    let scale = (raw & 0x400 == 0).then_some(raw);
                    (Some(precision), scale)
                }
                _ => (None, None),
            };
            (DataType::Decimal { precision, scale }, Wire::Numeric)
        }
        oid::VARCHAR | oid::BPCHAR => (DataType::Text { max_len: len }, Wire::Text),
        oid::TEXT | oid::NAME => (DataType::text(), Wire::Text),
        oid::BYTEA => (DataType::Bytes, Wire::Bytea),
        oid::DATE => (DataType::Date, Wire::Date),
        oid::TIME => (DataType::Time, Wire::Time),
        oid::TIMESTAMP => (DataType::Timestamp, Wire::Timestamp),
        oid::TIMESTAMPTZ => (DataType::TimestampTz, Wire::TimestampTz),
        oid::UUID => (DataType::Uuid, Wire::Uuid),
        oid::JSON => (DataType::Json, Wire::Json),
        oid::JSONB => (DataType::Json, Wire::Jsonb),
        _ => (DataType::text(), Wire::Cast),
    }
}

fn int(bits: u8) -> DataType {
    DataType::Int {
        bits,
        unsigned: false,
    }
}

/// The PostgreSQL type written for a logical type (when the native type cannot be used).
pub fn pg_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Bool => "boolean".into(),
        DataType::Int {
            bits,
            unsigned: false,
        } => match bits {
            0..=16 => "smallint".into(),
            17..=32 => "integer".into(),
            _ => "bigint".into(),
        },
        DataType::Int {
            bits,
            unsigned: true,
        } => match bits {
            0..=15 => "smallint".into(),
            16..=31 => "integer".into(),
            32..=63 => "bigint".into(),
            _ => "numeric(20,0)".into(),
        },
        DataType::Float { bits } if *bits <= 32 => "real".into(),
        DataType::Float { .. } => "double precision".into(),
        DataType::Decimal {
            precision: Some(p),
            scale,
        } if (1..=1000).contains(p) => match scale {
            Some(s) if s <= p => format!("numeric({p},{s})"),
            _ => format!("numeric({p})"),
        },
        DataType::Decimal { .. } => "numeric".into(),
        DataType::Text {
            max_len: Some(n), ..
        } if (1..=10_485_760).contains(n) => format!("character varying({n})"),
        DataType::Text { .. } => "text".into(),
        DataType::Bytes => "bytea".into(),
        DataType::Date => "date".into(),
        DataType::Time => "time without time zone".into(),
        DataType::Timestamp => "timestamp without time zone".into(),
        DataType::TimestampTz => "timestamp with time zone".into(),
        DataType::Uuid => "uuid".into(),
        DataType::Json => "json".into(),
    }
}

/// The native declaration to keep for `column` without asking the server, when it is a
/// PostgreSQL spelling of the column's logical type that the logical mapping would lose
/// (`character(n)` padding, `jsonb`).
pub fn native_equivalent(column: &Column) -> Option<String> {
    let native = column.native_type.as_deref()?.trim().to_ascii_lowercase();
    match &column.data_type {
        DataType::Text { max_len: Some(n) }
            if native == format!("character({n})") || native == format!("char({n})") =>
        {
            Some(format!("character({n})"))
        }
        DataType::Json if native == "jsonb" => Some("jsonb".into()),
        _ => None,
    }
}

/// Days between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;
const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400_000_000;

/// Why a binary field could not be decoded (the caller adds table, column and row).
pub type DecodeError = &'static str;

fn be<const N: usize>(b: &[u8]) -> Result<[u8; N], DecodeError> {
    b.try_into().map_err(|_| "unexpected field length")
}

/// Decodes one non-NULL binary COPY field.
pub fn decode(wire: Wire, b: &[u8]) -> Result<Value, DecodeError> {
    Ok(match wire {
        Wire::Bool => Value::Bool(be::<1>(b)?[0] != 0),
        Wire::Int2 => Value::Int(i16::from_be_bytes(be(b)?).into()),
        Wire::Int4 => Value::Int(i32::from_be_bytes(be(b)?).into()),
        Wire::Int8 => Value::Int(i64::from_be_bytes(be(b)?)),
        Wire::Float4 => Value::Float(f32::from_be_bytes(be(b)?).into()),
        Wire::Float8 => Value::Float(f64::from_be_bytes(be(b)?)),
        Wire::Text | Wire::Cast => Value::Text(utf8(b)?),
        Wire::Numeric => Value::Decimal(utf8(b)?),
        Wire::Json => Value::Json(utf8(b)?),
        Wire::Jsonb => match b.split_first() {
            Some((1, rest)) => Value::Json(utf8(rest)?),
            _ => return Err("unknown jsonb version"),
        },
        Wire::Bytea => Value::Bytes(b.to_vec()),
        Wire::Date => {
            let days = i32::from_be_bytes(be(b)?);
            if days == i32::MAX || days == i32::MIN {
                return Err("an infinite date has no logical counterpart; leave such rows out with `where:`");
            }
            let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
            Value::Date(
                epoch
                    .checked_add_signed(chrono::Duration::days(days.into()))
                    .ok_or("date out of the supported range")?,
            )
        }
        Wire::Time => {
            let micros = i64::from_be_bytes(be(b)?);
            Value::Time(time_from_micros(micros).ok_or("time 24:00:00 cannot be represented")?)
        }
        Wire::Timestamp => Value::Timestamp(timestamp(i64::from_be_bytes(be(b)?))?),
        Wire::TimestampTz => Value::TimestampTz(timestamp(i64::from_be_bytes(be(b)?))?.and_utc()),
        Wire::Uuid => Value::Uuid(be::<16>(b)?),
    })
}

fn utf8(b: &[u8]) -> Result<Str, DecodeError> {
    Str::from_utf8(b).map_err(|_| "text is not valid UTF-8")
}

fn time_from_micros(micros: i64) -> Option<NaiveTime> {
    if !(0..86_400_000_000).contains(&micros) {
        return None;
    }
    NaiveTime::from_num_seconds_from_midnight_opt(
        (micros / 1_000_000) as u32,
        ((micros % 1_000_000) * 1000) as u32,
    )
}

fn timestamp(micros: i64) -> Result<NaiveDateTime, DecodeError> {
    if micros == i64::MAX || micros == i64::MIN {
        return Err(
            "an infinite timestamp has no logical counterpart; leave such rows out with `where:`",
        );
    }
    DateTime::<Utc>::from_timestamp_micros(micros.saturating_add(PG_EPOCH_MICROS))
        .map(|t| t.naive_utc())
        .ok_or("timestamp out of the supported range")
}

/// Appends `value` in COPY text format (without the column separator).
pub fn encode_text(out: &mut String, value: &Value) {
    use std::fmt::Write;
    match value {
        Value::Null => out.push_str("\\N"),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Int(i) => push_int(out, *i),
        Value::UInt(u) => push_digits(out, *u, 1),
        Value::Float(f) => {
            if f.is_nan() {
                out.push_str("NaN");
            } else if f.is_infinite() {
                out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" });
            } else {
                // Shortest representation that reads back to the same f64.
                let _ = write!(out, "{f:?}");
            }
        }
        Value::Decimal(s) | Value::Text(s) | Value::Json(s) => escape_into(out, s),
        Value::Bytes(b) => {
            // `\x` hex input form; the backslash itself is escaped for COPY.
            out.push_str("\\\\x");
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for byte in b {
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
        Value::Date(d) => push_date(out, *d),
        Value::Time(t) => push_time(out, *t),
        Value::Timestamp(ts) => push_timestamp(out, ts, ""),
        Value::TimestampTz(ts) => push_timestamp(out, &ts.naive_utc(), "+00"),
        Value::Uuid(u) => out.push_str(&datamask_core::value::format_uuid(u)),
    }
}

/// COPY text escaping: backslash, newline, carriage return and tab. Runs of plain text are
/// copied whole (most values have nothing to escape).
fn escape_into(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => continue,
        };
        // The escaped bytes are ASCII, so `start..i` lies on character boundaries.
        out.push_str(&s[start..i]);
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Appends the decimal digits of `n`, left-padded with zeros to `width`. Hand-rolled: COPY
/// text formats millions of integers and dates, and `write!` costs several times as much.
fn push_digits(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len().saturating_sub(width));
    out.push_str(std::str::from_utf8(&buf[start..]).expect("ASCII digits"));
}

/// Appends a signed integer in decimal.
fn push_int(out: &mut String, i: i64) {
    if i < 0 {
        out.push('-');
    }
    push_digits(out, i.unsigned_abs(), 1);
}

/// ISO date (`YYYY-MM-DD`, at least 4 year digits); true when PostgreSQL's era suffix ` BC`
/// is due (chrono's year 0 is 1 BC).
fn push_date_part(out: &mut String, d: NaiveDate) -> bool {
    let y = d.year();
    let (year, bc) = if y <= 0 { (1 - y, true) } else { (y, false) };
    push_digits(out, u64::from(year.unsigned_abs()), 4);
    out.push('-');
    push_digits(out, u64::from(d.month()), 2);
    out.push('-');
    push_digits(out, u64::from(d.day()), 2);
    bc
}

fn push_date(out: &mut String, d: NaiveDate) {
    if push_date_part(out, d) {
        out.push_str(" BC");
    }
}

fn push_time(out: &mut String, t: NaiveTime) {
    let micros = t.nanosecond().min(999_999_999) / 1000;
    push_digits(out, u64::from(t.hour()), 2);
    out.push(':');
    push_digits(out, u64::from(t.minute()), 2);
    out.push(':');
    push_digits(out, u64::from(t.second()), 2);
    out.push('.');
    push_digits(out, u64::from(micros), 6);
}

fn push_timestamp(out: &mut String, ts: &NaiveDateTime, zone: &str) {
    let bc = push_date_part(out, ts.date());
    out.push(' ');
    push_time(out, ts.time());
    out.push_str(zone);
    if bc {
        out.push_str(" BC");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &Value) -> String {
        let mut s = String::new();
        encode_text(&mut s, v);
        s
    }

    /// The hand-rolled formatting agrees with `format!` on integers, dates and timestamps.
    #[test]
    fn hand_formatting_matches_format() {
        for i in [
            0i64,
            1,
            -1,
            9,
            10,
            99,
            100,
            12345,
            -987654321,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(text(&Value::Int(i)), i.to_string());
        }
        assert_eq!(text(&Value::UInt(u64::MAX)), u64::MAX.to_string());
        for (y, m, d) in [
            (1, 1, 1),
            (999, 12, 31),
            (2024, 2, 29),
            (12345, 6, 7),
            (0, 3, 4),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let year = if y <= 0 { 1 - y } else { y };
            let bc = if y <= 0 { " BC" } else { "" };
            let expected = format!("{year:04}-{m:02}-{d:02}");
            assert_eq!(text(&Value::Date(date)), format!("{expected}{bc}"));
            let ts = date.and_hms_micro_opt(7, 5, 9, 4321).unwrap();
            assert_eq!(
                text(&Value::Timestamp(ts)),
                format!("{expected} 07:05:09.004321{bc}")
            );
        }
        assert_eq!(text(&Value::Bytes(vec![0, 0xab, 0x10])), "\\\\x00ab10");
        assert_eq!(text(&Value::text("a\\b\tc\nd\re")), "a\\\\b\\tc\\nd\\re");
    }

    #[test]
    fn classification() {
        assert_eq!(classify(oid::INT2, -1), (int(16), Wire::Int2));
        assert_eq!(
            classify(oid::NUMERIC, (10 << 16 | 2) + 4),
            (
                DataType::Decimal {
                    precision: Some(10),
                    scale: Some(2)
                },
                Wire::Numeric
            )
        );
        assert_eq!(
            classify(oid::VARCHAR, 84).0,
            DataType::Text { max_len: Some(80) }
        );
        assert_eq!(classify(oid::BPCHAR, -1).0, DataType::text());
        assert_eq!(
            classify(1186 /* interval */, -1),
            (DataType::text(), Wire::Cast)
        );
        assert_eq!(classify(oid::JSONB, -1), (DataType::Json, Wire::Jsonb));
    }

    #[test]
    fn binary_decoding() {
        assert_eq!(
            decode(Wire::Int4, &(-5i32).to_be_bytes()),
            Ok(Value::Int(-5))
        );
        assert_eq!(
            decode(Wire::Date, &0i32.to_be_bytes()),
            Ok(Value::Date(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()))
        );
        assert_eq!(
            decode(Wire::Timestamp, &1_500_000i64.to_be_bytes()),
            Ok(Value::Timestamp(
                NaiveDate::from_ymd_opt(2000, 1, 1)
                    .unwrap()
                    .and_hms_micro_opt(0, 0, 1, 500_000)
                    .unwrap()
            ))
        );
        assert!(decode(Wire::Date, &i32::MAX.to_be_bytes()).is_err());
        assert!(decode(Wire::Time, &86_400_000_000i64.to_be_bytes()).is_err());
        assert_eq!(decode(Wire::Jsonb, b"\x01{}"), Ok(Value::Json("{}".into())));
        assert!(decode(Wire::Int8, &[0, 1]).is_err());
    }

    #[test]
    fn text_encoding() {
        assert_eq!(text(&Value::text("a\tb\\c\nd")), "a\\tb\\\\c\\nd");
        assert_eq!(text(&Value::Null), "\\N");
        assert_eq!(text(&Value::Bytes(vec![0, 255])), "\\\\x00ff");
        assert_eq!(text(&Value::Float(0.1)), "0.1");
        assert_eq!(text(&Value::Float(1e300)), "1e300");
        assert_eq!(text(&Value::Float(f64::NEG_INFINITY)), "-Infinity");
        let bc = NaiveDate::from_ymd_opt(-43, 3, 15).unwrap();
        assert_eq!(text(&Value::Date(bc)), "0044-03-15 BC");
        let ts = NaiveDate::from_ymd_opt(2024, 1, 31)
            .unwrap()
            .and_hms_micro_opt(13, 14, 15, 7)
            .unwrap();
        assert_eq!(text(&Value::Timestamp(ts)), "2024-01-31 13:14:15.000007");
        assert_eq!(
            text(&Value::TimestampTz(ts.and_utc())),
            "2024-01-31 13:14:15.000007+00"
        );
    }

    #[test]
    fn logical_to_pg() {
        assert_eq!(pg_type(&int(64)), "bigint");
        assert_eq!(
            pg_type(&DataType::Int {
                bits: 64,
                unsigned: true
            }),
            "numeric(20,0)"
        );
        assert_eq!(
            pg_type(&DataType::Text { max_len: Some(5) }),
            "character varying(5)"
        );
        let mut c = Column::new("c", DataType::Text { max_len: Some(4) });
        c.native_type = Some("character(4)".into());
        assert_eq!(native_equivalent(&c).as_deref(), Some("character(4)"));
    }
}
