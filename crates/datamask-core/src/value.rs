//! The value model shared by sources, strategies and sinks.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use std::fmt;

/// The text of a [`Value::Text`]: a string of up to 24 bytes is stored inline, in the value
/// itself, longer ones on the heap.
///
/// Most cells of real tables are short (names, codes, phone numbers, dates as text), and a
/// heap string per cell cost a quarter of a CSV run: one allocation per cell read, one per
/// value masked, a free of each on another thread, and a cache miss whenever a later stage
/// first touched the bytes. Inline, a column's short texts lie in its vector, in order.
pub type Str = compact_str::CompactString;

/// One cell.
///
/// The variants are deliberately few: every connector maps its native types onto them and back
/// (see docs/types.md), and every strategy reasons about them. Decimals keep their exact text so
/// no precision is lost on the way through.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// An exact decimal in canonical text form (`-12.50`).
    Decimal(Str),
    Text(Str),
    Bytes(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
    Uuid([u8; 16]),
    /// A JSON document in its text form.
    Json(Str),
}

/// Type tags of the canonical encoding. Part of the determinism contract (docs/determinism.md):
/// changing one changes every masked output, so they are frozen.
mod tag {
    pub const NULL: u8 = 0x00;
    pub const BOOL: u8 = 0x01;
    pub const INT: u8 = 0x02;
    pub const UINT: u8 = 0x03;
    pub const FLOAT: u8 = 0x04;
    pub const DECIMAL: u8 = 0x05;
    pub const TEXT: u8 = 0x06;
    pub const BYTES: u8 = 0x07;
    pub const DATE: u8 = 0x08;
    pub const TIME: u8 = 0x09;
    pub const TIMESTAMP: u8 = 0x0a;
    pub const TIMESTAMPTZ: u8 = 0x0b;
    pub const UUID: u8 = 0x0c;
    pub const JSON: u8 = 0x0d;
}

impl Value {
    /// Convenience constructor for text.
    pub fn text(s: impl Into<Str>) -> Self {
        Value::Text(s.into())
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The variant's name, used in messages and type checks.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::UInt(_) => "uint",
            Value::Float(_) => "float",
            Value::Decimal(_) => "decimal",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::Timestamp(_) => "timestamp",
            Value::TimestampTz(_) => "timestamptz",
            Value::Uuid(_) => "uuid",
            Value::Json(_) => "json",
        }
    }

    /// The text of a textual value (text, decimal, json), if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Decimal(s) | Value::Json(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the canonical, type-tagged encoding of this value to `out`.
    ///
    /// The encoding is injective (two different values never encode the same way, including
    /// across types) and independent of platform and connector, which is what makes masked
    /// output reproducible. Floats are normalised so `-0.0` and `0.0`, and all NaNs, agree.
    pub fn encode_canonical(&self, out: &mut Vec<u8>) {
        self.feed_canonical(&mut |b| out.extend_from_slice(b));
    }

    /// Hands the canonical encoding (see [`Value::encode_canonical`]) to `out` in pieces,
    /// without building it in memory first: the PRF feeds it straight into its hasher.
    ///
    /// Generic, not `dyn`: the pieces are a few bytes each, and a call per piece through a
    /// vtable into an unknown-length copy cost more than the bytes (the checksum of every
    /// written row goes through here).
    pub fn feed_canonical<F: FnMut(&[u8])>(&self, out: &mut F) {
        fn bytes<F: FnMut(&[u8])>(out: &mut F, tag: u8, b: &[u8]) {
            let mut head = [0u8; 9];
            head[0] = tag;
            head[1..].copy_from_slice(&(b.len() as u64).to_be_bytes());
            out(&head);
            out(b);
        }
        fn fixed<F: FnMut(&[u8]), const N: usize>(out: &mut F, tag: u8, b: [u8; N]) {
            let mut buf = [0u8; 17];
            buf[0] = tag;
            buf[1..=N].copy_from_slice(&b);
            out(&buf[..=N]);
        }
        match self {
            Value::Null => out(&[tag::NULL]),
            Value::Bool(b) => out(&[tag::BOOL, u8::from(*b)]),
            Value::Int(i) => fixed(out, tag::INT, i.to_be_bytes()),
            Value::UInt(u) => fixed(out, tag::UINT, u.to_be_bytes()),
            Value::Float(f) => {
                let f = if *f == 0.0 {
                    0.0
                } else if f.is_nan() {
                    f64::NAN
                } else {
                    *f
                };
                fixed(out, tag::FLOAT, f.to_bits().to_be_bytes());
            }
            Value::Decimal(s) => bytes(out, tag::DECIMAL, s.as_bytes()),
            Value::Text(s) => bytes(out, tag::TEXT, s.as_bytes()),
            Value::Bytes(b) => bytes(out, tag::BYTES, b),
            Value::Date(d) => fixed(out, tag::DATE, days_from_epoch(*d).to_be_bytes()),
            Value::Time(t) => {
                let nanos = u64::from(t.num_seconds_from_midnight()) * 1_000_000_000
                    + u64::from(t.nanosecond());
                fixed(out, tag::TIME, nanos.to_be_bytes());
            }
            Value::Timestamp(ts) => fixed(
                out,
                tag::TIMESTAMP,
                ts.and_utc().timestamp_micros().to_be_bytes(),
            ),
            Value::TimestampTz(ts) => {
                fixed(out, tag::TIMESTAMPTZ, ts.timestamp_micros().to_be_bytes())
            }
            Value::Uuid(u) => fixed(out, tag::UUID, *u),
            Value::Json(s) => bytes(out, tag::JSON, s.as_bytes()),
        }
    }
}

/// Days since 1970-01-01 (negative before).
pub fn days_from_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch")).num_days() as i32
}

/// Formats a UUID in its usual hyphenated lowercase form.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let h = hex_lower(u);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Parses a hyphenated or plain 32-hex-digit UUID.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Text form used by text sinks (CSV, JSON Lines) and messages about types. Dates are ISO 8601,
/// bytes are `\x`-prefixed hex as PostgreSQL prints them.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Decimal(s) | Value::Text(s) | Value::Json(s) => f.write_str(s),
            Value::Bytes(b) => write!(f, "\\x{}", hex_lower(b)),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::Time(t) => write!(f, "{}", t.format("%H:%M:%S%.f")),
            Value::Timestamp(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M:%S%.f")),
            Value::TimestampTz(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M:%S%.f+00:00")),
            Value::Uuid(u) => f.write_str(&format_uuid(u)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        v.encode_canonical(&mut out);
        out
    }

    #[test]
    fn encoding_is_type_tagged() {
        assert_ne!(enc(&Value::Int(1)), enc(&Value::UInt(1)));
        assert_ne!(enc(&Value::text("1")), enc(&Value::Decimal("1".into())));
        assert_ne!(enc(&Value::text("ab")), enc(&Value::Bytes(b"ab".to_vec())));
    }

    #[test]
    fn floats_are_normalised() {
        assert_eq!(enc(&Value::Float(0.0)), enc(&Value::Float(-0.0)));
    }

    #[test]
    fn uuid_round_trips() {
        let s = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(format_uuid(&parse_uuid(s).unwrap()), s);
        assert!(parse_uuid("nope").is_none());
    }
}
