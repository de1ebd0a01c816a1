//! Loose normalisation of values, so the verifier compares what a value *is* rather than how a
//! connector typed it.
//!
//! A target is often another engine than the source: a PostgreSQL `numeric` lands in SQLite as a
//! REAL or TEXT, a boolean as an integer, a timestamp as ISO text, a CSV file holds only text.
//! Comparing canonical encodings (which are type-tagged) would call all of those different. So
//! the verifier compares normalised text: numbers in their shortest decimal form (whatever
//! their type, text that is a plain number included), booleans as `1`/`0`, temporal values and
//! UUIDs in their ISO/hyphenated form, everything else as its text. Two values that normalise
//! alike are, for the verifier, the same value; NULL normalises to nothing.
//!
//! Knowing the source column's type ([`normalize_as`]) settles what text cannot: floats are
//! compared at the precision their type has (6 significant digits for 32-bit floats, which
//! MySQL prints with 6; every digit for 64-bit ones), JSON documents by their content (keys
//! sorted, no whitespace), binary data by its hex digits (`\x0102`, `0102`).

use datamask_core::{DataType, Value};
use std::borrow::Cow;

/// A normalised value: borrowed from the value when it is already in normal form (most text),
/// so the verifier's hot loop does not allocate for it.
pub type Norm<'a> = Cow<'a, str>;

/// The normalised form of `v` as a value of a column of type `ty` (see the module docs), or
/// `None` for NULL.
pub fn normalize_as<'a>(v: &'a Value, ty: &DataType) -> Option<Norm<'a>> {
    if v.is_null() {
        return None;
    }
    let special = match ty {
        DataType::Float { bits } if *bits <= 32 => as_f64(v).map(|f| format!("{f:.5e}")),
        DataType::Float { .. } => as_f64(v).map(|f| format!("{f:e}")),
        DataType::Json => match v {
            Value::Json(s) | Value::Text(s) => serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .map(|j| crate::audit::canonical(&j, false)),
            _ => None,
        },
        DataType::Bytes => match v {
            Value::Bytes(b) => Some(hex::encode(b)),
            Value::Text(s) => {
                let h = s.strip_prefix("\\x").unwrap_or(s);
                (h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| h.to_ascii_lowercase())
            }
            _ => None,
        },
        _ => None,
    };
    match special {
        Some(s) => Some(Cow::Owned(s)),
        None => normalize(v),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Decimal(s) | Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// The normalised form of `v`, or `None` for NULL.
pub fn normalize(v: &Value) -> Option<Norm<'_>> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => Cow::Borrowed(if *b { "1" } else { "0" }),
        Value::Int(i) => Cow::Owned(i.to_string()),
        Value::UInt(u) => Cow::Owned(u.to_string()),
        Value::Float(f) => Cow::Owned(float(*f)),
        Value::Decimal(s) => decimal(s).unwrap_or(Cow::Borrowed(s)),
        Value::Text(s) | Value::Json(s) => text(s),
        other => Cow::Owned(text(&other.to_string()).into_owned()),
    })
}

fn float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A plain decimal literal (`-12.50`, `+3`, `0.50`) in shortest form (`-12.5`, `3`, `0.5`);
/// borrowed when it already is.
fn decimal(s: &str) -> Option<Norm<'_>> {
    let (neg, plus, digits) = match *s.as_bytes().first()? {
        b'-' => (true, false, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    // One pass, out at the first byte that is neither a digit nor the first dot: most text
    // (names, emails, codes) leaves at its first or second byte.
    let mut dot = None;
    for (i, b) in digits.bytes().enumerate() {
        match b {
            b'0'..=b'9' => {}
            b'.' if dot.is_none() => dot = Some(i),
            _ => return None,
        }
    }
    let (int, frac) = match dot {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, ""),
    };
    let dot = dot.is_some();
    // `0102` is a code (or hex), not the number 102: numbers are written without leading zeros.
    if int.is_empty() && frac.is_empty() || int.len() > 1 && int.starts_with('0') {
        return None;
    }
    let frac_trimmed = frac.trim_end_matches('0');
    let int_norm = if int.is_empty() { "0" } else { int };
    let zero = int_norm == "0" && frac_trimmed.is_empty();
    let changed = plus
        || int.is_empty()
        || frac_trimmed.len() != frac.len()
        || dot && frac.is_empty()
        || neg && zero;
    if !changed {
        return Some(Cow::Borrowed(s));
    }
    let body = if frac_trimmed.is_empty() {
        int_norm.to_string()
    } else {
        format!("{int_norm}.{frac_trimmed}")
    };
    Some(Cow::Owned(if neg && !zero {
        format!("-{body}")
    } else {
        body
    }))
}

