//! Masked values fit their target column: the run-time half of the fit proof.
//!
//! The plan ([`crate::plan`]) proves what it can before reading data and gives each masked
//! column a *fit column* (the tightest limits of every column sharing its transform). During
//! the run every masked value passes through a [`Fitter`] built from that column:
//!
//! * on columns that are not part of a key, values that overshoot are brought back: text is
//!   shortened to the column's length, numbers and dates are clamped into the type's range and
//!   the bounds of comparison checks, decimals are rounded to the column's scale. The repair
//!   is a pure function of the value, so linked columns stay identical;
//! * on key columns nothing is repaired (a shortened or clamped key could collide); the plan
//!   has already refused strategies that could need it;
//! * then every limit is verified: NOT NULL, length, range, precision, allowed values, and the
//!   column's checks (comparisons, IN lists, LIKE, GLOB, regular expressions). A value that
//!   still does not fit is an error naming table, column and row, raised before the target is
//!   committed, so nothing is half-written.

use datamask_core::constraints::{cmp_decimal, compare};
use datamask_core::{Check, CmpOp, Column, DataType, Literal, Value};
use std::cmp::Ordering;

/// Fits the masked values of one column.
pub struct Fitter {
    column: Column,
    /// The column itself accepts NULL (the fit column is NOT NULL if any linked column is,
    /// but a NULL stays NULL, so only the column's own nullability matters for it).
    nullable: bool,
    /// A key column: verify only, never repair.
    unique: bool,
    max_chars: Option<u32>,
    min_chars: u32,
    int_range: Option<(i128, i128)>,
    allowed: Option<Vec<String>>,
    /// Compiled regular expressions, aligned with the column's checks.
    regexes: Vec<Option<regex::Regex>>,
    /// Nothing to fit: values pass through untouched.
    trivial: bool,
}

impl Fitter {
    /// A fitter for `column` (a plan's fit column); `unique` for key columns; `nullable` is
    /// whether the written column itself accepts NULL.
    pub fn new(column: &Column, unique: bool, nullable: bool) -> Fitter {
        let int_range = column.int_range();
        let full_int = matches!(column.data_type, DataType::Int { bits: 64, .. })
            && column.constraints.checks.is_empty();
        let decimal_limits = matches!(
            column.data_type,
            DataType::Decimal {
                precision: Some(_),
                ..
            } | DataType::Decimal { scale: Some(_), .. }
        );
        let regexes = column
            .constraints
            .checks
            .iter()
            .map(|c| match c {
                Check::Regex {
                    pattern,
                    case_insensitive,
                    ..
                } => regex::RegexBuilder::new(pattern)
                    .case_insensitive(*case_insensitive)
                    .build()
                    .ok(),
                _ => None,
            })
            .collect();
        let max_chars = column.max_chars();
        let allowed = column.allowed_values();
        let trivial = nullable
            && max_chars.is_none()
            && column.min_chars() == 0
            && (int_range.is_none() || full_int)
            && !decimal_limits
            && allowed.is_none()
            && column.constraints.checks.is_empty();
        Fitter {
            column: column.clone(),
            nullable,
            unique,
            max_chars,
            min_chars: column.min_chars(),
            int_range: int_range.filter(|_| !full_int),
            allowed,
            regexes,
            trivial,
        }
    }

    /// The value as written, or why it cannot be (a message without the value: the engine
    /// adds table, column and row).
    pub fn fit(&self, value: Value) -> Result<Value, String> {
        if self.trivial {
            return Ok(value);
        }
        if value.is_null() {
            return if self.nullable {
                Ok(value)
            } else {
                Err("the strategy produced NULL but the column is NOT NULL".into())
            };
        }
        let value = if self.unique {
            value
        } else {
            self.repair(value)
        };
        self.verify(&value)?;
        Ok(value)
    }

