//! `date_shift`: moves dates by a keyed number of days, keeping the time of day.
//!
//! Shifting (rather than replacing) keeps intervals meaningful: with `key_column` set, every
//! date of one person moves by the same amount, so ages at admission, lengths of stay and
//! orderings survive while the real dates do not.

use crate::util::{int_in, key_source};
use chrono::{Days, NaiveDate};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

pub const DATE_SHIFT: StrategyInfo = StrategyInfo {
    name: "date_shift",
    aliases: &["shift_date_user_relative"],
    family: "dates",
    description: "Shifts dates and timestamps by a keyed number of days in [-max_days, \
                  max_days] (never 0), or by a fixed `days`, keeping the time of day. With the \
                  common option `key_column`, all dates of one row key shift together, so \
                  intervals between them are kept.",
    options: &[
        OptionSpec::optional(
            "days",
            OptionType::Integer,
            None,
            "A fixed shift in days (may be negative).",
        ),
        OptionSpec::optional(
            "max_days",
            OptionType::Integer,
            Some("30"),
            "Largest keyed shift in days (1 to 36500), used when `days` is not given.",
        ),
    ],
    accepts: &["date", "timestamp", "timestamptz", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: ("2024-03-15", "2024-03-12"),
    build,
};

struct DateShift {
    prf: Prf,
    fixed: Option<i64>,
    max_days: i64,
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let fixed = match opts.get("days") {
        Some(_) if opts.get("max_days").is_some() => {
            return Err("give either option `days` or option `max_days`, not both".into())
        }
        Some(_) => Some(int_in(opts, "days", 0, -3_650_000, 3_650_000)?),
        None => None,
    };
    Ok(Box::new(DateShift {
        prf: ctx.prf.clone(),
        fixed,
        max_days: int_in(opts, "max_days", 30, 1, 36_500)?,
    }))
}

impl DateShift {
    /// The shift for a key: uniform in [-max, max] without 0.
    fn shift(&self, key: &Value) -> i64 {
        if let Some(d) = self.fixed {
            return d;
        }
        let k = self
            .prf
            .stream("date_shift", key)
            .below(2 * self.max_days as u64) as i64;
        if k < self.max_days {
            k - self.max_days
        } else {
            k - self.max_days + 1
        }
    }
}

fn add_days<T>(
    t: T,
    days: i64,
    add: impl Fn(T, Days) -> Option<T>,
    sub: impl Fn(T, Days) -> Option<T>,
) -> Result<T, String> {
    let r = if days >= 0 {
        add(t, Days::new(days as u64))
    } else {
        sub(t, Days::new(days.unsigned_abs()))
    };
    r.ok_or_else(|| "date out of range after shifting".to_string())
}

/// Shifts ISO 8601 text: a date `YYYY-MM-DD`, optionally followed by `T` or a space and a time
/// (with any offset). Only the date part changes, so the text keeps its exact format.
fn shift_text(s: &str, days: impl Fn(&Value) -> i64) -> Result<String, String> {
    let not_a_date =
        || "not a date (expected ISO 8601 YYYY-MM-DD, optionally with a time)".to_string();
    let (date_part, rest) = match s.char_indices().nth(10) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|_| not_a_date())?;
    if !date_part.is_ascii() || date_part.len() != 10 {
        return Err(not_a_date());
    }
    let time_ok = rest.is_empty() || {
        let b = rest.as_bytes();
        b.len() >= 6
            && (b[0] == b'T' || b[0] == b' ')
            && b[1..3].iter().all(u8::is_ascii_digit)
            && b[3] == b':'
            && b[4..6].iter().all(u8::is_ascii_digit)
    };
    if !time_ok {
        return Err(not_a_date());
    }
    let shifted = add_days(
        date,
        days(&Value::Date(date)),
        |d, n| d.checked_add_days(n),
        |d, n| d.checked_sub_days(n),
    )?;
    Ok(format!("{}{rest}", shifted.format("%Y-%m-%d")))
}