/// Text as itself, except plain numbers (shortest form), `true`/`false` (`1`/`0`), ISO
/// timestamps with a `T` or a UTC suffix (space-separated, no suffix) and UUIDs (lowercase).
fn text(s: &str) -> Norm<'_> {
    // What can change starts with a digit, a sign or a dot (numbers, timestamps), t/f
    // (booleans), or is 36 bytes long (UUIDs): most text (names, emails) is out at once.
    let might_change = s.len() == 36
        || s.as_bytes().first().is_some_and(|b| {
            b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b't' | b'T' | b'f' | b'F')
        });
    if !might_change {
        return Cow::Borrowed(s);
    }
    if let Some(d) = decimal(s) {
        return d;
    }
    match s {
        "true" | "TRUE" => return Cow::Borrowed("1"),
        "false" | "FALSE" => return Cow::Borrowed("0"),
        _ => {}
    }
    let b = s.as_bytes();
    if b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b' ') {
        let suffix = ["+00:00", "Z", "+00"].iter().find(|x| s.ends_with(*x));
        if b[10] == b' ' && suffix.is_none() {
            return Cow::Borrowed(s);
        }
        let mut t = s.replacen('T', " ", 1);
        if let Some(x) = suffix {
            t.truncate(t.len() - x.len());
        }
        return Cow::Owned(t);
    }
    if b.len() == 36
        && b.iter().any(u8::is_ascii_uppercase)
        && datamask_core::value::parse_uuid(s).is_some()
    {
        return Cow::Owned(s.to_ascii_lowercase());
    }
    Cow::Borrowed(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn n(v: Value) -> String {
        normalize(&v).unwrap().into_owned()
    }

    #[test]
    fn the_same_value_typed_differently_normalises_alike() {
        assert_eq!(n(Value::Decimal("12.50".into())), n(Value::Float(12.5)));
        assert_eq!(n(Value::Decimal("12.50".into())), n(Value::text("12.5")));
        assert_eq!(n(Value::Int(7)), n(Value::text("7")));
        assert_eq!(n(Value::Float(7.0)), n(Value::UInt(7)));
        assert_eq!(n(Value::Bool(true)), n(Value::Int(1)));
        assert_eq!(n(Value::Bool(false)), n(Value::text("false")));
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(n(Value::Date(d)), n(Value::text("2024-02-29")));
        let ts = d.and_hms_opt(10, 0, 1).unwrap();
        assert_eq!(
            n(Value::Timestamp(ts)),
            n(Value::text("2024-02-29T10:00:01"))
        );
        assert_eq!(
            n(Value::TimestampTz(ts.and_utc())),
            n(Value::text("2024-02-29T10:00:01Z"))
        );
        let u = "123E4567-E89B-12D3-A456-426614174000";
        assert_eq!(
            n(Value::Uuid(datamask_core::value::parse_uuid(u).unwrap())),
            n(Value::text(u))
        );
        assert_eq!(normalize(&Value::Null), None);
    }

    #[test]
    fn the_column_type_sets_the_precision_and_form() {
        let f32_ = DataType::Float { bits: 32 };
        let f64_ = DataType::Float { bits: 64 };
        let a = |v: Value, t: &DataType| normalize_as(&v, t).unwrap().into_owned();
        assert_eq!(
            a(Value::Float(9.333333015441895), &f32_),
            a(Value::text("9.33333"), &f32_)
        );
        assert_eq!(
            a(Value::Float(9.333333015441895), &f64_),
            a(Value::text("9.333333015441895"), &f64_)
        );
        assert_eq!(a(Value::Float(2.0), &f64_), a(Value::Int(2), &f64_));
        assert_ne!(
            a(Value::Float(9.3333), &f64_),
            a(Value::Float(9.3334), &f64_)
        );
        let j = DataType::Json;
        assert_eq!(
            a(Value::Json("{\"k\": 1, \"a\": [1, 2]}".into()), &j),
            a(Value::text("{\"a\":[1,2],\"k\":1}"), &j)
        );
        let b = DataType::Bytes;
        assert_eq!(a(Value::Bytes(vec![1, 2]), &b), a(Value::text("0102"), &b));
        assert_eq!(
            a(Value::Bytes(vec![1, 2]), &b),
            a(Value::text("\\x0102"), &b)
        );
        assert_eq!(normalize_as(&Value::Null, &b), None);
    }

    #[test]
    fn different_values_stay_different() {
        assert_ne!(n(Value::text("1.5")), n(Value::text("15")));
        assert_ne!(n(Value::text("-0.1")), n(Value::text("0.1")));
        assert_ne!(n(Value::text("a@b")), n(Value::text("A@b")));
        assert_eq!(n(Value::text("-0")), "0");
        assert_eq!(n(Value::text("1.2.3")), "1.2.3");
        assert_eq!(n(Value::text("0102")), "0102");
        assert_eq!(n(Value::text("+1.50")), "1.5");
        assert_eq!(n(Value::text(".5")), "0.5");
        assert_eq!(n(Value::text("3.")), "3");
        assert_eq!(n(Value::text("-0.0")), "0");
        assert_eq!(n(Value::Decimal("-12.50".into())), "-12.5");
        assert!(matches!(
            normalize(&Value::text("12.5")),
            Some(Cow::Borrowed(_))
        ));
        assert!(matches!(
            normalize(&Value::text("ann@x.org")),
            Some(Cow::Borrowed(_))
        ));
        assert_eq!(n(Value::text("")), "");
    }
}