    fn repair(&self, value: Value) -> Value {
        match value {
            Value::Text(s) => match self.max_chars {
                // A string of at most `m` bytes has at most `m` characters: no count.
                Some(m) if s.len() > m as usize && s.chars().count() > m as usize => {
                    Value::Text(s.chars().take(m as usize).collect())
                }
                _ => Value::Text(s),
            },
            Value::Int(i) => match self.int_range {
                Some((lo, hi)) => Value::Int(clamp_i128(i128::from(i), lo, hi) as i64),
                None => Value::Int(i),
            },
            Value::UInt(u) => match self.int_range {
                Some((lo, hi)) => Value::UInt(clamp_i128(i128::from(u), lo.max(0), hi) as u64),
                None => Value::UInt(u),
            },
            Value::Decimal(d) => Value::Decimal(self.repair_decimal(d.to_string()).into()),
            Value::Float(x) => {
                // A REAL stored in a NUMERIC(p, s) column (SQLite): keep the column's scale.
                let x = match self.column.data_type {
                    DataType::Decimal { scale: Some(s), .. } if x.is_finite() => {
                        let f = 10f64.powi(s as i32);
                        (x * f).round() / f
                    }
                    _ => x,
                };
                self.clamp_to_checks(Value::Float(x))
            }
            v @ (Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_)) => {
                self.clamp_to_checks(v)
            }
            other => other,
        }
    }

    fn repair_decimal(&self, d: String) -> String {
        let DataType::Decimal { precision, scale } = self.column.data_type else {
            return d;
        };
        let mut d = match scale {
            Some(s) => round_decimal(&d, s).unwrap_or(d),
            None => d,
        };
        if let Some(p) = precision {
            let s = scale.unwrap_or(0).min(p);
            let max = largest_decimal(p - s, s);
            let neg = d.starts_with('-');
            let mag = d.trim_start_matches(['-', '+']);
            if cmp_decimal(mag, &max) == Some(Ordering::Greater) {
                d = if neg { format!("-{max}") } else { max };
            }
        }
        match self.clamp_to_checks(Value::Decimal(d.into())) {
            Value::Decimal(d) => d.to_string(),
            other => other.to_string(),
        }
    }

    /// Moves a value inside the bounds of `>=`, `<=` (and, where one unit is known, `>`,
    /// `<`) checks.
    fn clamp_to_checks(&self, mut value: Value) -> Value {
        for check in &self.column.constraints.checks {
            let Check::Compare { op, value: lit } = check else {
                continue;
            };
            let below = matches!(op, CmpOp::Ge | CmpOp::Gt);
            let above = matches!(op, CmpOp::Le | CmpOp::Lt);
            let Some(ord) = compare(&value, lit) else {
                continue;
            };
            let violates = (below && !op.holds(ord)) || (above && !op.holds(ord));
            if !violates {
                continue;
            }
            let strict = matches!(op, CmpOp::Gt | CmpOp::Lt);
            if let Some(v) = self.bound_value(&value, lit, strict, below) {
                value = v;
            }
        }
        value
    }

    /// The value of the column's type at a check's bound (one unit inside for strict bounds).
    fn bound_value(&self, like: &Value, lit: &Literal, strict: bool, lower: bool) -> Option<Value> {
        let step = if lower { 1 } else { -1 };
        let t = lit.text();
        Some(match like {
            Value::Float(_) => {
                let b: f64 = t.parse().ok()?;
                if !strict {
                    Value::Float(b)
                } else if let DataType::Decimal { scale: Some(s), .. } = self.column.data_type {
                    // A REAL stored in a NUMERIC(p, s) column (SQLite): one unit of the scale.
                    Value::Float(b + f64::from(step) * 10f64.powi(-(s as i32)))
                } else {
                    Value::Float(next_float(b, lower))
                }
            }
            Value::Decimal(_) => {
                let DataType::Decimal { scale, .. } = self.column.data_type else {
                    return None;
                };
                let s = scale?;
                let base = round_decimal(t, s)?;
                let ord = compare(&Value::Decimal(base.as_str().into()), lit)?;
                // Rounding the bound to the column's scale may land outside; step one unit in.
                let outside = match (lower, strict) {
                    (true, true) => ord != Ordering::Greater,
                    (true, false) => ord == Ordering::Less,
                    (false, true) => ord != Ordering::Less,
                    (false, false) => ord == Ordering::Greater,
                };
                if outside {
                    let unit = if s == 0 {
                        "1".to_string()
                    } else {
                        format!("0.{}1", "0".repeat(s as usize - 1))
                    };
                    Value::Decimal(add_decimal(&base, &unit, step)?.into())
                } else {
                    Value::Decimal(base.into())
                }
            }
            Value::Date(_) => {
                let d = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
                let days = if strict { step } else { 0 };
                Value::Date(d.checked_add_signed(chrono::Duration::days(days.into()))?)
            }
            Value::Timestamp(_) | Value::TimestampTz(_) => {
                let ts = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
                    .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
                    .ok()
                    .or_else(|| {
                        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                            .ok()?
                            .and_hms_opt(0, 0, 0)
                    })?;
                let micros = if strict { step } else { 0 };
                let ts = ts.checked_add_signed(chrono::Duration::microseconds(micros.into()))?;
                match like {
                    Value::TimestampTz(_) => Value::TimestampTz(ts.and_utc()),
                    _ => Value::Timestamp(ts),
                }
            }
            _ => return None,
        })
    }

    /// The text's length in characters against the column's bounds.
    fn verify_length(&self, s: &str) -> Result<(), String> {
        // Bytes bound characters from above: most values settle without a count.
        if self.min_chars == 0 && self.max_chars.is_none_or(|m| s.len() <= m as usize) {
            return Ok(());
        }
        let n = s.chars().count();
        if let Some(m) = self.max_chars.filter(|&m| n > m as usize) {
            return Err(format!(
                "the masked value has {n} characters but the column holds {m}"
            ));
        }
        if n < self.min_chars as usize {
            return Err(format!(
                "the masked value has {n} characters but the column needs at least {}",
                self.min_chars
            ));
        }
        Ok(())
    }

    fn verify(&self, value: &Value) -> Result<(), String> {
        if let Value::Text(s) = value {
            self.verify_length(s)?;
        }
        if let Some((lo, hi)) = self.int_range {
            let v = match value {
                Value::Int(i) => Some(i128::from(*i)),
                Value::UInt(u) => Some(i128::from(*u)),
                _ => None,
            };
            if v.is_some_and(|v| v < lo || v > hi) {
                return Err(format!(
                    "the masked value is outside the column's range {lo}..={hi}"
                ));
            }
        }
        if let (Value::Decimal(d), DataType::Decimal { precision, scale }) =
            (value, &self.column.data_type)
        {
            decimal_fits(d, *precision, *scale)?;
        }
        if let Some(list) = &self.allowed {
            if !list.contains(&value.to_string()) {
                return Err(format!(
                    "the masked value is not one of the column's {} allowed values",
                    list.len()
                ));
            }
        }
        for (check, re) in self.column.constraints.checks.iter().zip(&self.regexes) {
            let ok = match (check, re) {
                (Check::Regex { negated: n, .. }, Some(re)) => {
                    Some(re.is_match(&value.to_string()) != *n)
                }
                _ => check.admits(value),
            };
            if ok == Some(false) {
                return Err(format!("the masked value does not meet CHECK ({check})"));
            }
        }
        Ok(())
    }
}