impl Strategy for DateShift {
    fn apply_value(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let key = key_source(value, ctx);
        let days = self.shift(key);
        match value {
            Value::Date(d) => Ok(Value::Date(add_days(
                *d,
                days,
                |d, n| d.checked_add_days(n),
                |d, n| d.checked_sub_days(n),
            )?)),
            Value::Timestamp(t) => Ok(Value::Timestamp(add_days(
                *t,
                days,
                |t, n| t.checked_add_days(n),
                |t, n| t.checked_sub_days(n),
            )?)),
            Value::TimestampTz(t) => Ok(Value::TimestampTz(add_days(
                *t,
                days,
                |t, n| t.checked_add_days(n),
                |t, n| t.checked_sub_days(n),
            )?)),
            // Text keys on the parsed date, so a text column and a date column agree.
            Value::Text(s) => Ok(Value::Text(shift_text(s, |date| {
                if ctx.row_key.is_some_and(|k| !k.is_null()) {
                    days
                } else {
                    self.shift(date)
                }
            })?)),
            other => Err(format!(
                "date_shift does not apply to {} values",
                other.kind()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{build_with, opts, run};
    use chrono::NaiveDate;
    use datamask_core::{ApplyCtx, Column, DataType, Value};

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn fixed_shift_table() {
        let o = opts(&[("days", "-10")]);
        let cases = [
            ("2024-03-15", "2024-03-05"),
            ("2024-03-15T10:20:30Z", "2024-03-05T10:20:30Z"),
            (
                "2024-03-15 10:20:30.123+02:00",
                "2024-03-05 10:20:30.123+02:00",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                run("date_shift", &o, &Value::text(input)).unwrap(),
                Value::text(expected)
            );
        }
        assert_eq!(
            run("date_shift", &o, &Value::Date(date("2024-03-15"))).unwrap(),
            Value::Date(date("2024-03-05"))
        );
    }

    #[test]
    fn keyed_shift_is_bounded_nonzero_and_keeps_time() {
        let o = opts(&[("max_days", "5")]);
        for day in 1..=28 {
            let d = date(&format!("2024-02-{day:02}"));
            let ts = d.and_hms_opt(13, 14, 15).unwrap();
            let Value::Timestamp(out) = run("date_shift", &o, &Value::Timestamp(ts)).unwrap()
            else {
                panic!()
            };
            let delta = (out - ts).num_days();
            assert!(delta != 0 && delta.abs() <= 5, "{delta}");
            assert_eq!(out.time(), ts.time());
        }
    }

    #[test]
    fn row_key_shifts_a_persons_dates_together() {
        let s = build_with("date_shift", &opts(&[("max_days", "365")]));
        let column = Column::new("d", DataType::Date);
        let person = Value::Int(42);
        let ctx = ApplyCtx {
            column: &column,
            row_key: Some(&person),
        };
        let (a, b) = (date("2020-01-01"), date("2023-07-19"));
        let Value::Date(a2) = s.apply(&Value::Date(a), &ctx).unwrap() else {
            panic!()
        };
        let Value::Date(b2) = s.apply(&Value::Date(b), &ctx).unwrap() else {
            panic!()
        };
        assert_eq!(a2 - a, b2 - b);
        // The same for text dates of the same person.
        let Value::Text(t) = s.apply(&Value::text("2020-01-01"), &ctx).unwrap() else {
            panic!()
        };
        assert_eq!(t, a2.format("%Y-%m-%d").to_string());
    }

    #[test]
    fn errors_do_not_leak_the_value() {
        let err = run("date_shift", &opts(&[]), &Value::text("secret-4411")).unwrap_err();
        assert!(!err.contains("secret"), "{err}");
        assert!(err.starts_with("not a date"));
        let err = run(
            "date_shift",
            &opts(&[("days", "-1")]),
            &Value::Date(NaiveDate::MIN),
        )
        .unwrap_err();
        assert!(err.contains("out of range"));
    }
}