/// The closest float above (`up`) or below `x`.
fn next_float(x: f64, up: bool) -> f64 {
    if x == 0.0 {
        return if up {
            f64::from_bits(1)
        } else {
            -f64::from_bits(1)
        };
    }
    let bits = x.to_bits();
    let away = (x > 0.0) == up;
    f64::from_bits(if away { bits + 1 } else { bits - 1 })
}

fn clamp_i128(v: i128, lo: i128, hi: i128) -> i128 {
    v.max(lo).min(hi)
}

/// `digits` nines, a point and `scale` nines: the largest magnitude of a decimal(p, s).
fn largest_decimal(digits: u32, scale: u32) -> String {
    let int = if digits == 0 {
        "0".to_string()
    } else {
        "9".repeat(digits as usize)
    };
    if scale == 0 {
        int
    } else {
        format!("{int}.{}", "9".repeat(scale as usize))
    }
}

/// Checks precision and scale of a decimal text.
fn decimal_fits(d: &str, precision: Option<u32>, scale: Option<u32>) -> Result<(), String> {
    let mag = d.trim_start_matches(['-', '+']);
    let (int, frac) = mag.split_once('.').unwrap_or((mag, ""));
    let int_digits = int.trim_start_matches('0').len() as u32;
    let frac_digits = frac.trim_end_matches('0').len() as u32;
    if let Some(s) = scale {
        if frac_digits > s {
            return Err(format!(
                "the masked value has {frac_digits} decimals but the column keeps {s}"
            ));
        }
    }
    if let Some(p) = precision {
        let s = scale.unwrap_or(0).min(p);
        if int_digits > p - s {
            return Err(format!(
                "the masked value needs {int_digits} integer digits but decimal({p},{s}) holds {}",
                p - s
            ));
        }
    }
    Ok(())
}

/// Rounds a decimal text to `scale` places, half away from zero.
pub fn round_decimal(d: &str, scale: u32) -> Option<String> {
    let t = d.trim();
    let (neg, mag) = match t.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = mag.split_once('.').unwrap_or((mag, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || (int.is_empty() && frac.is_empty())
    {
        return None;
    }
    let s = scale as usize;
    if frac.len() <= s {
        return Some(t.to_string());
    }
    let mut digits: Vec<u8> = format!("{}{}", if int.is_empty() { "0" } else { int }, &frac[..s])
        .bytes()
        .collect();
    if frac.as_bytes()[s] >= b'5' {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let text = String::from_utf8(digits).ok()?;
    let (ip, fp) = text.split_at(text.len() - s);
    let ip = ip.trim_start_matches('0');
    let ip = if ip.is_empty() { "0" } else { ip };
    let body = if s == 0 {
        ip.to_string()
    } else {
        format!("{ip}.{fp}")
    };
    let zero = body.bytes().all(|b| b == b'0' || b == b'.');
    Some(if neg && !zero {
        format!("-{body}")
    } else {
        body
    })
}

/// `a + sign * unit` for decimal texts with at most `unit`'s scale (used for one-unit steps).
fn add_decimal(a: &str, unit: &str, sign: i32) -> Option<String> {
    let scale = unit.split_once('.').map_or(0, |(_, f)| f.len());
    let to_int = |s: &str| -> Option<i128> {
        let r = round_decimal(s, scale as u32)?;
        let neg = r.starts_with('-');
        let m = r.trim_start_matches('-');
        let (i, f) = m.split_once('.').unwrap_or((m, ""));
        let v: i128 = format!("{i}{f:0<scale$}").parse().ok()?;
        Some(if neg { -v } else { v })
    };
    let v = to_int(a)? + i128::from(sign) * to_int(unit)?;
    let neg = v < 0;
    let digits = format!("{:0>width$}", v.unsigned_abs(), width = scale + 1);
    let (i, f) = digits.split_at(digits.len() - scale);
    let body = if scale == 0 {
        i.to_string()
    } else {
        format!("{i}.{f}")
    };
    Some(if neg { format!("-{body}") } else { body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_col(n: u32) -> Column {
        Column::new("c", DataType::Text { max_len: Some(n) })
    }

    #[test]
    fn text_is_shortened_on_plain_columns_and_refused_on_keys() {
        let f = Fitter::new(&text_col(5), false, true);
        assert_eq!(
            f.fit(Value::text("abcdefgh")).unwrap(),
            Value::text("abcde")
        );
        assert_eq!(
            f.fit(Value::text("Zoë北京xyz")).unwrap(),
            Value::text("Zoë北京")
        );
        let k = Fitter::new(&text_col(5), true, true);
        let e = k.fit(Value::text("abcdefgh")).unwrap_err();
        assert_eq!(
            e,
            "the masked value has 8 characters but the column holds 5"
        );
    }

    #[test]
    fn not_null_is_enforced() {
        let c = Column::new("c", DataType::text());
        assert!(Fitter::new(&c, false, false).fit(Value::Null).is_err());
        assert_eq!(
            Fitter::new(&c, false, true).fit(Value::Null).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn integers_are_clamped_to_type_and_checks() {
        let mut c = Column::new(
            "n",
            DataType::Int {
                bits: 8,
                unsigned: true,
            },
        );
        c.constraints.checks.push(Check::Compare {
            op: CmpOp::Gt,
            value: Literal::Number("0".into()),
        });
        let f = Fitter::new(&c, false, true);
        assert_eq!(f.fit(Value::Int(300)).unwrap(), Value::Int(255));
        assert_eq!(f.fit(Value::Int(-4)).unwrap(), Value::Int(1));
        assert!(Fitter::new(&c, true, true).fit(Value::Int(0)).is_err());
    }

    #[test]
    fn decimals_are_rounded_and_clamped() {
        let mut c = Column::new(
            "d",
            DataType::Decimal {
                precision: Some(5),
                scale: Some(2),
            },
        );
        let f = Fitter::new(&c, false, true);
        assert_eq!(
            f.fit(Value::Decimal("12.345".into())).unwrap(),
            Value::Decimal("12.35".into())
        );
        assert_eq!(
            f.fit(Value::Decimal("-99999.1".into())).unwrap(),
            Value::Decimal("-999.99".into())
        );
        c.constraints.checks.push(Check::Compare {
            op: CmpOp::Gt,
            value: Literal::Number("0".into()),
        });
        let f = Fitter::new(&c, false, true);
        assert_eq!(
            f.fit(Value::Decimal("-3.10".into())).unwrap(),
            Value::Decimal("0.01".into())
        );
        assert_eq!(round_decimal("9.995", 2).as_deref(), Some("10.00"));
        assert_eq!(round_decimal("-0.004", 2).as_deref(), Some("0.00"));
    }

    #[test]
    fn checks_and_allowed_values_are_verified() {
        let mut c = Column::new("s", DataType::text());
        c.constraints.enum_values = vec!["a".into(), "b".into()];
        let f = Fitter::new(&c, false, true);
        assert!(f.fit(Value::text("a")).is_ok());
        assert!(f
            .fit(Value::text("z"))
            .unwrap_err()
            .contains("2 allowed values"));
        let mut c = Column::new("code", DataType::text());
        c.constraints.checks.push(Check::Regex {
            pattern: "^[A-Z]{3}$".into(),
            negated: false,
            case_insensitive: false,
        });
        let f = Fitter::new(&c, false, true);
        assert!(f.fit(Value::text("ABC")).is_ok());
        let e = f.fit(Value::text("abcd")).unwrap_err();
        assert_eq!(e, "the masked value does not meet CHECK (~ '^[A-Z]{3}$')");
    }

    #[test]
    fn dates_are_clamped_into_the_engine_range() {
        let mut c = Column::new("d", DataType::Date);
        c.constraints.checks.push(Check::Compare {
            op: CmpOp::Ge,
            value: Literal::Text("1000-01-01".into()),
        });
        let f = Fitter::new(&c, false, true);
        let d = chrono::NaiveDate::from_ymd_opt(950, 5, 5).unwrap();
        assert_eq!(
            f.fit(Value::Date(d)).unwrap(),
            Value::Date(chrono::NaiveDate::from_ymd_opt(1000, 1, 1).unwrap())
        );
    }
}
